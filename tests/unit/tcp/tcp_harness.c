/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scenario harness (see tcp_harness.h): EAL with --no-huge for a real mbuf pool, a fake
 * dp_ip4_output() that captures and parses segments, a fake clock driving the timer wheel, and the
 * row interpreter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <dp/ip4.h>
#include <dp/proto/tcp.h>

#include "tcp_harness.h"

static struct rte_mempool *h_mp;
static struct h_env *h_cur; /* the environment dp_ip4_output() captures into */

void
h_global_init(void)
{
	char pfx[64];
	char *argv[] = {"test_tcp",    "-l",	      "0",
			"--no-huge",   "-m",	      "128",
			"--no-pci",    "--no-shconf", "--no-telemetry",
			"--log-level", "lib.*:error", "--file-prefix",
			pfx,	       NULL};

	snprintf(pfx, sizeof(pfx), "t%d", (int)getpid());
	if (rte_eal_init(13, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		exit(1);
	}
	/* No per-lcore cache, so rte_mempool_avail_count() is exact for the leak check. */
	h_mp = rte_pktmbuf_pool_create("h_pool", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (h_mp == NULL) {
		fprintf(stderr, "pool create failed\n");
		exit(1);
	}
}

void
h_global_fini(void)
{
	rte_mempool_free(h_mp);
	{
		/* rte_eal_cleanup() leaves the empty runtime directory: remove it too. */
		char rundir[256];

		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		rmdir(rundir);
	}
}

struct rte_mempool *
h_pool(void)
{
	return h_mp;
}

void
h_failf(struct h_env *e, const char *fmt, ...)
{
	va_list ap;

	if (e->failed)
		return;
	e->failed = true;
	va_start(ap, fmt);
	vsnprintf(e->fail, sizeof(e->fail), fmt, ap);
	va_end(ap);
}

/* ---- the fake IPv4 layer ---- */

static uint32_t
h_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
h_parse_cap(struct h_cap *c, const uint8_t *b, unsigned hl)
{
	unsigned i = 20;

	c->optlen = hl - 20;
	memcpy(c->opt_bytes, b + 20, c->optlen);
	while (i < hl) {
		uint8_t k = b[i], l;

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		l = b[i + 1];
		if (l < 2)
			break;
		if (k == 2) {
			c->has_mss = true;
			c->mss = (uint16_t)(b[i + 2] << 8 | b[i + 3]);
		} else if (k == 3) {
			c->has_ws = true;
			c->ws = b[i + 2];
		} else if (k == 4) {
			c->has_sackok = true;
		} else if (k == 8) {
			c->has_ts = true;
			c->tsval = h_get32(b + i + 2);
			c->tsecr = h_get32(b + i + 6);
		} else if (k == 5) {
			unsigned n = (l - 2u) / 8u, j;

			for (j = 0; j < n && j < 4; j++) {
				c->sack[j][0] = h_get32(b + i + 2 + 8 * j);
				c->sack[j][1] = h_get32(b + i + 6 + 8 * j);
			}
			c->nsack = n;
		}
		i += l;
	}
}

/* The TX buffer the runtime flushes once per loop: e->tx_room entries when set. */
unsigned
dp_ip4_tx_room(struct dp_net *n)
{
	struct h_env *e = h_cur;

	(void)n;
	if (e == NULL || e->tx_room == 0)
		return 1u << 20;
	return e->tx_used < e->tx_room ? e->tx_room - e->tx_used : 0;
}

int
dp_ip4_output(struct dp_net *n, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip, uint8_t proto)
{
	struct h_env *e = h_cur;
	uint8_t hdr[60];
	const uint8_t *b;
	struct h_cap *c;
	unsigned hl;
	uint32_t i;

	(void)n;
	if (e == NULL || proto != 6) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	if (e->tx_room != 0 && e->tx_used++ >= e->tx_room)
		h_failf(e, "segment emitted with the TX buffer full (%u entries)", e->tx_room);
	if (m->pkt_len > 1500 - 20)
		h_failf(e, "segment of %u bytes does not fit the MTU", m->pkt_len);
	if (rte_pktmbuf_headroom(m) < DP_IP4_HEADROOM)
		h_failf(e, "segment with headroom %u < %u", rte_pktmbuf_headroom(m),
			DP_IP4_HEADROOM);
	if (e->ncap >= H_CAP_MAX) {
		h_failf(e, "capture buffer full");
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	b = rte_pktmbuf_read(m, 0, 20, hdr);
	hl = (b[12] >> 4) * 4u;
	b = rte_pktmbuf_read(m, 0, hl, hdr);
	c = &e->cap[e->ncap];
	memset(c, 0, sizeof(*c));
	c->t_us = e->now_us;
	c->src = src_ip;
	c->dst = dst_ip;
	c->sport = (uint16_t)(b[0] << 8 | b[1]);
	c->dport = (uint16_t)(b[2] << 8 | b[3]);
	c->seq = h_get32(b + 4);
	c->ack = h_get32(b + 8);
	c->flags = b[13];
	c->win = (uint16_t)(b[14] << 8 | b[15]);
	if (b[16] != 0 || b[17] != 0)
		h_failf(e, "checksum field not zero");
	c->len = m->pkt_len - hl;
	h_parse_cap(c, b, hl);
	if (c->has_ts)
		e->last_tsval = c->tsval;
	if ((c->flags & DP_TCP_SYN) && !(c->flags & DP_TCP_RST)) {
		unsigned k;

		for (k = 0; k < 64; k++) {
			if (!e->iss[k].known || e->iss[k].rport == c->dport) {
				e->iss[k].known = true;
				e->iss[k].rport = c->dport;
				e->iss[k].iss = c->seq;
				break;
			}
		}
	}
	/* Check every payload byte against our send pattern. */
	c->payload_ok = true;
	for (i = 0; i < c->len; i++) {
		uint8_t v;
		const uint8_t *p = rte_pktmbuf_read(m, hl + i, 1, &v);
		uint32_t rel = c->seq + i - h_iss(e, c->dport);

		if (i < sizeof(c->payload))
			c->payload[i] = *p;
		if (*p != h_our_byte(rel))
			c->payload_ok = false;
	}
	rte_pktmbuf_free(m);
	if (e->drop_out > 0) {
		e->drop_out--;
		return 0; /* lost on the wire */
	}
	e->ncap++;
	return 0;
}

/* ---- environment ---- */

static void *h_cb_accept(void *lctx, struct dp_stream *s);
static void h_cb_connected(void *ctx, struct dp_stream *s, int err);
static void h_cb_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain);
static void h_cb_writable(void *ctx, struct dp_stream *s);
static void h_cb_peer_closed(void *ctx, struct dp_stream *s);
static void h_cb_closed(void *ctx, struct dp_stream *s, int err);

static const struct dp_stream_cbs h_cbs = {
	.accept = h_cb_accept,
	.connected = h_cb_connected,
	.data = h_cb_data,
	.writable = h_cb_writable,
	.peer_closed = h_cb_peer_closed,
	.closed = h_cb_closed,
};

void
h_env_conf(struct h_env *e)
{
	memset(e, 0, sizeof(*e));
	dp_tcp_conf_defaults(&e->conf);
	e->conf.local_ip = H_LOCAL_IP;
	e->conf.hdr_pool = h_mp;
	e->conf.clone_pool = h_mp;
	e->conf.max_conns = 64;
	e->conf.time_wait_us = 2000000;
	e->conf.fin_wait2_us = 5000000;
	e->conf.secret[0] = 0x0123456789abcdefULL;
	e->conf.secret[1] = 0x1122334455667788ULL;
	e->conf.secret[2] = 0x99aabbccddeeff00ULL;
	e->conf.secret[3] = 0x0f1e2d3c4b5a6978ULL;
	e->peer_isn = 1000000;
	e->now_us = 1000000; /* not zero: a realistic clock */
	e->t0 = e->now_us;
}

void
h_env_start(struct h_env *e)
{
	struct dp_timer_wheel_conf wc = {.tick_us = 100, .start_us = e->now_us};
	size_t sz;

	e->mbuf_baseline = rte_mempool_avail_count(h_mp);
	e->wheel_mem = aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63);
	e->wheel = dp_timer_wheel_init(e->wheel_mem, &wc);
	e->conf.wheel = e->wheel;
	sz = dp_tcp_memsize(&e->conf);
	e->tcp_mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	e->t = dp_tcp_init(e->tcp_mem, &e->conf);
	if (e->t == NULL) {
		h_failf(e, "dp_tcp_init failed");
		return;
	}
	e->st = dp_tcp_stack(e->t);
	dp_tcp_set_now(e->t, e->now_us);
	h_cur = e;
}

bool
h_env_stop(struct h_env *e)
{
	unsigned avail;

	if (e->t != NULL)
		dp_tcp_fini(e->t);
	h_cur = NULL;
	avail = rte_mempool_avail_count(h_mp);
	if (avail != e->mbuf_baseline)
		h_failf(e, "mbuf leak: pool has %u, baseline %u", avail, e->mbuf_baseline);
	if (e->t != NULL && dp_tcp_conn_count(e->t) != 0)
		h_failf(e, "connections left after fini: %u", dp_tcp_conn_count(e->t));
	free(e->tcp_mem);
	free(e->wheel_mem);
	return !e->failed;
}

struct h_app *
h_app_for(struct h_env *e, uint16_t rport)
{
	unsigned i;

	if (rport == 0)
		rport = H_RPORT;
	for (i = 0; i < e->napp; i++)
		if (e->app[i].rport == rport)
			return &e->app[i];
	if (e->napp >= 64)
		return &e->app[63];
	e->app[e->napp].rport = rport;
	e->app[e->napp].e = e;
	e->app[e->napp].rx_next = 1;
	return &e->app[e->napp++];
}

uint32_t
h_iss(struct h_env *e, uint16_t rport)
{
	unsigned k;

	if (rport == 0)
		rport = H_RPORT;
	for (k = 0; k < 64 && e->iss[k].known; k++)
		if (e->iss[k].rport == rport)
			return e->iss[k].iss;
	return 0;
}

/* ---- callbacks ---- */

static void *
h_cb_accept(void *lctx, struct dp_stream *s)
{
	struct h_env *e = lctx;
	struct h_app *a = h_app_for(e, s->remote.port);

	if (a->refuse)
		return NULL;
	a->s = s;
	a->accepted++;
	return a;
}

static void
h_cb_connected(void *ctx, struct dp_stream *s, int err)
{
	struct h_app *a = ctx;

	a->connected_calls++;
	a->connected_err = err;
	if (err != 0)
		a->s = NULL;
	else
		a->s = s;
}

static void
h_cb_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct h_app *a = ctx;
	struct rte_mbuf *m;
	uint32_t len = chain->pkt_len, seen = 0;

	(void)s;
	for (m = chain; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t i;

		for (i = 0; i < m->data_len; i++)
			if (p[i] != h_peer_byte(a->rx_next + seen + i))
				a->rx_bad = true;
		seen += m->data_len;
	}
	if (seen != len)
		a->rx_bad = true;
	a->rx_next += len;
	a->rx_bytes += len;
	rte_pktmbuf_free(chain);
	if (a->reply_len > 0)
		(void)h_send(a->e, a, a->reply_len);
	if (a->echo)
		(void)h_send(a->e, a, len);
}

static void
h_cb_writable(void *ctx, struct dp_stream *s)
{
	struct h_app *a = ctx;

	(void)s;
	a->writable++;
}

static void
h_cb_peer_closed(void *ctx, struct dp_stream *s)
{
	struct h_app *a = ctx;

	(void)s;
	a->peer_closed++;
}

static void
h_cb_closed(void *ctx, struct dp_stream *s, int err)
{
	struct h_app *a = ctx;

	(void)s;
	a->closed_calls++;
	a->closed_err = err;
	a->s = NULL;
}

void
h_listen(struct h_env *e, uint16_t port)
{
	struct dp_addr4 l = {.ip = 0, .port = port};

	if (dp_stack_listen(e->st, &l, &h_cbs, e) != 0)
		h_failf(e, "listen failed");
}

void
h_connect(struct h_env *e, uint16_t rport)
{
	struct dp_addr4 r = {.ip = H_REMOTE_IP, .port = rport};
	struct h_app *a = h_app_for(e, rport);
	struct dp_stream *s;
	int rc = dp_stack_connect(e->st, &r, &h_cbs, a, &s);

	if (rc != 0) {
		h_failf(e, "connect failed: %d", rc);
	} else {
		a->s = s;
		e->lport = s->local.port;
	}
}

/* Queue @p len bytes of our pattern on the stream, in mbufs of up to 1000 bytes (so segments
 * straddle mbufs and the clone path is exercised). */
int
h_send(struct h_env *e, struct h_app *a, uint32_t len)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t done = 0;
	int rc;

	while (done < len) {
		uint32_t n = len - done < 1000 ? len - done : 1000;
		struct rte_mbuf *m = rte_pktmbuf_alloc(h_mp);
		uint8_t *p;
		uint32_t i;

		if (m == NULL) {
			h_failf(e, "pool empty in h_send");
			rte_pktmbuf_free(head);
			return -ENOBUFS;
		}
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (i = 0; i < n; i++)
			p[i] = h_our_byte((uint32_t)(a->tx_sent + 1 + done + i));
		if (head == NULL) {
			head = tail = m;
		} else {
			tail->next = m;
			tail = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		done += n;
	}
	if (a->s == NULL) {
		rte_pktmbuf_free(head);
		return -ENOTCONN;
	}
	rc = dp_stream_send(a->s, head);
	if (rc != 0) {
		rte_pktmbuf_free(head);
		return rc;
	}
	a->tx_sent += len;
	return 0;
}

/* ---- the loop ---- */

void
h_loop_once(struct h_env *e)
{
	e->tx_used = 0; /* the previous iteration's TX flush emptied the buffer */
	dp_tcp_set_now(e->t, e->now_us);
	dp_stack_poll(e->st, e->now_us);
	dp_stack_flush(e->st);
	dp_timer_wheel_advance(e->wheel, e->now_us);
	/* Timer callbacks may have queued upcalls or output: the next iteration runs them. */
	dp_stack_poll(e->st, e->now_us);
	dp_stack_flush(e->st);
}

/* Advance the fake clock to @p t_us, stopping at every timer expiry on the way. */
void
h_advance(struct h_env *e, uint64_t t_us)
{
	unsigned guard = 1000000;

	while (e->now_us < t_us && guard-- > 0) {
		uint64_t next = dp_timer_wheel_next_us(e->wheel);

		if (next <= e->now_us)
			next = e->now_us + 1;
		e->now_us = next < t_us ? next : t_us;
		h_loop_once(e);
	}
	h_loop_once(e);
}

static uint8_t
h_flags(const char *f)
{
	uint8_t v = 0;

	for (; *f; f++) {
		switch (*f) {
		case 'S':
			v |= DP_TCP_SYN;
			break;
		case 'F':
			v |= DP_TCP_FIN;
			break;
		case 'R':
			v |= DP_TCP_RST;
			break;
		case 'P':
			v |= DP_TCP_PSH;
			break;
		case '.':
			v |= DP_TCP_ACK;
			break;
		default:
			break;
		}
	}
	return v;
}

/* Inbound options: "mss=N ws=N sackok ts=V[:E] sack=l:r[,l:r]" (sack edges peer-relative to our
 * ISS, like acks); emitted in Linux's layouts. */
static unsigned
h_build_opts(struct h_env *e, const char *spec, uint16_t rport, uint8_t *o)
{
	char buf[256], *tok, *save = NULL;
	unsigned n = 0;
	uint32_t iss = h_iss(e, rport);

	if (spec == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		if (strncmp(tok, "mss=", 4) == 0) {
			unsigned v = (unsigned)atoi(tok + 4);

			o[n++] = 2;
			o[n++] = 4;
			o[n++] = (uint8_t)(v >> 8);
			o[n++] = (uint8_t)v;
		} else if (strncmp(tok, "ws=", 3) == 0) {
			o[n++] = 1;
			o[n++] = 3;
			o[n++] = 3;
			o[n++] = (uint8_t)atoi(tok + 3);
		} else if (strcmp(tok, "sackok") == 0) {
			o[n++] = 1;
			o[n++] = 1;
			o[n++] = 4;
			o[n++] = 2;
		} else if (strncmp(tok, "ts=", 3) == 0) {
			uint32_t v = (uint32_t)strtoul(tok + 3, NULL, 10), ecr = e->last_tsval;
			char *c = strchr(tok + 3, ':');

			if (c != NULL)
				ecr = (uint32_t)strtoul(c + 1, NULL, 10);
			o[n++] = 1;
			o[n++] = 1;
			o[n++] = 8;
			o[n++] = 10;
			o[n++] = (uint8_t)(v >> 24);
			o[n++] = (uint8_t)(v >> 16);
			o[n++] = (uint8_t)(v >> 8);
			o[n++] = (uint8_t)v;
			o[n++] = (uint8_t)(ecr >> 24);
			o[n++] = (uint8_t)(ecr >> 16);
			o[n++] = (uint8_t)(ecr >> 8);
			o[n++] = (uint8_t)ecr;
		} else if (strncmp(tok, "sack=", 5) == 0) {
			char *p = tok + 5;
			unsigned nb = 0, lenpos;

			o[n++] = 1;
			o[n++] = 1;
			o[n++] = 5;
			lenpos = n++;
			while (*p && nb < 4) {
				uint32_t l = (uint32_t)strtoul(p, &p, 10) + iss;
				uint32_t r = (uint32_t)strtoul(p + 1, &p, 10) + iss;

				o[n++] = (uint8_t)(l >> 24);
				o[n++] = (uint8_t)(l >> 16);
				o[n++] = (uint8_t)(l >> 8);
				o[n++] = (uint8_t)l;
				o[n++] = (uint8_t)(r >> 24);
				o[n++] = (uint8_t)(r >> 16);
				o[n++] = (uint8_t)(r >> 8);
				o[n++] = (uint8_t)r;
				nb++;
				if (*p == '/')
					p++;
			}
			o[lenpos] = (uint8_t)(2 + 8 * nb);
		}
	}
	while (n % 4)
		o[n++] = 1;
	return n;
}

void
h_inject(struct h_env *e, const struct h_row *r)
{
	uint16_t rport = r->rport ? r->rport : H_RPORT;
	uint16_t lport = e->lport ? e->lport : H_LPORT;
	uint8_t opts[60];
	unsigned ol = h_build_opts(e, r->opts, rport, opts), hl = 20 + ol, i;
	struct rte_mbuf *m = rte_pktmbuf_alloc(h_mp);
	uint8_t flags = h_flags(r->flags);
	uint32_t seq = r->seq + e->peer_isn;
	uint32_t ack = (flags & DP_TCP_ACK) ? r->ack + h_iss(e, rport) : 0;
	uint8_t *b;

	if (m == NULL) {
		h_failf(e, "pool empty in inject");
		return;
	}
	b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + r->len));
	memset(b, 0, hl);
	b[0] = (uint8_t)(rport >> 8);
	b[1] = (uint8_t)rport;
	b[2] = (uint8_t)(lport >> 8);
	b[3] = (uint8_t)lport;
	b[4] = (uint8_t)(seq >> 24);
	b[5] = (uint8_t)(seq >> 16);
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	b[8] = (uint8_t)(ack >> 24);
	b[9] = (uint8_t)(ack >> 16);
	b[10] = (uint8_t)(ack >> 8);
	b[11] = (uint8_t)ack;
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = flags;
	b[14] = (uint8_t)((uint32_t)r->win >> 8);
	b[15] = (uint8_t)r->win;
	memcpy(b + 20, opts, ol);
	/* payload: the peer's pattern at its relative sequence (SYN takes relative 0) */
	for (i = 0; i < r->len; i++)
		b[hl + i] = h_peer_byte(r->seq + i + ((flags & DP_TCP_SYN) ? 1 : 0));
	dp_tcp_input(e->t, m, H_REMOTE_IP, H_LOCAL_IP);
	h_loop_once(e);
}

/* Outbound option expectations: "mss=N ws=N sackok nosackok nows ts ts=*:E nots sack=l:r/l:r
 * nosack" (sack edges peer-relative, ts ecr literal). */
static void
h_check_opts(struct h_env *e, const struct h_cap *c, const char *spec, unsigned row)
{
	char buf[256], *tok, *save = NULL;

	if (spec == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		if (strncmp(tok, "mss=", 4) == 0) {
			if (!c->has_mss || c->mss != atoi(tok + 4))
				h_failf(e, "row %u: mss %u, want %s", row, c->mss, tok);
		} else if (strncmp(tok, "ws=", 3) == 0) {
			if (!c->has_ws || c->ws != atoi(tok + 3))
				h_failf(e, "row %u: ws %u (%d), want %s", row, c->ws, c->has_ws,
					tok);
		} else if (strcmp(tok, "nows") == 0) {
			if (c->has_ws)
				h_failf(e, "row %u: unexpected ws", row);
		} else if (strcmp(tok, "sackok") == 0) {
			if (!c->has_sackok)
				h_failf(e, "row %u: no sackok", row);
		} else if (strcmp(tok, "nosackok") == 0) {
			if (c->has_sackok)
				h_failf(e, "row %u: unexpected sackok", row);
		} else if (strcmp(tok, "ts") == 0) {
			if (!c->has_ts)
				h_failf(e, "row %u: no timestamp", row);
		} else if (strncmp(tok, "ts=*:", 5) == 0) {
			if (!c->has_ts || c->tsecr != strtoul(tok + 5, NULL, 10))
				h_failf(e, "row %u: tsecr %u, want %s", row, c->tsecr, tok);
		} else if (strcmp(tok, "nots") == 0) {
			if (c->has_ts)
				h_failf(e, "row %u: unexpected timestamp", row);
		} else if (strcmp(tok, "nosack") == 0) {
			if (c->nsack != 0)
				h_failf(e, "row %u: unexpected sack blocks (%u)", row, c->nsack);
		} else if (strncmp(tok, "sack=", 5) == 0) {
			char *p = tok + 5;
			unsigned nb = 0;

			while (*p) {
				uint32_t l = (uint32_t)strtoul(p, &p, 10);
				uint32_t r = (uint32_t)strtoul(p + 1, &p, 10);

				if (nb >= c->nsack || c->sack[nb][0] - e->peer_isn != l ||
				    c->sack[nb][1] - e->peer_isn != r) {
					h_failf(e,
						"row %u: sack block %u is %u:%u, want %u:%u (n=%u)",
						row, nb, c->sack[nb][0] - e->peer_isn,
						c->sack[nb][1] - e->peer_isn, l, r, c->nsack);
					return;
				}
				nb++;
				if (*p == '/')
					p++;
			}
			if (nb != c->nsack)
				h_failf(e, "row %u: %u sack blocks, want %u", row, c->nsack, nb);
		} else if (strncmp(tok, "layout=", 7) == 0) {
			/* exact option bytes in hex, TS values masked as 'tttttttt' */
			const char *p = tok + 7;
			unsigned i = 0;

			for (; p[0] && p[1]; p += 2, i++) {
				char hx[3] = {p[0], p[1], 0};

				if (p[0] == 't')
					continue;
				if (i >= c->optlen || c->opt_bytes[i] != strtoul(hx, NULL, 16)) {
					h_failf(e, "row %u: option byte %u differs (%s)", row, i,
						tok);
					return;
				}
			}
			if (i != c->optlen)
				h_failf(e, "row %u: option length %u, want %u", row, c->optlen, i);
		}
	}
}

static void
h_describe(const struct h_env *e, const struct h_cap *c, uint16_t rport, char *out, size_t n)
{
	snprintf(out, n, "t=+%lu flags=%02x seq=%u ack=%u win=%u len=%u",
		 (unsigned long)(c->t_us - e->t0), c->flags,
		 c->seq - h_iss((struct h_env *)e, rport), c->ack - e->peer_isn, c->win, c->len);
}

static void
h_expect(struct h_env *e, const struct h_row *r, unsigned row)
{
	uint16_t rport = r->rport ? r->rport : H_RPORT;
	const uint64_t tol = 1000;
	const uint64_t at = e->t0 + r->t_us;
	const struct h_cap *c;
	uint8_t want = h_flags(r->flags);
	char d[160];

	/* Run the clock up to the expected time (plus tolerance), stopping as soon as the
	 * stack has emitted something we have not matched yet. */
	while (e->rd >= e->ncap && e->now_us < at + tol) {
		uint64_t next = dp_timer_wheel_next_us(e->wheel);
		uint64_t lim = at + tol;

		if (next <= e->now_us)
			next = e->now_us + 1;
		e->now_us = next < lim ? next : lim;
		h_loop_once(e);
	}
	if (e->rd >= e->ncap) {
		h_failf(e, "row %u: expected %s seq=%u ack=%u at t=%lu, nothing sent (now %lu)",
			row, r->flags, r->seq, r->ack, (unsigned long)r->t_us,
			(unsigned long)e->now_us);
		return;
	}
	c = &e->cap[e->rd++];
	h_describe(e, c, rport, d, sizeof(d));
	if (c->t_us + tol < at || c->t_us > at + tol)
		h_failf(e, "row %u: sent at the wrong time (want t=%lu): %s", row,
			(unsigned long)r->t_us, d);
	else if ((c->flags & (uint8_t)~DP_TCP_PSH) != (want & (uint8_t)~DP_TCP_PSH))
		h_failf(e, "row %u: flags, want %s: %s", row, r->flags, d);
	else if (c->dport != rport)
		h_failf(e, "row %u: to port %u, want %u: %s", row, c->dport, rport, d);
	else if (r->seq != H_ANY && c->seq - h_iss(e, rport) != r->seq)
		h_failf(e, "row %u: seq, want %u: %s", row, r->seq, d);
	else if (r->ack != H_ANY && (c->flags & DP_TCP_ACK) && c->ack - e->peer_isn != r->ack)
		h_failf(e, "row %u: ack, want %u: %s", row, r->ack, d);
	else if (r->win >= 0 && c->win != (uint32_t)r->win)
		h_failf(e, "row %u: window, want %d: %s", row, r->win, d);
	else if (c->len != r->len)
		h_failf(e, "row %u: length, want %u: %s", row, r->len, d);
	else if (!c->payload_ok)
		h_failf(e, "row %u: payload bytes differ from what the app sent: %s", row, d);
	else
		h_check_opts(e, c, r->opts, row);
}

bool
h_run(struct h_env *e, const struct h_row *rows)
{
	unsigned i;

	for (i = 0; !e->failed && rows[i].op != H_END; i++) {
		const struct h_row *r = &rows[i];
		uint64_t at = e->t0 + r->t_us;

		switch (r->op) {
		case H_IN:
			h_advance(e, at);
			h_inject(e, r);
			break;
		case H_OUT:
			h_expect(e, r, i);
			break;
		case H_NOTHING:
			h_advance(e, at);
			if (e->rd < e->ncap) {
				char d[160];

				h_describe(e, &e->cap[e->rd], H_RPORT, d, sizeof(d));
				h_failf(e, "row %u: expected nothing until t=%lu, got %s", i,
					(unsigned long)r->t_us, d);
			}
			break;
		case H_CALL:
			h_advance(e, at);
			r->fn(e);
			h_loop_once(e);
			break;
		default:
			break;
		}
	}
	if (!e->failed && e->rd < e->ncap) {
		char d[160];

		h_describe(e, &e->cap[e->rd], H_RPORT, d, sizeof(d));
		h_failf(e, "end of script: unexpected segment %s", d);
	}
	return !e->failed;
}
