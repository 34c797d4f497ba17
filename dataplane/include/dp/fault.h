/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection decisions for the dataplane (the kernel here has no netem): per direction, each
 * packet independently draws one outcome with the configured rates in parts per million, from a
 * seeded per-core xorshift generator, so a run is reproducible for a given seed and packet order.
 * The per-core network layer (dp/net.h) applies the outcome: drop, duplicate, reorder (hold the
 * packet back behind the next one), corrupt (flip one byte past the Ethernet header; on TX after
 * the checksums are final, so the receiver sees real corruption).
 */
#ifndef DP_FAULT_H
#define DP_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "dp/port.h"

enum dp_fault_action {
	DP_FAULT_NONE,
	DP_FAULT_DROP,
	DP_FAULT_DUP,
	DP_FAULT_REORDER,
	DP_FAULT_CORRUPT,
};

/** One core's fault state. */
struct dp_fault {
	uint64_t rng; /**< xorshift64 state, never 0 */
	bool rx_on;
	bool tx_on;
	struct dp_fault_dir_conf rx;
	struct dp_fault_dir_conf tx;
};

/**
 * Initialise @p f from @p conf; @p stream distinguishes cores (e.g. the queue id) so each core has
 * its own reproducible sequence. Any core.
 */
void dp_fault_init(struct dp_fault *f, const struct dp_fault_conf *conf, uint32_t stream);

/** Next 64 random bits of @p f's generator. Owning core. */
static inline uint64_t
dp_fault_rand(struct dp_fault *f)
{
	uint64_t x = f->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->rng = x;
	return x;
}

/**
 * Draw the outcome for one packet under rates @p d. The rates are disjoint slices of one draw in
 * [0, 1e6): drop, then dup, then reorder, then corrupt. Owning core.
 */
static inline enum dp_fault_action
dp_fault_decide(struct dp_fault *f, const struct dp_fault_dir_conf *d)
{
	uint32_t r = (uint32_t)((dp_fault_rand(f) >> 11) % 1000000u);

	if (r < d->drop_ppm)
		return DP_FAULT_DROP;
	r -= d->drop_ppm;
	if (r < d->dup_ppm)
		return DP_FAULT_DUP;
	r -= d->dup_ppm;
	if (r < d->reorder_ppm)
		return DP_FAULT_REORDER;
	r -= d->reorder_ppm;
	if (r < d->corrupt_ppm)
		return DP_FAULT_CORRUPT;
	return DP_FAULT_NONE;
}

#endif /* DP_FAULT_H */
