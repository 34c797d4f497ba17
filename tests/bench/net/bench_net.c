/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-bench-net: per-packet cost of the L2/L3 layer without a port (a detached struct dp_net):
 * RX of TCP segments through Ethernet/IPv4 validation to dp_tcp_input(), with the TCP checksum
 * verified in software or trusted from offload flags, and dp_ip4_output() of TCP segments with
 * software or offloaded checksums (ARP resolved). The same mbufs are reused between rounds, so the
 * figures exclude allocation. Numbers from a busy shared machine are provisional.
 *
 *   skiff-bench-net [--json] [EAL args are fixed: --no-huge, one lcore]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dp/arp.h"
#include "dp/ip4.h"
#include "dp/net.h"

#define BN_BURST 32
#define BN_ROUNDS 20000

static struct rte_mbuf *bn_back[BN_BURST];
static unsigned bn_back_n;

/* The TCP layer stand-in: keep the segment for the next round. */
void
dp_tcp_input(struct dp_tcp *t, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip)
{
	(void)t;
	(void)src_ip;
	(void)dst_ip;
	bn_back[bn_back_n++ % BN_BURST] = m;
}

static const struct rte_ether_addr bn_mac = {.addr_bytes = {2, 0, 0, 0, 0, 2}};
static const struct rte_ether_addr bn_peer = {.addr_bytes = {2, 0, 0, 0, 0, 1}};

static struct dp_net *
bn_net(struct rte_mempool *mp, bool offload)
{
	struct dp_net_conf c;
	struct dp_net *n;
	void *mem = NULL;

	memset(&c, 0, sizeof(c));
	rte_ether_addr_copy(&bn_mac, &c.mac);
	c.ip = 0xc6120002;
	c.prefix_len = 24;
	c.mtu = 1500;
	c.pool = mp;
	c.arp_entries = 64;
	c.arp_pending = 4;
	c.arp_reachable_us = UINT32_MAX;
	c.arp_retry_us = 1000000;
	c.arp_tries = 3;
	c.rx_cksum = offload;
	c.tx_ip_cksum = offload;
	c.tx_l4_cksum = offload;
	c.tcp = (struct dp_tcp *)(void *)&bn_back;
	if (posix_memalign(&mem, 64, dp_net_memsize(&c)) != 0)
		return NULL;
	n = dp_net_init(mem, &c);
	if (n != NULL)
		dp_arp_update(n, 0xc6120001, &bn_peer);
	return n;
}

/* A TCP frame from the peer to us with @p payload bytes, checksums correct. */
static struct rte_mbuf *
bn_frame(struct rte_mempool *mp, uint16_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint16_t len = (uint16_t)(14 + 20 + 20 + payload);

	if (m == NULL || rte_pktmbuf_append(m, len) == NULL)
		return NULL;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eh, 0x5a, len);
	rte_ether_addr_copy(&bn_mac, &eh->dst_addr);
	rte_ether_addr_copy(&bn_peer, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	memset(ip, 0, 40);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(40 + payload));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = RTE_BE32(0xc6120001);
	ip->dst_addr = RTE_BE32(0xc6120002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = RTE_BE16(40000);
	th->dst_port = RTE_BE16(80);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

/* ns per packet of RX through to dp_tcp_input. */
static double
bn_rx(struct rte_mempool *mp, bool offload, uint16_t payload)
{
	struct dp_net *n = bn_net(mp, offload);
	struct rte_mbuf *v[BN_BURST];
	uint64_t t0, cycles = 0;
	unsigned r, i;

	if (n == NULL)
		return -1;
	for (i = 0; i < BN_BURST; i++)
		if ((v[i] = bn_frame(mp, payload)) == NULL)
			return -1;
	for (r = 0; r < BN_ROUNDS; r++) {
		for (i = 0; i < BN_BURST; i++)
			v[i]->ol_flags =
				offload ? RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD
					: 0;
		bn_back_n = 0;
		t0 = rte_rdtsc();
		dp_net_rx_pkts(n, v, BN_BURST, 1);
		cycles += rte_rdtsc() - t0;
		if (bn_back_n != BN_BURST)
			return -1;
		for (i = 0; i < BN_BURST; i++) {
			v[i] = bn_back[i];
			rte_pktmbuf_prepend(v[i], 34); /* the headers are still there */
		}
	}
	for (i = 0; i < BN_BURST; i++)
		rte_pktmbuf_free(v[i]);
	free(n);
	return (double)cycles * 1e9 / (double)rte_get_tsc_hz() / (BN_ROUNDS * (double)BN_BURST);
}

/* ns per packet of dp_ip4_output for a TCP segment (resolved neighbour). */
static double
bn_tx(struct rte_mempool *mp, bool offload, uint16_t payload)
{
	struct dp_net *n = bn_net(mp, offload);
	struct rte_mbuf *v[BN_BURST];
	uint64_t t0, cycles = 0;
	unsigned r, i;

	if (n == NULL)
		return -1;
	for (i = 0; i < BN_BURST; i++) {
		if ((v[i] = bn_frame(mp, payload)) == NULL)
			return -1;
		rte_pktmbuf_adj(v[i], 34); /* a segment: data at the TCP header */
	}
	for (r = 0; r < BN_ROUNDS; r++) {
		t0 = rte_rdtsc();
		for (i = 0; i < BN_BURST; i++)
			dp_ip4_output(n, v[i], 0xc6120002, 0xc6120001, IPPROTO_TCP);
		cycles += rte_rdtsc() - t0;
		if (n->tx_n != BN_BURST)
			return -1;
		for (i = 0; i < BN_BURST; i++) {
			v[i] = n->tx[i];
			rte_pktmbuf_adj(v[i], 34);
			v[i]->ol_flags = 0;
		}
		n->tx_n = 0;
	}
	for (i = 0; i < BN_BURST; i++)
		rte_pktmbuf_free(v[i]);
	free(n);
	return (double)cycles * 1e9 / (double)rte_get_tsc_hz() / (BN_ROUNDS * (double)BN_BURST);
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {argv[0],
		       "-l",
		       "0",
		       "--no-huge",
		       "-m",
		       "64",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--log-level=lib.eal:error",
		       "--file-prefix",
		       prefix,
		       NULL};
	struct rte_mempool *mp;
	int json = argc > 1 && strcmp(argv[1], "--json") == 0;
	double rx_sw64, rx_off64, rx_sw1460, rx_off1460, tx_sw64, tx_off64, tx_sw1460, tx_off1460;

	snprintf(prefix, sizeof(prefix), "bnet%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bn_mp", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	rx_sw64 = bn_rx(mp, false, 64);
	rx_off64 = bn_rx(mp, true, 64);
	rx_sw1460 = bn_rx(mp, false, 1460);
	rx_off1460 = bn_rx(mp, true, 1460);
	tx_sw64 = bn_tx(mp, false, 64);
	tx_off64 = bn_tx(mp, true, 64);
	tx_sw1460 = bn_tx(mp, false, 1460);
	tx_off1460 = bn_tx(mp, true, 1460);
	if (rx_sw64 < 0 || rx_off64 < 0 || rx_sw1460 < 0 || rx_off1460 < 0 || tx_sw64 < 0 ||
	    tx_off64 < 0 || tx_sw1460 < 0 || tx_off1460 < 0) {
		fprintf(stderr, "bench setup failed\n");
		return 1;
	}
	if (json)
		printf("{\"bench\":\"net\",\"rx_tcp64_sw_ns\":%.1f,\"rx_tcp64_offload_ns\":%.1f,"
		       "\"rx_tcp1460_sw_ns\":%.1f,\"rx_tcp1460_offload_ns\":%.1f,"
		       "\"tx_tcp64_sw_ns\":%.1f,\"tx_tcp64_offload_ns\":%.1f,"
		       "\"tx_tcp1460_sw_ns\":%.1f,\"tx_tcp1460_offload_ns\":%.1f}\n",
		       rx_sw64, rx_off64, rx_sw1460, rx_off1460, tx_sw64, tx_off64, tx_sw1460,
		       tx_off1460);
	else
		printf("ns/packet  RX to dp_tcp_input: 64B sw %.1f, offload %.1f; 1460B sw %.1f, "
		       "offload %.1f\n           dp_ip4_output:      64B sw %.1f, offload %.1f; "
		       "1460B sw %.1f, offload %.1f\n",
		       rx_sw64, rx_off64, rx_sw1460, rx_off1460, tx_sw64, tx_off64, tx_sw1460,
		       tx_off1460);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
