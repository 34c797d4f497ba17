/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-bench-posix: the posix stack (dataplane/posix) against plain blocking kernel sockets, over
 * loopback 127.0.0.1. This is the kernel side of the native-vs-posix comparison.
 *
 *   ping-pong: 1-byte round trips from a blocking client thread (TCP_NODELAY), p50/p99/mean in us,
 *              against (a) the posix stack busy-polling on the main lcore, (b) the posix stack
 *              blocking in dp_posix_wait() when idle (the adaptive idle policy), (c) a plain
 *              blocking read/write echo thread.
 *   bulk:      Gbit/s of one stream, client → server (rx: the stack reads into mbufs and frees
 *              them) and server → client (tx: the stack sends 64 KiB mbuf chains), against a plain
 *              blocking read/write thread with a 256 KiB buffer.
 *
 * Usage: skiff-bench-posix [--json] [--iters N] [--mib N] [--rx-segs N (mbufs per readv)]. Figures
 * from a shared machine are provisional. The EAL runs with --no-huge on lcore 0 (pinned to its
 * CPU); the client is a plain pthread kept off that CPU when there is another one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <dp/posix.h>
#include <dp/stream.h>

#define LO 0x7f000001u
#define BUF_BYTES (256u * 1024u)

enum bench_kind { B_PING, B_RX, B_TX };

static uint32_t bench_rx_segs; /* mbufs per readv; 0 = the stack's default (16) */

struct bench {
	enum bench_kind kind;
	uint16_t port;
	uint32_t iters;
	uint64_t bytes;
	double *rtt_us; /* [iters], filled by the ping client */
	double secs;	/* bulk: measured by the receiving side */
	atomic_bool done;
	struct rte_mempool *pool;
	/* server state for the posix stack */
	struct dp_stream *s;
	uint64_t rx_bytes, tx_bytes;
	uint64_t t0_ns;
};

static uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
bench_connect(uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(LO)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
bench_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* The client thread may run on every CPU but the server's (EAL pins the main lcore, and a thread
 * created from it would inherit that single CPU and share it with the server). */
static void
bench_client_affinity(void)
{
	cpu_set_t all;
	long n = sysconf(_SC_NPROCESSORS_ONLN), c;
	long server = (long)rte_lcore_to_cpu_id((int)rte_get_main_lcore());

	CPU_ZERO(&all);
	for (c = 0; c < n && c < CPU_SETSIZE; c++)
		if (c != server || n == 1)
			CPU_SET(c, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
}

/* The client side, a plain pthread with blocking sockets, the same for every server. */
static void *
bench_client(void *arg)
{
	struct bench *b = arg;
	static char buf[BUF_BYTES];
	int fd;
	uint32_t i;

	bench_client_affinity();
	fd = bench_connect(b->port);

	if (fd < 0) {
		perror("connect");
		goto out;
	}
	if (b->kind == B_PING) {
		for (i = 0; i < b->iters; i++) {
			uint64_t t0 = bench_now_ns();
			char c = (char)i;

			if (write(fd, &c, 1) != 1 || bench_read_full(fd, &c, 1) < 0)
				break;
			b->rtt_us[i] = (double)(bench_now_ns() - t0) / 1000.0;
		}
		b->iters = i;
	} else if (b->kind == B_RX) {
		uint64_t sent = 0;

		while (sent < b->bytes) {
			size_t n =
				b->bytes - sent < BUF_BYTES ? (size_t)(b->bytes - sent) : BUF_BYTES;
			ssize_t w = write(fd, buf, n);

			if (w <= 0)
				break;
			sent += (uint64_t)w;
		}
		/* Wait for the server to have everything before closing. */
		while (!atomic_load(&b->done))
			usleep(100);
	} else {
		uint64_t got = 0, t0 = bench_now_ns();

		while (got < b->bytes) {
			ssize_t n = read(fd, buf, BUF_BYTES);

			if (n <= 0)
				break;
			got += (uint64_t)n;
		}
		b->secs = (double)(bench_now_ns() - t0) / 1e9;
	}
	close(fd);
out:
	atomic_store(&b->done, true);
	return NULL;
}

/* ---- posix stack server ------------------------------------------------------------------- */

static void *
bench_accept(void *lctx, struct dp_stream *s)
{
	struct bench *b = lctx;

	b->s = s;
	b->t0_ns = bench_now_ns();
	return b;
}

static void
bench_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct bench *b = ctx;

	b->rx_bytes += chain->pkt_len;
	if (b->kind == B_PING) {
		if (dp_stream_send(s, chain) != 0) /* 1 byte in flight: never refused */
			rte_pktmbuf_free(chain);
		return;
	}
	rte_pktmbuf_free(chain);
	if (b->kind == B_RX && b->rx_bytes >= b->bytes && b->secs == 0) {
		b->secs = (double)(bench_now_ns() - b->t0_ns) / 1e9;
		atomic_store(&b->done, true);
	}
}

static void
bench_closed(void *ctx, struct dp_stream *s, int err)
{
	struct bench *b = ctx;

	(void)err;
	if (b->s == s)
		b->s = NULL;
}

static void
bench_peer_closed(void *ctx, struct dp_stream *s)
{
	(void)ctx;
	dp_stream_close(s);
}

static void
bench_writable(void *ctx, struct dp_stream *s)
{
	(void)ctx;
	(void)s;
}

static const struct dp_stream_cbs bench_cbs = {
	.accept = bench_accept,
	.data = bench_data,
	.writable = bench_writable,
	.peer_closed = bench_peer_closed,
	.closed = bench_closed,
};

/* TX bulk: fill the send queue with 64 KiB chains (32 x 2 KiB) while there is room. */
static void
bench_tx_fill(struct bench *b)
{
	struct rte_mbuf *m[32];
	unsigned i;

	while (b->s != NULL && b->tx_bytes < b->bytes && dp_stream_send_space(b->s) >= 65536) {
		if (rte_pktmbuf_alloc_bulk(b->pool, m, 32) != 0)
			return;
		for (i = 0; i < 32; i++) {
			rte_pktmbuf_append(m[i], 2048);
			if (i > 0) {
				m[i - 1]->next = m[i];
				m[0]->pkt_len += 2048;
			}
		}
		m[0]->nb_segs = 32;
		if (dp_stream_send(b->s, m[0]) != 0) {
			rte_pktmbuf_free(m[0]);
			return;
		}
		b->tx_bytes += 65536;
	}
}

static int
bench_posix_run(struct bench *b, bool use_wait)
{
	struct dp_posix_conf conf = {.pool = b->pool,
				     .max_conns = 16,
				     .sndbuf_bytes = 1u << 20,
				     .rx_segs = bench_rx_segs};
	struct dp_addr4 a = {.ip = LO}, got;
	struct dp_posix *p;
	struct dp_stack *st;
	pthread_t th;
	void *mem;
	size_t sz = dp_posix_memsize(&conf);

	mem = aligned_alloc(64, RTE_ALIGN_CEIL(sz, 64));
	p = mem != NULL ? dp_posix_init(mem, &conf) : NULL;
	if (p == NULL)
		return -1;
	st = dp_posix_stack(p);
	if (dp_stack_listen(st, &a, &bench_cbs, b) != 0 || dp_posix_listen_addr(p, 0, &got) != 0)
		return -1;
	b->port = got.port;
	atomic_store(&b->done, false);
	pthread_create(&th, NULL, bench_client, b);
	while (!atomic_load(&b->done)) {
		unsigned work = dp_stack_poll(st, bench_now_ns() / 1000);

		if (b->kind == B_TX)
			bench_tx_fill(b);
		dp_stack_flush(st);
		if (work == 0 && use_wait)
			dp_posix_wait(p, 1000);
	}
	pthread_join(th, NULL);
	dp_posix_fini(p);
	free(mem);
	return 0;
}

/* ---- plain blocking sockets server -------------------------------------------------------- */

static int
bench_plain_listen(uint16_t *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(LO)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
bench_plain_run(struct bench *b)
{
	static char buf[BUF_BYTES];
	int lfd = bench_plain_listen(&b->port), fd, one = 1;
	pthread_t th;
	uint64_t t0, n_all = 0;

	if (lfd < 0)
		return -1;
	atomic_store(&b->done, false);
	pthread_create(&th, NULL, bench_client, b);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = bench_now_ns();
	if (b->kind == B_PING) {
		char c;

		while (read(fd, &c, 1) == 1 && write(fd, &c, 1) == 1)
			;
	} else if (b->kind == B_RX) {
		ssize_t n;

		while (n_all < b->bytes && (n = read(fd, buf, BUF_BYTES)) > 0)
			n_all += (uint64_t)n;
		b->secs = (double)(bench_now_ns() - t0) / 1e9;
		atomic_store(&b->done, true);
	} else {
		while (n_all < b->bytes) {
			size_t len = b->bytes - n_all < BUF_BYTES ? (size_t)(b->bytes - n_all)
								  : BUF_BYTES;
			ssize_t n = write(fd, buf, len);

			if (n <= 0)
				break;
			n_all += (uint64_t)n;
		}
	}
	pthread_join(th, NULL);
	close(fd);
	close(lfd);
	return 0;
}

/* ---- reporting ---------------------------------------------------------------------------- */

struct bench_lat {
	double p50, p99, mean;
	uint32_t n;
};

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct bench_lat
bench_lat(double *v, uint32_t n)
{
	struct bench_lat l = {0};
	uint32_t warm = n / 10, i; /* the first 10% warm up caches and the scheduler */
	double sum = 0;

	if (n - warm == 0)
		return l;
	v += warm;
	n -= warm;
	qsort(v, n, sizeof(*v), bench_cmp);
	for (i = 0; i < n; i++)
		sum += v[i];
	l.p50 = v[n / 2];
	l.p99 = v[(uint32_t)((double)n * 0.99)];
	l.mean = sum / n;
	l.n = n;
	return l;
}

static struct bench_lat
bench_ping(struct rte_mempool *pool, uint32_t iters, int which)
{
	struct bench b = {.kind = B_PING, .iters = iters, .pool = pool};

	b.rtt_us = calloc(iters, sizeof(double));
	if (which == 2)
		bench_plain_run(&b);
	else
		bench_posix_run(&b, which == 1);
	struct bench_lat l = bench_lat(b.rtt_us, b.iters);

	free(b.rtt_us);
	return l;
}

static double
bench_bulk(struct rte_mempool *pool, uint64_t bytes, enum bench_kind k, bool plain)
{
	struct bench b = {.kind = k, .bytes = bytes, .pool = pool};

	if (plain)
		bench_plain_run(&b);
	else
		bench_posix_run(&b, false);
	return b.secs > 0 ? (double)bytes * 8 / b.secs / 1e9 : 0;
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
	uint32_t iters = 20000;
	uint64_t mib = 1024;
	bool json = false;
	struct rte_mempool *pool;
	struct bench_lat lp, lw, lk;
	double rx_p, rx_k, tx_p, tx_k;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
			iters = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rx-segs") == 0 && i + 1 < argc)
			bench_rx_segs = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc)
			mib = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--json] [--iters N] [--mib N] [--rx-segs N]\n",
				argv[0]);
			return 2;
		}
	}
	snprintf(prefix, sizeof(prefix), "b%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("bposix", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "pool create failed\n");
		return 1;
	}
	lp = bench_ping(pool, iters, 0);
	lw = bench_ping(pool, iters, 1);
	lk = bench_ping(pool, iters, 2);
	rx_p = bench_bulk(pool, mib << 20, B_RX, false);
	rx_k = bench_bulk(pool, mib << 20, B_RX, true);
	tx_p = bench_bulk(pool, mib << 20, B_TX, false);
	tx_k = bench_bulk(pool, mib << 20, B_TX, true);

	if (json) {
		printf("{\"bench\":\"posix\",\"provisional\":true,\"iters\":%u,\"bulk_mib\":%llu,"
		       "\"rx_segs\":%u,"
		       "\"pingpong_us\":{"
		       "\"posix_poll\":{\"p50\":%.2f,\"p99\":%.2f,\"mean\":%.2f},"
		       "\"posix_wait\":{\"p50\":%.2f,\"p99\":%.2f,\"mean\":%.2f},"
		       "\"plain_blocking\":{\"p50\":%.2f,\"p99\":%.2f,\"mean\":%.2f}},"
		       "\"bulk_gbps\":{\"posix_rx\":%.2f,\"plain_rx\":%.2f,\"posix_tx\":%.2f,"
		       "\"plain_tx\":%.2f}}\n",
		       iters, (unsigned long long)mib,
		       bench_rx_segs ? bench_rx_segs : DP_POSIX_DEF_RX_SEGS, lp.p50, lp.p99,
		       lp.mean, lw.p50, lw.p99, lw.mean, lk.p50, lk.p99, lk.mean, rx_p, rx_k, tx_p,
		       tx_k);
	} else {
		printf("skiff-bench-posix (loopback, provisional figures)\n");
		printf("1-byte ping-pong RTT, us        p50      p99     mean\n");
		printf("  posix stack, busy poll   %8.2f %8.2f %8.2f\n", lp.p50, lp.p99, lp.mean);
		printf("  posix stack, epoll wait  %8.2f %8.2f %8.2f\n", lw.p50, lw.p99, lw.mean);
		printf("  plain blocking sockets   %8.2f %8.2f %8.2f\n", lk.p50, lk.p99, lk.mean);
		printf("bulk, one stream, %llu MiB, Gbit/s\n", (unsigned long long)mib);
		printf("  rx: posix %.2f  plain %.2f\n", rx_p, rx_k);
		printf("  tx: posix %.2f  plain %.2f\n", tx_p, tx_k);
	}
	if (rte_mempool_avail_count(pool) != 16383)
		fprintf(stderr, "warning: %u mbufs not returned\n",
			16383 - rte_mempool_avail_count(pool));
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}
