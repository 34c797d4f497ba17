/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-memory back-to-back transport for the engine tests (see fake_transport.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fake_transport.h"

#define FT_MAX 64

static struct rte_mempool *ft_mp;
static struct ft_end *ft_ends[FT_MAX];

static void
ft_grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t nc = *cap ? *cap : 4096;

	while (nc < need)
		nc *= 2;
	*buf = realloc(*buf, nc);
	*cap = nc;
}

static void
ft_push(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (n == 0)
		return;
	ft_grow(buf, cap, *len + n);
	memcpy(*buf + *len, p, n);
	*len += n;
}

static void
ft_mark_cut(struct ft_end *e)
{
	struct ft_end *ends[2] = {e, e->peer};

	for (int i = 0; i < 2; i++) {
		struct ft_end *x = ends[i];

		if (x == NULL || x->gone)
			continue;
		x->open = false;
		if (x->close_err == 1)
			x->close_err = -ECONNRESET;
	}
}

static int
ft_send(struct dp_stream *s, struct rte_mbuf *chain)
{
	struct ft_end *e = (struct ft_end *)s;
	struct ft_end *p = e->peer;
	uint32_t len = rte_pktmbuf_pkt_len(chain);
	uint64_t take = len;

	if (!e->open || e->closing)
		return -ENOTCONN;
	if (len > e->space) {
		e->want_writable = true;
		return -EAGAIN;
	}
	if (e->cut_at != 0 && e->sent + len >= e->cut_at)
		take = e->cut_at - e->sent;
	for (struct rte_mbuf *m = chain; m != NULL && take > 0; m = m->next) {
		uint32_t k = m->data_len < take ? m->data_len : (uint32_t)take;

		if (p != NULL && !p->gone)
			ft_push(&p->inbox, &p->inbox_len, &p->inbox_cap,
				rte_pktmbuf_mtod(m, void *), k);
		take -= k;
	}
	e->sent += len;
	rte_pktmbuf_free(chain);
	if (e->cut_at != 0 && e->sent >= e->cut_at)
		ft_mark_cut(e);
	return 0;
}

static uint32_t
ft_send_space(const struct dp_stream *s)
{
	return ((const struct ft_end *)s)->space;
}

static int
ft_shutdown_wr(struct dp_stream *s)
{
	(void)s;
	return -ENOTCONN;
}

static void
ft_close(struct dp_stream *s)
{
	struct ft_end *e = (struct ft_end *)s;

	if (e->gone || e->closing)
		return;
	e->closing = true;
	e->open = false;
	if (e->close_err == 1)
		e->close_err = 0;
	if (e->peer != NULL && !e->peer->gone)
		e->peer->peer_fin = true;
}

static void
ft_abort(struct dp_stream *s)
{
	struct ft_end *e = (struct ft_end *)s;

	ft_close(s);
	e->close_err = -ECONNABORTED;
}

static const struct dp_stream_ops ft_ops = {
	.send = ft_send,
	.send_space = ft_send_space,
	.shutdown_wr = ft_shutdown_wr,
	.close = ft_close,
	.abort = ft_abort,
};

/* Raw ends collect what they receive. */
static void
ft_raw_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct ft_end *e = (struct ft_end *)s;

	(void)ctx;
	for (struct rte_mbuf *m = chain; m != NULL; m = m->next)
		ft_push(&e->raw, &e->raw_len, &e->raw_cap, rte_pktmbuf_mtod(m, void *),
			m->data_len);
	rte_pktmbuf_free(chain);
}

static void
ft_raw_closed(void *ctx, struct dp_stream *s, int err)
{
	(void)ctx;
	(void)s;
	(void)err;
}

static void
ft_raw_peer_closed(void *ctx, struct dp_stream *s)
{
	(void)ctx;
	ft_close(s);
}

static const struct dp_stream_cbs ft_raw_cbs = {
	.data = ft_raw_data,
	.peer_closed = ft_raw_peer_closed,
	.closed = ft_raw_closed,
};

void
ft_init(struct rte_mempool *mp)
{
	ft_mp = mp;
}

static struct ft_end *
ft_new(bool raw)
{
	struct ft_end *e = calloc(1, sizeof(*e));

	e->s.ops = &ft_ops;
	e->s.cbs = raw ? &ft_raw_cbs : NULL;
	e->is_raw = raw;
	e->open = true;
	e->close_err = 1;
	e->space = UINT32_MAX;
	e->seg = 1500;
	for (int i = 0; i < FT_MAX; i++)
		if (ft_ends[i] == NULL) {
			ft_ends[i] = e;
			break;
		}
	return e;
}

void
ft_pair(struct ft_end **a, struct ft_end **b, bool a_raw, bool b_raw)
{
	*a = ft_new(a_raw);
	*b = ft_new(b_raw);
	(*a)->peer = *b;
	(*b)->peer = *a;
}

void
ft_free(struct ft_end *e)
{
	for (int i = 0; i < FT_MAX; i++)
		if (ft_ends[i] == e)
			ft_ends[i] = NULL;
	if (e->peer != NULL)
		e->peer->peer = NULL;
	free(e->inbox);
	free(e->raw);
	free(e);
}

void
ft_reset(void)
{
	for (int i = 0; i < FT_MAX; i++)
		if (ft_ends[i] != NULL)
			ft_free(ft_ends[i]);
}

void
ft_raw_write(struct ft_end *e, const void *p, size_t n)
{
	if (e->peer != NULL)
		ft_push(&e->peer->inbox, &e->peer->inbox_len, &e->peer->inbox_cap, p, n);
}

void
ft_cut(struct ft_end *e)
{
	ft_mark_cut(e);
}

static struct rte_mbuf *
ft_chain(const uint8_t *p, size_t n, uint32_t seg)
{
	struct rte_mbuf *head = NULL, *tail = NULL;

	while (n > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(ft_mp);
		uint32_t k = n < seg ? (uint32_t)n : seg;

		if (k > rte_pktmbuf_tailroom(m))
			k = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)k), p, k);
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += k;
		}
		tail = m;
		p += k;
		n -= k;
	}
	return head;
}

static unsigned
ft_pump_end(struct ft_end *e)
{
	unsigned work = 0;

	if (e->gone)
		return 0;
	if (e->connect_pending) {
		e->connect_pending = false;
		if (e->s.cbs != NULL && e->s.cbs->connected != NULL)
			e->s.cbs->connected(e->s.ctx, &e->s, 0);
		work++;
	}
	if (e->inbox_len > 0 && !e->stall && !e->closing) {
		struct rte_mbuf *ch = ft_chain(e->inbox, e->inbox_len, e->seg);

		e->inbox_len = 0;
		if (e->s.cbs != NULL && e->s.cbs->data != NULL)
			e->s.cbs->data(e->s.ctx, &e->s, ch);
		else
			rte_pktmbuf_free(ch);
		work++;
	}
	if (e->gone)
		return work;
	if (e->want_writable && e->space > 0 && e->open) {
		e->want_writable = false;
		if (e->s.cbs != NULL && e->s.cbs->writable != NULL)
			e->s.cbs->writable(e->s.ctx, &e->s);
		work++;
	}
	if (e->peer_fin && e->inbox_len == 0 && !e->closing) {
		e->peer_fin = false;
		if (e->s.cbs != NULL && e->s.cbs->peer_closed != NULL)
			e->s.cbs->peer_closed(e->s.ctx, &e->s);
		work++;
	}
	if (e->close_err != 1 && (e->inbox_len == 0 || e->closing || e->stall)) {
		int err = e->close_err;

		e->gone = true;
		e->open = false;
		if (e->s.cbs != NULL && e->s.cbs->closed != NULL)
			e->s.cbs->closed(e->s.ctx, &e->s, err);
		work++;
	}
	return work;
}

unsigned
ft_pump(void)
{
	unsigned work = 0;

	for (int i = 0; i < FT_MAX; i++)
		if (ft_ends[i] != NULL)
			work += ft_pump_end(ft_ends[i]);
	return work;
}

static int
ft_stack_listen(struct dp_stack *st, const struct dp_addr4 *local, const struct dp_stream_cbs *cbs,
		void *listen_ctx)
{
	struct ft_stack *fs = (struct ft_stack *)st;

	(void)local;
	fs->lcbs = cbs;
	fs->lctx = listen_ctx;
	return 0;
}

static int
ft_stack_connect(struct dp_stack *st, const struct dp_addr4 *remote,
		 const struct dp_stream_cbs *cbs, void *ctx, struct dp_stream **out)
{
	struct ft_stack *fs = (struct ft_stack *)st;
	struct ft_end *cli, *srv;

	(void)remote;
	if (fs->fail_connect != 0)
		return fs->fail_connect;
	if (fs->lcbs == NULL)
		return -EHOSTUNREACH;
	ft_pair(&cli, &srv, false, false);
	cli->s.cbs = cbs;
	cli->s.ctx = ctx;
	srv->s.cbs = fs->lcbs;
	srv->s.ctx = fs->lcbs->accept(fs->lctx, &srv->s);
	cli->connect_pending = true;
	fs->connects++;
	fs->last_cli = cli;
	fs->last_srv = srv;
	*out = &cli->s;
	return 0;
}

static unsigned
ft_stack_poll(struct dp_stack *st, uint64_t now_us)
{
	(void)st;
	(void)now_us;
	return 0;
}

static void
ft_stack_flush(struct dp_stack *st)
{
	(void)st;
}

static const struct dp_stack_ops ft_stack_ops = {
	.listen = ft_stack_listen,
	.connect = ft_stack_connect,
	.poll = ft_stack_poll,
	.flush = ft_stack_flush,
};

void
ft_stack_init(struct ft_stack *s)
{
	memset(s, 0, sizeof(*s));
	s->st.ops = &ft_stack_ops;
	s->st.name = "fake";
}
