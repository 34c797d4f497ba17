/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSocket streams: the per-connection stream table (open addressing keyed by stream id, slots from
 * a fixed per-connection range of the core's stream array, handles checked by generation), the
 * four interaction models in both roles, request-n credit (64-bit saturating, RSOCKET.md 10.1),
 * routing of new requests, fragmentation on send and reassembly on receive (RSOCKET.md 5).
 * Called from conn.c's input loop and from the application API, on the connection's core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <sk/router.h>

#include "engine_priv.h"

static inline uint32_t
rs_stream_hash(uint32_t id, uint32_t mask)
{
	return (id * 2654435761u) & mask;
}

static inline uint64_t
rs_stream_credit_add(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s < a ? UINT64_MAX : s;
}

struct rs_stream *
rs_stream_lookup(struct rs_conn *c, uint32_t id)
{
	uint32_t h = rs_stream_hash(id, c->tbl_mask);

	for (;;) {
		uint32_t v = c->tbl[h];

		if (v == 0)
			return NULL;
		if (c->sblock[v - 1].id == id)
			return &c->sblock[v - 1];
		h = (h + 1) & c->tbl_mask;
	}
}

struct rs_stream *
rs_stream_alloc(struct rs_conn *c, uint32_t id)
{
	struct rs_engine *e = c->e;
	uint32_t si = c->free_head, h;
	struct rs_stream *s;
	uint32_t gen;

	if (si == 0)
		return NULL;
	s = &c->sblock[si - 1];
	c->free_head = s->free_next;
	gen = s->gen;
	memset(s, 0, sizeof(*s));
	s->gen = gen;
	s->c = c;
	s->id = id;
	s->route = -1;
	h = rs_stream_hash(id, c->tbl_mask);
	while (c->tbl[h] != 0)
		h = (h + 1) & c->tbl_mask;
	c->tbl[h] = si;
	c->nb_streams++;
	e->nb_streams++;
	return s;
}

void
rs_stream_reasm_drop(struct rs_stream *s)
{
	if (!s->reasm)
		return;
	s->c->reasm_bytes -= (uint64_t)s->rmd_len + s->rdata_len;
	rs_engine_mfree(s->c->e, s->rmd);
	rs_engine_mfree(s->c->e, s->rdata);
	s->rmd = s->rdata = NULL;
	s->rmd_len = s->rmd_cap = s->rdata_len = s->rdata_cap = 0;
	s->reasm = false;
	s->reasm_has_md = false;
}

void
rs_stream_free(struct rs_stream *s)
{
	struct rs_conn *c = s->c;
	struct rs_engine *e = c->e;
	uint32_t si = (uint32_t)(s - c->sblock) + 1;
	uint32_t h, j;

	if (s->id == 0)
		return;
	rs_stream_reasm_drop(s);
	/* Remove from the table with backward-shift deletion (linear probing). */
	h = rs_stream_hash(s->id, c->tbl_mask);
	while (c->tbl[h] != si)
		h = (h + 1) & c->tbl_mask;
	c->tbl[h] = 0;
	j = h;
	for (;;) {
		uint32_t v, home;

		j = (j + 1) & c->tbl_mask;
		v = c->tbl[j];
		if (v == 0)
			break;
		home = rs_stream_hash(c->sblock[v - 1].id, c->tbl_mask);
		/* Move v into the hole if its home is not in (h, j]. */
		if (((j - home) & c->tbl_mask) >= ((j - h) & c->tbl_mask)) {
			c->tbl[h] = v;
			c->tbl[j] = 0;
			h = j;
		}
	}
	s->id = 0;
	s->gen++;
	s->cbs = NULL;
	s->free_next = c->free_head;
	c->free_head = si;
	c->nb_streams--;
	e->nb_streams--;
	rs_conn_maybe_graceful_done(c);
}

struct rs_stream *
rs_stream_get(struct rs_engine *e, struct sk_stream h)
{
	uint32_t ms = e->conf.max_streams;
	struct rs_conn *c;
	struct rs_stream *s;

	if (h.idx == 0 || (h.idx - 1) / ms >= e->conf.max_conns)
		return NULL;
	c = &e->conns[(h.idx - 1) / ms + 1];
	if (c->sblock == NULL)
		return NULL;
	s = &c->sblock[(h.idx - 1) % ms];
	if (s->gen != h.gen || s->id == 0)
		return NULL;
	return s;
}

struct sk_stream
rs_stream_handle(const struct rs_stream *s)
{
	return (struct sk_stream){rs_stream_index(s), s->gen};
}

/* ---- Callbacks into the application ------------------------------------------------------ */

static void
rs_stream_cb_error(struct rs_stream *s, uint32_t code, const char *msg, size_t len)
{
	const struct sk_stream_cbs *cbs = s->cbs;
	struct sk_stream h = rs_stream_handle(s);
	void *ctx = s->ctx;
	struct rs_engine *e = s->c->e;

	/* The handle is stale before the callback runs: late calls are caught. */
	rs_stream_free(s);
	if (cbs != NULL && cbs->on_error != NULL)
		cbs->on_error(rs_engine_ctx(e), h, ctx, code, msg, len);
}

void
rs_stream_fail_all(struct rs_conn *c, uint32_t code, const char *msg)
{
	struct rs_engine *e = c->e;

	for (uint32_t k = 0; k < e->conf.max_streams && c->nb_streams > 0; k++) {
		struct rs_stream *s = &c->sblock[k];

		if (s->id != 0)
			rs_stream_cb_error(s, code, msg, strlen(msg));
	}
}

/* ---- Sending: one message, fragmented when over fragment_size (RSOCKET.md 5) ------------ */

static uint32_t
rs_stream_head(uint8_t *h, uint32_t frame_len, uint32_t sid, unsigned type, unsigned flags,
	       bool has_n, uint32_t n, bool md, uint32_t md_len)
{
	uint32_t off = 9;

	rs_frame_put_u24(h, frame_len);
	rs_frame_put_hdr(h + 3, sid, type, flags | (md ? RS_FRAME_FLAG_M : 0));
	if (has_n) {
		rs_frame_put_u32(h + off, n > RS_FRAME_U31_MAX ? RS_FRAME_U31_MAX : n);
		off += 4;
	}
	if (md) {
		rs_frame_put_u24(h + off, md_len);
		off += 3;
	}
	return off;
}

int
rs_stream_send_payloadish(struct rs_conn *c, uint32_t sid, unsigned type, unsigned flags,
			  uint32_t n, const struct sk_payload *p)
{
	struct rs_engine *e = c->e;
	bool has_n = type == RS_FRAME_REQUEST_STREAM || type == RS_FRAME_REQUEST_CHANNEL;
	bool has_md = p != NULL && p->has_metadata;
	uint32_t md_len = has_md ? p->metadata_len : 0;
	uint32_t data_len = p != NULL ? p->data_len : 0;
	uint64_t total =
		RS_FRAME_HDR_LEN + (has_n ? 4 : 0) + (has_md ? 3 + (uint64_t)md_len : 0) + data_len;
	uint32_t frag = e->conf.fragment_size;
	uint32_t mdo = 0, dto = 0;
	bool first = true;
	uint8_t h[16];
	int rc;

	if (frag == 0 || total <= frag) {
		uint32_t hl;

		if (total > RS_FRAME_LEN_MAX || total > e->conf.max_frame_len)
			return -EMSGSIZE;
		hl = rs_stream_head(h, (uint32_t)total, sid, type, flags, has_n, n, has_md, md_len);
		return rs_conn_emit(c, h, hl, has_md ? p->metadata : NULL, md_len,
				    p != NULL ? p->data : NULL, data_len);
	}
	/* All metadata before any data; the first fragment keeps the type (and initial n), the
	 * rest are PAYLOAD with N, F until the last, C only on the last (RSOCKET.md 5, 10.9). */
	for (;;) {
		unsigned t = first ? type : RS_FRAME_PAYLOAD;
		bool fn = first && has_n;
		uint32_t room = frag - RS_FRAME_HDR_LEN - (fn ? 4 : 0);
		bool carry_md = has_md && (mdo < md_len || (first && md_len == 0));
		uint32_t mdp = 0, dp, hl;
		unsigned fl;
		bool last;

		if (carry_md) {
			room -= 3;
			mdp = md_len - mdo < room ? md_len - mdo : room;
		}
		dp = data_len - dto < room - mdp ? data_len - dto : room - mdp;
		last = mdo + mdp == md_len && dto + dp == data_len;
		if (first)
			fl = flags & ~RS_FRAME_FLAG_C;
		else
			fl = RS_FRAME_FLAG_N;
		if (last)
			fl |= flags & RS_FRAME_FLAG_C;
		else
			fl |= RS_FRAME_FLAG_F;
		hl = rs_stream_head(h,
				    RS_FRAME_HDR_LEN + (fn ? 4 : 0) + (carry_md ? 3 : 0) + mdp + dp,
				    sid, t, fl, fn, n, carry_md, mdp);
		rc = rs_conn_emit(c, h, hl, carry_md ? p->metadata + mdo : NULL, mdp, p->data + dto,
				  dp);
		if (rc != 0)
			return rc;
		rs_engine_count(e, RS_CTR_FRAGMENTS_TX);
		mdo += mdp;
		dto += dp;
		if (last)
			return 0;
		first = false;
	}
}

int
rs_stream_send_cancel(struct rs_conn *c, uint32_t sid)
{
	uint8_t h[3 + RS_FRAME_CANCEL_LEN];

	rs_frame_put_u24(h, RS_FRAME_CANCEL_LEN);
	rs_frame_put_hdr(h + 3, sid, RS_FRAME_CANCEL, 0);
	return rs_conn_emit(c, h, sizeof(h), NULL, 0, NULL, 0);
}

int
rs_stream_send_request_n(struct rs_conn *c, uint32_t sid, uint64_t n)
{
	uint8_t h[3 + RS_FRAME_REQUEST_N_LEN];

	rs_frame_put_u24(h, RS_FRAME_REQUEST_N_LEN);
	rs_frame_put_hdr(h + 3, sid, RS_FRAME_REQUEST_N, 0);
	rs_frame_put_u32(h + 9, n > RS_FRAME_U31_MAX ? RS_FRAME_U31_MAX : (uint32_t)n);
	return rs_conn_emit(c, h, sizeof(h), NULL, 0, NULL, 0);
}

/* ---- Receiving: requests ----------------------------------------------------------------- */

/*
 * RSOCKET.md 4.6: the responder MUST answer the initial REQUEST_CHANNEL with a REQUEST_N, and the
 * requester may send nothing more before it. Called after the channel handler returned: when the
 * stream still lives, the requester's half is open (no C on the REQUEST_CHANNEL) and the handler
 * granted nothing, the engine grants channel_initial_n itself (items after the first, which came
 * in the REQUEST_CHANNEL). A handler that granted credit keeps full control.
 */
static void
rs_stream_channel_auto_n(struct rs_engine *e, struct sk_stream hs)
{
	struct rs_stream *s = rs_stream_get(e, hs);
	uint32_t n = e->conf.channel_initial_n;

	if (s == NULL || !s->in_open || s->in_credit != 0)
		return;
	if (rs_stream_send_request_n(s->c, s->id, n) != 0)
		return;
	s->in_credit = n;
	rs_engine_count(e, RS_CTR_CHANNEL_AUTO_N);
}

static void
rs_stream_refuse(struct rs_conn *c, uint32_t sid, uint32_t code, const char *msg)
{
	rs_conn_send_error(c, sid, code, msg, strlen(msg));
}

/* Route and hand a complete request to the application. @p s is the stream (allocated for
 * reassembly) or NULL. */
static void
rs_stream_deliver_request(struct rs_conn *c, struct rs_stream *s, uint32_t sid, unsigned type,
			  unsigned flags, uint32_t n, const struct sk_payload *p)
{
	struct rs_engine *e = c->e;
	struct sk_ctx *cx = rs_engine_ctx(e);
	const struct sk_route_handlers *h = NULL;
	const char *tag = NULL;
	size_t tag_len = 0;
	struct sk_stream hs;
	char msg[320];
	int r = -ENOENT;

	if (e->router != NULL)
		r = sk_router_match_metadata(e->router, e->scratch,
					     p->has_metadata ? p->metadata : NULL, p->metadata_len,
					     &tag, &tag_len);
	if (r >= 0 && e->route_app != NULL && e->route_app[r] >= 0)
		h = &e->app->routes[e->route_app[r]];
	if (h == NULL) {
		rs_engine_count(e, RS_CTR_NO_ROUTE);
		if (s != NULL)
			rs_stream_free(s);
		if (type == RS_FRAME_REQUEST_FNF)
			return;
		if (r >= 0)
			snprintf(msg, sizeof(msg), "no handler for route '%s'",
				 sk_router_name(e->router, (uint32_t)r));
		else if (tag != NULL)
			snprintf(msg, sizeof(msg), "no route '%.*s'", (int)tag_len, tag);
		else if (r == -EBADMSG)
			snprintf(msg, sizeof(msg), "malformed routing metadata");
		else
			snprintf(msg, sizeof(msg), "no route (request has no routing metadata)");
		rs_stream_refuse(c, sid, RS_ERROR_INVALID, msg);
		return;
	}
	if ((type == RS_FRAME_REQUEST_RESPONSE && h->request_response == NULL) ||
	    (type == RS_FRAME_REQUEST_FNF && h->fire_and_forget == NULL) ||
	    (type == RS_FRAME_REQUEST_STREAM && h->request_stream == NULL) ||
	    (type == RS_FRAME_REQUEST_CHANNEL && h->request_channel == NULL)) {
		rs_engine_count(e, RS_CTR_NO_HANDLER);
		if (s != NULL)
			rs_stream_free(s);
		if (type == RS_FRAME_REQUEST_FNF)
			return;
		snprintf(msg, sizeof(msg), "route '%s' has no %s handler",
			 sk_router_name(e->router, (uint32_t)r), rs_frame_type_name(type));
		rs_stream_refuse(c, sid, RS_ERROR_INVALID, msg);
		return;
	}
	if (type == RS_FRAME_REQUEST_FNF) {
		if (s != NULL)
			rs_stream_free(s);
		h->fire_and_forget(cx, p);
		return;
	}
	if (s == NULL) {
		s = rs_stream_alloc(c, sid);
		if (s == NULL) {
			rs_engine_count(e, RS_CTR_STREAM_LIMIT);
			rs_stream_refuse(c, sid, RS_ERROR_REJECTED, "too many streams");
			return;
		}
	}
	s->requester = false;
	s->route = r;
	s->cbs = &h->cbs;
	s->ctx = e->app_state;
	s->delivered = true;
	s->out_open = true;
	switch (type) {
	case RS_FRAME_REQUEST_RESPONSE:
		s->model = RS_MODEL_RR;
		h->request_response(cx, rs_stream_handle(s), p);
		return;
	case RS_FRAME_REQUEST_STREAM:
		s->model = RS_MODEL_STREAM;
		s->out_credit = n;
		h->request_stream(cx, rs_stream_handle(s), p, n);
		return;
	default:
		s->model = RS_MODEL_CHANNEL;
		s->out_credit = n;
		s->in_open = !(flags & RS_FRAME_FLAG_C);
		hs = rs_stream_handle(s);
		h->request_channel(cx, hs, p, n, !s->in_open);
		rs_stream_channel_auto_n(e, hs);
		return;
	}
}

/*
 * Reassembly buffers grow per stream (doubling, through the engine's allocator), bounded by
 * reasm_stream_max per message and reasm_conn_max per connection. Not a free list of fixed
 * chunks: the handler gets one contiguous sk_payload, so chunks would have to be as large as the
 * stream cap (1 MiB of mostly unused memory per reassembling stream) or be copied together again.
 * A fragmented message is large by definition (over the peer's fragment size) and already
 * copied once here; a few allocations per message (log2 of its size over 256) cost little next
 * to that copy, and the core's jemalloc arena serves them without locks.
 */
static int
rs_stream_append(struct rs_engine *e, uint8_t **buf, uint32_t *len, uint32_t *cap,
		 const struct rs_frame_slice *sl)
{
	if (sl->len == 0)
		return 0;
	if (*len + sl->len > *cap) {
		uint32_t nc = *cap ? *cap : 256;
		uint8_t *nb;

		while (nc < *len + sl->len)
			nc *= 2;
		nb = rs_engine_realloc(e, *buf, *len, nc);
		if (nb == NULL)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	rs_frame_slice_copy(sl, *buf + *len, sl->len);
	*len += sl->len;
	return 0;
}

/* Add one fragment to @p s. @return 0; -EMSGSIZE over the stream cap; -ENOSPC over the
 * connection cap (the caller fails the connection); -ENOMEM. */
static int
rs_stream_reasm_add(struct rs_stream *s, const struct rs_frame *f)
{
	struct rs_conn *c = s->c;
	struct rs_engine *e = c->e;
	bool md = (f->flags & RS_FRAME_FLAG_M) != 0;
	uint32_t add = f->data.len + (md ? f->metadata.len : 0);
	uint32_t before = s->rmd_len + s->rdata_len;
	int rc = 0;

	rs_engine_count(e, RS_CTR_FRAGMENTS_RX);
	if ((uint64_t)before + add > e->conf.reasm_stream_max) {
		rs_engine_count(e, RS_CTR_REASM_STREAM_OVER);
		return -EMSGSIZE;
	}
	if (c->reasm_bytes + add > e->conf.reasm_conn_max) {
		rs_engine_count(e, RS_CTR_REASM_CONN_OVER);
		return -ENOSPC;
	}
	if (md) {
		s->reasm_has_md = true;
		rc = rs_stream_append(e, &s->rmd, &s->rmd_len, &s->rmd_cap, &f->metadata);
	}
	if (rc == 0)
		rc = rs_stream_append(e, &s->rdata, &s->rdata_len, &s->rdata_cap, &f->data);
	c->reasm_bytes += (uint64_t)s->rmd_len + s->rdata_len - before;
	if (rc != 0)
		rs_engine_count(e, RS_CTR_RX_NOMEM);
	return rc;
}

static void
rs_stream_reasm_payload(const struct rs_stream *s, struct sk_payload *p)
{
	p->has_metadata = s->reasm_has_md;
	p->metadata = s->rmd;
	p->metadata_len = s->rmd_len;
	p->data = s->rdata;
	p->data_len = s->rdata_len;
}

static bool
rs_stream_peer_parity(const struct rs_conn *c, uint32_t sid)
{
	/* Clients use odd ids, servers even (RSOCKET.md 1.4). */
	return (sid & 1) == (c->is_client ? 0u : 1u);
}

static void
rs_stream_on_request(struct rs_conn *c, struct rs_frame *f)
{
	struct rs_engine *e = c->e;
	uint32_t sid = f->stream_id;
	bool fnf = f->type == RS_FRAME_REQUEST_FNF;
	bool frag = (f->flags & RS_FRAME_FLAG_F) && !(f->flags & RS_FRAME_FLAG_C);
	struct sk_payload p;
	struct rs_stream *s;
	uint32_t n = (f->type == RS_FRAME_REQUEST_STREAM || f->type == RS_FRAME_REQUEST_CHANNEL)
			     ? f->request_n
			     : 0;

	if (!rs_stream_peer_parity(c, sid)) {
		rs_engine_count(e, RS_CTR_STREAM_BAD_PARITY);
		return;
	}
	if (rs_stream_lookup(c, sid) != NULL) {
		rs_engine_count(e, RS_CTR_STREAM_DUP);
		return;
	}
	if (c->graceful) {
		if (!fnf)
			rs_stream_refuse(c, sid, RS_ERROR_REJECTED, "connection closing");
		return;
	}
	if ((!fnf || frag) && c->nb_streams >= e->conf.max_streams) {
		rs_engine_count(e, RS_CTR_STREAM_LIMIT);
		if (!fnf)
			rs_stream_refuse(c, sid, RS_ERROR_REJECTED, "too many streams");
		return;
	}
	/* Lease we issued (RSOCKET.md 6.3): a request outside it gets ERROR[REJECTED]. */
	if (c->lease && e->conf.lease_ttl_ms > 0) {
		if (c->lease_in_left == 0 || e->now_us >= c->lease_in_expiry_us) {
			rs_engine_count(e, RS_CTR_LEASE_REJECTED);
			if (!fnf)
				rs_stream_refuse(c, sid, RS_ERROR_REJECTED, "lease exhausted");
			return;
		}
		c->lease_in_left--;
	}
	if (frag) {
		int rc;

		s = rs_stream_alloc(c, sid);
		if (s == NULL)
			return;
		s->reasm = true;
		s->reasm_type = f->type;
		s->reasm_flags = f->flags;
		s->reasm_n = n;
		s->requester = false;
		rc = rs_stream_reasm_add(s, f);
		if (rc == -ENOSPC) {
			rs_stream_free(s);
			rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR,
				     "reassembly over connection cap");
		} else if (rc != 0) {
			rs_stream_free(s);
			if (!fnf)
				rs_stream_refuse(c, sid, RS_ERROR_REJECTED,
						 rc == -ENOMEM
							 ? "out of memory"
							 : "reassembled message over the cap");
		}
		return;
	}
	if (rs_conn_view(c, f, &p) != 0) {
		/* No memory to gather it (counted rx_nomem): refused before any processing,
		 * ERROR[REJECTED] (RSOCKET.md 3.4 error codes); a FNF is dropped. */
		if (!fnf)
			rs_stream_refuse(c, sid, RS_ERROR_REJECTED, "out of memory");
		return;
	}
	rs_stream_deliver_request(c, NULL, sid, f->type, f->flags, n, &p);
}

/* ---- Receiving: items ------------------------------------------------------------------- */

/* Deliver an item or completion to @p s. */
static void
rs_stream_deliver_payload(struct rs_stream *s, unsigned flags, const struct sk_payload *p)
{
	struct rs_conn *c = s->c;
	struct rs_engine *e = c->e;
	struct sk_ctx *cx = rs_engine_ctx(e);
	struct sk_stream h = rs_stream_handle(s);
	const struct sk_stream_cbs *cbs = s->cbs;
	bool next = (flags & RS_FRAME_FLAG_N) != 0;
	bool done = (flags & RS_FRAME_FLAG_C) != 0;

	if (!s->in_open) {
		rs_engine_count(e, RS_CTR_STREAM_UNKNOWN);
		return;
	}
	if (s->model == RS_MODEL_RR) {
		/* RSOCKET.md 4.3: a PAYLOAD without C is handled as if C were set. */
		s->in_open = false;
		if (next && cbs != NULL && cbs->on_next != NULL)
			cbs->on_next(cx, h, s->ctx, p);
		if ((s = rs_stream_get(e, h)) == NULL)
			return;
		cbs = s->cbs;
		void *ctx = s->ctx;

		rs_stream_free(s);
		if (cbs != NULL && cbs->on_complete != NULL)
			cbs->on_complete(cx, h, ctx);
		return;
	}
	if (next) {
		if (s->in_credit == 0) {
			/* RSOCKET.md 10.11: fail the stream locally; CANCEL as requester,
			 * ERROR[INVALID] as responder. */
			rs_engine_count(e, RS_CTR_STREAM_OVERRUN);
			if (s->requester)
				rs_stream_send_cancel(c, s->id);
			else
				rs_stream_refuse(c, s->id, RS_ERROR_INVALID, "credit overrun");
			rs_stream_cb_error(s, RS_ERROR_INVALID, "credit overrun", 14);
			return;
		}
		if (s->in_credit < RS_CREDIT_UNBOUNDED)
			s->in_credit--;
		if (cbs != NULL && cbs->on_next != NULL)
			cbs->on_next(cx, h, s->ctx, p);
		if ((s = rs_stream_get(e, h)) == NULL)
			return;
	}
	if (done) {
		void *ctx = s->ctx;

		s->in_open = false;
		cbs = s->cbs;
		if (s->model != RS_MODEL_CHANNEL || !s->out_open)
			rs_stream_free(s);
		if (cbs != NULL && cbs->on_complete != NULL)
			cbs->on_complete(cx, h, ctx);
	}
}

/* An item of @p s could not be received (reassembly cap, no memory): the stream fails, the
 * connection goes on (RSOCKET.md 10.11). The requester cancels, the responder answers
 * ERROR[REJECTED]; the application hears on_error if the stream reached it. */
static void
rs_stream_fail_in(struct rs_conn *c, struct rs_stream *s, const char *msg)
{
	if (!s->delivered && !s->requester) {
		rs_stream_refuse(c, s->id, RS_ERROR_REJECTED, msg);
		rs_stream_free(s);
	} else if (s->requester) {
		rs_stream_send_cancel(c, s->id);
		rs_stream_cb_error(s, RS_ERROR_REJECTED, msg, strlen(msg));
	} else {
		rs_stream_refuse(c, s->id, RS_ERROR_REJECTED, msg);
		rs_stream_cb_error(s, RS_ERROR_REJECTED, msg, strlen(msg));
	}
}

static void
rs_stream_on_payload(struct rs_conn *c, struct rs_frame *f)
{
	struct rs_stream *s = rs_stream_lookup(c, f->stream_id);
	bool more = (f->flags & RS_FRAME_FLAG_F) && !(f->flags & RS_FRAME_FLAG_C);
	struct sk_payload p;
	int rc;

	if (s == NULL) {
		rs_engine_count(c->e, RS_CTR_STREAM_UNKNOWN);
		return;
	}
	if (!s->reasm && !more) {
		if (rs_conn_view(c, f, &p) == 0)
			rs_stream_deliver_payload(s, f->flags, &p);
		else
			rs_stream_fail_in(c, s, "out of memory");
		return;
	}
	if (!s->reasm) {
		if (!s->in_open || !(f->flags & RS_FRAME_FLAG_N)) {
			rs_engine_count(c->e, RS_CTR_STREAM_BAD_PAYLOAD);
			return;
		}
		s->reasm = true;
		s->reasm_type = RS_FRAME_PAYLOAD;
		s->reasm_flags = f->flags & RS_FRAME_FLAG_N;
		s->reasm_has_md = false;
	}
	rc = rs_stream_reasm_add(s, f);
	if (rc == -ENOSPC) {
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "reassembly over connection cap");
		return;
	}
	if (rc != 0) {
		/* Over the per-stream cap or out of memory: the stream fails, the connection goes
		 * on. */
		rs_stream_fail_in(
			c, s, rc == -ENOMEM ? "out of memory" : "reassembled message over the cap");
		return;
	}
	if (more)
		return;
	/* Last fragment: deliver the whole message. C may come on the last fragment. */
	{
		unsigned flags = s->reasm_flags | (f->flags & RS_FRAME_FLAG_C);
		struct sk_engine_reasm_hold {
			uint8_t *md, *data;
		} hold = {s->rmd, s->rdata};
		uint64_t bytes = (uint64_t)s->rmd_len + s->rdata_len;

		rs_stream_reasm_payload(s, &p);
		/* Detach the buffers from the stream: callbacks may free it. */
		s->rmd = s->rdata = NULL;
		s->rmd_len = s->rdata_len = s->rmd_cap = s->rdata_cap = 0;
		s->reasm = false;
		s->reasm_has_md = false;
		c->reasm_bytes -= bytes;
		if (s->reasm_type == RS_FRAME_PAYLOAD) {
			rs_stream_deliver_payload(s, flags | RS_FRAME_FLAG_N, &p);
		} else {
			uint32_t sid = s->id;
			unsigned type = s->reasm_type;
			uint32_t n = s->reasm_n;

			rs_stream_deliver_request(c, type == RS_FRAME_REQUEST_FNF ? NULL : s, sid,
						  type, flags, n, &p);
			if (type == RS_FRAME_REQUEST_FNF)
				rs_stream_free(s);
		}
		rs_engine_mfree(c->e, hold.md);
		rs_engine_mfree(c->e, hold.data);
	}
}

void
rs_stream_on_frame(struct rs_conn *c, struct rs_frame *f)
{
	struct rs_engine *e = c->e;
	struct rs_stream *s;

	switch (f->type) {
	case RS_FRAME_REQUEST_RESPONSE:
	case RS_FRAME_REQUEST_FNF:
	case RS_FRAME_REQUEST_STREAM:
	case RS_FRAME_REQUEST_CHANNEL:
		rs_stream_on_request(c, f);
		return;
	case RS_FRAME_PAYLOAD:
		rs_stream_on_payload(c, f);
		return;
	default:
		break;
	}
	s = rs_stream_lookup(c, f->stream_id);
	if (s == NULL) {
		rs_engine_count(e, RS_CTR_STREAM_UNKNOWN);
		return;
	}
	switch (f->type) {
	case RS_FRAME_REQUEST_N: {
		struct sk_stream h = rs_stream_handle(s);

		/* Credit for our outbound half counts even while an inbound item is being
		 * reassembled; only a request not yet handed to the application has no
		 * outbound half. */
		if (!s->out_open || !s->delivered) {
			rs_engine_count(e, RS_CTR_STREAM_UNKNOWN);
			return;
		}
		s->out_credit = rs_stream_credit_add(s->out_credit, f->request_n);
		if (s->cbs != NULL && s->cbs->on_request_n != NULL)
			s->cbs->on_request_n(rs_engine_ctx(e), h, s->ctx, f->request_n);
		return;
	}
	case RS_FRAME_CANCEL: {
		const struct sk_stream_cbs *cbs = s->cbs;
		struct sk_stream h = rs_stream_handle(s);
		void *ctx = s->ctx;
		bool tell = s->delivered || s->requester;

		if (s->requester) {
			/* rsocket-java's channel responder cancels our outbound half
			 * (RSOCKET.md 10.12). */
			s->out_open = false;
			s->out_credit = 0;
			if (s->in_open)
				return;
		}
		/* CANCEL stops production at once and releases the stream. */
		rs_stream_free(s);
		if (tell && cbs != NULL && cbs->on_cancel != NULL)
			cbs->on_cancel(rs_engine_ctx(e), h, ctx);
		return;
	}
	case RS_FRAME_ERROR: {
		char msg[256];
		uint32_t n = rs_frame_slice_copy(&f->data, msg, sizeof(msg) - 1);

		msg[n] = '\0';
		rs_engine_count(e, RS_CTR_ERROR_RX);
		if (!s->delivered && !s->requester) {
			rs_stream_free(s);
			return;
		}
		rs_stream_cb_error(s, f->error_code, msg, n);
		return;
	}
	default:
		rs_engine_count(e, RS_CTR_UNKNOWN_TYPE_IGNORED);
		return;
	}
}
