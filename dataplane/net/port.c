/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-core port data path: the RX phase (rx burst, RX fault injection (fault.c), hand each
 * frame to the Ethernet demux), the TX buffer (TX fault injection, one flush per loop, partial TX
 * kept for the next flush, DPDK.md 13.2), and flow ownership across cores (which core owns a
 * 4-tuple; which local port makes an active open's replies land on the calling core, DPDK.md 3.2).
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp/net.h"
#include "net_priv.h"

void
dp_net_rx_pkts(struct dp_net *n, struct rte_mbuf **pkts, uint16_t nb, uint64_t now_us)
{
	uint16_t i;

	n->now_us = now_us;
	if (n->arp_incomplete != 0 && now_us >= n->arp_scan_us)
		dp_arp_timer(n, now_us);
	if (n->rx_held != NULL && now_us - n->rx_held_us >= DP_FAULT_HOLD_MAX_US) {
		struct rte_mbuf *h = n->rx_held;

		n->rx_held = NULL;
		dp_eth_input(n, h, 0);
	}
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];

		n->stat[DP_NET_STAT_RX_PKTS]++;
		n->stat[DP_NET_STAT_RX_BYTES] += m->pkt_len;
		if (n->fault.rx_on) {
			m = dp_fault_rx(n, m);
			if (m == NULL)
				continue;
		}
		dp_eth_input(n, m, 0);
		if (n->rx_held != NULL) {
			/* released behind the packet that followed it */
			struct rte_mbuf *h = n->rx_held;

			n->rx_held = NULL;
			dp_eth_input(n, h, 0);
		}
	}
}

uint16_t
dp_net_rx_burst(struct dp_net *n, uint64_t now_us)
{
	struct rte_mbuf *pkts[DP_NET_RX_BURST];
	uint16_t nb;

	nb = rte_eth_rx_burst(n->conf.port_id, n->conf.queue, pkts, DP_NET_RX_BURST);
	if (nb != 0 || n->rx_held != NULL || n->arp_incomplete != 0)
		dp_net_rx_pkts(n, pkts, nb, now_us);
	else
		n->now_us = now_us;
	return nb;
}

void
dp_net_deliver(struct dp_net *n, struct rte_mbuf *m)
{
	n->stat[DP_NET_STAT_FWD_IN]++;
	dp_eth_input(n, m, 1);
}

int
dp_net_tx_put(struct dp_net *n, struct rte_mbuf *m)
{
	if (unlikely(n->tx_n >= DP_NET_TX_MAX)) {
		dp_net_drop(n, m, DP_NET_DROP_TX_FULL);
		return -ENOBUFS;
	}
	n->tx[n->tx_n++] = m;
	return 0;
}

int
dp_net_tx_enqueue(struct dp_net *n, struct rte_mbuf *m)
{
	struct rte_mbuf *c;
	int rc;

	if (n->fault.tx_on) {
		m = dp_fault_tx(n, m);
		if (m == NULL)
			return 0;
	}
	rc = dp_net_tx_put(n, m);
	if (n->tx_held != NULL) {
		c = n->tx_held;
		n->tx_held = NULL;
		dp_net_tx_put(n, c);
	}
	return rc;
}

uint16_t
dp_net_tx_flush(struct dp_net *n)
{
	uint16_t sent, prep, i;
	uint64_t bytes = 0;

	if (n->tx_held != NULL && n->now_us - n->tx_held_us >= DP_FAULT_HOLD_MAX_US) {
		struct rte_mbuf *h = n->tx_held;

		n->tx_held = NULL;
		dp_net_tx_put(n, h);
	}
	if (n->tx_n == 0)
		return 0;
	/* Driver fix-ups for offloads (a no-op on vdevs, DPDK.md 3.3). A packet the driver rejects
	 * is dropped and counted; the ones after it wait for the next flush. */
	prep = rte_eth_tx_prepare(n->conf.port_id, n->conf.queue, n->tx, n->tx_n);
	if (unlikely(prep < n->tx_n)) {
		dp_net_drop(n, n->tx[prep], DP_NET_DROP_TX_PREPARE);
		memmove(&n->tx[prep], &n->tx[prep + 1], (n->tx_n - prep - 1) * sizeof(n->tx[0]));
		n->tx_n--;
		if (prep == 0)
			return 0; /* the rest are prepared on the next flush */
	}
	for (i = 0; i < n->tx_n; i++)
		bytes += n->tx[i]->pkt_len;
	sent = rte_eth_tx_burst(n->conf.port_id, n->conf.queue, n->tx, prep);
	if (sent < n->tx_n) {
		uint16_t left = (uint16_t)(n->tx_n - sent);

		for (i = sent; i < n->tx_n; i++)
			bytes -= n->tx[i]->pkt_len;
		memmove(&n->tx[0], &n->tx[sent], left * sizeof(n->tx[0]));
		n->tx_n = left;
		n->stat[DP_NET_STAT_TX_DEFERRED] += left;
		/* A packet the port never takes (e.g. over its frame limit) must not block the
		 * rest. But a full ring is usually a peer that is busy or descheduled (memif on a
		 * shared machine): 64 busy flushes pass in microseconds, so also wait
		 * DP_NET_TX_STUCK_US without progress before dropping, then one per 64 flushes. */
		if (sent == 0) {
			if (n->tx_stuck == 0)
				n->tx_stuck_us = n->now_us;
			if (n->tx_stuck < UINT16_MAX)
				n->tx_stuck++;
			if (n->tx_stuck >= 64 && n->now_us - n->tx_stuck_us >= DP_NET_TX_STUCK_US) {
				dp_net_drop(n, n->tx[0], DP_NET_DROP_TX_STUCK);
				memmove(&n->tx[0], &n->tx[1], (n->tx_n - 1) * sizeof(n->tx[0]));
				n->tx_n--;
				n->tx_stuck = 1; /* still stuck since tx_stuck_us */
			}
		}
	} else {
		n->tx_n = 0;
		n->tx_stuck = 0;
	}
	if (sent != 0)
		n->tx_stuck = 0;
	n->stat[DP_NET_STAT_TX_PKTS] += sent;
	n->stat[DP_NET_STAT_TX_BYTES] += bytes;
	return sent;
}

/* The queue owning a flow under the port's software rule (dp/port.h). */
static uint16_t
dp_net_flow_queue(const struct dp_net *n, uint32_t remote_ip, uint32_t local_ip,
		  uint16_t remote_port, uint16_t local_port)
{
	const struct dp_port *p = n->conf.port;

	if (p == NULL || p->nb_queues <= 1)
		return n->conf.queue;
	return dp_port_flow_queue(
		p, dp_port_flow_hash(p, remote_ip, local_ip, remote_port, local_port));
}

unsigned
dp_net_flow_lcore(const struct dp_net *n, uint32_t remote_ip, uint32_t local_ip,
		  uint16_t remote_port, uint16_t local_port)
{
	const struct dp_port *p = n->conf.port;
	uint16_t q = dp_net_flow_queue(n, remote_ip, local_ip, remote_port, local_port);

	if (p == NULL || q == n->conf.queue || p->queue_lcore[q] == UINT16_MAX)
		return n->conf.lcore;
	return p->queue_lcore[q];
}

bool
dp_net_flow_is_local(const struct dp_net *n, uint32_t remote_ip, uint32_t local_ip,
		     uint16_t remote_port, uint16_t local_port)
{
	return dp_net_flow_queue(n, remote_ip, local_ip, remote_port, local_port) == n->conf.queue;
}

bool
dp_net_lport_ok(void *net, uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
		uint16_t remote_port)
{
	return dp_net_flow_is_local(net, remote_ip, local_ip, remote_port, local_port);
}

int
dp_net_pick_local_port(const struct dp_net *n, uint32_t remote_ip, uint16_t remote_port,
		       uint32_t local_ip, uint16_t lo, uint16_t hi, uint32_t start,
		       dp_net_port_busy_fn *busy, void *busy_ctx)
{
	uint32_t count, i;

	if (lo == 0 || lo > hi)
		return -EINVAL;
	count = (uint32_t)hi - lo + 1;
	for (i = 0; i < count; i++) {
		uint16_t port = (uint16_t)(lo + (start + i) % count);

		/* The tuple as the reply will carry it: remote -> local (DPDK.md 3.2). */
		if (!dp_net_flow_is_local(n, remote_ip, local_ip, remote_port, port))
			continue;
		if (busy != NULL && busy(busy_ctx, port))
			continue;
		return port;
	}
	return -EADDRNOTAVAIL;
}
