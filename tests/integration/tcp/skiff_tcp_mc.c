/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-tcp-mc: the native TCP stack on several worker cores of the per-core runtime, for the
 * flow-affinity integration test (tap_tcp_2q.sh). Unlike skiff-tcp-test (one core, its own loop),
 * this runs the product's path: sk_runtime_create() opens the port with one queue per worker,
 * sk_runtime_set_stack() builds dp_net + dp_tcp on every core (wrong-core frames forwarded through
 * the mailboxes, active opens choosing local ports through dp_net_lport_ok), and the runtime's
 * loop polls them. The application part is a test harness on dp/stream.h:
 *
 *   --echo PORT        every core listens on PORT and echoes every byte (the received chain is
 *                      what goes back), closing after the peer's FIN once all is sent.
 *   --connect IP:PORT --conns K --bytes N
 *                      every core opens K connections once the link is up, sends N pattern bytes
 *                      on each (the byte at offset o is (o*131 + (o>>11) + 17) & 0xff, as in
 *                      skiff-tcp-test and peer.py), shuts down writing and checks every byte the
 *                      peer echoes back. The process stops by itself once every core is done.
 *
 * Runs until --seconds, SIGTERM/SIGINT, or (with --connect) all connections are done, then prints
 * per core (N = core id):
 *   core N lcore L stack 0|1 queue Q accepted A echo_closed E echo_bytes B clients C ok O failed F
 *   core N net stat|drop NAME V      (every dp_net counter of the core, read at core_fini;
 *                                    0 on a worker without a port queue, which has no stack)
 *   core N tcp NAME V                (every dp_tcp counter of the core)
 *   core N client lport P rport R ok 0|1     (one line per active open)
 *   core N bulk rport P bytes B      (echo connections that carried >= 1 MiB)
 * and "result ok" / "result FAILED" (exit 1 when a connection of --connect failed).
 *
 *   skiff-tcp-mc -c FILE [--echo PORT] [--connect IP:PORT --conns K --bytes N] [--seconds S]
 *                [--ready FILE] [-- EAL args]
 * The ready file gets the port's MAC and the EAL file prefix, one per line, once the workers run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <dp/net.h>
#include <dp/port.h>
#include <dp/stream.h>
#include <dp/tcp.h>
#include <sk/config.h>
#include <sk/core.h>
#include <sk/runtime.h>

#define MC_MAX_CORES 8
#define MC_MAX_CONNS 2048 /* per core, echo and client together */
#define MC_MAX_BULK 16
#define MC_BULK_MIN (1u << 20)
#define MC_PAT_PERIOD (2048u * 256u) /* the pattern repeats (skiff-tcp-test) */

struct mc_conn {
	struct dp_stream *s;
	struct rte_mbuf *pending; /* echo: chain waiting for send space */
	uint64_t tx, rx, total;
	uint16_t lport, rport;
	bool used, echo, shut, peer_fin, failed;
};

struct mc_opts {
	const char *conf;
	const char *ready;
	unsigned seconds;
	uint16_t echo_port;
	struct dp_addr4 connect;
	unsigned conns;
	uint64_t bytes;
};

/* Per core. Written by its core only; the main thread reads the done counters while running
 * (relaxed atomics) and the rest after the workers returned. */
struct mc_core {
	struct sk_core *c;
	struct mc_conn conns[MC_MAX_CONNS];
	unsigned conns_hw;
	bool connecting_done;
	uint64_t start_us;
	unsigned accepted, echo_closed, clients, clients_done, clients_failed;
	uint64_t echo_bytes;
	struct {
		uint16_t rport;
		uint64_t bytes;
	} bulk[MC_MAX_BULK];
	unsigned n_bulk;
	/* client log: lport, rport, ok */
	struct {
		uint16_t lport, rport;
		bool ok;
	} client[MC_MAX_CONNS];
	/* counters copied at core_fini */
	unsigned lcore;
	uint16_t queue;
	uint64_t net_stat[DP_NET_STAT_MAX];
	uint64_t net_drop[DP_NET_DROP_MAX];
	uint64_t tcp[DP_TCP_CNT_MAX];
	bool have_stack;
};

static struct mc_opts mc_o;
static struct mc_core mc_cores[MC_MAX_CORES];
static uint8_t mc_pat[MC_PAT_PERIOD + 2048];

static struct mc_conn *
mc_conn_new(struct mc_core *mc)
{
	for (unsigned i = 0; i < MC_MAX_CONNS; i++)
		if (!mc->conns[i].used) {
			memset(&mc->conns[i], 0, sizeof(mc->conns[i]));
			mc->conns[i].used = true;
			if (i >= mc->conns_hw)
				mc->conns_hw = i + 1;
			return &mc->conns[i];
		}
	return NULL;
}

static struct mc_core *
mc_self(void)
{
	return sk_core_self()->app_ctx;
}

/* ---- echo ---- */

static void
mc_echo_flush(struct mc_conn *k)
{
	if (k->pending != NULL && dp_stream_send(k->s, k->pending) == 0)
		k->pending = NULL;
	if (k->pending == NULL && k->peer_fin && !k->shut) {
		k->shut = true;
		dp_stream_close(k->s);
	}
}

static void *
mc_accept(void *lctx, struct dp_stream *s)
{
	struct mc_core *mc = lctx;
	struct mc_conn *k = mc_conn_new(mc);

	if (k == NULL)
		return NULL;
	k->s = s;
	k->echo = true;
	k->rport = s->remote.port;
	mc->accepted++;
	return k;
}

/* ---- client ---- */

static void
mc_client_fill(struct mc_conn *k)
{
	struct rte_mempool *mp = sk_core_self()->pool;

	while (k->tx < k->total) {
		uint32_t n = (uint32_t)RTE_MIN(k->total - k->tx, 1448u);
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint8_t *p;

		if (m == NULL)
			return; /* writable() or the next data upcall tries again */
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		memcpy(p, mc_pat + k->tx % MC_PAT_PERIOD, n);
		if (dp_stream_send(k->s, m) != 0) {
			rte_pktmbuf_free(m);
			return;
		}
		k->tx += n;
	}
	if (!k->shut) {
		k->shut = true;
		(void)dp_stream_shutdown_wr(k->s);
	}
}

static void
mc_client_end(struct mc_core *mc, struct mc_conn *k, bool ok)
{
	unsigned i = mc->clients_done;

	if (i < MC_MAX_CONNS) {
		mc->client[i].lport = k->lport;
		mc->client[i].rport = k->rport;
		mc->client[i].ok = ok;
	}
	if (!ok)
		__atomic_store_n(&mc->clients_failed, mc->clients_failed + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&mc->clients_done, mc->clients_done + 1, __ATOMIC_RELAXED);
	k->used = false;
}

static void
mc_connected(void *ctx, struct dp_stream *s, int err)
{
	struct mc_conn *k = ctx;

	if (err != 0) {
		fprintf(stderr, "core %u: connect from port %u failed: %s\n", sk_core_self()->id,
			k->lport, strerror(-err));
		mc_client_end(mc_self(), k, false);
		return;
	}
	k->s = s;
	mc_client_fill(k);
}

static void
mc_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct mc_conn *k = ctx;

	(void)s;
	if (k->echo) {
		k->rx += chain->pkt_len;
		mc_self()->echo_bytes += chain->pkt_len;
		if (k->pending != NULL) {
			struct rte_mbuf *last = rte_pktmbuf_lastseg(k->pending);

			last->next = chain;
			k->pending->nb_segs = (uint16_t)(k->pending->nb_segs + chain->nb_segs);
			k->pending->pkt_len += chain->pkt_len;
		} else {
			k->pending = chain;
		}
		mc_echo_flush(k);
		return;
	}
	for (struct rte_mbuf *m = chain; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

		for (uint32_t done = 0; done < m->data_len;) {
			uint32_t n = RTE_MIN(m->data_len - done, 2048u);

			if (memcmp(p + done, mc_pat + (k->rx + done) % MC_PAT_PERIOD, n) != 0)
				k->failed = true;
			done += n;
		}
		k->rx += m->data_len;
	}
	rte_pktmbuf_free(chain);
	if (k->rx > k->total)
		k->failed = true;
}

static void
mc_writable(void *ctx, struct dp_stream *s)
{
	struct mc_conn *k = ctx;

	(void)s;
	if (k->echo)
		mc_echo_flush(k);
	else
		mc_client_fill(k);
}

static void
mc_peer_closed(void *ctx, struct dp_stream *s)
{
	struct mc_conn *k = ctx;

	(void)s;
	k->peer_fin = true;
	if (k->echo)
		mc_echo_flush(k);
	else
		dp_stream_close(k->s);
}

static void
mc_closed(void *ctx, struct dp_stream *s, int err)
{
	struct mc_conn *k = ctx;
	struct mc_core *mc = mc_self();

	(void)s;
	if (k->pending != NULL) {
		rte_pktmbuf_free(k->pending);
		k->pending = NULL;
	}
	if (k->echo) {
		mc->echo_closed++;
		if (k->rx >= MC_BULK_MIN && mc->n_bulk < MC_MAX_BULK) {
			mc->bulk[mc->n_bulk].rport = k->rport;
			mc->bulk[mc->n_bulk].bytes = k->rx;
			mc->n_bulk++;
		}
		k->used = false;
		return;
	}
	if (err != 0 || k->failed || k->rx != k->total || k->tx != k->total)
		fprintf(stderr, "core %u: client port %u: err %d tx %lu rx %lu of %lu%s\n",
			sk_core_self()->id, k->lport, err, (unsigned long)k->tx,
			(unsigned long)k->rx, (unsigned long)k->total,
			k->failed ? ", pattern mismatch" : "");
	mc_client_end(mc, k, err == 0 && !k->failed && k->rx == k->total && k->tx == k->total);
}

static const struct dp_stream_cbs mc_cbs = {
	.accept = mc_accept,
	.connected = mc_connected,
	.data = mc_data,
	.writable = mc_writable,
	.peer_closed = mc_peer_closed,
	.closed = mc_closed,
};

/* ---- runtime hooks ---- */

static int
mc_core_init(struct sk_core *c, void *arg)
{
	struct mc_core *mc;

	(void)arg;
	if (c->id >= MC_MAX_CORES)
		return -E2BIG;
	mc = &mc_cores[c->id];
	mc->c = c;
	mc->lcore = c->lcore;
	mc->start_us = c->now_us;
	c->app_ctx = mc;
	if (c->stack == NULL || c->net == NULL) {
		/* A port with fewer queues than workers: this worker owns none, has no stack and
		 * takes no part (DESIGN.md: a port that cannot steer is owned by one worker). */
		__atomic_store_n(&mc->connecting_done, true, __ATOMIC_RELAXED);
		return 0;
	}
	mc->have_stack = true;
	mc->queue = c->net->conf.queue;
	if (mc_o.echo_port != 0) {
		struct dp_addr4 l = {.ip = 0, .port = mc_o.echo_port};
		int rc = dp_stack_listen(c->stack, &l, &mc_cbs, mc);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Once the link is up (and 300 ms for the kernel side to get its address): the active opens. */
static unsigned
mc_poll(struct sk_core *c)
{
	struct mc_core *mc = c->app_ctx;
	const struct dp_port *p;

	if (mc_o.connect.port == 0 || !mc->have_stack || mc->connecting_done ||
	    c->now_us < mc->start_us + 300000)
		return 0;
	p = c->net->conf.port;
	if (p == NULL || !dp_port_link_up(p))
		return 0;
	mc->connecting_done = true;
	for (unsigned i = 0; i < mc_o.conns; i++) {
		struct mc_conn *k = mc_conn_new(mc);
		struct dp_stream *s;
		int rc;

		__atomic_store_n(&mc->clients, mc->clients + 1, __ATOMIC_RELAXED);
		if (k == NULL) {
			__atomic_store_n(&mc->clients_failed, mc->clients_failed + 1,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&mc->clients_done, mc->clients_done + 1, __ATOMIC_RELAXED);
			continue;
		}
		k->total = mc_o.bytes;
		k->rport = mc_o.connect.port;
		rc = dp_stack_connect(c->stack, &mc_o.connect, &mc_cbs, k, &s);
		if (rc != 0) {
			fprintf(stderr, "core %u: connect: %s\n", c->id, strerror(-rc));
			mc_client_end(mc, k, false);
			continue;
		}
		k->s = s;
		k->lport = s->local.port;
	}
	return 1;
}

static void
mc_core_fini(struct sk_core *c)
{
	struct mc_core *mc = c->app_ctx;

	if (mc == NULL || c->net == NULL || c->tcp == NULL)
		return;
	/* The stack is still attached (it goes after core_fini): copy its counters. */
	memcpy(mc->net_stat, c->net->stat, sizeof(mc->net_stat));
	memcpy(mc->net_drop, c->net->drop, sizeof(mc->net_drop));
	for (unsigned i = 0; i < DP_TCP_CNT_MAX; i++)
		mc->tcp[i] = dp_tcp_counter(c->tcp, (enum dp_tcp_cnt)i);
}

struct mc_tick {
	uint64_t stop_at_tsc;
	uint64_t done_at_tsc; /* every client finished: stop a little later (last ACKs) */
};

static void
mc_tick(struct sk_runtime *rt, void *arg)
{
	struct mc_tick *t = arg;
	uint64_t now = rte_rdtsc();
	unsigned n = sk_runtime_cores(rt), want = 0, done = 0;

	if (sk_runtime_stopping(rt))
		return;
	if (now >= t->stop_at_tsc) {
		sk_runtime_request_stop(rt);
		return;
	}
	if (mc_o.connect.port == 0)
		return;
	for (unsigned i = 0; i < n && i < MC_MAX_CORES; i++) {
		if (!__atomic_load_n(&mc_cores[i].connecting_done, __ATOMIC_RELAXED))
			return;
		want += __atomic_load_n(&mc_cores[i].clients, __ATOMIC_RELAXED);
		done += __atomic_load_n(&mc_cores[i].clients_done, __ATOMIC_RELAXED);
	}
	if (done < want)
		return;
	if (t->done_at_tsc == 0)
		t->done_at_tsc = now;
	else if (now - t->done_at_tsc >= rte_get_tsc_hz() / 5)
		sk_runtime_request_stop(rt);
}

/* ---- report ---- */

static unsigned
mc_report(unsigned n_cores)
{
	unsigned failed = 0, want = 0, done = 0;

	for (unsigned id = 0; id < n_cores && id < MC_MAX_CORES; id++) {
		const struct mc_core *mc = &mc_cores[id];

		printf("core %u lcore %u stack %d queue %u accepted %u echo_closed %u echo_bytes "
		       "%lu "
		       "clients "
		       "%u ok %u failed %u\n",
		       id, mc->lcore, mc->have_stack, mc->queue, mc->accepted, mc->echo_closed,
		       (unsigned long)mc->echo_bytes, mc->clients,
		       mc->clients_done - mc->clients_failed, mc->clients_failed);
		for (unsigned i = 0; i < DP_NET_STAT_MAX; i++)
			printf("core %u net stat %s %lu\n", id,
			       dp_net_stat_name((enum dp_net_stat)i),
			       (unsigned long)mc->net_stat[i]);
		for (unsigned i = 0; i < DP_NET_DROP_MAX; i++)
			printf("core %u net drop %s %lu\n", id,
			       dp_net_drop_name((enum dp_net_drop)i),
			       (unsigned long)mc->net_drop[i]);
		for (unsigned i = 0; i < DP_TCP_CNT_MAX; i++)
			printf("core %u tcp %s %lu\n", id, dp_tcp_cnt_name(i),
			       (unsigned long)mc->tcp[i]);
		for (unsigned i = 0; i < mc->clients_done && i < MC_MAX_CONNS; i++)
			printf("core %u client lport %u rport %u ok %d\n", id, mc->client[i].lport,
			       mc->client[i].rport, mc->client[i].ok);
		for (unsigned i = 0; i < mc->n_bulk; i++)
			printf("core %u bulk rport %u bytes %lu\n", id, mc->bulk[i].rport,
			       (unsigned long)mc->bulk[i].bytes);
		failed += mc->clients_failed;
		want += mc->clients;
		done += mc->clients_done;
	}
	return failed + (want - done);
}

/* ---- main ---- */

static int
mc_parse_ipport(const char *s, struct dp_addr4 *a)
{
	char buf[64], *colon;
	struct in_addr in;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon == NULL)
		return -1;
	*colon = 0;
	if (inet_pton(AF_INET, buf, &in) != 1)
		return -1;
	a->ip = ntohl(in.s_addr);
	a->port = (uint16_t)atoi(colon + 1);
	return a->port != 0 ? 0 : -1;
}

static int
mc_parse(int argc, char **argv, struct mc_opts *o)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'},  {"ready", required_argument, NULL, 'r'},
		{"seconds", required_argument, NULL, 's'}, {"echo", required_argument, NULL, 'e'},
		{"connect", required_argument, NULL, 'C'}, {"conns", required_argument, NULL, 'n'},
		{"bytes", required_argument, NULL, 'b'},   {NULL, 0, NULL, 0},
	};
	int ch;

	o->seconds = 60;
	o->conns = 1;
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'r':
			o->ready = optarg;
			break;
		case 's':
			o->seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'e':
			o->echo_port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'C':
			if (mc_parse_ipport(optarg, &o->connect) != 0)
				return -1;
			break;
		case 'n':
			o->conns = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			o->bytes = strtoull(optarg, NULL, 0);
			break;
		default:
			return -1;
		}
	}
	if (o->conf == NULL || o->seconds == 0 || o->conns == 0 || o->conns > MC_MAX_CONNS / 2)
		return -1;
	return optind;
}

static void
mc_write_ready(const struct sk_runtime *rt, const char *prefix)
{
	const struct dp_port *p = sk_runtime_port(rt, 0);
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	FILE *f;

	if (mc_o.ready == NULL || p == NULL)
		return;
	f = fopen(mc_o.ready, "w");
	if (f == NULL)
		return;
	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	fprintf(f, "%s\n%s\n", mac, prefix);
	fclose(f);
}

int
main(int argc, char **argv)
{
	static struct sk_config cfg;
	static struct sk_stack_conf sc;
	const struct sk_core_app app = {
		.name = "tcp-mc",
		.core_init = mc_core_init,
		.poll = mc_poll,
		.core_fini = mc_core_fini,
	};
	struct sk_config_err err;
	struct mc_tick tick = {0};
	struct sk_runtime *rt;
	char prefix[128];
	unsigned bad, n_cores;
	int rc, first;

	first = mc_parse(argc, argv, &mc_o);
	if (first < 0) {
		fprintf(stderr,
			"usage: skiff-tcp-mc -c FILE [--echo PORT] [--connect IP:PORT "
			"--conns K --bytes N] [--seconds S] [--ready FILE] [-- EAL args]\n");
		return 2;
	}
	for (unsigned i = 0; i < sizeof(mc_pat); i++)
		mc_pat[i] = (uint8_t)(i * 131u + (i >> 11) + 17u);
	sk_config_init(&cfg);
	if (sk_stack_config_add(&cfg, &sc) != 0 || sk_config_load(&cfg, mc_o.conf, &err) != 0 ||
	    sk_stack_resolve(&cfg, &sc, &err) != 0) {
		fprintf(stderr, "%s", err.msg);
		return 1;
	}
	if (sc.kind != SK_STACK_CHOICE_NATIVE) {
		fprintf(stderr, "skiff-tcp-mc: needs [stack] kind = native and a [port.0]\n");
		return 1;
	}
	if (sk_signals_install() != 0)
		return 1;
	rc = sk_eal_start(&cfg, argc - first, argv + first, prefix, sizeof(prefix));
	if (rc != 0) {
		fprintf(stderr, "skiff-tcp-mc: EAL start failed: %s\n", strerror(-rc));
		return 1;
	}
	rc = sk_runtime_create(&cfg, &rt);
	if (rc != 0) {
		fprintf(stderr, "skiff-tcp-mc: runtime start failed: %s\n", strerror(-rc));
		sk_eal_stop();
		return 1;
	}
	sk_signals_attach(rt);
	sk_runtime_set_stack(rt, &sc);
	sk_runtime_set_app(rt, &app);
	mc_write_ready(rt, prefix);
	tick.stop_at_tsc = rte_rdtsc() + (uint64_t)mc_o.seconds * rte_get_tsc_hz();
	rc = sk_runtime_run(
		rt, &(struct sk_run_opts){.tick = mc_tick, .tick_arg = &tick, .tick_ms = 50});
	if (rc != 0 && rc != -ETIMEDOUT)
		fprintf(stderr, "skiff-tcp-mc: run: %s\n", strerror(-rc));
	n_cores = sk_runtime_cores(rt);
	sk_signals_attach(NULL);
	sk_runtime_destroy(rt);
	sk_eal_stop();
	bad = mc_report(n_cores);
	printf("result %s\n", rc == 0 && bad == 0 ? "ok" : "FAILED");
	fflush(stdout);
	return rc == 0 && bad == 0 ? 0 : 1;
}
