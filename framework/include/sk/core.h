/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker core's context. Every worker lcore owns one struct sk_core: its clock reading for the
 * current loop iteration, its timer wheel, its mbuf pool, the stack instance attached to it, the
 * application's per-core state, its jemalloc arena and its counters. Nothing in it is shared with
 * another worker; other threads only read the counters (relaxed loads), and cores talk through
 * mailboxes (sk/mbox.h).
 *
 * Unless a function says otherwise, it may only be called on the core that owns @p c.
 */
#ifndef SK_CORE_H
#define SK_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

/** Most ports a core polls (one queue each). */
#define SK_CORE_MAX_PORTS 8

struct sk_runtime;
struct sk_mbox;
struct dp_stack;
struct dp_timer_wheel;
struct rte_mempool;

/** Drop reasons counted by the runtime layer itself (the stack counts its own). */
enum sk_drop_reason {
	SK_DROP_NO_STACK,  /**< a packet arrived on a core with no stack attached */
	SK_DROP_TX_FULL,   /**< TX queue full after retry */
	SK_DROP_MBOX_STOP, /**< a mailbox message still queued when the stop bound expired */
	SK_DROP_APP,	   /**< dropped by the application hook */
	SK_DROP_MAX,
};

/** Names of enum sk_drop_reason, for telemetry ("drop_" + name). */
extern const char *const sk_drop_names[SK_DROP_MAX];

/**
 * Per-core counters. One writer (the owning core, through SK_STAT_ADD); readers on other threads
 * use relaxed atomic loads. Cumulative from start; rates are computed by the reader.
 */
struct sk_core_stats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t drops[SK_DROP_MAX];
	uint64_t loops;	       /**< loop iterations */
	uint64_t busy_loops;   /**< iterations that did work */
	uint64_t busy_cycles;  /**< TSC cycles of iterations that did work */
	uint64_t idle_cycles;  /**< TSC cycles of the others, sleeps included */
	uint64_t sleeps;       /**< adaptive idle sleeps */
	uint64_t mbox_sent;    /**< messages accepted by sk_mbox_submit() */
	uint64_t mbox_run;     /**< messages run on this core */
	uint64_t mbox_replies; /**< replies run on this core */
	uint64_t mbox_full;    /**< sk_mbox_submit() refused with -ENOBUFS (backpressure) */
	uint64_t timers_fired;
	uint64_t app_work; /**< units of work reported by the app poll hook */
} __rte_cache_aligned;

/** Add @p n to counter @p field of core @p c (owning core only; single writer). */
#define SK_STAT_ADD(c, field, n)                                                                   \
	__atomic_store_n(&(c)->stats.field, (c)->stats.field + (n), __ATOMIC_RELAXED)

/** Read counter @p field of @p c from any thread. */
#define SK_STAT_GET(c, field) __atomic_load_n(&(c)->stats.field, __ATOMIC_RELAXED)

/** A worker core's context. Fields are read-only outside the runtime unless noted. */
struct sk_core {
	unsigned id;	/**< 0..n_cores-1: the index mailboxes use */
	unsigned lcore; /**< EAL lcore id */
	int socket;	/**< NUMA socket of the lcore */
	struct sk_runtime *rt;
	uint64_t now_tsc;	      /**< rte_rdtsc() read once at the top of this iteration */
	uint64_t now_us;	      /**< the runtime clock at the same moment */
	struct dp_timer_wheel *wheel; /**< this core's timers; advanced once per iteration */
	struct rte_mempool *pool;     /**< this core's mbuf pool */
	struct dp_stack *stack;	      /**< attached stack (sk_core_attach_stack), or NULL */
	void *app_ctx;		      /**< the application's per-core state (app may set) */
	unsigned arena;		      /**< jemalloc arena for sk_core_alloc() */
	struct sk_mbox *mbox;	      /**< private to the mailbox module */
	/** The port queues this core owns (one per port whose queues include this core's id).
	 * With no stack attached, the rx phase drains them and counts SK_DROP_NO_STACK. */
	unsigned n_rxq;
	struct {
		uint16_t port_id;
		uint16_t queue;
		unsigned port_index; /**< N of [port.N] */
	} rxq[SK_CORE_MAX_PORTS];
	void *wheel_mem; /**< private: the wheel's memory */
	/* Idle policy state (private). */
	uint32_t idle_polls;
	/* Stop protocol (private; written by this core, read by the main thread). */
	bool stopping; /**< stop_accepting hook has run */
	bool quiesced; /**< no in-flight work as of the last iteration */
	struct sk_core_stats stats;
} __rte_cache_aligned;

/** The core the calling lcore runs, or NULL on a thread that is not a worker. Any thread. */
struct sk_core *sk_core_self(void);

/**
 * Attach a stack instance to @p c: from then on the loop calls dp_stack_poll() in its rx phase and
 * dp_stack_flush() after the app phase. Call from the app's core_init hook (on @p c). NULL
 * detaches.
 */
void sk_core_attach_stack(struct sk_core *c, struct dp_stack *st);

/**
 * Allocate @p size bytes from @p c's jemalloc arena, without the thread cache
 * (MALLOCX_ARENA | MALLOCX_TCACHE_NONE). For objects off the data path (connection tables, app
 * state), never per packet. Owning core only.
 * @return the memory, or NULL.
 */
void *sk_core_alloc(struct sk_core *c, size_t size);

/** Like sk_core_alloc(), zeroed. */
void *sk_core_zalloc(struct sk_core *c, size_t size);

/** Free memory from sk_core_alloc() (NULL is a no-op). Owning core only. */
void sk_core_free(struct sk_core *c, void *p);

#endif /* SK_CORE_H */
