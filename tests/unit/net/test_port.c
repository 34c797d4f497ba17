/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for port control and the burst path on vdevs that need no root or NIC: configuration
 * checks, probe failures, net_null (RSS with a fixed key: software steering), and net_ring as a
 * loopback port: gratuitous ARP out and back, an ICMP echo answered and its reply looped back,
 * partial TX kept for the next flush, and a head packet the port never takes dropped after 64
 * flushes.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp/arp.h"
#include "dp/ip4.h"
#include "dp/net.h"
#include "dp/port.h"
#include "net_test_util.h"

static struct rte_mempool *pt_pool;

static struct rte_mempool *
pt_get_pool(void)
{
	if (pt_pool == NULL)
		pt_pool = rte_pktmbuf_pool_create("pt_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						  SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(pt_pool);
	return pt_pool;
}

static void
pt_conf(struct dp_port_conf *c, const char *dev)
{
	dp_port_conf_defaults(c);
	snprintf(c->dev, sizeof(c->dev), "%s", dev);
	c->ipv4 = NT_OUR_IP;
	c->prefix_len = 24;
	c->rxd = 256;
	c->txd = 256;
}

START_TEST(test_conf_check)
{
	struct dp_port_conf c;

	pt_conf(&c, "net_null0");
	ck_assert_int_eq(dp_port_conf_check(&c), 0);
	c.dev[0] = '\0';
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	pt_conf(&c, "net_null0");
	c.ipv4 = 0;
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	pt_conf(&c, "net_null0");
	c.prefix_len = 33;
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	pt_conf(&c, "net_null0");
	c.queues = 0;
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	c.queues = DP_PORT_MAX_QUEUES + 1;
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	pt_conf(&c, "net_null0");
	c.mtu = 100;
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	pt_conf(&c, "net_null0");
	c.fault.rx.drop_ppm = 600000;
	c.fault.rx.dup_ppm = 500000;
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	c.fault.rx.dup_ppm = 400000;
	ck_assert_int_eq(dp_port_conf_check(&c), 0);
	pt_conf(&c, "net_null0");
	c.gateway = 0x0a000001; /* off-link */
	ck_assert_int_eq(dp_port_conf_check(&c), -EINVAL);
	c.gateway = NT_GW_IP;
	ck_assert_int_eq(dp_port_conf_check(&c), 0);
}
END_TEST

START_TEST(test_open_failures)
{
	struct rte_mempool *pools[1] = {pt_get_pool()};
	struct dp_port_conf c;
	struct dp_port p;

	pt_conf(&c, "net_nosuchdriver0");
	ck_assert_int_eq(dp_port_open(&p, &c, pools), -ENODEV);
	pt_conf(&c, "0000:99:00.0");
	ck_assert_int_eq(dp_port_open(&p, &c, pools), -ENODEV);
	pt_conf(&c, "99:00.1,rxq_cqe_comp_en=1"); /* PCI with devargs: looked up, not a vdev */
	ck_assert_int_eq(dp_port_open(&p, &c, pools), -ENODEV);
	pt_conf(&c, "net_null9");
	c.ipv4 = 0;
	ck_assert_int_eq(dp_port_open(&p, &c, pools), -EINVAL);
}
END_TEST

START_TEST(test_null_fixed_key_software_steering)
{
	struct rte_mempool *pools[2] = {pt_get_pool(), pt_get_pool()};
	struct dp_port_conf c;
	struct dp_port p;
	uint16_t pid;
	unsigned i;

	/* net_null has RSS and a 128-entry RETA but no settable key (hash_key_size 0): its hash is
	 * not ours, so steering must be software (rss false, flow queue = hash % queues). */
	pt_conf(&c, "net_null7,size=64");
	c.queues = 2;
	ck_assert_int_eq(dp_port_open(&p, &c, pools), 0);
	ck_assert_str_eq(p.driver, "net_null");
	ck_assert_uint_eq(p.nb_queues, 2);
	ck_assert_int_eq(dp_port_start(&p), 0);
	ck_assert(!p.rss);
	ck_assert_uint_eq(p.reta_size, 0);
	ck_assert_uint_eq(dp_port_flow_queue(&p, 12345), 12345 % 2);
	for (i = 0; i < p.rss_key_len; i++)
		ck_assert_uint_eq(p.rss_key[i], (i & 1) ? 0x5a : 0x6d);
	ck_assert_int_eq(dp_port_set_queue_lcore(&p, 1, 3), 0);
	ck_assert_int_eq(dp_port_set_queue_lcore(&p, 2, 3), -EINVAL);
	ck_assert_int_eq(dp_port_stop(&p), 0);
	dp_port_close(&p);
	ck_assert_int_ne(rte_eth_dev_get_port_by_name("net_null7", &pid), 0);
}
END_TEST

/* A loopback port (net_ring0 without arguments: each queue's TX ring is its RX ring). */
static struct dp_net *
pt_ring_net(struct dp_port *p, void **mem)
{
	struct rte_mempool *pools[1] = {pt_get_pool()};
	struct dp_port_conf c;
	struct dp_net_conf nc;
	struct dp_net *n;

	pt_conf(&c, "net_ring0");
	ck_assert_int_eq(dp_port_open(p, &c, pools), 0);
	ck_assert_int_eq(dp_port_start(p), 0);
	ck_assert(!p->rx_cksum && !p->tx_ip_cksum && !p->tx_l4_cksum);
	dp_net_conf_from_port(&nc, p, 0, 0, pt_get_pool());
	nc.tcp = (struct dp_tcp *)(void *)&nt_tcp;
	ck_assert_int_eq(posix_memalign(mem, 64, dp_net_memsize(&nc)), 0);
	n = dp_net_init(*mem, &nc);
	ck_assert_ptr_nonnull(n);
	return n;
}

static void
pt_ring_done(struct dp_port *p, struct dp_net *n, void *mem)
{
	unsigned guard = 0;

	/* drain the loop */
	while (dp_net_rx_burst(n, n->now_us) != 0 && guard++ < 1000)
		;
	dp_net_drain(n);
	free(mem);
	dp_port_stop(p);
	dp_port_close(p);
	ck_assert_uint_eq(rte_mempool_avail_count(pt_get_pool()), 4095);
}

START_TEST(test_ring_loopback_path)
{
	struct dp_port p;
	struct dp_net *n;
	struct rte_mbuf *m;
	uint8_t buf[128];
	uint16_t len;
	void *mem;

	n = pt_ring_net(&p, &mem);
	/* gratuitous ARP goes out and comes back: our own, not counted as a conflict */
	ck_assert_int_eq(dp_net_start(n, 10), 0);
	ck_assert_uint_eq(dp_net_tx_flush(n), 1);
	ck_assert_uint_eq(dp_net_rx_burst(n, 20), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_NOT_US], 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ARP_CONFLICT], 0);
	/* an echo request from "198.18.0.1" (our MAC as source, so the reply loops back to us) */
	len = nt_build_icmp_echo(buf, NT_PEER_IP, NT_OUR_IP, 77, 1, 24);
	memcpy(buf + 6, &p.mac, 6);
	memcpy(buf, &p.mac, 6);
	m = rte_pktmbuf_alloc(pt_get_pool());
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(rte_pktmbuf_append(m, len));
	memcpy(rte_pktmbuf_mtod(m, void *), buf, len);
	ck_assert_int_eq(dp_net_tx_enqueue(n, m), 0);
	ck_assert_uint_eq(dp_net_tx_flush(n), 1);
	ck_assert_uint_eq(dp_net_rx_burst(n, 30), 1); /* the request: answered */
	ck_assert_uint_eq(n->stat[DP_NET_STAT_ICMP_ECHO], 1);
	ck_assert_uint_eq(dp_net_tx_flush(n), 1);
	/* the reply comes back addressed to 198.18.0.1: its (software) IP checksum passes, then
	 * it is not ours */
	ck_assert_uint_eq(dp_net_rx_burst(n, 40), 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_IP_NOT_US], 1);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_IP_CKSUM], 0);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_TX_PKTS], 3);
	ck_assert_uint_eq(n->stat[DP_NET_STAT_RX_PKTS], 3);
	pt_ring_done(&p, n, mem);
}
END_TEST

/* A frame nobody wants (foreign destination MAC). */
static struct rte_mbuf *
pt_junk(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pt_get_pool());
	uint8_t *d;

	ck_assert_ptr_nonnull(m);
	d = (uint8_t *)rte_pktmbuf_append(m, 60);
	ck_assert_ptr_nonnull(d);
	memset(d, 0, 60);
	d[0] = 0x02;
	d[5] = 0x77;
	d[12] = 0x08;
	return m;
}

START_TEST(test_ring_partial_tx)
{
	struct dp_port p;
	struct dp_net *n;
	unsigned sent = 0, i, rounds;
	void *mem;

	n = pt_ring_net(&p, &mem);
	/* Fill the ring (its capacity is below 3 x 512) with three buffers' worth: the last flush
	 * is partial and what is left stays queued, in order. */
	for (rounds = 0; rounds < 3; rounds++) {
		for (i = 0; i < DP_NET_TX_MAX; i++)
			ck_assert_int_eq(dp_net_tx_enqueue(n, pt_junk()), 0);
		ck_assert_int_eq(dp_net_tx_enqueue(n, pt_junk()), -ENOBUFS); /* buffer full */
		sent += dp_net_tx_flush(n);
		if (n->tx_n != 0)
			break;
	}
	ck_assert_uint_gt(n->tx_n, 0);
	ck_assert_uint_gt(n->stat[DP_NET_STAT_TX_DEFERRED], 0);
	ck_assert_uint_ge(n->drop[DP_NET_DROP_TX_FULL], 1);
	/* the port stays full: 64 flushes that send nothing in a short time keep everything (a
	 * busy peer); once DP_NET_TX_STUCK_US have passed as well, the head packet goes */
	{
		uint16_t before = n->tx_n;

		for (i = 0; i < 64; i++)
			ck_assert_uint_eq(dp_net_tx_flush(n), 0);
		ck_assert_uint_eq(n->drop[DP_NET_DROP_TX_STUCK], 0);
		ck_assert_uint_eq(n->tx_n, before);
		n->now_us += DP_NET_TX_STUCK_US; /* the clock the RX phase would have set */
		ck_assert_uint_eq(dp_net_tx_flush(n), 0);
		ck_assert_uint_eq(n->drop[DP_NET_DROP_TX_STUCK], 1);
		ck_assert_uint_eq(n->tx_n, before - 1);
	}
	/* drain the ring through RX: every frame is counted (foreign MAC) */
	while (dp_net_rx_burst(n, 1) != 0)
		;
	ck_assert_uint_eq(n->drop[DP_NET_DROP_ETH_NOT_US], sent);
	/* with room again, what was left (and a new frame) goes */
	{
		uint16_t left = n->tx_n;

		ck_assert_int_eq(dp_net_tx_enqueue(n, pt_junk()), 0);
		ck_assert_uint_eq(dp_net_tx_flush(n), left + 1);
		ck_assert_uint_eq(n->tx_n, 0);
	}
	pt_ring_done(&p, n, mem);
}
END_TEST

/* dp_ip4_tx_room() flushes a nearly full TX buffer, but not one the port is refusing: asked
 * once per segment by every connection in a loop iteration, it would otherwise count as that
 * many flushes, and past DP_NET_TX_STUCK_US a stuck port would lose one packet per 64 queries
 * (10 for 640 connections) instead of one per 64 loop iterations. */
START_TEST(test_ring_tx_room_stuck)
{
	struct dp_port p;
	struct dp_net *n;
	unsigned i;
	void *mem;

	n = pt_ring_net(&p, &mem);
	/* the ring full, then the TX buffer full behind it */
	for (i = 0; i < 8 && (i == 0 || n->tx_n == 0); i++) {
		while (dp_net_tx_enqueue(n, pt_junk()) == 0)
			;
		(void)dp_net_tx_flush(n);
	}
	while (dp_net_tx_enqueue(n, pt_junk()) == 0)
		;
	ck_assert_uint_eq(n->tx_n, DP_NET_TX_MAX);
	ck_assert_uint_eq(dp_net_tx_flush(n), 0); /* refused: stuck since now */
	n->now_us += DP_NET_TX_STUCK_US;
	for (i = 0; i < 640; i++)
		(void)dp_ip4_tx_room(n);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_TX_STUCK], 0);
	ck_assert_uint_eq(dp_ip4_tx_room(n), 0);
	/* the loop's own flush still applies the stuck rule */
	for (i = 0; i < 64; i++)
		(void)dp_net_tx_flush(n);
	ck_assert_uint_eq(n->drop[DP_NET_DROP_TX_STUCK], 1);
	while (dp_net_rx_burst(n, 1) != 0)
		;
	while (n->tx_n != 0 && dp_net_tx_flush(n) != 0)
		while (dp_net_rx_burst(n, 1) != 0)
			;
	pt_ring_done(&p, n, mem);
}
END_TEST

Suite *port_suite(void);

Suite *
port_suite(void)
{
	Suite *s = suite_create("port");
	TCase *tc = tcase_create("port");

	tcase_add_test(tc, test_conf_check);
	tcase_add_test(tc, test_open_failures);
	tcase_add_test(tc, test_null_fixed_key_software_steering);
	tcase_add_test(tc, test_ring_loopback_path);
	tcase_add_test(tc, test_ring_partial_tx);
	tcase_add_test(tc, test_ring_tx_room_stuck);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
