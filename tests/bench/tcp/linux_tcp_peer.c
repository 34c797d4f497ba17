/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-linux-tcp: the Linux-kernel side of the memif TCP benchmarks in scripts/bench-micro.sh
 * (tcp-memif-bulk, tcp-memif-pingpong, tcp-memif-connrate). The same two workloads over kernel TCP on loopback, so
 * our stack can be put side by side with Linux on the same machine. bench.sh pins the two
 * processes to different CPUs (taskset), like the two DPDK processes.
 *
 *   skiff-linux-tcp sink PORT               accept one connection, read and discard until EOF
 *   skiff-linux-tcp send IP PORT BYTES      connect, write BYTES from a 64 KiB buffer, then wait
 *                                           until the kernel reports no unacknowledged byte
 *                                           (SIOCOUTQ); prints "bulk bytes N usec T gbps G",
 *                                           timed from connect() returning to that moment
 *   skiff-linux-tcp echo PORT               accept one connection, echo every byte (TCP_NODELAY)
 *   skiff-linux-tcp pingpong IP PORT N      N round trips of 1 byte (TCP_NODELAY), one at a
 *                                           time; prints "pingpong n N p50_ns .. p99_ns ..
 *                                           p999_ns .. max_ns .." (TSC per round trip)
 *   skiff-linux-tcp cecho PORT              echo server for many connections (epoll, one thread,
 *                                           TCP_NODELAY): echo every byte, close after the peer's
 *                                           FIN; runs until SIGTERM (or the alarm)
 *   skiff-linux-tcp connrate IP PORT N K [B]
 *                                           N short connections, K in flight (nonblocking, epoll,
 *                                           one thread): connect, send B bytes (64), check the
 *                                           echo, close() (our FIN first: TIME-WAIT on this
 *                                           side); prints "connrate n N ... cps R p50_us ..
 *                                           p99_us .." (TSC from the first connect() to the last
 *                                           close()) and a "connrate_fail errno E count N" line
 *                                           per failure kind, like skiff-tcp-test --connrate
 *
 * Every wait is bounded by a 120 s alarm. Exit status 0 on success.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static uint64_t
lt_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TSC cycles per ns, measured against CLOCK_MONOTONIC over 100 ms. */
static double
lt_tsc_per_ns(void)
{
	uint64_t n0 = lt_ns(), c0 = __rdtsc(), n1, c1;
	struct timespec d = {0, 100000000};

	nanosleep(&d, NULL);
	n1 = lt_ns();
	c1 = __rdtsc();
	return (double)(c1 - c0) / (double)(n1 - n0);
}

static int
lt_listen_accept(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0) {
		perror("listen");
		return -1;
	}
	printf("ready\n");
	fflush(stdout);
	s = accept(l, NULL, NULL);
	close(l);
	if (s >= 0)
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

static int
lt_connect(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), i;

	if (s < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return -1;
	for (i = 0; i < 200; i++) { /* the server may still be starting: retry for 2 s */
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return s;
		}
		usleep(10000);
	}
	perror("connect");
	close(s);
	return -1;
}

static int
lt_sink(int port)
{
	static char buf[1 << 18];
	int s = lt_listen_accept(port);
	ssize_t n;

	if (s < 0)
		return 1;
	while ((n = read(s, buf, sizeof(buf))) > 0)
		;
	close(s);
	return n == 0 ? 0 : 1;
}

static int
lt_send(const char *ip, int port, uint64_t bytes)
{
	static char buf[1 << 16];
	uint64_t t0, t1, left = bytes;
	int s = lt_connect(ip, port), outq = 1;

	if (s < 0)
		return 1;
	memset(buf, 0x5a, sizeof(buf));
	t0 = lt_ns();
	while (left > 0) {
		ssize_t n = write(s, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n <= 0) {
			perror("write");
			return 1;
		}
		left -= (uint64_t)n;
	}
	while (ioctl(s, SIOCOUTQ, &outq) == 0 && outq > 0)
		;
	t1 = lt_ns();
	printf("bulk bytes %lu usec %.0f gbps %.3f\n", (unsigned long)bytes, (t1 - t0) / 1e3,
	       (double)bytes * 8 / (double)(t1 - t0));
	close(s);
	return 0;
}

static int
lt_echo(int port)
{
	char buf[4096];
	int s = lt_listen_accept(port);
	ssize_t n;

	if (s < 0)
		return 1;
	while ((n = read(s, buf, sizeof(buf))) > 0)
		if (write(s, buf, (size_t)n) != n)
			return 1;
	close(s);
	return 0;
}

static int
lt_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
lt_pingpong(const char *ip, int port, uint64_t n)
{
	uint64_t *lat = calloc(n, sizeof(*lat)), i;
	double tpn = lt_tsc_per_ns();
	int s = lt_connect(ip, port);
	char b = 1;

	if (s < 0 || lat == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		uint64_t c0 = __rdtsc();

		if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) {
			perror("pingpong");
			return 1;
		}
		lat[i] = __rdtsc() - c0;
	}
	close(s);
	qsort(lat, n, sizeof(*lat), lt_u64_cmp);
	printf("pingpong n %lu p50_ns %.0f p99_ns %.0f p999_ns %.0f max_ns %.0f\n",
	       (unsigned long)n, lat[n / 2] / tpn, lat[n * 99 / 100] / tpn,
	       lat[n * 999 / 1000] / tpn, lat[n - 1] / tpn);
	free(lat);
	return 0;
}

/* ---- connection rate ---- */

#define LT_CR_MAX_K 1024
#define LT_CR_NERR 256

static volatile sig_atomic_t lt_stop;

static void
lt_on_term(int sig)
{
	(void)sig;
	lt_stop = 1;
}

static int
lt_cecho(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct epoll_event ev[64];
	int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ep = epoll_create1(0);
	char buf[4096];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || ep < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 4096) != 0) {
		perror("cecho listen");
		return 1;
	}
	signal(SIGTERM, lt_on_term);
	ev[0].events = EPOLLIN;
	ev[0].data.fd = l;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev[0]);
	printf("ready\n");
	fflush(stdout);
	while (!lt_stop) {
		int n = epoll_wait(ep, ev, 64, 200), i;

		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			ssize_t r;

			if (fd == l) {
				int s;

				while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event e = {.events = EPOLLIN, .data.fd = s};

					setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
				}
				continue;
			}
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				if (write(fd, buf, (size_t)r) != r)
					break; /* a few bytes into an empty socket buffer: not expected */
			if (r == 0 || (r < 0 && errno != EAGAIN))
				close(fd); /* the peer's FIN (or an error): our FIN follows */
		}
	}
	close(l);
	close(ep);
	return 0;
}

struct lt_cr_conn {
	int fd;
	bool sent;
	uint32_t rx;
	uint64_t id, t0;
};

struct lt_cr {
	struct sockaddr_in to;
	int ep;
	uint32_t req;
	uint64_t n, started, ok, failed, t_first, t_last;
	unsigned inflight;
	uint64_t *lat;
	uint64_t err[LT_CR_NERR];
	struct lt_cr_conn c[LT_CR_MAX_K];
};

static uint8_t
lt_cr_byte(uint64_t id, uint32_t i)
{
	return (uint8_t)(id * 131u + i * 7u + 17u);
}

static void
lt_cr_finish(struct lt_cr *r, struct lt_cr_conn *c, int err)
{
	uint64_t now = __rdtsc();

	if (c->fd >= 0)
		close(c->fd); /* a normal close: FIN (RST only if unread data were left) */
	c->fd = -1;
	if (err == 0)
		r->lat[r->ok++] = now - c->t0;
	else {
		r->failed++;
		r->err[err > 0 && err < LT_CR_NERR ? err : LT_CR_NERR - 1]++;
	}
	r->t_last = now;
	r->inflight--;
}

static void
lt_cr_start(struct lt_cr *r, struct lt_cr_conn *c)
{
	struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
	int one = 1;

	c->id = r->started++;
	c->t0 = __rdtsc();
	if (r->t_first == 0)
		r->t_first = c->t0;
	c->sent = false;
	c->rx = 0;
	r->inflight++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		lt_cr_finish(r, c, errno);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((connect(c->fd, (struct sockaddr *)&r->to, sizeof(r->to)) != 0 &&
	     errno != EINPROGRESS) ||
	    epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &e) != 0)
		lt_cr_finish(r, c, errno);
}

static void
lt_cr_event(struct lt_cr *r, struct lt_cr_conn *c)
{
	uint8_t buf[2048];
	ssize_t n;
	uint32_t i;

	if (!c->sent) {
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
			lt_cr_finish(r, c, err != 0 ? err : errno);
			return;
		}
		for (i = 0; i < r->req; i++)
			buf[i] = lt_cr_byte(c->id, i);
		errno = 0;
		if (write(c->fd, buf, r->req) != (ssize_t)r->req) {
			lt_cr_finish(r, c, errno != 0 ? errno : EIO);
			return;
		}
		c->sent = true;
		epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &e);
		return;
	}
	n = read(c->fd, buf, sizeof(buf));
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		lt_cr_finish(r, c, n == 0 ? EBADMSG : errno);
		return;
	}
	for (i = 0; i < (uint32_t)n; i++)
		if (c->rx + i >= r->req || buf[i] != lt_cr_byte(c->id, c->rx + i)) {
			lt_cr_finish(r, c, EBADMSG);
			return;
		}
	c->rx += (uint32_t)n;
	if (c->rx == r->req)
		lt_cr_finish(r, c, 0);
}

static int
lt_connrate(const char *ip, int port, uint64_t n, unsigned k, uint32_t req)
{
	double tpn = lt_tsc_per_ns(), us;
	struct epoll_event ev[64];
	struct lt_cr *r = calloc(1, sizeof(*r));
	uint64_t deadline_ns = lt_ns() + 60000000000ull; /* stop starting after 60 s */
	unsigned i;

	if (r == NULL || k == 0 || k > LT_CR_MAX_K || req == 0 || req > 1448)
		return 2;
	r->to.sin_family = AF_INET;
	r->to.sin_port = htons((uint16_t)port);
	r->n = n;
	r->req = req;
	r->lat = calloc(n, sizeof(*r->lat));
	r->ep = epoll_create1(0);
	if (r->lat == NULL || r->ep < 0 || inet_pton(AF_INET, ip, &r->to.sin_addr) != 1)
		return 2;
	for (i = 0; i < k; i++)
		r->c[i].fd = -1;
	for (;;) {
		int m, j;

		for (i = 0; i < k && r->started < n && lt_ns() < deadline_ns; i++)
			if (r->c[i].fd < 0 && r->inflight < k)
				lt_cr_start(r, &r->c[i]);
		if (r->inflight == 0)
			break;
		m = epoll_wait(r->ep, ev, 64, 1000);
		for (j = 0; j < m; j++)
			lt_cr_event(r, ev[j].data.ptr);
	}
	us = (double)(r->t_last - r->t_first) / tpn / 1e3;
	qsort(r->lat, r->ok, sizeof(*r->lat), lt_u64_cmp);
	printf("connrate n %lu started %lu ok %lu failed %lu inflight %u req_bytes %u usec %.0f "
	       "cps %.0f p50_us %.1f p99_us %.1f\n",
	       (unsigned long)n, (unsigned long)r->started, (unsigned long)r->ok,
	       (unsigned long)r->failed, k, req, us, us > 0 ? (double)r->ok * 1e6 / us : 0,
	       r->ok > 0 ? r->lat[r->ok / 2] / tpn / 1e3 : 0,
	       r->ok > 0 ? r->lat[r->ok * 99 / 100] / tpn / 1e3 : 0);
	for (i = 1; i < LT_CR_NERR; i++)
		if (r->err[i] != 0)
			printf("connrate_fail errno %u count %lu %s\n", i, (unsigned long)r->err[i],
			       strerror((int)i));
	i = r->ok == n;
	free(r->lat);
	close(r->ep);
	free(r);
	return i ? 0 : 1;
}

int
main(int argc, char **argv)
{
	alarm(120);
	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return lt_sink(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "send") == 0)
		return lt_send(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		return lt_echo(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "pingpong") == 0 && strtoull(argv[4], NULL, 0) > 0)
		return lt_pingpong(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc == 3 && strcmp(argv[1], "cecho") == 0)
		return lt_cecho(atoi(argv[2]));
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "connrate") == 0)
		return lt_connrate(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0),
				   (unsigned)atoi(argv[5]),
				   argc == 7 ? (uint32_t)strtoul(argv[6], NULL, 0) : 64);
	fprintf(stderr, "usage: skiff-linux-tcp sink PORT | send IP PORT BYTES | echo PORT | "
			"pingpong IP PORT N | cecho PORT | connrate IP PORT N K [BYTES]\n");
	return 2;
}
