/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control path of the posix stack: sizing and building a per-core instance, listeners (one
 * SO_REUSEPORT socket per core and address, so the kernel spreads connections over the cores),
 * accept bursts, nonblocking active opens and their completion, and teardown. Everything here runs
 * on the owning core, once per connection or less; the per-byte path is in posix.c.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include "posix_priv.h"

RTE_LOG_REGISTER(dp_posix_logtype, skiff.dp.posix, NOTICE);

#define DP_POSIX_ALIGN 64u

static void
dp_posix_conf_defaults(struct dp_posix_conf *c)
{
	if (c->max_conns == 0)
		c->max_conns = DP_POSIX_DEF_MAX_CONNS;
	if (c->max_listeners == 0)
		c->max_listeners = DP_POSIX_DEF_MAX_LISTENERS;
	if (c->sndbuf_bytes == 0)
		c->sndbuf_bytes = DP_POSIX_DEF_SNDBUF_BYTES;
	if (c->rx_segs == 0)
		c->rx_segs = DP_POSIX_DEF_RX_SEGS;
	if (c->rx_hold_bytes == 0)
		c->rx_hold_bytes = DP_POSIX_DEF_RX_HOLD_BYTES;
	if (c->events == 0)
		c->events = DP_POSIX_DEF_EVENTS;
	if (c->accept_burst == 0)
		c->accept_burst = DP_POSIX_DEF_ACCEPT_BURST;
	if (c->iov_max == 0)
		c->iov_max = DP_POSIX_DEF_IOV_MAX;
	if (c->linger_us == 0)
		c->linger_us = DP_POSIX_DEF_LINGER_US;
	if (c->name == NULL)
		c->name = "posix";
}

static bool
dp_posix_conf_ok(const struct dp_posix_conf *c)
{
	return c->pool != NULL && c->rx_segs <= DP_POSIX_MAX_RX_SEGS &&
	       c->iov_max <= DP_POSIX_DEF_IOV_MAX && c->max_conns <= DP_POSIX_TAG_IDX &&
	       c->max_listeners <= DP_POSIX_TAG_IDX && c->sndbuf_bytes <= INT32_MAX;
}

/* Offsets of the arrays that follow struct dp_posix in one block. */
struct dp_posix_layout {
	size_t conns, listeners, events, iov, stash, total;
};

static void
dp_posix_layout(const struct dp_posix_conf *c, struct dp_posix_layout *l)
{
	size_t off = RTE_ALIGN_CEIL(sizeof(struct dp_posix), DP_POSIX_ALIGN);

	l->conns = off;
	off += RTE_ALIGN_CEIL((size_t)c->max_conns * sizeof(struct dp_posix_conn), DP_POSIX_ALIGN);
	l->listeners = off;
	off += RTE_ALIGN_CEIL((size_t)c->max_listeners * sizeof(struct dp_posix_listener),
			      DP_POSIX_ALIGN);
	l->events = off;
	off += RTE_ALIGN_CEIL((size_t)c->events * sizeof(struct epoll_event), DP_POSIX_ALIGN);
	l->iov = off;
	off += RTE_ALIGN_CEIL((size_t)c->iov_max * sizeof(struct iovec), DP_POSIX_ALIGN);
	l->stash = off;
	off += RTE_ALIGN_CEIL((size_t)c->rx_segs * sizeof(struct rte_mbuf *), DP_POSIX_ALIGN);
	l->total = off;
}

size_t
dp_posix_memsize(const struct dp_posix_conf *conf)
{
	struct dp_posix_conf c;
	struct dp_posix_layout l;

	if (conf == NULL)
		return 0;
	c = *conf;
	dp_posix_conf_defaults(&c);
	if (!dp_posix_conf_ok(&c))
		return 0;
	dp_posix_layout(&c, &l);
	return l.total;
}

struct dp_posix *
dp_posix_init(void *mem, const struct dp_posix_conf *conf)
{
	struct dp_posix_layout l;
	struct dp_posix *p = mem;
	uint32_t i;

	if (mem == NULL || conf == NULL || ((uintptr_t)mem & (DP_POSIX_ALIGN - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (dp_posix_memsize(conf) == 0) {
		errno = EINVAL;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->conf = *conf;
	dp_posix_conf_defaults(&p->conf);
	dp_posix_layout(&p->conf, &l);
	memset((char *)mem + l.conns, 0, l.total - l.conns);

	p->stack.ops = &dp_posix_stack_ops;
	p->stack.name = "posix";
	p->conns = (struct dp_posix_conn *)((char *)mem + l.conns);
	p->listeners = (struct dp_posix_listener *)((char *)mem + l.listeners);
	p->events = (struct epoll_event *)((char *)mem + l.events);
	p->iov = (struct iovec *)((char *)mem + l.iov);
	p->stash = (struct rte_mbuf **)((char *)mem + l.stash);
	TAILQ_INIT(&p->rx);
	TAILQ_INIT(&p->tx);
	TAILQ_INIT(&p->pend);
	TAILQ_INIT(&p->drain);

	/* Free list in index order, so the first connections get the lowest slots. */
	for (i = p->conf.max_conns; i-- > 0;) {
		struct dp_posix_conn *c = &p->conns[i];

		c->p = p;
		c->idx = i;
		c->fd = -1;
		c->s.ops = &dp_posix_stream_ops;
		c->free_next = p->free_list;
		p->free_list = c;
	}
	p->seg_room = (uint32_t)rte_pktmbuf_data_room_size(p->conf.pool) - RTE_PKTMBUF_HEADROOM;

	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		int e = errno;

		DP_POSIX_LOG(ERR, "%s: epoll_create1: %s\n", p->conf.name, strerror(e));
		errno = e;
		return NULL;
	}
	return p;
}

struct dp_stack *
dp_posix_stack(struct dp_posix *p)
{
	return &p->stack;
}

struct dp_posix *
dp_posix_from_stack(struct dp_stack *st)
{
	return (struct dp_posix *)st;
}

const struct dp_posix_stats *
dp_posix_stats(const struct dp_posix *p)
{
	return &p->st;
}

int
dp_posix_epoll_fd(const struct dp_posix *p)
{
	return p->epfd;
}

uint32_t
dp_posix_conns_in_use(const struct dp_posix *p)
{
	return p->conns_in_use;
}

int
dp_posix_stream_fd(const struct dp_stream *s)
{
	return ((const struct dp_posix_conn *)s)->fd;
}

int
dp_posix_stats_telemetry(const struct dp_posix *p, struct rte_tel_data *d)
{
	static const char *const err_names[DP_POSIX_ERR_MAX] = {
		"err_reset",  "err_refused", "err_timedout", "err_unreach",
		"err_nofile", "err_nomem",   "err_other",
	};
	const struct dp_posix_stats *s = &p->st;
	const struct {
		const char *name;
		uint64_t v;
	} f[] = {
		{"polls", s->polls},
		{"epoll_waits", s->epoll_waits},
		{"epoll_events", s->epoll_events},
		{"accepts", s->accepts},
		{"accept_refused", s->accept_refused},
		{"accept_nopool", s->accept_nopool},
		{"connects", s->connects},
		{"connected", s->connected},
		{"connect_failed", s->connect_failed},
		{"read_calls", s->read_calls},
		{"read_bytes", s->read_bytes},
		{"read_eagain", s->read_eagain},
		{"read_eof", s->read_eof},
		{"rx_nombuf", s->rx_nombuf},
		{"write_calls", s->write_calls},
		{"write_bytes", s->write_bytes},
		{"write_eagain", s->write_eagain},
		{"send_eagain", s->send_eagain},
		{"closes", s->closes},
		{"aborts", s->aborts},
		{"resets", s->resets},
		{"drain_bytes", s->drain_bytes},
		{"linger_timeouts", s->linger_timeouts},
		{"conns_in_use", p->conns_in_use},
	};
	unsigned i;

	rte_tel_data_start_dict(d);
	for (i = 0; i < RTE_DIM(f); i++)
		if (rte_tel_data_add_dict_u64(d, f[i].name, f[i].v) < 0)
			return -ENOSPC;
	for (i = 0; i < DP_POSIX_ERR_MAX; i++)
		if (rte_tel_data_add_dict_u64(d, err_names[i], s->errors[i]) < 0)
			return -ENOSPC;
	return 0;
}

int
dp_posix_listen_addr(const struct dp_posix *p, unsigned i, struct dp_addr4 *out)
{
	if (i >= p->n_listeners)
		return -ENOENT;
	*out = p->listeners[i].local;
	return 0;
}

void
dp_posix_err_count(struct dp_posix *p, int err)
{
	enum dp_posix_err k;

	switch (err < 0 ? -err : err) {
	case ECONNRESET:
	case EPIPE:
		k = DP_POSIX_ERR_RESET;
		break;
	case ECONNREFUSED:
		k = DP_POSIX_ERR_REFUSED;
		break;
	case ETIMEDOUT:
		k = DP_POSIX_ERR_TIMEDOUT;
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EADDRNOTAVAIL:
		k = DP_POSIX_ERR_UNREACH;
		break;
	case EMFILE:
	case ENFILE:
		k = DP_POSIX_ERR_NOFILE;
		break;
	case ENOMEM:
	case ENOBUFS:
		k = DP_POSIX_ERR_NOMEM;
		break;
	default:
		k = DP_POSIX_ERR_OTHER;
		break;
	}
	p->st.errors[k]++;
}

struct dp_posix_conn *
dp_posix_conn_alloc(struct dp_posix *p)
{
	struct dp_posix_conn *c = p->free_list;

	if (c == NULL)
		return NULL;
	p->free_list = c->free_next;
	c->free_next = NULL;
	c->flags = 0;
	c->fd = -1;
	c->reap_err = 0;
	c->tx_head = c->tx_tail = NULL;
	c->tx_off = c->tx_bytes = 0;
	c->linger_deadline_us = 0;
	c->s.cbs = NULL;
	c->s.ctx = NULL;
	c->s.rx_held = 0;
	c->s.rx_hold = false;
	memset(&c->s.local, 0, sizeof(c->s.local));
	memset(&c->s.remote, 0, sizeof(c->s.remote));
	p->conns_in_use++;
	return c;
}

void
dp_posix_conn_free(struct dp_posix *p, struct dp_posix_conn *c)
{
	RTE_ASSERT(
		!(c->flags & (DP_POSIX_F_RX | DP_POSIX_F_TX | DP_POSIX_F_PEND | DP_POSIX_F_DRAIN)));
	RTE_ASSERT(c->tx_head == NULL);
	c->state = DP_POSIX_FREE;
	c->gen++;
	c->free_next = p->free_list;
	p->free_list = c;
	p->conns_in_use--;
}

/* Edge-triggered, all events, registered once for the connection's life: with EPOLLET the data path
 * never needs epoll_ctl (no EPOLLOUT toggling after a short write), and the stack keeps its own rx
 * list of sockets that may still hold input, so reads stay bounded per poll without losing the edge
 * and a socket held back for want of mbufs is retried from that list, not from a new event. */
int
dp_posix_conn_register(struct dp_posix *p, struct dp_posix_conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = dp_posix_conn_tag(c),
	};

	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return -errno;
	return 0;
}

static void
dp_posix_addr_from(struct dp_addr4 *a, const struct sockaddr_in *sin)
{
	a->ip = ntohl(sin->sin_addr.s_addr);
	a->port = ntohs(sin->sin_port);
}

static void
dp_posix_addr_to(struct sockaddr_in *sin, const struct dp_addr4 *a)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(a->ip);
	sin->sin_port = htons(a->port);
}

/* Socket options shared by listeners (inherited by accepted sockets) and active opens. */
static int
dp_posix_sock_opts(struct dp_posix *p, int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return -errno;
	if (p->conf.so_sndbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &p->conf.so_sndbuf, sizeof(int)) < 0)
		return -errno;
	if (p->conf.so_rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &p->conf.so_rcvbuf, sizeof(int)) < 0)
		return -errno;
	return 0;
}

int
dp_posix_listen(struct dp_stack *st, const struct dp_addr4 *local, const struct dp_stream_cbs *cbs,
		void *listen_ctx)
{
	struct dp_posix *p = dp_posix_from_stack(st);
	struct dp_posix_listener *l;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct epoll_event ev;
	int fd, one = 1, rc;

	if (local == NULL || cbs == NULL || cbs->accept == NULL)
		return -EINVAL;
	if (p->n_listeners >= p->conf.max_listeners)
		return -ENOMEM;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = dp_posix_sock_opts(p, fd);
	if (rc < 0)
		goto fail;
	dp_posix_addr_to(&sin, local);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) < 0) {
		rc = -errno;
		goto fail;
	}
	l = &p->listeners[p->n_listeners];
	l->fd = fd;
	dp_posix_addr_from(&l->local, &sin);
	l->cbs = cbs;
	l->ctx = listen_ctx;
	/* Level-triggered: a listener with more pending connections than one accept burst simply
	 * reports again on the next epoll_wait. */
	ev.events = EPOLLIN;
	ev.data.u64 = DP_POSIX_TAG_LISTEN | p->n_listeners;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		goto fail;
	}
	p->n_listeners++;
	DP_POSIX_LOG(INFO, "%s: listening on %u.%u.%u.%u:%u\n", p->conf.name, l->local.ip >> 24,
		     (l->local.ip >> 16) & 0xff, (l->local.ip >> 8) & 0xff, l->local.ip & 0xff,
		     l->local.port);
	return 0;
fail:
	DP_POSIX_LOG(ERR, "%s: cannot listen on port %u: %s\n", p->conf.name, local->port,
		     strerror(-rc));
	close(fd);
	return rc;
}

/* Reset a socket we will not serve: SO_LINGER 0 makes close() send RST. */
void
dp_posix_fd_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void
dp_posix_accept_one(struct dp_posix *p, struct dp_posix_listener *l, int fd,
		    const struct sockaddr_in *peer)
{
	struct dp_posix_conn *c = dp_posix_conn_alloc(p);
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	void *ctx;
	int rc;

	if (c == NULL) {
		p->st.accept_nopool++;
		dp_posix_fd_reset(fd);
		return;
	}
	c->fd = fd;
	c->s.cbs = l->cbs;
	dp_posix_addr_from(&c->s.remote, peer);
	c->s.local = l->local;
	if (l->local.ip == 0 && getsockname(fd, (struct sockaddr *)&sin, &slen) == 0)
		dp_posix_addr_from(&c->s.local, &sin);
	c->state = DP_POSIX_ESTABLISHED;
	rc = dp_posix_conn_register(p, c);
	if (rc < 0) {
		dp_posix_err_count(p, rc);
		dp_posix_fd_reset(fd);
		c->fd = -1;
		dp_posix_conn_free(p, c);
		return;
	}
	p->st.accepts++;
	ctx = l->cbs->accept(l->ctx, &c->s);
	if (ctx == NULL) {
		/* Refused: RST, and no closed() since the user never took the stream. */
		p->st.accept_refused++;
		dp_posix_tx_purge(c);
		dp_posix_rx_del(p, c);
		dp_posix_tx_del(p, c);
		dp_posix_fd_reset(fd);
		c->fd = -1;
		if (!(c->flags & DP_POSIX_F_PEND))
			dp_posix_conn_free(p, c);
		else
			c->state = DP_POSIX_DEAD;
		return;
	}
	c->s.ctx = ctx;
}

void
dp_posix_accept_burst(struct dp_posix *p, struct dp_posix_listener *l)
{
	uint32_t i;

	for (i = 0; i < p->conf.accept_burst; i++) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EMFILE and the like: counted; the listener stays ready and is retried
			 * next poll. */
			dp_posix_err_count(p, errno);
			return;
		}
		dp_posix_accept_one(p, l, fd, &peer);
	}
}

static int
dp_posix_connect_err(int err)
{
	switch (err) {
	case ENETUNREACH:
	case EHOSTDOWN:
		return -EHOSTUNREACH;
	default:
		return -err;
	}
}

int
dp_posix_connect(struct dp_stack *st, const struct dp_addr4 *remote,
		 const struct dp_stream_cbs *cbs, void *ctx, struct dp_stream **out)
{
	struct dp_posix *p = dp_posix_from_stack(st);
	struct dp_posix_conn *c;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd, rc;

	if (remote == NULL || cbs == NULL || cbs->connected == NULL || out == NULL)
		return -EINVAL;
	c = dp_posix_conn_alloc(p);
	if (c == NULL) {
		p->st.accept_nopool++;
		return -ENOMEM;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		dp_posix_err_count(p, rc);
		dp_posix_conn_free(p, c);
		return rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS ? -ENOMEM : rc;
	}
	c->fd = fd;
	c->s.cbs = cbs;
	c->s.ctx = ctx;
	c->s.remote = *remote;
	c->state = DP_POSIX_CONNECTING;
	rc = dp_posix_sock_opts(p, fd);
	if (rc < 0)
		goto fail;
	p->st.connects++;
	dp_posix_addr_to(&sin, remote);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = errno;

		if (e == EADDRNOTAVAIL || e == EHOSTUNREACH || e == ENETUNREACH) {
			rc = dp_posix_connect_err(e);
			goto fail;
		}
		if (e != EINPROGRESS) {
			/* Refused at once (loopback can answer inside connect()): the result is
			 * still reported through connected(), as for any active open. */
			dp_posix_err_count(p, e);
			p->st.connect_failed++;
			c->flags |= DP_POSIX_F_REAP_CONN;
			dp_posix_conn_kill(p, c, dp_posix_connect_err(e), false);
			*out = &c->s;
			return 0;
		}
	} else {
		dp_posix_pend_add(p, c, DP_POSIX_F_N_CONN);
	}
	if (getsockname(fd, (struct sockaddr *)&sin, &slen) == 0)
		dp_posix_addr_from(&c->s.local, &sin);
	rc = dp_posix_conn_register(p, c);
	if (rc < 0) {
		if (c->flags & DP_POSIX_F_PEND) {
			c->flags &= ~(DP_POSIX_F_PEND | DP_POSIX_F_N_CONN);
			TAILQ_REMOVE(&p->pend, c, pend_link);
		}
		goto fail;
	}
	*out = &c->s;
	return 0;
fail:
	dp_posix_err_count(p, rc);
	close(fd);
	c->fd = -1;
	dp_posix_conn_free(p, c);
	return rc;
}

/* EPOLLOUT or an error on a connecting socket: SO_ERROR says how the handshake ended. */
void
dp_posix_connect_done(struct dp_posix *p, struct dp_posix_conn *c)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err == 0) {
		struct sockaddr_in sin;
		socklen_t slen = sizeof(sin);

		if (getsockname(c->fd, (struct sockaddr *)&sin, &slen) == 0)
			dp_posix_addr_from(&c->s.local, &sin);
		dp_posix_pend_add(p, c, DP_POSIX_F_N_CONN);
		return;
	}
	dp_posix_err_count(p, err);
	p->st.connect_failed++;
	c->flags |= DP_POSIX_F_REAP_CONN;
	dp_posix_conn_kill(p, c, dp_posix_connect_err(err), false);
}

int
dp_posix_wait(struct dp_posix *p, uint32_t max_us)
{
	struct timespec ts = {.tv_sec = max_us / 1000000u,
			      .tv_nsec = (long)(max_us % 1000000u) * 1000};
	int n;

	if (p->ev_pending > 0)
		return (int)p->ev_pending;
	if (max_us == 0 || !TAILQ_EMPTY(&p->tx) || !TAILQ_EMPTY(&p->pend))
		return 0;
	/* Sockets with input held back only for want of mbufs are no reason to spin: sleep (up to
	 * max_us) until mbufs come back or another socket wakes us. */
	if (p->rx_n > 0 && dp_posix_stash_fill(p) > 0)
		return 0;
	p->st.epoll_waits++;
	n = epoll_pwait2(p->epfd, p->events, (int)p->conf.events, &ts, NULL);
	if (n < 0)
		return -errno;
	p->ev_pending = (uint32_t)n;
	return n;
}

void
dp_posix_listen_close_all(struct dp_posix *p)
{
	uint32_t i;

	for (i = 0; i < p->n_listeners; i++)
		close(p->listeners[i].fd);
	p->n_listeners = 0;
}

void
dp_posix_fini(struct dp_posix *p)
{
	uint32_t i;

	/* Owed upcalls first, so every stream gets exactly one final upcall. */
	dp_posix_pend_run(p);
	for (i = 0; i < p->conf.max_conns; i++) {
		struct dp_posix_conn *c = &p->conns[i];

		if (c->state != DP_POSIX_FREE && c->state != DP_POSIX_DEAD)
			dp_posix_conn_kill(p, c, -ESHUTDOWN, false);
	}
	dp_posix_pend_run(p);
	dp_posix_listen_close_all(p);
	if (p->stash_n > 0)
		rte_pktmbuf_free_bulk(p->stash, p->stash_n);
	p->stash_n = 0;
	p->ev_pending = 0;
	close(p->epfd);
	p->epfd = -1;
}
