/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-linux-tcp: the Linux-kernel side of the memif TCP benchmarks in scripts/bench.sh
 * (tcp-memif-bulk, tcp-memif-pingpong). The same two workloads over kernel TCP on loopback, so
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
 *
 * Every wait is bounded by a 120 s alarm. Exit status 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
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
	fprintf(stderr, "usage: skiff-linux-tcp sink PORT | send IP PORT BYTES | echo PORT | "
			"pingpong IP PORT N\n");
	return 2;
}
