/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-net-test: a minimal native-stack process for integration tests of the L2/L3 layer. It opens
 * one port from a device string (e.g. a net_tap vdev inside a network namespace), runs the loop
 * dp_net_rx_burst / dp_net_tx_flush on the main lcore with an adaptive idle sleep, for a bounded
 * time or until SIGTERM/SIGINT, then prints its port facts and counters ("stat <name> <n>",
 * "drop <name> <n>") and exits 0. Optionally it pings a peer itself (--ping A.B.C.D, --count echo
 * requests one per --ping-interval-ms once the link is up), counts the replies, and stops when all
 * are in (or a second after the last request): for DPDK-to-DPDK tests over memif.
 *
 * With several lcores (-l 0-1), the port gets one queue per lcore and each lcore runs its own
 * struct dp_net; the wrong-core hook is an rte_ring per lcore (the runtime's mailbox in miniature)
 * drained into dp_net_deliver(). TCP is not linked: segments reaching dp_tcp_input() are counted
 * ("stat tcp_seen"), checked against the flow's owning core ("stat tcp_misrouted") and freed.
 *
 *   skiff-net-test <EAL args> -- --dev 'net_tap0,iface=sk0' --ip 198.18.0.2 --prefix 24
 *       [--gw A.B.C.D] [--seconds 30] [--ready FILE] [--ping A.B.C.D --count N]
 *       [--fault-rx-drop PPM] [--fault-tx-drop PPM] [--seed N]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
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
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_telemetry.h>

#include "dp/ip4.h"
#include "dp/net.h"
#include "dp/port.h"

static volatile sig_atomic_t nt_stop;

/* One worker: its queue's L2/L3 context and its mailbox. */
struct nt_core {
	struct dp_net *n;
	void *mem;
	struct rte_ring *inbox;
	uint16_t queue;
	unsigned lcore;
	uint64_t tcp_seen;
	uint64_t tcp_misrouted;
	unsigned echo_sent;
} __rte_cache_aligned;

static struct nt_core nt_cores[RTE_MAX_LCORE];
static unsigned nt_ncores;
static int nt_core_of_lcore[RTE_MAX_LCORE];

void
dp_tcp_input(struct dp_tcp *t, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip)
{
	struct nt_core *c = (struct nt_core *)(void *)t;
	const struct rte_tcp_hdr *th = rte_pktmbuf_mtod(m, const struct rte_tcp_hdr *);

	c->tcp_seen++;
	if (!dp_net_flow_is_local(c->n, src_ip, dst_ip, rte_be_to_cpu_16(th->src_port),
				  rte_be_to_cpu_16(th->dst_port)))
		c->tcp_misrouted++;
	rte_pktmbuf_free(m);
}

/* The wrong-core hook: post the frame to the owner's inbox. */
static int
nt_fwd(void *ctx, unsigned dst_lcore, struct rte_mbuf *m)
{
	int ci;

	(void)ctx;
	ci = dst_lcore < RTE_MAX_LCORE ? nt_core_of_lcore[dst_lcore] : -1;
	if (ci < 0)
		return -EINVAL;
	return rte_ring_mp_enqueue(nt_cores[ci].inbox, m) == 0 ? 0 : -ENOBUFS;
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
		{"dev", required_argument, NULL, 'd'},
		{"ip", required_argument, NULL, 'i'},
		{"prefix", required_argument, NULL, 'p'},
		{"gw", required_argument, NULL, 'g'},
		{"seconds", required_argument, NULL, 's'},
		{"ready", required_argument, NULL, 'r'},
		{"ping", required_argument, NULL, 'P'},
		{"count", required_argument, NULL, 'c'},
		{"ping-interval-ms", required_argument, NULL, 'I'},
		{"fault-rx-drop", required_argument, NULL, 'x'},
		{"fault-tx-drop", required_argument, NULL, 'y'},
		{"seed", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
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
nt_print(const struct dp_port *p)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint64_t sum, seen = 0, mis = 0, sent = 0;
	unsigned i, k;

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	printf("port %s driver %s mac %s queues %u rss %d rx_cksum %d tx_ip_cksum %d "
	       "tx_l4_cksum %d\n",
	       p->name, p->driver, mac, p->nb_queues, p->rss, p->rx_cksum, p->tx_ip_cksum,
	       p->tx_l4_cksum);
	for (k = 0; k < nt_ncores; k++) {
		struct nt_core *c = &nt_cores[k];

		seen += c->tcp_seen;
		mis += c->tcp_misrouted;
		sent += c->echo_sent;
		printf("core %u lcore %u rx_pkts %lu tcp_seen %lu fwd_out %lu fwd_in %lu "
		       "arp_cache %u\n",
		       c->queue, c->lcore, (unsigned long)c->n->stat[DP_NET_STAT_RX_PKTS],
		       (unsigned long)c->tcp_seen, (unsigned long)c->n->stat[DP_NET_STAT_FWD_OUT],
		       (unsigned long)c->n->stat[DP_NET_STAT_FWD_IN], dp_arp_count(c->n));
	}
	for (i = 0; i < DP_NET_STAT_MAX; i++) {
		for (sum = 0, k = 0; k < nt_ncores; k++)
			sum += nt_cores[k].n->stat[i];
		printf("stat %s %lu\n", dp_net_stat_name((enum dp_net_stat)i), (unsigned long)sum);
	}
	printf("stat tcp_seen %lu\n", (unsigned long)seen);
	printf("stat tcp_misrouted %lu\n", (unsigned long)mis);
	printf("stat echo_sent %lu\n", (unsigned long)sent);
	for (sum = 0, k = 0; k < nt_ncores; k++)
		sum += dp_arp_count(nt_cores[k].n);
	printf("stat arp_cache %lu\n", (unsigned long)sum);
	for (i = 0; i < DP_NET_DROP_MAX; i++) {
		for (sum = 0, k = 0; k < nt_ncores; k++)
			sum += nt_cores[k].n->drop[i];
		printf("drop %s %lu\n", dp_net_drop_name((enum dp_net_drop)i), (unsigned long)sum);
	}
	fflush(stdout);
}

/* /skiff/net: the layer's counters summed over the cores (dp_net_telemetry). */
static int
nt_tel_net(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_net *nets[RTE_MAX_LCORE];
	unsigned k;

	(void)cmd;
	(void)params;
	for (k = 0; k < nt_ncores; k++)
		nets[k] = nt_cores[k].n;
	return dp_net_telemetry(d, nets, nt_ncores);
}

static struct nt_opts nt_o;
static struct dp_port nt_port;
static struct rte_mempool *nt_mp;
static uint64_t nt_hz_per_us, nt_end_us;

/* One worker's loop: rx, mailbox, (pings), tx flush, adaptive idle. */
static int
nt_loop(void *arg)
{
	struct nt_core *c = &nt_cores[nt_core_of_lcore[rte_lcore_id()]];
	struct dp_net *n = c->n;
	uint64_t next_ping_us = nt_now_us(nt_hz_per_us) + 200000, last_ping_us = 0;
	int pinger = nt_o.ping_ip != 0 && c->queue == 0;
	unsigned idle = 0;
	bool started = false;

	(void)arg;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (!nt_stop) {
		uint64_t now = nt_now_us(nt_hz_per_us);
		struct rte_mbuf *in[32];
		unsigned nb, ni, i;

		if (now >= nt_end_us)
			break;
		/* Announce ourselves once the link is up (memif: when the peer connects). */
		if (!started && dp_port_link_up(&nt_port)) {
			dp_net_start(n, now);
			started = true;
		}
		nb = dp_net_rx_burst(n, now);
		ni = rte_ring_sc_dequeue_burst(c->inbox, (void **)in, 32, NULL);
		for (i = 0; i < ni; i++)
			dp_net_deliver(n, in[i]);
		if (pinger && c->echo_sent < nt_o.ping_count && now >= next_ping_us && started) {
			if (nt_ping_send(n, nt_mp, nt_o.ping_ip, (uint16_t)(c->echo_sent + 1)) == 0)
				c->echo_sent++;
			next_ping_us = now + (uint64_t)nt_o.ping_interval_ms * 1000;
			last_ping_us = now;
		}
		/* Pinging: done when every reply is in, or one second after the last request. */
		if (pinger && c->echo_sent == nt_o.ping_count &&
		    (n->stat[DP_NET_STAT_ICMP_ECHO_REPLY] >= nt_o.ping_count ||
		     now > last_ping_us + 1000000))
			nt_stop = 1;
		dp_net_tx_flush(n);
		if (nb + ni != 0) {
			idle = 0;
		} else if (++idle > 256) {
			/* adaptive idle: short sleeps, so a shared CPU is not burnt (DPDK.md 12) */
			struct timespec ts = {0, idle > 4096 ? 1000000 : 100000};

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

static void
nt_teardown(int port_open)
{
	unsigned k;

	for (k = 0; k < nt_ncores; k++) {
		struct nt_core *c = &nt_cores[k];
		struct rte_mbuf *m = NULL;

		if (c->inbox != NULL) {
			while (rte_ring_dequeue(c->inbox, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(c->inbox);
		}
		if (c->n != NULL)
			dp_net_drain(c->n);
		rte_free(c->mem);
	}
	if (port_open) {
		dp_port_stop(&nt_port);
		dp_port_close(&nt_port);
	}
	rte_mempool_free(nt_mp);
	rte_eal_cleanup();
}

int
main(int argc, char **argv)
{
	struct rte_mempool *pools[DP_PORT_MAX_QUEUES];
	unsigned lc, k;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "skiff-net-test: EAL init failed\n");
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (nt_parse(argc, argv, &nt_o) != 0) {
		fprintf(stderr, "skiff-net-test: bad arguments (need --dev and --ip)\n");
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGTERM, nt_on_signal);
	signal(SIGINT, nt_on_signal);
	nt_ncores = rte_lcore_count();
	if (nt_ncores > DP_PORT_MAX_QUEUES) {
		fprintf(stderr, "skiff-net-test: at most %u lcores\n", DP_PORT_MAX_QUEUES);
		rte_eal_cleanup();
		return 2;
	}
	nt_mp = rte_pktmbuf_pool_create("nt_mp", 8191, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (nt_mp == NULL) {
		fprintf(stderr, "skiff-net-test: pool: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	for (k = 0; k < nt_ncores; k++)
		pools[k] = nt_mp;
	nt_o.port.queues = (uint16_t)nt_ncores;
	rc = dp_port_open(&nt_port, &nt_o.port, pools);
	if (rc != 0) {
		fprintf(stderr, "skiff-net-test: port open: %s\n", strerror(-rc));
		nt_teardown(0);
		return 1;
	}
	for (k = 0; k < RTE_MAX_LCORE; k++)
		nt_core_of_lcore[k] = -1;
	k = 0;
	RTE_LCORE_FOREACH(lc)
	{
		nt_cores[k].queue = (uint16_t)k;
		nt_cores[k].lcore = lc;
		nt_core_of_lcore[lc] = (int)k;
		dp_port_set_queue_lcore(&nt_port, (uint16_t)k, lc);
		k++;
	}
	rc = dp_port_start(&nt_port);
	if (rc != 0) {
		fprintf(stderr, "skiff-net-test: port start: %s\n", strerror(-rc));
		nt_teardown(1);
		return 1;
	}
	for (k = 0; k < nt_ncores; k++) {
		struct nt_core *c = &nt_cores[k];
		struct dp_net_conf nc;
		char name[32];

		dp_net_conf_from_port(&nc, &nt_port, c->queue, c->lcore, nt_mp);
		if (nt_ncores > 1) {
			nc.fwd = nt_fwd;
			nc.fwd_ctx = NULL;
		}
		/* No TCP layer here: our dp_tcp_input() gets the core as its context. */
		nc.tcp = (struct dp_tcp *)(void *)c;
		c->mem = rte_zmalloc("nt_net", dp_net_memsize(&nc), RTE_CACHE_LINE_SIZE);
		c->n = c->mem != NULL ? dp_net_init(c->mem, &nc) : NULL;
		snprintf(name, sizeof(name), "nt_in%u", k);
		c->inbox = rte_ring_create(name, 1024, (int)rte_socket_id(), RING_F_SC_DEQ);
		if (c->n == NULL || c->inbox == NULL) {
			fprintf(stderr, "skiff-net-test: core %u setup failed\n", k);
			nt_teardown(1);
			return 1;
		}
	}
	rte_telemetry_register_cmd("/skiff/net", nt_tel_net, "L2/L3 counters summed over cores");
	nt_hz_per_us = rte_get_tsc_hz() / 1000000;
	if (nt_hz_per_us == 0)
		nt_hz_per_us = 1;
	nt_end_us = nt_now_us(nt_hz_per_us) + (uint64_t)nt_o.seconds * 1000000;
	if (nt_o.ready != NULL) {
		FILE *f = fopen(nt_o.ready, "w");

		if (f != NULL) {
			char mac[RTE_ETHER_ADDR_FMT_SIZE];

			rte_ether_format_addr(mac, sizeof(mac), &nt_port.mac);
			fprintf(f, "%s\n", mac);
			fclose(f);
		}
	}
	rte_eal_mp_remote_launch(nt_loop, NULL, CALL_MAIN);
	rte_eal_mp_wait_lcore();
	nt_print(&nt_port);
	nt_teardown(1);
	return 0;
}
