/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Metadata extensions (RSOCKET.md 8): composite entries with well-known ids and custom MIME
 * strings, routing tags, simple/bearer/custom authentication, mime-type and accept-mime-types
 * items. Each is encoded, decoded from a buffer ending against a guard page, and every truncation
 * of a valid input must be refused (never read past the end, which the guard page would catch).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rs/metadata.h>

#include "codec_test.h"

/** Composite of: routing(2 tags), custom "app/x", auth simple, mime-type json, empty tracing. */
static int
build_composite(uint8_t *b, size_t cap)
{
	static const char *const tags[] = {"echo", "tenant.a"};
	static const size_t lens[] = {4, 8};
	uint8_t auth[64], mime[8];
	struct rs_frame_mime m = {1, RS_MIME_APPLICATION_JSON, 0, NULL};
	int n = 0, k;

	k = rs_frame_md_routing_entry(b + n, cap - n, tags, lens, 2);
	ck_assert_int_eq(k, 4 + 5 + 9);
	n += k;
	k = rs_frame_md_composite_add_str(b + n, cap - n, "app/x", 5, "\x00", 1);
	ck_assert_int_eq(k, 10);
	n += k;
	k = rs_frame_md_auth_simple(auth, sizeof(auth), "user", 4, "pass", 4);
	ck_assert_int_eq(k, 11);
	k = rs_frame_md_composite_add(b + n, cap - n, RS_MIME_AUTHENTICATION, auth, (uint32_t)k);
	ck_assert_int_eq(k, 15);
	n += k;
	k = rs_frame_md_mime_encode(mime, sizeof(mime), &m);
	ck_assert_int_eq(k, 1);
	k = rs_frame_md_composite_add(b + n, cap - n, RS_MIME_MIMETYPE, mime, 1);
	n += k;
	k = rs_frame_md_composite_add(b + n, cap - n, RS_MIME_TRACING_ZIPKIN, NULL, 0);
	ck_assert_int_eq(k, 4);
	n += k;
	return n;
}

START_TEST(composite_roundtrip)
{
	uint8_t b[256];
	int n = build_composite(b, sizeof(b));
	struct ct_guard g;
	struct rs_frame_md_it it, tt;
	struct rs_frame_md_entry e;
	struct rs_frame_md_auth a;
	struct rs_frame_mime m;
	const char *tag;
	uint8_t tl;

	ct_guard_new(&g, b, (size_t)n);
	rs_frame_md_it_init(&it, g.p, (uint32_t)n);
	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 1);
	ck_assert(e.mime.well_known && e.mime.id == RS_MIME_ROUTING);
	rs_frame_md_it_init(&tt, e.content, e.content_len);
	ck_assert_int_eq(rs_frame_md_routing_next(&tt, &tag, &tl), 1);
	ck_assert(tl == 4 && memcmp(tag, "echo", 4) == 0);
	ck_assert_int_eq(rs_frame_md_routing_next(&tt, &tag, &tl), 1);
	ck_assert(tl == 8 && memcmp(tag, "tenant.a", 8) == 0);
	ck_assert_int_eq(rs_frame_md_routing_next(&tt, &tag, &tl), 0);

	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 1);
	ck_assert(!e.mime.well_known && e.mime.str_len == 5);
	ck_assert_mem_eq(e.mime.str, "app/x", 5);

	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 1);
	ck_assert(e.mime.well_known && e.mime.id == RS_MIME_AUTHENTICATION);
	ck_assert_int_eq(rs_frame_md_auth_decode(e.content, e.content_len, &a), 0);
	ck_assert(a.well_known && a.type_id == RS_AUTH_SIMPLE);
	ck_assert(a.username_len == 4 && memcmp(a.username, "user", 4) == 0);
	ck_assert(a.password_len == 4 && memcmp(a.password, "pass", 4) == 0);

	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 1);
	ck_assert(e.mime.well_known && e.mime.id == RS_MIME_MIMETYPE);
	ck_assert_int_eq(rs_frame_md_mime_decode(e.content, e.content_len, &m), 0);
	ck_assert(m.well_known && m.id == RS_MIME_APPLICATION_JSON);

	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 1);
	ck_assert(e.mime.well_known && e.mime.id == RS_MIME_TRACING_ZIPKIN);
	ck_assert_uint_eq(e.content_len, 0);
	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 0);

	ck_assert_int_eq(rs_frame_md_composite_find(g.p, (uint32_t)n, RS_MIME_MIMETYPE, &e), 1);
	ck_assert_uint_eq(e.content_len, 1);
	ck_assert_int_eq(rs_frame_md_composite_find(g.p, (uint32_t)n, RS_MIME_COMPOSITE, &e), 0);
	ct_guard_free(&g);
}
END_TEST

/** Every strict truncation of the composite either ends cleanly at an entry boundary or is
 * refused; the guard page makes any over-read fatal. */
START_TEST(composite_truncations)
{
	uint8_t b[256];
	int n = build_composite(b, sizeof(b));
	size_t bounds[] = {0, 18, 28, 43, 48, 52};

	for (int k = 0; k <= n; k++) {
		struct ct_guard g;
		struct rs_frame_md_it it;
		struct rs_frame_md_entry e;
		int rc, clean = 0, entries = 0;

		for (unsigned j = 0; j < sizeof(bounds) / sizeof(bounds[0]); j++)
			clean |= (size_t)k == bounds[j];
		ct_guard_new(&g, b, (size_t)k);
		rs_frame_md_it_init(&it, g.p, (uint32_t)k);
		while ((rc = rs_frame_md_composite_next(&it, &e)) == 1)
			entries++;
		if (clean)
			ck_assert_msg(rc == 0, "cut at %d: rc %d", k, rc);
		else
			ck_assert_msg(rc == -EBADMSG, "cut at %d: rc %d", k, rc);
		ct_guard_free(&g);
	}
	ck_assert_int_eq(n, 52);
}
END_TEST

START_TEST(routing_bad)
{
	uint8_t b[8];
	struct rs_frame_md_it it;
	const char *tag;
	uint8_t tl;
	size_t n = ct_bytes("00", b, sizeof(b));

	rs_frame_md_it_init(&it, b, (uint32_t)n);
	ck_assert_int_eq(rs_frame_md_routing_next(&it, &tag, &tl), -EBADMSG);
	n = ct_bytes("05 'abc'", b, sizeof(b));
	rs_frame_md_it_init(&it, b, (uint32_t)n);
	ck_assert_int_eq(rs_frame_md_routing_next(&it, &tag, &tl), -EBADMSG);
	ck_assert_int_eq(rs_frame_md_routing_add(b, sizeof(b), "", 0), -EINVAL);
	ck_assert_int_eq(rs_frame_md_routing_add(b, 3, "abc", 3), -ENOSPC);
	ck_assert_int_eq(rs_frame_md_routing_entry1(b, sizeof(b), "abc", 3), 8);
	ck_assert_int_eq(rs_frame_md_routing_entry1(b, 7, "abc", 3), -ENOSPC);
}
END_TEST

START_TEST(auth_kinds)
{
	uint8_t b[300];
	struct rs_frame_md_auth a;
	struct ct_guard g;
	int n;
	char type[128];

	n = rs_frame_md_auth_bearer(b, sizeof(b), "tok.en", 6);
	ck_assert_int_eq(n, 7);
	ck_assert_uint_eq(b[0], 0x81);
	ck_assert_int_eq(rs_frame_md_auth_decode(b, (uint32_t)n, &a), 0);
	ck_assert(a.well_known && a.type_id == RS_AUTH_BEARER);
	ck_assert(a.password_len == 6 && memcmp(a.password, "tok.en", 6) == 0);

	memset(type, 'x', sizeof(type));
	n = rs_frame_md_auth_custom(b, sizeof(b), type, 128, "pp", 2);
	ck_assert_int_eq(n, 1 + 128 + 2);
	ck_assert_uint_eq(b[0], 127);
	ck_assert_int_eq(rs_frame_md_auth_decode(b, (uint32_t)n, &a), 0);
	ck_assert(!a.well_known && a.type_len == 128);
	ck_assert(a.password_len == 2);
	ck_assert_int_eq(rs_frame_md_auth_custom(b, sizeof(b), type, 129, "", 0), -EINVAL);
	ck_assert_int_eq(rs_frame_md_auth_custom(b, sizeof(b), type, 0, "", 0), -EINVAL);

	/* simple with an empty password; every truncation of the username is refused */
	n = rs_frame_md_auth_simple(b, sizeof(b), "alice", 5, "", 0);
	ck_assert_int_eq(n, 8);
	for (int k = 0; k < n; k++) {
		ct_guard_new(&g, b, (size_t)k);
		ck_assert_int_eq(rs_frame_md_auth_decode(g.p, (uint32_t)k, &a), -EBADMSG);
		ct_guard_free(&g);
	}
	ct_guard_new(&g, b, (size_t)n);
	ck_assert_int_eq(rs_frame_md_auth_decode(g.p, (uint32_t)n, &a), 0);
	ck_assert(a.username_len == 5 && a.password_len == 0);
	ct_guard_free(&g);
}
END_TEST

START_TEST(mime_items)
{
	uint8_t b[300];
	struct rs_frame_md_it it;
	struct rs_frame_mime in[3] = {{1, RS_MIME_APPLICATION_JSON, 0, NULL},
				      {0, 0, 10, "text/plain"},
				      {0, 0, 9, "app/x.foo"}};
	struct rs_frame_mime m;
	int n = 0, k, count = 0;

	for (int i = 0; i < 3; i++) {
		k = rs_frame_md_mime_encode(b + n, sizeof(b) - n, &in[i]);
		ck_assert_int_gt(k, 0);
		n += k;
	}
	ck_assert_int_eq(n, 1 + 11 + 10);
	rs_frame_md_it_init(&it, b, (uint32_t)n);
	while ((k = rs_frame_md_mime_next(&it, &m)) == 1) {
		ck_assert_int_eq(m.well_known, in[count].well_known);
		if (m.well_known)
			ck_assert_uint_eq(m.id, in[count].id);
		else
			ck_assert(m.str_len == in[count].str_len &&
				  memcmp(m.str, in[count].str, m.str_len) == 0);
		if (count == 1) {
			rs_frame_mime_normalize(&m);
			ck_assert(m.well_known && m.id == RS_MIME_TEXT_PLAIN);
		}
		count++;
	}
	ck_assert_int_eq(k, 0);
	ck_assert_int_eq(count, 3);
	/* mime-type (0x7A) holds exactly one item */
	ck_assert_int_eq(rs_frame_md_mime_decode(b, (uint32_t)n, &m), -EBADMSG);
	ck_assert_int_eq(rs_frame_md_mime_decode(b, 1, &m), 0);
	ck_assert_int_eq(rs_frame_md_mime_decode(b + 1, 5, &m), -EBADMSG);
	ck_assert_int_eq(rs_frame_md_mime_decode(b, 0, &m), -EBADMSG);
	m.well_known = 0;
	m.str_len = 0;
	ck_assert_int_eq(rs_frame_md_mime_encode(b, sizeof(b), &m), -EINVAL);
}
END_TEST

START_TEST(mime_table)
{
	ck_assert_str_eq(rs_frame_mime_name(0x05), "application/json");
	ck_assert_str_eq(rs_frame_mime_name(0x2A), "application/x-flatbuffers");
	ck_assert_str_eq(rs_frame_mime_name(0x7F), "message/x.rsocket.composite-metadata.v0");
	ck_assert_ptr_null(rs_frame_mime_name(0x2B));
	ck_assert_ptr_null(rs_frame_mime_name(0x80));
	ck_assert_int_eq(rs_frame_mime_id("message/x.rsocket.routing.v0", 28), RS_MIME_ROUTING);
	ck_assert_int_eq(rs_frame_mime_id("application/jsonx", 17), -ENOENT);
	for (int i = 0; i < 128; i++) {
		const char *n = rs_frame_mime_name((uint8_t)i);

		if (n != NULL)
			ck_assert_int_eq(rs_frame_mime_id(n, strlen(n)), i);
	}
}
END_TEST

START_TEST(composite_encode_limits)
{
	uint8_t b[8];
	char s[130];

	memset(s, 'a', sizeof(s));
	ck_assert_int_eq(rs_frame_md_composite_add(b, sizeof(b), 0x80, NULL, 0), -EINVAL);
	ck_assert_int_eq(rs_frame_md_composite_add(b, 3, 1, NULL, 0), -ENOSPC);
	ck_assert_int_eq(rs_frame_md_composite_add(b, sizeof(b), 1, "abcd", 4), 8);
	ck_assert_int_eq(rs_frame_md_composite_add_str(b, sizeof(b), s, 129, NULL, 0), -EINVAL);
	ck_assert_int_eq(rs_frame_md_composite_add_str(b, sizeof(b), s, 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(rs_frame_md_composite_add_str(b, sizeof(b), s, 5, NULL, 0), -ENOSPC);
}
END_TEST

START_TEST(route_first_fast_path)
{
	uint8_t b[256];
	int n = build_composite(b, sizeof(b));
	const char *tag = NULL;
	uint8_t tl = 0;
	struct ct_guard g;
	uint8_t custom_first[64];
	int k;

	ct_guard_new(&g, b, (size_t)n);
	ck_assert_int_eq(rs_frame_md_route_first(g.p, (uint32_t)n, &tag, &tl), 1);
	ck_assert(tl == 4 && memcmp(tag, "echo", 4) == 0);
	/* every truncation: never past the end; inside the routing entry it is malformed */
	for (int cut = 0; cut < n; cut++) {
		struct ct_guard h;
		int rc;

		ct_guard_new(&h, b, (size_t)cut);
		rc = rs_frame_md_route_first(h.p, (uint32_t)cut, &tag, &tl);
		ck_assert_int_eq(rc, cut == 0 ? 0 : cut < 18 ? -EBADMSG : 1);
		ct_guard_free(&h);
	}
	ct_guard_free(&g);
	/* routing after a custom-MIME entry and a well-known one */
	k = rs_frame_md_composite_add_str(custom_first, sizeof(custom_first), "app/x", 5, "ab", 2);
	k += rs_frame_md_composite_add(custom_first + k, sizeof(custom_first) - k, 5, "{}", 2);
	k += rs_frame_md_routing_entry1(custom_first + k, sizeof(custom_first) - k, "r.1", 3);
	ck_assert_int_eq(rs_frame_md_route_first(custom_first, (uint32_t)k, &tag, &tl), 1);
	ck_assert(tl == 3 && memcmp(tag, "r.1", 3) == 0);
	/* none */
	ck_assert_int_eq(rs_frame_md_route_first(custom_first, 11, &tag, &tl), 0);
}
END_TEST

static Suite *
md_suite(void)
{
	Suite *s = suite_create("codec_metadata");
	TCase *t = tcase_create("extensions");

	tcase_add_test(t, composite_roundtrip);
	tcase_add_test(t, composite_truncations);
	tcase_add_test(t, routing_bad);
	tcase_add_test(t, auth_kinds);
	tcase_add_test(t, mime_items);
	tcase_add_test(t, mime_table);
	tcase_add_test(t, composite_encode_limits);
	tcase_add_test(t, route_first_fast_path);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(md_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
