/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport interface between the framework and a stack. Two stacks implement it: the native
 * userspace TCP/IP stack (dataplane/tcp, over DPDK ports) and the posix stack (dataplane/posix, kernel
 * sockets with epoll). The RSocket engine sees only this header, so it runs unchanged on either.
 *
 * Everything here is per core: a struct dp_stack belongs to one worker, and every stream it creates
 * lives and dies on that worker. Upcalls (struct dp_stream_cbs) run on that core from inside
 * dp_stack_poll(); they may call dp_stream_send/shutdown/close on any stream of the same stack.
 *
 * Data moves as mbuf chains from the core's pool, never copied by this interface: received bytes are
 * handed up as the original RX mbufs trimmed to payload; a sent chain is owned by the stack from the
 * moment dp_stream_send() accepts it (kept by reference until acknowledged on the native stack).
 *
 * Receive accounting (TCP.md 5.4): by default bytes stop counting against the receive side the
 * moment data() hands them over. A user that keeps what it received (queued behind a full send
 * queue, a partial frame, a handler's zero-copy view) turns on dp_stream_rx_hold(): then every
 * delivered byte counts as held until dp_stream_rx_release() gives it back. The native stack
 * subtracts held bytes from the window it advertises; the posix stack stops reading the socket
 * while the held bytes reach its limit (the kernel's window then closes). A slow reader so pushes
 * back on its peer instead of growing a backlog in the core's mbuf pool. Hold only what the user
 * can make progress on without more input: bytes of an incomplete message count too, and a
 * message larger than the window would then wait forever for its own tail.
 *
 * Dispatch goes through the ops tables below once per call, which the engine makes at most once per
 * connection per loop iteration (it batches frames into one chain before sending), never per packet.
 */
#ifndef DP_STREAM_H
#define DP_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct rte_mbuf;
struct dp_stream;
struct dp_stack;

/** An IPv4 endpoint, host byte order. */
struct dp_addr4 {
	uint32_t ip;
	uint16_t port;
};

/** Upcalls from a stack to its user. All run on the stream's core, inside dp_stack_poll(). */
struct dp_stream_cbs {
	/** A passive open completed on a listener. Return the user context for @p s, or NULL to refuse
	 * (the stack then resets @p s). */
	void *(*accept)(void *listen_ctx, struct dp_stream *s);
	/** An active open finished: @p err is 0, -ECONNREFUSED, -ETIMEDOUT or -EHOSTUNREACH. On error the
	 * stream is gone after the call returns (closed() is not called as well). */
	void (*connected)(void *ctx, struct dp_stream *s, int err);
	/** In-order bytes arrived. Ownership of @p chain (one or more segments, pkt_len > 0) passes to
	 * the callee, which frees it when done. */
	void (*data)(void *ctx, struct dp_stream *s, struct rte_mbuf *chain);
	/** Send space opened up after dp_stream_send() returned -EAGAIN. */
	void (*writable)(void *ctx, struct dp_stream *s);
	/** The peer finished sending (FIN). The stream stays open for sending. May be NULL. */
	void (*peer_closed)(void *ctx, struct dp_stream *s);
	/** The stream is finished: after dp_stream_close() completes (err 0), a reset (-ECONNRESET), a
	 * timeout (-ETIMEDOUT) or stack shutdown (-ESHUTDOWN). @p s is invalid once this returns. */
	void (*closed)(void *ctx, struct dp_stream *s, int err);
};

/** Operations on a stream, provided by the stack that owns it. */
struct dp_stream_ops {
	int (*send)(struct dp_stream *s, struct rte_mbuf *chain);
	uint32_t (*send_space)(const struct dp_stream *s);
	int (*shutdown_wr)(struct dp_stream *s);
	void (*close)(struct dp_stream *s);
	void (*abort)(struct dp_stream *s);
	/** rx_held went down (or holding was turned off): reopen the window or resume reading.
	 * May be NULL for a stack without receive accounting. */
	void (*rx_released)(struct dp_stream *s);
};

/** Common head of every stack's connection object (embedded first in struct dp_tcp_conn etc.). */
struct dp_stream {
	const struct dp_stream_ops *ops;
	const struct dp_stream_cbs *cbs;
	void *ctx;                 /**< user context from accept() or dp_stack_connect() */
	struct dp_addr4 local;
	struct dp_addr4 remote;
	uint32_t rx_held; /**< delivered bytes not yet released (while rx_hold is on); the stack
			   *   adds before each data() upcall */
	bool rx_hold;	  /**< receive accounting on (dp_stream_rx_hold()) */
};

/** Operations on a stack instance (one per core). */
struct dp_stack_ops {
	int (*listen)(struct dp_stack *st, const struct dp_addr4 *local, const struct dp_stream_cbs *cbs,
		      void *listen_ctx);
	int (*connect)(struct dp_stack *st, const struct dp_addr4 *remote,
		       const struct dp_stream_cbs *cbs, void *ctx, struct dp_stream **out);
	unsigned (*poll)(struct dp_stack *st, uint64_t now_us);
	void (*flush)(struct dp_stack *st);
};

/** Common head of every stack instance. */
struct dp_stack {
	const struct dp_stack_ops *ops;
	const char *name;          /**< "native" or "posix" */
};

/**
 * Queue @p chain for sending on @p s. All or nothing.
 * @return 0: the stack owns @p chain; -EAGAIN: not enough send space (dp_stream_send_space()),
 *   the caller keeps @p chain and gets writable() later; -ENOTCONN: not established or already
 *   shut down for writing, the caller keeps @p chain.
 */
static inline int
dp_stream_send(struct dp_stream *s, struct rte_mbuf *chain)
{
	return s->ops->send(s, chain);
}

/** Bytes dp_stream_send() will accept now. */
static inline uint32_t
dp_stream_send_space(const struct dp_stream *s)
{
	return s->ops->send_space(s);
}

/** Half-close: send FIN after queued data. @return 0 or -ENOTCONN. */
static inline int
dp_stream_shutdown_wr(struct dp_stream *s)
{
	return s->ops->shutdown_wr(s);
}

/** Orderly close: queued data is still sent, then FIN; closed() follows when done. No further
 * data() upcalls after this call. */
static inline void
dp_stream_close(struct dp_stream *s)
{
	s->ops->close(s);
}

/** Abortive close: RST, queued data dropped; closed(-ECONNABORTED) follows. */
static inline void
dp_stream_abort(struct dp_stream *s)
{
	s->ops->abort(s);
}

/** Turn receive accounting on or off for @p s (off by default). Turning it off releases every held
 * byte. Stream's core. */
static inline void
dp_stream_rx_hold(struct dp_stream *s, bool on)
{
	s->rx_hold = on;
	if (!on && s->rx_held != 0) {
		s->rx_held = 0;
		if (s->ops->rx_released != NULL)
			s->ops->rx_released(s);
	}
}

/** Give back @p bytes of held received data (at most what is held): the user freed them or handed
 * them on (a send the stack accepted). Batch per loop iteration where possible. Stream's core. */
static inline void
dp_stream_rx_release(struct dp_stream *s, uint32_t bytes)
{
	s->rx_held -= bytes < s->rx_held ? bytes : s->rx_held;
	if (s->ops->rx_released != NULL)
		s->ops->rx_released(s);
}

/** Listen on @p local (ip 0 = any of the stack's addresses). @return 0, -EADDRINUSE, -ENOMEM. */
static inline int
dp_stack_listen(struct dp_stack *st, const struct dp_addr4 *local, const struct dp_stream_cbs *cbs,
		void *listen_ctx)
{
	return st->ops->listen(st, local, cbs, listen_ctx);
}

/** Start an active open. On 0, *out is the new stream and connected() follows.
 * @return 0, -ENOMEM, -EADDRNOTAVAIL (no local port that steers to this core), -EHOSTUNREACH. */
static inline int
dp_stack_connect(struct dp_stack *st, const struct dp_addr4 *remote, const struct dp_stream_cbs *cbs,
		 void *ctx, struct dp_stream **out)
{
	return st->ops->connect(st, remote, cbs, ctx, out);
}

/** Receive and process input; runs upcalls. @return units of work done (0 = idle). */
static inline unsigned
dp_stack_poll(struct dp_stack *st, uint64_t now_us)
{
	return st->ops->poll(st, now_us);
}

/** Transmit everything queued this iteration (one TX flush per loop). */
static inline void
dp_stack_flush(struct dp_stack *st)
{
	st->ops->flush(st);
}

#endif /* DP_STREAM_H */
