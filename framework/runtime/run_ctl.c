/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main thread's side of a run: launch one worker per core, start them together, call the tick
 * hook every interval, and carry out the graceful stop: RUNNING -> DRAINING (cores stop accepting
 * and finish in-flight work) -> STOP when every core is quiesced and nothing moved for two checks
 * in a row, or when stop_timeout_ms has passed. Then wait for every worker to return.
 */
#include <errno.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <dp/timer.h>

#include "runtime_priv.h"

/* How often the main thread looks at the stop flag and the cores. */
#define SK_RUN_CHECK_US 2000

void
sk_runtime_request_stop(struct sk_runtime *rt)
{
	__atomic_store_n(&rt->stop_requested, 1, __ATOMIC_RELEASE);
}

bool
sk_runtime_stopping(const struct sk_runtime *rt)
{
	return __atomic_load_n(&rt->stop_requested, __ATOMIC_ACQUIRE) != 0;
}

static void
sk_run_sleep_us(uint64_t us)
{
	nanosleep(&(struct timespec){.tv_sec = (time_t)(us / 1000000),
				     .tv_nsec = (long)(us % 1000000) * 1000},
		  NULL);
}

static void
sk_run_set_state(struct sk_runtime *rt, enum sk_run_state s)
{
	__atomic_store_n(&rt->state, (int)s, __ATOMIC_RELEASE);
}

/* Every core quiesced, no message in any ring. @p progress gets the count of mailbox messages sent
 * and run on all cores, so the caller can require two identical readings: no message moved in
 * between (timers may keep firing; they are the cores' own business). */
static bool
sk_run_quiesced(const struct sk_runtime *rt, uint64_t *progress)
{
	bool all = true;
	uint64_t p = 0;

	for (unsigned i = 0; i < rt->n_cores; i++) {
		const struct sk_core *c = rt->cores[i];

		all &= __atomic_load_n(&c->quiesced, __ATOMIC_ACQUIRE);
		p += SK_STAT_GET(c, mbox_sent) + SK_STAT_GET(c, mbox_run);
	}
	*progress = p;
	return all && sk_mbox_queued(rt) == 0;
}

static int
sk_run_launch(struct sk_runtime *rt)
{
	struct dp_timer_wheel_conf wc = {.tick_us = rt->cfg->workers.timer_tick_us};
	uint64_t deadline;

	wc.start_us = sk_runtime_now_us(rt, rte_rdtsc());
	rt->ready = 0;
	rt->init_error = 0;
	sk_run_set_state(rt, SK_RUN_STARTING);
	for (unsigned i = 0; i < rt->n_cores; i++) {
		struct sk_core *c = rt->cores[i];

		c->wheel = dp_timer_wheel_init(c->wheel_mem, &wc);
		c->stopping = false;
		c->quiesced = false;
		c->idle_polls = 0;
	}
	for (unsigned i = 0; i < rt->n_cores; i++) {
		int rc = rte_eal_remote_launch(sk_loop_main, rt->cores[i], rt->cores[i]->lcore);

		if (rc != 0) {
			SK_RT_LOG(ERR, "cannot launch core %u on lcore %u: %d\n", i,
				  rt->cores[i]->lcore, rc);
			sk_run_set_state(rt, SK_RUN_STOP);
			return rc;
		}
	}
	/* core_init hooks are bounded by the app; give them 30 s before calling start-up failed. */
	deadline = rte_rdtsc() + 30 * rt->tsc_hz;
	while (__atomic_load_n(&rt->ready, __ATOMIC_ACQUIRE) < rt->n_cores) {
		if (rte_rdtsc() > deadline) {
			SK_RT_LOG(ERR, "cores did not finish init within 30 s\n");
			sk_run_set_state(rt, SK_RUN_STOP);
			return -ETIMEDOUT;
		}
		sk_run_sleep_us(1000);
	}
	if (rt->init_error != 0) {
		SK_RT_LOG(ERR, "a core's init hook failed: %d\n", rt->init_error);
		sk_run_set_state(rt, SK_RUN_STOP);
		return rt->init_error;
	}
	rt->start_tsc = rte_rdtsc();
	sk_run_set_state(rt, SK_RUN_RUNNING);
	return 0;
}

/* Drain, bounded by stop_timeout_ms. @return 0 drained, -ETIMEDOUT bound reached. */
static int
sk_run_drain(struct sk_runtime *rt, const struct sk_run_opts *opts, uint64_t *next_tick,
	     uint64_t tick_cycles)
{
	uint64_t deadline = rte_rdtsc() + rt->cfg->limits.stop_timeout_ms * rt->tsc_hz / 1000;
	uint64_t prev = UINT64_MAX, now_p;
	unsigned clean = 0;

	SK_RT_LOG(NOTICE, "stopping: draining in-flight work (at most %u ms)\n",
		  rt->cfg->limits.stop_timeout_ms);
	sk_run_set_state(rt, SK_RUN_DRAINING);
	for (;;) {
		uint64_t now = rte_rdtsc();

		if (sk_run_quiesced(rt, &now_p)) {
			clean = now_p == prev ? clean + 1 : 1;
			prev = now_p;
			if (clean >= 2)
				return 0;
		} else {
			clean = 0;
			prev = UINT64_MAX;
		}
		if (now >= deadline)
			return -ETIMEDOUT;
		if (opts->tick != NULL && now >= *next_tick) {
			opts->tick(rt, opts->tick_arg);
			*next_tick = now + tick_cycles;
		}
		sk_run_sleep_us(SK_RUN_CHECK_US / 2);
	}
}

int
sk_runtime_run(struct sk_runtime *rt, const struct sk_run_opts *opts_in)
{
	struct sk_run_opts opts = opts_in != NULL ? *opts_in : (struct sk_run_opts){0};
	uint64_t tick_cycles, next_tick;
	int rc;

	if (opts.tick_ms == 0)
		opts.tick_ms = rt->cfg->stats.interval_ms;
	tick_cycles = (uint64_t)opts.tick_ms * rt->tsc_hz / 1000;
	rc = sk_run_launch(rt);
	if (rc == 0) {
		SK_RT_LOG(INFO, "running %u worker cores\n", rt->n_cores);
		next_tick = rte_rdtsc() + tick_cycles;
		while (!sk_runtime_stopping(rt)) {
			uint64_t now = rte_rdtsc();

			if (opts.tick != NULL && now >= next_tick) {
				opts.tick(rt, opts.tick_arg);
				next_tick = now + tick_cycles;
			}
			sk_run_sleep_us(SK_RUN_CHECK_US);
		}
		rc = sk_run_drain(rt, &opts, &next_tick, tick_cycles);
		if (rc != 0)
			SK_RT_LOG(WARNING,
				  "stop bound of %u ms reached with work in flight; "
				  "closing anyway\n",
				  rt->cfg->limits.stop_timeout_ms);
		sk_run_set_state(rt, SK_RUN_STOP);
	}
	for (unsigned i = 0; i < rt->n_cores; i++)
		(void)rte_eal_wait_lcore(rt->cores[i]->lcore);
	/* A stop requested before the run (a signal during start-up) is honoured above; this one is
	 * done, so a later run starts afresh. */
	__atomic_store_n(&rt->stop_requested, 0, __ATOMIC_RELEASE);
	return rc;
}
