/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The posix stack: the transport interface of dp/stream.h on Linux kernel sockets. One instance per
 * worker core, never shared. Each instance owns an epoll set, one SO_REUSEPORT listener per listen
 * address (so the kernel spreads incoming connections over the cores), a connection pool sized at
 * init, and reads into mbufs from the core's own pool, so the engine above sees the same mbuf
 * chains as on the native stack. It is the kernel baseline the native stack is measured against,
 * and the stack for machines without a DPDK port.
 *
 * Syscalls are batched: one epoll_wait per poll, one readv per readable socket per poll (up to
 * rx_segs segments), one writev per dirty connection per flush, accept in bursts.
 *
 * Lifecycle: dp_posix_memsize(conf) bytes of cache-aligned memory, dp_posix_init() on them,
 * dp_posix_stack() for the generic handle, dp_posix_fini() to close everything (closed(-ESHUTDOWN)
 * for every stream still open). All calls belong to the owning core.
 */
#ifndef DP_POSIX_H
#define DP_POSIX_H

#include <stddef.h>
#include <stdint.h>

#include <dp/stream.h>

struct rte_mempool;
struct rte_tel_data;
struct dp_posix;

/** Defaults used when a conf field is 0. */
#define DP_POSIX_DEF_MAX_CONNS 1024u
#define DP_POSIX_DEF_MAX_LISTENERS 8u
#define DP_POSIX_DEF_SNDBUF_BYTES (256u * 1024u)
#define DP_POSIX_DEF_RX_HOLD_BYTES (256u * 1024u)
#define DP_POSIX_DEF_RX_SEGS 16u
#define DP_POSIX_MAX_RX_SEGS 64u
#define DP_POSIX_DEF_EVENTS 256u
#define DP_POSIX_DEF_ACCEPT_BURST 32u
#define DP_POSIX_DEF_IOV_MAX 1024u /**< also the upper bound (Linux IOV_MAX) */
#define DP_POSIX_DEF_LINGER_US (5u * 1000u * 1000u)

/** Per-core configuration. Zero fields take the defaults above. */
struct dp_posix_conf {
	struct rte_mempool *pool; /**< the core's mbuf pool (required) */
	uint32_t max_conns;	  /**< connection pool size (accepted + connecting + draining) */
	uint32_t max_listeners;	  /**< listen addresses */
	uint32_t sndbuf_bytes;	  /**< per-stream bound on queued, unwritten bytes (send_space) */
	uint32_t rx_segs;	  /**< mbufs per readv, <= DP_POSIX_MAX_RX_SEGS */
	uint32_t rx_hold_bytes;	  /**< reading pauses while a stream holds this much (dp/stream.h
				   *   receive accounting) */
	uint32_t events;	  /**< epoll_wait batch */
	uint32_t accept_burst;	  /**< accepts per listener per poll */
	uint32_t iov_max;	  /**< iovecs per writev, <= 1024 */
	uint32_t linger_us;	  /**< orderly close: bound from close() to the end (queued data
				   *   written, peer's FIN read); past it, closed(0) if all was
				   *   written, else RST and closed(-ETIMEDOUT) */
	int so_sndbuf;	  /**< SO_SNDBUF for every socket, 0 = kernel default (autotuning) */
	int so_rcvbuf;	  /**< SO_RCVBUF for every socket, 0 = kernel default (autotuning) */
	const char *name; /**< instance name for logs, e.g. "posix0" (may be NULL) */
};

/** Error classes for the errno counters. */
enum dp_posix_err {
	DP_POSIX_ERR_RESET,    /**< ECONNRESET, EPIPE */
	DP_POSIX_ERR_REFUSED,  /**< ECONNREFUSED */
	DP_POSIX_ERR_TIMEDOUT, /**< ETIMEDOUT */
	DP_POSIX_ERR_UNREACH,  /**< EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL */
	DP_POSIX_ERR_NOFILE,   /**< EMFILE, ENFILE */
	DP_POSIX_ERR_NOMEM,    /**< ENOMEM, ENOBUFS */
	DP_POSIX_ERR_OTHER,
	DP_POSIX_ERR_MAX
};

/** Per-core counters. Written only by the owning core; read by anyone (torn reads tolerated). */
struct dp_posix_stats {
	uint64_t polls;
	uint64_t epoll_waits; /**< epoll_wait calls (poll and dp_posix_wait) */
	uint64_t epoll_events;
	uint64_t accepts;
	uint64_t accept_refused; /**< accept() upcall returned NULL: reset */
	uint64_t accept_nopool;	 /**< no free connection slot: accepted ones are reset, connects
				  *   get -ENOMEM */
	uint64_t connects;	 /**< active opens started */
	uint64_t connected;	 /**< active opens completed */
	uint64_t connect_failed;
	uint64_t read_calls;
	uint64_t read_bytes;
	uint64_t read_eagain;
	uint64_t read_eof;
	uint64_t rx_nombuf; /**< reads postponed for want of mbufs (data stays in the kernel) */
	uint64_t rx_paused; /**< reads paused: the stream holds rx_hold_bytes (dp/stream.h) */
	uint64_t write_calls;
	uint64_t write_bytes;
	uint64_t write_eagain; /**< writev short or EAGAIN: waiting for EPOLLOUT */
	uint64_t send_eagain;  /**< dp_stream_send refused: sndbuf_bytes bound reached */
	uint64_t closes;       /**< orderly closes completed */
	uint64_t aborts;
	uint64_t resets;	  /**< streams ended by the peer's RST or a socket error */
	uint64_t drain_bytes;	  /**< bytes read and discarded while closing */
	uint64_t linger_timeouts; /**< orderly closes cut short after linger_us */
	uint64_t errors[DP_POSIX_ERR_MAX];
};

/**
 * Bytes of memory dp_posix_init() needs for @p conf (defaults applied). Any core.
 * @return the size, or 0 if @p conf is invalid.
 */
size_t dp_posix_memsize(const struct dp_posix_conf *conf);

/**
 * Build a stack instance in @p mem (dp_posix_memsize() bytes, 64-byte aligned). Creates the epoll
 * set. Call on the owning core.
 * @return the instance, or NULL with errno: EINVAL (bad conf or mem), or epoll_create1's errno.
 */
struct dp_posix *dp_posix_init(void *mem, const struct dp_posix_conf *conf);

/**
 * Close every stream (closed(-ESHUTDOWN), or connected(-ESHUTDOWN) for pending active opens) and
 * every listener, free every mbuf the instance holds, close the epoll set. @p mem may be freed
 * after. Owning core only.
 */
void dp_posix_fini(struct dp_posix *p);

/** The generic handle for dp/stream.h calls. */
struct dp_stack *dp_posix_stack(struct dp_posix *p);

/** The instance behind a generic handle made by dp_posix_stack() (no check). */
struct dp_posix *dp_posix_from_stack(struct dp_stack *st);

/** The per-core counters. */
const struct dp_posix_stats *dp_posix_stats(const struct dp_posix *p);

/**
 * Fill @p d (a fresh rte_tel_data) with the counters of @p p as a dict of u64, plus conns_in_use,
 * for the runtime's telemetry command. Any core (relaxed reads).
 * @return 0, or -ENOSPC when the dict is full.
 */
int dp_posix_stats_telemetry(const struct dp_posix *p, struct rte_tel_data *d);

/**
 * The epoll fd, for an idle policy that wants to block on it from its own event loop. Other fds
 * may be added to it with epoll_event.data.u64 = 0: dp_stack_poll() ignores their events (the owner
 * drains its fd itself); they only wake a blocked dp_posix_wait().
 */
int dp_posix_epoll_fd(const struct dp_posix *p);

/**
 * Idle helper: block in epoll_wait for up to @p max_us microseconds (0 = do not block) until a
 * socket has work. Returns at once if work is already pending (queued events, sockets with input
 * still to read and mbufs to read it into, unflushed data, owed upcalls). Events fetched here are
 * kept and processed by the next dp_stack_poll(), so no syscall is wasted. Owning core only.
 * @return number of events now pending (0 = timed out), or -errno of epoll_wait (-EINTR).
 */
int dp_posix_wait(struct dp_posix *p, uint32_t max_us);

/**
 * Listening: dp_stack_listen() on every core's instance with the same explicit port gives one
 * SO_REUSEPORT socket per core, and the kernel spreads incoming connections over them by flow
 * hash. Port 0 gives each instance its own ephemeral port (read it back with the call below).
 *
 * The local address listener number @p i (in dp_stack_listen() order) is bound to; useful after
 * listening on port 0.
 * @return 0, or -ENOENT when there is no such listener.
 */
int dp_posix_listen_addr(const struct dp_posix *p, unsigned i, struct dp_addr4 *out);

/**
 * Close every listener (graceful stop: no new connections; the kernel resets any connection still
 * in a listener's accept queue). Open streams are not touched. Owning core only.
 */
void dp_posix_listen_close_all(struct dp_posix *p);

/** The kernel socket behind a posix stream (for diagnostics and socket options), or -1 once the
 * stream is closing down. */
int dp_posix_stream_fd(const struct dp_stream *s);

/** Streams currently held in the connection pool (any state, including closing). */
uint32_t dp_posix_conns_in_use(const struct dp_posix *p);

#endif /* DP_POSIX_H */
