/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data path of the posix stack: dp_stack_poll() and dp_stack_flush() for kernel sockets, and the
 * stream operations of dp/stream.h. One poll is, in order: owed upcalls (pend) → one epoll_wait
 * (timeout 0) → event dispatch (accept bursts, connect completions, rx/tx readiness) → one readv
 * per readable socket into a batch of mbufs from the core's pool, handed up as one chain through
 * cbs->data → linger deadlines → owed upcalls again. One flush is one sendmsg (the writev of
 * sendmsg, for MSG_NOSIGNAL) per connection with queued segments, an iovec per segment, freeing
 * what the kernel took. Nothing here allocates except mbufs from the pool, and no upcall runs
 * outside dp_stack_poll().
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "posix_priv.h"

void
dp_posix_tx_purge(struct dp_posix_conn *c)
{
	struct rte_mbuf *m = c->tx_head;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	c->tx_head = c->tx_tail = NULL;
	c->tx_off = 0;
	c->tx_bytes = 0;
}

/* End a stream now: the fd is closed (with RST when @p rst), queued data dropped, and the final
 * upcall (closed(err), or connected(err) for a failed active open) is owed on the pend list. */
void
dp_posix_conn_kill(struct dp_posix *p, struct dp_posix_conn *c, int err, bool rst)
{
	if (c->state == DP_POSIX_FREE || c->state == DP_POSIX_DEAD)
		return;
	if (c->state == DP_POSIX_CONNECTING && err != 0 && err != -ECONNABORTED)
		c->flags |= DP_POSIX_F_REAP_CONN;
	/* Paused no more: a release after this (in closed(), say) must not put the slot back
	 * on the rx list, where it would stay linked once freed and reused. */
	c->flags &= ~(DP_POSIX_F_N_CONN | DP_POSIX_F_N_WR | DP_POSIX_F_RX_PAUSED);
	dp_posix_rx_del(p, c);
	dp_posix_tx_del(p, c);
	dp_posix_drain_del(p, c);
	dp_posix_tx_purge(c);
	if (c->fd >= 0) {
		if (rst)
			dp_posix_fd_reset(c->fd);
		else
			close(c->fd);
		c->fd = -1;
	}
	c->state = DP_POSIX_DEAD;
	c->reap_err = err;
	dp_posix_pend_add(p, c, DP_POSIX_F_N_REAP);
}

/* A socket error ends the stream; closed() reports it as a reset (or the timeout it was). */
static void
dp_posix_conn_fail(struct dp_posix *p, struct dp_posix_conn *c, int err)
{
	dp_posix_err_count(p, err);
	p->st.resets++;
	dp_posix_conn_kill(p, c, err == ETIMEDOUT ? -ETIMEDOUT : -ECONNRESET, false);
}

/* The queue is empty: send the FIN owed by shutdown_wr()/close(), and move a closing stream on to
 * draining (or straight to closed when the peer has finished too). */
static void
dp_posix_wr_finish(struct dp_posix *p, struct dp_posix_conn *c)
{
	if (!(c->flags & DP_POSIX_F_WR_SHUT))
		return;
	if (!(c->flags & DP_POSIX_F_FIN_SENT)) {
		c->flags |= DP_POSIX_F_FIN_SENT;
		if (shutdown(c->fd, SHUT_WR) < 0 && errno != ENOTCONN) {
			dp_posix_conn_fail(p, c, errno);
			return;
		}
	}
	if (c->state != DP_POSIX_CLOSING)
		return;
	if (c->flags & DP_POSIX_F_RD_EOF) {
		p->st.closes++;
		dp_posix_conn_kill(p, c, 0, false);
		return;
	}
	/* Closing a socket with unread input makes Linux send RST, so input is read and discarded
	 * until the peer's FIN, bounded by the linger deadline set at close(). */
	c->state = DP_POSIX_DRAINING;
}

/* Drop @p n written bytes from the head of the queue, freeing whole segments. */
static void
dp_posix_tx_consume(struct dp_posix_conn *c, uint32_t n)
{
	struct rte_mbuf *m = c->tx_head;

	c->tx_bytes -= n;
	while (m != NULL && n >= (uint32_t)m->data_len - c->tx_off) {
		struct rte_mbuf *next = m->next;

		n -= (uint32_t)m->data_len - c->tx_off;
		c->tx_off = 0;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	c->tx_head = m;
	if (m == NULL)
		c->tx_tail = NULL;
	else
		c->tx_off += n;
}

/* One sendmsg for the connection's queue (up to iov_max segments). */
static void
dp_posix_write(struct dp_posix *p, struct dp_posix_conn *c)
{
	struct msghdr msg = {0};
	struct rte_mbuf *m;
	uint32_t off, k = 0;
	size_t total = 0;
	ssize_t n;

	if (c->fd < 0 || (c->flags & DP_POSIX_F_WAIT_OUT))
		return;
	for (m = c->tx_head, off = c->tx_off; m != NULL && k < p->conf.iov_max;
	     m = m->next, off = 0) {
		uint32_t len = (uint32_t)m->data_len - off;

		if (len == 0)
			continue;
		p->iov[k].iov_base = rte_pktmbuf_mtod_offset(m, char *, off);
		p->iov[k].iov_len = len;
		total += len;
		k++;
	}
	if (k > 0) {
		msg.msg_iov = p->iov;
		msg.msg_iovlen = k;
		p->st.write_calls++;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				p->st.write_eagain++;
				c->flags |= DP_POSIX_F_WAIT_OUT;
			} else if (errno == EINTR) {
				dp_posix_tx_add(p, c);
			} else {
				dp_posix_conn_fail(p, c, errno);
			}
			return;
		}
		p->st.write_bytes += (uint64_t)n;
	} else {
		n = 0;
	}
	dp_posix_tx_consume(c, (uint32_t)n);
	if ((size_t)n < total) {
		/* Short write: the kernel buffer is full, and with EPOLLET its EPOLLOUT edge will
		 * come when space opens (Linux marks the socket SOCK_NOSPACE on the short write).
		 */
		p->st.write_eagain++;
		c->flags |= DP_POSIX_F_WAIT_OUT;
	} else if (c->tx_head != NULL) {
		dp_posix_tx_add(p, c); /* more than iov_max segments: next flush */
	}
	if ((c->flags & DP_POSIX_F_WANT_WR) && c->tx_bytes <= p->conf.sndbuf_bytes / 2) {
		c->flags &= ~DP_POSIX_F_WANT_WR;
		dp_posix_pend_add(p, c, DP_POSIX_F_N_WR);
	}
	if (c->tx_head == NULL)
		dp_posix_wr_finish(p, c);
}

/* Keep the stash full (rx_segs empty mbufs): a readv needs its buffers before it knows how much
 * it will get, and unused ones stay here for the next read instead of going back to the pool. */
uint32_t
dp_posix_stash_fill(struct dp_posix *p)
{
	uint32_t need = p->conf.rx_segs - p->stash_n;

	if (need == 0)
		return p->stash_n;
	if (rte_pktmbuf_alloc_bulk(p->conf.pool, p->stash + p->stash_n, need) == 0) {
		p->stash_n += need;
		return p->stash_n;
	}
	while (p->stash_n < p->conf.rx_segs) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(p->conf.pool);

		if (m == NULL)
			break;
		p->stash[p->stash_n++] = m;
	}
	return p->stash_n;
}

/* The peer's FIN: report it once; a draining stream is then finished. */
static void
dp_posix_rx_eof(struct dp_posix *p, struct dp_posix_conn *c)
{
	p->st.read_eof++;
	c->flags |= DP_POSIX_F_RD_EOF;
	dp_posix_rx_del(p, c);
	if (c->state == DP_POSIX_DRAINING) {
		p->st.closes++;
		dp_posix_conn_kill(p, c, 0, false);
	} else if (c->state == DP_POSIX_ESTABLISHED && c->s.cbs->peer_closed != NULL) {
		c->s.cbs->peer_closed(c->s.ctx, &c->s);
	}
}

/* Read result that is not data: EAGAIN ends this socket's turn on the rx list, unless the last
 * event said hang-up or error, in which case reading goes on until the EOF or the error shows. */
static void
dp_posix_rx_err(struct dp_posix *p, struct dp_posix_conn *c, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK) {
		p->st.read_eagain++;
		dp_posix_rx_del(p, c);
	} else if (err != EINTR) {
		dp_posix_conn_fail(p, c, err);
	}
}

/* Closing or draining: input is no longer delivered (dp_stream_close()), but read and counted. */
static unsigned
dp_posix_discard(struct dp_posix *p, struct dp_posix_conn *c)
{
	char buf[4096];
	ssize_t n;

	p->st.read_calls++;
	n = read(c->fd, buf, sizeof(buf));
	if (n > 0) {
		p->st.drain_bytes += (uint64_t)n;
		if ((size_t)n < sizeof(buf) && !(c->flags & DP_POSIX_F_RDHUP))
			dp_posix_rx_del(p, c);
		return 1;
	}
	if (n == 0)
		dp_posix_rx_eof(p, c);
	else
		dp_posix_rx_err(p, c, errno);
	return 1;
}

/* One readv of up to rx_segs mbufs; the filled ones go up as one chain. */
static unsigned
dp_posix_read(struct dp_posix *p, struct dp_posix_conn *c)
{
	struct iovec iov[DP_POSIX_MAX_RX_SEGS];
	struct rte_mbuf *head, *prev = NULL;
	uint32_t avail, used, i, rem;
	ssize_t n;

	avail = dp_posix_stash_fill(p);
	if (unlikely(avail == 0)) {
		/* No mbufs: the data stays in the kernel and the socket stays on the rx list, so it
		 * is read once mbufs are back. Nothing is lost. */
		p->st.rx_nombuf++;
		c->flags |= DP_POSIX_F_NOMBUF;
		return 0;
	}
	c->flags &= ~DP_POSIX_F_NOMBUF;
	/* The stash is used from its top, so the used mbufs are the last ones: no shifting. */
	for (i = 0; i < avail; i++) {
		struct rte_mbuf *m = p->stash[avail - 1 - i];

		iov[i].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[i].iov_len = p->seg_room;
	}
	p->st.read_calls++;
	n = readv(c->fd, iov, (int)avail);
	if (n <= 0) {
		if (n == 0)
			dp_posix_rx_eof(p, c);
		else
			dp_posix_rx_err(p, c, errno);
		return 1;
	}
	p->st.read_bytes += (uint64_t)n;
	used = (uint32_t)((n + p->seg_room - 1) / p->seg_room);
	head = p->stash[avail - 1];
	rem = (uint32_t)n;
	for (i = 0; i < used; i++) {
		struct rte_mbuf *m = p->stash[avail - 1 - i];

		m->data_len = (uint16_t)RTE_MIN(rem, p->seg_room);
		rem -= m->data_len;
		if (prev != NULL)
			prev->next = m;
		prev = m;
	}
	head->pkt_len = (uint32_t)n;
	head->nb_segs = (uint16_t)used;
	p->stash_n -= used;
	/* A short read on a stream socket means the receive queue is empty now; with EPOLLET the
	 * next input raises a new edge. A full read may have left more: stay on the rx list. */
	if ((size_t)n < (size_t)avail * p->seg_room && !(c->flags & DP_POSIX_F_RDHUP))
		dp_posix_rx_del(p, c);
	if (c->s.rx_hold)
		c->s.rx_held += (uint32_t)n;
	c->s.cbs->data(c->s.ctx, &c->s, head);
	return 1;
}

/* Read a paused stream again. The data waited in the kernel; with EPOLLET no new edge comes for
 * it, so back onto the rx list. */
static void
dp_posix_rx_resume(struct dp_posix *p, struct dp_posix_conn *c)
{
	c->flags &= ~DP_POSIX_F_RX_PAUSED;
	dp_posix_rx_add(p, c);
}

/* dp_stream_rx_release(): resume once the stream holds less than the limit. */
static void
dp_posix_rx_released(struct dp_stream *s)
{
	struct dp_posix_conn *c = dp_posix_conn_of(s);

	if ((c->flags & DP_POSIX_F_RX_PAUSED) && c->s.rx_held < c->p->conf.rx_hold_bytes)
		dp_posix_rx_resume(c->p, c);
}

static unsigned
dp_posix_input(struct dp_posix *p, struct dp_posix_conn *c)
{
	switch (c->state) {
	case DP_POSIX_ESTABLISHED:
		if (c->flags & DP_POSIX_F_RD_EOF) {
			dp_posix_rx_del(p, c);
			return 0;
		}
		if (c->s.rx_hold && c->s.rx_held >= p->conf.rx_hold_bytes) {
			/* The user holds its limit: leave the data in the kernel, whose window
			 * then closes, until dp_stream_rx_release() resumes us. */
			c->flags |= DP_POSIX_F_RX_PAUSED;
			dp_posix_rx_del(p, c);
			p->st.rx_paused++;
			return 0;
		}
		return dp_posix_read(p, c);
	case DP_POSIX_CLOSING:
	case DP_POSIX_DRAINING:
		return dp_posix_discard(p, c);
	case DP_POSIX_CONNECTING:
		return 0; /* connected() still owed: read after it */
	default:
		dp_posix_rx_del(p, c);
		return 0;
	}
}

/* Error on a socket whose input side is finished (read returns 0 before the error): ask SO_ERROR.
 */
static void
dp_posix_conn_sockerr(struct dp_posix *p, struct dp_posix_conn *c)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err != 0)
		dp_posix_conn_fail(p, c, err);
}

static unsigned
dp_posix_event(struct dp_posix *p, const struct epoll_event *ev)
{
	uint32_t tag = (uint32_t)ev->data.u64, idx = tag & DP_POSIX_TAG_IDX, e = ev->events;
	struct dp_posix_conn *c;

	if (tag & DP_POSIX_TAG_LISTEN) {
		if (idx < p->n_listeners)
			dp_posix_accept_burst(p, &p->listeners[idx]);
		return 1;
	}
	if (!(tag & DP_POSIX_TAG_CONN) || idx >= p->conf.max_conns)
		return 0; /* a foreign fd added by the runtime: its owner drains it */
	c = &p->conns[idx];
	if (c->gen != (uint32_t)(ev->data.u64 >> 32) || c->state == DP_POSIX_FREE ||
	    c->state == DP_POSIX_DEAD)
		return 0; /* stale: the stream ended earlier in this batch */
	if (c->state == DP_POSIX_CONNECTING) {
		if (!(c->flags & DP_POSIX_F_N_CONN) && (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			dp_posix_connect_done(p, c);
		if (c->state == DP_POSIX_DEAD)
			return 1;
		e &= ~(uint32_t)EPOLLOUT;
	}
	if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->flags |= DP_POSIX_F_RDHUP;
	if ((e & EPOLLERR) && (c->flags & DP_POSIX_F_RD_EOF)) {
		dp_posix_conn_sockerr(p, c);
		if (c->state == DP_POSIX_DEAD)
			return 1;
	}
	if ((e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !(c->flags & DP_POSIX_F_RD_EOF))
		dp_posix_rx_add(p, c);
	if ((e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && (c->flags & DP_POSIX_F_WAIT_OUT)) {
		c->flags &= ~DP_POSIX_F_WAIT_OUT;
		dp_posix_tx_add(p, c);
	}
	return 1;
}

/* Owed upcalls; the only place a slot is freed. Bounded: each stream is reaped once. */
unsigned
dp_posix_pend_run(struct dp_posix *p)
{
	unsigned work = 0, guard = 2 * p->conf.max_conns + 16;
	struct dp_posix_conn *c;

	while ((c = TAILQ_FIRST(&p->pend)) != NULL && guard-- > 0) {
		uint32_t f = c->flags;

		TAILQ_REMOVE(&p->pend, c, pend_link);
		c->flags &= ~(DP_POSIX_F_PEND | DP_POSIX_F_N_CONN | DP_POSIX_F_N_WR |
			      DP_POSIX_F_N_REAP | DP_POSIX_F_REAP_CONN);
		work++;
		if (f & DP_POSIX_F_N_REAP) {
			if (f & DP_POSIX_F_REAP_CONN)
				c->s.cbs->connected(c->s.ctx, &c->s, c->reap_err);
			else if (c->s.cbs->closed != NULL)
				c->s.cbs->closed(c->s.ctx, &c->s, c->reap_err);
			dp_posix_conn_free(p, c);
			continue;
		}
		if ((f & DP_POSIX_F_N_CONN) && c->state == DP_POSIX_CONNECTING) {
			c->state = DP_POSIX_ESTABLISHED;
			p->st.connected++;
			c->s.cbs->connected(c->s.ctx, &c->s, 0);
		}
		if ((f & DP_POSIX_F_N_WR) && c->state == DP_POSIX_ESTABLISHED &&
		    !(c->flags & DP_POSIX_F_WR_SHUT) && c->s.cbs->writable != NULL)
			c->s.cbs->writable(c->s.ctx, &c->s);
	}
	return work;
}

/* Orderly closes not finished linger_us after close(): a peer that never sent FIN is left with
 * everything we sent (closed(0)); a peer that never read what was queued gets RST and the stream
 * ends with closed(-ETIMEDOUT), since that data is lost. The list is in deadline order (one
 * linger_us for all), so only its head is checked. */
static void
dp_posix_linger_check(struct dp_posix *p)
{
	struct dp_posix_conn *c;

	while ((c = TAILQ_FIRST(&p->drain)) != NULL && c->linger_deadline_us <= p->now_us) {
		p->st.linger_timeouts++;
		if (c->tx_head != NULL) {
			dp_posix_conn_kill(p, c, -ETIMEDOUT, true);
		} else {
			p->st.closes++;
			dp_posix_conn_kill(p, c, 0, false);
		}
	}
}

static unsigned
dp_posix_poll(struct dp_stack *st, uint64_t now_us)
{
	struct dp_posix *p = dp_posix_from_stack(st);
	unsigned work, rounds;
	int n, i;

	p->now_us = now_us;
	p->st.polls++;
	work = dp_posix_pend_run(p);

	if (p->ev_pending > 0) {
		n = (int)p->ev_pending;
		p->ev_pending = 0;
	} else {
		p->st.epoll_waits++;
		n = epoll_wait(p->epfd, p->events, (int)p->conf.events, 0);
		if (n < 0)
			n = 0; /* EINTR: next poll */
	}
	p->st.epoll_events += (uint64_t)n;
	for (i = 0; i < n; i++)
		work += dp_posix_event(p, &p->events[i]);

	/* One read per socket on the rx list this poll; sockets with more input rotate to the tail.
	 */
	for (rounds = p->rx_n; rounds > 0; rounds--) {
		struct dp_posix_conn *c = TAILQ_FIRST(&p->rx);

		if (c == NULL)
			break;
		work += dp_posix_input(p, c);
		if ((c->flags & DP_POSIX_F_RX) && TAILQ_FIRST(&p->rx) == c) {
			TAILQ_REMOVE(&p->rx, c, rx_link);
			TAILQ_INSERT_TAIL(&p->rx, c, rx_link);
		}
	}
	if (!TAILQ_EMPTY(&p->drain))
		dp_posix_linger_check(p);
	work += dp_posix_pend_run(p);
	return work;
}

static void
dp_posix_flush(struct dp_stack *st)
{
	struct dp_posix *p = dp_posix_from_stack(st);
	struct dp_posix_conn_list todo;
	struct dp_posix_conn *c;

	/* Take the list: a connection with more than iov_max segments re-queues for the next flush.
	 */
	TAILQ_INIT(&todo);
	TAILQ_CONCAT(&todo, &p->tx, tx_link);
	while ((c = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, c, tx_link);
		c->flags &= ~DP_POSIX_F_TX;
		dp_posix_write(p, c);
	}
}

static int
dp_posix_send(struct dp_stream *s, struct rte_mbuf *chain)
{
	struct dp_posix_conn *c = dp_posix_conn_of(s);
	struct dp_posix *p = c->p;
	uint32_t len = chain->pkt_len;

	if (c->state != DP_POSIX_ESTABLISHED || (c->flags & DP_POSIX_F_WR_SHUT))
		return -ENOTCONN;
	/* The bound applies to what is already queued: an empty queue takes any chain, so a chain
	 * larger than sndbuf_bytes cannot block forever. */
	if (c->tx_bytes > 0 && c->tx_bytes + len > p->conf.sndbuf_bytes) {
		p->st.send_eagain++;
		c->flags |= DP_POSIX_F_WANT_WR;
		return -EAGAIN;
	}
	if (c->tx_tail != NULL)
		c->tx_tail->next = chain;
	else
		c->tx_head = chain;
	c->tx_tail = rte_pktmbuf_lastseg(chain);
	c->tx_bytes += len;
	if (!(c->flags & DP_POSIX_F_WAIT_OUT))
		dp_posix_tx_add(p, c);
	return 0;
}

static uint32_t
dp_posix_send_space(const struct dp_stream *s)
{
	const struct dp_posix_conn *c = (const struct dp_posix_conn *)s;
	uint32_t bound = c->p->conf.sndbuf_bytes;

	if (c->state != DP_POSIX_ESTABLISHED || (c->flags & DP_POSIX_F_WR_SHUT))
		return 0;
	return c->tx_bytes >= bound ? 0 : bound - c->tx_bytes;
}

static int
dp_posix_shutdown_wr(struct dp_stream *s)
{
	struct dp_posix_conn *c = dp_posix_conn_of(s);

	if (c->state != DP_POSIX_ESTABLISHED || (c->flags & DP_POSIX_F_WR_SHUT))
		return -ENOTCONN;
	c->flags |= DP_POSIX_F_WR_SHUT;
	if (c->tx_head == NULL)
		dp_posix_wr_finish(c->p, c);
	return 0;
}

static void
dp_posix_close(struct dp_stream *s)
{
	struct dp_posix_conn *c = dp_posix_conn_of(s);
	struct dp_posix *p = c->p;

	switch (c->state) {
	case DP_POSIX_CONNECTING:
		p->st.closes++;
		dp_posix_conn_kill(p, c, 0, false);
		return;
	case DP_POSIX_ESTABLISHED:
		c->flags |= DP_POSIX_F_WR_SHUT | DP_POSIX_F_DRAIN;
		c->state = DP_POSIX_CLOSING;
		c->linger_deadline_us = p->now_us + p->conf.linger_us;
		TAILQ_INSERT_TAIL(&p->drain, c, drain_link);
		if (c->flags & DP_POSIX_F_RX_PAUSED)
			dp_posix_rx_resume(p, c); /* closing reads (and discards) until the FIN */
		if (c->tx_head == NULL)
			dp_posix_wr_finish(p, c);
		return;
	default:
		return;
	}
}

static void
dp_posix_abort(struct dp_stream *s)
{
	struct dp_posix_conn *c = dp_posix_conn_of(s);

	if (c->state == DP_POSIX_FREE || c->state == DP_POSIX_DEAD)
		return;
	c->p->st.aborts++;
	dp_posix_conn_kill(c->p, c, -ECONNABORTED, true);
}

const struct dp_stream_ops dp_posix_stream_ops = {
	.send = dp_posix_send,
	.send_space = dp_posix_send_space,
	.shutdown_wr = dp_posix_shutdown_wr,
	.close = dp_posix_close,
	.abort = dp_posix_abort,
	.rx_released = dp_posix_rx_released,
};

const struct dp_stack_ops dp_posix_stack_ops = {
	.listen = dp_posix_listen,
	.connect = dp_posix_connect,
	.poll = dp_posix_poll,
	.flush = dp_posix_flush,
};
