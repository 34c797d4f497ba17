/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the router (framework/router): exact and pattern routes, first match by declared
 * order, misses, fallback, routing-tag extraction from composite metadata, and compile errors that
 * name the route and the pattern.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sk/router.h>

static const struct sk_router_route test_router_routes[] = {
	{"echo", "echo", SK_ROUTER_EXACT},	    {"user", "^/user/[0-9]+$", SK_ROUTER_PATTERN},
	{"user-admin", "/user/0", SK_ROUTER_EXACT}, /* shadowed by 'user' (declared first) */
	{"any-user", "^/user/", SK_ROUTER_PATTERN}, {"kv", "kv.get", SK_ROUTER_EXACT},
	{"dotted", "^kv\\.", SK_ROUTER_PATTERN},
};

static struct sk_router *test_router_r;
static struct sk_router_scratch *test_router_s;

static void
test_router_setup(void)
{
	struct sk_router_conf conf = {test_router_routes, 6, "echo"};
	char err[256] = "";

	ck_assert_int_eq(sk_router_create(&conf, &test_router_r, err, sizeof(err)), 0);
	ck_assert_int_eq(sk_router_scratch_alloc(test_router_r, &test_router_s), 0);
}

static void
test_router_teardown(void)
{
	sk_router_scratch_free(test_router_s);
	sk_router_free(test_router_r);
}

static int
test_router_m(const char *tag)
{
	return sk_router_match(test_router_r, test_router_s, tag, strlen(tag));
}

START_TEST(test_router_exact)
{
	ck_assert_int_eq(test_router_m("echo"), 0);
	ck_assert_int_eq(test_router_m("kv.get"), 4);
	/* Exact means byte for byte: prefixes and extensions miss. */
	ck_assert_int_eq(test_router_m("ech"), SK_ROUTER_NO_ROUTE);
	ck_assert_int_eq(test_router_m("echo2"), SK_ROUTER_NO_ROUTE);
	ck_assert_int_eq(test_router_m(""), SK_ROUTER_NO_ROUTE);
}
END_TEST

START_TEST(test_router_pattern)
{
	ck_assert_int_eq(test_router_m("/user/42"), 1);
	ck_assert_int_eq(test_router_m("/user/abc"), 3);
	ck_assert_int_eq(test_router_m("kv.put"), 5);
	ck_assert_int_eq(test_router_m("/users"), SK_ROUTER_NO_ROUTE);
}
END_TEST

START_TEST(test_router_order)
{
	/* '/user/0' is an exact route, but the pattern 'user' is declared before it. */
	ck_assert_int_eq(test_router_m("/user/0"), 1);
	/* 'kv.get' is exact (index 4) and declared before the pattern 'dotted' (5). */
	ck_assert_int_eq(test_router_m("kv.get"), 4);
	/* Two patterns match '/user/7': the earlier one wins. */
	ck_assert_int_eq(test_router_m("/user/7"), 1);
}
END_TEST

START_TEST(test_router_order_reversed)
{
	static const struct sk_router_route rev[] = {
		{"any-user", "^/user/", SK_ROUTER_PATTERN},
		{"user", "^/user/[0-9]+$", SK_ROUTER_PATTERN},
		{"exact", "/user/1", SK_ROUTER_EXACT},
	};
	struct sk_router_conf conf = {rev, 3, NULL};
	struct sk_router *r;
	struct sk_router_scratch *s;

	ck_assert_int_eq(sk_router_create(&conf, &r, NULL, 0), 0);
	ck_assert_int_eq(sk_router_scratch_alloc(r, &s), 0);
	ck_assert_int_eq(sk_router_match(r, s, "/user/1", 7), 0);
	ck_assert_int_eq(sk_router_match(r, s, "/user/12", 8), 0);
	sk_router_scratch_free(s);
	sk_router_free(r);
}
END_TEST

START_TEST(test_router_many_exact)
{
	struct sk_router_route rt[300];
	char names[300][16], texts[300][16];
	struct sk_router_conf conf = {rt, 300, NULL};
	struct sk_router *r;
	struct sk_router_scratch *s;

	for (int i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "r%d", i);
		snprintf(texts[i], sizeof(texts[i]), "/t/%d", i);
		rt[i] = (struct sk_router_route){names[i], texts[i], SK_ROUTER_EXACT};
	}
	ck_assert_int_eq(sk_router_create(&conf, &r, NULL, 0), 0);
	ck_assert_int_eq(sk_router_scratch_alloc(r, &s), 0);
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(sk_router_match(r, s, texts[i], strlen(texts[i])), i);
	ck_assert_int_eq(sk_router_match(r, s, "/t/300", 6), SK_ROUTER_NO_ROUTE);
	ck_assert_int_eq(sk_router_find(r, "r299"), 299);
	ck_assert_str_eq(sk_router_name(r, 7), "r7");
	ck_assert_ptr_null(sk_router_name(r, 300));
	sk_router_scratch_free(s);
	sk_router_free(r);
}
END_TEST

START_TEST(test_router_compile_error)
{
	static const struct sk_router_route bad[] = {
		{"fine", "^ok$", SK_ROUTER_PATTERN},
		{"broken", "([a-z", SK_ROUTER_PATTERN},
	};
	struct sk_router_conf conf = {bad, 2, NULL};
	struct sk_router *r = (struct sk_router *)1;
	char err[256] = "";

	ck_assert_int_eq(sk_router_create(&conf, &r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_msg(strncmp(err, "route 'broken': pattern '([a-z': ", 33) == 0, "got: %s", err);
	/* Hyperscan's own message follows. */
	ck_assert_msg(strlen(err) > 34, "no hs message: %s", err);
}
END_TEST

START_TEST(test_router_conf_errors)
{
	static const struct sk_router_route dup[] = {
		{"a", "x", SK_ROUTER_EXACT},
		{"a", "y", SK_ROUTER_EXACT},
	};
	static const struct sk_router_route one[] = {{"a", "x", SK_ROUTER_EXACT}};
	struct sk_router_conf conf = {dup, 2, NULL};
	struct sk_router *r;
	char err[256] = "";

	ck_assert_int_eq(sk_router_create(&conf, &r, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "route 'a': declared twice");
	conf = (struct sk_router_conf){one, 1, "nope"};
	ck_assert_int_eq(sk_router_create(&conf, &r, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "routes: fallback 'nope' is not a declared route");
}
END_TEST

START_TEST(test_router_metadata)
{
	/* V2 of RSOCKET.md 9: one routing entry, tag "echo". */
	static const uint8_t v2[] = {0xfe, 0, 0, 5, 4, 'e', 'c', 'h', 'o'};
	/* An unknown custom MIME entry first, then routing by MIME string, two tags. */
	static const uint8_t custom[] = {
		0x04, 'a', 'p', 'p', '/', 'x', 0,   0,	 1,   0x00, 27,	 'm', 'e', 's',
		's',  'a', 'g', 'e', '/', 'x', '.', 'r', 's', 'o',  'c', 'k', 'e', 't',
		'.',  'r', 'o', 'u', 't', 'i', 'n', 'g', '.', 'v',  '0', 0,   0,   13,
		8,    '/', 'u', 's', 'e', 'r', '/', '9', '9', 3,    'a', 'b', 'c',
	};
	static const uint8_t none[] = {0x85, 0, 0, 2, '{', '}'};
	static const uint8_t trunc[] = {0xfe, 0, 0, 9, 4, 'e'};
	static const uint8_t badtag[] = {0xfe, 0, 0, 2, 5, 'e'};
	static const uint8_t miss[] = {0xfe, 0, 0, 4, 3, 'n', 'o', 'p'};
	const char *tag;
	size_t tl;

	ck_assert_int_eq(sk_router_tag_from_metadata(v2, sizeof(v2), &tag, &tl), 0);
	ck_assert_uint_eq(tl, 4);
	ck_assert(memcmp(tag, "echo", 4) == 0);
	ck_assert_int_eq(sk_router_tag_from_metadata(custom, sizeof(custom), &tag, &tl), 0);
	ck_assert_uint_eq(tl, 8);
	ck_assert(memcmp(tag, "/user/99", 8) == 0);
	ck_assert_int_eq(sk_router_tag_from_metadata(none, sizeof(none), &tag, &tl), -ENODATA);
	ck_assert_int_eq(sk_router_tag_from_metadata(trunc, sizeof(trunc), &tag, &tl), -EBADMSG);
	ck_assert_int_eq(sk_router_tag_from_metadata(badtag, sizeof(badtag), &tag, &tl), -EBADMSG);

	ck_assert_int_eq(
		sk_router_match_metadata(test_router_r, test_router_s, v2, sizeof(v2), &tag, &tl),
		0);
	ck_assert_int_eq(sk_router_match_metadata(test_router_r, test_router_s, custom,
						  sizeof(custom), &tag, &tl),
			 1);
	/* No routing entry, or no metadata at all: the fallback ('echo'). */
	ck_assert_int_eq(sk_router_match_metadata(test_router_r, test_router_s, none, sizeof(none),
						  &tag, &tl),
			 0);
	ck_assert_ptr_null(tag);
	ck_assert_int_eq(sk_router_match_metadata(test_router_r, test_router_s, NULL, 0, &tag, &tl),
			 0);
	/* A tag that matches nothing: a miss naming the tag, never the fallback. */
	ck_assert_int_eq(sk_router_match_metadata(test_router_r, test_router_s, miss, sizeof(miss),
						  &tag, &tl),
			 SK_ROUTER_NO_ROUTE);
	ck_assert_uint_eq(tl, 3);
	ck_assert(memcmp(tag, "nop", 3) == 0);
}
END_TEST

START_TEST(test_router_no_fallback)
{
	static const struct sk_router_route one[] = {{"a", "x", SK_ROUTER_EXACT}};
	struct sk_router_conf conf = {one, 1, NULL};
	struct sk_router *r;
	struct sk_router_scratch *s;

	ck_assert_int_eq(sk_router_create(&conf, &r, NULL, 0), 0);
	ck_assert_int_eq(sk_router_scratch_alloc(r, &s), 0);
	ck_assert_int_eq(sk_router_match_metadata(r, s, NULL, 0, NULL, NULL), SK_ROUTER_NO_TAG);
	/* No pattern routes: no database, and matching still works without one. */
	ck_assert_int_eq(sk_router_match(r, s, "x", 1), 0);
	ck_assert_int_eq(sk_router_match(r, s, "y", 1), SK_ROUTER_NO_ROUTE);
	sk_router_scratch_free(s);
	sk_router_free(r);
}
END_TEST

static Suite *
test_router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("router");

	tcase_add_checked_fixture(tc, test_router_setup, test_router_teardown);
	tcase_add_test(tc, test_router_exact);
	tcase_add_test(tc, test_router_pattern);
	tcase_add_test(tc, test_router_order);
	tcase_add_test(tc, test_router_order_reversed);
	tcase_add_test(tc, test_router_many_exact);
	tcase_add_test(tc, test_router_compile_error);
	tcase_add_test(tc, test_router_conf_errors);
	tcase_add_test(tc, test_router_metadata);
	tcase_add_test(tc, test_router_no_fallback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(test_router_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
