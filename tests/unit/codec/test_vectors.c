/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSOCKET.md section 9: every test vector and every rsocket-java cross-check hex string decodes
 * (from a buffer that ends against a guard page) to the expected fields, and re-encodes to the same
 * bytes both through the generic view encoder and through the type's own encoder.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rs/frame.h>
#include <rs/metadata.h>

#include "codec_test.h"

static const struct rs_frame_limits lim = {RS_FRAME_LEN_MAX};

struct vec {
	uint8_t b[256];
	size_t n;
	struct ct_guard g;
	struct rs_frame f;
	uint8_t out[256];
};

/** Decode @p spec from a guard buffer, check it consumed everything, re-encode it. */
static void
vec_load(struct vec *v, const char *spec)
{
	int rc;

	v->n = ct_bytes(spec, v->b, sizeof(v->b));
	ct_guard_new(&v->g, v->b, v->n);
	rc = rs_frame_decode(v->g.p, v->n, &lim, &v->f);
	ck_assert_int_eq(rc, (int)v->n);
	ck_assert_int_eq(v->f.err, RS_FRAME_OK);
	ck_assert_uint_eq(v->f.frame_len + 3, v->n);
	memset(v->out, 0xAA, sizeof(v->out));
	rc = rs_frame_encode(v->out, sizeof(v->out), &v->f);
	ck_assert_int_eq(rc, (int)v->n);
	ck_assert_mem_eq(v->out, v->b, v->n);
	ck_assert_int_eq(rs_frame_encoded_len(&v->f), (int)v->n);
	/* One byte too little room is refused without writing past it. */
	ck_assert_int_eq(rs_frame_encode(v->out, v->n - 1, &v->f), -ENOSPC);
}

static void
vec_done(struct vec *v)
{
	ct_guard_free(&v->g);
}

#define SLICE_IS(sl, str) ck_assert(ct_slice_eq(&(sl), (str), (uint32_t)strlen(str)))

START_TEST(v1_setup)
{
	struct vec v;

	vec_load(&v, "00004b 00000000 0400 00010000 00007530 00015f90 27 "
		     "'message/x.rsocket.composite-metadata.v0' 10 'application/json'");
	ck_assert_int_eq(v.f.type, RS_FRAME_SETUP);
	ck_assert_uint_eq(v.f.stream_id, 0);
	ck_assert_uint_eq(v.f.flags, 0);
	ck_assert_uint_eq(v.f.setup.major, 1);
	ck_assert_uint_eq(v.f.setup.minor, 0);
	ck_assert_uint_eq(v.f.setup.keepalive_ms, 30000);
	ck_assert_uint_eq(v.f.setup.lifetime_ms, 90000);
	ck_assert_uint_eq(v.f.setup.token.len, 0);
	SLICE_IS(v.f.setup.md_mime, "message/x.rsocket.composite-metadata.v0");
	SLICE_IS(v.f.setup.data_mime, "application/json");
	ck_assert_uint_eq(v.f.metadata.len, 0);
	ck_assert_uint_eq(v.f.data.len, 0);
	ck_assert_uint_eq(v.n, 78);
	vec_done(&v);
}
END_TEST

START_TEST(v2_request_response)
{
	struct vec v;
	struct rs_frame_md_it it;
	struct rs_frame_md_entry e;
	uint8_t md[32], out[64];
	const char *tag;
	uint8_t tag_len;
	int n;

	vec_load(&v, "000014 00000001 1100 000009 fe 000005 04 'echo' 'hi'");
	ck_assert_int_eq(v.f.type, RS_FRAME_REQUEST_RESPONSE);
	ck_assert_uint_eq(v.f.stream_id, 1);
	ck_assert_uint_eq(v.f.flags, RS_FRAME_FLAG_M);
	ck_assert_uint_eq(v.f.metadata.len, 9);
	SLICE_IS(v.f.data, "hi");
	ck_assert_uint_eq(v.n, 23);
	/* The composite entry: routing, tag "echo". */
	rs_frame_md_it_init(&it, v.f.metadata.ptr, v.f.metadata.len);
	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 1);
	ck_assert(e.mime.well_known);
	ck_assert_uint_eq(e.mime.id, RS_MIME_ROUTING);
	ck_assert_uint_eq(e.content_len, 5);
	rs_frame_md_it_init(&it, e.content, e.content_len);
	ck_assert_int_eq(rs_frame_md_routing_next(&it, &tag, &tag_len), 1);
	ck_assert_uint_eq(tag_len, 4);
	ck_assert_mem_eq(tag, "echo", 4);
	ck_assert_int_eq(rs_frame_md_routing_next(&it, &tag, &tag_len), 0);
	/* Re-encode through the fast path. */
	n = rs_frame_md_routing_entry1(md, sizeof(md), "echo", 4);
	ck_assert_int_eq(n, 9);
	ck_assert_int_eq(rs_frame_encode_request_response(out, sizeof(out), 1, 0, md, 9, "hi", 2),
			 23);
	ck_assert_mem_eq(out, v.b, 23);
	vec_done(&v);
}
END_TEST

START_TEST(v3_request_n)
{
	struct vec v;
	uint8_t out[16];

	vec_load(&v, "00000a 00000001 2000 7fffffff");
	ck_assert_int_eq(v.f.type, RS_FRAME_REQUEST_N);
	ck_assert_uint_eq(v.f.request_n, 0x7fffffff);
	ck_assert_int_eq(rs_frame_encode_request_n(out, sizeof(out), 1, 0xffffffffu), 13);
	ck_assert_mem_eq(out, v.b, 13);
	vec_done(&v);
}
END_TEST

START_TEST(v4_payload)
{
	struct vec v;
	uint8_t out[16];

	vec_load(&v, "000008 00000001 2860 'ok'");
	ck_assert_int_eq(v.f.type, RS_FRAME_PAYLOAD);
	ck_assert_uint_eq(v.f.flags, RS_FRAME_FLAG_N | RS_FRAME_FLAG_C);
	SLICE_IS(v.f.data, "ok");
	ck_assert_uint_eq(v.f.metadata.len, 0);
	ck_assert_int_eq(rs_frame_encode_payload(out, sizeof(out), 1,
						 RS_FRAME_FLAG_N | RS_FRAME_FLAG_C, NULL, 0, "ok",
						 2),
			 11);
	ck_assert_mem_eq(out, v.b, 11);
	vec_done(&v);
}
END_TEST

START_TEST(v5_keepalive)
{
	struct vec v;
	uint8_t out[32], want[32];

	vec_load(&v, "00000e 00000000 0c80 0000000000001234");
	ck_assert_int_eq(v.f.type, RS_FRAME_KEEPALIVE);
	ck_assert_uint_eq(v.f.flags, RS_FRAME_FLAG_RESPOND);
	ck_assert_uint_eq(v.f.position, 0x1234);
	ck_assert_uint_eq(v.f.data.len, 0);
	ck_assert_int_eq(rs_frame_encode_keepalive(out, sizeof(out), 1, 0x1234, NULL, 0), 17);
	ck_assert_mem_eq(out, v.b, 17);
	/* The answer: R=0, the responder's own position, the same data. */
	ct_bytes("00000e 00000000 0c00 0000000000000077", want, sizeof(want));
	ck_assert_int_eq(
		rs_frame_encode_keepalive(out, sizeof(out), 0, 0x77, v.f.data.ptr, v.f.data.len),
		17);
	ck_assert_mem_eq(out, want, 17);
	vec_done(&v);
}
END_TEST

START_TEST(v6_error)
{
	struct vec v;
	uint8_t out[32];

	vec_load(&v, "00000d 00000000 2c00 00000001 'bad'");
	ck_assert_int_eq(v.f.type, RS_FRAME_ERROR);
	ck_assert_uint_eq(v.f.error_code, RS_ERROR_INVALID_SETUP);
	SLICE_IS(v.f.data, "bad");
	ck_assert_int_eq(
		rs_frame_encode_error(out, sizeof(out), 0, RS_ERROR_INVALID_SETUP, "bad", 3), 16);
	ck_assert_mem_eq(out, v.b, 16);
	vec_done(&v);
}
END_TEST

START_TEST(v7_setup_rlm)
{
	struct vec v;

	vec_load(&v, "000033 00000000 05c0 00010000 000001f4 000007d0 0002 aabb 0a 'text/plain'"
		     " 0a 'text/plain' 000002 'md' 'dd'");
	ck_assert_uint_eq(v.n, 54);
	ck_assert_uint_eq(v.f.flags, RS_FRAME_FLAG_M | RS_FRAME_FLAG_RESUME | RS_FRAME_FLAG_LEASE);
	ck_assert_uint_eq(v.f.setup.keepalive_ms, 500);
	ck_assert_uint_eq(v.f.setup.lifetime_ms, 2000);
	ck_assert(ct_slice_eq(&v.f.setup.token, "\xaa\xbb", 2));
	SLICE_IS(v.f.setup.md_mime, "text/plain");
	SLICE_IS(v.f.setup.data_mime, "text/plain");
	SLICE_IS(v.f.metadata, "md");
	SLICE_IS(v.f.data, "dd");
	vec_done(&v);
}
END_TEST

START_TEST(v8_fragments)
{
	struct vec a, b;
	uint8_t md[16], data[16];
	size_t mdn = 0, dn = 0;

	vec_load(&a, "00000d 00000003 1180 000004 'ABCD'");
	vec_load(&b, "00000e 00000003 2920 000002 'EF' 'xyz'");
	ck_assert_int_eq(a.f.type, RS_FRAME_REQUEST_RESPONSE);
	ck_assert_uint_eq(a.f.flags, RS_FRAME_FLAG_M | RS_FRAME_FLAG_F);
	ck_assert_int_eq(b.f.type, RS_FRAME_PAYLOAD);
	ck_assert_uint_eq(b.f.flags, RS_FRAME_FLAG_M | RS_FRAME_FLAG_N);
	ck_assert_uint_eq(a.f.stream_id, 3);
	ck_assert_uint_eq(b.f.stream_id, 3);
	/* Reassembly joins metadata and data separately. */
	mdn += rs_frame_slice_copy(&a.f.metadata, md + mdn, sizeof(md) - mdn);
	mdn += rs_frame_slice_copy(&b.f.metadata, md + mdn, sizeof(md) - mdn);
	dn += rs_frame_slice_copy(&a.f.data, data + dn, sizeof(data) - dn);
	dn += rs_frame_slice_copy(&b.f.data, data + dn, sizeof(data) - dn);
	ck_assert_uint_eq(mdn, 6);
	ck_assert_mem_eq(md, "ABCDEF", 6);
	ck_assert_uint_eq(dn, 3);
	ck_assert_mem_eq(data, "xyz", 3);
	vec_done(&a);
	vec_done(&b);
}
END_TEST

START_TEST(v9_resume)
{
	struct vec v;

	vec_load(&v, "00001e 00000000 3400 00010000 0002 0102 0000000000000010 0000000000000008");
	ck_assert_uint_eq(v.n, 33);
	ck_assert_int_eq(v.f.type, RS_FRAME_RESUME);
	ck_assert_uint_eq(v.f.resume.major, 1);
	ck_assert_uint_eq(v.f.resume.minor, 0);
	ck_assert(ct_slice_eq(&v.f.resume.token, "\x01\x02", 2));
	ck_assert_uint_eq(v.f.resume.last_server_pos, 0x10);
	ck_assert_uint_eq(v.f.resume.first_client_pos, 0x08);
	vec_done(&v);
}
END_TEST

START_TEST(custom_mime_entry)
{
	uint8_t want[16], out[16];
	size_t n = ct_bytes("04 61 70 70 2f 78 00 00 01 00", want, sizeof(want));
	struct rs_frame_md_it it;
	struct rs_frame_md_entry e;
	struct ct_guard g;

	ct_guard_new(&g, want, n);
	rs_frame_md_it_init(&it, g.p, (uint32_t)n);
	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 1);
	ck_assert(!e.mime.well_known);
	ck_assert_uint_eq(e.mime.str_len, 5);
	ck_assert_mem_eq(e.mime.str, "app/x", 5);
	ck_assert_uint_eq(e.content_len, 1);
	ck_assert_uint_eq(e.content[0], 0);
	ck_assert_int_eq(rs_frame_md_composite_next(&it, &e), 0);
	ck_assert_int_eq(rs_frame_md_composite_add_str(out, sizeof(out), "app/x", 5, "\0", 1),
			 (int)n);
	ck_assert_mem_eq(out, want, n);
	ct_guard_free(&g);
}
END_TEST

START_TEST(java_request_n)
{
	struct vec v;

	vec_load(&v, "00000a00000001200000000005");
	ck_assert_int_eq(v.f.type, RS_FRAME_REQUEST_N);
	ck_assert_uint_eq(v.f.stream_id, 1);
	ck_assert_uint_eq(v.f.request_n, 5);
	vec_done(&v);
}
END_TEST

START_TEST(java_error)
{
	struct vec v;

	vec_load(&v, "00000b000000012c000000020164");
	ck_assert_int_eq(v.f.type, RS_FRAME_ERROR);
	ck_assert_uint_eq(v.f.stream_id, 1);
	ck_assert_uint_eq(v.f.error_code, RS_ERROR_APPLICATION_ERROR);
	SLICE_IS(v.f.data, "d");
	vec_done(&v);
}
END_TEST

START_TEST(java_keepalive)
{
	struct vec v;
	uint8_t out[32];

	vec_load(&v, "00000f000000000c80000000000000000064");
	ck_assert_int_eq(v.f.type, RS_FRAME_KEEPALIVE);
	ck_assert_uint_eq(v.f.flags, RS_FRAME_FLAG_RESPOND);
	ck_assert_uint_eq(v.f.position, 0);
	SLICE_IS(v.f.data, "d");
	ck_assert_int_eq(rs_frame_encode_keepalive(out, sizeof(out), 1, 0, "d", 1), 18);
	ck_assert_mem_eq(out, v.b, 18);
	vec_done(&v);
}
END_TEST

START_TEST(java_request_stream)
{
	struct vec v;
	uint8_t out[32];

	vec_load(&v, "000010000000011900000000010000026d6464");
	ck_assert_int_eq(v.f.type, RS_FRAME_REQUEST_STREAM);
	ck_assert_uint_eq(v.f.flags, RS_FRAME_FLAG_M);
	ck_assert_uint_eq(v.f.request_n, 1);
	SLICE_IS(v.f.metadata, "md");
	SLICE_IS(v.f.data, "d");
	ck_assert_int_eq(rs_frame_encode_request_stream(out, sizeof(out), 1, 0, 1, "md", 2, "d", 1),
			 19);
	ck_assert_mem_eq(out, v.b, 19);
	vec_done(&v);
}
END_TEST

static Suite *
vectors_suite(void)
{
	Suite *s = suite_create("codec_vectors");
	TCase *t = tcase_create("rsocket_md_9");

	tcase_add_test(t, v1_setup);
	tcase_add_test(t, v2_request_response);
	tcase_add_test(t, v3_request_n);
	tcase_add_test(t, v4_payload);
	tcase_add_test(t, v5_keepalive);
	tcase_add_test(t, v6_error);
	tcase_add_test(t, v7_setup_rlm);
	tcase_add_test(t, v8_fragments);
	tcase_add_test(t, v9_resume);
	tcase_add_test(t, custom_mime_entry);
	tcase_add_test(t, java_request_n);
	tcase_add_test(t, java_error);
	tcase_add_test(t, java_keepalive);
	tcase_add_test(t, java_request_stream);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(vectors_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
