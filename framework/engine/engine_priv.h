/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private structures of the RSocket engine: the per-core engine, connections and stream slots, and
 * the functions the engine's files share (conn.c: connection life, input, output, timers,
 * resumption; stream.c: streams, interaction models, credit, fragmentation and reassembly;
 * skiff_api.c: the application API; engine_ctl.c: creation and teardown).
 */
#ifndef RS_ENGINE_PRIV_H
#define RS_ENGINE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <dp/stream.h>
#include <dp/timer.h>
#include <rs/engine.h>
#include <rs/frame.h>
#include <skiff.h>

struct rte_mbuf;

#define RS_CONN_TOKEN_MAX 64u
#define RS_CONN_MIME_MAX 256u
/** Credit at or above this is unbounded (RSOCKET.md 10.1). */
#define RS_CREDIT_UNBOUNDED 0x7FFFFFFFull

enum rs_conn_state {
	RS_CONN_FREE = 0,
	RS_CONN_AWAIT_SETUP,	 /**< server: transport up, waiting for SETUP or RESUME */
	RS_CONN_AWAIT_RESUME_OK, /**< client: RESUME sent */
	RS_CONN_ESTABLISHED,
	RS_CONN_DETACHED,   /**< transport lost, session kept for resumption */
	RS_CONN_CLOSING,    /**< ERROR queued: close the transport once flushed */
	RS_CONN_CONNECTING, /**< client: dp_stack_connect() issued, waiting for connected() */
};

enum rs_stream_model {
	RS_MODEL_RR = 1,
	RS_MODEL_FNF,
	RS_MODEL_STREAM,
	RS_MODEL_CHANNEL,
};

struct rs_conn;

struct rs_stream {
	struct rs_conn *c;
	uint32_t gen;
	uint32_t id;	    /**< RSocket stream id; 0 when the slot is free */
	uint32_t free_next; /**< next free slot of the connection (local index + 1), 0 = none */
	uint8_t model;
	bool requester;
	bool out_open;	     /**< we may still send items / completion */
	bool in_open;	     /**< the peer may still send items */
	bool delivered;	     /**< responder: the request reached the handler */
	uint64_t out_credit; /**< items we may send (saturating) */
	uint64_t in_credit;  /**< items we granted the peer and not yet received */
	const struct sk_stream_cbs *cbs;
	void *ctx;
	int route;
	/* Reassembly of a fragmented message (RSOCKET.md 5). */
	bool reasm;
	uint8_t reasm_type;   /**< frame type of the first fragment */
	uint16_t reasm_flags; /**< flags of the first fragment (C, N) */
	uint32_t reasm_n;     /**< initial request n of a fragmented REQUEST_STREAM/CHANNEL */
	bool reasm_has_md;
	uint8_t *rmd, *rdata;
	uint32_t rmd_len, rmd_cap, rdata_len, rdata_cap;
};

struct rs_conn {
	struct rs_engine *e;
	uint32_t idx; /**< engine-wide connection index (>= 1) */
	uint32_t gen;
	enum rs_conn_state state;
	bool is_client;
	bool in_rx; /**< inside the input loop: defer the slot release */
	bool release_pending;
	bool setup_done; /**< client: SETUP sent; server: SETUP accepted */
	bool graceful;	 /**< CONNECTION_CLOSE received or sent: close when streams end */
	bool peer_seen;	 /**< client: a response, LEASE or request came (4.1.2) */
	bool dirty;	 /**< on the engine's flush list */
	struct dp_stream *ts;
	struct rs_frame_reader rd;
	/* TX chain (one dp_stream_send per loop). */
	struct rte_mbuf *tx_head, *tx_tail;
	uint32_t tx_bytes;
	bool tx_blocked;
	/* Gather buffer for payloads that straddle segments: e->gbuf_size bytes, allocated with the
	 * slot and kept; gbig is a one-frame buffer for a larger frame, freed after that frame. */
	uint8_t *gbuf;
	uint8_t *gbig;
	/* SETUP parameters. */
	uint32_t keepalive_ms, lifetime_ms;
	bool lease;  /**< lease negotiated (L=1) */
	bool resume; /**< resumption negotiated (R=1) */
	uint8_t token[RS_CONN_TOKEN_MAX];
	uint16_t token_len;
	/* Timers on the core's wheel. */
	struct dp_timer t_keepalive, t_alive, t_setup, t_lease, t_session;
	uint64_t last_rx_us; /**< last KEEPALIVE (or any frame) from the peer */
	/* Lease: honoured on our requests, issued for the peer's. */
	bool lease_out_known;
	uint32_t lease_out_left;
	uint64_t lease_out_expiry_us;
	uint32_t lease_in_left;
	uint64_t lease_in_expiry_us;
	/* Streams. */
	uint32_t next_id;
	uint32_t nb_streams;
	uint32_t free_head; /**< first free slot (local index + 1), 0 = none */
	struct rs_stream
		*sblock; /**< max_streams slots; allocated when the connection slot is
			  *   first used, kept for its next connections (a per-core pool) */
	uint32_t *tbl;	 /**< stream id -> slot (local index + 1), 0 empty */
	uint32_t tbl_mask;
	uint64_t reasm_bytes;
	/* Resumption (RSOCKET.md 7). */
	uint64_t send_pos, recv_pos;
	uint64_t store_first_pos;
	uint8_t *store; /**< [u24 len][frame] ... of unacknowledged tracked frames; allocated
			 *   when resumption is first agreed on the slot, kept with the slot */
	uint32_t store_cap, store_head, store_len;
	/* Requester-side connection events. */
	const struct sk_conn_cbs *cbs;
	void *cb_ctx;
	struct dp_addr4 remote;
};

struct rs_engine {
	struct rs_engine_conf conf;
	struct dp_timer_wheel *wheel;
	struct rte_mempool *pool;
	struct dp_stack *stack;
	const struct sk_app *app;
	const struct sk_router *router;
	struct sk_router_scratch *scratch;
	int *route_app; /**< router route index -> app route index, -1 none */
	void *app_state;
	uint64_t now_us;
	struct rs_conn *rx_conn; /**< connection whose input is being dispatched, else NULL */
	uint32_t tbl_size;
	struct rs_conn *conns; /**< [1..max_conns] */
	uint32_t nb_conns;
	uint32_t *dirty; /**< connections with queued TX or a pending close */
	uint32_t nb_dirty;
	uint32_t nb_streams;
	uint32_t gbuf_size; /**< gather buffer per slot: min(gather_bytes, max_frame_len) */
	uint64_t ctr[RS_CTR_MAX];
};

/* ---- Allocation: everything through conf.alloc (libc when unset, engine.h) ----------------- */

static inline void *
rs_engine_alloc(struct rs_engine *e, size_t n)
{
	return e->conf.alloc.alloc(e->conf.alloc.ctx, n);
}

static inline void *
rs_engine_zalloc(struct rs_engine *e, size_t n)
{
	void *p;

	if (e->conf.alloc.zalloc != NULL)
		return e->conf.alloc.zalloc(e->conf.alloc.ctx, n);
	p = rs_engine_alloc(e, n);
	if (p != NULL)
		memset(p, 0, n);
	return p;
}

static inline void
rs_engine_mfree(struct rs_engine *e, void *p)
{
	if (p != NULL)
		e->conf.alloc.free(e->conf.alloc.ctx, p);
}

/* Resize @p p from @p old to @p n bytes (contents kept); NULL on failure, @p p untouched. An
 * allocator without realloc gets alloc + copy + free. */
static inline void *
rs_engine_realloc(struct rs_engine *e, void *p, size_t old, size_t n)
{
	void *q;

	if (e->conf.alloc.realloc != NULL)
		return e->conf.alloc.realloc(e->conf.alloc.ctx, p, n);
	q = rs_engine_alloc(e, n);
	if (q != NULL && p != NULL) {
		memcpy(q, p, old < n ? old : n);
		rs_engine_mfree(e, p);
	}
	return q;
}

/* A stream handle's idx is (connection index - 1) * max_streams + local slot + 1. */
static inline uint32_t
rs_stream_index(const struct rs_stream *s)
{
	const struct rs_conn *c = s->c;

	return (c->idx - 1) * c->e->conf.max_streams + (uint32_t)(s - c->sblock) + 1;
}

static inline void
rs_engine_count(struct rs_engine *e, enum rs_engine_ctr i)
{
	e->ctr[i]++;
}

/* conn.c */
int rs_conn_emit(struct rs_conn *c, const uint8_t *head, uint32_t head_len, const void *md,
		 uint32_t md_len, const void *data, uint32_t data_len);
int rs_conn_send_error(struct rs_conn *c, uint32_t sid, uint32_t code, const char *msg,
		       size_t msg_len);
void rs_conn_fail(struct rs_conn *c, uint32_t code, const char *msg);
void rs_conn_close_graceful(struct rs_conn *c);
void rs_conn_flush(struct rs_conn *c);
struct rs_conn *rs_conn_alloc(struct rs_engine *e, bool is_client);
struct rs_conn *rs_conn_get(struct rs_engine *e, struct sk_conn h);
void rs_conn_on_frame(struct rs_conn *c, struct rs_frame *f);
void rs_conn_maybe_graceful_done(struct rs_conn *c);
bool rs_conn_can_request(struct rs_conn *c);
int rs_conn_view(struct rs_conn *c, const struct rs_frame *f, struct sk_payload *p);
void rs_conn_timers_init(struct rs_conn *c);
void rs_conn_release(struct rs_conn *c);
void rs_conn_mark_dirty(struct rs_conn *c);

/* stream.c */
struct rs_stream *rs_stream_lookup(struct rs_conn *c, uint32_t id);
struct rs_stream *rs_stream_alloc(struct rs_conn *c, uint32_t id);
void rs_stream_free(struct rs_stream *s);
struct rs_stream *rs_stream_get(struct rs_engine *e, struct sk_stream h);
struct sk_stream rs_stream_handle(const struct rs_stream *s);
void rs_stream_on_frame(struct rs_conn *c, struct rs_frame *f);
void rs_stream_fail_all(struct rs_conn *c, uint32_t code, const char *msg);
int rs_stream_send_payloadish(struct rs_conn *c, uint32_t sid, unsigned type, unsigned flags,
			      uint32_t n, const struct sk_payload *p);
void rs_stream_reasm_drop(struct rs_stream *s);
int rs_stream_send_cancel(struct rs_conn *c, uint32_t sid);
int rs_stream_send_request_n(struct rs_conn *c, uint32_t sid, uint64_t n);

#endif /* RS_ENGINE_PRIV_H */
