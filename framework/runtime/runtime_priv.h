/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the runtime module: the runtime object, the run states, and the functions the loop,
 * mailbox, stats and control files share.
 */
#ifndef SK_RUNTIME_PRIV_H
#define SK_RUNTIME_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include <dp/port.h>
#include <sk/config.h>
#include <sk/core.h>
#include <sk/mbox.h>
#include <sk/runtime.h>

extern int sk_runtime_logtype;
#define RTE_LOGTYPE_SKIFF_RT sk_runtime_logtype
#define SK_RT_LOG(lvl, ...) RTE_LOG(lvl, SKIFF_RT, __VA_ARGS__)

/** Run states, written by the main thread, read by every worker once per iteration. */
enum sk_run_state {
	SK_RUN_STARTING = 0, /**< cores running core_init, waiting for each other */
	SK_RUN_RUNNING,
	SK_RUN_DRAINING, /**< stop requested: stop accepting, finish in-flight work */
	SK_RUN_STOP,	 /**< leave the loop now */
};

struct sk_runtime {
	const struct sk_config *cfg;
	unsigned n_cores;
	struct sk_core *cores[SK_CONFIG_MAX_WORKERS];
	/* Mailbox rings: req[to * n + from], rep[to * n + from]. */
	struct rte_ring **req;
	struct rte_ring **rep;
	struct dp_port ports[SK_CONFIG_MAX_PORTS];
	unsigned n_ports; /**< ports opened and started */
	const struct sk_app *app;
	/* Clock. */
	sk_clock_fn *clock;
	void *clock_ctx;
	uint64_t tsc0; /**< TSC at create: the default clock's zero */
	uint64_t tsc_hz;
	uint64_t us_mult; /**< microseconds = (tsc - tsc0) * us_mult >> 32 */
	/* Run protocol. */
	int state;	    /**< enum sk_run_state; atomic */
	int stop_requested; /**< atomic; set from signal handlers */
	unsigned ready;	    /**< cores past core_init; atomic */
	int init_error;	    /**< first core_init failure; atomic */
	uint64_t start_tsc;
};

/** The worker loop, launched on each worker lcore with its struct sk_core. */
int sk_loop_main(void *arg);

/** Runtime clock in microseconds for @p tsc. */
static inline uint64_t
sk_runtime_now_us(const struct sk_runtime *rt, uint64_t tsc)
{
	if (rt->clock != NULL)
		return rt->clock(rt->clock_ctx);
	return (uint64_t)(((__uint128_t)(tsc - rt->tsc0) * rt->us_mult) >> 32);
}

/** Create the mailbox rings and each core's mailbox state. */
int sk_mbox_create(struct sk_runtime *rt);
/** Free them; messages still queued are counted as SK_DROP_MBOX_STOP on their destination. */
void sk_mbox_destroy(struct sk_runtime *rt);
/** The mailbox phase: drain replies, then requests, then flush staged messages. */
unsigned sk_mbox_poll(struct sk_core *c);
/** True if @p c has nothing staged and no reply outstanding. */
bool sk_mbox_idle(const struct sk_core *c);
/** @p c's replies outstanding and messages staged, read from another thread (telemetry). */
void sk_mbox_gauges(const struct sk_core *c, uint64_t *pending, uint64_t *staged);
/** Messages waiting in every ring (any thread; for the stop protocol). */
uint64_t sk_mbox_queued(const struct sk_runtime *rt);

/** Set sk_core_self() for the calling lcore. */
void sk_core_set_self(struct sk_core *c);
/** Free a core's pool, wheel, arena and context (NULL: no-op). */
void sk_core_destroy(struct sk_core *c);

/** Publish @p rt to the telemetry commands (NULL: unpublish and wait for readers). */
void sk_stats_publish(struct sk_runtime *rt);

#endif /* SK_RUNTIME_PRIV_H */
