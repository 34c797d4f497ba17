/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet II demux (TCP.md 1.1), first step of the input chain after the RX phase: frames for our
 * MAC or broadcast go to IPv4 or ARP; everything else is dropped by reason. On a multi-queue port
 * an ARP frame is also copied to every other core, since each core keeps its own neighbour cache
 * and the NIC delivers ARP to one queue only (TCP.md 5.1, "Traffic outside flows").
 */
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp/net.h"
#include "net_priv.h"

/* Copy an ARP frame to the other cores of the port (learn only there). */
static void
dp_eth_arp_fanout(struct dp_net *n, const struct rte_mbuf *m)
{
	const struct dp_port *p = n->conf.port;
	uint16_t q;

	for (q = 0; q < p->nb_queues; q++) {
		struct rte_mbuf *c;
		unsigned lc = p->queue_lcore[q];

		if (q == n->conf.queue || lc == UINT16_MAX)
			continue;
		c = rte_pktmbuf_copy(m, n->conf.pool, 0, UINT32_MAX);
		if (c == NULL) {
			n->drop[DP_NET_DROP_NO_MBUF]++;
			continue;
		}
		if (n->conf.fwd(n->conf.fwd_ctx, lc, c) != 0) {
			dp_net_drop(n, c, DP_NET_DROP_WRONG_CORE);
			continue;
		}
		n->stat[DP_NET_STAT_FWD_OUT]++;
	}
}

void
dp_eth_input(struct dp_net *n, struct rte_mbuf *m, int forwarded)
{
	const struct rte_ether_hdr *eh;
	enum dp_net_drop why;

	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN)) {
		why = DP_NET_DROP_ETH_SHORT;
		goto drop;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!rte_is_same_ether_addr(&eh->dst_addr, &n->conf.mac) &&
		     !rte_is_broadcast_ether_addr(&eh->dst_addr))) {
		/* the port is promiscuous (tap does not filter, our MAC may not be the port's) */
		why = DP_NET_DROP_ETH_NOT_US;
		goto drop;
	}
	if (likely(eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		dp_ip4_input(n, m, forwarded);
		return;
	}
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		if (!forwarded && n->conf.port != NULL && n->conf.port->nb_queues > 1 &&
		    n->conf.fwd != NULL)
			dp_eth_arp_fanout(n, m);
		dp_arp_input(n, m, forwarded);
		return;
	}
	why = DP_NET_DROP_ETH_TYPE;
drop:
	dp_net_drop(n, m, why);
}
