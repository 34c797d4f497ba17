/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-tcp-test: a minimal native-stack process for TCP integration tests (a kernel peer through
 * tap in a namespace, or another skiff-tcp-test over memif). Its own main: EAL, one port, one
 * core, and the worker loop in DESIGN.md order: net RX (-> dp_tcp_input) -> TCP poll (upcalls) ->
 * TCP flush (output) -> net TX flush -> timer wheel, with an adaptive idle sleep.
 *
 * Roles (any combination):
 *   --echo PORT          listen on PORT and echo every byte back (zero copy: the received mbuf
 *                        chain is what gets sent); close after the peer's FIN once all is sent.
 *                        Bytes waiting for send space count against the receive window.
 *   --connect IP:PORT --bytes N [--conns K]
 *                        open K connections, send N pattern bytes on each, shut down writing and
 *                        check every byte the peer echoes back; "client ok" when all match.
 *   --sink PORT          listen on PORT and discard every byte (bulk benchmark receiver).
 *   --connect IP:PORT --bytes N --send-only
 *                        bulk benchmark sender: send N pattern bytes and shut down; done once every byte and the FIN are
 *                        acknowledged. Prints "bulk bytes N usec T gbps G", timed from the
 *                        connection's establishment to the last acknowledgment.
 *   --connect IP:PORT --pingpong N
 *                        N round trips of 1 byte against an --echo server, one at a time; prints
 *                        "pingpong n N p50_ns .. p99_ns .. p999_ns .." (rte_rdtsc per round trip).
 *   --connect IP:PORT --connrate N [--inflight K] [--req-bytes B]
 *                        connection rate against an --echo server: N short connections, K of them
 *                        in flight; each one is an active open, B pattern bytes (64) sent, the echo
 *                        checked byte for byte, then a normal close by the client (so TIME-WAIT
 *                        sits on the client); the next starts as soon as one finishes (the first
 *                        runs alone: it resolves ARP). Prints "connrate n N started S ok O failed
 *                        F inflight K req_bytes B usec T cps R p50_us .. p99_us ..", timed with
 *                        rte_rdtsc from the first SYN to the last close (per connection: open to
 *                        close), and a "connrate_fail errno E count N <text>" line per failure
 *                        kind (EBADMSG: wrong or short echo). Bounded by --seconds too.
 * --eph LO-HI sets the ephemeral port range of active opens (tests force tuple reuse with it).
 * --busy polls without the adaptive idle sleep (benchmarks on a core of their own).
 * --rcvbuf B / --sndbuf B override the TCP receive window limit and send queue limit.
 * --gateway IP is the next hop for off-link destinations (the PMTUD test routes through namespaces).
 * Every role prints a "conn ..." line per connection at the end (cwnd, windows, RTT, queue); the
 * server only for its first 64, connrate clients for none.
 * Runs until --seconds elapse, SIGTERM, or (client roles) all connections are done; then prints
 * "tcp <counter> <n>", "net drop|stat <name> <n>", "result ..." lines and exits 0 (1 when a client
 * role failed).
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
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp/ip4.h"
#include "dp/net.h"
#include "dp/port.h"
#include "dp/stream.h"
#include "dp/tcp.h"
#include "dp/timer.h"

#define TT_MAX_CONNS 2048
#define TT_CR_NERR 256		  /* connrate failures are counted by errno below this */
#define TT_CONN_LINES_MAX 64u	  /* "conn server" lines printed (connrate: thousands close) */

static volatile sig_atomic_t tt_stop;

struct tt_conn {
	struct dp_stream *s;
	bool used, echo, done, failed, shut;
	uint64_t tx, rx, total, rx_total;
	struct rte_mbuf *pending; /* echo: chain waiting for send space */
	bool peer_fin, sink, acked;
	uint64_t est_tsc, acked_tsc; /* bulk: established, all acknowledged */
	struct dp_tcp_info last;     /* snapshot taken before the stream goes away */
	bool cr;		     /* a connrate connection */
	uint64_t cr_id, start_tsc;   /* connrate: sequence number, start of the active open */
};

struct tt {
	struct rte_mempool *mp;
	struct dp_net *n;
	struct dp_tcp *t;
	struct tt_conn conns[TT_MAX_CONNS];
	unsigned nclients, clients_done, clients_failed, accepted, echo_closed;
	uint64_t bytes;
	bool send_only, sink;
	unsigned conns_hw; /* conns[] slots ever used (high-water mark) */
	uint64_t pp_n, pp_i, pp_tsc; /* ping-pong: round trips wanted, done, send time */
	uint64_t *pp_lat;	     /* cycles per round trip */
	/* connection rate: cr_n connections, at most cr_k in flight */
	uint64_t cr_n, cr_started, cr_ok, cr_failed;
	unsigned cr_k, cr_inflight;
	uint32_t cr_req;	     /* request bytes per connection */
	uint64_t cr_t0, cr_t1;	     /* first SYN, last finished connection (TSC) */
	uint64_t *cr_lat;	     /* cycles per successful connection, open to close */
	uint64_t cr_err[TT_CR_NERR]; /* failures by errno */
	struct dp_stack *st;
	struct dp_addr4 cr_to;
};

/* tt_byte() repeats every TT_PAT_PERIOD bytes (131 * 2^19 and 2^19 >> 11 are both 0 mod 256):
 * the pattern is copied from, and checked against, this table instead of byte by byte. */
#define TT_PAT_PERIOD (2048u * 256u)
static uint8_t tt_pat[TT_PAT_PERIOD + 2048];

static struct tt tt;
static const struct dp_stream_cbs tt_cbs;

static void
tt_on_signal(int sig)
{
	(void)sig;
	tt_stop = 1;
}

static uint8_t
tt_byte(uint64_t off)
{
	return (uint8_t)(off * 131u + (off >> 11) + 17u);
}

static struct tt_conn *
tt_conn_new(void)
{
	unsigned i;

	for (i = 0; i < TT_MAX_CONNS; i++)
		if (!tt.conns[i].used) {
			memset(&tt.conns[i], 0, sizeof(tt.conns[i]));
			tt.conns[i].used = true;
			if (i >= tt.conns_hw)
				tt.conns_hw = i + 1;
			return &tt.conns[i];
		}
	return NULL;
}

/* ---- echo server ---- */

/* Received bytes count against the receive window until the send queue took them (dp/stream.h
 * receive accounting): a peer that reads slowly stops the one that writes, instead of a backlog
 * growing in the pool. The stack takes a chain all or nothing, so when the whole backlog does not
 * fit, the longest prefix of whole mbufs that does goes now: waiting for the queue to drain
 * completely would keep the window shut for a round trip or more (stop and go). Each refused send
 * leaves a writable() owed, which brings the rest. */
static void
tt_echo_flush(struct tt_conn *c)
{
	while (c->pending != NULL) {
		struct rte_mbuf *head = c->pending, *last = NULL, *m, *rest;
		uint32_t n = head->pkt_len, space, len = 0;
		uint16_t segs = 0;
		int rc = dp_stream_send(c->s, head);

		if (rc == 0) {
			c->pending = NULL;
			dp_stream_rx_release(c->s, n);
			break;
		}
		if (rc != -EAGAIN)
			break;
		space = dp_stream_send_space(c->s);
		for (m = head; m != NULL && len + m->data_len <= space; m = m->next) {
			len += m->data_len;
			segs++;
			last = m;
		}
		if (last == NULL || last->next == NULL)
			break;
		rest = last->next;
		last->next = NULL;
		rest->pkt_len = n - len;
		rest->nb_segs = (uint16_t)(head->nb_segs - segs);
		head->pkt_len = len;
		head->nb_segs = segs;
		if (dp_stream_send(c->s, head) != 0) {
			last->next = rest; /* cannot happen (it fits); keep the chain whole */
			head->pkt_len = n;
			head->nb_segs = (uint16_t)(segs + rest->nb_segs);
			break;
		}
		c->pending = rest;
		dp_stream_rx_release(c->s, len);
	}
	if (c->pending == NULL && c->peer_fin && !c->shut) {
		c->shut = true;
		dp_stream_close(c->s);
	}
}

static void *
tt_accept(void *lctx, struct dp_stream *s)
{
	struct tt_conn *c = tt_conn_new();

	(void)lctx;
	if (c == NULL)
		return NULL;
	c->s = s;
	c->echo = true;
	c->sink = tt.sink;
	if (!c->sink)
		dp_stream_rx_hold(s, true);
	tt.accepted++;
	return c;
}

/* ---- client ---- */

/* Ping-pong: one byte out, the next one after the echo came back. */
static void
tt_pp_send(struct tt_conn *c)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tt.mp);

	if (m == NULL || rte_pktmbuf_append(m, 1) == NULL) {
		rte_pktmbuf_free(m);
		c->failed = true;
		return;
	}
	*rte_pktmbuf_mtod(m, uint8_t *) = (uint8_t)tt.pp_i;
	tt.pp_tsc = rte_rdtsc();
	if (dp_stream_send(c->s, m) != 0) {
		rte_pktmbuf_free(m);
		c->failed = true;
	}
}

static void
tt_pp_data(struct tt_conn *c, struct rte_mbuf *chain)
{
	uint64_t now = rte_rdtsc();
	uint32_t len = chain->pkt_len;

	rte_pktmbuf_free(chain);
	c->rx += len;
	while (len-- > 0 && tt.pp_i < tt.pp_n)
		tt.pp_lat[tt.pp_i++] = now - tt.pp_tsc;
	if (tt.pp_i < tt.pp_n) {
		tt_pp_send(c);
	} else if (!c->shut) {
		c->shut = true;
		c->tx = c->total = c->rx_total = c->rx;
		(void)dp_stream_shutdown_wr(c->s);
	}
}

static void
tt_client_fill(struct tt_conn *c)
{
	while (c->tx < c->total) {
		uint32_t n = (uint32_t)(c->total - c->tx < 1448 ? c->total - c->tx : 1448);
		struct rte_mbuf *m = rte_pktmbuf_alloc(tt.mp);
		uint8_t *p;

		if (m == NULL)
			return;
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		memcpy(p, tt_pat + c->tx % TT_PAT_PERIOD, n);
		if (dp_stream_send(c->s, m) != 0) {
			rte_pktmbuf_free(m);
			return; /* -EAGAIN: writable() follows */
		}
		c->tx += n;
	}
	if (!c->shut) {
		c->shut = true;
		(void)dp_stream_shutdown_wr(c->s);
	}
}

/* ---- connection rate ---- */

/* A connrate connection is over (closed, refused, reset, timed out): count it, free its slot. */
static void
tt_cr_finish(struct tt_conn *c, int err)
{
	uint64_t now = rte_rdtsc();

	if (err == 0 && (c->failed || c->rx != tt.cr_req))
		err = -EBADMSG;
	if (err == 0) {
		tt.cr_lat[tt.cr_ok++] = now - c->start_tsc;
	} else {
		tt.cr_failed++;
		tt.cr_err[-err > 0 && -err < TT_CR_NERR ? -err : TT_CR_NERR - 1]++;
	}
	tt.cr_t1 = now;
	tt.cr_inflight--;
	c->used = false;
}

/* Start one connection (main loop, after the poll phase so its SYN leaves in this iteration). */
static void
tt_cr_start(void)
{
	struct tt_conn *c = tt_conn_new();
	struct dp_stream *s;
	int rc;

	if (c == NULL)
		return;
	c->cr = true;
	c->cr_id = tt.cr_started++;
	c->start_tsc = rte_rdtsc();
	if (tt.cr_t0 == 0)
		tt.cr_t0 = c->start_tsc;
	tt.cr_inflight++;
	rc = dp_stack_connect(tt.st, &tt.cr_to, &tt_cbs, c, &s);
	if (rc != 0)
		tt_cr_finish(c, rc);
}

/* Pattern offset of connection @p c: each connection sends different bytes. */
static uint64_t
tt_cr_off(const struct tt_conn *c)
{
	return c->cr_id * 4099u % TT_PAT_PERIOD;
}

static void
tt_cr_connected(struct tt_conn *c, struct dp_stream *s)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tt.mp);
	uint8_t *p;

	c->s = s;
	p = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)tt.cr_req) : NULL;
	if (p == NULL) {
		rte_pktmbuf_free(m);
		c->failed = true;
		dp_stream_abort(s);
		return;
	}
	memcpy(p, tt_pat + tt_cr_off(c), tt.cr_req);
	if (dp_stream_send(s, m) != 0) {
		rte_pktmbuf_free(m);
		c->failed = true;
		dp_stream_abort(s);
		return;
	}
	c->tx = tt.cr_req;
}

static void
tt_cr_data(struct tt_conn *c, struct rte_mbuf *chain)
{
	const struct rte_mbuf *m;

	for (m = chain; m != NULL; m = m->next) {
		if (c->rx + m->data_len > tt.cr_req ||
		    memcmp(rte_pktmbuf_mtod(m, const uint8_t *), tt_pat + tt_cr_off(c) + c->rx,
			   m->data_len) != 0)
			c->failed = true;
		c->rx += m->data_len;
	}
	rte_pktmbuf_free(chain);
	/* The whole echo is back (or it went wrong): normal close, our FIN first. */
	if (c->rx >= tt.cr_req || c->failed)
		dp_stream_close(c->s);
}

static void
tt_connected(void *ctx, struct dp_stream *s, int err)
{
	struct tt_conn *c = ctx;

	if (c->cr) {
		if (err != 0)
			tt_cr_finish(c, err);
		else
			tt_cr_connected(c, s);
		return;
	}
	if (err != 0) {
		fprintf(stderr, "connect failed: %s\n", strerror(-err));
		c->failed = c->done = true;
		c->s = NULL;
		tt.clients_done++;
		tt.clients_failed++;
		return;
	}
	c->s = s;
	c->est_tsc = rte_rdtsc();
	if (tt.pp_n > 0) {
		tt_pp_send(c);
		return;
	}
	tt_client_fill(c);
}

static void
tt_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct tt_conn *c = ctx;
	struct rte_mbuf *m;

	(void)s;
	if (c->cr) {
		tt_cr_data(c, chain);
		return;
	}
	if (c->sink) {
		c->rx += chain->pkt_len;
		rte_pktmbuf_free(chain);
		return;
	}
	if (tt.pp_n > 0) {
		tt_pp_data(c, chain);
		return;
	}
	if (c->echo) {
		c->rx += chain->pkt_len;
		if (c->pending != NULL) {
			struct rte_mbuf *last = rte_pktmbuf_lastseg(c->pending);

			last->next = chain;
			c->pending->nb_segs = (uint16_t)(c->pending->nb_segs + chain->nb_segs);
			c->pending->pkt_len += chain->pkt_len;
		} else {
			c->pending = chain;
		}
		tt_echo_flush(c);
		return;
	}
	for (m = chain; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t done = 0;

		while (done < m->data_len) { /* pieces of at most 2048: the table's tail */
			uint32_t k = m->data_len - done < 2048 ? m->data_len - done : 2048;

			if (memcmp(p + done, tt_pat + (c->rx + done) % TT_PAT_PERIOD, k) != 0)
				c->failed = true;
			done += k;
		}
		c->rx += m->data_len;
	}
	rte_pktmbuf_free(chain);
}

static void
tt_writable(void *ctx, struct dp_stream *s)
{
	struct tt_conn *c = ctx;

	(void)s;
	if (c->echo)
		tt_echo_flush(c);
	else if (tt.pp_n == 0 && !c->cr)
		tt_client_fill(c);
}

static void
tt_peer_closed(void *ctx, struct dp_stream *s)
{
	struct tt_conn *c = ctx;

	(void)s;
	c->peer_fin = true;
	if (c->echo)
		tt_echo_flush(c);
	else
		dp_stream_close(c->s);
}

static void
tt_conn_print(const struct tt_conn *c, const char *role)
{
	const struct dp_tcp_info *i = &c->last;

	printf("conn %s tx %lu rx %lu cwnd %u ssthresh %u smss %u snd_wnd %u rcv_wnd %u wscale %u/%u "
	       "srtt_us %u rttvar_us %u rto_us %u ts %d sack %d\n",
	       role, (unsigned long)c->tx, (unsigned long)c->rx, i->cwnd, i->ssthresh, i->smss,
	       i->snd_wnd, i->rcv_wnd, i->snd_wscale, i->rcv_wscale, i->srtt_us, i->rttvar_us,
	       i->rto_us, i->ts_ok, i->sack_ok);
}

static void
tt_closed(void *ctx, struct dp_stream *s, int err)
{
	struct tt_conn *c = ctx;

	if (c->cr) {
		tt_cr_finish(c, err);
		return;
	}
	dp_tcp_get_info(s, &c->last);
	if (c->pending != NULL) {
		rte_pktmbuf_free(c->pending);
		c->pending = NULL;
	}
	if (c->echo) {
		if (++tt.echo_closed <= TT_CONN_LINES_MAX)
			tt_conn_print(c, "server");
		c->used = false;
		return;
	}
	if (tt.send_only && err == 0 && !c->acked) {
		c->acked = true; /* the FIN's ACK arrived in this loop iteration */
		c->acked_tsc = rte_rdtsc();
	}
	tt_conn_print(c, "client");
	if (err != 0 || c->rx != c->rx_total || c->tx != c->total) {
		fprintf(stderr, "client conn: err %d tx %lu/%lu rx %lu/%lu\n", err,
			(unsigned long)c->tx, (unsigned long)c->total, (unsigned long)c->rx,
			(unsigned long)c->rx_total);
		c->failed = true;
	}
	c->done = true;
	tt.clients_done++;
	if (c->failed)
		tt.clients_failed++;
}

static const struct dp_stream_cbs tt_cbs = {
	.accept = tt_accept,
	.connected = tt_connected,
	.data = tt_data,
	.writable = tt_writable,
	.peer_closed = tt_peer_closed,
	.closed = tt_closed,
};

static bool
tt_lport_ok(void *arg, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	return dp_net_flow_is_local(arg, rip, lip, rport, lport);
}

/* ---- benchmark reports ---- */

/* Bulk sender: note when every byte (and the FIN) of a shut-down connection is acknowledged. */
static void
tt_bulk_check(void)
{
	unsigned i;

	for (i = 0; i < tt.conns_hw; i++) {
		struct tt_conn *c = &tt.conns[i];
		struct dp_tcp_info inf;

		if (!c->used || c->echo || !c->shut || c->acked || c->done || c->s == NULL)
			continue;
		dp_tcp_get_info(c->s, &inf);
		if (inf.snd_queued_bytes == 0 && inf.snd_una == inf.snd_max) {
			c->acked = true;
			c->acked_tsc = rte_rdtsc();
		}
	}
}

static int
tt_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
tt_cr_report(double ns_per_cyc)
{
	double us = tt.cr_t1 > tt.cr_t0 ? (double)(tt.cr_t1 - tt.cr_t0) * ns_per_cyc / 1e3 : 0;
	unsigned i;

	qsort(tt.cr_lat, tt.cr_ok, sizeof(*tt.cr_lat), tt_u64_cmp);
	printf("connrate n %lu started %lu ok %lu failed %lu inflight %u req_bytes %u usec %.0f "
	       "cps %.0f p50_us %.1f p99_us %.1f\n",
	       (unsigned long)tt.cr_n, (unsigned long)tt.cr_started, (unsigned long)tt.cr_ok,
	       (unsigned long)tt.cr_failed, tt.cr_k, tt.cr_req, us,
	       us > 0 ? (double)tt.cr_ok * 1e6 / us : 0,
	       tt.cr_ok > 0 ? (double)tt.cr_lat[tt.cr_ok / 2] * ns_per_cyc / 1e3 : 0,
	       tt.cr_ok > 0 ? (double)tt.cr_lat[tt.cr_ok * 99 / 100] * ns_per_cyc / 1e3 : 0);
	for (i = 1; i < TT_CR_NERR; i++)
		if (tt.cr_err[i] != 0)
			printf("connrate_fail errno %u count %lu %s\n", i,
			       (unsigned long)tt.cr_err[i], strerror((int)i));
}

static void
tt_report(void)
{
	double ns_per_cyc = 1e9 / (double)rte_get_tsc_hz();
	uint64_t bytes = 0, t0 = UINT64_MAX, t1 = 0;
	unsigned i;

	for (i = 0; i < TT_MAX_CONNS; i++) {
		const struct tt_conn *c = &tt.conns[i];

		if (!c->used || c->echo || !c->acked)
			continue;
		bytes += c->tx;
		t0 = c->est_tsc < t0 ? c->est_tsc : t0;
		t1 = c->acked_tsc > t1 ? c->acked_tsc : t1;
	}
	if (tt.send_only && bytes > 0 && t1 > t0) {
		double us = (double)(t1 - t0) * ns_per_cyc / 1e3;

		printf("bulk bytes %lu usec %.0f gbps %.3f\n", (unsigned long)bytes, us,
		       (double)bytes * 8 / us / 1e3);
	}
	if (tt.pp_n > 0 && tt.pp_i == tt.pp_n) {
		qsort(tt.pp_lat, tt.pp_n, sizeof(*tt.pp_lat), tt_u64_cmp);
		printf("pingpong n %lu p50_ns %.0f p99_ns %.0f p999_ns %.0f max_ns %.0f\n",
		       (unsigned long)tt.pp_n, (double)tt.pp_lat[tt.pp_n / 2] * ns_per_cyc,
		       (double)tt.pp_lat[tt.pp_n * 99 / 100] * ns_per_cyc,
		       (double)tt.pp_lat[tt.pp_n * 999 / 1000] * ns_per_cyc,
		       (double)tt.pp_lat[tt.pp_n - 1] * ns_per_cyc);
	}
	if (tt.cr_n > 0)
		tt_cr_report(ns_per_cyc);
	free(tt.pp_lat);
	fflush(stdout);
}

/* ---- main ---- */

struct tt_opts {
	struct dp_port_conf port;
	unsigned seconds, conns;
	const char *ready;
	uint16_t echo_port;
	struct dp_addr4 connect;
	uint64_t bytes;
	uint32_t rto_min_us;
	bool busy; /* poll without idle sleeps (benchmarks, own core) */
	bool send_only;
	uint16_t sink_port;
	uint32_t rcvbuf, sndbuf; /* 0: the TCP defaults */
	uint64_t pingpong;
	uint64_t connrate;
	unsigned inflight;
	uint32_t req_bytes;
	uint16_t eph_lo, eph_hi; /* 0: the TCP defaults */
};

static int
tt_parse_ipport(const char *s, struct dp_addr4 *a)
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
	return 0;
}

static int
tt_parse(int argc, char **argv, struct tt_opts *o)
{
	static const struct option lo[] = {
		{"dev", required_argument, NULL, 'd'},
		{"ip", required_argument, NULL, 'i'},
		{"prefix", required_argument, NULL, 'p'},
		{"gateway", required_argument, NULL, 'g'},
		{"seconds", required_argument, NULL, 's'},
		{"ready", required_argument, NULL, 'r'},
		{"echo", required_argument, NULL, 'e'},
		{"connect", required_argument, NULL, 'c'},
		{"bytes", required_argument, NULL, 'b'},
		{"conns", required_argument, NULL, 'n'},
		{"rto-min-ms", required_argument, NULL, 'm'},
		{"fault", required_argument, NULL, 'f'},
		{"seed", required_argument, NULL, 'S'},
		{"busy", no_argument, NULL, 'B'},
		{"sink", required_argument, NULL, 'K'},
		{"send-only", no_argument, NULL, 'O'},
		{"pingpong", required_argument, NULL, 'P'},
		{"rcvbuf", required_argument, NULL, 'R'},
		{"sndbuf", required_argument, NULL, 'W'},
		{"connrate", required_argument, NULL, 'C'},
		{"inflight", required_argument, NULL, 'I'},
		{"req-bytes", required_argument, NULL, 'q'},
		{"eph", required_argument, NULL, 'E'},
		{NULL, 0, NULL, 0},
	};
	struct in_addr in;
	int c;

	memset(o, 0, sizeof(*o));
	dp_port_conf_defaults(&o->port);
	o->seconds = 60;
	o->conns = 1;
	o->rto_min_us = 50000;
	o->inflight = 1;
	o->req_bytes = 64;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			snprintf(o->port.dev, sizeof(o->port.dev), "%s", optarg);
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &in) != 1)
				return -1;
			o->port.ipv4 = ntohl(in.s_addr);
			break;
		case 'p':
			o->port.prefix_len = (uint8_t)atoi(optarg);
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &in) != 1)
				return -1;
			o->port.gateway = ntohl(in.s_addr);
			break;
		case 's':
			o->seconds = (unsigned)atoi(optarg);
			break;
		case 'r':
			o->ready = optarg;
			break;
		case 'e':
			o->echo_port = (uint16_t)atoi(optarg);
			break;
		case 'c':
			if (tt_parse_ipport(optarg, &o->connect) != 0)
				return -1;
			break;
		case 'b':
			o->bytes = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			o->conns = (unsigned)atoi(optarg);
			break;
		case 'm':
			o->rto_min_us = (uint32_t)atoi(optarg) * 1000u;
			break;
		case 'f': {
			/* drop,dup,reorder,corrupt in ppm, applied to both directions */
			unsigned d = 0, u = 0, r = 0, x = 0;

			if (sscanf(optarg, "%u,%u,%u,%u", &d, &u, &r, &x) != 4)
				return -1;
			o->port.fault.rx.drop_ppm = o->port.fault.tx.drop_ppm = d;
			o->port.fault.rx.dup_ppm = o->port.fault.tx.dup_ppm = u;
			o->port.fault.rx.reorder_ppm = o->port.fault.tx.reorder_ppm = r;
			o->port.fault.rx.corrupt_ppm = o->port.fault.tx.corrupt_ppm = x;
			break;
		}
		case 'S':
			o->port.fault.seed = strtoull(optarg, NULL, 0);
			break;
		case 'B':
			o->busy = true;
			break;
		case 'K':
			o->sink_port = (uint16_t)atoi(optarg);
			break;
		case 'O':
			o->send_only = true;
			break;
		case 'P':
			o->pingpong = strtoull(optarg, NULL, 0);
			break;
		case 'R':
			o->rcvbuf = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'W':
			o->sndbuf = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'C':
			o->connrate = strtoull(optarg, NULL, 0);
			break;
		case 'I':
			o->inflight = (unsigned)atoi(optarg);
			break;
		case 'q':
			o->req_bytes = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'E': {
			unsigned plo = 0, phi = 0;

			if (sscanf(optarg, "%u-%u", &plo, &phi) != 2 || plo == 0 || phi < plo || phi > 65535)
				return -1;
			o->eph_lo = (uint16_t)plo;
			o->eph_hi = (uint16_t)phi;
			break;
		}
		default:
			return -1;
		}
	}
	if (o->conns == 0 || o->conns > TT_MAX_CONNS / 2)
		return -1;
	/* connrate: one mbuf a request; half the slots stay for the TIME-WAIT table */
	if (o->connrate > 0 && (o->inflight == 0 || o->inflight > TT_MAX_CONNS / 2 ||
				o->req_bytes == 0 || o->req_bytes > 1448 || o->pingpong > 0))
		return -1;
	return dp_port_conf_check(&o->port) == 0 && o->seconds > 0 ? 0 : -1;
}

static void
tt_print(const struct dp_net *n, const struct dp_tcp *t)
{
	unsigned i;

	for (i = 0; i < DP_TCP_CNT_MAX; i++)
		printf("tcp %s %lu\n", dp_tcp_cnt_name(i),
		       (unsigned long)dp_tcp_counter(t, (enum dp_tcp_cnt)i));
	for (i = 0; i < DP_NET_STAT_MAX; i++)
		printf("net stat %s %lu\n", dp_net_stat_name((enum dp_net_stat)i),
		       (unsigned long)n->stat[i]);
	for (i = 0; i < DP_NET_DROP_MAX; i++)
		printf("net drop %s %lu\n", dp_net_drop_name((enum dp_net_drop)i),
		       (unsigned long)n->drop[i]);
	printf("result accepted %u echo_closed %u clients %u done %u failed %u\n", tt.accepted,
	       tt.echo_closed, tt.nclients, tt.clients_done, tt.clients_failed);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct tt_opts o;
	struct rte_mempool *pools[1];
	struct dp_port port;
	struct dp_net_conf nc;
	struct dp_tcp_conf tc;
	struct dp_timer_wheel_conf wc;
	struct dp_timer_wheel *w;
	struct dp_stack *st;
	uint64_t hz_per_us, start_us, end_us, connect_at_us;
	void *nmem, *tmem, *wmem;
	unsigned idle = 0, i;
	bool connecting_done = false;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "skiff-tcp-test: EAL init failed\n");
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (tt_parse(argc, argv, &o) != 0) {
		fprintf(stderr, "skiff-tcp-test: bad arguments\n");
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGTERM, tt_on_signal);
	signal(SIGINT, tt_on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	tt.mp = rte_pktmbuf_pool_create("tt_mp", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (tt.mp == NULL) {
		fprintf(stderr, "skiff-tcp-test: pool: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	pools[0] = tt.mp;
	o.port.queues = 1;
	rc = dp_port_open(&port, &o.port, pools);
	if (rc != 0) {
		fprintf(stderr, "skiff-tcp-test: port open: %s\n", strerror(-rc));
		rte_eal_cleanup();
		return 1;
	}
	dp_port_set_queue_lcore(&port, 0, rte_lcore_id());
	rc = dp_port_start(&port);
	if (rc != 0) {
		fprintf(stderr, "skiff-tcp-test: port start: %s\n", strerror(-rc));
		dp_port_close(&port);
		rte_eal_cleanup();
		return 1;
	}
	hz_per_us = rte_get_tsc_hz() / 1000000;
	if (hz_per_us == 0)
		hz_per_us = 1;
	start_us = rte_rdtsc() / hz_per_us;

	dp_net_conf_from_port(&nc, &port, 0, rte_lcore_id(), tt.mp);
	nmem = rte_zmalloc("tt_net", dp_net_memsize(&nc), RTE_CACHE_LINE_SIZE);
	tt.n = nmem != NULL ? dp_net_init(nmem, &nc) : NULL;
	wc.tick_us = 100;
	wc.start_us = start_us;
	wmem = rte_zmalloc("tt_wheel", dp_timer_wheel_memsize(&wc), RTE_CACHE_LINE_SIZE);
	w = wmem != NULL ? dp_timer_wheel_init(wmem, &wc) : NULL;
	dp_tcp_conf_defaults(&tc);
	tc.local_ip = o.port.ipv4;
	tc.net = tt.n;
	tc.wheel = w;
	tc.hdr_pool = tt.mp;
	tc.clone_pool = tt.mp;
	tc.max_conns = TT_MAX_CONNS;
	tc.syn_backlog = 1024;
	tc.rto_min_us = o.rto_min_us;
	tc.time_wait_us = 2000000;
	tc.mss = (uint16_t)(port.mtu - 40);
	if (o.rcvbuf != 0)
		tc.rcv_buf_bytes = o.rcvbuf;
	if (o.sndbuf != 0)
		tc.snd_buf_bytes = o.sndbuf;
	if (o.eph_lo != 0) {
		tc.eph_lo = o.eph_lo;
		tc.eph_hi = o.eph_hi;
	}
	tc.lport_ok = tt_lport_ok;
	tc.lport_arg = tt.n;
	tc.secret[0] = rte_rdtsc() ^ 0x5bd1e995u;
	tc.secret[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	tc.secret[2] = rte_rdtsc() * 31;
	tc.secret[3] = 0x1234;
	tmem = rte_zmalloc("tt_tcp", dp_tcp_memsize(&tc), RTE_CACHE_LINE_SIZE);
	tt.t = tmem != NULL ? dp_tcp_init(tmem, &tc) : NULL;
	if (tt.n == NULL || w == NULL || tt.t == NULL) {
		fprintf(stderr, "skiff-tcp-test: init failed\n");
		return 1;
	}
	dp_net_set_tcp(tt.n, tt.t);
	st = dp_tcp_stack(tt.t);
	dp_tcp_set_now(tt.t, start_us);
	dp_net_start(tt.n, start_us);
	if (o.echo_port != 0 || o.sink_port != 0) {
		struct dp_addr4 l = {.ip = 0, .port = o.echo_port != 0 ? o.echo_port : o.sink_port};

		if (dp_stack_listen(st, &l, &tt_cbs, NULL) != 0) {
			fprintf(stderr, "skiff-tcp-test: listen failed\n");
			return 1;
		}
	}
	tt.bytes = o.bytes;
	tt.sink = o.sink_port != 0;
	tt.send_only = o.send_only;
	for (i = 0; i < sizeof(tt_pat); i++)
		tt_pat[i] = tt_byte(i);
	if (o.pingpong > 0) {
		tt.pp_n = o.pingpong;
		tt.pp_lat = calloc(o.pingpong, sizeof(*tt.pp_lat));
		if (tt.pp_lat == NULL || o.conns != 1)
			return 2;
	}
	if (o.connrate > 0) {
		tt.cr_n = o.connrate;
		tt.cr_k = o.inflight;
		tt.cr_req = o.req_bytes;
		tt.cr_to = o.connect;
		tt.cr_lat = calloc(o.connrate, sizeof(*tt.cr_lat));
		if (tt.cr_lat == NULL || o.connect.port == 0)
			return 2;
	}
	tt.st = st;
	if (o.ready != NULL) {
		FILE *f = fopen(o.ready, "w");

		if (f != NULL) {
			char mac[RTE_ETHER_ADDR_FMT_SIZE];

			rte_ether_format_addr(mac, sizeof(mac), &port.mac);
			fprintf(f, "%s\n", mac);
			fclose(f);
		}
	}
	end_us = start_us + (uint64_t)o.seconds * 1000000;
	connect_at_us = start_us + 300000; /* let the link and ARP settle */
	while (!tt_stop) {
		uint64_t now = rte_rdtsc() / hz_per_us;
		unsigned work;

		if (now >= end_us)
			break;
		if (o.connect.port != 0 && tt.cr_n == 0 && !connecting_done && now >= connect_at_us &&
		    dp_port_link_up(&port)) {
			connecting_done = true;
			for (i = 0; i < o.conns; i++) {
				struct tt_conn *c = tt_conn_new();
				struct dp_stream *s;

				c->total = o.pingpong > 0 ? 0 : o.bytes;
				c->rx_total = o.send_only || o.pingpong > 0 ? 0 : o.bytes;
				if (dp_stack_connect(st, &o.connect, &tt_cbs, c, &s) != 0) {
					c->failed = c->done = true;
					tt.clients_failed++;
					tt.clients_done++;
				}
				tt.nclients++;
			}
		}
		/* The loop, DESIGN.md order. */
		dp_tcp_set_now(tt.t, now);
		work = dp_net_rx_burst(tt.n, now);
		work += dp_stack_poll(st, now);
		if (tt.cr_n > 0 && now >= connect_at_us && dp_port_link_up(&port)) {
			/* The first connection runs alone: it resolves ARP, and SYNs beyond the
			 * ARP queue would be dropped and wait for the 1 s initial RTO. */
			unsigned k = tt.cr_ok == 0 ? 1 : tt.cr_k;

			while (tt.cr_inflight < k && tt.cr_started < tt.cr_n)
				tt_cr_start();
			if (tt.cr_inflight == 0 && tt.cr_started == tt.cr_n && end_us > now + 200000)
				end_us = now + 200000; /* all done: let the last ACKs leave */
		}
		dp_stack_flush(st);
		dp_net_tx_flush(tt.n);
		work += dp_timer_wheel_advance(w, now);
		if (o.send_only)
			tt_bulk_check();
		if (connecting_done && tt.clients_done == tt.nclients && tt.nclients > 0) {
			/* let the last ACKs leave, then stop */
			if (end_us > now + 200000)
				end_us = now + 200000;
		}
		if (work != 0 || o.busy) {
			idle = 0;
		} else if (++idle > 512) {
			struct timespec ts = {0, idle > 8192 ? 500000 : 50000};

			nanosleep(&ts, NULL);
		}
	}
	tt_print(tt.n, tt.t);
	tt_report();
	rc = (tt.nclients > 0 && (tt.clients_failed > 0 || tt.clients_done != tt.nclients)) ? 1 : 0;
	if (tt.cr_n > 0 && tt.cr_ok != tt.cr_n)
		rc = 1;
	printf("result %s\n", rc == 0 ? "ok" : "FAILED");
	dp_tcp_fini(tt.t);
	free(tt.cr_lat);
	dp_net_drain(tt.n);
	rte_free(tmem);
	rte_free(wmem);
	rte_free(nmem);
	dp_port_stop(&port);
	dp_port_close(&port);
	rte_mempool_free(tt.mp);
	rte_eal_cleanup();
	return rc;
}
