/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core mbuf pools: the sizing rule and thin wrappers over rte_pktmbuf_pool_create and the
 * mempool counters. Control path only; the data path uses rte_pktmbuf_alloc/free on the pool.
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <dp/pool.h>

uint32_t
dp_pool_count(const struct dp_pool_sizing *s)
{
	uint64_t n = (uint64_t)s->rxd + s->txd + 2ull * s->burst + s->in_flight +
		     (3ull * s->cache + 1) / 2;
	uint64_t p = 2;

	/* 2^q - 1 objects fill the backing ring of 2^q slots exactly (DPDK.md 5.1). */
	while (p - 1 < n)
		p <<= 1;
	if (p - 1 > DP_POOL_MAX_COUNT)
		return 0;
	return (uint32_t)(p - 1);
}

struct rte_mempool *
dp_pool_create(const char *name, const struct dp_pool_sizing *s, uint16_t data_room, int socket)
{
	uint32_t n;

	if (name == NULL || s == NULL || s->cache > RTE_MEMPOOL_CACHE_MAX_SIZE ||
	    data_room < RTE_PKTMBUF_HEADROOM) {
		rte_errno = EINVAL;
		return NULL;
	}
	n = dp_pool_count(s);
	if (n == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	return rte_pktmbuf_pool_create(name, n, s->cache, 0, data_room, socket);
}

unsigned
dp_pool_in_use(const struct rte_mempool *mp)
{
	return rte_mempool_in_use_count(mp);
}

unsigned
dp_pool_avail(const struct rte_mempool *mp)
{
	return rte_mempool_avail_count(mp);
}

void
dp_pool_free(struct rte_mempool *mp)
{
	rte_mempool_free(mp);
}
