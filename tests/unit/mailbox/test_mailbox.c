/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mailbox tests on a real runtime with two worker lcores (EAL --no-huge, once per binary; each test
 * creates and destroys its own runtime, and its teardown checks every pool is back to zero in use):
 *  - 10 million requests from core 0 to core 1 (and 1 million the other way at the same time): none
 *    lost, each side sees them in submission order, every reply runs on the calling core with the
 *    right result, in order;
 *  - backpressure: with the destination held busy, submit accepts exactly ring capacity + stage and
 *    then returns -ENOBUFS; once released, every accepted message runs and replies;
 *  - submission to oneself runs in the next mailbox phase, not synchronously; bad arguments fail;
 *  - a stop request while messages are in flight still delivers every reply before run returns.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include <dp/pool.h>
#include <sk/config.h>
#include <sk/mbox.h>
#include <sk/runtime.h>

static struct sk_config tm_cfg;
static struct sk_runtime *tm_rt;

/* Shared test state: each field written by one core only (or before/after the run). */
struct tm_side {
	uint64_t to_send;      /**< requests this core submits */
	uint64_t next_seq;     /**< next sequence number to submit */
	uint64_t run_expect;   /**< next sequence expected in a request from the other core */
	uint64_t reply_expect; /**< next sequence expected in a reply */
	uint64_t replies;
	uint64_t errors;  /**< any order/core/result violation */
	uint64_t refused; /**< -ENOBUFS seen */
	unsigned peer;
};

static struct tm_side tm_side[2];
static volatile int tm_release; /* backpressure test: lets core 1 drain */
static uint64_t tm_accepted;

static void
tm_setup(void)
{
	tm_rt = NULL;
	memset(tm_side, 0, sizeof(tm_side));
	tm_release = 0;
	tm_accepted = 0;
	ck_assert_int_eq(sk_runtime_create(&tm_cfg, &tm_rt), 0);
	ck_assert_uint_eq(sk_runtime_cores(tm_rt), 2);
}

static void
tm_teardown(void)
{
	/* Fixtures fail on leaks: every core's pool back to zero in use. */
	for (unsigned i = 0; i < sk_runtime_cores(tm_rt); i++)
		ck_assert_uint_eq(dp_pool_in_use(sk_runtime_core(tm_rt, i)->pool), 0);
	sk_runtime_destroy(tm_rt);
	tm_rt = NULL;
}

/* Runs on the destination. arg is the sequence number of the request. */
static uint64_t
tm_request(struct sk_core *c, void *arg)
{
	uint64_t seq = (uint64_t)(uintptr_t)arg;
	struct tm_side *me = &tm_side[c->id];

	if (seq != me->run_expect || rte_lcore_id() != c->lcore || sk_core_self() != c)
		me->errors++;
	me->run_expect = seq + 1;
	return seq * 3 + 1;
}

/* Runs back on the caller. */
static void
tm_reply(struct sk_core *c, void *arg, uint64_t result)
{
	uint64_t seq = (uint64_t)(uintptr_t)arg;
	struct tm_side *me = &tm_side[c->id];

	if (seq != me->reply_expect || result != seq * 3 + 1 || rte_lcore_id() != c->lcore ||
	    sk_core_self() != c)
		me->errors++;
	me->reply_expect = seq + 1;
	me->replies++;
}

/* Submit as many as the mailbox takes this iteration; stop the runtime when all replies are in. */
static unsigned
tm_poll_stream(struct sk_core *c)
{
	struct tm_side *me = &tm_side[c->id];
	unsigned n = 0;

	while (me->next_seq < me->to_send) {
		int rc = sk_mbox_submit(c, me->peer, tm_request, (void *)(uintptr_t)me->next_seq,
					tm_reply);

		if (rc == -ENOBUFS) {
			me->refused++;
			break;
		}
		if (rc != 0) {
			me->errors++;
			break;
		}
		me->next_seq++;
		n++;
	}
	if (c->id == 0 && me->replies == me->to_send && tm_side[1].replies == tm_side[1].to_send)
		sk_runtime_request_stop(c->rt);
	return n;
}

static int
tm_init_peer(struct sk_core *c, void *arg)
{
	(void)arg;
	tm_side[c->id].peer = 1 - c->id;
	return 0;
}

START_TEST(ten_million_in_order)
{
	const struct sk_app app = {
		.name = "stream", .core_init = tm_init_peer, .poll = tm_poll_stream};
	struct sk_stats_snapshot s;
	uint64_t t0;
	int rc;

	tm_side[0].to_send = 10000000;
	tm_side[1].to_send = 1000000;
	sk_runtime_set_app(tm_rt, &app);
	t0 = rte_rdtsc();
	rc = sk_runtime_run(tm_rt, NULL);
	ck_assert_int_eq(rc, 0);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_uint_eq(tm_side[i].errors, 0);
		ck_assert_uint_eq(tm_side[i].next_seq, tm_side[i].to_send);
		ck_assert_uint_eq(tm_side[i].replies, tm_side[i].to_send);
		ck_assert_uint_eq(tm_side[i].reply_expect, tm_side[i].to_send);
		ck_assert_uint_eq(tm_side[1 - i].run_expect, tm_side[i].to_send);
		ck_assert_uint_eq(sk_mbox_pending(sk_runtime_core(tm_rt, i)), 0);
	}
	sk_stats_snapshot(tm_rt, &s);
	ck_assert_uint_eq(s.sum.mbox_sent, 11000000);
	ck_assert_uint_eq(s.sum.mbox_run, 11000000);
	ck_assert_uint_eq(s.sum.mbox_replies, 11000000);
	ck_assert_uint_eq(s.sum.drops[SK_DROP_MBOX_STOP], 0);
	ck_assert_uint_eq(s.sum.mbox_full, tm_side[0].refused + tm_side[1].refused);
	printf("mailbox: 11M messages with replies in %.2f s (%llu refused with -ENOBUFS)\n",
	       (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz(),
	       (unsigned long long)s.sum.mbox_full);
}
END_TEST

/* Core 0 fills the path to core 1, which is held in its poll hook (before its mailbox phase). */
static unsigned
tm_poll_fill(struct sk_core *c)
{
	struct tm_side *me = &tm_side[c->id];

	if (c->id == 1) {
		uint64_t deadline = rte_rdtsc() + 10 * rte_get_tsc_hz();

		while (!tm_release && rte_rdtsc() < deadline)
			rte_pause();
		if (!tm_release)
			me->errors++;
		return 0;
	}
	if (!tm_release) {
		int rc;

		while ((rc = sk_mbox_submit(c, 1, tm_request, (void *)(uintptr_t)me->next_seq,
					    tm_reply)) == 0)
			me->next_seq++;
		if (rc != -ENOBUFS)
			me->errors++;
		/* Still full on a second try: backpressure holds, nothing was dropped. */
		if (sk_mbox_submit(c, 1, tm_request, NULL, tm_reply) != -ENOBUFS)
			me->errors++;
		tm_accepted = me->next_seq;
		tm_release = 1;
		return 1;
	}
	if (me->replies == tm_accepted)
		sk_runtime_request_stop(c->rt);
	return 0;
}

START_TEST(backpressure_no_loss)
{
	const struct sk_app app = {.name = "fill", .poll = tm_poll_fill};
	struct sk_stats_snapshot s;

	sk_runtime_set_app(tm_rt, &app);
	ck_assert_int_eq(sk_runtime_run(tm_rt, NULL), 0);
	ck_assert_uint_eq(tm_side[0].errors, 0);
	ck_assert_uint_eq(tm_side[1].errors, 0);
	/* Ring of 1024 slots holds 1023, plus one full stage. */
	ck_assert_uint_eq(tm_accepted, tm_cfg.workers.mailbox_ring - 1 + SK_MBOX_STAGE);
	ck_assert_uint_eq(tm_side[1].run_expect, tm_accepted);
	ck_assert_uint_eq(tm_side[0].replies, tm_accepted);
	sk_stats_snapshot(tm_rt, &s);
	ck_assert_uint_ge(s.sum.mbox_full, 2);
	ck_assert_uint_eq(s.sum.mbox_sent, tm_accepted);
}
END_TEST

static uint64_t tm_self_ran, tm_self_replied;

static uint64_t
tm_self_fn(struct sk_core *c, void *arg)
{
	if (arg != c)
		tm_side[c->id].errors++;
	tm_self_ran++;
	return 42;
}

static void
tm_self_reply(struct sk_core *c, void *arg, uint64_t result)
{
	if (arg != c || result != 42 || tm_self_ran != 1)
		tm_side[c->id].errors++;
	tm_self_replied++;
	sk_runtime_request_stop(c->rt);
}

static unsigned
tm_poll_self(struct sk_core *c)
{
	if (c->id != 0 || tm_side[0].next_seq != 0)
		return 0;
	tm_side[0].next_seq = 1;
	if (sk_mbox_submit(c, 2, tm_self_fn, c, NULL) != -EINVAL ||
	    sk_mbox_submit(c, 0, NULL, c, NULL) != -EINVAL)
		tm_side[0].errors++;
	if (sk_mbox_submit(c, 0, tm_self_fn, c, tm_self_reply) != 0)
		tm_side[0].errors++;
	if (tm_self_ran != 0 || sk_mbox_pending(c) != 1) /* not run synchronously */
		tm_side[0].errors++;
	return 1;
}

START_TEST(self_and_bad_args)
{
	const struct sk_app app = {.name = "self", .poll = tm_poll_self};

	tm_self_ran = tm_self_replied = 0;
	sk_runtime_set_app(tm_rt, &app);
	ck_assert_int_eq(sk_runtime_run(tm_rt, NULL), 0);
	ck_assert_uint_eq(tm_side[0].errors, 0);
	ck_assert_uint_eq(tm_self_ran, 1);
	ck_assert_uint_eq(tm_self_replied, 1);
}
END_TEST

/* Stop requested by the main thread while both cores stream: run returns only once every reply
 * arrived (the drain waits for pending replies), and it returns 0 well within the bound. */
static unsigned
tm_poll_until_stopped(struct sk_core *c)
{
	struct tm_side *me = &tm_side[c->id];
	unsigned n = 0;

	if (c->stopping)
		return 0; /* stop accepting: no new requests */
	while (n < 256 && sk_mbox_submit(c, me->peer, tm_request, (void *)(uintptr_t)me->next_seq,
					 tm_reply) == 0) {
		me->next_seq++;
		n++;
	}
	return n;
}

static void
tm_tick_stop(struct sk_runtime *rt, void *arg)
{
	unsigned *ticks = arg;

	if (++*ticks == 3)
		sk_runtime_request_stop(rt);
}

START_TEST(stop_drains_in_flight)
{
	const struct sk_app app = {
		.name = "drain", .core_init = tm_init_peer, .poll = tm_poll_until_stopped};
	unsigned ticks = 0;
	uint64_t t0;

	sk_runtime_set_app(tm_rt, &app);
	t0 = rte_rdtsc();
	ck_assert_int_eq(sk_runtime_run(tm_rt, &(struct sk_run_opts){.tick = tm_tick_stop,
								     .tick_arg = &ticks,
								     .tick_ms = 100}),
			 0);
	ck_assert_uint_lt(rte_rdtsc() - t0, 5 * rte_get_tsc_hz());
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_uint_gt(tm_side[i].next_seq, 0);
		ck_assert_uint_eq(tm_side[i].errors, 0);
		ck_assert_uint_eq(tm_side[i].replies, tm_side[i].next_seq);
		ck_assert_uint_eq(tm_side[1 - i].run_expect, tm_side[i].next_seq);
	}
}
END_TEST

static Suite *
tm_suite(void)
{
	Suite *s = suite_create("mailbox");
	TCase *t = tcase_create("mailbox");

	tcase_add_checked_fixture(t, tm_setup, tm_teardown);
	tcase_set_timeout(t, 240);
	tcase_add_test(t, ten_million_in_order);
	tcase_add_test(t, backpressure_no_loss);
	tcase_add_test(t, self_and_bad_args);
	tcase_add_test(t, stop_drains_in_flight);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	struct sk_config_err err = {0};
	SRunner *sr;
	int failed;

	/* Two workers on CPUs 0 and 1 (the control thread shares CPU 0), no hugepages, no files. */
	sk_config_init(&tm_cfg);
	if (sk_config_set(&tm_cfg, "workers", "lcores", "0-1", &err) != 0 ||
	    sk_config_set(&tm_cfg, "workers", "idle", "adaptive", &err) != 0 ||
	    sk_config_set(&tm_cfg, "eal", "no_huge", "yes", &err) != 0 ||
	    sk_config_set(&tm_cfg, "eal", "memory_mb", "128", &err) != 0 ||
	    sk_config_set(&tm_cfg, "eal", "telemetry", "no", &err) != 0 ||
	    sk_config_set(&tm_cfg, "eal", "file_prefix", "tmbox", &err) != 0 ||
	    sk_config_set(&tm_cfg, "limits", "stop_timeout_ms", "5000", &err) != 0 ||
	    sk_config_set(&tm_cfg, "limits", "mbufs_per_core", "512", &err) != 0) {
		fprintf(stderr, "%s", err.msg);
		return 1;
	}
	if (sk_eal_start(&tm_cfg, 0, NULL, NULL, 0) != 0) {
		fprintf(stderr, "EAL start failed\n");
		return 1;
	}
	sr = srunner_create(tm_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sk_eal_stop();
	return failed == 0 ? 0 : 1;
}
