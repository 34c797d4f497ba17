/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core hierarchical timer wheel. One wheel per worker core, never shared: no atomics, no locks.
 * Time is an opaque monotonically increasing microsecond count supplied by the caller once per loop
 * (the runtime reads rte_rdtsc() and converts; tests pass a fake clock). TCP (RTO, delayed ACK,
 * persist, keepalive, TIME_WAIT) and the RSocket engine (keepalive, lease, resume expiry) arm timers
 * here; the runtime advances the wheel in the timer phase of every loop iteration.
 *
 * Timers are intrusive: the owner embeds struct dp_timer in its object, so arming never allocates.
 * Arm and cancel are O(1). A timer armed for a time already past fires on the next advance.
 */
#ifndef DP_TIMER_H
#define DP_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_timer;
struct dp_timer_wheel;

/** Expiry callback. Runs on the wheel's core from dp_timer_wheel_advance(); may re-arm or cancel any
 * timer of the same wheel, including @p t itself. */
typedef void dp_timer_fn(struct dp_timer *t, void *arg);

/** Intrusive timer. Treat the fields as private; initialise with dp_timer_init(). */
struct dp_timer {
	struct dp_timer *next;
	struct dp_timer **pprev;  /**< NULL when not armed */
	uint64_t expire_us;
	dp_timer_fn *fn;
	void *arg;
};

struct dp_timer_wheel_conf {
	uint32_t tick_us;   /**< resolution of the finest level, e.g. 100 (>= 1) */
	uint64_t start_us;  /**< the clock value at init */
};

/** Bytes needed for a wheel (the runtime allocates it on the core's NUMA node). */
size_t dp_timer_wheel_memsize(const struct dp_timer_wheel_conf *conf);

/**
 * Initialise a wheel in @p mem (dp_timer_wheel_memsize() bytes, 64-byte aligned).
 * @return the wheel, or NULL if conf is invalid (tick_us == 0) or mem is NULL.
 */
struct dp_timer_wheel *dp_timer_wheel_init(void *mem, const struct dp_timer_wheel_conf *conf);

/** Prepare an unarmed timer with its callback. */
void dp_timer_init(struct dp_timer *t, dp_timer_fn *fn, void *arg);

/**
 * Arm (or re-arm) @p t to fire at absolute time @p expire_us. Re-arming an armed timer moves it.
 * O(1). Never fails.
 */
void dp_timer_arm(struct dp_timer_wheel *w, struct dp_timer *t, uint64_t expire_us);

/** Disarm @p t if armed; a no-op otherwise. O(1). */
void dp_timer_cancel(struct dp_timer_wheel *w, struct dp_timer *t);

/** True if @p t is armed and has not fired yet. */
static inline bool
dp_timer_pending(const struct dp_timer *t)
{
	return t->pprev != NULL;
}

/**
 * Advance the wheel to @p now_us and run every timer whose expiry is <= now_us, in expiry order
 * (ties in arm order). Time never goes backwards: a smaller now_us is treated as the current time.
 * @return number of callbacks run.
 */
unsigned dp_timer_wheel_advance(struct dp_timer_wheel *w, uint64_t now_us);

/** Earliest pending expiry (may be a lower bound rounded to a tick), or UINT64_MAX if none.
 * Used by the adaptive idle policy so a sleep never overshoots a timer. */
uint64_t dp_timer_wheel_next_us(const struct dp_timer_wheel *w);

/** Number of armed timers. */
uint64_t dp_timer_wheel_count(const struct dp_timer_wheel *w);

#endif /* DP_TIMER_H */
