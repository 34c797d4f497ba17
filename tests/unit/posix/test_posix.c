/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the posix stack (dataplane/posix) over loopback 127.0.0.1, no root. An upper layer in
 * this file plays the engine (echo: data() sends the chain straight back, zero-copy; sink; hold),
 * and kernel sockets driven from the same thread (nonblocking) play the peers. Everything runs on
 * the test thread: dp_stack_poll/flush, then the kernel peer, in a loop bounded in time.
 *
 * Covers: a bulk echo checked byte for byte both ways (SKIFF_POSIX_ECHO_MIB: 16 MiB by default,
 * 256 MiB in the integration suite), 1,000 connections at once, half-close, shutdown_wr, connect
 * refused, active open both ways, orderly close, abort, peer reset, refused accept, linger bound,
 * mbuf shortage without data loss, send-space bound and writable(), small writev/readv batches,
 * SO_REUSEPORT over two instances, dp_posix_wait, configuration checks, and a seeded chaos run
 * (SKIFF_POSIX_CHAOS_SEED replays one). Every fixture checks that the mbuf pool is back to its
 * baseline and the connection pool empty at the end.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <check.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>

#include <dp/posix.h>
#include <dp/stream.h>

#include "../../common/sk_test_eal.h"

#define LO 0x7f000001u
#define POOL_N 16383u
#define MAX_TC 2048

/* ---- clock, data pattern ------------------------------------------------------------------ */

static uint64_t
t_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t
t_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte @p off of stream @p seed: position-dependent, so loss, duplication or reordering shows. */
static void
t_gen(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t v = t_mix((off + i) / 8 ^ seed << 40);
		unsigned b = (unsigned)((off + i) % 8);

		for (; b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(v >> (8 * b));
	}
}

static bool
t_check(uint64_t seed, uint64_t off, const uint8_t *buf, size_t len)
{
	uint8_t ref[4096];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(ref) ? len - done : sizeof(ref);

		t_gen(seed, off + done, ref, n);
		if (memcmp(ref, buf + done, n) != 0)
			return false;
		done += n;
	}
	return true;
}

/* ---- the upper layer ---------------------------------------------------------------------- */

enum t_mode { T_ECHO, T_SINK, T_HOLD, T_FIN_ECHO, T_ABORT };

struct t_conn {
	bool used;
	struct dp_stream *s;
	struct rte_mbuf *pend; /* echo data the stack refused (-EAGAIN), or held data */
	uint64_t rx_bytes;
	uint64_t seed; /* T_SINK verifies against this pattern when nonzero */
	bool rx_bad;
	bool peer_fin;
	bool closed;
	int closed_err;
	bool connected;
	int connected_err;
	unsigned writable;
};

struct t_app {
	enum t_mode mode;
	bool close_on_fin; /* T_ECHO: close once the peer's FIN came and all is sent */
	bool refuse;	   /* accept() returns NULL */
	unsigned n_seeded; /* streams from these client ports verify input against a seed */
	uint16_t seeded_port[4];
	uint64_t seeded_seed[4];
	struct t_conn c[MAX_TC];
	unsigned accepted, closed, refused_accept;
};

static struct t_app app;
static struct rte_mempool *pool;
static unsigned pool_baseline;
static void *stack_mem;
static struct dp_posix *px;
static struct dp_stack *st;

static struct t_conn *
t_conn_new(void)
{
	for (unsigned i = 0; i < MAX_TC; i++) {
		if (!app.c[i].used) {
			memset(&app.c[i], 0, sizeof(app.c[i]));
			app.c[i].used = true;
			return &app.c[i];
		}
	}
	return NULL;
}

/* Append @p chain to the pending chain (flat list through ->next). */
static void
t_pend_add(struct t_conn *tc, struct rte_mbuf *chain)
{
	if (tc->pend == NULL) {
		tc->pend = chain;
		return;
	}
	rte_pktmbuf_lastseg(tc->pend)->next = chain;
	tc->pend->pkt_len += chain->pkt_len;
	tc->pend->nb_segs = (uint16_t)RTE_MIN(tc->pend->nb_segs + chain->nb_segs, UINT16_MAX);
}

static void
t_pend_push(struct t_conn *tc)
{
	int rc = tc->pend != NULL ? dp_stream_send(tc->s, tc->pend) : 0;

	if (rc == -ENOTCONN)
		rte_pktmbuf_free(tc->pend); /* we shut our side: nothing can go out any more */
	if (rc != -EAGAIN)
		tc->pend = NULL;
	if (tc->pend == NULL && tc->peer_fin && app.close_on_fin)
		dp_stream_close(tc->s);
}

static void *
t_accept(void *lctx, struct dp_stream *s)
{
	struct t_conn *tc;

	(void)lctx;
	tc = app.refuse ? NULL : t_conn_new();
	if (tc == NULL) {
		app.refused_accept++;
		return NULL;
	}
	tc->s = s;
	for (unsigned i = 0; i < app.n_seeded; i++)
		if (s->remote.port == app.seeded_port[i])
			tc->seed = app.seeded_seed[i];
	app.accepted++;
	return tc;
}

static void
t_connected(void *ctx, struct dp_stream *s, int err)
{
	struct t_conn *tc = ctx;

	tc->s = s;
	tc->connected = true;
	tc->connected_err = err;
	if (err != 0)
		tc->used = false;
}

static void
t_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct t_conn *tc = ctx;

	ck_assert_ptr_eq(tc->s, s);
	ck_assert_uint_gt(chain->pkt_len, 0);
	if (tc->seed != 0) {
		uint8_t buf[2048];
		struct rte_mbuf *m;
		uint64_t off = tc->rx_bytes;

		for (m = chain; m != NULL; m = m->next) {
			ck_assert_uint_le(m->data_len, sizeof(buf));
			memcpy(buf, rte_pktmbuf_mtod(m, void *), m->data_len);
			if (!t_check(tc->seed, off, buf, m->data_len))
				tc->rx_bad = true;
			off += m->data_len;
		}
	}
	tc->rx_bytes += chain->pkt_len;
	switch (app.mode) {
	case T_ECHO:
		if (tc->pend != NULL) {
			t_pend_add(tc, chain);
			t_pend_push(tc);
		} else {
			int rc = dp_stream_send(s, chain);

			if (rc == -EAGAIN)
				tc->pend = chain;
			else if (rc != 0)
				rte_pktmbuf_free(chain);
		}
		break;
	case T_HOLD:
	case T_FIN_ECHO:
		t_pend_add(tc, chain);
		break;
	case T_ABORT:
		rte_pktmbuf_free(chain);
		dp_stream_abort(s);
		break;
	default:
		rte_pktmbuf_free(chain);
		break;
	}
}

static void
t_writable(void *ctx, struct dp_stream *s)
{
	struct t_conn *tc = ctx;

	(void)s;
	tc->writable++;
	t_pend_push(tc);
}

static void
t_peer_closed(void *ctx, struct dp_stream *s)
{
	struct t_conn *tc = ctx;

	tc->peer_fin = true;
	if (app.mode == T_FIN_ECHO) {
		/* Half-close: the peer is done sending, we still send everything back, then close.
		 */
		struct rte_mbuf *m = tc->pend;

		tc->pend = NULL;
		if (m != NULL)
			ck_assert_int_eq(dp_stream_send(s, m), 0);
		dp_stream_close(s);
	} else if (app.close_on_fin) {
		t_pend_push(tc);
	}
}

static void
t_closed(void *ctx, struct dp_stream *s, int err)
{
	struct t_conn *tc = ctx;

	ck_assert_ptr_eq(tc->s, s);
	ck_assert(!tc->closed);
	tc->closed = true;
	tc->closed_err = err;
	if (tc->pend != NULL)
		rte_pktmbuf_free(tc->pend);
	tc->pend = NULL;
	app.closed++;
}

static const struct dp_stream_cbs t_cbs = {
	.accept = t_accept,
	.connected = t_connected,
	.data = t_data,
	.writable = t_writable,
	.peer_closed = t_peer_closed,
	.closed = t_closed,
};

/* ---- stack and kernel-peer helpers -------------------------------------------------------- */

static struct dp_posix *
t_stack_conf(const struct dp_posix_conf *cf, void **mem_out)
{
	struct dp_posix_conf conf = *cf;
	size_t sz = dp_posix_memsize(&conf);
	void *mem;
	struct dp_posix *p;

	ck_assert_uint_gt(sz, 0);
	mem = aligned_alloc(64, RTE_ALIGN_CEIL(sz, 64));
	ck_assert_ptr_nonnull(mem);
	p = dp_posix_init(mem, &conf);
	ck_assert_ptr_nonnull(p);
	*mem_out = mem;
	return p;
}

static struct dp_posix *
t_stack_new_linger(struct rte_mempool *mp, uint32_t sndbuf, uint32_t linger_us, void **mem_out)
{
	struct dp_posix_conf conf = {
		.pool = mp,
		.max_conns = MAX_TC,
		.sndbuf_bytes = sndbuf,
		.linger_us = linger_us,
		.name = "tposix",
	};

	return t_stack_conf(&conf, mem_out);
}

static struct dp_posix *
t_stack_new(struct rte_mempool *mp, uint32_t sndbuf, void **mem_out)
{
	return t_stack_new_linger(mp, sndbuf, 2000000, mem_out);
}

static void
t_setup(void)
{
	memset(&app, 0, sizeof(app));
	pool_baseline = rte_mempool_avail_count(pool);
	px = t_stack_new(pool, 0, &stack_mem);
	st = dp_posix_stack(px);
}

static void
t_teardown(void)
{
	unsigned i;

	dp_posix_fini(px);
	ck_assert_uint_eq(dp_posix_conns_in_use(px), 0);
	free(stack_mem);
	for (i = 0; i < MAX_TC; i++)
		if (app.c[i].used && app.c[i].pend != NULL)
			rte_pktmbuf_free(app.c[i].pend);
	/* Fixtures fail on leaks: every mbuf back in the pool. */
	ck_assert_uint_eq(rte_mempool_avail_count(pool), pool_baseline);
}

static void
t_step(void)
{
	dp_stack_poll(st, t_now_us());
	dp_stack_flush(st);
}

/* Poll until *flag or the time runs out. */
#define T_UNTIL(cond, ms)                                                                          \
	do {                                                                                       \
		uint64_t t_end_ = t_now_us() + (uint64_t)(ms)*1000u;                               \
		while (!(cond) && t_now_us() < t_end_)                                             \
			t_step();                                                                  \
		ck_assert_msg((cond), "timed out waiting for: %s", #cond);                         \
	} while (0)

static uint16_t
t_listen(struct dp_stack *s)
{
	struct dp_addr4 a = {.ip = LO, .port = 0}, got;

	ck_assert_int_eq(dp_stack_listen(s, &a, &t_cbs, &app), 0);
	ck_assert_int_eq(dp_posix_listen_addr(dp_posix_from_stack(s), 0, &got), 0);
	ck_assert_uint_eq(got.ip, LO);
	ck_assert_uint_ne(got.port, 0);
	return got.port;
}

static int
t_client_rcvbuf(uint16_t port, int rcvbuf)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(LO)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	if (rcvbuf > 0)
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		ck_assert_int_eq(errno, EINPROGRESS);
	return fd;
}

static int
t_client(uint16_t port)
{
	return t_client_rcvbuf(port, 0);
}

static struct t_conn *
t_only_conn(void)
{
	for (unsigned i = 0; i < MAX_TC; i++)
		if (app.c[i].used)
			return &app.c[i];
	return NULL;
}

/* Read everything available from @p fd, verify it against @p seed at *off. @return bytes, -1 on
 * EOF, -2 on error (errno kept). */
static ssize_t
t_read_check(int fd, uint64_t seed, uint64_t *off, bool *bad)
{
	static uint8_t buf[256 * 1024];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		if (!t_check(seed, *off, buf, (size_t)n))
			*bad = true;
		*off += (uint64_t)n;
		return n;
	}
	if (n == 0)
		return -1;
	return errno == EAGAIN ? 0 : -2;
}

/* Write the next part of stream @p seed from *off, up to @p end. */
static void
t_write_gen(int fd, uint64_t seed, uint64_t *off, uint64_t end)
{
	static uint8_t buf[256 * 1024];
	size_t len = end - *off < sizeof(buf) ? (size_t)(end - *off) : sizeof(buf);
	ssize_t n;

	if (len == 0)
		return;
	t_gen(seed, *off, buf, len);
	n = write(fd, buf, len);
	if (n > 0)
		*off += (uint64_t)n;
	else
		ck_assert_int_eq(errno, EAGAIN);
}

/* A chain of @p len bytes of stream @p seed from offset @p off, from the pool. */
static struct rte_mbuf *
t_chain(uint64_t seed, uint64_t off, uint32_t len)
{
	struct rte_mbuf *head = NULL, *prev = NULL;

	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint32_t n = RTE_MIN(len, 2048u);

		ck_assert_ptr_nonnull(m);
		t_gen(seed, off, (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n), n);
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		prev = m;
		off += n;
		len -= n;
	}
	return head;
}

/* ---- tests -------------------------------------------------------------------------------- */

/* Bulk through echo, two clients at once, every byte checked on the way back. */
START_TEST(test_echo_integrity)
{
	const char *env = getenv("SKIFF_POSIX_ECHO_MIB");
	uint64_t total = (uint64_t)(env ? strtoul(env, NULL, 10) : 16) << 20;
	enum { NCLI = 2 };
	int fd[NCLI];
	uint64_t woff[NCLI] = {0}, roff[NCLI] = {0};
	bool bad = false;
	uint16_t port;
	uint64_t end, last = 0;
	unsigned i, done;
	const struct dp_posix_stats *ps = dp_posix_stats(px);

	app.mode = T_ECHO;
	port = t_listen(st);
	for (i = 0; i < NCLI; i++) {
		struct sockaddr_in me;
		socklen_t ml = sizeof(me);

		fd[i] = t_client(port);
		/* The stack checks what arrives too, before echoing it: integrity both ways. */
		ck_assert_int_eq(getsockname(fd[i], (struct sockaddr *)&me, &ml), 0);
		app.seeded_port[i] = ntohs(me.sin_port);
		app.seeded_seed[i] = 100 + i;
		app.n_seeded++;
	}
	/* Bounded by progress: fail after 5 s without a byte coming back. */
	end = t_now_us() + 5000000;
	do {
		t_step();
		done = 0;
		for (i = 0; i < NCLI; i++) {
			t_write_gen(fd[i], 100 + i, &woff[i], total);
			ck_assert_int_ge(t_read_check(fd[i], 100 + i, &roff[i], &bad), 0);
			done += roff[i] == total;
		}
		if (roff[0] + roff[1] != last) {
			last = roff[0] + roff[1];
			end = t_now_us() + 5000000;
		}
	} while (done < NCLI && t_now_us() < end);
	ck_assert(!bad);
	for (i = 0; i < NCLI; i++) {
		ck_assert_uint_eq(roff[i], total);
		ck_assert_uint_eq(app.c[i].seed,
				  100 + (uint64_t)(app.c[i].s->remote.port == app.seeded_port[1]));
		ck_assert_uint_eq(app.c[i].rx_bytes, total);
		ck_assert(!app.c[i].rx_bad);
	}
	ck_assert_uint_eq(ps->read_bytes, NCLI * total);
	ck_assert_uint_eq(ps->write_bytes, NCLI * total);
	ck_assert_uint_eq(ps->accepts, NCLI);
	/* The peers close: the echo side sees FIN and closes too. */
	app.close_on_fin = true;
	for (i = 0; i < NCLI; i++)
		shutdown(fd[i], SHUT_WR);
	T_UNTIL(app.closed == NCLI, 5000);
	for (i = 0; i < NCLI; i++) {
		uint8_t b;

		ck_assert_int_eq(read(fd[i], &b, 1), 0);
		close(fd[i]);
	}
	ck_assert_int_eq(app.c[0].closed_err, 0);
	ck_assert_int_eq(app.c[1].closed_err, 0);
	ck_assert_uint_eq(dp_posix_conns_in_use(px), 0);
}
END_TEST

/* 1,000 connections at once, each echoing its own bytes. */
START_TEST(test_many_conns)
{
	enum { N = 1000 };
	static int fd[N];
	static uint64_t roff[N];
	struct rlimit rl;
	bool bad = false;
	uint16_t port;
	unsigned i, got;
	uint64_t end;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 4 * N) {
		rl.rlim_cur = rl.rlim_max < 4 * N ? rl.rlim_max : 4 * N;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	ck_assert_uint_ge(rl.rlim_cur, 2 * N + 64);
	app.mode = T_ECHO;
	app.close_on_fin = true;
	port = t_listen(st);
	memset(roff, 0, sizeof(roff));
	for (i = 0; i < N; i++) {
		fd[i] = t_client(port);
		if (i % 64 == 63)
			t_step(); /* keep the backlog short */
	}
	T_UNTIL(app.accepted == N, 10000);
	for (i = 0; i < N; i++) {
		uint8_t b[100];

		t_gen(1000 + i, 0, b, sizeof(b));
		ck_assert_int_eq(write(fd[i], b, sizeof(b)), (ssize_t)sizeof(b));
	}
	end = t_now_us() + 10u * 1000000u;
	do {
		t_step();
		got = 0;
		for (i = 0; i < N; i++) {
			if (roff[i] < 100)
				ck_assert_int_ge(t_read_check(fd[i], 1000 + i, &roff[i], &bad), 0);
			got += roff[i] == 100;
		}
	} while (got < N && t_now_us() < end);
	ck_assert(!bad);
	ck_assert_uint_eq(got, N);
	ck_assert_uint_eq(dp_posix_conns_in_use(px), N);
	for (i = 0; i < N; i++)
		close(fd[i]);
	T_UNTIL(app.closed == N, 10000);
	for (i = 0; i < MAX_TC; i++)
		if (app.c[i].used)
			ck_assert_int_eq(app.c[i].closed_err, 0);
	ck_assert_uint_eq(dp_posix_stats(px)->accepts, N);
	ck_assert_uint_eq(dp_posix_conns_in_use(px), 0);
}
END_TEST

/* The peer sends and half-closes; only then do we send everything back, then close. */
START_TEST(test_half_close)
{
	const uint64_t total = 3u << 20;
	uint64_t woff = 0, roff = 0;
	bool bad = false, eof = false;
	struct t_conn *tc;
	uint16_t port;
	int fd;
	uint64_t end;

	app.mode = T_FIN_ECHO;
	port = t_listen(st);
	fd = t_client(port);
	T_UNTIL(app.accepted == 1, 2000);
	tc = t_only_conn();
	tc->seed = 7; /* verify on the way in too */
	end = t_now_us() + 20u * 1000000u;
	while (woff < total && t_now_us() < end) {
		t_write_gen(fd, 7, &woff, total);
		t_step();
	}
	ck_assert_uint_eq(woff, total);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	T_UNTIL(tc->peer_fin, 5000);
	ck_assert(!tc->rx_bad);
	ck_assert_uint_eq(tc->rx_bytes, total);
	while (!eof && t_now_us() < end) {
		ssize_t r;

		t_step();
		r = t_read_check(fd, 7, &roff, &bad);
		ck_assert_int_ne(r, -2);
		eof = r == -1;
	}
	ck_assert(eof);
	ck_assert(!bad);
	ck_assert_uint_eq(roff, total);
	T_UNTIL(tc->closed, 5000);
	ck_assert_int_eq(tc->closed_err, 0);
	close(fd);
}
END_TEST

static uint16_t
t_closed_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(LO)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd); /* bound, never listening, now closed: nothing listens on it */
	return ntohs(sin.sin_port);
}

START_TEST(test_connect_refused)
{
	struct dp_addr4 ra = {.ip = LO, .port = t_closed_port()};
	struct t_conn *tc = t_conn_new();
	struct dp_stream *s = NULL;

	ck_assert_int_eq(dp_stack_connect(st, &ra, &t_cbs, tc, &s), 0);
	ck_assert_ptr_nonnull(s);
	T_UNTIL(tc->connected, 5000);
	ck_assert_int_eq(tc->connected_err, -ECONNREFUSED);
	ck_assert(!tc->closed);
	ck_assert_uint_eq(dp_posix_stats(px)->connect_failed, 1);
	ck_assert_uint_eq(dp_posix_stats(px)->errors[DP_POSIX_ERR_REFUSED], 1);
	ck_assert_uint_eq(dp_posix_conns_in_use(px), 0);
	{
		struct rte_tel_data *d = rte_tel_data_alloc();

		ck_assert_ptr_nonnull(d);
		ck_assert_int_eq(dp_posix_stats_telemetry(px, d), 0);
		rte_tel_data_free(d);
	}
}
END_TEST

/* Active open to a kernel listener, data both ways, then orderly close from our side. */
START_TEST(test_active_open)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(LO)};
	socklen_t len = sizeof(sin);
	const uint64_t total = 2u << 20;
	uint64_t sent = 0, woff = 0, roff = 0, end;
	struct dp_addr4 ra = {.ip = LO};
	struct t_conn *tc = t_conn_new();
	struct dp_stream *s = NULL;
	bool bad = false, eof = false;
	int lfd, fd = -1;

	app.mode = T_SINK;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	ra.port = ntohs(sin.sin_port);
	tc->seed = 21;
	ck_assert_int_eq(dp_stack_connect(st, &ra, &t_cbs, tc, &s), 0);
	T_UNTIL(tc->connected, 5000);
	ck_assert_int_eq(tc->connected_err, 0);
	ck_assert_uint_eq(s->remote.port, ra.port);
	ck_assert_uint_eq(s->local.ip, LO);
	ck_assert_uint_ne(s->local.port, 0);
	end = t_now_us() + 2000000;
	while (fd < 0 && t_now_us() < end)
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	end = t_now_us() + 30u * 1000000u;
	while ((roff < total || tc->rx_bytes < total) && t_now_us() < end) {
		/* Us → kernel, chains of up to 64 KiB while send space lasts. */
		while (sent < total) {
			uint32_t n = (uint32_t)RTE_MIN(total - sent, 65536u);
			struct rte_mbuf *m;

			if (dp_stream_send_space(s) < n)
				break;
			m = t_chain(20, sent, n);
			ck_assert_int_eq(dp_stream_send(s, m), 0);
			sent += n;
		}
		t_write_gen(fd, 21, &woff, total); /* kernel → us, checked in t_data */
		t_step();
		ck_assert_int_ge(t_read_check(fd, 20, &roff, &bad), 0);
	}
	ck_assert(!bad);
	ck_assert(!tc->rx_bad);
	ck_assert_uint_eq(roff, total);
	ck_assert_uint_eq(tc->rx_bytes, total);
	dp_stream_close(s);
	{
		struct rte_mbuf *m = t_chain(20, 0, 1);

		ck_assert_int_eq(dp_stream_send(s, m), -ENOTCONN); /* refused: still ours */
		rte_pktmbuf_free(m);
	}
	while (!eof && t_now_us() < end) {
		t_step();
		eof = t_read_check(fd, 20, &roff, &bad) == -1;
	}
	ck_assert(eof);
	ck_assert(!tc->closed); /* draining: our FIN is out, the peer's not yet in */
	close(fd);
	T_UNTIL(tc->closed, 5000);
	ck_assert_int_eq(tc->closed_err, 0);
	ck_assert_uint_eq(dp_posix_stats(px)->connected, 1);
	close(lfd);
}
END_TEST

/* We send and close at once: everything queued still reaches the peer, then FIN. */
START_TEST(test_orderly_close)
{
	const uint32_t total = 600000;
	uint64_t roff = 0, end;
	bool bad = false, eof = false;
	struct t_conn *tc;
	uint16_t port;
	int fd;

	app.mode = T_SINK;
	port = t_listen(st);
	fd = t_client(port);
	T_UNTIL(app.accepted == 1, 2000);
	tc = t_only_conn();
	ck_assert_int_eq(dp_stream_send(tc->s, t_chain(5, 0, total)), 0);
	dp_stream_close(tc->s);
	end = t_now_us() + 10u * 1000000u;
	while (!eof && t_now_us() < end) {
		ssize_t r;

		t_step();
		r = t_read_check(fd, 5, &roff, &bad);
		ck_assert_int_ne(r, -2);
		eof = r == -1;
	}
	ck_assert(eof);
	ck_assert(!bad);
	ck_assert_uint_eq(roff, total);
	/* Bytes sent to a closing stream are read and discarded, never reset. */
	ck_assert_int_eq(write(fd, "late", 4), 4);
	close(fd);
	T_UNTIL(tc->closed, 5000);
	ck_assert_int_eq(tc->closed_err, 0);
	ck_assert_uint_eq(dp_posix_stats(px)->closes, 1);
}
END_TEST

/* abort(): RST to the peer, queued data dropped, closed(-ECONNABORTED). */
START_TEST(test_abort)
{
	struct t_conn *tc;
	uint16_t port;
	int fd, r = 0;
	uint64_t end;
	char b[65536];

	app.mode = T_ABORT;
	port = t_listen(st);
	fd = t_client(port);
	T_UNTIL(app.accepted == 1, 2000);
	tc = t_only_conn();
	ck_assert_int_eq(dp_stream_send(tc->s, t_chain(1, 0, 10000)), 0); /* dropped by abort */
	ck_assert_int_eq(write(fd, "x", 1), 1);
	T_UNTIL(tc->closed, 5000);
	ck_assert_int_eq(tc->closed_err, -ECONNABORTED);
	end = t_now_us() + 2000000;
	do {
		/* Data written before the abort may come first; then the reset. */
		r = (int)read(fd, b, sizeof(b));
	} while ((r > 0 || (r < 0 && errno == EAGAIN)) && t_now_us() < end);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_uint_eq(dp_posix_stats(px)->aborts, 1);
	close(fd);
}
END_TEST

/* The peer resets: closed(-ECONNRESET). */
START_TEST(test_peer_reset)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct t_conn *tc;
	uint16_t port;
	int fd;

	app.mode = T_ECHO;
	port = t_listen(st);
	fd = t_client(port);
	T_UNTIL(app.accepted == 1, 2000);
	tc = t_only_conn();
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(fd);
	T_UNTIL(tc->closed, 5000);
	ck_assert_int_eq(tc->closed_err, -ECONNRESET);
	ck_assert_uint_eq(dp_posix_stats(px)->resets, 1);
	ck_assert_uint_eq(dp_posix_stats(px)->errors[DP_POSIX_ERR_RESET], 1);
}
END_TEST

/* A pool too small for the input: reads wait for mbufs (counted), nothing is lost. */
/* Listen on loopback with stack @p p2, connect a kernel client (*fd) and poll until the stream is
 * accepted (bounded): the test's only connection. */
static struct t_conn *
t_accept_one(struct dp_posix *p2, int *fd)
{
	struct dp_stack *st2 = dp_posix_stack(p2);
	struct dp_addr4 a = {.ip = LO}, got;
	uint64_t end = t_now_us() + 20u * 1000000u;
	struct t_conn *tc;

	ck_assert_int_eq(dp_stack_listen(st2, &a, &t_cbs, &app), 0);
	ck_assert_int_eq(dp_posix_listen_addr(p2, 0, &got), 0);
	*fd = t_client(got.port);
	while (app.accepted == 0 && t_now_us() < end)
		dp_stack_poll(st2, t_now_us());
	tc = t_only_conn();
	ck_assert_ptr_nonnull(tc);
	return tc;
}

START_TEST(test_nombuf)
{
	struct rte_mempool *small;
	struct dp_posix *p2;
	struct dp_stack *st2;
	void *mem2;
	const uint64_t total = 1u << 20;
	uint64_t woff = 0, roff = 0, end;
	bool bad = false;
	struct t_conn *tc;
	int fd;

	small = rte_pktmbuf_pool_create("tsmall", 127, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(small);
	p2 = t_stack_new(small, 0, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_HOLD;
	tc = t_accept_one(p2, &fd);
	end = t_now_us() + 20u * 1000000u;
	/* Hold everything until the pool runs dry and the stack has to wait. */
	while (dp_posix_stats(p2)->rx_nombuf < 3 && t_now_us() < end) {
		t_write_gen(fd, 9, &woff, total);
		dp_stack_poll(st2, t_now_us());
	}
	ck_assert_uint_ge(dp_posix_stats(p2)->rx_nombuf, 3);
	ck_assert_uint_eq(rte_mempool_avail_count(small), 0);
	{
		/* Input waits for mbufs only: an idle wait sleeps instead of spinning. */
		bool slept = false;

		for (int k = 0; k < 5 && !slept; k++) {
			uint64_t t0;
			int n;

			dp_stack_poll(st2, t_now_us()); /* take the events so far */
			t0 = t_now_us();
			n = dp_posix_wait(p2, 20000);
			ck_assert_int_ge(n, 0);
			/* A stray event (window probe) may wake it; returning 0 at once may not. */
			slept = n == 0 && t_now_us() - t0 >= 10000;
		}
		ck_assert(slept);
	}
	/* Now echo: held data goes back, mbufs return, reading resumes, every byte arrives. */
	app.mode = T_ECHO;
	while (roff < total && t_now_us() < end) {
		t_pend_push(tc);
		t_write_gen(fd, 9, &woff, total);
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
		ck_assert_int_ge(t_read_check(fd, 9, &roff, &bad), 0);
	}
	ck_assert(!bad);
	ck_assert_uint_eq(roff, total);
	close(fd);
	while (!tc->closed && t_now_us() < end) {
		app.close_on_fin = true;
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
	}
	ck_assert(tc->closed);
	dp_posix_fini(p2);
	free(mem2);
	ck_assert_uint_eq(rte_mempool_avail_count(small), 127);
	rte_mempool_free(small);
}
END_TEST

/* Receive accounting (dp/stream.h): a stream that holds rx_hold_bytes is not read further (the
 * data waits in the kernel); releasing resumes reading, and every byte arrives in order. */
START_TEST(test_rx_hold)
{
	struct dp_posix_conf conf = {
		.pool = pool,
		.max_conns = MAX_TC,
		.rx_hold_bytes = 16384,
		.name = "thold",
	};
	const uint64_t total = 1u << 20;
	uint64_t woff = 0, held = 0, end;
	struct dp_posix *p2;
	struct dp_stack *st2;
	struct t_conn *tc;
	void *mem2;
	int fd;

	p2 = t_stack_conf(&conf, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_SINK;
	tc = t_accept_one(p2, &fd);
	end = t_now_us() + 20u * 1000000u;
	tc->seed = 11;
	dp_stream_rx_hold(tc->s, true);
	/* Nothing released: reading stops once 16 KiB are held, however much the peer sends. */
	while (dp_posix_stats(p2)->rx_paused == 0 && t_now_us() < end) {
		t_write_gen(fd, 11, &woff, total);
		dp_stack_poll(st2, t_now_us());
	}
	ck_assert_uint_ge(dp_posix_stats(p2)->rx_paused, 1);
	held = tc->rx_bytes;
	ck_assert_uint_ge(held, 16384);
	for (int k = 0; k < 100; k++) {
		t_write_gen(fd, 11, &woff, total);
		dp_stack_poll(st2, t_now_us());
	}
	ck_assert_uint_eq(tc->rx_bytes, held); /* paused: nothing more delivered */
	ck_assert_uint_eq(tc->s->rx_held, held);
	/* Release as the sink consumes: every byte arrives, checked against the pattern. */
	while (tc->rx_bytes < total && t_now_us() < end) {
		t_write_gen(fd, 11, &woff, total);
		dp_stream_rx_release(tc->s, tc->s->rx_held);
		dp_stack_poll(st2, t_now_us());
	}
	ck_assert_uint_eq(tc->rx_bytes, total);
	ck_assert(!tc->rx_bad);
	close(fd);
	dp_posix_fini(p2);
	free(mem2);
}
END_TEST

/* A paused stream that ends (here by abort) must not go back on the rx list when its held bytes are
 * released (the natural moment: when the user drops its buffers at the end): the slot is freed at
 * the closed() upcall, and an accept in the same poll reuses it while it is still linked, after
 * which it sits at the head of the rx list for good and is read on every poll, idle or not. */
START_TEST(test_rx_hold_abort)
{
	struct dp_posix_conf conf = {
		.pool = pool,
		.max_conns = MAX_TC,
		.rx_hold_bytes = 16384,
		.name = "tholdab",
	};
	const uint64_t total = 1u << 20;
	uint64_t woff = 0, end, reads;
	struct dp_addr4 got;
	struct pollfd pfd;
	struct dp_posix *p2;
	struct dp_stack *st2;
	struct t_conn *tc;
	void *mem2;
	int fd, fd2;

	p2 = t_stack_conf(&conf, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_SINK;
	tc = t_accept_one(p2, &fd);
	end = t_now_us() + 20u * 1000000u;
	dp_stream_rx_hold(tc->s, true);
	while (dp_posix_stats(p2)->rx_paused == 0 && t_now_us() < end) {
		t_write_gen(fd, 0, &woff, total);
		dp_stack_poll(st2, t_now_us());
	}
	ck_assert_uint_ge(dp_posix_stats(p2)->rx_paused, 1);
	/* A second client waits in the listener's queue for the next poll. */
	ck_assert_int_eq(dp_posix_listen_addr(p2, 0, &got), 0);
	fd2 = t_client(got.port);
	pfd = (struct pollfd){.fd = fd2, .events = POLLOUT};
	ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
	dp_stream_abort(tc->s);
	dp_stream_rx_release(tc->s, tc->s->rx_held);
	dp_stack_poll(st2, t_now_us()); /* closed() for the first, accept of the second */
	ck_assert(tc->closed);
	ck_assert_uint_eq(app.accepted, 2);
	/* Idle: neither client sends, so no stream may be read. */
	dp_stack_poll(st2, t_now_us());
	reads = dp_posix_stats(p2)->read_calls;
	for (int k = 0; k < 50; k++)
		dp_stack_poll(st2, t_now_us());
	ck_assert_uint_eq(dp_posix_stats(p2)->read_calls, reads);
	close(fd);
	close(fd2);
	dp_posix_fini(p2);
	free(mem2);
}
END_TEST

/* sndbuf_bytes bounds what a stream queues; writable() follows once the peer reads. */
START_TEST(test_send_space)
{
	struct dp_posix *p2;
	struct dp_stack *st2;
	void *mem2;
	struct dp_addr4 a = {.ip = LO}, got;
	uint64_t sent = 0, roff = 0, end;
	bool bad = false;
	struct t_conn *tc;
	int fd, rc = 0;

	p2 = t_stack_new(pool, 65536, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_SINK;
	ck_assert_int_eq(dp_stack_listen(st2, &a, &t_cbs, &app), 0);
	ck_assert_int_eq(dp_posix_listen_addr(p2, 0, &got), 0);
	fd = t_client_rcvbuf(got.port, 16384); /* small, so the kernel buffers fill quickly */
	end = t_now_us() + 10u * 1000000u;
	while (app.accepted == 0 && t_now_us() < end)
		dp_stack_poll(st2, t_now_us());
	tc = t_only_conn();
	ck_assert_ptr_nonnull(tc);
	ck_assert_uint_eq(dp_stream_send_space(tc->s), 65536);
	/* The peer does not read: kernel buffers fill, then our queue, then -EAGAIN. */
	while (t_now_us() < end) {
		struct rte_mbuf *m = t_chain(3, sent, 16384);

		rc = dp_stream_send(tc->s, m);
		if (rc != 0) {
			rte_pktmbuf_free(m);
			break;
		}
		sent += 16384;
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
	}
	ck_assert_int_eq(rc, -EAGAIN);
	ck_assert_uint_lt(dp_stream_send_space(tc->s), 16384);
	ck_assert_uint_eq(dp_posix_stats(p2)->send_eagain, 1);
	ck_assert_uint_eq(tc->writable, 0);
	while (roff < sent && t_now_us() < end) {
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
		ck_assert_int_ge(t_read_check(fd, 3, &roff, &bad), 0);
	}
	ck_assert(!bad);
	ck_assert_uint_eq(roff, sent);
	ck_assert_uint_ge(tc->writable, 1);
	ck_assert_uint_gt(dp_posix_stats(p2)->write_eagain, 0);
	close(fd);
	dp_posix_fini(p2);
	ck_assert(tc->closed);
	ck_assert_int_eq(tc->closed_err, -ESHUTDOWN);
	free(mem2);
}
END_TEST

/* One SO_REUSEPORT listener per core: two instances share a port, the kernel spreads the
 * connections, a port held without SO_REUSEPORT is -EADDRINUSE. */
START_TEST(test_reuseport)
{
	enum { N = 64 };
	struct dp_posix *p2;
	struct dp_stack *st2;
	void *mem2;
	struct dp_addr4 a = {.ip = LO};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(LO)};
	socklen_t len = sizeof(sin);
	int fd[N], busy, one = 1;
	unsigned i;
	uint64_t end;

	p2 = t_stack_new(pool, 0, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_SINK;
	a.port = t_listen(st);
	ck_assert_int_eq(dp_stack_listen(st2, &a, &t_cbs, &app), 0);
	for (i = 0; i < N; i++)
		fd[i] = t_client(a.port);
	end = t_now_us() + 5000000;
	while (app.accepted < N && t_now_us() < end) {
		t_step();
		dp_stack_poll(st2, t_now_us());
	}
	ck_assert_uint_eq(app.accepted, N);
	ck_assert_uint_gt(dp_posix_stats(px)->accepts, 0);
	ck_assert_uint_gt(dp_posix_stats(p2)->accepts, 0);
	ck_assert_uint_eq(dp_posix_stats(px)->accepts + dp_posix_stats(p2)->accepts, N);
	for (i = 0; i < N; i++)
		close(fd[i]);
	dp_posix_fini(p2);
	free(mem2);

	busy = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(setsockopt(busy, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ck_assert_int_eq(bind(busy, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(busy, 1), 0);
	ck_assert_int_eq(getsockname(busy, (struct sockaddr *)&sin, &len), 0);
	a.port = ntohs(sin.sin_port);
	ck_assert_int_eq(dp_stack_listen(st, &a, &t_cbs, &app), -EADDRINUSE);
	close(busy);
}
END_TEST

/* Accepted sockets carry TCP_NODELAY; dp_posix_wait blocks when idle and keeps the events. */
START_TEST(test_nodelay_wait)
{
	struct t_conn *tc;
	uint16_t port;
	int fd, v = 0, n;
	socklen_t vl = sizeof(v);
	uint64_t t0, polls_before;

	app.mode = T_ECHO;
	port = t_listen(st);
	fd = t_client(port);
	T_UNTIL(app.accepted == 1, 2000);
	tc = t_only_conn();
	ck_assert_int_eq(getsockopt(dp_posix_stream_fd(tc->s), IPPROTO_TCP, TCP_NODELAY, &v, &vl),
			 0);
	ck_assert_int_ne(v, 0);
	for (int i = 0; i < 5; i++)
		t_step();
	t0 = t_now_us();
	n = dp_posix_wait(px, 20000);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_ge(t_now_us() - t0, 10000); /* it slept rather than spun */
	ck_assert_int_eq(write(fd, "ping", 4), 4);
	n = dp_posix_wait(px, 2000000);
	ck_assert_int_gt(n, 0);
	polls_before = dp_posix_stats(px)->epoll_waits;
	ck_assert_uint_gt(dp_stack_poll(st, t_now_us()), 0);
	ck_assert_uint_eq(dp_posix_stats(px)->epoll_waits, polls_before); /* used the kept events */
	ck_assert_uint_eq(tc->rx_bytes, 4);
	dp_stack_flush(st);
	close(fd);
}
END_TEST

/* shutdown_wr(): the peer gets our data and EOF, and can still send to us. */
START_TEST(test_shutdown_wr)
{
	uint64_t roff = 0, woff = 0, end;
	bool bad = false, eof = false;
	struct t_conn *tc;
	uint16_t port;
	int fd;

	app.mode = T_SINK;
	port = t_listen(st);
	fd = t_client(port);
	T_UNTIL(app.accepted == 1, 2000);
	tc = t_only_conn();
	tc->seed = 12;
	ck_assert_int_eq(dp_stream_send(tc->s, t_chain(11, 0, 100000)), 0);
	ck_assert_int_eq(dp_stream_shutdown_wr(tc->s), 0);
	ck_assert_int_eq(dp_stream_shutdown_wr(tc->s), -ENOTCONN);
	ck_assert_uint_eq(dp_stream_send_space(tc->s), 0);
	end = t_now_us() + 5000000;
	while (!eof && t_now_us() < end) {
		ssize_t r;

		t_step();
		r = t_read_check(fd, 11, &roff, &bad);
		ck_assert_int_ne(r, -2);
		eof = r == -1;
	}
	ck_assert(eof);
	ck_assert(!bad);
	ck_assert_uint_eq(roff, 100000);
	/* Our side is shut; theirs is open: their bytes still reach us. */
	while (woff < 50000 && t_now_us() < end)
		t_write_gen(fd, 12, &woff, 50000);
	T_UNTIL(tc->rx_bytes == 50000, 5000);
	ck_assert(!tc->rx_bad);
	ck_assert(!tc->closed);
	close(fd);
	T_UNTIL(tc->peer_fin, 5000);
	dp_stream_close(tc->s);
	T_UNTIL(tc->closed, 5000);
	ck_assert_int_eq(tc->closed_err, 0);
}
END_TEST

/* accept() returning NULL: the stack resets the connection and never calls closed(). */
START_TEST(test_accept_refused)
{
	uint16_t port;
	int fd, r;
	char b;
	uint64_t end;

	app.mode = T_SINK;
	app.refuse = true;
	port = t_listen(st);
	fd = t_client(port);
	T_UNTIL(app.refused_accept == 1, 2000);
	ck_assert_uint_eq(dp_posix_stats(px)->accept_refused, 1);
	ck_assert_uint_eq(dp_posix_conns_in_use(px), 0);
	end = t_now_us() + 2000000;
	do {
		r = (int)read(fd, &b, 1);
	} while (r < 0 && errno == EAGAIN && t_now_us() < end);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, ECONNRESET);
	for (int i = 0; i < 10; i++)
		t_step();
	ck_assert_uint_eq(app.closed, 0);
	close(fd);
}
END_TEST

/* An orderly close whose peer never sends FIN ends after linger_us, counted. */
START_TEST(test_linger_timeout)
{
	struct dp_posix *p2;
	struct dp_stack *st2;
	void *mem2;
	struct dp_addr4 a = {.ip = LO}, got;
	struct t_conn *tc;
	uint64_t end, t0;
	int fd;

	p2 = t_stack_new_linger(pool, 0, 200000, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_SINK;
	ck_assert_int_eq(dp_stack_listen(st2, &a, &t_cbs, &app), 0);
	ck_assert_int_eq(dp_posix_listen_addr(p2, 0, &got), 0);
	fd = t_client(got.port);
	end = t_now_us() + 5000000;
	while (app.accepted == 0 && t_now_us() < end)
		dp_stack_poll(st2, t_now_us());
	tc = t_only_conn();
	ck_assert_ptr_nonnull(tc);
	t0 = t_now_us();
	dp_stack_poll(st2, t0); /* the stack's clock: the linger deadline counts from here */
	dp_stream_close(tc->s);
	while (!tc->closed && t_now_us() < end) {
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
	}
	ck_assert(tc->closed);
	ck_assert_int_eq(tc->closed_err, 0);
	ck_assert_uint_ge(t_now_us() - t0, 200000);
	ck_assert_uint_eq(dp_posix_stats(p2)->linger_timeouts, 1);
	close(fd);

	/* Closed with data the peer never reads: RST after linger_us, closed(-ETIMEDOUT). */
	fd = t_client_rcvbuf(got.port, 4096);
	while (app.accepted == 1 && t_now_us() < end)
		dp_stack_poll(st2, t_now_us());
	tc = NULL;
	for (unsigned i = 0; i < MAX_TC; i++)
		if (app.c[i].used && !app.c[i].closed)
			tc = &app.c[i];
	ck_assert_ptr_nonnull(tc);
	ck_assert_int_eq(dp_stream_send(tc->s, t_chain(4, 0, 8u << 20)), 0);
	dp_stream_close(tc->s);
	while (!tc->closed && t_now_us() < end) {
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
	}
	ck_assert(tc->closed);
	ck_assert_int_eq(tc->closed_err, -ETIMEDOUT);
	ck_assert_uint_eq(dp_posix_stats(p2)->linger_timeouts, 2);
	close(fd);
	dp_posix_fini(p2);
	free(mem2);
}
END_TEST

/* Bad configurations are refused before anything is made. */
START_TEST(test_conf_invalid)
{
	struct dp_posix_conf c = {.pool = pool};
	char mem[64] __rte_aligned(64);

	ck_assert_uint_gt(dp_posix_memsize(&c), sizeof(struct dp_stack));
	c.rx_segs = DP_POSIX_MAX_RX_SEGS + 1;
	ck_assert_uint_eq(dp_posix_memsize(&c), 0);
	errno = 0;
	ck_assert_ptr_null(dp_posix_init(mem, &c));
	ck_assert_int_eq(errno, EINVAL);
	c.rx_segs = 0;
	c.iov_max = 1025;
	ck_assert_uint_eq(dp_posix_memsize(&c), 0);
	c.iov_max = 0;
	c.pool = NULL;
	ck_assert_uint_eq(dp_posix_memsize(&c), 0);
	ck_assert_uint_eq(dp_posix_memsize(NULL), 0);
	c.pool = pool;
	ck_assert_ptr_null(dp_posix_init(mem + 8, &c)); /* misaligned */
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static uint64_t t_rng;

static uint32_t
t_rand(uint32_t n)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 7;
	t_rng ^= t_rng << 17;
	return (uint32_t)(t_rng % n);
}

/* Random interleavings of client and server actions on up to 400 streams (writes, reads,
 * half-closes, closes, resets on the kernel side; sends, shutdown_wr, close, abort on ours). Every
 * accepted stream must end with exactly one closed(), no mbuf and no slot may leak. */
START_TEST(test_chaos)
{
	enum { N = 400, LIVE = 64 };
	static struct {
		int fd;
		bool shut;
	} cl[N];
	static uint8_t buf[65536];
	const char *env = getenv("SKIFF_POSIX_CHAOS_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : t_now_us();
	unsigned opened = 0, live = 0, i;
	uint64_t end;
	uint16_t port;

	t_rng = seed | 1;
	fprintf(stderr, "test_chaos: SKIFF_POSIX_CHAOS_SEED=%llu\n", (unsigned long long)seed);
	app.mode = T_ECHO;
	app.close_on_fin = true;
	port = t_listen(st);
	memset(buf, 0x5a, sizeof(buf));
	end = t_now_us() + 3000000;
	while (opened < N && t_now_us() < end) {
		unsigned k = t_rand(100);

		if (live < LIVE && (k < 20 || live == 0)) {
			cl[opened].fd = t_client(port);
			cl[opened].shut = false;
			opened++;
			live++;
		} else {
			unsigned c = t_rand(opened);
			int fd = cl[c].fd;
			struct linger lg = {1, 0};

			if (fd < 0)
				continue;
			if (k < 55 && !cl[c].shut) {
				(void)!send(fd, buf, 1 + t_rand(sizeof(buf)), MSG_NOSIGNAL);
			} else if (k < 75) {
				(void)!read(fd, buf, sizeof(buf));
			} else if (k < 82 && !cl[c].shut) {
				shutdown(fd, SHUT_WR);
				cl[c].shut = true;
			} else if (k < 90) {
				close(fd);
				cl[c].fd = -1;
				live--;
			} else if (k < 94) {
				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				close(fd);
				cl[c].fd = -1;
				live--;
			} else {
				/* A server-side action on a random stream still open on our side.
				 */
				struct t_conn *tc = &app.c[t_rand(app.accepted ? app.accepted : 1)];

				if (tc->used && !tc->closed && tc->s != NULL) {
					unsigned a = t_rand(4);

					if (a == 0)
						dp_stream_abort(tc->s);
					else if (a == 1)
						dp_stream_close(tc->s);
					else if (a == 2)
						(void)dp_stream_shutdown_wr(tc->s);
					else {
						struct rte_mbuf *m =
							t_chain(1, 0, 1 + t_rand(8000));

						if (dp_stream_send(tc->s, m) != 0)
							rte_pktmbuf_free(m);
					}
				}
			}
		}
		t_step();
	}
	/* Every client goes away; every stream must then end. */
	for (i = 0; i < opened; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	end = t_now_us() + 5000000;
	while (app.closed < app.accepted && t_now_us() < end)
		t_step();
	ck_assert_msg(app.closed == app.accepted, "seed %llu: %u accepted, %u closed",
		      (unsigned long long)seed, app.accepted, app.closed);
	ck_assert_msg(dp_posix_conns_in_use(px) == 0, "seed %llu: %u slots in use",
		      (unsigned long long)seed, dp_posix_conns_in_use(px));
	ck_assert_uint_gt(app.accepted, N / 2);
}
END_TEST

/* Small iov_max and rx_segs: a queue longer than one writev goes out over several flushes, reads
 * come in small batches, and the bytes are still exact both ways. */
START_TEST(test_small_batches)
{
	struct dp_posix_conf conf = {.pool = pool, .max_conns = 8, .iov_max = 3, .rx_segs = 1};
	struct dp_posix *p2;
	struct dp_stack *st2;
	void *mem2;
	struct dp_addr4 a = {.ip = LO}, got;
	uint64_t roff = 0, woff = 0, end;
	bool bad = false;
	struct t_conn *tc;
	int fd;

	p2 = t_stack_conf(&conf, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_SINK;
	ck_assert_int_eq(dp_stack_listen(st2, &a, &t_cbs, &app), 0);
	ck_assert_int_eq(dp_posix_listen_addr(p2, 0, &got), 0);
	fd = t_client(got.port);
	end = t_now_us() + 5000000;
	while (app.accepted == 0 && t_now_us() < end)
		dp_stack_poll(st2, t_now_us());
	tc = t_only_conn();
	ck_assert_ptr_nonnull(tc);
	tc->seed = 31;
	ck_assert_int_eq(dp_stream_send(tc->s, t_chain(30, 0, 20 * 2048 + 17)), 0);
	while ((roff < 20 * 2048 + 17 || tc->rx_bytes < 100000) && t_now_us() < end) {
		t_write_gen(fd, 31, &woff, 100000);
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
		ck_assert_int_ge(t_read_check(fd, 30, &roff, &bad), 0);
	}
	ck_assert(!bad);
	ck_assert(!tc->rx_bad);
	ck_assert_uint_eq(roff, 20 * 2048 + 17);
	ck_assert_uint_eq(tc->rx_bytes, 100000);
	ck_assert_uint_ge(dp_posix_stats(p2)->write_calls, 7); /* 21 segments, 3 a writev */
	ck_assert_uint_ge(dp_posix_stats(p2)->read_calls, 100000 / 2048); /* 1 mbuf a readv */
	close(fd);
	dp_posix_fini(p2);
	free(mem2);
}
END_TEST

/* A full connection pool: the extra connection is reset and counted, the others carry on, and a
 * freed slot is used again. */
START_TEST(test_pool_full)
{
	struct dp_posix_conf conf = {.pool = pool, .max_conns = 2};
	struct dp_posix *p2;
	struct dp_stack *st2;
	void *mem2;
	struct dp_addr4 a = {.ip = LO}, got;
	struct dp_stream *s = NULL;
	int fd[4], r = 0;
	uint64_t end;
	char b;

	p2 = t_stack_conf(&conf, &mem2);
	st2 = dp_posix_stack(p2);
	app.mode = T_SINK;
	ck_assert_int_eq(dp_stack_listen(st2, &a, &t_cbs, &app), 0);
	ck_assert_int_eq(dp_posix_listen_addr(p2, 0, &got), 0);
	for (int i = 0; i < 3; i++)
		fd[i] = t_client(got.port);
	end = t_now_us() + 5000000;
	while (dp_posix_stats(p2)->accept_nopool == 0 && t_now_us() < end)
		dp_stack_poll(st2, t_now_us());
	ck_assert_uint_eq(app.accepted, 2);
	ck_assert_uint_eq(dp_posix_stats(p2)->accept_nopool, 1);
	ck_assert_uint_eq(dp_posix_conns_in_use(p2), 2);
	ck_assert_int_eq(dp_stack_connect(st2, &got, &t_cbs, t_conn_new(), &s), -ENOMEM);
	/* The third client was reset. */
	do {
		r = (int)read(fd[2], &b, 1);
	} while (r < 0 && errno == EAGAIN && t_now_us() < end);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(fd[2]);
	/* One stream ends; its slot takes the next connection. */
	close(fd[0]);
	app.close_on_fin = true;
	while (app.closed == 0 && t_now_us() < end) {
		dp_stack_poll(st2, t_now_us());
		dp_stack_flush(st2);
	}
	ck_assert_uint_eq(app.closed, 1);
	ck_assert_uint_eq(dp_posix_conns_in_use(p2), 1);
	fd[3] = t_client(got.port);
	while (app.accepted < 3 && t_now_us() < end)
		dp_stack_poll(st2, t_now_us());
	ck_assert_uint_eq(app.accepted, 3);
	ck_assert_uint_eq(dp_posix_conns_in_use(p2), 2);
	/* Graceful stop: listeners closed, new connections refused, open streams untouched. */
	dp_posix_listen_close_all(p2);
	ck_assert_int_eq(dp_posix_listen_addr(p2, 0, &a), -ENOENT);
	{
		int lfd = t_client(got.port);

		do {
			r = (int)read(lfd, &b, 1);
		} while (r < 0 && errno == EAGAIN && t_now_us() < end);
		ck_assert_int_eq(r, -1);
		ck_assert(errno == ECONNREFUSED || errno == ECONNRESET);
		close(lfd);
	}
	ck_assert_uint_eq(dp_posix_conns_in_use(p2), 2);
	close(fd[1]);
	close(fd[3]);
	dp_posix_fini(p2);
	free(mem2);
}
END_TEST

/* A foreign fd in the stack's epoll set (data.u64 = 0), e.g. the runtime's mailbox eventfd, wakes
 * dp_posix_wait() and is otherwise ignored by the poll. */
START_TEST(test_foreign_fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t one = 1, t0;

	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(epoll_ctl(dp_posix_epoll_fd(px), EPOLL_CTL_ADD, efd, &ev), 0);
	ck_assert_int_eq(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	t0 = t_now_us();
	ck_assert_int_eq(dp_posix_wait(px, 1000000), 1);
	ck_assert_uint_lt(t_now_us() - t0, 500000);
	ck_assert_uint_eq(dp_stack_poll(st, t_now_us()), 0);
	ck_assert_uint_eq(dp_posix_stats(px)->epoll_events, 1);
	ck_assert_int_eq(read(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	ck_assert_int_eq(epoll_ctl(dp_posix_epoll_fd(px), EPOLL_CTL_DEL, efd, NULL), 0);
	close(efd);
}
END_TEST

static Suite *
t_suite(void)
{
	Suite *s = suite_create("posix");
	TCase *bulk = tcase_create("bulk");
	TCase *tc = tcase_create("stack");

	tcase_add_checked_fixture(bulk, t_setup, t_teardown);
	tcase_set_timeout(bulk, 300);
	tcase_add_test(bulk, test_echo_integrity);
	suite_add_tcase(s, bulk);
	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_many_conns);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_active_open);
	tcase_add_test(tc, test_orderly_close);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_peer_reset);
	tcase_add_test(tc, test_nombuf);
	tcase_add_test(tc, test_send_space);
	tcase_add_test(tc, test_rx_hold);
	tcase_add_test(tc, test_rx_hold_abort);
	tcase_add_test(tc, test_reuseport);
	tcase_add_test(tc, test_nodelay_wait);
	tcase_add_test(tc, test_shutdown_wr);
	tcase_add_test(tc, test_accept_refused);
	tcase_add_test(tc, test_linger_timeout);
	tcase_add_test(tc, test_conf_invalid);
	tcase_add_test(tc, test_chaos);
	tcase_add_test(tc, test_small_batches);
	tcase_add_test(tc, test_pool_full);
	tcase_add_test(tc, test_foreign_fd);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {argv[0],
		       "-l",
		       "0",
		       "--no-huge",
		       "-m",
		       "256",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--log-level",
		       "lib.eal:error",
		       "--file-prefix",
		       prefix};
	SRunner *sr;
	int failed;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "t%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("tposix", POOL_N, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "pool create failed\n");
		return 1;
	}
	sr = srunner_create(t_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(pool);
	sk_test_eal_cleanup();
	return failed == 0 ? 0 : 1;
}
