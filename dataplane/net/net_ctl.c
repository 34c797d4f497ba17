/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Setup, teardown and naming for the per-core L2/L3 context (struct dp_net): configuration from an
 * opened port, memory sizing, initialisation, the start-up gratuitous ARP, counter names, and the
 * fault-injection state. Cold path; the data path is in port.c, eth.c, arp.c, ipv4.c, icmp.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include "dp/net.h"
#include "net_priv.h"

static const char *const dp_net_drop_names[DP_NET_DROP_MAX] = {
	[DP_NET_DROP_ETH_SHORT] = "eth_short",
	[DP_NET_DROP_ETH_NOT_US] = "eth_not_us",
	[DP_NET_DROP_ETH_TYPE] = "eth_type",
	[DP_NET_DROP_ARP_SHORT] = "arp_short",
	[DP_NET_DROP_ARP_FORMAT] = "arp_format",
	[DP_NET_DROP_ARP_OP] = "arp_op",
	[DP_NET_DROP_ARP_NOT_US] = "arp_not_us",
	[DP_NET_DROP_ARP_CONFLICT] = "arp_conflict",
	[DP_NET_DROP_IP_SHORT] = "ip_short",
	[DP_NET_DROP_IP_VERSION] = "ip_version",
	[DP_NET_DROP_IP_IHL] = "ip_ihl",
	[DP_NET_DROP_IP_TOTLEN] = "ip_totlen",
	[DP_NET_DROP_IP_CKSUM] = "ip_cksum",
	[DP_NET_DROP_IP_FRAG] = "ip_frag",
	[DP_NET_DROP_IP_OPTIONS] = "ip_options",
	[DP_NET_DROP_IP_NOT_US] = "ip_not_us",
	[DP_NET_DROP_IP_SRC] = "ip_src",
	[DP_NET_DROP_IP_PROTO] = "ip_proto",
	[DP_NET_DROP_TCP_SHORT] = "tcp_short",
	[DP_NET_DROP_TCP_CKSUM] = "tcp_cksum",
	[DP_NET_DROP_ICMP_SHORT] = "icmp_short",
	[DP_NET_DROP_ICMP_CKSUM] = "icmp_cksum",
	[DP_NET_DROP_ICMP_TYPE] = "icmp_type",
	[DP_NET_DROP_ICMP_RATE] = "icmp_rate",
	[DP_NET_DROP_WRONG_CORE] = "wrong_core",
	[DP_NET_DROP_NO_TCP] = "no_tcp",
	[DP_NET_DROP_NO_ROUTE] = "no_route",
	[DP_NET_DROP_TOO_BIG] = "too_big",
	[DP_NET_DROP_NO_HEADROOM] = "no_headroom",
	[DP_NET_DROP_ARP_QUEUE_FULL] = "arp_queue_full",
	[DP_NET_DROP_ARP_CACHE_FULL] = "arp_cache_full",
	[DP_NET_DROP_ARP_TIMEOUT] = "arp_timeout",
	[DP_NET_DROP_TX_FULL] = "tx_full",
	[DP_NET_DROP_TX_PREPARE] = "tx_prepare",
	[DP_NET_DROP_TX_STUCK] = "tx_stuck",
	[DP_NET_DROP_NO_MBUF] = "no_mbuf",
	[DP_NET_DROP_FAULT_RX] = "fault_rx",
	[DP_NET_DROP_FAULT_TX] = "fault_tx",
};

static const char *const dp_net_stat_names[DP_NET_STAT_MAX] = {
	[DP_NET_STAT_RX_PKTS] = "rx_pkts",
	[DP_NET_STAT_RX_BYTES] = "rx_bytes",
	[DP_NET_STAT_TX_PKTS] = "tx_pkts",
	[DP_NET_STAT_TX_BYTES] = "tx_bytes",
	[DP_NET_STAT_TX_DEFERRED] = "tx_deferred",
	[DP_NET_STAT_ARP_RX_REQUEST] = "arp_rx_request",
	[DP_NET_STAT_ARP_RX_REPLY] = "arp_rx_reply",
	[DP_NET_STAT_ARP_TX_REQUEST] = "arp_tx_request",
	[DP_NET_STAT_ARP_TX_REPLY] = "arp_tx_reply",
	[DP_NET_STAT_ARP_LEARNED] = "arp_learned",
	[DP_NET_STAT_ICMP_ECHO] = "icmp_echo",
	[DP_NET_STAT_ICMP_ECHO_REPLY] = "icmp_echo_reply",
	[DP_NET_STAT_ICMP_FRAG_NEEDED] = "icmp_frag_needed",
	[DP_NET_STAT_TCP_IN] = "tcp_in",
	[DP_NET_STAT_IP_OUT] = "ip_out",
	[DP_NET_STAT_FWD_OUT] = "fwd_out",
	[DP_NET_STAT_FWD_IN] = "fwd_in",
	[DP_NET_STAT_FWD_TCP_OUT] = "fwd_tcp_out",
	[DP_NET_STAT_FAULT_DUP] = "fault_dup",
	[DP_NET_STAT_FAULT_REORDER] = "fault_reorder",
	[DP_NET_STAT_FAULT_CORRUPT] = "fault_corrupt",
};

const char *
dp_net_drop_name(enum dp_net_drop r)
{
	return (unsigned)r < DP_NET_DROP_MAX ? dp_net_drop_names[r] : "?";
}

const char *
dp_net_stat_name(enum dp_net_stat s)
{
	return (unsigned)s < DP_NET_STAT_MAX ? dp_net_stat_names[s] : "?";
}

uint64_t
dp_net_drops_total(const struct dp_net *n)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < DP_NET_DROP_MAX; i++)
		sum += n->drop[i];
	return sum;
}

int
dp_net_telemetry(struct rte_tel_data *d, const struct dp_net *const nets[], unsigned count)
{
	char key[64];
	unsigned i, k;

	if (d == NULL || (nets == NULL && count != 0))
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "cores", count);
	for (i = 0; i < DP_NET_STAT_MAX; i++) {
		uint64_t sum = 0;

		for (k = 0; k < count; k++)
			sum += __atomic_load_n(&nets[k]->stat[i], __ATOMIC_RELAXED);
		rte_tel_data_add_dict_u64(d, dp_net_stat_names[i], sum);
	}
	for (i = 0; i < DP_NET_DROP_MAX; i++) {
		uint64_t sum = 0;

		for (k = 0; k < count; k++)
			sum += __atomic_load_n(&nets[k]->drop[i], __ATOMIC_RELAXED);
		snprintf(key, sizeof(key), "drop_%s", dp_net_drop_names[i]);
		rte_tel_data_add_dict_u64(d, key, sum);
	}
	return 0;
}

void
dp_net_conf_from_port(struct dp_net_conf *c, const struct dp_port *p, uint16_t queue,
		      unsigned lcore, struct rte_mempool *pool)
{
	memset(c, 0, sizeof(*c));
	c->port = p;
	c->port_id = p->port_id;
	c->queue = queue;
	c->lcore = lcore;
	rte_ether_addr_copy(&p->mac, &c->mac);
	c->ip = p->conf.ipv4;
	c->prefix_len = p->conf.prefix_len;
	c->gateway = p->conf.gateway;
	c->mtu = p->mtu;
	c->rx_cksum = p->rx_cksum;
	c->tx_ip_cksum = p->tx_ip_cksum;
	c->tx_l4_cksum = p->tx_l4_cksum;
	c->pool = pool;
	c->arp_entries = 256;
	/* A burst of active opens to a neighbour not resolved yet (a client's first connections)
	 * waits here: a SYN dropped for want of room costs the 1 s initial RTO. Linux holds about
	 * 100 small packets (unres_qlen_bytes). */
	c->arp_pending = DP_ARP_PENDING_MAX;
	c->arp_reachable_us = 60 * 1000 * 1000;
	c->arp_retry_us = 1000 * 1000;
	c->arp_tries = 3;
	c->icmp_rate = 1000;
	c->gratuitous_arp = queue == 0;
	c->fault = p->conf.fault;
}

static uint32_t
dp_net_arp_entries(const struct dp_net_conf *c)
{
	uint32_t e = DP_ARP_WAYS;

	while (e < c->arp_entries && e < (1u << 20))
		e <<= 1;
	return e;
}

size_t
dp_net_memsize(const struct dp_net_conf *c)
{
	size_t head = RTE_ALIGN_CEIL(sizeof(struct dp_net), RTE_CACHE_LINE_SIZE);

	return head + (size_t)dp_net_arp_entries(c) * sizeof(struct dp_arp_entry);
}

struct dp_net *
dp_net_init(void *mem, const struct dp_net_conf *c)
{
	struct dp_net *n = mem;
	uint32_t entries;

	if (mem == NULL || c == NULL || c->pool == NULL || c->ip == 0 || c->prefix_len < 1 ||
	    c->prefix_len > 32 || c->arp_pending > DP_ARP_PENDING_MAX || c->arp_tries == 0 ||
	    (c->port != NULL && c->queue >= c->port->nb_queues))
		return NULL;
	entries = dp_net_arp_entries(c);
	memset(n, 0, dp_net_memsize(c));
	n->conf = *c;
	if (n->conf.mtu == 0)
		n->conf.mtu = RTE_ETHER_MTU;
	n->netmask = c->prefix_len == 32 ? UINT32_MAX : ~(UINT32_MAX >> c->prefix_len);
	n->arp = (struct dp_arp_entry *)((char *)mem + RTE_ALIGN_CEIL(sizeof(struct dp_net),
								      RTE_CACHE_LINE_SIZE));
	n->arp_mask = entries - 1;
	n->ip_id = (uint16_t)(c->queue * 7919u);
	dp_fault_init(&n->fault, &c->fault, c->queue);
	return n;
}

void
dp_net_set_tcp(struct dp_net *n, struct dp_tcp *tcp)
{
	n->conf.tcp = tcp;
}

int
dp_net_start(struct dp_net *n, uint64_t now_us)
{
	n->now_us = now_us;
	if (!n->conf.gratuitous_arp)
		return 0;
	return dp_arp_gratuitous(n);
}

void
dp_net_drain(struct dp_net *n)
{
	uint16_t i;

	if (n->rx_held != NULL) {
		rte_pktmbuf_free(n->rx_held);
		n->rx_held = NULL;
	}
	if (n->tx_held != NULL) {
		rte_pktmbuf_free(n->tx_held);
		n->tx_held = NULL;
	}
	for (i = 0; i < n->tx_n; i++)
		rte_pktmbuf_free(n->tx[i]);
	n->tx_n = 0;
	dp_arp_flush(n);
}
