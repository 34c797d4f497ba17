/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the per-core L2/L3 layer (dataplane/net) on a detached context (no port): Ethernet
 * demux, IPv4 validation and every drop reason, padding trim, offload flags, ICMP echo and its rate
 * limit, ARP answers, learning, cache bounds, pending-queue limits, retries and give-up,
 * dp_ip4_output() headers and checksums (software, offload, chains), routing, fault injection rates
 * and effects with a fixed seed, flow ownership, local-port choice and wrong-core forwarding.
 * EAL runs once with --no-huge; every test checks the pool is back to its baseline.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dp/arp.h"
#include "dp/cksum.h"
#include "dp/fault.h"
#include "dp/ip4.h"
#include "dp/net.h"
#include "net_test_util.h"

#include "../../common/sk_test_eal.h"

static uint8_t buf[2048];

static struct rte_ipv4_hdr *
ip_of(uint8_t *frame)
{
	return (struct rte_ipv4_hdr *)(frame + RTE_ETHER_HDR_LEN);
}

/* Exactly one drop, of reason @p r, and nothing handed up or sent. */
static void
expect_drop(struct dp_net *n, enum dp_net_drop r)
{
	ck_assert_msg(n->drop[r] == 1, "reason %s count %lu", dp_net_drop_name(r),
		      (unsigned long)n->drop[r]);
	ck_assert_uint_eq(dp_net_drops_total(n), 1);
	ck_assert_uint_eq(nt_tcp.calls, 0);
	ck_assert_uint_eq(n->tx_n, 0);
}

/* ---- IPv4 / TCP input ---- */

START_TEST(test_tcp_accepted)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_tcp_hdr *th;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 40000, 80, 10);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(nt_tcp.calls, 1);
	ck_assert_uint_eq(nt_tcp.src, NT_PEER_IP);
	ck_assert_uint_eq(nt_tcp.dst, NT_OUR_IP);
	ck_assert_uint_eq(nt_tcp.last->pkt_len, 30);
	th = rte_pktmbuf_mtod(nt_tcp.last, struct rte_tcp_hdr *);
	ck_assert_uint_eq(rte_be_to_cpu_16(th->src_port), 40000);
	ck_assert_uint_eq(rte_be_to_cpu_16(th->dst_port), 80);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_TCP_IN], 1);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_RX_PKTS], 1);
	ck_assert_uint_eq(dp_net_drops_total(n), 0);
	nt_teardown(n);
}
END_TEST

START_TEST(test_padding_trimmed)
{
	struct dp_net_conf c;
	struct dp_net *n;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	memset(buf, 0xee, sizeof(buf));
	len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 40000, 80, 0);
	ck_assert_uint_eq(len, 54);
	nt_rx(n, nt_frame(buf, 60), 1); /* padded to the Ethernet minimum with junk */
	ck_assert_uint_eq(nt_tcp.calls, 1);
	ck_assert_uint_eq(nt_tcp.last->pkt_len, 20);
	ck_assert_uint_eq(dp_net_drops_total(n), 0);
	nt_teardown(n);
}
END_TEST

enum mut {
	M_SHORT_ETH,
	M_MAC,
	M_ETHERTYPE,
	M_SHORT_IP,
	M_VERSION,
	M_IHL,
	M_TOTLEN_BIG,
	M_TOTLEN_SMALL,
	M_CKSUM,
	M_MF,
	M_OFFSET,
	M_OPTIONS,
	M_NOT_US,
	M_SRC_LOOP,
	M_SRC_ZERO,
	M_SRC_MCAST,
	M_SRC_US,
	M_PROTO,
	M_TCP_CKSUM,
	M_TCP_SHORT,
	M_COUNT
};

static const enum dp_net_drop mut_reason[M_COUNT] = {
	[M_SHORT_ETH] = DP_NET_DROP_ETH_SHORT,	[M_MAC] = DP_NET_DROP_ETH_NOT_US,
	[M_ETHERTYPE] = DP_NET_DROP_ETH_TYPE,	[M_SHORT_IP] = DP_NET_DROP_IP_SHORT,
	[M_VERSION] = DP_NET_DROP_IP_VERSION,	[M_IHL] = DP_NET_DROP_IP_IHL,
	[M_TOTLEN_BIG] = DP_NET_DROP_IP_TOTLEN, [M_TOTLEN_SMALL] = DP_NET_DROP_IP_TOTLEN,
	[M_CKSUM] = DP_NET_DROP_IP_CKSUM,	[M_MF] = DP_NET_DROP_IP_FRAG,
	[M_OFFSET] = DP_NET_DROP_IP_FRAG,	[M_OPTIONS] = DP_NET_DROP_IP_OPTIONS,
	[M_NOT_US] = DP_NET_DROP_IP_NOT_US,	[M_SRC_LOOP] = DP_NET_DROP_IP_SRC,
	[M_SRC_ZERO] = DP_NET_DROP_IP_SRC,	[M_SRC_MCAST] = DP_NET_DROP_IP_SRC,
	[M_SRC_US] = DP_NET_DROP_IP_SRC,	[M_PROTO] = DP_NET_DROP_IP_PROTO,
	[M_TCP_CKSUM] = DP_NET_DROP_TCP_CKSUM,	[M_TCP_SHORT] = DP_NET_DROP_TCP_SHORT,
};

/* One valid TCP frame, broken in one way (IP checksum fixed unless that is the point). */
START_TEST(test_drop_reasons)
{
	enum mut mu = (enum mut)_i;
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_ipv4_hdr *ip = ip_of(buf);
	uint16_t len;
	int fix = 1;

	nt_conf(&c);
	n = nt_net(&c);
	len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 40000, 80, 26);
	switch (mu) {
	case M_SHORT_ETH:
		len = 10;
		break;
	case M_MAC:
		buf[5] = 0x09;
		break;
	case M_ETHERTYPE:
		buf[12] = 0x86;
		buf[13] = 0xdd;
		break;
	case M_SHORT_IP:
		len = RTE_ETHER_HDR_LEN + 12;
		fix = 0;
		break;
	case M_VERSION:
		ip->version_ihl = 0x65;
		break;
	case M_IHL:
		ip->version_ihl = 0x44;
		fix = 0;
		break;
	case M_TOTLEN_BIG:
		ip->total_length = rte_cpu_to_be_16(2000);
		break;
	case M_TOTLEN_SMALL:
		ip->total_length = rte_cpu_to_be_16(16);
		break;
	case M_CKSUM:
		ip->hdr_checksum ^= 0x0101;
		fix = 0;
		break;
	case M_MF:
		ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
		break;
	case M_OFFSET:
		ip->fragment_offset = RTE_BE16(5);
		break;
	case M_OPTIONS: {
		/* rebuild with IHL 6 and a record-route option */
		len = nt_build_ip(buf, NT_PEER_IP, NT_OUR_IP, IPPROTO_TCP, 20, 6);
		memset(buf + len, 0, 20);
		buf[RTE_ETHER_HDR_LEN + 20] = 7;
		buf[RTE_ETHER_HDR_LEN + 21] = 3;
		buf[RTE_ETHER_HDR_LEN + 22] = 4;
		len = (uint16_t)(len + 20);
		break;
	}
	case M_NOT_US:
		ip->dst_addr = rte_cpu_to_be_32(NT_OUR_IP + 1);
		break;
	case M_SRC_LOOP:
		ip->src_addr = rte_cpu_to_be_32(0x7f000001);
		break;
	case M_SRC_ZERO:
		ip->src_addr = 0;
		break;
	case M_SRC_MCAST:
		ip->src_addr = rte_cpu_to_be_32(0xe0000001);
		break;
	case M_SRC_US:
		ip->src_addr = rte_cpu_to_be_32(NT_OUR_IP);
		break;
	case M_PROTO:
		ip->next_proto_id = IPPROTO_UDP;
		break;
	case M_TCP_CKSUM:
		buf[len - 1] ^= 0x40;
		fix = 0;
		break;
	case M_TCP_SHORT:
		ip->total_length = rte_cpu_to_be_16(20 + 12);
		break;
	case M_COUNT:
		break;
	}
	if (fix)
		nt_fix_ip_cksum(buf);
	nt_rx(n, nt_frame(buf, len), 1);
	expect_drop(n, mut_reason[mu]);
	nt_teardown(n);
}
END_TEST

START_TEST(test_rx_cksum_flags)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_mbuf *m;
	uint16_t len;

	nt_conf(&c);
	c.rx_cksum = true;
	n = nt_net(&c);
	/* GOOD flags are trusted: a wrong IP checksum passes */
	len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 40000, 80, 4);
	ip_of(buf)->hdr_checksum ^= 0x1111;
	m = nt_frame(buf, len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	nt_rx(n, m, 1);
	ck_assert_uint_eq(nt_tcp.calls, 1);
	/* BAD IP flag on a correct header */
	len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 40000, 80, 4);
	m = nt_frame(buf, len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	nt_rx(n, m, 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_IP_CKSUM], 1);
	/* BAD L4 flag */
	m = nt_frame(buf, len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD;
	nt_rx(n, m, 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_TCP_CKSUM], 1);
	/* UNKNOWN: verified in software (and found bad) */
	buf[len - 1] ^= 1;
	m = nt_frame(buf, len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN | RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
	nt_rx(n, m, 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_TCP_CKSUM], 2);
	ck_assert_uint_eq(nt_tcp.calls, 1);
	nt_teardown(n);
}
END_TEST

START_TEST(test_no_tcp_context_counted)
{
	struct dp_net_conf c;
	struct dp_net *n;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 1, 2, 0);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(nt_tcp.calls, 1);
	dp_net_set_tcp(n, NULL);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_NO_TCP], 1);
	nt_teardown(n);
}
END_TEST

/* ---- ICMP ---- */

static void
check_echo_reply(struct rte_mbuf *r, uint16_t id, uint16_t seq, uint16_t payload, uint16_t hlen)
{
	uint8_t *f = rte_pktmbuf_mtod(r, uint8_t *);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = ip_of(f);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(f + RTE_ETHER_HDR_LEN + hlen);
	uint16_t i;

	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &nt_peer_mac));
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &nt_our_mac));
	ck_assert_uint_eq(rte_be_to_cpu_32(ip->src_addr), NT_OUR_IP);
	ck_assert_uint_eq(rte_be_to_cpu_32(ip->dst_addr), NT_PEER_IP);
	ck_assert_uint_eq(rte_raw_cksum(ip, hlen), 0xffff);
	ck_assert_uint_eq(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	ck_assert_uint_eq(rte_be_to_cpu_16(ic->icmp_ident), id);
	ck_assert_uint_eq(rte_be_to_cpu_16(ic->icmp_seq_nb), seq);
	ck_assert_uint_eq(rte_raw_cksum(ic, 8u + payload), 0xffff);
	for (i = 0; i < payload; i++)
		ck_assert_uint_eq(((uint8_t *)(ic + 1))[i], (uint8_t)i);
	ck_assert_uint_eq(r->pkt_len, RTE_ETHER_HDR_LEN + hlen + 8u + payload);
}

START_TEST(test_icmp_echo)
{
	struct dp_net_conf c;
	struct dp_net *n;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 0x1234, 7, 56);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->tx_n, 1);
	check_echo_reply(n->tx[0], 0x1234, 7, 56, 20);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ICMP_ECHO], 1);
	nt_tx_clear(n);
	/* short echo padded to 60 bytes: the padding is not echoed */
	memset(buf, 0xab, sizeof(buf));
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, 2, 4);
	nt_rx(n, nt_frame(buf, 60), 2);
	ck_assert_uint_eq(n->tx_n, 1);
	check_echo_reply(n->tx[0], 1, 2, 4, 20);
	nt_tx_clear(n);
	ck_assert_uint_eq(dp_net_drops_total(n), 0);
	nt_teardown(n);
}
END_TEST

START_TEST(test_icmp_echo_nop_options)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_icmp_hdr *ic;
	uint16_t off, i;

	nt_conf(&c);
	n = nt_net(&c);
	off = nt_build_ip(buf, NT_PEER_IP, NT_OUR_IP, IPPROTO_ICMP, 8 + 16, 6);
	ic = (struct rte_icmp_hdr *)(buf + off);
	memset(ic, 0, 24);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = rte_cpu_to_be_16(9);
	ic->icmp_seq_nb = rte_cpu_to_be_16(3);
	for (i = 0; i < 16; i++)
		((uint8_t *)(ic + 1))[i] = (uint8_t)i;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 24);
	nt_rx(n, nt_frame(buf, (uint16_t)(off + 24)), 1);
	ck_assert_uint_eq(n->tx_n, 1);
	check_echo_reply(n->tx[0], 9, 3, 16, 24);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

START_TEST(test_icmp_drops)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_icmp_hdr *ic;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	/* bad checksum */
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, 1, 8);
	buf[len - 1] ^= 0x10;
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ICMP_CKSUM], 1);
	/* a type we do not handle (timestamp request), valid checksum */
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, 1, 8);
	ic = (struct rte_icmp_hdr *)(buf + 34);
	ic->icmp_type = 13;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 16);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ICMP_TYPE], 1);
	/* shorter than an ICMP header */
	len = nt_build_ip(buf, NT_PEER_IP, NT_OUR_IP, IPPROTO_ICMP, 4, 5);
	nt_rx(n, nt_frame(buf, (uint16_t)(len + 4)), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ICMP_SHORT], 1);
	ck_assert_uint_eq(dp_net_drops_total(n), 3);
	ck_assert_uint_eq(n->tx_n, 0);
	nt_teardown(n);
}
END_TEST

/* ICMP fragmentation-needed quoting a TCP segment of ours (@p inner_src, @p proto, @p tcp_bytes of
 * it) with next-hop MTU @p mtu; returns the frame length. */
static uint16_t
nt_build_frag_needed(uint8_t *b, uint32_t inner_src, uint8_t proto, uint16_t tcp_bytes, uint16_t mtu)
{
	uint16_t off = nt_build_ip(b, NT_PEER_IP, NT_OUR_IP, IPPROTO_ICMP,
				   (uint16_t)(8 + 20 + tcp_bytes), 5);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(b + off);
	struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)(ic + 1);
	uint8_t *l4 = (uint8_t *)(in + 1);
	static const uint8_t tcp[8] = {0x1f, 0x90, 0x9c, 0x40, 0x11, 0x22, 0x33, 0x44};

	ic->icmp_type = 3;
	ic->icmp_code = 4;
	ic->icmp_cksum = 0;
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = rte_cpu_to_be_16(mtu);
	memset(in, 0, sizeof(*in));
	in->version_ihl = 0x45;
	in->total_length = rte_cpu_to_be_16(1500);
	in->time_to_live = 63;
	in->next_proto_id = proto;
	in->src_addr = rte_cpu_to_be_32(inner_src);
	in->dst_addr = rte_cpu_to_be_32(NT_PEER_IP);
	memcpy(l4, tcp, tcp_bytes < 8 ? tcp_bytes : 8);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 8u + 20u + tcp_bytes);
	return (uint16_t)(off + 8 + 20 + tcp_bytes);
}

/* PMTUD input: a fragmentation-needed about our segment reaches TCP with the quoted flow, its
 * sequence and the next-hop MTU; one not about a TCP segment of ours, or too short to quote 8
 * bytes of it, is dropped and counted. */
START_TEST(test_icmp_frag_needed)
{
	struct dp_net_conf c;
	struct dp_net *n;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	memset(&nt_frag, 0, sizeof(nt_frag));
	len = nt_build_frag_needed(buf, NT_OUR_IP, IPPROTO_TCP, 8, 1280);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(nt_frag.calls, 1);
	ck_assert_uint_eq(nt_frag.lip, NT_OUR_IP);
	ck_assert_uint_eq(nt_frag.rip, NT_PEER_IP);
	ck_assert_uint_eq(nt_frag.lport, 8080);
	ck_assert_uint_eq(nt_frag.rport, 40000);
	ck_assert_uint_eq(nt_frag.seq, 0x11223344u);
	ck_assert_uint_eq(nt_frag.mtu, 1280);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ICMP_FRAG_NEEDED], 1);
	/* quoting someone else's packet, or a UDP one */
	len = nt_build_frag_needed(buf, NT_PEER_IP, IPPROTO_TCP, 8, 1280);
	nt_rx(n, nt_frame(buf, len), 1);
	len = nt_build_frag_needed(buf, NT_OUR_IP, IPPROTO_UDP, 8, 1280);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ICMP_TYPE], 2);
	/* 4 bytes of the segment: no sequence number */
	len = nt_build_frag_needed(buf, NT_OUR_IP, IPPROTO_TCP, 4, 1280);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ICMP_SHORT], 1);
	ck_assert_uint_eq(nt_frag.calls, 1);
	ck_assert_uint_eq(dp_net_drops_total(n), 3);
	nt_teardown(n);
}
END_TEST

START_TEST(test_icmp_rate_limit)
{
	struct dp_net_conf c;
	struct dp_net *n;
	uint16_t len, i;
	uint64_t t0 = 5000000;

	nt_conf(&c);
	c.icmp_rate = 10;
	n = nt_net(&c);
	dp_net_start(n, t0);
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, 1, 8);
	for (i = 0; i < 25; i++)
		nt_rx(n, nt_frame(buf, len), t0);
	ck_assert_uint_eq(n->tx_n, 10);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ICMP_RATE], 15);
	nt_tx_clear(n);
	/* 300 ms later: 3 more tokens */
	for (i = 0; i < 5; i++)
		nt_rx(n, nt_frame(buf, len), t0 + 300000);
	ck_assert_uint_eq(n->tx_n, 3);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

/* ---- ARP ---- */

START_TEST(test_arp_answer_and_learn)
{
	static const struct rte_ether_addr zero;
	struct dp_net_conf c;
	struct dp_net *n;
	const struct dp_arp_entry *e;
	struct rte_arp_hdr *ah;
	struct rte_ether_hdr *eh;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &nt_peer_mac, NT_PEER_IP, &zero, NT_OUR_IP);
	nt_rx(n, nt_frame(buf, len), 10);
	ck_assert_uint_eq(n->tx_n, 1);
	eh = rte_pktmbuf_mtod(n->tx[0], struct rte_ether_hdr *);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &nt_peer_mac));
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &nt_our_mac));
	ck_assert_uint_eq(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REPLY);
	ck_assert(rte_is_same_ether_addr(&ah->arp_data.arp_sha, &nt_our_mac));
	ck_assert_uint_eq(rte_be_to_cpu_32(ah->arp_data.arp_sip), NT_OUR_IP);
	ck_assert(rte_is_same_ether_addr(&ah->arp_data.arp_tha, &nt_peer_mac));
	ck_assert_uint_eq(rte_be_to_cpu_32(ah->arp_data.arp_tip), NT_PEER_IP);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REPLY], 1);
	nt_tx_clear(n);
	e = dp_arp_lookup(n, NT_PEER_IP);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->state, DP_ARP_REACHABLE);
	ck_assert(rte_is_same_ether_addr(&e->mac, &nt_peer_mac));
	ck_assert_uint_eq(dp_net_drops_total(n), 0);
	nt_teardown(n);
}
END_TEST

START_TEST(test_arp_drops)
{
	static const struct rte_ether_addr zero;
	static const struct rte_ether_addr other = {.addr_bytes = {2, 9, 9, 9, 9, 9}};
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(buf + RTE_ETHER_HDR_LEN);
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	/* for someone else, sender unknown: not learned */
	len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &other, NT_PEER_IP + 5, &zero, NT_PEER_IP);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_NOT_US], 1);
	ck_assert_ptr_null(dp_arp_lookup(n, NT_PEER_IP + 5));
	/* bad format */
	len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &nt_peer_mac, NT_PEER_IP, &zero, NT_OUR_IP);
	ah->arp_hardware = RTE_BE16(6);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_FORMAT], 1);
	/* bad op */
	len = nt_build_arp(buf, 3, &nt_peer_mac, NT_PEER_IP, &zero, NT_OUR_IP);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_OP], 1);
	/* short */
	len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &nt_peer_mac, NT_PEER_IP, &zero, NT_OUR_IP);
	nt_rx(n, nt_frame(buf, RTE_ETHER_HDR_LEN + 20), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_SHORT], 1);
	/* someone claims our address */
	len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &other, NT_OUR_IP, &zero, NT_OUR_IP);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_CONFLICT], 1);
	ck_assert_uint_eq(dp_net_drops_total(n), 5);
	ck_assert_uint_eq(n->tx_n, 0);
	nt_teardown(n);
}
END_TEST

START_TEST(test_arp_refresh_known_sender)
{
	static const struct rte_ether_addr zero;
	static const struct rte_ether_addr moved = {.addr_bytes = {2, 7, 7, 7, 7, 7}};
	struct dp_net_conf c;
	struct dp_net *n;
	uint16_t len;

	nt_conf(&c);
	n = nt_net(&c);
	ck_assert_int_eq(dp_arp_update(n, NT_PEER_IP, &nt_peer_mac), 0);
	/* a request for someone else from a cached sender updates the cache (RFC 826 merge) */
	len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &moved, NT_PEER_IP, &zero, NT_PEER_IP + 9);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert(rte_is_same_ether_addr(&dp_arp_lookup(n, NT_PEER_IP)->mac, &moved));
	ck_assert_uint_eq(dp_net_drops_total(n), 0);
	ck_assert_uint_eq(n->tx_n, 0);
	nt_teardown(n);
}
END_TEST

/* A TCP segment (20-byte header + payload) with room for dp_ip4_output(). */
static struct rte_mbuf *
mk_segment(uint16_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nt_pool);
	struct rte_tcp_hdr *th;
	uint8_t *p;
	uint16_t i;

	ck_assert_ptr_nonnull(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(20 + payload));
	ck_assert_ptr_nonnull(p);
	th = (struct rte_tcp_hdr *)p;
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(80);
	th->dst_port = rte_cpu_to_be_16(40000);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG;
	for (i = 0; i < payload; i++)
		p[20 + i] = (uint8_t)(i + 3);
	return m;
}

START_TEST(test_arp_pending_queue_and_resolve)
{
	static const struct rte_ether_addr zero;
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	uint16_t len, i;

	nt_conf(&c);
	c.arp_pending = 4;
	n = nt_net(&c);
	for (i = 0; i < 6; i++) {
		int rc = dp_ip4_output(n, mk_segment(10), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP);

		ck_assert_int_eq(rc, i < 4 ? 0 : -ENOBUFS);
	}
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_QUEUE_FULL], 2);
	/* one broadcast request went out */
	ck_assert_uint_eq(n->tx_n, 1);
	eh = rte_pktmbuf_mtod(n->tx[0], struct rte_ether_hdr *);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ck_assert(rte_is_broadcast_ether_addr(&eh->dst_addr));
	ck_assert_uint_eq(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REQUEST);
	ck_assert_uint_eq(rte_be_to_cpu_32(ah->arp_data.arp_tip), NT_PEER_IP);
	ck_assert_uint_eq(rte_be_to_cpu_32(ah->arp_data.arp_sip), NT_OUR_IP);
	ck_assert_uint_eq(n->tx[0]->pkt_len, 60);
	nt_tx_clear(n);
	ck_assert_uint_eq(dp_arp_lookup(n, NT_PEER_IP)->state, DP_ARP_INCOMPLETE);
	/* the reply releases the four held frames, addressed to the peer */
	len = nt_build_arp(buf, RTE_ARP_OP_REPLY, &nt_peer_mac, NT_PEER_IP, &nt_our_mac, NT_OUR_IP);
	(void)zero;
	nt_rx(n, nt_frame(buf, len), 5);
	ck_assert_uint_eq(n->tx_n, 4);
	for (i = 0; i < 4; i++) {
		eh = rte_pktmbuf_mtod(n->tx[i], struct rte_ether_hdr *);
		ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &nt_peer_mac));
		ck_assert_uint_eq(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	}
	nt_tx_clear(n);
	ck_assert_uint_eq(n->arp_incomplete, 0);
	nt_teardown(n);
}
END_TEST

/* A burst of DP_ARP_PENDING_MAX frames (a client's first SYNs) to an unresolved neighbour is
 * held whole and released in order by the reply. */
START_TEST(test_arp_pending_max_burst)
{
	struct dp_net_conf c;
	struct dp_net *n;
	uint16_t len, i;

	nt_conf(&c);
	c.arp_pending = DP_ARP_PENDING_MAX;
	n = nt_net(&c);
	for (i = 0; i < DP_ARP_PENDING_MAX; i++)
		ck_assert_int_eq(dp_ip4_output(n, mk_segment(i + 1), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP),
				 0);
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(10), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP),
			 -ENOBUFS);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_QUEUE_FULL], 1);
	ck_assert_uint_eq(n->tx_n, 1); /* the request */
	nt_tx_clear(n);
	len = nt_build_arp(buf, RTE_ARP_OP_REPLY, &nt_peer_mac, NT_PEER_IP, &nt_our_mac, NT_OUR_IP);
	nt_rx(n, nt_frame(buf, len), 5);
	ck_assert_uint_eq(n->tx_n, DP_ARP_PENDING_MAX);
	for (i = 0; i < DP_ARP_PENDING_MAX; i++) /* in order: payload i + 1 bytes */
		ck_assert_uint_eq(n->tx[i]->pkt_len,
				  sizeof(struct rte_ether_hdr) + 20 + 20 + i + 1u);
	nt_tx_clear(n);
	ck_assert_uint_eq(n->arp_incomplete, 0);
	nt_teardown(n);
}
END_TEST

START_TEST(test_arp_cache_bounds)
{
	static const struct rte_ether_addr mac = {.addr_bytes = {2, 1, 2, 3, 4, 5}};
	struct dp_net_conf c;
	struct dp_net *n;
	uint32_t i;

	nt_conf(&c);
	c.arp_entries = 8;
	n = nt_net(&c);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(dp_arp_update(n, NT_PEER_IP + i, &mac), 0);
		ck_assert_uint_le(dp_arp_count(n), 8);
		ck_assert_ptr_nonnull(dp_arp_lookup(n, NT_PEER_IP + i));
	}
	ck_assert_uint_eq(dp_arp_count(n), 8);
	nt_teardown(n);

	/* one set of four ways: four resolving neighbours fill it, the fifth is refused */
	nt_conf(&c);
	c.arp_entries = 4;
	n = nt_net(&c);
	for (i = 0; i < 5; i++) {
		int rc = dp_ip4_output(n, mk_segment(0), NT_OUR_IP, NT_PEER_IP + 10 + i,
				       IPPROTO_TCP);

		ck_assert_int_eq(rc, i < 4 ? 0 : -ENOBUFS);
	}
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_CACHE_FULL], 1);
	ck_assert_uint_eq(dp_arp_count(n), 4);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 4);
	ck_assert_int_eq(dp_arp_update(n, NT_PEER_IP + 99, &mac), -ENOSPC);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

START_TEST(test_arp_retry_and_give_up)
{
	struct dp_net_conf c;
	struct dp_net *n;

	nt_conf(&c);
	c.arp_tries = 3;
	c.arp_retry_us = 1000;
	n = nt_net(&c);
	n->now_us = 0;
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(1), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP), 0);
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(1), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP), 0);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 1);
	dp_net_rx_pkts(n, NULL, 0, 999);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 1);
	dp_net_rx_pkts(n, NULL, 0, 1000);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 2);
	dp_net_rx_pkts(n, NULL, 0, 2000);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 3);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_TIMEOUT], 0);
	dp_net_rx_pkts(n, NULL, 0, 3000);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 3);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_TIMEOUT], 2);
	ck_assert_uint_eq(dp_arp_count(n), 0);
	ck_assert_uint_eq(n->arp_incomplete, 0);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

START_TEST(test_arp_stale_refresh)
{
	struct dp_net_conf c;
	struct dp_net *n;

	nt_conf(&c);
	c.arp_reachable_us = 1000;
	c.arp_retry_us = 1000;
	n = nt_net(&c);
	n->now_us = 0;
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	n->now_us = 500;
	dp_ip4_output(n, mk_segment(0), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 0);
	ck_assert_uint_eq(n->tx_n, 1);
	n->now_us = 1500; /* stale: still used, and a request goes out */
	dp_ip4_output(n, mk_segment(0), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 1);
	ck_assert_uint_eq(n->tx_n, 3);
	n->now_us = 1600; /* not again within the retry interval */
	dp_ip4_output(n, mk_segment(0), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ARP_TX_REQUEST], 1);
	ck_assert_uint_eq(n->tx_n, 4);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

START_TEST(test_arp_gratuitous)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	nt_conf(&c);
	c.gratuitous_arp = true;
	n = nt_net(&c);
	ck_assert_int_eq(dp_net_start(n, 1), 0);
	ck_assert_uint_eq(n->tx_n, 1);
	eh = rte_pktmbuf_mtod(n->tx[0], struct rte_ether_hdr *);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ck_assert(rte_is_broadcast_ether_addr(&eh->dst_addr));
	ck_assert_uint_eq(rte_be_to_cpu_32(ah->arp_data.arp_sip), NT_OUR_IP);
	ck_assert_uint_eq(rte_be_to_cpu_32(ah->arp_data.arp_tip), NT_OUR_IP);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

/* ---- dp_ip4_output ---- */

START_TEST(test_output_software_cksum)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;

	nt_conf(&c);
	n = nt_net(&c);
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(101), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP), 0);
	ck_assert_uint_eq(n->tx_n, 1);
	m = n->tx[0];
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &nt_peer_mac));
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &nt_our_mac));
	ck_assert_uint_eq(ip->version_ihl, 0x45);
	ck_assert_uint_eq(rte_be_to_cpu_16(ip->total_length), 20 + 20 + 101);
	ck_assert_uint_eq(ip->fragment_offset, RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
	ck_assert_uint_eq(ip->time_to_live, 64);
	ck_assert_uint_eq(ip->next_proto_id, IPPROTO_TCP);
	ck_assert_uint_eq(rte_be_to_cpu_32(ip->src_addr), NT_OUR_IP);
	ck_assert_uint_eq(rte_be_to_cpu_32(ip->dst_addr), NT_PEER_IP);
	ck_assert_uint_eq(rte_raw_cksum(ip, 20), 0xffff);
	ck_assert_int_eq(rte_ipv4_udptcp_cksum_verify(ip, ip + 1), 0);
	ck_assert_uint_eq(m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK), 0);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

START_TEST(test_output_offload_flags)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;

	nt_conf(&c);
	c.tx_ip_cksum = true;
	c.tx_l4_cksum = true;
	n = nt_net(&c);
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(50), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP), 0);
	m = n->tx[0];
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	th = (struct rte_tcp_hdr *)(ip + 1);
	ck_assert(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	ck_assert(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	ck_assert_uint_eq(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	ck_assert_uint_eq(m->l2_len, 14);
	ck_assert_uint_eq(m->l3_len, 20);
	ck_assert_uint_eq(m->l4_len, 20);
	ck_assert_uint_eq(ip->hdr_checksum, 0);
	ck_assert_uint_eq(th->cksum, rte_ipv4_phdr_cksum(ip, m->ol_flags));
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

/* Independent oracle for a chained IPv4 packet's L4 checksum: copy the IPv4 header and the L4
 * bytes into one flat buffer and verify with DPDK's contiguous routine. (Verifying a chain with the
 * routine that built it would let a bug agree with itself.) @return 0 if valid. */
static int
nt_flat_l4_verify(const struct rte_mbuf *m, uint16_t l3_off)
{
	static uint8_t flat[65536];
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l3_off);
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);

	const uint8_t *v = l3_off + tot > m->pkt_len ? NULL : rte_pktmbuf_read(m, l3_off, tot, flat);

	if (v == NULL)
		return -1;
	if (v != flat)
		memcpy(flat, v, tot);
	return rte_ipv4_udptcp_cksum_verify((const struct rte_ipv4_hdr *)flat,
					    flat + rte_ipv4_hdr_len((const struct rte_ipv4_hdr *)flat));
}

START_TEST(test_output_chain_cksum)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_mbuf *h, *d, *m;
	struct rte_ipv4_hdr *ip;
	uint8_t *p;
	uint16_t i;

	nt_conf(&c);
	n = nt_net(&c);
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	h = mk_segment(3); /* header + 3 bytes (odd) */
	d = rte_pktmbuf_alloc(nt_pool);
	p = (uint8_t *)rte_pktmbuf_append(d, 301);
	for (i = 0; i < 301; i++)
		p[i] = (uint8_t)(i * 13);
	ck_assert_int_eq(rte_pktmbuf_chain(h, d), 0);
	ck_assert_int_eq(dp_ip4_output(n, h, NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP), 0);
	m = n->tx[0];
	ck_assert_uint_eq(m->nb_segs, 2);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	ck_assert_uint_eq(rte_be_to_cpu_16(ip->total_length), 20 + 20 + 3 + 301);
	ck_assert_int_eq(nt_flat_l4_verify(m, RTE_ETHER_HDR_LEN), 0);
	ck_assert_int_eq(dp_cksum_ip4_l4_mbuf_verify(m, ip, 34), 0);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

/* Chains split at every odd and even offset: dp_cksum_raw_mbuf() equals the flat sum. DPDK 22.11's
 * rte_raw_cksum_mbuf() drops carries on odd-offset pieces (dp/cksum.h); count how often it would
 * have been wrong, to show the cases exercise that path. */
START_TEST(test_cksum_chain_splits)
{
	uint8_t data[1460];
	unsigned cut1, cut2, rte_wrong = 0, cases = 0;
	uint32_t x = 12345;

	for (unsigned i = 0; i < sizeof(data); i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
	for (cut1 = 1; cut1 < sizeof(data); cut1 += 37) {
		for (cut2 = cut1 + 1; cut2 < sizeof(data); cut2 += 101) {
			struct rte_mbuf *a = rte_pktmbuf_alloc(nt_pool);
			struct rte_mbuf *b = rte_pktmbuf_alloc(nt_pool);
			struct rte_mbuf *c = rte_pktmbuf_alloc(nt_pool);
			uint16_t ours, theirs, flat = rte_raw_cksum(data, sizeof(data));

			ck_assert_ptr_nonnull(c);
			memcpy(rte_pktmbuf_append(a, (uint16_t)cut1), data, cut1);
			memcpy(rte_pktmbuf_append(b, (uint16_t)(cut2 - cut1)), data + cut1, cut2 - cut1);
			memcpy(rte_pktmbuf_append(c, (uint16_t)(sizeof(data) - cut2)), data + cut2,
			       sizeof(data) - cut2);
			ck_assert_int_eq(rte_pktmbuf_chain(a, b), 0);
			ck_assert_int_eq(rte_pktmbuf_chain(a, c), 0);
			ck_assert_int_eq(dp_cksum_raw_mbuf(a, 0, sizeof(data), &ours), 0);
			ck_assert_uint_eq(ours, flat);
			/* from an offset inside the first segment, to one inside the last */
			ck_assert_int_eq(dp_cksum_raw_mbuf(a, 1, sizeof(data) - 2, &ours), 0);
			ck_assert_uint_eq(ours, rte_raw_cksum(data + 1, sizeof(data) - 2));
			ck_assert_int_eq(dp_cksum_raw_mbuf(a, 0, sizeof(data) + 1, &ours), -1);
			if (rte_raw_cksum_mbuf(a, 0, sizeof(data), &theirs) == 0 && theirs != flat)
				rte_wrong++;
			cases++;
			rte_pktmbuf_free(a);
		}
	}
	printf("cksum chain splits: %u cases, rte_raw_cksum_mbuf wrong in %u\n", cases, rte_wrong);
}
END_TEST

START_TEST(test_output_routing)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_arp_hdr *ah;

	nt_conf(&c);
	n = nt_net(&c);
	/* off-link, no gateway */
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(0), NT_OUR_IP, 0x0a000001, IPPROTO_TCP),
			 -EHOSTUNREACH);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_NO_ROUTE], 1);
	/* too big for the MTU */
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(1461), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP),
			 -EMSGSIZE);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_TOO_BIG], 1);
	ck_assert_uint_eq(n->tx_n, 0);
	nt_teardown(n);

	/* off-link via the gateway: ARP asks for the gateway */
	nt_conf(&c);
	c.gateway = NT_GW_IP;
	n = nt_net(&c);
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(0), NT_OUR_IP, 0x0a000001, IPPROTO_TCP), 0);
	ck_assert_uint_eq(n->tx_n, 1);
	ah = rte_pktmbuf_mtod_offset(n->tx[0], struct rte_arp_hdr *, RTE_ETHER_HDR_LEN);
	ck_assert_uint_eq(rte_be_to_cpu_32(ah->arp_data.arp_tip), NT_GW_IP);
	ck_assert_ptr_nonnull(dp_arp_lookup(n, NT_GW_IP));
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

/* ---- fault injection ---- */

START_TEST(test_fault_rates_seeded)
{
	struct dp_fault_conf fc = {.seed = 12345,
				   .rx = {.drop_ppm = 100000,
					  .dup_ppm = 50000,
					  .reorder_ppm = 20000,
					  .corrupt_ppm = 10000}};
	struct dp_fault f, g, h;
	unsigned cnt[5] = {0}, i, same = 0, diff = 0;
	const double exp[5] = {0.82, 0.10, 0.05, 0.02, 0.01};
	const unsigned N = 1000000;

	dp_fault_init(&f, &fc, 0);
	ck_assert(f.rx_on);
	ck_assert(!f.tx_on);
	for (i = 0; i < N; i++)
		cnt[dp_fault_decide(&f, &f.rx)]++;
	for (i = 0; i < 5; i++) {
		double mean = exp[i] * N, sd = __builtin_sqrt(mean * (1 - exp[i]));

		ck_assert_msg(cnt[i] > mean - 5 * sd && cnt[i] < mean + 5 * sd,
			      "action %u: %u, expected %.0f", i, cnt[i], mean);
	}
	/* reproducible per (seed, stream), different across streams */
	dp_fault_init(&f, &fc, 3);
	dp_fault_init(&g, &fc, 3);
	dp_fault_init(&h, &fc, 4);
	for (i = 0; i < 10000; i++) {
		enum dp_fault_action a = dp_fault_decide(&f, &f.rx);

		same += a == dp_fault_decide(&g, &g.rx);
		diff += a != dp_fault_decide(&h, &h.rx);
	}
	ck_assert_uint_eq(same, 10000);
	ck_assert_uint_gt(diff, 1000);
	/* all zero: off */
	memset(&fc, 0, sizeof(fc));
	dp_fault_init(&f, &fc, 0);
	ck_assert(!f.rx_on && !f.tx_on);
}
END_TEST

START_TEST(test_fault_rx_effects)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_mbuf *v[3];
	uint16_t len, i;

	/* drop everything */
	nt_conf(&c);
	c.fault.rx.drop_ppm = 1000000;
	n = nt_net(&c);
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, 1, 8);
	for (i = 0; i < 5; i++)
		nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_FAULT_RX], 5);
	ck_assert_uint_eq(n->tx_n, 0);
	nt_teardown(n);

	/* duplicate everything: two replies */
	nt_conf(&c);
	c.fault.rx.dup_ppm = 1000000;
	n = nt_net(&c);
	nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->tx_n, 2);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_FAULT_DUP], 1);
	nt_tx_clear(n);
	nt_teardown(n);

	/* reorder everything: 1 is held and goes after 2; 3 is held until 1 ms later */
	nt_conf(&c);
	c.fault.rx.reorder_ppm = 1000000;
	n = nt_net(&c);
	for (i = 0; i < 3; i++) {
		len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, (uint16_t)(i + 1), 8);
		v[i] = nt_frame(buf, len);
	}
	dp_net_rx_pkts(n, v, 3, 100);
	ck_assert_uint_eq(n->tx_n, 2);
	dp_net_rx_pkts(n, NULL, 0, 900);
	ck_assert_uint_eq(n->tx_n, 2);
	dp_net_rx_pkts(n, NULL, 0, 1100);
	ck_assert_uint_eq(n->tx_n, 3);
	{
		static const uint16_t want[3] = {2, 1, 3};

		for (i = 0; i < 3; i++) {
			struct rte_icmp_hdr *ic =
				rte_pktmbuf_mtod_offset(n->tx[i], struct rte_icmp_hdr *, 34);

			ck_assert_uint_eq(rte_be_to_cpu_16(ic->icmp_seq_nb), want[i]);
		}
	}
	nt_tx_clear(n);
	nt_teardown(n);

	/* corrupt everything: each frame is caught by some check, none answered */
	nt_conf(&c);
	c.fault.rx.corrupt_ppm = 1000000;
	c.fault.seed = 99;
	n = nt_net(&c);
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, 1, 32);
	for (i = 0; i < 50; i++)
		nt_rx(n, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_FAULT_CORRUPT], 50);
	ck_assert_uint_eq(dp_net_drops_total(n), 50);
	ck_assert_uint_eq(n->tx_n, 0);
	nt_teardown(n);
}
END_TEST

START_TEST(test_fault_tx_effects)
{
	struct dp_net_conf c;
	struct dp_net *n;
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;

	/* dropped on the wire: the sender sees success */
	nt_conf(&c);
	c.fault.tx.drop_ppm = 1000000;
	n = nt_net(&c);
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	ck_assert_int_eq(dp_ip4_output(n, mk_segment(10), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP), 0);
	ck_assert_uint_eq(n->tx_n, 0);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_FAULT_TX], 1);
	nt_teardown(n);

	/* duplicated */
	nt_conf(&c);
	c.fault.tx.dup_ppm = 1000000;
	n = nt_net(&c);
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	dp_ip4_output(n, mk_segment(10), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP);
	ck_assert_uint_eq(n->tx_n, 2);
	ck_assert_uint_eq(n->tx[0]->pkt_len, n->tx[1]->pkt_len);
	ck_assert_int_eq(memcmp(rte_pktmbuf_mtod(n->tx[0], void *),
				rte_pktmbuf_mtod(n->tx[1], void *), n->tx[0]->pkt_len),
			 0);
	nt_tx_clear(n);
	nt_teardown(n);

	/* corrupted after the checksums were made final (offloads on): the receiver can tell */
	nt_conf(&c);
	c.fault.tx.corrupt_ppm = 1000000;
	c.tx_ip_cksum = true;
	c.tx_l4_cksum = true;
	n = nt_net(&c);
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	dp_ip4_output(n, mk_segment(100), NT_OUR_IP, NT_PEER_IP, IPPROTO_TCP);
	ck_assert_uint_eq(n->tx_n, 1);
	m = n->tx[0];
	ck_assert_uint_eq(m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK), 0);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	ck_assert(rte_raw_cksum(ip, 20) != 0xffff ||
		  nt_flat_l4_verify(m, RTE_ETHER_HDR_LEN) != 0);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_FAULT_CORRUPT], 1);
	nt_tx_clear(n);
	nt_teardown(n);
}
END_TEST

/* ---- robustness: mutated frames ---- */

static uint64_t
mut_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A frame in one or two segments (split at @p split when 0 < split < len). */
static struct rte_mbuf *
mut_frame(const uint8_t *b, uint16_t len, uint16_t split)
{
	struct rte_mbuf *h, *t;

	if (split == 0 || split >= len)
		return nt_frame(b, len);
	h = nt_frame(b, split);
	t = nt_frame(b + split, (uint16_t)(len - split));
	ck_assert_int_eq(rte_pktmbuf_chain(h, t), 0);
	return h;
}

/* 50k frames built from valid ones and broken at random (bytes, lengths, segments, offload
 * flags, sometimes with the IP checksum made right again to reach TCP/ICMP): nothing crashes (ASan
 * build), every frame is accounted for, no mbuf leaks. */
START_TEST(test_mutated_frames)
{
	static const struct rte_ether_addr zero;
	struct dp_net_conf c;
	struct dp_net *n;
	uint64_t seed = 0x1234567, handled;
	unsigned i, k;

	nt_conf(&c);
	c.rx_cksum = _i == 1;
	n = nt_net(&c);
	dp_arp_update(n, NT_PEER_IP, &nt_peer_mac);
	for (i = 0; i < 50000; i++) {
		uint64_t r = mut_rand(&seed);
		uint16_t len, ops, split = 0;
		struct rte_mbuf *m;

		memset(buf, 0, 256);
		switch (r % 4) {
		case 0:
			len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 1000, 80,
					   (uint16_t)(r >> 8) % 64);
			break;
		case 1:
			len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 1, 1,
						 (uint16_t)(r >> 8) % 64);
			break;
		case 2:
			len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &nt_peer_mac, NT_PEER_IP, &zero,
					   NT_OUR_IP);
			break;
		default:
			len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 1000, 80, 0);
			len = 60; /* padded */
			break;
		}
		for (ops = (uint16_t)(1 + (r >> 16) % 4), k = 0; k < ops; k++) {
			uint64_t q = mut_rand(&seed);

			switch (q % 5) {
			case 0:
			case 1:
				if (len != 0)
					buf[(q >> 8) % len] ^= (uint8_t)(1 + (q >> 24) % 255);
				break;
			case 2:
				len = (uint16_t)((q >> 8) % (len + 1u));
				break;
			case 3:
				len = (uint16_t)(len + (q >> 8) % 64);
				break;
			default:
				split = (uint16_t)((q >> 8) % 80);
				break;
			}
		}
		if ((r >> 40) % 2 && len >= 34 && (buf[14] >> 4) == 4 && (buf[14] & 15) >= 5 &&
		    14u + (buf[14] & 15u) * 4u <= len)
			nt_fix_ip_cksum(buf);
		if (len == 0)
			len = 1;
		m = mut_frame(buf, len, split);
		m->ol_flags = (r >> 48) % 3 == 0
				      ? RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD
				      : 0;
		nt_rx(n, m, 1000 + i);
		nt_tx_clear(n);
		if (nt_tcp.last != NULL) {
			rte_pktmbuf_free(nt_tcp.last);
			nt_tcp.last = NULL;
		}
	}
	ck_assert_uint_eq(n->stat[DP_NET_STAT_RX_PKTS], 50000);
	/* every frame ended somewhere: dropped by a reason, or taken by a protocol */
	handled = dp_net_drops_total(n) + n->stat[DP_NET_STAT_TCP_IN] +
		  n->stat[DP_NET_STAT_ICMP_ECHO] + n->stat[DP_NET_STAT_ICMP_ECHO_REPLY] +
		  n->stat[DP_NET_STAT_ARP_RX_REQUEST] + n->stat[DP_NET_STAT_ARP_RX_REPLY];
	ck_assert_uint_ge(handled, 50000);
	ck_assert_uint_gt(n->stat[DP_NET_STAT_TCP_IN], 0);
	ck_assert_uint_gt(n->stat[DP_NET_STAT_ICMP_ECHO], 0);
	ck_assert_uint_gt(n->drop[DP_NET_DROP_IP_CKSUM], 0);
	ck_assert_uint_gt(n->drop[DP_NET_DROP_TCP_CKSUM] + n->drop[DP_NET_DROP_ICMP_CKSUM], 0);
	nt_teardown(n);
}
END_TEST

/* ---- flows across cores ---- */

static struct dp_port fake_port;

static void
fake_port_init(uint16_t nq)
{
	unsigned i;

	memset(&fake_port, 0, sizeof(fake_port));
	fake_port.nb_queues = nq;
	fake_port.rss_key_len = 40;
	for (i = 0; i < 40; i++)
		fake_port.rss_key[i] = (i & 1) ? 0x5a : 0x6d;
	for (i = 0; i < DP_PORT_MAX_QUEUES; i++)
		fake_port.queue_lcore[i] = UINT16_MAX;
	for (i = 0; i < nq; i++)
		fake_port.queue_lcore[i] = (uint16_t)(10 + i);
}

struct fwd_seen {
	unsigned calls;
	unsigned lcore;
	struct rte_mbuf *m[8];
};

static int
fwd_hook(void *ctx, unsigned lcore, struct rte_mbuf *m)
{
	struct fwd_seen *s = ctx;

	if (s->calls >= 8)
		return -ENOBUFS;
	s->lcore = lcore;
	s->m[s->calls++] = m;
	return 0;
}

static struct dp_net *
flow_net(uint16_t queue, struct fwd_seen *seen)
{
	struct dp_net_conf c;

	nt_conf(&c);
	c.port = &fake_port;
	c.queue = queue;
	c.lcore = 10u + queue;
	c.fwd = seen != NULL ? fwd_hook : NULL;
	c.fwd_ctx = seen;
	return nt_net(&c);
}

START_TEST(test_flow_symmetric_hash)
{
	uint64_t s = 7;
	unsigned i, per_q[2] = {0, 0};

	fake_port_init(2);
	for (i = 0; i < 2000; i++) {
		uint32_t a, b, h;
		uint16_t pa, pb;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		a = (uint32_t)(s >> 32);
		b = (uint32_t)s;
		pa = (uint16_t)(s >> 17);
		pb = (uint16_t)(s >> 41);
		h = dp_port_flow_hash(&fake_port, a, b, pa, pb);
		ck_assert_uint_eq(h, dp_port_flow_hash(&fake_port, b, a, pb, pa));
		per_q[dp_port_flow_queue(&fake_port, h)]++;
	}
	ck_assert_uint_gt(per_q[0], 700);
	ck_assert_uint_gt(per_q[1], 700);
}
END_TEST

static int
busy_first(void *ctx, uint16_t port)
{
	uint16_t *skip = ctx;

	return port == *skip;
}

START_TEST(test_flow_pick_local_port)
{
	struct dp_net *n0, *n1;
	unsigned i;

	fake_port_init(2);
	n0 = flow_net(0, NULL);
	n1 = flow_net(1, NULL);
	for (i = 0; i < 200; i++) {
		uint32_t rip = NT_PEER_IP + i * 3;
		uint16_t rport = (uint16_t)(1000 + i * 17);
		int p0 = dp_net_pick_local_port(n0, rip, rport, NT_OUR_IP, 32768, 60999, i * 101,
						NULL, NULL);
		int p1 = dp_net_pick_local_port(n1, rip, rport, NT_OUR_IP, 32768, 60999, i * 101,
						NULL, NULL);
		uint16_t skip;
		int p2;

		ck_assert_int_ge(p0, 32768);
		ck_assert_int_ge(p1, 32768);
		ck_assert(dp_net_flow_is_local(n0, rip, NT_OUR_IP, rport, (uint16_t)p0));
		ck_assert(!dp_net_flow_is_local(n1, rip, NT_OUR_IP, rport, (uint16_t)p0));
		ck_assert(dp_net_flow_is_local(n1, rip, NT_OUR_IP, rport, (uint16_t)p1));
		ck_assert(dp_net_lport_ok(n1, NT_OUR_IP, (uint16_t)p1, rip, rport));
		ck_assert(!dp_net_lport_ok(n1, NT_OUR_IP, (uint16_t)p0, rip, rport));
		ck_assert_uint_eq(dp_net_flow_lcore(n1, rip, NT_OUR_IP, rport, (uint16_t)p0), 10);
		/* the core a reply lands on is ours (the owner as seen from the other side) */
		ck_assert_uint_eq(
			dp_port_flow_queue(&fake_port, dp_port_flow_hash(&fake_port, NT_OUR_IP, rip,
									 (uint16_t)p1, rport)),
			1);
		skip = (uint16_t)p0;
		p2 = dp_net_pick_local_port(n0, rip, rport, NT_OUR_IP, 32768, 60999, i * 101,
					    busy_first, &skip);
		ck_assert_int_ne(p2, p0);
		ck_assert(dp_net_flow_is_local(n0, rip, NT_OUR_IP, rport, (uint16_t)p2));
	}
	/* a range of one port that hashes to the other queue: nothing fits */
	{
		int p1 = dp_net_pick_local_port(n1, NT_PEER_IP, 5000, NT_OUR_IP, 40000, 60000, 0,
						NULL, NULL);

		ck_assert_int_eq(dp_net_pick_local_port(n0, NT_PEER_IP, 5000, NT_OUR_IP,
							(uint16_t)p1, (uint16_t)p1, 0, NULL, NULL),
				 -EADDRNOTAVAIL);
		ck_assert_int_eq(dp_net_pick_local_port(n0, NT_PEER_IP, 5000, NT_OUR_IP, 2, 1, 0,
							NULL, NULL),
				 -EINVAL);
	}
	nt_teardown(n0);
	memset(&nt_tcp, 0, sizeof(nt_tcp));
	nt_teardown(n1);
}
END_TEST

START_TEST(test_flow_wrong_core_forwarded)
{
	struct fwd_seen seen = {0};
	struct dp_net *n0, *n1;
	uint16_t len, lport;
	int p1;

	fake_port_init(2);
	n0 = flow_net(0, &seen);
	n1 = flow_net(1, NULL);
	/* a SYN for a flow owned by queue 1 arrives on queue 0 */
	p1 = dp_net_pick_local_port(n1, NT_PEER_IP, 40000, NT_OUR_IP, 1024, 65535, 0, NULL, NULL);
	ck_assert_int_gt(p1, 0);
	lport = (uint16_t)p1;
	len = nt_build_tcp(buf, NT_PEER_IP, NT_OUR_IP, 40000, lport, 0);
	nt_rx(n0, nt_frame(buf, len), 1);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.lcore, 11);
	ck_assert_uint_eq(n0->stat[DP_NET_STAT_FWD_OUT], 1);
	ck_assert_uint_eq(n0->stat[DP_NET_STAT_FWD_TCP_OUT], 1);
	ck_assert_uint_eq(nt_tcp.calls, 0);
	/* the owner takes it without forwarding it again */
	dp_net_deliver(n1, seen.m[0]);
	ck_assert_uint_eq(nt_tcp.calls, 1);
	ck_assert_uint_eq(n1->stat[DP_NET_STAT_FWD_IN], 1);
	ck_assert_uint_eq(dp_net_drops_total(n1), 0);
	nt_teardown(n1);
	/* without a hook: counted and dropped */
	n1 = flow_net(1, NULL);
	nt_rx(n1, nt_frame(buf, len), 1);
	ck_assert_uint_eq(nt_tcp.calls, 1); /* owned by queue 1: taken */
	nt_teardown(n1);
	{
		struct dp_net *lone = flow_net(0, NULL);

		nt_rx(lone, nt_frame(buf, len), 1);
		ck_assert_uint_eq(lone->drop[DP_NET_DROP_WRONG_CORE], 1);
		nt_teardown(lone);
	}
	nt_teardown(n0);
}
END_TEST

START_TEST(test_flow_arp_fanout)
{
	static const struct rte_ether_addr zero;
	struct fwd_seen seen = {0};
	struct dp_net *n0, *n1;
	uint16_t len;

	fake_port_init(2);
	n0 = flow_net(0, &seen);
	n1 = flow_net(1, NULL);
	len = nt_build_arp(buf, RTE_ARP_OP_REQUEST, &nt_peer_mac, NT_PEER_IP, &zero, NT_OUR_IP);
	nt_rx(n0, nt_frame(buf, len), 1);
	ck_assert_uint_eq(n0->tx_n, 1);	  /* answered once, here */
	ck_assert_uint_eq(seen.calls, 1); /* a copy for the other core */
	ck_assert_uint_eq(seen.lcore, 11);
	ck_assert_uint_eq(n0->stat[DP_NET_STAT_FWD_OUT], 1);
	ck_assert_uint_eq(n0->stat[DP_NET_STAT_FWD_TCP_OUT], 0); /* not a TCP segment */
	dp_net_deliver(n1, seen.m[0]);
	ck_assert_uint_eq(n1->tx_n, 0); /* learn only */
	ck_assert_ptr_nonnull(dp_arp_lookup(n1, NT_PEER_IP));
	ck_assert_uint_eq(dp_arp_lookup(n1, NT_PEER_IP)->state, DP_ARP_REACHABLE);
	nt_tx_clear(n0);
	nt_teardown(n1);
	nt_teardown(n0);
}
END_TEST

START_TEST(test_names)
{
	unsigned i;

	for (i = 0; i < DP_NET_DROP_MAX; i++)
		ck_assert_ptr_nonnull(dp_net_drop_name((enum dp_net_drop)i));
	for (i = 0; i < DP_NET_DROP_MAX; i++)
		ck_assert_str_ne(dp_net_drop_name((enum dp_net_drop)i), "?");
	for (i = 0; i < DP_NET_STAT_MAX; i++)
		ck_assert_str_ne(dp_net_stat_name((enum dp_net_stat)i), "?");
	ck_assert_str_eq(dp_net_drop_name(DP_NET_DROP_MAX), "?");
}
END_TEST

Suite *port_suite(void); /* test_port.c */

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *ip = tcase_create("ipv4");
	TCase *icmp = tcase_create("icmp");
	TCase *arp = tcase_create("arp");
	TCase *out = tcase_create("output");
	TCase *fault = tcase_create("fault");
	TCase *flow = tcase_create("flow");

	tcase_add_test(ip, test_tcp_accepted);
	tcase_add_test(ip, test_padding_trimmed);
	tcase_add_loop_test(ip, test_drop_reasons, 0, M_COUNT);
	tcase_add_test(ip, test_rx_cksum_flags);
	tcase_add_test(ip, test_no_tcp_context_counted);
	tcase_add_test(ip, test_names);
	suite_add_tcase(s, ip);
	tcase_add_test(icmp, test_icmp_echo);
	tcase_add_test(icmp, test_icmp_echo_nop_options);
	tcase_add_test(icmp, test_icmp_drops);
	tcase_add_test(icmp, test_icmp_frag_needed);
	tcase_add_test(icmp, test_icmp_rate_limit);
	suite_add_tcase(s, icmp);
	tcase_add_test(arp, test_arp_answer_and_learn);
	tcase_add_test(arp, test_arp_drops);
	tcase_add_test(arp, test_arp_refresh_known_sender);
	tcase_add_test(arp, test_arp_pending_queue_and_resolve);
	tcase_add_test(arp, test_arp_pending_max_burst);
	tcase_add_test(arp, test_arp_cache_bounds);
	tcase_add_test(arp, test_arp_retry_and_give_up);
	tcase_add_test(arp, test_arp_stale_refresh);
	tcase_add_test(arp, test_arp_gratuitous);
	suite_add_tcase(s, arp);
	tcase_add_test(out, test_output_software_cksum);
	tcase_add_test(out, test_output_offload_flags);
	tcase_add_test(out, test_output_chain_cksum);
	tcase_add_test(out, test_cksum_chain_splits);
	tcase_add_test(out, test_output_routing);
	suite_add_tcase(s, out);
	tcase_add_test(fault, test_fault_rates_seeded);
	tcase_add_test(fault, test_fault_rx_effects);
	tcase_add_test(fault, test_fault_tx_effects);
	suite_add_tcase(s, fault);
	{
		TCase *rob = tcase_create("robustness");

		tcase_add_loop_test(rob, test_mutated_frames, 0, 2);
		tcase_set_timeout(rob, 60);
		suite_add_tcase(s, rob);
	}
	tcase_add_test(flow, test_flow_symmetric_hash);
	tcase_add_test(flow, test_flow_pick_local_port);
	tcase_add_test(flow, test_flow_wrong_core_forwarded);
	tcase_add_test(flow, test_flow_arp_fanout);
	suite_add_tcase(s, flow);
	return s;
}

int
main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	(void)argc;
	nt_eal_init(argv[0]);
	sr = srunner_create(net_suite());
	srunner_add_suite(sr, port_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sk_test_eal_cleanup();
	return failed == 0 ? 0 : 1;
}
