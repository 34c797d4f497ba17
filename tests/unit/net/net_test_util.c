/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the net-layer unit tests (see net_test_util.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include "dp/ip4.h"
#include "net_test_util.h"

#define NT_POOL_SIZE 1023

struct rte_mempool *nt_pool;
struct nt_tcp_seen nt_tcp;
struct nt_frag_seen nt_frag;
static unsigned nt_baseline; /* pool count when the context was made */
const struct rte_ether_addr nt_our_mac = {.addr_bytes = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const struct rte_ether_addr nt_peer_mac = {.addr_bytes = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};

/* Link-time substitute for the TCP layer. */
void
dp_tcp_input(struct dp_tcp *t, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip)
{
	(void)t;
	nt_tcp.calls++;
	if (nt_tcp.last != NULL)
		rte_pktmbuf_free(nt_tcp.last);
	nt_tcp.last = m;
	nt_tcp.src = src_ip;
	nt_tcp.dst = dst_ip;
}

void
dp_tcp_icmp_frag_needed(struct dp_tcp *t, uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
			uint16_t remote_port, uint32_t seq, uint16_t mtu)
{
	(void)t;
	nt_frag.calls++;
	nt_frag.lip = local_ip;
	nt_frag.lport = local_port;
	nt_frag.rip = remote_ip;
	nt_frag.rport = remote_port;
	nt_frag.seq = seq;
	nt_frag.mtu = mtu;
}

void
nt_eal_init(const char *prog)
{
	char prefix[64];
	char *argv[] = {(char *)(uintptr_t)prog,
			"-l",
			"0",
			"--no-huge",
			"-m",
			"128",
			"--no-pci",
			"--no-shconf",
			"--no-telemetry",
			"--log-level=lib.eal:error",
			"--file-prefix",
			prefix,
			NULL};

	snprintf(prefix, sizeof(prefix), "tnet%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		exit(1);
	}
	nt_pool = rte_pktmbuf_pool_create("nt_pool", NT_POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	if (nt_pool == NULL) {
		fprintf(stderr, "pool create failed\n");
		exit(1);
	}
}

void
nt_conf(struct dp_net_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->port_id = 0;
	c->queue = 0;
	c->lcore = 0;
	rte_ether_addr_copy(&nt_our_mac, &c->mac);
	c->ip = NT_OUR_IP;
	c->prefix_len = 24;
	c->mtu = 1500;
	c->pool = nt_pool;
	c->arp_entries = 64;
	c->arp_pending = 4;
	c->arp_reachable_us = 60000000;
	c->arp_retry_us = 1000000;
	c->arp_tries = 3;
	c->icmp_rate = 0;
	c->tcp =
		(struct dp_tcp *)(void *)&nt_tcp; /* opaque to the net layer; the stub ignores it */
}

struct dp_net *
nt_net(const struct dp_net_conf *c)
{
	void *mem = NULL;
	struct dp_net *n;

	ck_assert_int_eq(posix_memalign(&mem, 64, dp_net_memsize(c)), 0);
	n = dp_net_init(mem, c);
	ck_assert_ptr_nonnull(n);
	memset(&nt_tcp, 0, sizeof(nt_tcp));
	nt_baseline = rte_mempool_avail_count(nt_pool);
	return n;
}

void
nt_net_free(struct dp_net *n)
{
	free(n);
}

void
nt_tx_clear(struct dp_net *n)
{
	uint16_t i;

	for (i = 0; i < n->tx_n; i++)
		rte_pktmbuf_free(n->tx[i]);
	n->tx_n = 0;
}

void
nt_teardown(struct dp_net *n)
{
	dp_net_drain(n);
	if (nt_tcp.last != NULL) {
		rte_pktmbuf_free(nt_tcp.last);
		nt_tcp.last = NULL;
	}
	nt_net_free(n);
	/* relative to the context's creation, so one failed test does not fail all later ones */
	ck_assert_uint_eq(rte_mempool_avail_count(nt_pool), nt_baseline);
}

struct rte_mbuf *
nt_frame(const void *bytes, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nt_pool);
	char *p;

	ck_assert_ptr_nonnull(m);
	p = rte_pktmbuf_append(m, len);
	ck_assert_ptr_nonnull(p);
	memcpy(p, bytes, len);
	return m;
}

static void
nt_eth(uint8_t *buf, const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
       uint16_t type)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)buf;

	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(src, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(type);
}

void
nt_fix_ip_cksum(uint8_t *frame)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + RTE_ETHER_HDR_LEN);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

uint16_t
nt_build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len,
	    uint8_t ihl_words)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + RTE_ETHER_HDR_LEN);
	uint16_t hlen = (uint16_t)(ihl_words * 4);

	nt_eth(buf, &nt_our_mac, &nt_peer_mac, RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, hlen);
	ip->version_ihl = (uint8_t)(0x40 | ihl_words);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hlen + l4_len));
	ip->packet_id = rte_cpu_to_be_16(1);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	if (hlen > 20)
		memset(ip + 1, 1, hlen - 20); /* NOPs */
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return (uint16_t)(RTE_ETHER_HDR_LEN + hlen);
}

uint16_t
nt_build_tcp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	     uint16_t payload)
{
	uint16_t off = nt_build_ip(buf, src, dst, IPPROTO_TCP, (uint16_t)(20 + payload), 5);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(buf + off);
	uint16_t i;

	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(1000);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_SYN_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	for (i = 0; i < payload; i++)
		buf[off + 20 + i] = (uint8_t)(i * 7 + 1);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return (uint16_t)(off + 20 + payload);
}

uint16_t
nt_build_icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq,
		   uint16_t payload)
{
	uint16_t off = nt_build_ip(buf, src, dst, IPPROTO_ICMP, (uint16_t)(8 + payload), 5);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(buf + off);
	uint16_t i;

	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_code = 0;
	ic->icmp_cksum = 0;
	ic->icmp_ident = rte_cpu_to_be_16(id);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	for (i = 0; i < payload; i++)
		buf[off + 8 + i] = (uint8_t)i;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 8 + payload);
	return (uint16_t)(off + 8 + payload);
}

uint16_t
nt_build_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
	     const struct rte_ether_addr *tha, uint32_t tip)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(buf + RTE_ETHER_HDR_LEN);

	memset(buf, 0, 60);
	nt_eth(buf, op == RTE_ARP_OP_REQUEST ? &bcast : &nt_our_mac, sha, RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	rte_ether_addr_copy(tha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return 60;
}

void
nt_rx(struct dp_net *n, struct rte_mbuf *m, uint64_t now_us)
{
	dp_net_rx_pkts(n, &m, 1, now_us);
}
