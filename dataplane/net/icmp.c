/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP (RFC 792, TCP.md 1.4) for one core: echo requests to our address get an echo reply, built in
 * place in the request's mbuf and sent back to the MAC it came from (the neighbour or the gateway),
 * under a per-core rate limit; echo replies (to requests the stack sent) are counted.
 * Fragmentation-needed about one of our TCP segments (TCP.md 1.4) goes to TCP for path MTU
 * discovery, on the core that owns the quoted flow (forwarded there like a TCP segment). Every
 * other ICMP message is counted and dropped.
 */
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp/cksum.h"
#include "dp/ip4.h"
#include "dp/net.h"
#include "net_priv.h"

#define DP_ICMP_DEST_UNREACH 3 /* rte_icmp.h (22.11) names only echo */
#define DP_ICMP_FRAG_NEEDED 4

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

/* Type 3 code 4 (RFC 792, RFC 1191): bytes 6-7 the next-hop MTU, then the IPv4 header and at
 * least 8 bytes of the TCP segment we sent. Checked: the quoted packet is TCP from our address;
 * the sequence check is TCP's (RFC 5927). */
static void
dp_icmp_frag_needed(struct dp_net *n, struct rte_mbuf *m, uint16_t off, uint16_t len,
		    int forwarded)
{
	const struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, off);
	const struct rte_ipv4_hdr *in;
	const uint8_t *l4;
	uint16_t ihl, mtu, sport, dport;
	uint32_t src, dst, seq;
	const struct dp_port *p = n->conf.port;
	enum dp_net_drop why;

	if (len < sizeof(*ic) + sizeof(*in) + 8 || m->data_len < off + sizeof(*ic) + sizeof(*in)) {
		why = DP_NET_DROP_ICMP_SHORT;
		goto drop;
	}
	in = (const struct rte_ipv4_hdr *)(ic + 1);
	ihl = (uint16_t)((in->version_ihl & 0x0f) * 4u);
	if ((in->version_ihl >> 4) != 4 || ihl < sizeof(*in) ||
	    len < sizeof(*ic) + ihl + 8u || m->data_len < off + sizeof(*ic) + ihl + 8u) {
		why = DP_NET_DROP_ICMP_SHORT;
		goto drop;
	}
	src = rte_be_to_cpu_32(in->src_addr);
	dst = rte_be_to_cpu_32(in->dst_addr);
	if (in->next_proto_id != IPPROTO_TCP || src != n->conf.ip || n->conf.tcp == NULL) {
		why = DP_NET_DROP_ICMP_TYPE; /* not about a segment of ours */
		goto drop;
	}
	l4 = (const uint8_t *)in + ihl;
	sport = (uint16_t)(l4[0] << 8 | l4[1]);
	dport = (uint16_t)(l4[2] << 8 | l4[3]);
	seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
	mtu = rte_be_to_cpu_16(ic->icmp_seq_nb);
	/* The router's queue is not the flow's: hand it to the owner, as a TCP segment would be. */
	if (!forwarded && p != NULL && p->nb_queues > 1) {
		int rc = dp_ip4_steer(n, m, dst, src, dport, sport);

		if (rc < 0) {
			why = DP_NET_DROP_WRONG_CORE;
			goto drop;
		}
		if (rc > 0)
			return;
	}
	n->stat[DP_NET_STAT_ICMP_FRAG_NEEDED]++;
	dp_tcp_icmp_frag_needed(n->conf.tcp, src, sport, dst, dport, seq, mtu);
	rte_pktmbuf_free(m);
	return;
drop:
	dp_net_drop(n, m, why);
}

void
dp_icmp_input(struct dp_net *n, struct rte_mbuf *m, uint16_t ip_hlen, int forwarded)
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
	if (ic->icmp_type == DP_ICMP_DEST_UNREACH && ic->icmp_code == DP_ICMP_FRAG_NEEDED) {
		dp_icmp_frag_needed(n, m, off, len, forwarded);
		return;
	}
	if (forwarded) {
		why = DP_NET_DROP_WRONG_CORE; /* only fragmentation-needed is ever forwarded */
		goto drop;
	}
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
