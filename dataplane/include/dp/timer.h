/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core hierarchical timer wheel. One wheel per worker core, never shared: no atomics, no locks.
 * Time is an opaque monotonically increasing microsecond count supplied by the caller once per loop
 * (the runtime reads rte_rdtsc() and converts; tests pass a fake clock). TCP (RTO, delayed ACK,
 * persist, keepalive, TIME_WAIT) and the RSocket engine (keepalive, lease, resume expiry) arm
 * timers here; the runtime advances the wheel in the timer phase of every loop iteration.
 *
 * Timers are intrusive: the owner embeds struct dp_timer in its object, so arming never allocates.
 * Arm and cancel are O(1). The wheel has DP_TIMER_LEVELS levels of 64 slots (level l slots are
 * 64^l ticks wide); timers beyond the top level's span wait on an overflow list that is re-examined
 * each time the top level wraps. Advancing over idle time skips empty slots with per-level bitmaps,
 * so a large jump costs a few steps per level, not one per tick.
 *
 * Firing is exact to the microsecond: an advance to now_us runs exactly the timers whose expire_us
 * <= now_us, in expiry order (ties in arm order); the tick only sets the slot granularity. A timer
 * armed for a time already past (expire_us <= the last advance's now_us) fires on the next advance;
 * armed so from inside a callback, it fires on the next advance or later in the current one, never
 * again within the same tick, so a callback re-arming itself in the past cannot livelock the wheel.
 */
#ifndef DP_TIMER_H
#define DP_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_timer;
struct dp_timer_wheel;

/** Number of wheel levels (64 slots each). Level l covers 64^(l+1) ticks; 8 levels cover 2^48 ticks
 * (8.9 years at 1 us), later timers go to the overflow list. */
#define DP_TIMER_LEVELS 8

/** Expiry callback. Runs on the wheel's core from dp_timer_wheel_advance(); may re-arm or cancel
 * any timer of the same wheel, including @p t itself (which is no longer pending when called). */
typedef void dp_timer_fn(struct dp_timer *t, void *arg);

/** Intrusive doubly-linked list node (slot heads are bare nodes). Private. */
struct dp_timer_link {
	struct dp_timer_link *next; /**< NULL when the timer is not armed */
	struct dp_timer_link *prev;
};

/** Intrusive timer. Treat the fields as private; initialise with dp_timer_init(). 40 bytes. */
struct dp_timer {
	struct dp_timer_link link;
	uint64_t expire_us;
	dp_timer_fn *fn;
	void *arg;
};

struct dp_timer_wheel_conf {
	uint32_t tick_us;  /**< resolution of the finest level, e.g. 100 (>= 1) */
	uint64_t start_us; /**< the clock value at init */
};

/**
 * Bytes needed for a wheel (the runtime allocates it on the core's NUMA node). Any core.
 * @param conf  wheel configuration (only validated by dp_timer_wheel_init()).
 * @return size in bytes.
 */
size_t dp_timer_wheel_memsize(const struct dp_timer_wheel_conf *conf);

/**
 * Initialise a wheel in @p mem (dp_timer_wheel_memsize() bytes, 64-byte aligned). Any core, before
 * the owning core uses the wheel.
 * @return the wheel, or NULL if conf is invalid (NULL or tick_us == 0) or mem is NULL.
 */
struct dp_timer_wheel *dp_timer_wheel_init(void *mem, const struct dp_timer_wheel_conf *conf);

/** Prepare an unarmed timer with its callback. Owning core. */
void dp_timer_init(struct dp_timer *t, dp_timer_fn *fn, void *arg);

/**
 * Arm (or re-arm) @p t to fire at absolute time @p expire_us. Re-arming an armed timer moves it.
 * O(1). Never fails. Owning core only.
 */
void dp_timer_arm(struct dp_timer_wheel *w, struct dp_timer *t, uint64_t expire_us);

/** Disarm @p t if armed; a no-op otherwise. O(1). Owning core only. */
void dp_timer_cancel(struct dp_timer_wheel *w, struct dp_timer *t);

/** True if @p t is armed and has not fired yet. */
static inline bool
dp_timer_pending(const struct dp_timer *t)
{
	return t->link.next != NULL;
}

/** Absolute expiry @p t was last armed for (meaningful while pending). */
static inline uint64_t
dp_timer_expire_us(const struct dp_timer *t)
{
	return t->expire_us;
}

/**
 * Advance the wheel to @p now_us and run every timer whose expiry is <= now_us, in expiry order
 * (ties in arm order). Time never goes backwards: a smaller now_us is treated as the current time.
 * Owning core only; not reentrant (callbacks must not call it).
 * @return number of callbacks run.
 */
unsigned dp_timer_wheel_advance(struct dp_timer_wheel *w, uint64_t now_us);

/** Earliest pending expiry, or UINT64_MAX if none. Exact when the earliest timer is due within the
 * current 64-tick window; otherwise a lower bound (the start of the slot holding it, which is when
 * the wheel must next do work). Used by the adaptive idle policy so a sleep never overshoots a
 * timer. Owning core. */
uint64_t dp_timer_wheel_next_us(const struct dp_timer_wheel *w);

/** Number of armed timers. Owning core. */
uint64_t dp_timer_wheel_count(const struct dp_timer_wheel *w);

#endif /* DP_TIMER_H */
