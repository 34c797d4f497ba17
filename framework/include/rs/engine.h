/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSocket engine: one instance per worker core, owning every RSocket connection of that core.
 * It sits between the transport (dp/stream.h, native or posix stack) and the application
 * (skiff.h): it reads frames in place from received mbuf chains, drives connection and stream
 * state (SETUP, KEEPALIVE, LEASE, the four interaction models, request-n credit, fragmentation and
 * reassembly, resumption), calls the application's handlers, and encodes answers into one TX mbuf
 * chain per connection that it hands to dp_stream_send() once per loop (rs_engine_flush()).
 *
 * Timers (SETUP timeout, keepalive, keepalive timeout, lease renewal, resume session expiry) run on
 * the core's dp_timer_wheel, which the runtime advances.
 *
 * Memory: every allocation and free the engine makes, at creation and after, goes through the
 * allocator of its configuration (struct rs_engine_alloc; the runtime passes the core's jemalloc
 * arena, unset means libc). Connection slots are allocated at rs_engine_create(); a slot's stream
 * slots, stream table and gather buffer (gather_bytes) when the slot is first used, its resume
 * store when resumption is first agreed on it; all are kept for the slot's later connections (a
 * per-core pool) and freed by rs_engine_free(). The steady state allocates nothing per frame. The
 * exceptions, all bounded and counted: reassembly buffers of fragmented messages (bounded by the
 * reassembly caps), a one-frame gather buffer for a frame whose straddling payload exceeds
 * gather_bytes (bounded by max_frame_len, counter rx_gather_big), and the copy sk_payload_retain()
 * makes of a payload that straddled segments.
 */
#ifndef RS_ENGINE_H
#define RS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dp/stream.h>

struct rte_mempool;
struct dp_timer_wheel;
struct sk_app;
struct sk_conn;
struct sk_router;
struct sk_router_scratch;
struct rs_engine;

/** Allocate @p size bytes (NULL on failure). */
typedef void *rs_engine_alloc_fn(void *ctx, size_t size);
/** Resize @p p (from this allocator) to @p size bytes, keeping its contents; NULL on failure, then
 * @p p is left as it was. */
typedef void *rs_engine_realloc_fn(void *ctx, void *p, size_t size);
/** Free @p p (from this allocator; NULL is a no-op). */
typedef void rs_engine_free_fn(void *ctx, void *p);

/**
 * The engine's allocator (DESIGN.md, Rules of the hot path: "anything else from the core's own
 * jemalloc arena"). @c alloc and @c free are required together (both NULL: libc malloc/free);
 * @c zalloc and @c realloc are optional (the engine falls back to alloc + memset, and to
 * alloc + memcpy + free). Called only on the engine's core, with @c ctx.
 */
struct rs_engine_alloc {
	rs_engine_alloc_fn *alloc;
	rs_engine_alloc_fn *zalloc;    /**< zeroed memory, or NULL */
	rs_engine_realloc_fn *realloc; /**< or NULL */
	rs_engine_free_fn *free;
	void *ctx; /**< per core (e.g. the struct sk_core) */
};

/**
 * Engine configuration, one for all cores (except @c alloc, whose ctx is per core: copy the
 * configuration per core and set it). Defaults from rs_engine_conf_default(). The config keys
 * (section [rsocket]) are given per field.
 */
struct rs_engine_conf {
	uint32_t setup_timeout_ms; /**< setup_timeout_ms: SETUP must arrive within (10000) */
	uint32_t keepalive_ms;	   /**< keepalive_ms: client SETUP keepalive interval (20000) */
	uint32_t max_lifetime_ms;  /**< max_lifetime_ms: client SETUP max lifetime (90000) */
	const char *metadata_mime; /**< metadata_mime: client SETUP metadata MIME
				    *   ("message/x.rsocket.composite-metadata.v0") */
	const char *data_mime;	   /**< data_mime: client SETUP data MIME
				    *   ("application/octet-stream") */
	const char *accept_metadata_mime; /**< accept_metadata_mime: server accepts only this
					   *   metadata MIME (NULL/"": any) */
	const char *accept_data_mime; /**< accept_data_mime: server accepts only this data MIME */
	bool lease;		      /**< lease: server accepts L=1, client sends L=1 (false) */
	uint32_t lease_ttl_ms;	      /**< lease_ttl_ms: TTL of issued leases; re-issued at TTL
				       *   while the connection lives (30000) */
	uint32_t lease_requests;      /**< lease_requests: requests per issued lease (1000) */
	uint32_t fragment_size;	      /**< fragment_size: max frame bytes when sending; larger
				       *   messages are fragmented; 0 = never (0; min 64) */
	uint32_t reasm_stream_max;    /**< reassembly_stream_max: bytes per reassembled message
				       *   (1 MiB) */
	uint64_t reasm_conn_max;      /**< reassembly_conn_max: reassembly bytes per connection
				       *   (4 MiB) */
	uint32_t max_streams;	      /**< max_streams: live streams per connection (1024) */
	uint32_t max_frame_len;	      /**< max_frame_len: largest frame accepted (16 MiB - 1) */
	uint32_t max_pending_bytes;   /**< max_pending_bytes: unsent TX bytes per connection;
				       *   sends beyond fail with -ENOBUFS (4 MiB) */
	bool resume;		      /**< resume: server accepts R=1, client sends R=1 (false) */
	uint32_t resume_store_bytes;  /**< resume_store_bytes: kept unacknowledged frames per
				       *   connection (1 MiB) */
	uint32_t resume_session_ms;   /**< resume_session_ms: a detached session lives (60000) */
	uint32_t max_conns;	      /**< max_conns: connections per core (1024) */
	uint32_t gather_bytes;	      /**< gather_bytes: per connection slot, the buffer that
				       *   gathers a frame's metadata and data when they straddle
				       *   receive segments; allocated once with the slot, at most
				       *   max_frame_len (64 KiB; min 64). A larger straddling
				       *   frame gets a one-frame buffer (rx_gather_big). */
	uint32_t channel_initial_n;   /**< channel_initial_n: REQUEST_N the engine sends for a
				       *   REQUEST_CHANNEL (no C) whose handler granted no credit
				       *   (RSOCKET.md 4.6): items after the first, which the
				       *   REQUEST_CHANNEL carries; rsocket-java's request(n + 1)
				       *   (256; 1..0x7fffffff) */
	struct rs_engine_alloc alloc; /**< allocator (not a config key; zero: libc) */
};

/** Per-core counters. Names from rs_engine_counter_name(). */
enum rs_engine_ctr {
	RS_CTR_FRAMES_RX,
	RS_CTR_FRAMES_TX,
	RS_CTR_BYTES_RX,
	RS_CTR_BYTES_TX,
	RS_CTR_CONN_OPEN,
	RS_CTR_CONN_CLOSED,
	RS_CTR_SETUP_BAD_FIRST,	    /**< first frame not SETUP/RESUME: INVALID_SETUP */
	RS_CTR_SETUP_BAD_VERSION,   /**< INVALID_SETUP */
	RS_CTR_SETUP_BAD_KEEPALIVE, /**< keepalive or lifetime 0: INVALID_SETUP */
	RS_CTR_SETUP_BAD_MIME,	    /**< MIME not US-ASCII: INVALID_SETUP; not accepted:
				     *   UNSUPPORTED_SETUP */
	RS_CTR_SETUP_NO_LEASE,	    /**< L=1 without lease support: UNSUPPORTED_SETUP */
	RS_CTR_SETUP_NO_RESUME,	    /**< R=1 without resume support: REJECTED_SETUP */
	RS_CTR_SETUP_TOKEN_IN_USE,  /**< REJECTED_SETUP */
	RS_CTR_SETUP_MALFORMED,	    /**< INVALID_SETUP */
	RS_CTR_SETUP_TIMEOUT,
	RS_CTR_KEEPALIVE_TX,
	RS_CTR_KEEPALIVE_RX,
	RS_CTR_KEEPALIVE_TIMEOUT, /**< peer silent for max lifetime: CONNECTION_ERROR */
	RS_CTR_FRAME_TOO_SHORT,
	RS_CTR_FRAME_TOO_LONG,	     /**< over max_frame_len: CONNECTION_ERROR */
	RS_CTR_MD_LEN_BAD,	     /**< metadata length past frame end: CONNECTION_ERROR */
	RS_CTR_UNKNOWN_TYPE_IGNORED, /**< I=1 */
	RS_CTR_UNKNOWN_TYPE_FATAL,   /**< I=0: CONNECTION_ERROR */
	RS_CTR_STREAM_UNKNOWN,	     /**< frame for an unknown stream, ignored */
	RS_CTR_STREAM_DUP,	     /**< request for a live stream id, ignored */
	RS_CTR_STREAM_BAD_PARITY,    /**< request with our own parity, ignored */
	RS_CTR_STREAM_LIMIT,	     /**< over max_streams: ERROR[REJECTED] */
	RS_CTR_STREAM_BAD_N,	     /**< request-n 0: ERROR[INVALID] or ignored */
	RS_CTR_STREAM_OVERRUN,	     /**< more items than credit: stream failed */
	RS_CTR_STREAM_BAD_PAYLOAD,   /**< PAYLOAD without N or C, ignored */
	RS_CTR_NO_ROUTE,	     /**< ERROR[INVALID] naming the route */
	RS_CTR_NO_HANDLER,	     /**< route has no handler for the model: ERROR[INVALID] */
	RS_CTR_LATE_CALL,	     /**< app call on a stale handle */
	RS_CTR_NO_CREDIT,	     /**< sk_next without credit */
	RS_CTR_LEASE_ISSUED,
	RS_CTR_LEASE_RECEIVED,
	RS_CTR_LEASE_REJECTED,	  /**< request outside the lease: ERROR[REJECTED] */
	RS_CTR_LEASE_EXHAUSTED,	  /**< own request refused for lack of lease */
	RS_CTR_REASM_STREAM_OVER, /**< stream over reassembly cap */
	RS_CTR_REASM_CONN_OVER,	  /**< connection over reassembly cap: CONNECTION_ERROR */
	RS_CTR_FRAGMENTS_TX,
	RS_CTR_FRAGMENTS_RX,
	RS_CTR_TX_NOMEM,	/**< out of mbufs */
	RS_CTR_RX_NOMEM,	/**< no memory to gather, reassemble or keep a payload (or for a
				 *   slot's stream table, resume store): request ERROR[REJECTED],
				 *   stream failed, setup refused */
	RS_CTR_TX_PENDING_OVER, /**< over max_pending_bytes */
	RS_CTR_TX_BLOCKED,	/**< dp_stream_send() -EAGAIN */
	RS_CTR_ERROR_RX,	/**< ERROR frames received */
	RS_CTR_ERROR_TX,
	RS_CTR_RESUME_OK,
	RS_CTR_RESUME_REJECTED,	      /**< REJECTED_RESUME sent or received */
	RS_CTR_RESUME_STORE_OVERFLOW, /**< oldest unacknowledged frames dropped */
	RS_CTR_RESUME_EXPIRED,	      /**< detached session timed out */
	RS_CTR_METADATA_PUSH_RX,
	RS_CTR_RX_GATHER_BIG, /**< straddling frame over gather_bytes: one-frame buffer */
	RS_CTR_TX_DROPPED,    /**< queued TX bytes dropped: dp_stream_send() failed (not -EAGAIN) */
	RS_CTR_CHANNEL_AUTO_N,	    /**< REQUEST_N(channel_initial_n) the engine sent for a channel
				     *   whose handler granted no credit (RSOCKET.md 4.6) */
	RS_CTR_SETUP_IGNORED,	    /**< SETUP after establishment (or to a client), ignored */
	RS_CTR_RESUME_WAIT_IGNORED, /**< frame other than RESUME_OK / ERROR[0] while waiting for
				     *   RESUME_OK, ignored */
	RS_CTR_MAX
};

/** The default configuration. */
void rs_engine_conf_default(struct rs_engine_conf *conf);

/**
 * Create one core's engine. Control path (allocates everything up front), on or for that core.
 * @param conf    configuration (copied; strings must outlive the engine)
 * @param wheel   the core's timer wheel
 * @param pool    mbuf pool for TX
 * @param stack   the core's transport stack (for sk_connect), or NULL
 * @param app     application (handlers per route name), or NULL
 * @param router  routes (shared, read-only), or NULL: then every request is refused
 * @param core_id passed to app->core_init
 * @return 0 with *out set; -EINVAL: bad conf (also: only one of alloc.alloc and alloc.free set);
 *   -ENOMEM; -ENOENT: an app route name is not in the router.
 */
int rs_engine_create(const struct rs_engine_conf *conf, struct dp_timer_wheel *wheel,
		     struct rte_mempool *pool, struct dp_stack *stack, const struct sk_app *app,
		     const struct sk_router *router, unsigned core_id, struct rs_engine **out);

/** Tear down: aborts live connections (transport closed), calls app->core_teardown, frees all
 * the engine's memory through its allocator. Payloads still retained (sk_payload_retain) must be
 * released before. */
void rs_engine_free(struct rs_engine *e);

/** Stream callbacks to pass to dp_stack_listen() (listen_ctx = the engine) for server conns. */
extern const struct dp_stream_cbs rs_engine_stream_cbs;

/**
 * Set the core's current time (call once per loop before timers and input). Worker core only.
 */
void rs_engine_set_now(struct rs_engine *e, uint64_t now_us);

/**
 * Hand every connection's queued frames to its transport (one dp_stream_send per connection with
 * queued bytes). Call once per loop after input and handlers. @return connections flushed.
 */
unsigned rs_engine_flush(struct rs_engine *e);

/**
 * Open a client connection over an already connected transport stream @p s (used by sk_connect's
 * connected() upcall, and by tests). Sends SETUP. The stream's callbacks must be
 * rs_engine_stream_cbs with ctx set by this call.
 * @return 0; -ENOMEM (no free connection).
 */
int rs_engine_client_attach(struct rs_engine *e, struct dp_stream *s, const void *cbs, void *ctx,
			    uint32_t *conn_idx);

/**
 * Resume a detached client connection @p conn_idx over a new, connected transport stream @p s:
 * sends RESUME. @return 0; -ESTALE (no such detached session); -EINVAL (resume not enabled).
 */
int rs_engine_client_resume(struct rs_engine *e, uint32_t conn_idx, struct dp_stream *s);

/** Accept a server connection over transport stream @p s (what accept() does). @return the
 * context to store in s->ctx, or NULL (no free connection). */
void *rs_engine_server_attach(struct rs_engine *e, struct dp_stream *s);

/** Counter values of this core. */
const uint64_t *rs_engine_counters(const struct rs_engine *e);

/** Name of counter @p i ("frames_rx", ...), NULL past the end. */
const char *rs_engine_counter_name(unsigned i);

/**
 * The application handle of connection slot @p idx (1..max_conns).
 * @return 0 with *out set; -ENOENT: the slot is free.
 */
int rs_engine_conn_handle(const struct rs_engine *e, uint32_t idx, struct sk_conn *out);

/**
 * The transport stream connection @p c currently runs on (diagnostics and tests).
 * @return the stream, or NULL (stale handle, detached, or not connected yet).
 */
struct dp_stream *rs_engine_conn_transport(const struct rs_engine *e, struct sk_conn c);

/** Live connections on this core (attached or detached). */
unsigned rs_engine_conn_count(const struct rs_engine *e);

/** Live streams on this core. */
unsigned rs_engine_stream_count(const struct rs_engine *e);

/** The application view of the engine (for handlers and requester calls). */
struct sk_ctx *rs_engine_ctx(struct rs_engine *e);

/** The engine behind an application context. */
struct rs_engine *rs_engine_from_ctx(struct sk_ctx *cx);

#endif /* RS_ENGINE_H */
