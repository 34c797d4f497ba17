/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSocket connections: transport upcalls, the input loop over the codec's segmented reader,
 * connection-level frames (SETUP, KEEPALIVE, LEASE, ERROR on stream 0, METADATA_PUSH, RESUME,
 * RESUME_OK), the TX chain, timers, and the resume store. Stream frames are passed to stream.c.
 * Everything runs on the connection's core, from dp_stack_poll() upcalls, timer callbacks or
 * application calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_random.h>

#include <sk/router.h>

#include "engine_priv.h"

/* Retry interval of a LEASE that could not be queued. */
#define RS_CONN_LEASE_RETRY_US 10000u

static inline uint32_t
rs_conn_min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- TX ---------------------------------------------------------------------------------- */

/* Allocate enough segments (linked through ->next) to hold @p n more bytes beyond the tail. */
static int
rs_conn_tx_reserve(struct rs_conn *c, uint32_t n, struct rte_mbuf **spare)
{
	uint32_t room = c->tx_tail != NULL ? rte_pktmbuf_tailroom(c->tx_tail) : 0;
	struct rte_mbuf *list = NULL;

	while (room < n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(c->e->pool);

		if (m == NULL) {
			rte_pktmbuf_free(list);
			rs_engine_count(c->e, RS_CTR_TX_NOMEM);
			return -ENOBUFS;
		}
		m->next = list;
		if (list != NULL)
			m->nb_segs = list->nb_segs + 1;
		list = m;
		room += rte_pktmbuf_tailroom(m);
	}
	*spare = list;
	return 0;
}

static void
rs_conn_tx_write(struct rs_conn *c, struct rte_mbuf **spare, const void *src, uint32_t n)
{
	const uint8_t *p = src;

	while (n > 0) {
		struct rte_mbuf *t = c->tx_tail;
		uint32_t room = t != NULL ? rte_pktmbuf_tailroom(t) : 0;
		uint32_t k;

		if (room == 0) {
			struct rte_mbuf *m = *spare;

			*spare = m->next;
			m->next = NULL;
			m->nb_segs = 1;
			if (t == NULL) {
				c->tx_head = m;
			} else {
				t->next = m;
				c->tx_head->nb_segs++;
			}
			c->tx_tail = m;
			continue;
		}
		k = rs_conn_min32(room, n);
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), p, k);
		t->data_len += k;
		c->tx_head->pkt_len += k;
		c->tx_bytes += k;
		p += k;
		n -= k;
	}
}

/* ---- Resume store (RSOCKET.md 7): [u24 len][frame] records of tracked frames sent. ---------- */

static void
rs_conn_store_drop_oldest(struct rs_conn *c)
{
	uint32_t flen = rs_frame_get_u24(c->store + c->store_head);

	c->store_head += 3 + flen;
	c->store_len -= 3 + flen;
	c->store_first_pos += flen;
	if (c->store_len == 0)
		c->store_head = 0;
}

/* Make room for a record of @p total bytes; false when it can never fit. */
static bool
rs_conn_store_make_room(struct rs_conn *c, uint32_t total)
{
	if (total > c->store_cap) {
		while (c->store_len > 0)
			rs_conn_store_drop_oldest(c);
		rs_engine_count(c->e, RS_CTR_RESUME_STORE_OVERFLOW);
		return false;
	}
	if (c->store_len + total > c->store_cap) {
		rs_engine_count(c->e, RS_CTR_RESUME_STORE_OVERFLOW);
		while (c->store_len + total > c->store_cap)
			rs_conn_store_drop_oldest(c);
	}
	if (c->store_head + c->store_len + total > c->store_cap) {
		memmove(c->store, c->store + c->store_head, c->store_len);
		c->store_head = 0;
	}
	return true;
}

static void
rs_conn_store_trim(struct rs_conn *c, uint64_t peer_pos)
{
	while (c->store_len > 0 &&
	       c->store_first_pos + rs_frame_get_u24(c->store + c->store_head) <= peer_pos)
		rs_conn_store_drop_oldest(c);
}

/* Queue the stored frames from position @p from onwards (a frame boundary) for sending. */
static int
rs_conn_store_replay(struct rs_conn *c, uint64_t from)
{
	uint64_t pos = c->store_first_pos;
	uint32_t off = c->store_head, end = c->store_head + c->store_len;

	while (off < end && pos < from) {
		uint32_t flen = rs_frame_get_u24(c->store + off);

		pos += flen;
		off += 3 + flen;
	}
	if (pos != from)
		return -EINVAL;
	if (off < end) {
		struct rte_mbuf *spare = NULL;
		int rc = rs_conn_tx_reserve(c, end - off, &spare);

		if (rc != 0)
			return rc;
		rs_conn_tx_write(c, &spare, c->store + off, end - off);
		rte_pktmbuf_free(spare);
		rs_conn_mark_dirty(c);
	}
	return 0;
}

/* ---- Emitting frames ------------------------------------------------------------------- */

int
rs_conn_emit(struct rs_conn *c, const uint8_t *head, uint32_t head_len, const void *md,
	     uint32_t md_len, const void *data, uint32_t data_len)
{
	struct rs_engine *e = c->e;
	uint32_t total = head_len + md_len + data_len;
	uint32_t frame_len = total - RS_FRAME_PREFIX_LEN;
	uint32_t sid = rs_frame_get_u32(head + 3) & RS_FRAME_U31_MAX;
	/* Stream frames go out only on an established connection; while detached or resuming
	 * they wait in the resume store and are replayed (RSOCKET.md 7). */
	bool to_wire = c->ts != NULL && (c->state == RS_CONN_ESTABLISHED || sid == 0);
	bool stored = c->resume && sid != 0 && c->store != NULL;
	struct rte_mbuf *spare = NULL;
	int rc;

	if (!to_wire && !stored)
		return sid != 0 ? -ENOTCONN : 0;
	if (to_wire) {
		if (c->tx_bytes + (uint64_t)total > e->conf.max_pending_bytes) {
			rs_engine_count(e, RS_CTR_TX_PENDING_OVER);
			return -ENOBUFS;
		}
		rc = rs_conn_tx_reserve(c, total, &spare);
		if (rc != 0)
			return rc;
		rs_conn_tx_write(c, &spare, head, head_len);
		if (md_len > 0)
			rs_conn_tx_write(c, &spare, md, md_len);
		if (data_len > 0)
			rs_conn_tx_write(c, &spare, data, data_len);
		rte_pktmbuf_free(spare);
		rs_conn_mark_dirty(c);
		e->ctr[RS_CTR_FRAMES_TX]++;
		e->ctr[RS_CTR_BYTES_TX] += total;
	}
	if (sid != 0)
		c->send_pos += frame_len;
	if (stored) {
		if (rs_conn_store_make_room(c, total)) {
			uint8_t *p = c->store + c->store_head + c->store_len;

			memcpy(p, head, head_len);
			if (md_len > 0)
				memcpy(p + head_len, md, md_len);
			if (data_len > 0)
				memcpy(p + head_len + md_len, data, data_len);
			c->store_len += total;
		} else {
			c->store_first_pos = c->send_pos;
		}
	}
	return 0;
}

int
rs_conn_send_error(struct rs_conn *c, uint32_t sid, uint32_t code, const char *msg, size_t msg_len)
{
	uint8_t head[3 + RS_FRAME_ERROR_MIN_LEN];

	if (msg_len > 1024)
		msg_len = 1024;
	rs_frame_put_u24(head, RS_FRAME_ERROR_MIN_LEN + (uint32_t)msg_len);
	rs_frame_put_hdr(head + 3, sid, RS_FRAME_ERROR, 0);
	rs_frame_put_u32(head + 9, code);
	rs_engine_count(c->e, RS_CTR_ERROR_TX);
	return rs_conn_emit(c, head, sizeof(head), NULL, 0, msg, (uint32_t)msg_len);
}

static int
rs_conn_send_keepalive(struct rs_conn *c, bool respond, const void *data, uint32_t data_len)
{
	uint8_t head[3 + RS_FRAME_KEEPALIVE_MIN_LEN];

	rs_frame_put_u24(head, RS_FRAME_KEEPALIVE_MIN_LEN + data_len);
	rs_frame_put_hdr(head + 3, 0, RS_FRAME_KEEPALIVE, respond ? RS_FRAME_FLAG_RESPOND : 0);
	/* RSOCKET.md 10.6: 0 without resumption. */
	rs_frame_put_u64(head + 9, c->resume ? c->recv_pos : 0);
	rs_engine_count(c->e, RS_CTR_KEEPALIVE_TX);
	return rs_conn_emit(c, head, sizeof(head), NULL, 0, data, data_len);
}

static void
rs_conn_issue_lease(struct rs_conn *c)
{
	struct rs_engine *e = c->e;
	uint8_t head[3 + RS_FRAME_LEASE_MIN_LEN];

	rs_frame_put_u24(head, RS_FRAME_LEASE_MIN_LEN);
	rs_frame_put_hdr(head + 3, 0, RS_FRAME_LEASE, 0);
	rs_frame_put_u32(head + 9, e->conf.lease_ttl_ms);
	rs_frame_put_u32(head + 13, e->conf.lease_requests);
	if (rs_conn_emit(c, head, sizeof(head), NULL, 0, NULL, 0) != 0) {
		/* Not queued (TX pending bytes full, counted): try again shortly, or the peer's
		 * requester would wait for a LEASE forever (RSOCKET.md 6.3). */
		dp_timer_arm(e->wheel, &c->t_lease, e->now_us + RS_CONN_LEASE_RETRY_US);
		return;
	}
	c->lease_in_left = e->conf.lease_requests;
	c->lease_in_expiry_us = e->now_us + (uint64_t)e->conf.lease_ttl_ms * 1000;
	rs_engine_count(e, RS_CTR_LEASE_ISSUED);
	/* Renewal: a fresh lease when this one runs out (RSOCKET.md 6.3, the responder decides). */
	dp_timer_arm(e->wheel, &c->t_lease, c->lease_in_expiry_us);
}

static int
rs_conn_send_setup(struct rs_conn *c)
{
	struct rs_engine *e = c->e;
	const char *mm = e->conf.metadata_mime, *dm = e->conf.data_mime;
	uint32_t ml = (uint32_t)strlen(mm), dl = (uint32_t)strlen(dm);
	uint8_t head[3 + 20 + 2 + RS_CONN_TOKEN_MAX + 2 * RS_CONN_MIME_MAX];
	uint32_t off = 3;
	unsigned flags = 0;

	if (ml > 255 || dl > 255)
		return -EINVAL;
	flags |= c->resume ? RS_FRAME_FLAG_RESUME : 0;
	flags |= c->lease ? RS_FRAME_FLAG_LEASE : 0;
	rs_frame_put_hdr(head + off, 0, RS_FRAME_SETUP, flags);
	off += 6;
	rs_frame_put_u16(head + off, RS_FRAME_VERSION_MAJOR);
	rs_frame_put_u16(head + off + 2, RS_FRAME_VERSION_MINOR);
	rs_frame_put_u32(head + off + 4, c->keepalive_ms);
	rs_frame_put_u32(head + off + 8, c->lifetime_ms);
	off += 12;
	if (c->resume) {
		rs_frame_put_u16(head + off, c->token_len);
		memcpy(head + off + 2, c->token, c->token_len);
		off += 2 + c->token_len;
	}
	head[off++] = (uint8_t)ml;
	memcpy(head + off, mm, ml);
	off += ml;
	head[off++] = (uint8_t)dl;
	memcpy(head + off, dm, dl);
	off += dl;
	rs_frame_put_u24(head, off - 3);
	return rs_conn_emit(c, head, off, NULL, 0, NULL, 0);
}

static int
rs_conn_send_resume(struct rs_conn *c)
{
	uint8_t head[3 + RS_FRAME_RESUME_MIN_LEN + RS_CONN_TOKEN_MAX];
	uint32_t off = 9;

	rs_frame_put_hdr(head + 3, 0, RS_FRAME_RESUME, 0);
	rs_frame_put_u16(head + off, RS_FRAME_VERSION_MAJOR);
	rs_frame_put_u16(head + off + 2, RS_FRAME_VERSION_MINOR);
	rs_frame_put_u16(head + off + 4, c->token_len);
	memcpy(head + off + 6, c->token, c->token_len);
	off += 6 + c->token_len;
	rs_frame_put_u64(head + off, c->recv_pos);
	rs_frame_put_u64(head + off + 8, c->store_first_pos);
	off += 16;
	rs_frame_put_u24(head, off - 3);
	return rs_conn_emit(c, head, off, NULL, 0, NULL, 0);
}

static int
rs_conn_send_resume_ok(struct rs_conn *c)
{
	uint8_t head[3 + RS_FRAME_RESUME_OK_LEN];

	rs_frame_put_u24(head, RS_FRAME_RESUME_OK_LEN);
	rs_frame_put_hdr(head + 3, 0, RS_FRAME_RESUME_OK, 0);
	rs_frame_put_u64(head + 9, c->recv_pos);
	return rs_conn_emit(c, head, sizeof(head), NULL, 0, NULL, 0);
}

void
rs_conn_mark_dirty(struct rs_conn *c)
{
	if (!c->dirty) {
		c->dirty = true;
		c->e->dirty[c->e->nb_dirty++] = c->idx;
	}
}

/* ---- Flush and close ------------------------------------------------------------------ */

static void
rs_conn_tx_drop(struct rs_conn *c)
{
	rte_pktmbuf_free(c->tx_head);
	c->tx_head = c->tx_tail = NULL;
	c->tx_bytes = 0;
	c->tx_blocked = false;
}

static void
rs_conn_detach_transport(struct rs_conn *c, bool close_it)
{
	struct dp_stream *ts = c->ts;
	struct rte_mbuf *m;

	if (ts == NULL)
		return;
	c->ts = NULL;
	ts->ctx = NULL;
	rs_conn_tx_drop(c);
	m = rs_frame_reader_reset(&c->rd);
	rte_pktmbuf_free(m);
	if (close_it)
		dp_stream_close(ts);
}

void
rs_conn_flush(struct rs_conn *c)
{
	if (c->ts != NULL && c->tx_head != NULL && !c->tx_blocked) {
		int rc = dp_stream_send(c->ts, c->tx_head);

		if (rc == 0) {
			c->tx_head = c->tx_tail = NULL;
			c->tx_bytes = 0;
		} else if (rc == -EAGAIN) {
			c->tx_blocked = true;
			rs_engine_count(c->e, RS_CTR_TX_BLOCKED);
		} else {
			rs_engine_count(c->e, RS_CTR_TX_DROPPED);
			rs_conn_tx_drop(c);
		}
	}
	if (c->state == RS_CONN_CLOSING && (c->tx_head == NULL || c->ts == NULL)) {
		rs_conn_detach_transport(c, true);
		rs_conn_release(c);
	}
}

void
rs_conn_release(struct rs_conn *c)
{
	struct rs_engine *e = c->e;

	if (c->state == RS_CONN_FREE)
		return;
	if (c->in_rx) {
		c->release_pending = true;
		if (c->state != RS_CONN_CLOSING)
			c->state = RS_CONN_CLOSING;
		return;
	}
	rs_stream_fail_all(c, RS_ERROR_CONNECTION_ERROR, "connection closed");
	rs_conn_detach_transport(c, true);
	dp_timer_cancel(e->wheel, &c->t_keepalive);
	dp_timer_cancel(e->wheel, &c->t_alive);
	dp_timer_cancel(e->wheel, &c->t_setup);
	dp_timer_cancel(e->wheel, &c->t_lease);
	dp_timer_cancel(e->wheel, &c->t_session);
	/* The store and the gather buffer stay with the slot (engine.h, Memory). */
	rs_engine_mfree(e, c->gbig);
	c->gbig = NULL;
	c->state = RS_CONN_FREE;
	c->gen++;
	c->release_pending = false;
	e->nb_conns--;
	rs_engine_count(e, RS_CTR_CONN_CLOSED);
}

static void
rs_conn_notify_closed(struct rs_conn *c, uint32_t code, const char *msg)
{
	const struct sk_conn_cbs *cbs = c->cbs;
	struct sk_conn h = {c->idx, c->gen};

	c->cbs = NULL;
	if (cbs != NULL && cbs->on_closed != NULL)
		cbs->on_closed(rs_engine_ctx(c->e), h, c->cb_ctx, code, msg, msg ? strlen(msg) : 0);
}

/* Fatal end of the connection: optional ERROR on stream 0, streams fail, transport closes after
 * the queued bytes are handed over. */
static void
rs_conn_fail_ex(struct rs_conn *c, uint32_t code, const char *msg, bool send)
{
	if (c->state == RS_CONN_FREE || c->state == RS_CONN_CLOSING)
		return;
	if (send && c->ts != NULL)
		rs_conn_send_error(c, 0, code, msg, strlen(msg));
	rs_stream_fail_all(c, code, msg);
	rs_conn_notify_closed(c, code, msg);
	c->state = RS_CONN_CLOSING;
	rs_conn_mark_dirty(c);
	if (!c->in_rx)
		rs_conn_flush(c);
}

void
rs_conn_fail(struct rs_conn *c, uint32_t code, const char *msg)
{
	rs_conn_fail_ex(c, code, msg, true);
}

void
rs_conn_maybe_graceful_done(struct rs_conn *c)
{
	if (c->graceful && c->nb_streams == 0 && c->state == RS_CONN_ESTABLISHED) {
		rs_conn_notify_closed(c, 0, NULL);
		c->state = RS_CONN_CLOSING;
		rs_conn_mark_dirty(c);
		if (!c->in_rx)
			rs_conn_flush(c);
	}
}

void
rs_conn_close_graceful(struct rs_conn *c)
{
	if (c->state != RS_CONN_ESTABLISHED) {
		rs_conn_fail_ex(c, RS_ERROR_CONNECTION_CLOSE, "close", false);
		return;
	}
	if (!c->graceful) {
		static const char msg[] = "close";

		rs_conn_send_error(c, 0, RS_ERROR_CONNECTION_CLOSE, msg, sizeof(msg) - 1);
		c->graceful = true;
	}
	rs_conn_maybe_graceful_done(c);
}

/* ---- Timers ---------------------------------------------------------------------------- */

static void rs_conn_reconnect(struct rs_conn *c);

static void
rs_conn_on_keepalive_timer(struct dp_timer *t, void *arg)
{
	struct rs_conn *c = arg;

	(void)t;
	if (c->state == RS_CONN_DETACHED) {
		rs_conn_reconnect(c);
		return;
	}
	if (c->state != RS_CONN_ESTABLISHED)
		return;
	rs_conn_send_keepalive(c, true, NULL, 0);
	dp_timer_arm(c->e->wheel, &c->t_keepalive, c->e->now_us + (uint64_t)c->keepalive_ms * 1000);
}

static void
rs_conn_on_alive_timer(struct dp_timer *t, void *arg)
{
	struct rs_conn *c = arg;
	uint64_t deadline = c->last_rx_us + (uint64_t)c->lifetime_ms * 1000;

	(void)t;
	if (c->state != RS_CONN_ESTABLISHED)
		return;
	if (c->e->now_us < deadline) {
		dp_timer_arm(c->e->wheel, &c->t_alive, deadline);
		return;
	}
	/* RSOCKET.md 6.1: rsocket-java closes with CONNECTION_ERROR when the peer stays silent for
	 * Max Lifetime; both sides apply it. */
	rs_engine_count(c->e, RS_CTR_KEEPALIVE_TIMEOUT);
	rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "no keepalive within max lifetime");
}

static void
rs_conn_on_setup_timer(struct dp_timer *t, void *arg)
{
	struct rs_conn *c = arg;

	(void)t;
	if (c->state != RS_CONN_AWAIT_SETUP)
		return;
	rs_engine_count(c->e, RS_CTR_SETUP_TIMEOUT);
	rs_conn_fail_ex(c, RS_ERROR_INVALID_SETUP, "no SETUP in time", false);
}

static void
rs_conn_on_lease_timer(struct dp_timer *t, void *arg)
{
	struct rs_conn *c = arg;

	(void)t;
	if (c->state == RS_CONN_ESTABLISHED && c->lease)
		rs_conn_issue_lease(c);
}

static void
rs_conn_on_session_timer(struct dp_timer *t, void *arg)
{
	struct rs_conn *c = arg;

	(void)t;
	if (c->state != RS_CONN_DETACHED)
		return;
	rs_engine_count(c->e, RS_CTR_RESUME_EXPIRED);
	rs_stream_fail_all(c, RS_ERROR_CONNECTION_ERROR, "resume session expired");
	rs_conn_notify_closed(c, RS_ERROR_CONNECTION_ERROR, "resume session expired");
	rs_conn_release(c);
}

void
rs_conn_timers_init(struct rs_conn *c)
{
	dp_timer_init(&c->t_keepalive, rs_conn_on_keepalive_timer, c);
	dp_timer_init(&c->t_alive, rs_conn_on_alive_timer, c);
	dp_timer_init(&c->t_setup, rs_conn_on_setup_timer, c);
	dp_timer_init(&c->t_lease, rs_conn_on_lease_timer, c);
	dp_timer_init(&c->t_session, rs_conn_on_session_timer, c);
}

static void
rs_conn_start_liveness(struct rs_conn *c)
{
	struct rs_engine *e = c->e;

	c->last_rx_us = e->now_us;
	dp_timer_arm(e->wheel, &c->t_alive, e->now_us + (uint64_t)c->lifetime_ms * 1000);
	if (c->is_client)
		dp_timer_arm(e->wheel, &c->t_keepalive,
			     e->now_us + (uint64_t)c->keepalive_ms * 1000);
}

/* ---- Connection slots ------------------------------------------------------------------ */

struct rs_conn *
rs_conn_alloc(struct rs_engine *e, bool is_client)
{
	for (uint32_t i = 1; i <= e->conf.max_conns; i++) {
		struct rs_conn *c = &e->conns[i];

		if (c->state != RS_CONN_FREE)
			continue;
		uint32_t gen = c->gen;
		uint32_t *tbl = c->tbl;
		struct rs_stream *sblock = c->sblock;
		uint8_t *gbuf = c->gbuf, *store = c->store;
		bool dirty = c->dirty; /* may still sit on the flush list */

		/* First use of this slot: its stream slots, table and gather buffer, kept for later
		 * reuse (a per-core pool: connection churn allocates nothing after warm-up). */
		if (sblock == NULL) {
			sblock = rs_engine_zalloc(e, (size_t)e->conf.max_streams * sizeof(*sblock));
			tbl = rs_engine_zalloc(e, (size_t)e->tbl_size * sizeof(*tbl));
			gbuf = rs_engine_alloc(e, e->gbuf_size);
			if (sblock == NULL || tbl == NULL || gbuf == NULL) {
				rs_engine_mfree(e, sblock);
				rs_engine_mfree(e, tbl);
				rs_engine_mfree(e, gbuf);
				rs_engine_count(e, RS_CTR_RX_NOMEM);
				return NULL;
			}
			for (uint32_t k = 0; k < e->conf.max_streams; k++)
				sblock[k].gen = 1;
		}
		memset(c, 0, sizeof(*c));
		c->dirty = dirty;
		c->e = e;
		c->idx = i;
		c->gen = gen;
		c->tbl = tbl;
		c->sblock = sblock;
		c->gbuf = gbuf;
		c->store = store;
		c->tbl_mask = e->tbl_size - 1;
		memset(tbl, 0, e->tbl_size * sizeof(*tbl));
		c->is_client = is_client;
		c->next_id = is_client ? 1 : 2;
		rs_frame_reader_init(&c->rd, e->conf.max_frame_len);
		rs_conn_timers_init(c);
		/* Every slot free, lowest first. */
		c->free_head = 0;
		for (uint32_t k = e->conf.max_streams; k > 0; k--) {
			sblock[k - 1].c = c;
			sblock[k - 1].id = 0;
			sblock[k - 1].free_next = c->free_head;
			c->free_head = k;
		}
		e->nb_conns++;
		rs_engine_count(e, RS_CTR_CONN_OPEN);
		return c;
	}
	return NULL;
}

struct rs_conn *
rs_conn_get(struct rs_engine *e, struct sk_conn h)
{
	struct rs_conn *c;

	if (h.idx == 0 || h.idx > e->conf.max_conns)
		return NULL;
	c = &e->conns[h.idx];
	if (c->gen != h.gen || c->state == RS_CONN_FREE)
		return NULL;
	return c;
}

bool
rs_conn_can_request(struct rs_conn *c)
{
	struct rs_engine *e = c->e;

	if (!c->lease)
		return true;
	if (!c->lease_out_known || c->lease_out_left == 0 || e->now_us >= c->lease_out_expiry_us) {
		rs_engine_count(e, RS_CTR_LEASE_EXHAUSTED);
		return false;
	}
	return true;
}

/* ---- Payload views --------------------------------------------------------------------- */

static const uint8_t *
rs_conn_gather(uint8_t *buf, const struct rs_frame_slice *s, uint32_t at)
{
	if (rs_frame_slice_is_contig(s))
		return s->ptr;
	rs_frame_slice_copy(s, buf + at, s->len);
	return buf + at;
}

int
rs_conn_view(struct rs_conn *c, const struct rs_frame *f, struct sk_payload *p)
{
	struct rs_engine *e = c->e;
	bool has_md = (f->flags & RS_FRAME_FLAG_M) != 0;
	uint32_t need = 0;
	uint8_t *buf = c->gbuf;

	if (!rs_frame_slice_is_contig(&f->data))
		need += f->data.len;
	if (has_md && !rs_frame_slice_is_contig(&f->metadata))
		need += f->metadata.len;
	if (need > e->gbuf_size) {
		/* Bigger than the slot's gather buffer (gather_bytes): a buffer for this frame
		 * only, freed once it is dispatched (rs_conn_on_data). Bounded by max_frame_len,
		 * and rare: the copy it serves costs more than the allocation. Keeping it would
		 * grow every slot towards max_frame_len. */
		if (c->gbig == NULL) {
			c->gbig = rs_engine_alloc(e, need);
			if (c->gbig == NULL) {
				rs_engine_count(e, RS_CTR_RX_NOMEM);
				return -ENOMEM;
			}
			rs_engine_count(e, RS_CTR_RX_GATHER_BIG);
		}
		buf = c->gbig;
	}
	p->has_metadata = has_md;
	p->metadata_len = has_md ? f->metadata.len : 0;
	p->metadata = has_md ? rs_conn_gather(buf, &f->metadata, 0) : NULL;
	p->data_len = f->data.len;
	p->data = rs_conn_gather(buf, &f->data,
				 has_md && !rs_frame_slice_is_contig(&f->metadata) ? f->metadata.len
										   : 0);
	return 0;
}

/* ---- Input: connection-level frames ---------------------------------------------------- */

static bool
rs_conn_mime_ok(const struct rs_frame_slice *s, char *out)
{
	if (s->len == 0 || s->len >= RS_CONN_MIME_MAX)
		return false;
	rs_frame_slice_copy(s, out, s->len);
	out[s->len] = '\0';
	for (uint32_t i = 0; i < s->len; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			return false;
	return true;
}

static bool
rs_conn_mime_accepted(const char *want, const char *got)
{
	return want == NULL || want[0] == '\0' || strcmp(want, got) == 0;
}

static struct rs_conn *
rs_conn_find_token(struct rs_engine *e, const uint8_t *tok, uint16_t len, struct rs_conn *skip)
{
	for (uint32_t i = 1; i <= e->conf.max_conns; i++) {
		struct rs_conn *c = &e->conns[i];

		if (c == skip || c->state == RS_CONN_FREE || c->state == RS_CONN_CLOSING ||
		    !c->resume || c->is_client)
			continue;
		if (c->token_len == len && memcmp(c->token, tok, len) == 0)
			return c;
	}
	return NULL;
}

static void
rs_conn_reject_setup(struct rs_conn *c, enum rs_engine_ctr ctr, uint32_t code, const char *msg)
{
	rs_engine_count(c->e, ctr);
	rs_conn_fail(c, code, msg);
}

/* RSOCKET.md 4.1 and 6.2: validate a SETUP, in the order version, timers, MIME, lease, resume. */
static void
rs_conn_on_setup(struct rs_conn *c, const struct rs_frame *f)
{
	struct rs_engine *e = c->e;
	char mm[RS_CONN_MIME_MAX], dm[RS_CONN_MIME_MAX];

	if (f->setup.major != RS_FRAME_VERSION_MAJOR || f->setup.minor != RS_FRAME_VERSION_MINOR)
		return rs_conn_reject_setup(c, RS_CTR_SETUP_BAD_VERSION, RS_ERROR_INVALID_SETUP,
					    "unsupported version");
	if (f->setup.keepalive_ms == 0 || f->setup.lifetime_ms == 0 ||
	    f->setup.keepalive_ms > RS_FRAME_U31_MAX || f->setup.lifetime_ms > RS_FRAME_U31_MAX)
		return rs_conn_reject_setup(c, RS_CTR_SETUP_BAD_KEEPALIVE, RS_ERROR_INVALID_SETUP,
					    "keepalive and lifetime must be > 0");
	if (!rs_conn_mime_ok(&f->setup.md_mime, mm) || !rs_conn_mime_ok(&f->setup.data_mime, dm))
		return rs_conn_reject_setup(c, RS_CTR_SETUP_BAD_MIME, RS_ERROR_INVALID_SETUP,
					    "MIME type not US-ASCII");
	if (!rs_conn_mime_accepted(e->conf.accept_metadata_mime, mm) ||
	    !rs_conn_mime_accepted(e->conf.accept_data_mime, dm))
		return rs_conn_reject_setup(c, RS_CTR_SETUP_BAD_MIME, RS_ERROR_UNSUPPORTED_SETUP,
					    "MIME type not supported");
	if ((f->flags & RS_FRAME_FLAG_LEASE) && !e->conf.lease)
		return rs_conn_reject_setup(c, RS_CTR_SETUP_NO_LEASE, RS_ERROR_UNSUPPORTED_SETUP,
					    "lease not supported");
	if (f->flags & RS_FRAME_FLAG_RESUME) {
		uint8_t tok[RS_CONN_TOKEN_MAX];

		/* RSOCKET.md 4.1.3: R=1 without resume support gets REJECTED_SETUP. */
		if (!e->conf.resume)
			return rs_conn_reject_setup(c, RS_CTR_SETUP_NO_RESUME,
						    RS_ERROR_REJECTED_SETUP,
						    "resumption not supported");
		if (f->setup.token.len == 0 || f->setup.token.len > RS_CONN_TOKEN_MAX)
			return rs_conn_reject_setup(c, RS_CTR_SETUP_MALFORMED,
						    RS_ERROR_INVALID_SETUP, "resume token length");
		rs_frame_slice_copy(&f->setup.token, tok, f->setup.token.len);
		if (rs_conn_find_token(e, tok, (uint16_t)f->setup.token.len, c) != NULL)
			return rs_conn_reject_setup(c, RS_CTR_SETUP_TOKEN_IN_USE,
						    RS_ERROR_REJECTED_SETUP, "resume token in use");
		if (c->store == NULL)
			c->store = rs_engine_alloc(e, e->conf.resume_store_bytes);
		if (c->store == NULL)
			return rs_conn_reject_setup(c, RS_CTR_RX_NOMEM, RS_ERROR_REJECTED_SETUP,
						    "out of memory");
		c->store_cap = e->conf.resume_store_bytes;
		memcpy(c->token, tok, f->setup.token.len);
		c->token_len = (uint16_t)f->setup.token.len;
		c->resume = true;
	}
	c->lease = (f->flags & RS_FRAME_FLAG_LEASE) != 0;
	c->keepalive_ms = f->setup.keepalive_ms;
	c->lifetime_ms = f->setup.lifetime_ms;
	c->state = RS_CONN_ESTABLISHED;
	c->setup_done = true;
	dp_timer_cancel(e->wheel, &c->t_setup);
	rs_conn_start_liveness(c);
	if (c->lease && e->conf.lease_ttl_ms > 0)
		rs_conn_issue_lease(c);
}

static void
rs_conn_reject_resume(struct rs_conn *c, const char *msg)
{
	rs_engine_count(c->e, RS_CTR_RESUME_REJECTED);
	rs_conn_fail(c, RS_ERROR_REJECTED_RESUME, msg);
}

/* RSOCKET.md 7, procedure step 2: the server side of RESUME, on a fresh connection @p c. */
static void
rs_conn_on_resume(struct rs_conn *c, const struct rs_frame *f)
{
	struct rs_engine *e = c->e;
	uint8_t tok[RS_CONN_TOKEN_MAX];
	struct rs_conn *s;
	struct dp_stream *ts;

	if (!e->conf.resume)
		return rs_conn_reject_resume(c, "resumption not supported");
	if (f->resume.major != RS_FRAME_VERSION_MAJOR ||
	    f->resume.minor != RS_FRAME_VERSION_MINOR || f->resume.token.len == 0 ||
	    f->resume.token.len > RS_CONN_TOKEN_MAX)
		return rs_conn_reject_resume(c, "bad RESUME");
	rs_frame_slice_copy(&f->resume.token, tok, f->resume.token.len);
	s = rs_conn_find_token(e, tok, (uint16_t)f->resume.token.len, c);
	if (s == NULL)
		return rs_conn_reject_resume(c, "unknown resume token");
	if (f->resume.first_client_pos > s->recv_pos ||
	    f->resume.last_server_pos < s->store_first_pos ||
	    f->resume.last_server_pos > s->send_pos) {
		rs_conn_reject_resume(c, "positions cannot be honoured");
		/* The client will not try again (RSOCKET.md 7.4): end the session too. */
		rs_conn_fail_ex(s, RS_ERROR_REJECTED_RESUME, "resume rejected", false);
		return;
	}
	/* The old transport may still look alive to us: drop it in favour of the new one. */
	rs_conn_detach_transport(s, true);
	ts = c->ts;
	c->ts = NULL;
	ts->ctx = s;
	s->ts = ts;
	s->rd = c->rd;
	rs_frame_reader_init(&c->rd, e->conf.max_frame_len);
	c->state = RS_CONN_CLOSING;
	c->release_pending = true;
	dp_timer_cancel(e->wheel, &s->t_session);
	s->state = RS_CONN_ESTABLISHED;
	rs_conn_store_trim(s, f->resume.last_server_pos);
	rs_conn_send_resume_ok(s);
	if (rs_conn_store_replay(s, f->resume.last_server_pos) != 0) {
		rs_conn_fail(s, RS_ERROR_CONNECTION_ERROR, "resume replay failed");
		return;
	}
	rs_engine_count(e, RS_CTR_RESUME_OK);
	rs_conn_start_liveness(s);
	/* Leases do not survive resumption (RSOCKET.md 6.3). */
	if (s->lease && e->conf.lease_ttl_ms > 0)
		rs_conn_issue_lease(s);
}

/* Client side, RSOCKET.md 7 step 3. */
static void
rs_conn_on_resume_ok(struct rs_conn *c, const struct rs_frame *f)
{
	uint64_t p = f->position;

	if (p < c->store_first_pos || p > c->send_pos) {
		rs_engine_count(c->e, RS_CTR_RESUME_REJECTED);
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "resume position mismatch");
		return;
	}
	c->state = RS_CONN_ESTABLISHED;
	rs_conn_store_trim(c, p);
	if (rs_conn_store_replay(c, p) != 0) {
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "resume replay failed");
		return;
	}
	rs_engine_count(c->e, RS_CTR_RESUME_OK);
	rs_conn_start_liveness(c);
	/* Leases restart after resumption, in both directions (RSOCKET.md 6.3). */
	if (c->lease && c->e->conf.lease_ttl_ms > 0)
		rs_conn_issue_lease(c);
	if (c->cbs != NULL && c->cbs->on_ready != NULL)
		c->cbs->on_ready(rs_engine_ctx(c->e), (struct sk_conn){c->idx, c->gen}, c->cb_ctx);
}

static void
rs_conn_on_conn_error(struct rs_conn *c, const struct rs_frame *f)
{
	uint32_t code = f->error_code;
	char msg[128];
	uint32_t n = rs_frame_slice_copy(&f->data, msg, sizeof(msg) - 1);

	msg[n] = '\0';
	rs_engine_count(c->e, RS_CTR_ERROR_RX);
	if (code >= RS_ERROR_INVALID_SETUP && code <= RS_ERROR_REJECTED_RESUME) {
		/* RSOCKET.md 3: a server ignores these; a client only before establishment. */
		if (!c->is_client)
			return;
		if (code == RS_ERROR_REJECTED_RESUME) {
			/* Only the answer to our RESUME; ignored once established. */
			if (c->state != RS_CONN_AWAIT_RESUME_OK)
				return;
			rs_engine_count(c->e, RS_CTR_RESUME_REJECTED);
		} else if (c->peer_seen) {
			return;
		}
		/* No resumption after a rejection. */
		c->resume = false;
		rs_conn_fail_ex(c, code, msg, false);
		return;
	}
	if (code == RS_ERROR_CONNECTION_CLOSE) {
		c->graceful = true;
		rs_conn_maybe_graceful_done(c);
		return;
	}
	c->resume = false;
	rs_conn_fail_ex(c, code, msg, false);
}

static void
rs_conn_on_keepalive(struct rs_conn *c, const struct rs_frame *f)
{
	rs_engine_count(c->e, RS_CTR_KEEPALIVE_RX);
	c->last_rx_us = c->e->now_us;
	if (c->resume)
		rs_conn_store_trim(c, f->position);
	if (f->flags & RS_FRAME_FLAG_RESPOND) {
		struct sk_payload p;

		/* Echo the data unchanged (RSOCKET.md 6.1), gathered if it straddles segments. */
		if (rs_conn_view(c, f, &p) == 0)
			rs_conn_send_keepalive(c, false, p.data, p.data_len);
	}
}

static void
rs_conn_on_lease(struct rs_conn *c, const struct rs_frame *f)
{
	struct rs_engine *e = c->e;

	rs_engine_count(e, RS_CTR_LEASE_RECEIVED);
	c->peer_seen = true;
	if (!c->lease)
		return;
	/* A new LEASE replaces the previous one (RSOCKET.md 6.3). */
	c->lease_out_known = true;
	c->lease_out_left = f->lease.n_requests;
	c->lease_out_expiry_us = e->now_us + (uint64_t)f->lease.ttl_ms * 1000;
	if (c->cbs != NULL && c->cbs->on_lease != NULL)
		c->cbs->on_lease(rs_engine_ctx(e), (struct sk_conn){c->idx, c->gen}, c->cb_ctx,
				 f->lease.ttl_ms, f->lease.n_requests);
}

static void
rs_conn_on_metadata_push(struct rs_conn *c, const struct rs_frame *f)
{
	struct rs_engine *e = c->e;
	struct sk_payload p;

	struct sk_conn h = {c->idx, c->gen};
	const char *tag;
	size_t tag_len;
	int r;

	rs_engine_count(e, RS_CTR_METADATA_PUSH_RX);
	if (e->app == NULL || rs_conn_view(c, f, &p) != 0)
		return;
	/* A push that names a route (routing entry in composite metadata) goes to that route's
	 * handler; any other push to the application's. Never the fallback route. */
	if (e->router != NULL && e->route_app != NULL &&
	    sk_router_tag_from_metadata(p.metadata, p.metadata_len, &tag, &tag_len) == 0) {
		r = sk_router_match(e->router, e->scratch, tag, tag_len);
		if (r >= 0 && e->route_app[r] >= 0 &&
		    e->app->routes[e->route_app[r]].metadata_push != NULL) {
			e->app->routes[e->route_app[r]].metadata_push(rs_engine_ctx(e), h,
								      p.metadata, p.metadata_len);
			return;
		}
	}
	if (e->app->metadata_push != NULL)
		e->app->metadata_push(rs_engine_ctx(e), h, p.metadata, p.metadata_len);
}

/* A frame the codec rejected (RSOCKET.md 4.8 and 10.11). */
static void
rs_conn_on_bad_frame(struct rs_conn *c, const struct rs_frame *f)
{
	bool first = c->state == RS_CONN_AWAIT_SETUP;

	switch (f->err) {
	case RS_FRAME_ERR_UNKNOWN_IGNORE:
		if (first)
			goto bad_first;
		rs_engine_count(c->e, RS_CTR_UNKNOWN_TYPE_IGNORED);
		return;
	case RS_FRAME_ERR_UNKNOWN_TYPE:
		if (first)
			goto bad_first;
		rs_engine_count(c->e, RS_CTR_UNKNOWN_TYPE_FATAL);
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "unknown frame type");
		return;
	case RS_FRAME_ERR_METADATA_LEN:
		if (first)
			goto bad_first;
		if (f->flags & RS_FRAME_FLAG_I) {
			rs_engine_count(c->e, RS_CTR_UNKNOWN_TYPE_IGNORED);
			return;
		}
		rs_engine_count(c->e, RS_CTR_MD_LEN_BAD);
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "metadata length past end of frame");
		return;
	case RS_FRAME_ERR_TOO_SHORT:
		if (first)
			goto bad_first;
		rs_engine_count(c->e, RS_CTR_FRAME_TOO_SHORT);
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "frame too short");
		return;
	case RS_FRAME_ERR_STREAM_ID:
		if (first || f->type == RS_FRAME_SETUP || f->type == RS_FRAME_RESUME)
			goto bad_first;
		rs_engine_count(c->e, RS_CTR_STREAM_UNKNOWN);
		return;
	case RS_FRAME_ERR_FLAGS:
		if (first)
			goto bad_first;
		/* rsocket-js 0.0.27 sends METADATA_PUSH with M=0; the codec flags it but fills
		 * the views. Be lenient (RSOCKET.md 4.8): the rest of the frame is metadata. */
		if (f->type == RS_FRAME_METADATA_PUSH && f->stream_id == 0) {
			struct rs_frame g = *f;

			g.flags |= RS_FRAME_FLAG_M;
			g.err = RS_FRAME_OK;
			rs_conn_on_frame(c, &g);
			return;
		}
		rs_engine_count(c->e, RS_CTR_STREAM_BAD_PAYLOAD);
		return;
	case RS_FRAME_ERR_VALUE:
		if (first || f->type == RS_FRAME_SETUP) {
			if (f->type == RS_FRAME_SETUP) {
				rs_conn_reject_setup(c, RS_CTR_SETUP_BAD_KEEPALIVE,
						     RS_ERROR_INVALID_SETUP,
						     "keepalive and lifetime must be > 0");
				return;
			}
			goto bad_first;
		}
		rs_engine_count(c->e, RS_CTR_STREAM_BAD_N);
		/* Initial request n of 0 on a new request: ERROR[INVALID] on that stream. */
		if ((f->type == RS_FRAME_REQUEST_STREAM || f->type == RS_FRAME_REQUEST_CHANNEL) &&
		    rs_stream_lookup(c, f->stream_id) == NULL) {
			static const char msg[] = "initial request n must be >= 1";

			rs_conn_send_error(c, f->stream_id, RS_ERROR_INVALID, msg, sizeof(msg) - 1);
		}
		return;
	default:
		rs_engine_count(c->e, RS_CTR_FRAME_TOO_LONG);
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "bad frame");
		return;
	}
bad_first:
	rs_engine_count(c->e, RS_CTR_SETUP_BAD_FIRST);
	rs_conn_fail(c, RS_ERROR_INVALID_SETUP, "first frame must be a valid SETUP or RESUME");
}

void
rs_conn_on_frame(struct rs_conn *c, struct rs_frame *f)
{
	if (c->state == RS_CONN_AWAIT_SETUP) {
		if (f->type == RS_FRAME_SETUP)
			rs_conn_on_setup(c, f);
		else if (f->type == RS_FRAME_RESUME)
			rs_conn_on_resume(c, f);
		else
			rs_conn_on_bad_frame(c,
					     &(struct rs_frame){.type = f->type,
								.err = RS_FRAME_ERR_UNKNOWN_TYPE});
		return;
	}
	if (c->state == RS_CONN_AWAIT_RESUME_OK) {
		if (f->type == RS_FRAME_RESUME_OK)
			rs_conn_on_resume_ok(c, f);
		else if (f->type == RS_FRAME_ERROR && f->stream_id == 0)
			rs_conn_on_conn_error(c, f);
		else
			rs_engine_count(c->e, RS_CTR_RESUME_WAIT_IGNORED);
		return;
	}
	if (c->state != RS_CONN_ESTABLISHED)
		return;
	switch (f->type) {
	case RS_FRAME_KEEPALIVE:
		rs_conn_on_keepalive(c, f);
		return;
	case RS_FRAME_LEASE:
		rs_conn_on_lease(c, f);
		return;
	case RS_FRAME_METADATA_PUSH:
		rs_conn_on_metadata_push(c, f);
		return;
	case RS_FRAME_ERROR:
		if (f->stream_id == 0) {
			rs_conn_on_conn_error(c, f);
			return;
		}
		break;
	case RS_FRAME_SETUP:
		/* RSOCKET.md 4.1.4: ignored after establishment, and by a client. */
		rs_engine_count(c->e, RS_CTR_SETUP_IGNORED);
		return;
	case RS_FRAME_RESUME:
	case RS_FRAME_RESUME_OK:
		rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "unexpected RESUME");
		return;
	case RS_FRAME_EXT:
		rs_engine_count(c->e, RS_CTR_UNKNOWN_TYPE_IGNORED);
		return;
	default:
		break;
	}
	c->peer_seen = true;
	rs_stream_on_frame(c, f);
}

/* The input loop: every complete frame in the reader, in order. */
static void
rs_conn_process(struct rs_conn *c, struct dp_stream *ts)
{
	struct rs_engine *e = c->e;
	struct rte_mbuf *done;

	c->in_rx = true;
	while (c->ts == ts &&
	       (c->state == RS_CONN_AWAIT_SETUP || c->state == RS_CONN_AWAIT_RESUME_OK ||
		c->state == RS_CONN_ESTABLISHED)) {
		struct rs_frame f;
		int rc = rs_frame_reader_next(&c->rd, &f);

		if (rc == -EAGAIN)
			break;
		if (rc == -EMSGSIZE) {
			rs_engine_count(e, RS_CTR_FRAME_TOO_LONG);
			if (c->state == RS_CONN_AWAIT_SETUP)
				rs_conn_fail(c, RS_ERROR_INVALID_SETUP, "frame too long");
			else
				rs_conn_fail(c, RS_ERROR_CONNECTION_ERROR, "frame too long");
			break;
		}
		e->ctr[RS_CTR_FRAMES_RX]++;
		e->ctr[RS_CTR_BYTES_RX] += (uint64_t)f.frame_len + RS_FRAME_PREFIX_LEN;
		/* Implied position: every frame on a stream != 0 (RSOCKET.md 7, 10.8). */
		if (f.stream_id != 0 && f.frame_len >= RS_FRAME_HDR_LEN)
			c->recv_pos += f.frame_len;
		e->rx_conn = c;
		if (rc < 0)
			rs_conn_on_bad_frame(c, &f);
		else
			rs_conn_on_frame(c, &f);
		e->rx_conn = NULL;
		if (c->gbig != NULL) {
			/* The one-frame gather buffer (rs_conn_view): its views ended with the
			 * frame's callbacks. */
			rs_engine_mfree(e, c->gbig);
			c->gbig = NULL;
		}
	}
	done = rs_frame_reader_release(&c->rd);
	rte_pktmbuf_free(done);
	c->in_rx = false;
	if (c->release_pending) {
		c->release_pending = false;
		if (c->ts == NULL || c->state == RS_CONN_CLOSING) {
			c->state = RS_CONN_CLOSING;
			rs_conn_mark_dirty(c);
			rs_conn_flush(c);
		}
	}
}

/* ---- Transport upcalls ------------------------------------------------------------------ */

static void *
rs_engine_cb_accept(void *listen_ctx, struct dp_stream *s)
{
	return rs_engine_server_attach(listen_ctx, s);
}

void *
rs_engine_server_attach(struct rs_engine *e, struct dp_stream *s)
{
	struct rs_conn *c = rs_conn_alloc(e, false);

	if (c == NULL)
		return NULL;
	c->ts = s;
	s->ctx = c;
	c->state = RS_CONN_AWAIT_SETUP;
	dp_timer_arm(e->wheel, &c->t_setup, e->now_us + (uint64_t)e->conf.setup_timeout_ms * 1000);
	return c;
}

static void
rs_conn_start_client(struct rs_conn *c)
{
	struct rs_engine *e = c->e;

	c->keepalive_ms = e->conf.keepalive_ms;
	c->lifetime_ms = e->conf.max_lifetime_ms;
	c->lease = e->conf.lease;
	if (e->conf.resume) {
		if (c->store == NULL)
			c->store = rs_engine_alloc(e, e->conf.resume_store_bytes);
		if (c->store == NULL) {
			rs_engine_count(e, RS_CTR_RX_NOMEM);
		} else {
			c->store_cap = e->conf.resume_store_bytes;
			c->resume = true;
			c->token_len = 16;
			for (unsigned i = 0; i < 16; i += 8) {
				uint64_t r = rte_rand();

				memcpy(c->token + i, &r, 8);
			}
		}
	}
	rs_conn_send_setup(c);
	c->state = RS_CONN_ESTABLISHED;
	c->setup_done = true;
	rs_conn_start_liveness(c);
	/* The client-side responder also issues leases (RSOCKET.md 6.3). */
	if (c->lease && e->conf.lease_ttl_ms > 0)
		rs_conn_issue_lease(c);
	if (c->cbs != NULL && c->cbs->on_ready != NULL)
		c->cbs->on_ready(rs_engine_ctx(e), (struct sk_conn){c->idx, c->gen}, c->cb_ctx);
}

int
rs_engine_client_attach(struct rs_engine *e, struct dp_stream *s, const void *cbs, void *ctx,
			uint32_t *conn_idx)
{
	struct rs_conn *c = rs_conn_alloc(e, true);

	if (c == NULL)
		return -ENOMEM;
	c->ts = s;
	s->ctx = c;
	c->cbs = cbs;
	c->cb_ctx = ctx;
	if (conn_idx != NULL)
		*conn_idx = c->idx;
	rs_conn_start_client(c);
	return 0;
}

int
rs_engine_client_resume(struct rs_engine *e, uint32_t conn_idx, struct dp_stream *s)
{
	struct rs_conn *c;

	if (conn_idx == 0 || conn_idx > e->conf.max_conns)
		return -ESTALE;
	c = &e->conns[conn_idx];
	if (c->state != RS_CONN_DETACHED || !c->is_client)
		return -ESTALE;
	if (!c->resume)
		return -EINVAL;
	c->ts = s;
	s->ctx = c;
	rs_frame_reader_init(&c->rd, e->conf.max_frame_len);
	dp_timer_cancel(e->wheel, &c->t_session);
	c->state = RS_CONN_AWAIT_RESUME_OK;
	rs_conn_send_resume(c);
	return 0;
}

/* Redial a detached client session; RESUME follows in connected(). On failure retry after
 * min(keepalive, 1 s) until the session expires. */
static void
rs_conn_reconnect(struct rs_conn *c)
{
	struct rs_engine *e = c->e;
	struct dp_stream *s = NULL;
	uint64_t retry_ms = c->keepalive_ms < 1000 ? c->keepalive_ms : 1000;

	if (e->stack == NULL || c->remote.port == 0)
		return;
	if (dp_stack_connect(e->stack, &c->remote, &rs_engine_stream_cbs, c, &s) == 0)
		return;
	dp_timer_arm(e->wheel, &c->t_keepalive, e->now_us + retry_ms * 1000);
}

static void
rs_engine_cb_connected(void *ctx, struct dp_stream *s, int err)
{
	struct rs_conn *c = ctx;

	if (c == NULL || c->state == RS_CONN_FREE)
		return;
	if (err != 0 && c->state == RS_CONN_DETACHED) {
		uint64_t retry_ms = c->keepalive_ms < 1000 ? c->keepalive_ms : 1000;

		dp_timer_arm(c->e->wheel, &c->t_keepalive, c->e->now_us + retry_ms * 1000);
		return;
	}
	if (err != 0) {
		c->ts = NULL;
		rs_conn_notify_closed(c, RS_ERROR_CONNECTION_ERROR, "connect failed");
		rs_conn_release(c);
		return;
	}
	c->ts = s;
	s->ctx = c;
	if (c->state == RS_CONN_DETACHED) {
		dp_timer_cancel(c->e->wheel, &c->t_session);
		c->state = RS_CONN_AWAIT_RESUME_OK;
		rs_frame_reader_init(&c->rd, c->e->conf.max_frame_len);
		rs_conn_send_resume(c);
		return;
	}
	rs_conn_start_client(c);
}

static void
rs_engine_cb_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct rs_conn *c = ctx;

	if (c == NULL || c->ts != s || c->state == RS_CONN_FREE) {
		rte_pktmbuf_free(chain);
		return;
	}
	rs_frame_reader_push(&c->rd, chain);
	rs_conn_process(c, s);
}

static void
rs_engine_cb_writable(void *ctx, struct dp_stream *s)
{
	struct rs_conn *c = ctx;

	if (c == NULL || c->ts != s)
		return;
	c->tx_blocked = false;
	rs_conn_flush(c);
}

/* The transport is gone (reset, timeout, FIN): detach for resumption or end the connection. */
static void
rs_conn_transport_lost(struct rs_conn *c, bool close_it)
{
	struct rs_engine *e = c->e;

	if (c->state == RS_CONN_CLOSING) {
		rs_conn_detach_transport(c, close_it);
		rs_conn_release(c);
		return;
	}
	if (c->resume && (c->state == RS_CONN_ESTABLISHED || c->state == RS_CONN_AWAIT_RESUME_OK)) {
		rs_conn_detach_transport(c, close_it);
		c->state = RS_CONN_DETACHED;
		dp_timer_cancel(e->wheel, &c->t_keepalive);
		dp_timer_cancel(e->wheel, &c->t_alive);
		dp_timer_cancel(e->wheel, &c->t_lease);
		/* A fresh lease comes after resumption. */
		c->lease_out_known = false;
		dp_timer_arm(e->wheel, &c->t_session,
			     e->now_us + (uint64_t)e->conf.resume_session_ms * 1000);
		if (c->cbs != NULL && c->cbs->on_detached != NULL)
			c->cbs->on_detached(rs_engine_ctx(e), (struct sk_conn){c->idx, c->gen},
					    c->cb_ctx);
		/* A client that dialled through the stack redials and resumes by itself. */
		if (c->is_client && e->stack != NULL && c->remote.port != 0 &&
		    c->state == RS_CONN_DETACHED)
			rs_conn_reconnect(c);
		return;
	}
	rs_conn_detach_transport(c, close_it);
	rs_stream_fail_all(c, RS_ERROR_CONNECTION_ERROR, "connection lost");
	rs_conn_notify_closed(c, RS_ERROR_CONNECTION_ERROR, "connection lost");
	rs_conn_release(c);
}

static void
rs_engine_cb_peer_closed(void *ctx, struct dp_stream *s)
{
	struct rs_conn *c = ctx;

	if (c == NULL || c->ts != s)
		return;
	rs_conn_transport_lost(c, true);
}

static void
rs_engine_cb_closed(void *ctx, struct dp_stream *s, int err)
{
	struct rs_conn *c = ctx;

	(void)err;
	if (c == NULL || c->ts != s)
		return;
	/* @p s is invalid after this upcall: never close it again. */
	c->ts->ctx = NULL;
	c->ts = NULL;
	rs_conn_tx_drop(c);
	rte_pktmbuf_free(rs_frame_reader_reset(&c->rd));
	rs_conn_transport_lost(c, false);
}

const struct dp_stream_cbs rs_engine_stream_cbs = {
	.accept = rs_engine_cb_accept,
	.connected = rs_engine_cb_connected,
	.data = rs_engine_cb_data,
	.writable = rs_engine_cb_writable,
	.peer_closed = rs_engine_cb_peer_closed,
	.closed = rs_engine_cb_closed,
};
