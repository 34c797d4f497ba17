/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop. Each iteration reads the clock once, then runs named phases:
 * rx (the attached stack's poll) -> app (the application's poll hook) -> flush (one TX flush) ->
 * timers (advance the wheel to now) -> mailboxes (replies, requests, staged bursts) -> stop
 * protocol -> idle policy. Busy and idle cycles are charged from the same TSC reading: an iteration
 * that did work is busy, one that did not (its sleep included) is idle.
 */
#include <errno.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include <dp/stream.h>
#include <dp/timer.h>

#include "runtime_priv.h"

/* No stack on this core but it owns port queues: drain them so the NIC does not back up, and
 * count every packet as received and dropped (SK_DROP_NO_STACK). */
static unsigned
sk_loop_rx_no_stack(struct sk_core *c)
{
	struct rte_mbuf *b[32];
	unsigned work = 0;

	for (unsigned i = 0; i < c->n_rxq; i++) {
		uint16_t n = rte_eth_rx_burst(c->rxq[i].port_id, c->rxq[i].queue, b, 32);
		uint64_t bytes = 0;

		if (n == 0)
			continue;
		for (uint16_t k = 0; k < n; k++)
			bytes += b[k]->pkt_len;
		rte_pktmbuf_free_bulk(b, n);
		SK_STAT_ADD(c, rx_pkts, n);
		SK_STAT_ADD(c, rx_bytes, bytes);
		SK_STAT_ADD(c, drops[SK_DROP_NO_STACK], n);
		work += n;
	}
	return work;
}

static inline unsigned
sk_loop_phase_rx(struct sk_core *c)
{
	if (c->stack != NULL)
		return dp_stack_poll(c->stack, c->now_us);
	return c->n_rxq != 0 ? sk_loop_rx_no_stack(c) : 0;
}

static inline unsigned
sk_loop_phase_app(struct sk_core *c, const struct sk_app *app)
{
	unsigned n;

	if (app == NULL || app->poll == NULL)
		return 0;
	n = app->poll(c);
	if (n != 0)
		SK_STAT_ADD(c, app_work, n);
	return n;
}

static inline void
sk_loop_phase_flush(struct sk_core *c)
{
	if (c->stack != NULL)
		dp_stack_flush(c->stack);
}

static inline unsigned
sk_loop_phase_timers(struct sk_core *c)
{
	unsigned n = dp_timer_wheel_advance(c->wheel, c->now_us);

	if (n != 0)
		SK_STAT_ADD(c, timers_fired, n);
	return n;
}

/* Stop protocol, once per iteration: cheap while running (one relaxed load). */
static inline void
sk_loop_phase_stop(struct sk_core *c, const struct sk_app *app, int state)
{
	bool q;

	if (likely(state != SK_RUN_DRAINING))
		return;
	if (!c->stopping) {
		if (app != NULL && app->stop_accepting != NULL)
			app->stop_accepting(c);
		c->stopping = true;
	}
	q = (app == NULL || app->drained == NULL || app->drained(c)) && sk_mbox_idle(c);
	__atomic_store_n(&c->quiesced, q, __ATOMIC_RELEASE);
}

/* Idle policy (DPDK.md 12): poll spins; adaptive pauses for idle_spin_polls empty iterations, then
 * sleeps idle_max_sleep_us at a time, never past the next timer. Work resets it. Sleeping in
 * fixed short steps bounds the wake-up latency for traffic (no NIC interrupt tells us). */
static inline void
sk_loop_phase_idle(struct sk_core *c, const struct sk_workers_conf *w, unsigned work)
{
	uint64_t us, next;

	if (work != 0) {
		c->idle_polls = 0;
		return;
	}
	if (w->idle == SK_IDLE_POLL)
		return;
	if (c->idle_polls < w->idle_spin_polls) {
		c->idle_polls++;
		rte_pause();
		return;
	}
	us = w->idle_max_sleep_us;
	next = dp_timer_wheel_next_us(c->wheel);
	if (next != UINT64_MAX) {
		if (next <= c->now_us)
			return;
		us = RTE_MIN(us, next - c->now_us);
	}
	nanosleep(&(struct timespec){.tv_sec = (time_t)(us / 1000000),
				     .tv_nsec = (long)(us % 1000000) * 1000},
		  NULL);
	SK_STAT_ADD(c, sleeps, 1);
}

static void
sk_loop_run(struct sk_core *c)
{
	struct sk_runtime *rt = c->rt;
	const struct sk_app *app = rt->app;
	const struct sk_workers_conf *w = &rt->cfg->workers;
	uint64_t prev_tsc = rte_rdtsc();
	bool prev_busy = false;
	int state;

	while ((state = __atomic_load_n(&rt->state, __ATOMIC_ACQUIRE)) != SK_RUN_STOP) {
		unsigned work;

		c->now_tsc = rte_rdtsc();
		c->now_us = sk_runtime_now_us(rt, c->now_tsc);
		if (prev_busy)
			SK_STAT_ADD(c, busy_cycles, c->now_tsc - prev_tsc);
		else
			SK_STAT_ADD(c, idle_cycles, c->now_tsc - prev_tsc);
		prev_tsc = c->now_tsc;

		work = sk_loop_phase_rx(c);
		work += sk_loop_phase_app(c, app);
		sk_loop_phase_flush(c);
		work += sk_loop_phase_timers(c);
		work += sk_mbox_poll(c);
		sk_loop_phase_stop(c, app, state);

		SK_STAT_ADD(c, loops, 1);
		prev_busy = work != 0;
		if (prev_busy)
			SK_STAT_ADD(c, busy_loops, 1);
		sk_loop_phase_idle(c, w, work);
	}
	c->now_tsc = rte_rdtsc();
	if (prev_busy)
		SK_STAT_ADD(c, busy_cycles, c->now_tsc - prev_tsc);
	else
		SK_STAT_ADD(c, idle_cycles, c->now_tsc - prev_tsc);
}

/* Wait until every core finished core_init (or one failed, or stop came first). Bounded by the
 * main thread, which moves the state to STOP if start-up fails. */
static bool
sk_loop_wait_start(struct sk_runtime *rt)
{
	int state;

	while ((state = __atomic_load_n(&rt->state, __ATOMIC_ACQUIRE)) == SK_RUN_STARTING) {
		rte_pause();
		nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
	}
	return state != SK_RUN_STOP;
}

int
sk_loop_main(void *arg)
{
	struct sk_core *c = arg;
	struct sk_runtime *rt = c->rt;
	const struct sk_app *app = rt->app;
	int rc = 0;

	/* Short sleeps must stay short: the default 50 us slack would stretch them (DPDK.md 12). */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	sk_core_set_self(c);
	c->now_tsc = rte_rdtsc();
	c->now_us = sk_runtime_now_us(rt, c->now_tsc);
	if (app != NULL && app->core_init != NULL)
		rc = app->core_init(c, app->arg);
	if (rc != 0) {
		int zero = 0;

		__atomic_compare_exchange_n(&rt->init_error, &zero, rc < 0 ? rc : -EINVAL, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		__atomic_add_fetch(&rt->ready, 1, __ATOMIC_ACQ_REL);
		sk_core_set_self(NULL);
		return rc;
	}
	__atomic_add_fetch(&rt->ready, 1, __ATOMIC_ACQ_REL);
	if (sk_loop_wait_start(rt))
		sk_loop_run(c);
	if (app != NULL && app->core_fini != NULL)
		app->core_fini(c);
	sk_core_set_self(NULL);
	return 0;
}
