/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application API of skiff.h on top of the engine: responder answers, channel and stream
 * items with credit checks, cancel, requester calls, and small helpers. Every call resolves its
 * handle first; a stale handle (stream ended, connection gone) returns -ESTALE and is counted.
 * Runs on the worker core that owns the handles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <sk/router.h>

#include "engine_priv.h"

void *
sk_state(struct sk_ctx *cx)
{
	return rs_engine_from_ctx(cx)->app_state;
}

uint64_t
sk_now_us(const struct sk_ctx *cx)
{
	return ((const struct rs_engine *)(const void *)cx)->now_us;
}

static struct rs_stream *
sk_api_stream(struct sk_ctx *cx, struct sk_stream h)
{
	struct rs_engine *e = rs_engine_from_ctx(cx);
	struct rs_stream *s = rs_stream_get(e, h);

	if (s == NULL || !s->delivered) {
		rs_engine_count(e, RS_CTR_LATE_CALL);
		return NULL;
	}
	return s;
}

int
sk_respond(struct sk_ctx *cx, struct sk_stream h, const struct sk_payload *p)
{
	struct rs_stream *s = sk_api_stream(cx, h);
	int rc;

	if (s == NULL)
		return -ESTALE;
	if (s->requester || s->model != RS_MODEL_RR)
		return -EINVAL;
	rc = rs_stream_send_payloadish(s->c, s->id, RS_FRAME_PAYLOAD,
				       RS_FRAME_FLAG_N | RS_FRAME_FLAG_C, 0, p);
	if (rc == 0)
		rs_stream_free(s);
	return rc;
}

int
sk_next(struct sk_ctx *cx, struct sk_stream h, const struct sk_payload *p)
{
	struct rs_stream *s = sk_api_stream(cx, h);
	int rc;

	if (s == NULL)
		return -ESTALE;
	if (s->model == RS_MODEL_RR || s->model == RS_MODEL_FNF ||
	    (s->model == RS_MODEL_STREAM && s->requester))
		return -EINVAL;
	if (!s->out_open)
		return -EPIPE;
	/* A producer never sends beyond credit (RSOCKET.md 4.2). */
	if (s->out_credit == 0) {
		rs_engine_count(s->c->e, RS_CTR_NO_CREDIT);
		return -EAGAIN;
	}
	rc = rs_stream_send_payloadish(s->c, s->id, RS_FRAME_PAYLOAD, RS_FRAME_FLAG_N, 0, p);
	if (rc == 0 && s->out_credit < RS_CREDIT_UNBOUNDED)
		s->out_credit--;
	return rc;
}

int
sk_complete(struct sk_ctx *cx, struct sk_stream h)
{
	struct rs_stream *s = sk_api_stream(cx, h);
	int rc;

	if (s == NULL)
		return -ESTALE;
	if (s->model == RS_MODEL_FNF || (s->model == RS_MODEL_STREAM && s->requester) ||
	    (s->model == RS_MODEL_RR && s->requester))
		return -EINVAL;
	if (!s->out_open)
		return -EPIPE;
	rc = rs_stream_send_payloadish(s->c, s->id, RS_FRAME_PAYLOAD, RS_FRAME_FLAG_C, 0, NULL);
	if (rc != 0)
		return rc;
	s->out_open = false;
	if (!s->in_open)
		rs_stream_free(s);
	return 0;
}

int
sk_error(struct sk_ctx *cx, struct sk_stream h, uint32_t code, const char *msg)
{
	struct rs_stream *s = sk_api_stream(cx, h);
	int rc;

	if (s == NULL)
		return -ESTALE;
	if (code < SK_ERR_APPLICATION || code == 0xFFFFFFFFu)
		return -EINVAL;
	rc = rs_conn_send_error(s->c, s->id, code, msg, msg != NULL ? strlen(msg) : 0);
	rs_stream_free(s);
	return rc == -ENOTCONN ? 0 : rc;
}

int
sk_request_n(struct sk_ctx *cx, struct sk_stream h, uint64_t n)
{
	struct rs_stream *s = sk_api_stream(cx, h);
	int rc;

	if (s == NULL)
		return -ESTALE;
	if (n == 0)
		return -EINVAL;
	if (!s->in_open || s->model == RS_MODEL_RR)
		return -EPIPE;
	rc = rs_stream_send_request_n(s->c, s->id, n);
	if (rc == 0) {
		uint64_t t = s->in_credit + n;

		s->in_credit = t < n ? UINT64_MAX : t;
	}
	return rc;
}

int
sk_cancel(struct sk_ctx *cx, struct sk_stream h)
{
	struct rs_stream *s = sk_api_stream(cx, h);

	if (s == NULL)
		return -ESTALE;
	if (s->requester)
		rs_stream_send_cancel(s->c, s->id);
	else
		rs_conn_send_error(s->c, s->id, RS_ERROR_CANCELED, "canceled", 8);
	rs_stream_free(s);
	return 0;
}

uint64_t
sk_stream_credit(struct sk_ctx *cx, struct sk_stream h)
{
	struct rs_stream *s = rs_stream_get(rs_engine_from_ctx(cx), h);

	if (s == NULL || !s->out_open)
		return 0;
	return s->out_credit >= RS_CREDIT_UNBOUNDED ? UINT64_MAX : s->out_credit;
}

bool
sk_stream_live(struct sk_ctx *cx, struct sk_stream h)
{
	return rs_stream_get(rs_engine_from_ctx(cx), h) != NULL;
}

struct sk_conn
sk_stream_conn(struct sk_ctx *cx, struct sk_stream h)
{
	struct rs_stream *s = rs_stream_get(rs_engine_from_ctx(cx), h);

	if (s == NULL)
		return (struct sk_conn){0, 0};
	return (struct sk_conn){s->c->idx, s->c->gen};
}

/* ---- Requester calls ------------------------------------------------------------------- */

int
sk_connect(struct sk_ctx *cx, uint32_t ip, uint16_t port, const struct sk_conn_cbs *cbs, void *ctx,
	   struct sk_conn *out)
{
	struct rs_engine *e = rs_engine_from_ctx(cx);
	struct dp_addr4 a = {ip, port};
	struct dp_stream *s = NULL;
	struct rs_conn *c;
	int rc;

	if (e->stack == NULL)
		return -ENOTSUP;
	c = rs_conn_alloc(e, true);
	if (c == NULL)
		return -ENOMEM;
	c->cbs = cbs;
	c->cb_ctx = ctx;
	c->remote = a;
	c->state = RS_CONN_CONNECTING;
	rc = dp_stack_connect(e->stack, &a, &rs_engine_stream_cbs, c, &s);
	if (rc != 0) {
		c->cbs = NULL;
		rs_conn_release(c);
		return rc;
	}
	*out = (struct sk_conn){c->idx, c->gen};
	return 0;
}

/* Common checks and stream id allocation for a new request. */
static int
sk_api_begin(struct rs_engine *e, struct sk_conn ch, struct rs_conn **cp)
{
	struct rs_conn *c = rs_conn_get(e, ch);

	if (c == NULL) {
		rs_engine_count(e, RS_CTR_LATE_CALL);
		return -ESTALE;
	}
	if (c->graceful || !c->setup_done ||
	    !(c->state == RS_CONN_ESTABLISHED ||
	      (c->resume && (c->state == RS_CONN_DETACHED || c->state == RS_CONN_AWAIT_RESUME_OK))))
		return -ENOTCONN;
	if (!rs_conn_can_request(c))
		return -EBUSY;
	*cp = c;
	return 0;
}

static uint32_t
sk_api_next_id(struct rs_conn *c)
{
	for (;;) {
		uint32_t id = c->next_id;

		/* RSOCKET.md 4.7 (b): wrap, skipping ids still in use. */
		c->next_id += 2;
		if (c->next_id > RS_FRAME_U31_MAX || c->next_id < 2)
			c->next_id = c->is_client ? 1 : 2;
		if (rs_stream_lookup(c, id) == NULL)
			return id;
	}
}

static int
sk_api_request(struct sk_ctx *cx, struct sk_conn ch, unsigned type, const struct sk_payload *p,
	       uint64_t n, bool complete, const struct sk_stream_cbs *cbs, void *ctx,
	       struct sk_stream *out)
{
	struct rs_engine *e = rs_engine_from_ctx(cx);
	struct rs_conn *c;
	struct rs_stream *s = NULL;
	uint32_t sid;
	int rc = sk_api_begin(e, ch, &c);

	if (rc != 0)
		return rc;
	if (type != RS_FRAME_REQUEST_FNF) {
		if (c->nb_streams >= e->conf.max_streams) {
			rs_engine_count(e, RS_CTR_STREAM_LIMIT);
			return -ENOSPC;
		}
	}
	sid = sk_api_next_id(c);
	if (type != RS_FRAME_REQUEST_FNF) {
		s = rs_stream_alloc(c, sid);
		if (s == NULL)
			return -ENOSPC;
		s->requester = true;
		s->delivered = true;
		s->cbs = cbs;
		s->ctx = ctx;
		s->in_open = true;
		switch (type) {
		case RS_FRAME_REQUEST_RESPONSE:
			s->model = RS_MODEL_RR;
			break;
		case RS_FRAME_REQUEST_STREAM:
			s->model = RS_MODEL_STREAM;
			s->in_credit = n;
			break;
		default:
			s->model = RS_MODEL_CHANNEL;
			s->in_credit = n;
			s->out_open = !complete;
			break;
		}
	}
	rc = rs_stream_send_payloadish(c, sid, type, complete ? RS_FRAME_FLAG_C : 0,
				       n > RS_FRAME_U31_MAX ? RS_FRAME_U31_MAX : (uint32_t)n, p);
	if (rc != 0) {
		if (s != NULL)
			rs_stream_free(s);
		return rc;
	}
	if (c->lease && c->lease_out_left > 0)
		c->lease_out_left--;
	if (out != NULL && s != NULL)
		*out = rs_stream_handle(s);
	return 0;
}

int
sk_request_response(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p,
		    const struct sk_stream_cbs *cbs, void *ctx, struct sk_stream *out)
{
	return sk_api_request(cx, c, RS_FRAME_REQUEST_RESPONSE, p, 0, false, cbs, ctx, out);
}

int
sk_fire_and_forget(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p)
{
	return sk_api_request(cx, c, RS_FRAME_REQUEST_FNF, p, 0, false, NULL, NULL, NULL);
}

int
sk_request_stream(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p, uint64_t n,
		  const struct sk_stream_cbs *cbs, void *ctx, struct sk_stream *out)
{
	if (n == 0)
		return -EINVAL;
	return sk_api_request(cx, c, RS_FRAME_REQUEST_STREAM, p, n, false, cbs, ctx, out);
}

int
sk_request_channel(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p, uint64_t n,
		   bool complete, const struct sk_stream_cbs *cbs, void *ctx, struct sk_stream *out)
{
	if (n == 0)
		return -EINVAL;
	return sk_api_request(cx, c, RS_FRAME_REQUEST_CHANNEL, p, n, complete, cbs, ctx, out);
}

int
sk_metadata_push(struct sk_ctx *cx, struct sk_conn ch, const uint8_t *md, size_t len)
{
	struct rs_engine *e = rs_engine_from_ctx(cx);
	struct rs_conn *c = rs_conn_get(e, ch);
	uint8_t h[3 + RS_FRAME_HDR_LEN];

	if (c == NULL)
		return -ESTALE;
	if (c->state != RS_CONN_ESTABLISHED)
		return -ENOTCONN;
	if (len + RS_FRAME_HDR_LEN > e->conf.max_frame_len)
		return -EMSGSIZE;
	rs_frame_put_u24(h, RS_FRAME_HDR_LEN + (uint32_t)len);
	rs_frame_put_hdr(h + 3, 0, RS_FRAME_METADATA_PUSH, RS_FRAME_FLAG_M);
	return rs_conn_emit(c, h, sizeof(h), md, (uint32_t)len, NULL, 0);
}

int
sk_conn_close(struct sk_ctx *cx, struct sk_conn ch)
{
	struct rs_conn *c = rs_conn_get(rs_engine_from_ctx(cx), ch);

	if (c == NULL)
		return -ESTALE;
	rs_conn_close_graceful(c);
	return 0;
}

/* The receive segment of the current input that holds [p, p + len), or NULL. */
static struct rte_mbuf *
sk_api_find_seg(struct rs_engine *e, const uint8_t *p, uint32_t len)
{
	struct rs_conn *c = e->rx_conn;

	if (c == NULL || p == NULL)
		return NULL;
	for (struct rte_mbuf *m = c->rd.head; m != NULL; m = m->next) {
		const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);

		if (p >= b && p + len <= b + m->data_len)
			return m;
		if (m == c->rd.tail)
			break;
	}
	return NULL;
}

int
sk_payload_retain(struct sk_ctx *cx, const struct sk_payload *p, struct sk_held *out)
{
	struct rs_engine *e = rs_engine_from_ctx(cx);
	struct rte_mbuf *ms = NULL, *ds = NULL;
	uint32_t need = 0;
	uint8_t *copy = NULL;

	memset(out, 0, sizeof(*out));
	if (e->rx_conn == NULL)
		return -EINVAL;
	if (p->has_metadata && p->metadata_len > 0) {
		ms = sk_api_find_seg(e, p->metadata, p->metadata_len);
		if (ms == NULL)
			need += p->metadata_len;
	}
	if (p->data_len > 0) {
		ds = sk_api_find_seg(e, p->data, p->data_len);
		if (ds == NULL)
			need += p->data_len;
	}
	if (need > 0) {
		/* The application asked to keep a payload that is not in one segment: a copy
		 * from the core's allocator (engine.h, Memory), freed by sk_payload_release. */
		copy = rs_engine_alloc(e, need);
		if (copy == NULL) {
			rs_engine_count(e, RS_CTR_RX_NOMEM);
			return -ENOMEM;
		}
	}
	out->p = *p;
	need = 0;
	if (p->has_metadata && p->metadata_len > 0) {
		if (ms != NULL) {
			rte_mbuf_refcnt_update(ms, 1);
			out->seg[0] = ms;
		} else {
			memcpy(copy, p->metadata, p->metadata_len);
			out->p.metadata = copy;
			need = p->metadata_len;
		}
	}
	if (p->data_len > 0) {
		if (ds != NULL) {
			rte_mbuf_refcnt_update(ds, 1);
			out->seg[1] = ds;
		} else {
			memcpy(copy + need, p->data, p->data_len);
			out->p.data = copy + need;
		}
	}
	out->copy = copy;
	return 0;
}

void
sk_payload_release(struct sk_ctx *cx, struct sk_held *h)
{
	for (int i = 0; i < 2; i++)
		if (h->seg[i] != NULL)
			rte_pktmbuf_free_seg(h->seg[i]);
	if (h->copy != NULL)
		rs_engine_mfree(rs_engine_from_ctx(cx), h->copy);
	memset(h, 0, sizeof(*h));
}

size_t
sk_payload_copy(const struct sk_payload *p, void *buf, size_t cap)
{
	size_t n = p->data_len < cap ? p->data_len : cap;

	if (n > 0)
		memcpy(buf, p->data, n);
	return n;
}

int
sk_route_metadata(uint8_t *buf, size_t cap, const char *tag)
{
	size_t tl = tag != NULL ? strlen(tag) : 0;

	if (tl == 0 || tl > 255)
		return -EINVAL;
	if (cap < 5 + tl)
		return -ENOSPC;
	/* Composite entry: well-known routing id, u24 length, then u8 tag length + tag. */
	buf[0] = 0x80 | 0x7E;
	rs_frame_put_u24(buf + 1, (uint32_t)(1 + tl));
	buf[4] = (uint8_t)tl;
	memcpy(buf + 5, tag, tl);
	return (int)(5 + tl);
}
