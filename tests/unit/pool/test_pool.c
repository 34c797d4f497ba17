/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the per-core mbuf pools (dataplane/pool): the sizing rule of DPDK.md 13.3 (sum,
 * 1.5 x cache, rounding to 2^q - 1, the upper limit), creation on a socket, argument errors, and
 * the in-use / available counts telemetry exports. EAL --no-huge once per binary; every pool made
 * is freed with nothing in use.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <dp/pool.h>

#include "../../common/sk_test_eal.h"

START_TEST(sizing_rule)
{
	struct dp_pool_sizing s = {
		.rxd = 1024, .txd = 1024, .burst = 32, .in_flight = 2048, .cache = 256};

	/* 1024 + 1024 + 64 + 2048 + 384 = 4544 -> 8191 */
	ck_assert_uint_eq(dp_pool_count(&s), 8191);
	s = (struct dp_pool_sizing){.in_flight = 1023};
	ck_assert_uint_eq(dp_pool_count(&s), 1023); /* already 2^q - 1 */
	s.in_flight = 1024;
	ck_assert_uint_eq(dp_pool_count(&s), 2047);
	s = (struct dp_pool_sizing){.cache = 1}; /* ceil(1.5) = 2 -> 3 */
	ck_assert_uint_eq(dp_pool_count(&s), 3);
	s = (struct dp_pool_sizing){0};
	ck_assert_uint_eq(dp_pool_count(&s), 1);
	s = (struct dp_pool_sizing){.in_flight = DP_POOL_MAX_COUNT};
	ck_assert_uint_eq(dp_pool_count(&s), DP_POOL_MAX_COUNT);
	s.rxd = 1;
	ck_assert_uint_eq(dp_pool_count(&s), 0); /* too large */
	/* The mempool constraint 1.5 x cache <= n always holds. */
	for (uint32_t c = 0; c <= 512; c += 32) {
		s = (struct dp_pool_sizing){.cache = c};
		ck_assert_uint_ge(dp_pool_count(&s), c * 3 / 2);
	}
}
END_TEST

START_TEST(create_count_free)
{
	struct dp_pool_sizing s = {
		.rxd = 128, .txd = 128, .burst = 32, .in_flight = 100, .cache = 32};
	struct rte_mempool *mp =
		dp_pool_create("tp_a", &s, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	struct rte_mbuf *m[40];

	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->size, 511); /* 128 + 128 + 64 + 100 + 48 = 468 -> 511 */
	ck_assert_uint_eq(dp_pool_in_use(mp), 0);
	ck_assert_uint_eq(dp_pool_avail(mp), 511);
	ck_assert_uint_eq(rte_pktmbuf_data_room_size(mp), RTE_MBUF_DEFAULT_BUF_SIZE);
	ck_assert_int_eq(rte_pktmbuf_alloc_bulk(mp, m, 40), 0);
	ck_assert_uint_eq(dp_pool_in_use(mp), 40);
	ck_assert_uint_eq(dp_pool_avail(mp), 471);
	rte_pktmbuf_free_bulk(m, 40);
	ck_assert_uint_eq(dp_pool_in_use(mp), 0);
	/* Same name again: refused. */
	ck_assert_ptr_null(dp_pool_create("tp_a", &s, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY));
	ck_assert_int_eq(rte_errno, EEXIST);
	dp_pool_free(mp);
	dp_pool_free(NULL);
}
END_TEST

START_TEST(bad_arguments)
{
	struct dp_pool_sizing s = {.in_flight = 100, .cache = 513};

	ck_assert_ptr_null(dp_pool_create("tp_b", &s, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY));
	ck_assert_int_eq(rte_errno, EINVAL);
	s.cache = 0;
	ck_assert_ptr_null(dp_pool_create("tp_b", &s, 64, SOCKET_ID_ANY)); /* < headroom */
	ck_assert_int_eq(rte_errno, EINVAL);
	ck_assert_ptr_null(dp_pool_create(NULL, &s, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY));
	s.in_flight = DP_POOL_MAX_COUNT + 1;
	ck_assert_ptr_null(dp_pool_create("tp_b", &s, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY));
	ck_assert_int_eq(rte_errno, EINVAL);
}
END_TEST

int
main(void)
{
	char prefix[4096];
	char *eal[] = {"test_pool", "-l",	"0",	       "--no-huge",	 "-m",
		       "128",	    "--no-pci", "--no-shconf", "--no-telemetry", prefix,
		       NULL};
	Suite *s = suite_create("pool");
	TCase *t = tcase_create("pool");
	SRunner *sr;
	int failed;

	snprintf(prefix, sizeof(prefix), "--file-prefix=tpool%d", (int)getpid());
	if (rte_eal_init(10, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	tcase_add_test(t, sizing_rule);
	tcase_add_test(t, create_count_free);
	tcase_add_test(t, bad_arguments);
	suite_add_tcase(s, t);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sk_test_eal_cleanup();
	return failed == 0 ? 0 : 1;
}
