/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core mbuf pools. The runtime creates one pool per worker core, on that core's NUMA socket,
 * sized by the rule of DPDK.md 13.3: the RX descriptors the core's queues keep filled, its TX
 * descriptors, two bursts, the in-flight data the layers above may hold (TCP send and retransmit
 * queues, out-of-order data, mailbox messages), and 1.5 mempool caches; rounded up to 2^q - 1.
 * Pools stay multi-producer/multi-consumer because an mbuf may be freed on another core (a packet
 * handed over by mailbox). The in-use and available counts feed telemetry, so a leak shows as a
 * steady climb.
 *
 * Control path: create and free from the main thread (or the owning core at init). The counts may
 * be read from any thread.
 */
#ifndef DP_POOL_H
#define DP_POOL_H

#include <stdint.h>

struct rte_mempool;

/** What one core's pool must hold. */
struct dp_pool_sizing {
	uint32_t rxd;	    /**< RX descriptors of every queue the core polls (sum) */
	uint32_t txd;	    /**< TX descriptors of every queue the core sends on (sum) */
	uint32_t burst;	    /**< RX/TX burst size */
	uint32_t in_flight; /**< mbufs the layers above may hold at once */
	uint32_t cache;	    /**< per-lcore cache (<= 512) */
};

/** Largest pool (objects) dp_pool_count() returns: 2^24 - 1. */
#define DP_POOL_MAX_COUNT ((1u << 24) - 1)

/**
 * Number of mbufs for @p s: rxd + txd + 2*burst + in_flight + ceil(1.5*cache), rounded up to the
 * next 2^q - 1. Any thread.
 * @return the count, or 0 if it would exceed DP_POOL_MAX_COUNT.
 */
uint32_t dp_pool_count(const struct dp_pool_sizing *s);

/**
 * Create a packet mbuf pool named @p name (unique in the process, < 26 characters) on NUMA
 * @p socket (SOCKET_ID_ANY allowed) with dp_pool_count(@p s) mbufs of @p data_room bytes each
 * (including RTE_PKTMBUF_HEADROOM; RTE_MBUF_DEFAULT_BUF_SIZE is the usual choice).
 * Main thread, after EAL init.
 * @return the pool, or NULL with rte_errno set: EINVAL bad sizing (cache > 512, count too large),
 *   ENOMEM not enough memory on that socket, EEXIST the name is taken.
 */
struct rte_mempool *dp_pool_create(const char *name, const struct dp_pool_sizing *s,
				   uint16_t data_room, int socket);

/** Mbufs currently taken from @p mp (neither in its ring nor in a cache). Any thread. */
unsigned dp_pool_in_use(const struct rte_mempool *mp);

/** Mbufs currently available in @p mp (ring plus caches). Any thread. */
unsigned dp_pool_avail(const struct rte_mempool *mp);

/** Free @p mp (NULL is a no-op). Every mbuf should be back (dp_pool_in_use() == 0); mbufs still
 * out become dangling. Main thread, after the cores using it stopped. */
void dp_pool_free(struct rte_mempool *mp);

#endif /* DP_POOL_H */
