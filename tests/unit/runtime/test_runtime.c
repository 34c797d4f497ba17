/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runtime tests on two worker lcores (EAL --no-huge once per binary; each test makes and destroys
 * its own runtime, and teardown checks every pool is back to zero in use):
 *  - the injectable clock drives each core's timer wheel: a timer fires only once the fake clock
 *    passes its expiry, on its own core;
 *  - app hooks: core_init on every core before any poll, stop_accepting once, drained polled until
 *    true, core_fini once, all on the right lcore;
 *  - a failing core_init aborts the run with its error, and the cores that did init get fini;
 *  - adaptive idle sleeps and counts cycles as idle; poll never sleeps;
 *  - per-core jemalloc arenas: sk_core_alloc/zalloc/free on the core;
 *  - the per-core mbuf pools are on the core's socket and sized by the rule;
 *  - busy + idle cycles cover the run; sk_stats_format_line produces the summary;
 *  - a configured port (net_null) is opened with one queue per core, and with no stack attached
 *    every received packet is counted and dropped as no_stack, and the mbufs come back.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jemalloc/jemalloc.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <dp/pool.h>
#include <dp/timer.h>
#include <sk/config.h>
#include <sk/mbox.h>
#include <sk/runtime.h>

static struct sk_config tr_cfg;
static struct sk_runtime *tr_rt;

struct tr_core {
	unsigned inits, polls_before_all_init, polls, stops, drained_calls, finis;
	unsigned wrong_lcore;
	struct dp_timer timer;
	uint64_t fired_at_us;
	unsigned fired;
	void *mem[4];
};

static struct tr_core tr_core[2];
static unsigned tr_inits_done;
static volatile uint64_t tr_fake_us;

static void
tr_setup(void)
{
	memset(tr_core, 0, sizeof(tr_core));
	tr_inits_done = 0;
	tr_fake_us = 0;
	ck_assert_int_eq(sk_runtime_create(&tr_cfg, &tr_rt), 0);
}

static void
tr_teardown(void)
{
	for (unsigned i = 0; i < sk_runtime_cores(tr_rt); i++)
		ck_assert_uint_eq(dp_pool_in_use(sk_runtime_core(tr_rt, i)->pool), 0);
	sk_runtime_destroy(tr_rt);
}

static uint64_t
tr_fake_clock(void *ctx)
{
	(void)ctx;
	return __atomic_load_n(&tr_fake_us, __ATOMIC_ACQUIRE);
}

static void
tr_timer_cb(struct dp_timer *t, void *arg)
{
	struct sk_core *c = arg;
	struct tr_core *tc = &tr_core[c->id];

	(void)t;
	tc->fired++;
	tc->fired_at_us = c->now_us;
	if (rte_lcore_id() != c->lcore)
		tc->wrong_lcore++;
}

static int
tr_init_timer(struct sk_core *c, void *arg)
{
	(void)arg;
	dp_timer_init(&tr_core[c->id].timer, tr_timer_cb, c);
	/* core 0 at fake 1000 us, core 1 at 5000 us */
	dp_timer_arm(c->wheel, &tr_core[c->id].timer, c->id == 0 ? 1000 : 5000);
	return 0;
}

static void
tr_fini_timer(struct sk_core *c)
{
	dp_timer_cancel(c->wheel, &tr_core[c->id].timer);
}

/* Main-thread tick: walks the fake clock forward and checks what fired at each step. */
struct tr_steps {
	unsigned tick;
	unsigned bad;
};

static void
tr_settle(void)
{
	/* Let each core run a few iterations at the current fake time. */
	uint64_t loops0 = SK_STAT_GET(sk_runtime_core(tr_rt, 0), loops);
	uint64_t loops1 = SK_STAT_GET(sk_runtime_core(tr_rt, 1), loops);
	uint64_t deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();

	while ((SK_STAT_GET(sk_runtime_core(tr_rt, 0), loops) < loops0 + 3 ||
		SK_STAT_GET(sk_runtime_core(tr_rt, 1), loops) < loops1 + 3) &&
	       rte_rdtsc() < deadline)
		rte_delay_us_sleep(100);
}

static void
tr_tick_clock(struct sk_runtime *rt, void *arg)
{
	struct tr_steps *s = arg;
	unsigned f0, f1;

	switch (s->tick++) {
	case 0:
		tr_fake_us = 999;
		tr_settle();
		f0 = __atomic_load_n(&tr_core[0].fired, __ATOMIC_ACQUIRE);
		f1 = __atomic_load_n(&tr_core[1].fired, __ATOMIC_ACQUIRE);
		s->bad += f0 != 0 || f1 != 0;
		break;
	case 1:
		tr_fake_us = 1000;
		tr_settle();
		f0 = __atomic_load_n(&tr_core[0].fired, __ATOMIC_ACQUIRE);
		f1 = __atomic_load_n(&tr_core[1].fired, __ATOMIC_ACQUIRE);
		s->bad += f0 != 1 || f1 != 0;
		break;
	case 2:
		tr_fake_us = 4999;
		tr_settle();
		f1 = __atomic_load_n(&tr_core[1].fired, __ATOMIC_ACQUIRE);
		s->bad += f1 != 0;
		break;
	case 3:
		tr_fake_us = 7000;
		tr_settle();
		f1 = __atomic_load_n(&tr_core[1].fired, __ATOMIC_ACQUIRE);
		s->bad += f1 != 1;
		sk_runtime_request_stop(rt);
		break;
	default:
		break;
	}
}

START_TEST(fake_clock_drives_timers)
{
	const struct sk_app app = {
		.name = "timers", .core_init = tr_init_timer, .core_fini = tr_fini_timer};
	struct tr_steps steps = {0};

	sk_runtime_set_clock(tr_rt, tr_fake_clock, NULL);
	sk_runtime_set_app(tr_rt, &app);
	ck_assert_int_eq(sk_runtime_run(tr_rt, &(struct sk_run_opts){.tick = tr_tick_clock,
								     .tick_arg = &steps,
								     .tick_ms = 100}),
			 0);
	ck_assert_uint_eq(steps.bad, 0);
	ck_assert_uint_ge(steps.tick, 4);
	ck_assert_uint_eq(tr_core[0].fired, 1);
	ck_assert_uint_eq(tr_core[0].fired_at_us, 1000);
	ck_assert_uint_eq(tr_core[1].fired, 1);
	ck_assert_uint_eq(tr_core[1].fired_at_us, 7000);
	ck_assert_uint_eq(tr_core[0].wrong_lcore + tr_core[1].wrong_lcore, 0);
}
END_TEST

/* ---- hooks ----------------------------------------------------------------------------------- */

static int
tr_init_hooks(struct sk_core *c, void *arg)
{
	struct tr_core *tc = &tr_core[c->id];

	if (arg != &tr_core[0] || sk_core_self() != c || rte_lcore_id() != c->lcore)
		tc->wrong_lcore++;
	tc->inits++;
	c->app_ctx = tc;
	/* Arena allocations, on the core. */
	tc->mem[0] = sk_core_alloc(c, 100);
	tc->mem[1] = sk_core_zalloc(c, 4096);
	tc->mem[2] = sk_core_alloc(c, 0);
	if (tc->mem[0] == NULL || tc->mem[1] == NULL || tc->mem[2] == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < 4096; i++)
		if (((unsigned char *)tc->mem[1])[i] != 0)
			return -EINVAL;
	/* mallocx really used this core's arena. */
	{
		unsigned arena = UINT32_MAX;
		size_t sz = sizeof(arena);
		void *p = tc->mem[0];

		if (mallctl("arenas.lookup", &arena, &sz, &p, sizeof(p)) != 0 || arena != c->arena)
			return -EFAULT;
	}
	__atomic_add_fetch(&tr_inits_done, 1, __ATOMIC_ACQ_REL);
	return 0;
}

static unsigned
tr_poll_hooks(struct sk_core *c)
{
	struct tr_core *tc = c->app_ctx;

	if (__atomic_load_n(&tr_inits_done, __ATOMIC_ACQUIRE) != 2)
		tc->polls_before_all_init++;
	tc->polls++;
	if (c->id == 0 && tc->polls == 1000)
		sk_runtime_request_stop(c->rt);
	return 0;
}

static void
tr_stop_hooks(struct sk_core *c)
{
	struct tr_core *tc = c->app_ctx;

	if (rte_lcore_id() != c->lcore)
		tc->wrong_lcore++;
	tc->stops++;
}

static bool
tr_drained_hooks(struct sk_core *c)
{
	struct tr_core *tc = c->app_ctx;

	return ++tc->drained_calls >= 5; /* "in-flight work" for five iterations */
}

static void
tr_fini_hooks(struct sk_core *c)
{
	struct tr_core *tc = c->app_ctx;

	if (rte_lcore_id() != c->lcore)
		tc->wrong_lcore++;
	tc->finis++;
	for (unsigned i = 0; i < 4; i++)
		sk_core_free(c, tc->mem[i]); /* mem[3] is NULL: a no-op */
}

START_TEST(app_hooks_in_order)
{
	const struct sk_app app = {.name = "hooks",
				   .core_init = tr_init_hooks,
				   .poll = tr_poll_hooks,
				   .stop_accepting = tr_stop_hooks,
				   .drained = tr_drained_hooks,
				   .core_fini = tr_fini_hooks,
				   .arg = &tr_core[0]};

	sk_runtime_set_app(tr_rt, &app);
	ck_assert_int_eq(sk_runtime_run(tr_rt, NULL), 0);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_uint_eq(tr_core[i].inits, 1);
		ck_assert_uint_eq(tr_core[i].polls_before_all_init, 0);
		ck_assert_uint_gt(tr_core[i].polls, 0);
		ck_assert_uint_eq(tr_core[i].stops, 1);
		ck_assert_uint_ge(tr_core[i].drained_calls, 5);
		ck_assert_uint_eq(tr_core[i].finis, 1);
		ck_assert_uint_eq(tr_core[i].wrong_lcore, 0);
	}
}
END_TEST

static int
tr_init_fail(struct sk_core *c, void *arg)
{
	(void)arg;
	tr_core[c->id].inits++;
	return c->id == 1 ? -EADDRINUSE : 0;
}

static void
tr_fini_count(struct sk_core *c)
{
	tr_core[c->id].finis++;
}

START_TEST(init_failure_aborts)
{
	const struct sk_app app = {.name = "fail",
				   .core_init = tr_init_fail,
				   .poll = tr_poll_hooks,
				   .core_fini = tr_fini_count};

	sk_runtime_set_app(tr_rt, &app);
	ck_assert_int_eq(sk_runtime_run(tr_rt, NULL), -EADDRINUSE);
	ck_assert_uint_eq(tr_core[0].inits, 1);
	ck_assert_uint_eq(tr_core[1].inits, 1);
	ck_assert_uint_eq(tr_core[0].polls, 0);
	ck_assert_uint_eq(tr_core[0].finis, 1); /* initialised: gets fini */
	ck_assert_uint_eq(tr_core[1].finis, 0); /* failed its init: no fini */
}
END_TEST

/* ---- idle policy and accounting ------------------------------------------------------------- */

static void
tr_tick_stop_after(struct sk_runtime *rt, void *arg)
{
	unsigned *n = arg;

	if (++*n == 3)
		sk_runtime_request_stop(rt);
}

START_TEST(adaptive_idle_sleeps)
{
	struct sk_stats_snapshot a, b;
	unsigned n = 0;
	char line[512];
	uint64_t cycles;

	sk_stats_snapshot(tr_rt, &a);
	ck_assert_int_eq(sk_runtime_run(tr_rt, &(struct sk_run_opts){.tick = tr_tick_stop_after,
								     .tick_arg = &n,
								     .tick_ms = 100}),
			 0);
	sk_stats_snapshot(tr_rt, &b);
	/* ~300 ms idle with 500 us sleeps: up to ~600 sleeps per core (fewer on a loaded machine),
	 * and few loops. */
	ck_assert_uint_gt(b.sum.sleeps, 50);
	ck_assert_uint_lt(b.sum.loops, 200000);
	ck_assert_uint_eq(b.sum.busy_loops, 0);
	/* Cycles charged cover the run (2 cores x >= 300 ms), all idle. */
	cycles = b.sum.busy_cycles + b.sum.idle_cycles;
	ck_assert_uint_gt(cycles, 2 * rte_get_tsc_hz() / 4);
	ck_assert_uint_eq(b.sum.busy_cycles, 0);
	sk_stats_format_line(tr_rt, &a, &b, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "cores 2"));
	ck_assert_ptr_nonnull(strstr(line, "busy 0.0%"));
}
END_TEST

START_TEST(poll_never_sleeps)
{
	struct sk_config_err err = {0};
	struct sk_stats_snapshot b;
	unsigned n = 0;

	sk_runtime_destroy(tr_rt);
	ck_assert_int_eq(sk_config_set(&tr_cfg, "workers", "idle", "poll", &err), 0);
	ck_assert_int_eq(sk_runtime_create(&tr_cfg, &tr_rt), 0);
	ck_assert_int_eq(sk_runtime_run(tr_rt, &(struct sk_run_opts){.tick = tr_tick_stop_after,
								     .tick_arg = &n,
								     .tick_ms = 100}),
			 0);
	ck_assert_int_eq(sk_config_set(&tr_cfg, "workers", "idle", "adaptive", &err), 0);
	sk_stats_snapshot(tr_rt, &b);
	ck_assert_uint_eq(b.sum.sleeps, 0);
	/* Spinning for ~300 ms: far more iterations than the adaptive run's few hundred sleeps. */
	ck_assert_uint_gt(b.sum.loops, 10000);
}
END_TEST

START_TEST(pools_per_core)
{
	const struct sk_config *cfg = sk_runtime_config(tr_rt);
	struct dp_pool_sizing s = {.burst = 32,
				   .in_flight = cfg->limits.mbufs_per_core,
				   .cache = cfg->limits.mbuf_cache};

	for (unsigned i = 0; i < 2; i++) {
		struct sk_core *c = sk_runtime_core(tr_rt, i);

		ck_assert_ptr_nonnull(c->pool);
		ck_assert_ptr_nonnull(c->wheel);
		ck_assert_uint_eq(c->id, i);
		ck_assert_uint_eq(c->lcore, i + 1);
		ck_assert_int_eq(c->socket, (int)rte_lcore_to_socket_id(c->lcore));
		ck_assert(c->pool->socket_id == c->socket || c->pool->socket_id == SOCKET_ID_ANY);
		ck_assert_uint_eq(c->pool->size, dp_pool_count(&s));
		ck_assert_uint_eq(dp_pool_avail(c->pool), c->pool->size);
		ck_assert_uint_eq(sk_mbox_cores(c), 2);
	}
	ck_assert_ptr_eq(sk_runtime_core(tr_rt, 2), NULL);
	ck_assert_ptr_eq(sk_core_self(), NULL); /* the main thread is not a worker */
}
END_TEST

/* A net_null port (hot-plugged by dp_port_open) with no stack attached: each core owns one queue,
 * the rx phase drains it and counts every packet as received and dropped (no_stack); at teardown
 * every mbuf is back in the pools (the fixture checks). */
START_TEST(port_without_stack_drains)
{
	static struct sk_config cfg;
	struct sk_config_err err = {0};
	struct sk_runtime *rt = NULL;
	struct sk_stats_snapshot s;
	unsigned n = 0;

	sk_config_init(&cfg);
	ck_assert_int_eq(sk_config_set(&cfg, "workers", "lcores", "0-1", &err), 0);
	ck_assert_int_eq(sk_config_set(&cfg, "limits", "mbufs_per_core", "512", &err), 0);
	ck_assert_int_eq(sk_config_set(&cfg, "port.0", "ipv4", "198.18.0.2", &err), 0);
	ck_assert_int_eq(sk_config_set(&cfg, "port.0", "dev", "net_null0", &err), 0);
	ck_assert_msg(err.count == 0, "%s", err.msg);
	ck_assert_uint_eq(cfg.n_ports, 1);
	ck_assert_uint_eq(cfg.ports[0].queues, 2);

	/* The fixture's runtime must go first: one runtime at a time. */
	sk_runtime_destroy(tr_rt);
	ck_assert_int_eq(sk_runtime_create(&cfg, &rt), 0);
	tr_rt = rt; /* the fixture's teardown checks the pools and destroys it */
	ck_assert_uint_eq(sk_runtime_ports(rt), 1);
	ck_assert_ptr_nonnull(sk_runtime_port(rt, 0));
	ck_assert_ptr_null(sk_runtime_port(rt, 1));
	for (unsigned i = 0; i < 2; i++) {
		struct sk_core *c = sk_runtime_core(rt, i);

		ck_assert_uint_eq(c->n_rxq, 1);
		ck_assert_uint_eq(c->rxq[0].queue, i);
		ck_assert_uint_eq(c->rxq[0].port_id, sk_runtime_port(rt, 0)->port_id);
		ck_assert_uint_eq(sk_runtime_port(rt, 0)->queue_lcore[i], c->lcore);
	}
	ck_assert_int_eq(sk_runtime_run(rt, &(struct sk_run_opts){.tick = tr_tick_stop_after,
								  .tick_arg = &n,
								  .tick_ms = 100}),
			 0);
	sk_stats_snapshot(rt, &s);
	ck_assert_uint_gt(s.sum.rx_pkts, 1000);
	ck_assert_uint_eq(s.sum.drops[SK_DROP_NO_STACK], s.sum.rx_pkts);
	ck_assert_uint_eq(s.sum.rx_bytes, 64 * s.sum.rx_pkts); /* net_null's default size */
	for (unsigned i = 0; i < 2; i++)
		ck_assert_uint_gt(SK_STAT_GET(sk_runtime_core(rt, i), rx_pkts), 0);
}
END_TEST

static Suite *
tr_suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *t = tcase_create("runtime");

	tcase_add_checked_fixture(t, tr_setup, tr_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, fake_clock_drives_timers);
	tcase_add_test(t, app_hooks_in_order);
	tcase_add_test(t, init_failure_aborts);
	tcase_add_test(t, adaptive_idle_sleeps);
	tcase_add_test(t, poll_never_sleeps);
	tcase_add_test(t, pools_per_core);
	tcase_add_test(t, port_without_stack_drains);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	struct sk_config_err err = {0};
	SRunner *sr;
	int failed;

	sk_config_init(&tr_cfg);
	if (sk_config_set(&tr_cfg, "workers", "lcores", "0-1", &err) != 0 ||
	    sk_config_set(&tr_cfg, "workers", "idle", "adaptive", &err) != 0 ||
	    sk_config_set(&tr_cfg, "workers", "idle_spin_polls", "16", &err) != 0 ||
	    sk_config_set(&tr_cfg, "workers", "idle_max_sleep_us", "500", &err) != 0 ||
	    sk_config_set(&tr_cfg, "eal", "no_huge", "yes", &err) != 0 ||
	    sk_config_set(&tr_cfg, "eal", "memory_mb", "128", &err) != 0 ||
	    sk_config_set(&tr_cfg, "eal", "telemetry", "no", &err) != 0 ||
	    sk_config_set(&tr_cfg, "eal", "file_prefix", "trt", &err) != 0 ||
	    sk_config_set(&tr_cfg, "limits", "mbufs_per_core", "512", &err) != 0) {
		fprintf(stderr, "%s", err.msg);
		return 1;
	}
	if (sk_eal_start(&tr_cfg, 0, NULL, NULL, 0) != 0) {
		fprintf(stderr, "EAL start failed\n");
		return 1;
	}
	sr = srunner_create(tr_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sk_eal_stop();
	return failed == 0 ? 0 : 1;
}
