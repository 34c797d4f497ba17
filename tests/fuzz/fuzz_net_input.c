/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the L2/L3 input path (dataplane/net): each input is one received frame. The
 * first byte chooses where the frame is cut into two mbuf segments, whether RX checksum offload is
 * trusted, and which offload flags the "NIC" set; the rest is the frame. It goes through
 * dp_net_rx_pkts() on a fresh detached context (our address 198.18.0.2/24, the peer 198.18.0.1
 * resolved) down to ICMP answers, ARP and this file's dp_tcp_input(). Properties: no crash or
 * out-of-bounds access (ASan), every frame counted exactly once as received, and every mbuf back in
 * the pool afterwards (a leak aborts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp/arp.h"
#include "dp/ip4.h"
#include "dp/net.h"

#include "../common/sk_test_eal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_POOL 511

static struct rte_mempool *fz_pool;
static void *fz_mem;
static unsigned fz_tcp_calls;

void
dp_tcp_input(struct dp_tcp *t, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip)
{
	(void)t;
	(void)src_ip;
	(void)dst_ip;
	fz_tcp_calls++;
	rte_pktmbuf_free(m);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = {(*argv)[0],
		       "-l",
		       "0",
		       "--no-huge",
		       "-m",
		       "64",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--log-level=*:crit",
		       "--file-prefix",
		       prefix,
		       NULL};
	struct dp_net_conf c;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "fznet%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		abort();
	sk_test_eal_rmdir_at_exit();
	fz_pool = rte_pktmbuf_pool_create("fz_pool", FZ_POOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	if (fz_pool == NULL)
		abort();
	memset(&c, 0, sizeof(c));
	c.arp_entries = 16;
	if (posix_memalign(&fz_mem, 64, dp_net_memsize(&c)) != 0)
		abort();
	return 0;
}

/* A mbuf holding @p len bytes of @p p (len <= the data room). */
static struct rte_mbuf *
fz_seg(const uint8_t *p, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fz_pool);

	if (m == NULL)
		abort();
	if (len != 0) {
		char *d = rte_pktmbuf_append(m, len);

		if (d == NULL)
			abort();
		memcpy(d, p, len);
	}
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rte_ether_addr mac = {.addr_bytes = {2, 0, 0, 0, 0, 2}};
	static const struct rte_ether_addr peer = {.addr_bytes = {2, 0, 0, 0, 0, 1}};
	struct dp_net_conf c;
	struct rte_mbuf *m;
	struct dp_net *n;
	uint16_t len, cut, i;
	uint8_t ctl;

	if (size < 1 || size > 1 + 3000)
		return 0;
	ctl = data[0];
	data++;
	len = (uint16_t)(size - 1);
	memset(&c, 0, sizeof(c));
	rte_ether_addr_copy(&mac, &c.mac);
	c.ip = 0xc6120002;
	c.prefix_len = 24;
	c.mtu = 1500;
	c.pool = fz_pool;
	c.arp_entries = 16;
	c.arp_pending = 4;
	c.arp_reachable_us = 1000000;
	c.arp_retry_us = 1000;
	c.arp_tries = 2;
	c.icmp_rate = 100;
	c.rx_cksum = (ctl & 0x80) != 0;
	c.tcp = (struct dp_tcp *)(void *)&fz_tcp_calls;
	n = dp_net_init(fz_mem, &c);
	if (n == NULL)
		abort();
	dp_arp_update(n, 0xc6120001, &peer);

	/* the cut: none (one segment), or at (ctl & 0x3f) * len / 64 */
	cut = (uint16_t)((ctl & 0x3f) * (uint32_t)len / 64);
	if ((cut == 0 && len > 2000) || cut > 2000 || len - cut > 2000)
		cut = (uint16_t)(len / 2); /* each segment fits one mbuf */
	if (cut == 0) {
		m = fz_seg(data, len);
	} else {
		m = fz_seg(data, cut);
		if (rte_pktmbuf_chain(m, fz_seg(data + cut, (uint16_t)(len - cut))) != 0)
			abort();
	}
	if (ctl & 0x40)
		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	dp_net_rx_pkts(n, &m, 1, 100);
	/* a second pass in time lets ARP retries and give-ups run */
	dp_net_rx_pkts(n, NULL, 0, 5000);
	if (n->stat[DP_NET_STAT_RX_PKTS] != 1)
		abort();
	for (i = 0; i < n->tx_n; i++)
		rte_pktmbuf_free(n->tx[i]);
	n->tx_n = 0;
	dp_net_drain(n);
	if (rte_mempool_avail_count(fz_pool) != FZ_POOL)
		abort(); /* an mbuf leaked */
	return 0;
}
