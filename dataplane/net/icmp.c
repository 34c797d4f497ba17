/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP (RFC 792, TCP.md 1.4) for one core: echo requests to our address get an echo reply, built in
 * place in the request's mbuf and sent back to the MAC it came from (the neighbour or the gateway),
 * under a per-core rate limit; echo replies (to requests the stack sent) are counted. Every other
 * ICMP message is counted and dropped: the stack acts on none yet (fragmentation-needed for PMTUD
 * would be the next one, TCP.md 1.4).
 */
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp/cksum.h"
#include "dp/net.h"
#include "net_priv.h"

/* GCRA: a theoretical arrival time advanced by 1e6/rate us per reply; up to one second of
 * replies (`rate`) may go back to back. */
static int
dp_icmp_rate_ok(struct dp_net *n)
{
	uint64_t interval, tat;

	if (n->conf.icmp_rate == 0)
		return 1;
	interval = 1000000u / n->conf.icmp_rate;
	tat = n->icmp_tat_us < n->now_us ? n->now_us : n->icmp_tat_us;
	if (tat - n->now_us > 1000000u - interval)
		return 0;
	n->icmp_tat_us = tat + interval;
	return 1;
}

void
dp_icmp_input(struct dp_net *n, struct rte_mbuf *m, uint16_t ip_hlen)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	uint16_t off = (uint16_t)(RTE_ETHER_HDR_LEN + ip_hlen);
	uint16_t len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - ip_hlen);
	struct rte_ether_addr mac;
	struct rte_icmp_hdr *ic;
	enum dp_net_drop why;
	uint16_t raw;

	if (unlikely(len < sizeof(*ic) || m->data_len < off + sizeof(*ic))) {
		why = DP_NET_DROP_ICMP_SHORT;
		goto drop;
	}
	if (dp_cksum_raw_mbuf(m, off, len, &raw) != 0 || raw != 0xffff) {
		why = DP_NET_DROP_ICMP_CKSUM;
		goto drop;
	}
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, off);
	if (ic->icmp_type == RTE_IP_ICMP_ECHO_REPLY && ic->icmp_code == 0) {
		/* an answer to a request of ours (tests and tools ping from the stack) */
		n->stat[DP_NET_STAT_ICMP_ECHO_REPLY]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0) {
		why = DP_NET_DROP_ICMP_TYPE;
		goto drop;
	}
	if (!dp_icmp_rate_ok(n)) {
		why = DP_NET_DROP_ICMP_RATE;
		goto drop;
	}
	/* Turn the request around in place. */
	rte_ether_addr_copy(&eh->src_addr, &mac);
	rte_ether_addr_copy(&mac, &eh->dst_addr);
	rte_ether_addr_copy(&n->conf.mac, &eh->src_addr);
	ip->dst_addr = ip->src_addr;
	ip->src_addr = rte_cpu_to_be_32(n->conf.ip);
	ip->time_to_live = 64;
	ip->packet_id = rte_cpu_to_be_16(n->ip_id++);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	if (dp_cksum_raw_mbuf(m, off, len, &raw) != 0) {
		why = DP_NET_DROP_ICMP_SHORT;
		goto drop;
	}
	ic->icmp_cksum = (uint16_t)~raw;
	m->ol_flags = 0;
	ip->hdr_checksum = 0;
	if (n->conf.tx_ip_cksum) {
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = ip_hlen;
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	n->stat[DP_NET_STAT_ICMP_ECHO]++;
	dp_net_tx_enqueue(n, m);
	return;
drop:
	dp_net_drop(n, m, why);
}
