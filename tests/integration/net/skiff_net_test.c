/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-net-test: a minimal native-stack process for integration tests of the L2/L3 layer. It opens
 * one port from a device string (e.g. a net_tap vdev inside a network namespace), runs the loop
 * dp_net_rx_burst / dp_net_tx_flush on the main lcore with an adaptive idle sleep, for a bounded
 * time or until SIGTERM/SIGINT, then prints its port facts and counters ("stat <name> <n>",
 * "drop <name> <n>") and exits 0. Optionally it pings a peer itself (--ping A.B.C.D, one echo
 * request a --ping-interval-ms) and counts the replies, for DPDK-to-DPDK tests.
 *
 * TCP is not linked: segments reaching dp_tcp_input() are counted ("stat tcp_seen") and freed.
 *
 *   skiff-net-test <EAL args> -- --dev 'net_tap0,iface=sk0' --ip 198.18.0.2 --prefix 24
 *       [--gw A.B.C.D] [--seconds 30] [--ready FILE] [--ping A.B.C.D --count N]
 *       [--fault-rx-drop PPM] [--fault-tx-drop PPM] [--seed N]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp/ip4.h"
#include "dp/net.h"
#include "dp/port.h"

static volatile sig_atomic_t nt_stop;
static uint64_t nt_tcp_seen;

void
dp_tcp_input(struct dp_tcp *t, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip)
{
	(void)t;
	(void)src_ip;
	(void)dst_ip;
	nt_tcp_seen++;
	rte_pktmbuf_free(m);
}

static void
nt_on_signal(int sig)
{
	(void)sig;
	nt_stop = 1;
}

struct nt_opts {
	struct dp_port_conf port;
	unsigned seconds;
	const char *ready;
	uint32_t ping_ip;
	unsigned ping_count;
	unsigned ping_interval_ms;
};

static int
nt_parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int
nt_parse(int argc, char **argv, struct nt_opts *o)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "ip", required_argument, NULL, 'i' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "gw", required_argument, NULL, 'g' },
		{ "seconds", required_argument, NULL, 's' },
		{ "ready", required_argument, NULL, 'r' },
		{ "ping", required_argument, NULL, 'P' },
		{ "count", required_argument, NULL, 'c' },
		{ "ping-interval-ms", required_argument, NULL, 'I' },
		{ "fault-rx-drop", required_argument, NULL, 'x' },
		{ "fault-tx-drop", required_argument, NULL, 'y' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	dp_port_conf_defaults(&o->port);
	o->seconds = 30;
	o->ping_count = 5;
	o->ping_interval_ms = 100;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			snprintf(o->port.dev, sizeof(o->port.dev), "%s", optarg);
			break;
		case 'i':
			if (nt_parse_ip(optarg, &o->port.ipv4) != 0)
				return -1;
			break;
		case 'p':
			o->port.prefix_len = (uint8_t)atoi(optarg);
			break;
		case 'g':
			if (nt_parse_ip(optarg, &o->port.gateway) != 0)
				return -1;
			break;
		case 's':
			o->seconds = (unsigned)atoi(optarg);
			break;
		case 'r':
			o->ready = optarg;
			break;
		case 'P':
			if (nt_parse_ip(optarg, &o->ping_ip) != 0)
				return -1;
			break;
		case 'c':
			o->ping_count = (unsigned)atoi(optarg);
			break;
		case 'I':
			o->ping_interval_ms = (unsigned)atoi(optarg);
			break;
		case 'x':
			o->port.fault.rx.drop_ppm = (uint32_t)atoi(optarg);
			break;
		case 'y':
			o->port.fault.tx.drop_ppm = (uint32_t)atoi(optarg);
			break;
		case 'S':
			o->port.fault.seed = strtoull(optarg, NULL, 0);
			break;
		default:
			return -1;
		}
	}
	return dp_port_conf_check(&o->port) == 0 && o->seconds > 0 ? 0 : -1;
}

/* Send one echo request to @p dst through dp_ip4_output (ICMP checksum filled there). */
static int
nt_ping_send(struct dp_net *n, struct rte_mempool *mp, uint32_t dst, uint16_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_icmp_hdr *ic;
	uint8_t *p;
	unsigned i;

	if (m == NULL)
		return -ENOBUFS;
	p = (uint8_t *)rte_pktmbuf_append(m, sizeof(*ic) + 56);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	ic = (struct rte_icmp_hdr *)p;
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_code = 0;
	ic->icmp_cksum = 0;
	ic->icmp_ident = rte_cpu_to_be_16(0x5343);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	for (i = 0; i < 56; i++)
		p[sizeof(*ic) + i] = (uint8_t)i;
	return dp_ip4_output(n, m, n->conf.ip, dst, IPPROTO_ICMP);
}

static uint64_t
nt_now_us(uint64_t hz_per_us)
{
	return rte_rdtsc() / hz_per_us;
}

static void
nt_print(const struct dp_port *p, const struct dp_net *n, unsigned echo_sent)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned i;

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	printf("port %s driver %s mac %s rss %d rx_cksum %d tx_ip_cksum %d tx_l4_cksum %d\n",
	       p->name, p->driver, mac, p->rss, p->rx_cksum, p->tx_ip_cksum, p->tx_l4_cksum);
	for (i = 0; i < DP_NET_STAT_MAX; i++)
		printf("stat %s %lu\n", dp_net_stat_name((enum dp_net_stat)i),
		       (unsigned long)n->stat[i]);
	printf("stat tcp_seen %lu\n", (unsigned long)nt_tcp_seen);
	printf("stat echo_sent %u\n", echo_sent);
	printf("stat arp_cache %u\n", dp_arp_count(n));
	for (i = 0; i < DP_NET_DROP_MAX; i++)
		printf("drop %s %lu\n", dp_net_drop_name((enum dp_net_drop)i),
		       (unsigned long)n->drop[i]);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct nt_opts o;
	struct rte_mempool *mp;
	struct rte_mempool *pools[1];
	struct dp_port port;
	struct dp_net_conf nc;
	struct dp_net *n;
	uint64_t hz_per_us, start_us, end_us, next_ping_us;
	unsigned idle = 0, echo_sent = 0;
	void *mem;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "skiff-net-test: EAL init failed\n");
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (nt_parse(argc, argv, &o) != 0) {
		fprintf(stderr, "skiff-net-test: bad arguments (need --dev and --ip)\n");
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGTERM, nt_on_signal);
	signal(SIGINT, nt_on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	mp = rte_pktmbuf_pool_create("nt_mp", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "skiff-net-test: pool: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	pools[0] = mp;
	o.port.queues = 1;
	rc = dp_port_open(&port, &o.port, pools);
	if (rc != 0) {
		fprintf(stderr, "skiff-net-test: port open: %s\n", strerror(-rc));
		rte_eal_cleanup();
		return 1;
	}
	dp_port_set_queue_lcore(&port, 0, rte_lcore_id());
	rc = dp_port_start(&port);
	if (rc != 0) {
		fprintf(stderr, "skiff-net-test: port start: %s\n", strerror(-rc));
		dp_port_close(&port);
		rte_eal_cleanup();
		return 1;
	}
	dp_net_conf_from_port(&nc, &port, 0, rte_lcore_id(), mp);
	mem = rte_zmalloc("nt_net", dp_net_memsize(&nc), RTE_CACHE_LINE_SIZE);
	n = mem != NULL ? dp_net_init(mem, &nc) : NULL;
	if (n == NULL) {
		fprintf(stderr, "skiff-net-test: net init failed\n");
		dp_port_close(&port);
		rte_eal_cleanup();
		return 1;
	}
	/* No TCP layer here: any non-NULL context makes the IPv4 layer call our dp_tcp_input(). */
	dp_net_set_tcp(n, (struct dp_tcp *)(void *)&nt_tcp_seen);
	hz_per_us = rte_get_tsc_hz() / 1000000;
	if (hz_per_us == 0)
		hz_per_us = 1;
	start_us = nt_now_us(hz_per_us);
	end_us = start_us + (uint64_t)o.seconds * 1000000;
	next_ping_us = start_us + 200000;
	dp_net_start(n, start_us);
	if (o.ready != NULL) {
		FILE *f = fopen(o.ready, "w");

		if (f != NULL) {
			char mac[RTE_ETHER_ADDR_FMT_SIZE];

			rte_ether_format_addr(mac, sizeof(mac), &port.mac);
			fprintf(f, "%s\n", mac);
			fclose(f);
		}
	}
	while (!nt_stop) {
		uint64_t now = nt_now_us(hz_per_us);
		uint16_t nb;

		if (now >= end_us)
			break;
		nb = dp_net_rx_burst(n, now);
		if (o.ping_ip != 0 && echo_sent < o.ping_count && now >= next_ping_us &&
		    dp_port_link_up(&port)) {
			if (nt_ping_send(n, mp, o.ping_ip, (uint16_t)(echo_sent + 1)) == 0)
				echo_sent++;
			next_ping_us = now + (uint64_t)o.ping_interval_ms * 1000;
		}
		dp_net_tx_flush(n);
		if (nb != 0) {
			idle = 0;
		} else if (++idle > 256) {
			/* adaptive idle: short sleeps, so a shared CPU is not burnt (DPDK.md 12) */
			struct timespec ts = { 0, idle > 4096 ? 1000000 : 100000 };

			nanosleep(&ts, NULL);
		}
	}
	nt_print(&port, n, echo_sent);
	dp_net_drain(n);
	rte_free(mem);
	dp_port_stop(&port);
	dp_port_close(&port);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
