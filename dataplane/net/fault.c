/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection in the dataplane (the kernel here has no netem): per-core seeded generator state,
 * and the RX and TX effects the per-core port path (port.c) applies when a port's fault settings
 * are non-zero: drop, duplicate (a copy from the core's pool), reorder (hold one frame back behind
 * the next, at most DP_FAULT_HOLD_MAX_US), corrupt (flip one byte after the Ethernet header: on RX
 * the NIC's checksum verdict is cleared so software checks again; on TX after the checksums are
 * made final, so the peer sees real corruption). Off unless configured; the decision itself is
 * dp_fault_decide() in dp/fault.h.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "dp/fault.h"
#include "dp/net.h"
#include "net_priv.h"

void
dp_fault_init(struct dp_fault *f, const struct dp_fault_conf *conf, uint32_t stream)
{
	uint64_t z;

	memset(f, 0, sizeof(*f));
	/* splitmix64 of (seed, stream): distinct, never-zero xorshift states per core */
	z = conf->seed + 0x9e3779b97f4a7c15ull * ((uint64_t)stream + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	f->rng = z != 0 ? z : 0x2545f4914f6cdd1dull;
	f->rx = conf->rx;
	f->tx = conf->tx;
	f->rx_on = conf->rx.drop_ppm || conf->rx.dup_ppm || conf->rx.reorder_ppm ||
		   conf->rx.corrupt_ppm;
	f->tx_on = conf->tx.drop_ppm || conf->tx.dup_ppm || conf->tx.reorder_ppm ||
		   conf->tx.corrupt_ppm;
}

/* Flip one byte past the Ethernet header of the first segment (never a shared buffer). */
static void
dp_fault_corrupt(struct dp_net *n, struct rte_mbuf *m)
{
	uint64_t r = dp_fault_rand(&n->fault);
	uint8_t *p;
	uint16_t off;

	if (m->data_len <= RTE_ETHER_HDR_LEN || RTE_MBUF_CLONED(m) || rte_mbuf_refcnt_read(m) != 1)
		return;
	off = (uint16_t)(RTE_ETHER_HDR_LEN + r % (m->data_len - RTE_ETHER_HDR_LEN));
	p = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
	*p ^= (uint8_t)(1 + (r >> 32) % 255);
	n->stat[DP_NET_STAT_FAULT_CORRUPT]++;
}

/* RX side of fault injection. Returns the frame to process now, or NULL (consumed or held). */
struct rte_mbuf *
dp_fault_rx(struct dp_net *n, struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	switch (dp_fault_decide(&n->fault, &n->fault.rx)) {
	case DP_FAULT_DROP:
		dp_net_drop(n, m, DP_NET_DROP_FAULT_RX);
		return NULL;
	case DP_FAULT_DUP:
		c = rte_pktmbuf_copy(m, n->conf.pool, 0, UINT32_MAX);
		if (c != NULL) {
			n->stat[DP_NET_STAT_FAULT_DUP]++;
			dp_eth_input(n, c, 0);
		}
		return m;
	case DP_FAULT_REORDER:
		if (n->rx_held != NULL)
			return m;
		n->rx_held = m;
		n->rx_held_us = n->now_us;
		n->stat[DP_NET_STAT_FAULT_REORDER]++;
		return NULL;
	case DP_FAULT_CORRUPT:
		dp_fault_corrupt(n, m);
		/* The NIC's verdict was for the bytes before the flip: verify again in software. */
		m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
		return m;
	case DP_FAULT_NONE:
		break;
	}
	return m;
}

/* TX side of fault injection. Returns the frame to queue now, or NULL (consumed or held). */
struct rte_mbuf *
dp_fault_tx(struct dp_net *n, struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	switch (dp_fault_decide(&n->fault, &n->fault.tx)) {
	case DP_FAULT_DROP:
		/* lost on the wire: the sender sees success */
		dp_net_drop(n, m, DP_NET_DROP_FAULT_TX);
		return NULL;
	case DP_FAULT_DUP:
		c = rte_pktmbuf_copy(m, n->conf.pool, 0, UINT32_MAX);
		if (c != NULL) {
			n->stat[DP_NET_STAT_FAULT_DUP]++;
			dp_net_tx_put(n, c);
		}
		return m;
	case DP_FAULT_REORDER:
		if (n->tx_held != NULL)
			return m;
		n->tx_held = m;
		n->tx_held_us = n->now_us;
		n->stat[DP_NET_STAT_FAULT_REORDER]++;
		return NULL;
	case DP_FAULT_CORRUPT:
		if (m->data_len > RTE_ETHER_HDR_LEN && !RTE_MBUF_CLONED(m) &&
		    rte_mbuf_refcnt_read(m) == 1) {
			/* corrupt what the wire carries: checksums first */
			dp_ip4_cksum_finalize(m);
			dp_fault_corrupt(n, m);
		}
		return m;
	case DP_FAULT_NONE:
		break;
	}
	return m;
}
