/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Skiff application API. An application registers handlers per route (the four RSocket
 * interaction models and metadata push) and per-core init/teardown for its own state; it answers
 * through the calls below, and it can also act as a requester on any connection of its core.
 *
 * Everything runs on one worker core: a handler is called on the core that owns the connection and
 * may only use handles of that core (struct sk_ctx is that core's engine). Nothing is shared
 * between cores; per-core state comes from sk_app.core_init.
 *
 * Payloads are zero-copy views into receive buffers, valid only during the callback. Copy them
 * (sk_payload_copy) to keep them. Streams and connections are handles checked for staleness: a
 * handler may answer later (after a timer or a message from another core); a call on a stream that
 * has since ended (cancelled, errored, connection gone) returns -ESTALE and is counted, never a
 * use-after-free.
 */
#ifndef SKIFF_H
#define SKIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;

/** One core's engine, as seen by the application. */
struct sk_ctx;

/** A stream handle. {0,0} is never valid. */
struct sk_stream {
	uint32_t idx;
	uint32_t gen;
};

/** A connection handle. {0,0} is never valid. */
struct sk_conn {
	uint32_t idx;
	uint32_t gen;
};

/** A payload view: metadata (present or not, may be empty when present) and data. */
struct sk_payload {
	const uint8_t *metadata;
	uint32_t metadata_len;
	bool has_metadata;
	const uint8_t *data;
	uint32_t data_len;
};

/** RSocket error codes (RSOCKET.md 3) an application uses. */
#define SK_ERR_APPLICATION 0x00000201u
#define SK_ERR_REJECTED 0x00000202u
#define SK_ERR_CANCELED 0x00000203u
#define SK_ERR_INVALID 0x00000204u

/** Events on a live stream, for both roles. Any member may be NULL. */
struct sk_stream_cbs {
	/** An item arrived (requester: the response or a stream item; channel: either side). */
	void (*on_next)(struct sk_ctx *cx, struct sk_stream s, void *ctx,
			const struct sk_payload *p);
	/** The peer completed its half. The handle stays valid until both halves are done. */
	void (*on_complete)(struct sk_ctx *cx, struct sk_stream s, void *ctx);
	/** The stream failed: ERROR from the peer, or a local fault (connection lost, reassembly
	 * over the cap, credit overrun). The handle is stale after this. */
	void (*on_error)(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint32_t code,
			 const char *msg, size_t msg_len);
	/** The peer granted @p n more items (saturating; >= 0x7FFFFFFF total means unbounded). */
	void (*on_request_n)(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n);
	/** The peer cancelled. The handle is stale after this. */
	void (*on_cancel)(struct sk_ctx *cx, struct sk_stream s, void *ctx);
};

/**
 * The handlers of one route. A request of a model without a handler is refused with
 * ERROR[INVALID]. On the responder side, @p cbs (with the per-core state as ctx) receives the later
 * events of streams this route opened.
 */
struct sk_route_handlers {
	void (*request_response)(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p);
	void (*fire_and_forget)(struct sk_ctx *cx, const struct sk_payload *p);
	/** @p n is the initial credit. Send at most sk_stream_credit() items. */
	void (*request_stream)(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p,
			       uint64_t n);
	/** @p p is the requester's first item; @p in_complete when it is also its last. The
	 * handler grants credit for further items with sk_request_n(n): n items after this first
	 * one (the REQUEST_N value; rsocket-java's request(n + 1)). RSOCKET.md 4.6 requires the
	 * responder to answer with a REQUEST_N, so when the handler returns without granting any
	 * credit while the requester's half is still open (and the stream still lives), the engine
	 * sends REQUEST_N([rsocket] channel_initial_n, default 256) itself (counter
	 * channel_auto_n); later sk_request_n() calls add to it. A handler that grants credit
	 * itself gets exactly what it granted, nothing more. */
	void (*request_channel)(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p,
				uint64_t n, bool in_complete);
	/** METADATA_PUSH whose (composite) metadata routes to this route. Without it, or when the
	 * push carries no route, sk_app.metadata_push gets it. */
	void (*metadata_push)(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len);
	struct sk_stream_cbs cbs;
};

/** An application: routes by name (names from the [routes] config section), metadata push, and
 * per-core state. */
struct sk_app {
	const char *name;
	/** Called once on each worker before traffic; returns the core's state (may be NULL). */
	void *(*core_init)(struct sk_ctx *cx, unsigned core_id);
	/** Called once on each worker at shutdown with the state from core_init. */
	void (*core_teardown)(struct sk_ctx *cx, void *state);
	const char *const *route_names;		/**< nb_routes names */
	const struct sk_route_handlers *routes; /**< nb_routes handler sets, same order */
	uint32_t nb_routes;
	/** METADATA_PUSH from a peer on connection @p c that no route's metadata_push took.
	 * May be NULL. */
	void (*metadata_push)(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len);
};

/** Connection events for the requester side (sk_connect()). Any member may be NULL. */
struct sk_conn_cbs {
	/** The transport is up and SETUP was sent: requests may go (after a LEASE if lease). */
	void (*on_ready)(struct sk_ctx *cx, struct sk_conn c, void *ctx);
	/** The connection ended: @p code is 0 (graceful), an RSocket error code from the peer
	 * (e.g. REJECTED_SETUP) or a local one (0x101 on keepalive timeout). */
	void (*on_closed)(struct sk_ctx *cx, struct sk_conn c, void *ctx, uint32_t code,
			  const char *msg, size_t msg_len);
	/** The transport dropped and the session is kept for resumption (resume enabled). */
	void (*on_detached)(struct sk_ctx *cx, struct sk_conn c, void *ctx);
	/** A LEASE arrived: @p n requests allowed within @p ttl_ms. */
	void (*on_lease)(struct sk_ctx *cx, struct sk_conn c, void *ctx, uint32_t ttl_ms,
			 uint32_t n);
};

/** The application's per-core state (from sk_app.core_init). Any core, its own context. */
void *sk_state(struct sk_ctx *cx);

/** Current time of the core's loop, microseconds. */
uint64_t sk_now_us(const struct sk_ctx *cx);

/* ---- responder and channel calls ---- */

/**
 * Answer a request-response (PAYLOAD N|C). The stream ends.
 * @return 0; -ESTALE: the stream ended (e.g. cancelled); -EINVAL: not a request-response
 *   responder; -ENOBUFS: out of mbufs or over the connection's pending-bytes limit.
 */
int sk_respond(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p);

/**
 * Send one item on a stream or channel (PAYLOAD N). Costs one credit.
 * @return 0; -EAGAIN: no credit (wait for on_request_n); -ESTALE; -EPIPE: this half is completed;
 *   -EINVAL: wrong kind of stream; -ENOBUFS.
 */
int sk_next(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p);

/** Complete this side's half (PAYLOAD C). @return 0, -ESTALE, -EPIPE, -EINVAL, -ENOBUFS. */
int sk_complete(struct sk_ctx *cx, struct sk_stream s);

/** Fail the stream with ERROR[@p code] (a stream-level code) and end it.
 * @return 0, -ESTALE, -EINVAL (code not a stream code), -ENOBUFS. */
int sk_error(struct sk_ctx *cx, struct sk_stream s, uint32_t code, const char *msg);

/** Grant the peer @p n more items on this stream's inbound half (REQUEST_N; saturating, values
 * above 0x7FFFFFFF are sent as 0x7FFFFFFF). @return 0, -ESTALE, -EINVAL (n == 0), -EPIPE, -ENOBUFS.
 */
int sk_request_n(struct sk_ctx *cx, struct sk_stream s, uint64_t n);

/** Stop a stream: requester sends CANCEL, responder sends ERROR[CANCELED]. The handle is stale
 * afterwards and no further callbacks come. @return 0, -ESTALE. */
int sk_cancel(struct sk_ctx *cx, struct sk_stream s);

/** Items this side may still send (UINT64_MAX when unbounded); 0 for a stale handle. */
uint64_t sk_stream_credit(struct sk_ctx *cx, struct sk_stream s);

/** True if @p s still refers to a live stream. */
bool sk_stream_live(struct sk_ctx *cx, struct sk_stream s);

/** The connection a stream belongs to ({0,0} if stale). */
struct sk_conn sk_stream_conn(struct sk_ctx *cx, struct sk_stream s);

/* ---- requester calls (any worker, on its own connections) ---- */

/**
 * Open a connection to @p ip:@p port (host order) on this core's stack and send SETUP.
 * @return 0 with *out set; -ENOTSUP: no stack; -ENOMEM: no free connection; errors of
 *   dp_stack_connect().
 */
int sk_connect(struct sk_ctx *cx, uint32_t ip, uint16_t port, const struct sk_conn_cbs *cbs,
	       void *ctx, struct sk_conn *out);

/** Request-response. @return 0 with *out; -ESTALE (connection gone); -EBUSY (no lease allowance);
 * -ENOSPC (streams-per-connection limit); -ENOTCONN (not established); -ENOBUFS. */
int sk_request_response(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p,
			const struct sk_stream_cbs *cbs, void *ctx, struct sk_stream *out);

/** Fire-and-forget. @return as sk_request_response(). */
int sk_fire_and_forget(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p);

/** Request-stream with initial credit @p n (>= 1). @return as sk_request_response(), -EINVAL. */
int sk_request_stream(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p, uint64_t n,
		      const struct sk_stream_cbs *cbs, void *ctx, struct sk_stream *out);

/** Request-channel: @p p is the first outbound item, @p complete if it is also the last; @p n the
 * initial inbound credit (>= 1). Further items need credit from the responder (on_request_n).
 * @return as sk_request_stream(). */
int sk_request_channel(struct sk_ctx *cx, struct sk_conn c, const struct sk_payload *p, uint64_t n,
		       bool complete, const struct sk_stream_cbs *cbs, void *ctx,
		       struct sk_stream *out);

/** METADATA_PUSH on connection @p c. @return 0, -ESTALE, -ENOTCONN, -ENOBUFS. */
int sk_metadata_push(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len);

/** Close a connection gracefully (ERROR[CONNECTION_CLOSE] then close). @return 0, -ESTALE. */
int sk_conn_close(struct sk_ctx *cx, struct sk_conn c);

/* ---- helpers ---- */

/** A payload kept beyond its callback (sk_payload_retain()). Treat the members as private except
 * @c p, which stays valid until sk_payload_release(). */
struct sk_held {
	struct sk_payload p;
	struct rte_mbuf *seg[2]; /**< receive segments kept by reference (zero-copy) */
	void *copy;		 /**< bytes that were not in one segment, copied */
};

/**
 * Keep a payload received in the current callback: metadata and data that lie in one receive
 * segment each are kept by reference (mbuf refcount, no copy); a part that straddled segments or
 * was reassembled from fragments is copied. Call only from inside the callback that got @p p,
 * on its core.
 * @return 0 with @p out filled; -EINVAL (not inside a receive callback); -ENOMEM.
 */
int sk_payload_retain(struct sk_ctx *cx, const struct sk_payload *p, struct sk_held *out);

/** Let go of a retained payload (segments back to their pool, copy freed). Any time later, on the
 * same core. Releasing a zeroed struct sk_held is a no-op. */
void sk_payload_release(struct sk_ctx *cx, struct sk_held *h);

/** Copy a payload's data into @p buf. @return bytes copied (truncated to @p cap). */
size_t sk_payload_copy(const struct sk_payload *p, void *buf, size_t cap);

/**
 * Write composite metadata with one routing entry holding @p tag (RSOCKET.md 8.1, 8.3).
 * @return bytes written; -EINVAL (tag empty or > 255 bytes); -ENOSPC (@p cap too small).
 */
int sk_route_metadata(uint8_t *buf, size_t cap, const char *tag);

#endif /* SKIFF_H */
