/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-bench-tcp: what the native TCP layer costs on one core, next to Linux TCP on loopback.
 *
 * native: two dp_tcp instances in this process joined by an in-memory wire (this program's
 * dp_ip4_output() hands each segment straight to the other instance: no NIC, no copy, no
 * checksum), driven by one thread in the worker-loop order. This is the TCP layer's CPU cost for
 * both ends together; the port and L2/L3 layers are measured by skiff-bench-net.
 * linux: the same workloads over kernel TCP on 127.0.0.1 (two threads, blocking sockets).
 *
 * Workloads: bulk (one connection, N bytes one way: Gbit/s), pingpong (64-byte request and
 * response: round-trip p50/p99 in microseconds), conns (open, one request/response, close:
 * connections per second).
 *
 *   skiff-bench-tcp [--stack native|linux|both] [--bytes N] [--rounds N] [--conns N] [--json]
 * Figures taken on a shared machine are provisional.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <dp/ip4.h>
#include <dp/tcp.h>
#include <dp/timer.h>

#define BT_IP_A 0xC6120001u
#define BT_IP_B 0xC6120002u
#define BT_PORT 7100
#define BT_WIRE 8192
#define BT_MSG 64

static struct rte_mempool *bt_mp;

static uint64_t
bt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
bt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- native: two stacks and a wire ---- */

struct bt_side {
	struct dp_tcp *t;
	struct dp_timer_wheel *w;
	void *tmem, *wmem;
	struct dp_stream *s;
	uint64_t rx, tx, total;
	unsigned replies;
	bool connected, closed;
};

struct bt_wire {
	struct rte_mbuf *m[BT_WIRE];
	uint32_t dst[BT_WIRE];
	unsigned n;
};

static struct bt_side bt_a, bt_b;
static struct bt_wire bt_w;
static int bt_mode; unsigned
dp_ip4_tx_room(struct dp_net *n)
{
	(void)n;
	return 1u << 20; /* no TX buffer here: the output is consumed at once */
}

/* 0 bulk, 1 pingpong, 2 conns */

int
dp_ip4_output(struct dp_net *n, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip, uint8_t proto)
{
	(void)n;
	(void)src_ip;
	(void)proto;
	if (bt_w.n >= BT_WIRE) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	bt_w.m[bt_w.n] = m;
	bt_w.dst[bt_w.n] = dst_ip;
	bt_w.n++;
	return 0;
}

static int
bt_send_bytes(struct dp_stream *s, uint32_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(bt_mp);

	if (m == NULL)
		return -ENOBUFS;
	memset(rte_pktmbuf_append(m, (uint16_t)n), 0x5a, n);
	if (dp_stream_send(s, m) != 0) {
		rte_pktmbuf_free(m);
		return -EAGAIN;
	}
	return 0;
}

static void
bt_a_fill(void)
{
	while (bt_a.tx < bt_a.total) {
		uint32_t n = bt_a.total - bt_a.tx < 1448 ? (uint32_t)(bt_a.total - bt_a.tx) : 1448;

		if (bt_send_bytes(bt_a.s, n) != 0)
			return;
		bt_a.tx += n;
	}
}

static void *
bt_accept(void *lctx, struct dp_stream *s)
{
	(void)lctx;
	bt_b.s = s;
	return &bt_b;
}

static void
bt_connected(void *ctx, struct dp_stream *s, int err)
{
	(void)ctx;
	bt_a.connected = err == 0;
	bt_a.s = s;
	if (bt_mode == 0)
		bt_a_fill();
}

static void
bt_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct bt_side *x = ctx;

	x->rx += chain->pkt_len;
	rte_pktmbuf_free(chain);
	if (x == &bt_b && bt_mode != 0 && x->rx % BT_MSG == 0)
		(void)bt_send_bytes(s, BT_MSG); /* the response */
	if (x == &bt_a && bt_mode != 0 && x->rx % BT_MSG == 0)
		x->replies++;
}

static void
bt_writable(void *ctx, struct dp_stream *s)
{
	(void)s;
	if (ctx == &bt_a && bt_mode == 0)
		bt_a_fill();
}

static void
bt_peer_closed(void *ctx, struct dp_stream *s)
{
	(void)ctx;
	dp_stream_close(s);
}

static void
bt_closed(void *ctx, struct dp_stream *s, int err)
{
	struct bt_side *x = ctx;

	(void)s;
	(void)err;
	x->closed = true;
	x->s = NULL;
}

static const struct dp_stream_cbs bt_cbs = {
	.accept = bt_accept,
	.connected = bt_connected,
	.data = bt_data,
	.writable = bt_writable,
	.peer_closed = bt_peer_closed,
	.closed = bt_closed,
};

static uint64_t bt_clock_us;

static void
bt_side_init(struct bt_side *x, uint32_t ip)
{
	struct dp_timer_wheel_conf wc = {.tick_us = 100, .start_us = 1};
	struct dp_tcp_conf c;

	dp_tcp_conf_defaults(&c);
	c.local_ip = ip;
	c.hdr_pool = bt_mp;
	c.clone_pool = bt_mp;
	c.max_conns = 8192;
	c.max_time_wait = 4096;
	c.secret[0] = ip;
	c.secret[2] = 99;
	c.rcv_buf_bytes = 1u << 20;
	c.snd_buf_bytes = 1u << 20;
	c.quickack = true;
	x->wmem = aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63);
	x->w = dp_timer_wheel_init(x->wmem, &wc);
	c.wheel = x->w;
	x->tmem = aligned_alloc(64, (dp_tcp_memsize(&c) + 63) & ~(size_t)63);
	x->t = dp_tcp_init(x->tmem, &c);
}

static void
bt_side_fini(struct bt_side *x)
{
	dp_tcp_fini(x->t);
	free(x->tmem);
	free(x->wmem);
}

/* One worker-loop iteration for both ends: wire -> input, poll, flush, timers. */
static void
bt_iter(void)
{
	struct rte_mbuf *m[BT_WIRE];
	uint32_t dst[BT_WIRE];
	unsigned n = bt_w.n, i;

	bt_clock_us = bt_now_ns() / 1000;
	memcpy(m, bt_w.m, n * sizeof(m[0]));
	memcpy(dst, bt_w.dst, n * sizeof(dst[0]));
	bt_w.n = 0;
	dp_tcp_set_now(bt_a.t, bt_clock_us);
	dp_tcp_set_now(bt_b.t, bt_clock_us);
	for (i = 0; i < n; i++)
		dp_tcp_input(dst[i] == BT_IP_A ? bt_a.t : bt_b.t, m[i],
			     dst[i] == BT_IP_A ? BT_IP_B : BT_IP_A, dst[i]);
	dp_stack_poll(dp_tcp_stack(bt_a.t), bt_clock_us);
	dp_stack_poll(dp_tcp_stack(bt_b.t), bt_clock_us);
	dp_stack_flush(dp_tcp_stack(bt_a.t));
	dp_stack_flush(dp_tcp_stack(bt_b.t));
	dp_timer_wheel_advance(bt_a.w, bt_clock_us);
	dp_timer_wheel_advance(bt_b.w, bt_clock_us);
}

static int
bt_native_connect(void)
{
	struct dp_addr4 r = {.ip = BT_IP_B, .port = BT_PORT};
	struct dp_stream *s;
	uint64_t guard = 0;

	bt_a.connected = false;
	bt_a.closed = bt_b.closed = false;
	if (dp_stack_connect(dp_tcp_stack(bt_a.t), &r, &bt_cbs, &bt_a, &s) != 0)
		return -1;
	while (!bt_a.connected && guard++ < 1000000)
		bt_iter();
	return bt_a.connected ? 0 : -1;
}

static void
bt_native_close(void)
{
	uint64_t guard = 0;

	dp_stream_close(bt_a.s);
	while (!(bt_a.closed && bt_b.closed) && guard++ < 1000000)
		bt_iter();
}

struct bt_res {
	double gbps, p50_us, p99_us, conns_per_s;
};

static struct bt_res
bt_native(uint64_t bytes, unsigned rounds, unsigned conns)
{
	struct dp_addr4 l = {.ip = 0, .port = BT_PORT};
	struct bt_res r = {0, 0, 0, 0};
	uint64_t *lat = calloc(rounds, sizeof(*lat));
	uint64_t t0, t1;
	unsigned i;

	memset(&bt_a, 0, sizeof(bt_a));
	memset(&bt_b, 0, sizeof(bt_b));
	bt_side_init(&bt_a, BT_IP_A);
	bt_side_init(&bt_b, BT_IP_B);
	dp_stack_listen(dp_tcp_stack(bt_b.t), &l, &bt_cbs, NULL);

	/* bulk */
	bt_mode = 0;
	bt_a.total = bytes;
	t0 = bt_now_ns();
	if (bt_native_connect() == 0) {
		while (bt_b.rx < bytes)
			bt_iter();
		t1 = bt_now_ns();
		r.gbps = (double)bytes * 8 / (double)(t1 - t0);
		bt_native_close();
	}
	/* ping-pong */
	bt_mode = 1;
	bt_a.rx = bt_b.rx = 0;
	bt_a.replies = 0;
	if (bt_native_connect() == 0) {
		for (i = 0; i < rounds; i++) {
			unsigned want = bt_a.replies + 1;

			t0 = bt_now_ns();
			bt_send_bytes(bt_a.s, BT_MSG);
			while (bt_a.replies < want)
				bt_iter();
			lat[i] = bt_now_ns() - t0;
		}
		qsort(lat, rounds, sizeof(*lat), bt_cmp_u64);
		r.p50_us = (double)lat[rounds / 2] / 1000;
		r.p99_us = (double)lat[rounds * 99 / 100] / 1000;
		bt_native_close();
	}
	/* connections: open, one exchange, close */
	bt_mode = 2;
	t0 = bt_now_ns();
	for (i = 0; i < conns; i++) {
		unsigned want;

		if (bt_native_connect() != 0)
			break;
		want = bt_a.replies + 1;
		bt_send_bytes(bt_a.s, BT_MSG);
		while (bt_a.replies < want)
			bt_iter();
		bt_native_close();
	}
	t1 = bt_now_ns();
	r.conns_per_s = (double)i * 1e9 / (double)(t1 - t0);
	bt_side_fini(&bt_a);
	bt_side_fini(&bt_b);
	while (bt_w.n > 0)
		rte_pktmbuf_free(bt_w.m[--bt_w.n]);
	free(lat);
	return r;
}

/* ---- linux loopback ---- */

struct bt_lx {
	int lfd;
	int mode;
	uint64_t bytes;
	unsigned rounds, conns;
};

static int
bt_read_full(int fd, char *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void *
bt_lx_server(void *arg)
{
	struct bt_lx *x = arg;
	char *buf = malloc(1 << 16);
	unsigned c, nconn = x->mode == 2 ? x->conns : 1;

	for (c = 0; c < nconn; c++) {
		int fd = accept(x->lfd, NULL, NULL), one = 1;

		if (fd < 0)
			break;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (x->mode == 0) {
			while (read(fd, buf, 1 << 16) > 0)
				;
		} else {
			while (bt_read_full(fd, buf, BT_MSG) == 0)
				if (write(fd, buf, BT_MSG) != BT_MSG)
					break;
		}
		close(fd);
	}
	free(buf);
	return NULL;
}

static int
bt_lx_connect(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static struct bt_res
bt_linux(uint64_t bytes, unsigned rounds, unsigned conns)
{
	struct bt_res r = {0, 0, 0, 0};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	uint64_t *lat = calloc(rounds, sizeof(*lat));
	char *buf = calloc(1, 1 << 16);
	int mode, one = 1;

	for (mode = 0; mode < 3; mode++) {
		struct bt_lx x = {.mode = mode, .bytes = bytes, .rounds = rounds, .conns = conns};
		pthread_t th;
		uint64_t t0, t1;
		unsigned i;
		int fd;

		x.lfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(x.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = 0;
		if (bind(x.lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(x.lfd, 128) != 0)
			break;
		getsockname(x.lfd, (struct sockaddr *)&a, &al);
		pthread_create(&th, NULL, bt_lx_server, &x);
		t0 = bt_now_ns();
		if (mode == 0) {
			uint64_t sent = 0;

			fd = bt_lx_connect(ntohs(a.sin_port));
			while (fd >= 0 && sent < bytes) {
				ssize_t w = write(
					fd, buf, bytes - sent < (1 << 16) ? bytes - sent : 1 << 16);

				if (w <= 0)
					break;
				sent += (uint64_t)w;
			}
			if (fd >= 0)
				close(fd);
			pthread_join(th, NULL);
			t1 = bt_now_ns();
			r.gbps = (double)bytes * 8 / (double)(t1 - t0);
		} else if (mode == 1) {
			fd = bt_lx_connect(ntohs(a.sin_port));
			for (i = 0; fd >= 0 && i < rounds; i++) {
				uint64_t s0 = bt_now_ns();

				if (write(fd, buf, BT_MSG) != BT_MSG ||
				    bt_read_full(fd, buf, BT_MSG) != 0)
					break;
				lat[i] = bt_now_ns() - s0;
			}
			if (fd >= 0)
				close(fd);
			pthread_join(th, NULL);
			qsort(lat, rounds, sizeof(*lat), bt_cmp_u64);
			r.p50_us = (double)lat[rounds / 2] / 1000;
			r.p99_us = (double)lat[rounds * 99 / 100] / 1000;
		} else {
			for (i = 0; i < conns; i++) {
				fd = bt_lx_connect(ntohs(a.sin_port));
				if (fd < 0 || write(fd, buf, BT_MSG) != BT_MSG ||
				    bt_read_full(fd, buf, BT_MSG) != 0)
					break;
				close(fd);
			}
			pthread_join(th, NULL);
			t1 = bt_now_ns();
			r.conns_per_s = (double)i * 1e9 / (double)(t1 - t0);
		}
		close(x.lfd);
	}
	free(lat);
	free(buf);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"stack", required_argument, NULL, 's'},  {"bytes", required_argument, NULL, 'b'},
		{"rounds", required_argument, NULL, 'r'}, {"conns", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},	  {NULL, 0, NULL, 0},
	};
	char pfx[64];
	char *eal[] = {"skiff-bench-tcp",
		       "-l",
		       "0",
		       "--no-huge",
		       "-m",
		       "512",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--log-level",
		       "lib.*:error",
		       "--file-prefix",
		       pfx,
		       NULL};
	const char *stack = "both";
	uint64_t bytes = 1ull << 30;
	unsigned rounds = 20000, conns = 2000;
	bool json = false;
	struct bt_res n = {0, 0, 0, 0}, l = {0, 0, 0, 0};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			stack = optarg;
			break;
		case 'b':
			bytes = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rounds = (unsigned)atoi(optarg);
			break;
		case 'c':
			conns = (unsigned)atoi(optarg);
			break;
		case 'j':
			json = true;
			break;
		default:
			fprintf(stderr, "usage: skiff-bench-tcp [--stack native|linux|both] "
					"[--bytes N] [--rounds N] [--conns N] [--json]\n");
			return 2;
		}
	}
	if (rounds < 100)
		rounds = 100;
	if (strcmp(stack, "linux") != 0) {
		snprintf(pfx, sizeof(pfx), "bt%d", (int)getpid());
		if (rte_eal_init(13, eal) < 0)
			return 1;
		bt_mp = rte_pktmbuf_pool_create("bt_mp", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						0);
		if (bt_mp == NULL)
			return 1;
		n = bt_native(bytes, rounds, conns);
	}
	if (strcmp(stack, "native") != 0)
		l = bt_linux(bytes, rounds, conns);
	if (json) {
		printf("{\"provisional\": true, \"bytes\": %lu, \"rounds\": %u, \"conns\": %u, "
		       "\"native\": {\"bulk_gbps\": %.2f, \"pingpong_p50_us\": %.2f, "
		       "\"pingpong_p99_us\": %.2f, \"conns_per_s\": %.0f}, "
		       "\"linux_loopback\": {\"bulk_gbps\": %.2f, \"pingpong_p50_us\": %.2f, "
		       "\"pingpong_p99_us\": %.2f, \"conns_per_s\": %.0f}}\n",
		       (unsigned long)bytes, rounds, conns, n.gbps, n.p50_us, n.p99_us,
		       n.conns_per_s, l.gbps, l.p50_us, l.p99_us, l.conns_per_s);
	} else {
		printf("skiff-bench-tcp (provisional: shared machine)\n");
		printf("%-16s %12s %14s %14s %12s\n", "stack", "bulk Gbit/s", "pingpong p50",
		       "pingpong p99", "conns/s");
		if (strcmp(stack, "linux") != 0)
			printf("%-16s %12.2f %11.2f us %11.2f us %12.0f\n", "native (1 core)",
			       n.gbps, n.p50_us, n.p99_us, n.conns_per_s);
		if (strcmp(stack, "native") != 0)
			printf("%-16s %12.2f %11.2f us %11.2f us %12.0f\n", "linux loopback",
			       l.gbps, l.p50_us, l.p99_us, l.conns_per_s);
	}
	if (bt_mp != NULL) {
		rte_mempool_free(bt_mp);
		rte_eal_cleanup();
	}
	return 0;
}
