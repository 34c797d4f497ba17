/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private layout of the posix stack (dataplane/posix): the per-core instance, its connection
 * objects, the lists that drive the per-loop phases, and the helpers shared by the data path
 * (posix.c) and the control path (posix_ctl.c).
 *
 * A connection is on at most one of each list: rx (socket may have input, read it this poll),
 * tx (queued data to writev at the next flush), pend (an upcall is owed at the next poll: connect
 * result, writable, or the final closed()/connected(err) before the slot is freed) and drain
 * (orderly close not finished yet, checked against its linger deadline). Slots are freed only from
 * the pend list, so a stream pointer stays valid until its last upcall returns, whatever the user
 * calls from inside an upcall.
 */
#ifndef DP_POSIX_PRIV_H
#define DP_POSIX_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <sys/epoll.h>

#include <rte_log.h>

#include <dp/posix.h>

extern int dp_posix_logtype;
#define DP_POSIX_LOG(level, ...)                                                                   \
	rte_log(RTE_LOG_##level, dp_posix_logtype, "skiff.dp.posix: " __VA_ARGS__)

enum dp_posix_state {
	DP_POSIX_FREE,
	DP_POSIX_CONNECTING, /**< nonblocking connect in progress */
	DP_POSIX_ESTABLISHED,
	DP_POSIX_CLOSING,  /**< close() called: writing out the queue, input discarded */
	DP_POSIX_DRAINING, /**< FIN sent: discarding input until the peer's FIN or linger timeout */
	DP_POSIX_DEAD,	   /**< fd closed, last upcall pending on the pend list */
};

/* Connection flags. */
#define DP_POSIX_F_RX 0x0001u	     /**< on the rx list */
#define DP_POSIX_F_TX 0x0002u	     /**< on the tx list */
#define DP_POSIX_F_PEND 0x0004u	     /**< on the pend list */
#define DP_POSIX_F_DRAIN 0x0008u     /**< on the drain (linger deadline) list */
#define DP_POSIX_F_WAIT_OUT 0x0010u  /**< kernel send buffer full: waiting for EPOLLOUT */
#define DP_POSIX_F_WANT_WR 0x0020u   /**< a send was refused: owe writable() when space opens */
#define DP_POSIX_F_WR_SHUT 0x0040u   /**< shutdown_wr() or close(): no more sends accepted */
#define DP_POSIX_F_FIN_SENT 0x0080u  /**< shutdown(SHUT_WR) done on the socket */
#define DP_POSIX_F_RD_EOF 0x0100u    /**< read returned 0 */
#define DP_POSIX_F_NOMBUF 0x0200u    /**< last read attempt found no mbufs */
#define DP_POSIX_F_N_CONN 0x0400u    /**< owe connected(0) (connect finished at once) */
#define DP_POSIX_F_N_WR 0x0800u	     /**< owe writable() */
#define DP_POSIX_F_N_REAP 0x1000u    /**< owe the final upcall, then free the slot */
#define DP_POSIX_F_REAP_CONN 0x2000u /**< the final upcall is connected(err), not closed(err) */
#define DP_POSIX_F_RDHUP 0x4000u     /**< hang-up or error seen: read on until EOF or the error */
#define DP_POSIX_F_RX_PAUSED 0x8000u /**< off the rx list while the user holds rx_hold_bytes */

/* epoll tags: data.u64 = gen << 32 | kind | index. 0 is a foreign fd. */
#define DP_POSIX_TAG_CONN 0x40000000u
#define DP_POSIX_TAG_LISTEN 0x80000000u
#define DP_POSIX_TAG_IDX 0x00ffffffu

struct dp_posix;

struct dp_posix_conn {
	struct dp_stream s; /* first: the generic stream handle */
	struct dp_posix *p;
	int fd;
	uint32_t idx;
	uint32_t gen; /* bumped on free: stale epoll events are dropped */
	uint32_t flags;
	enum dp_posix_state state;
	int reap_err;
	struct rte_mbuf *tx_head; /* queued segments, one flat list through ->next */
	struct rte_mbuf *tx_tail;
	uint32_t tx_off;   /* bytes of tx_head already written */
	uint32_t tx_bytes; /* queued bytes not yet written */
	uint64_t linger_deadline_us;
	TAILQ_ENTRY(dp_posix_conn) rx_link;
	TAILQ_ENTRY(dp_posix_conn) tx_link;
	TAILQ_ENTRY(dp_posix_conn) pend_link;
	TAILQ_ENTRY(dp_posix_conn) drain_link;
	struct dp_posix_conn *free_next;
};

TAILQ_HEAD(dp_posix_conn_list, dp_posix_conn);

struct dp_posix_listener {
	int fd;
	struct dp_addr4 local; /* as bound (port filled in after bind) */
	const struct dp_stream_cbs *cbs;
	void *ctx;
};

struct dp_posix {
	struct dp_stack stack;	   /* first: the generic stack handle */
	struct dp_posix_conf conf; /* defaults applied */
	int epfd;
	uint64_t now_us; /* clock of the last poll */
	struct dp_posix_stats st;

	struct dp_posix_conn *conns; /* [conf.max_conns] */
	struct dp_posix_conn *free_list;
	uint32_t conns_in_use;

	struct dp_posix_listener *listeners; /* [conf.max_listeners] */
	uint32_t n_listeners;

	struct epoll_event *events; /* [conf.events] */
	uint32_t ev_pending;	    /* events fetched by dp_posix_wait(), not yet handled */

	struct iovec *iov;	 /* [conf.iov_max] for writev */
	struct rte_mbuf **stash; /* [conf.rx_segs] empty mbufs ready for the next readv */
	uint32_t stash_n;
	uint32_t seg_room; /* bytes a stash mbuf takes */

	struct dp_posix_conn_list rx;
	struct dp_posix_conn_list tx;
	struct dp_posix_conn_list pend;
	struct dp_posix_conn_list drain;
	uint32_t rx_n;
};

extern const struct dp_stream_ops dp_posix_stream_ops;
extern const struct dp_stack_ops dp_posix_stack_ops;

static inline struct dp_posix_conn *
dp_posix_conn_of(struct dp_stream *s)
{
	return (struct dp_posix_conn *)s;
}

/* List membership helpers: idempotent. */
static inline void
dp_posix_rx_add(struct dp_posix *p, struct dp_posix_conn *c)
{
	if (!(c->flags & DP_POSIX_F_RX)) {
		c->flags |= DP_POSIX_F_RX;
		TAILQ_INSERT_TAIL(&p->rx, c, rx_link);
		p->rx_n++;
	}
}

static inline void
dp_posix_rx_del(struct dp_posix *p, struct dp_posix_conn *c)
{
	if (c->flags & DP_POSIX_F_RX) {
		c->flags &= ~DP_POSIX_F_RX;
		TAILQ_REMOVE(&p->rx, c, rx_link);
		p->rx_n--;
	}
}

static inline void
dp_posix_tx_add(struct dp_posix *p, struct dp_posix_conn *c)
{
	if (!(c->flags & DP_POSIX_F_TX)) {
		c->flags |= DP_POSIX_F_TX;
		TAILQ_INSERT_TAIL(&p->tx, c, tx_link);
	}
}

static inline void
dp_posix_tx_del(struct dp_posix *p, struct dp_posix_conn *c)
{
	if (c->flags & DP_POSIX_F_TX) {
		c->flags &= ~DP_POSIX_F_TX;
		TAILQ_REMOVE(&p->tx, c, tx_link);
	}
}

static inline void
dp_posix_pend_add(struct dp_posix *p, struct dp_posix_conn *c, uint32_t what)
{
	c->flags |= what;
	if (!(c->flags & DP_POSIX_F_PEND)) {
		c->flags |= DP_POSIX_F_PEND;
		TAILQ_INSERT_TAIL(&p->pend, c, pend_link);
	}
}

static inline void
dp_posix_drain_del(struct dp_posix *p, struct dp_posix_conn *c)
{
	if (c->flags & DP_POSIX_F_DRAIN) {
		c->flags &= ~DP_POSIX_F_DRAIN;
		TAILQ_REMOVE(&p->drain, c, drain_link);
	}
}

static inline uint64_t
dp_posix_conn_tag(const struct dp_posix_conn *c)
{
	return (uint64_t)c->gen << 32 | DP_POSIX_TAG_CONN | c->idx;
}

/* posix_ctl.c */
struct dp_posix_conn *dp_posix_conn_alloc(struct dp_posix *p);
void dp_posix_conn_free(struct dp_posix *p, struct dp_posix_conn *c);
int dp_posix_conn_register(struct dp_posix *p, struct dp_posix_conn *c);
void dp_posix_err_count(struct dp_posix *p, int err);
void dp_posix_fd_reset(int fd);
int dp_posix_listen(struct dp_stack *st, const struct dp_addr4 *local,
		    const struct dp_stream_cbs *cbs, void *listen_ctx);
int dp_posix_connect(struct dp_stack *st, const struct dp_addr4 *remote,
		     const struct dp_stream_cbs *cbs, void *ctx, struct dp_stream **out);
void dp_posix_accept_burst(struct dp_posix *p, struct dp_posix_listener *l);
void dp_posix_connect_done(struct dp_posix *p, struct dp_posix_conn *c);

/* posix.c */
void dp_posix_conn_kill(struct dp_posix *p, struct dp_posix_conn *c, int err, bool rst);
void dp_posix_tx_purge(struct dp_posix_conn *c);
unsigned dp_posix_pend_run(struct dp_posix *p);
uint32_t dp_posix_stash_fill(struct dp_posix *p);

#endif /* DP_POSIX_PRIV_H */
