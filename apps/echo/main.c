/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-echo: the echo service (echo.h) on the posix stack, one worker per EAL lcore. Each worker
 * owns an mbuf pool, a posix stack instance with its own SO_REUSEPORT listener on the shared port
 * (the kernel spreads connections over the workers) and an echo service, and runs the loop
 * poll → flush → idle policy until SIGINT/SIGTERM or --seconds.
 *
 * A standalone minimal main: no configuration file and no runtime, handy for quick runs and
 * benchmarks. skiff-echod (echod.c) is the same service in the per-core runtime under
 * [stack] kind = posix.
 *
 *   skiff-echo [EAL args] -- [--port N] [--ip A.B.C.D] [--idle poll|adaptive] [--seconds S]
 *                            [--max-conns N]
 *
 * On SIGINT/SIGTERM each worker closes its listener, closes its open streams in order (bounded by
 * 1 s), then prints one line per worker and a total line; exit 0 if every worker started.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <dp/posix.h>

#include "echo.h"

struct echo_opts {
	struct dp_addr4 addr;
	bool adaptive;
	uint32_t seconds;
	uint32_t max_conns;
};

struct echo_worker {
	unsigned lcore;
	int err;
	bool started;
	struct echo_stats es;
	struct dp_posix_stats ps;
};

static struct echo_opts opts = {
	.addr = {.ip = 0, .port = 7878}, .adaptive = true, .max_conns = 4096};
static struct echo_worker workers[RTE_MAX_LCORE];
static atomic_bool stop;

static void
echo_on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static uint64_t
echo_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Idle policy "adaptive": spin while there is work or it stopped only just now, then block in
 * epoll_wait for up to 1 ms so an idle worker sleeps yet wakes as soon as a socket has input. */
static void
echo_idle(struct dp_posix *p, unsigned work, unsigned *idle)
{
	if (work != 0) {
		*idle = 0;
		return;
	}
	if (!opts.adaptive || ++*idle < 256)
		return;
	dp_posix_wait(p, 1000);
}

/* Graceful stop: no new connections, orderly close of the open ones, bounded by 1 s; the stack's
 * fini then ends whatever is left. */
static void
echo_drain(struct dp_posix *p, struct echo_svc *e)
{
	struct dp_stack *st = dp_posix_stack(p);
	uint64_t end = echo_now_us() + 1000000;

	dp_posix_listen_close_all(p);
	echo_svc_close_all(e);
	while ((echo_svc_open(e) > 0) && echo_now_us() < end) {
		unsigned work = dp_stack_poll(st, echo_now_us());

		dp_stack_flush(st);
		if (work == 0)
			dp_posix_wait(p, 1000);
	}
}

static int
echo_worker_main(void *arg)
{
	struct echo_worker *w = arg;
	struct dp_posix_conf conf = {.max_conns = opts.max_conns + 64, .name = "echo"};
	struct rte_mempool *pool;
	struct dp_posix *p = NULL;
	struct echo_svc *e = NULL;
	void *pmem = NULL, *emem = NULL;
	unsigned socket = rte_socket_id(), idle = 0;
	char name[32];
	int err = 0;

	(void)prctl(PR_SET_TIMERSLACK, 1);
	snprintf(name, sizeof(name), "echo_pool%u", w->lcore);
	pool = rte_pktmbuf_pool_create(name, 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)socket);
	if (pool == NULL) {
		w->err = -ENOMEM;
		goto out;
	}
	conf.pool = pool;
	pmem = rte_zmalloc_socket("echo_posix", dp_posix_memsize(&conf), 64, (int)socket);
	emem = rte_zmalloc_socket("echo_svc", echo_svc_memsize(opts.max_conns), 64, (int)socket);
	if (pmem == NULL || emem == NULL) {
		w->err = -ENOMEM;
		goto out;
	}
	p = dp_posix_init(pmem, &conf);
	if (p == NULL) {
		w->err = -errno;
		goto out;
	}
	e = echo_svc_init(emem, opts.max_conns, dp_posix_stack(p), &opts.addr, &err);
	if (e == NULL) {
		w->err = err;
		goto out;
	}
	w->started = true;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct dp_stack *st = dp_posix_stack(p);
		unsigned work = dp_stack_poll(st, echo_now_us());

		dp_stack_flush(st);
		echo_idle(p, work, &idle);
	}
	echo_drain(p, e);
out:
	if (p != NULL) {
		dp_posix_fini(p);
		w->ps = *dp_posix_stats(p);
	}
	if (e != NULL) {
		echo_svc_fini(e);
		w->es = *echo_svc_stats(e);
	}
	rte_free(emem);
	rte_free(pmem);
	if (pool != NULL) {
		if (rte_mempool_in_use_count(pool) != 0)
			fprintf(stderr, "echo: lcore %u: %u mbufs not returned\n", w->lcore,
				rte_mempool_in_use_count(pool));
		rte_mempool_free(pool);
	}
	if (w->err != 0)
		atomic_store(&stop, true);
	return w->err;
}

static int
echo_parse(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		struct in_addr ia;

		if (strcmp(argv[i], "--port") == 0 && v != NULL) {
			opts.addr.port = (uint16_t)strtoul(v, NULL, 10);
		} else if (strcmp(argv[i], "--ip") == 0 && v != NULL &&
			   inet_pton(AF_INET, v, &ia) == 1) {
			opts.addr.ip = ntohl(ia.s_addr);
		} else if (strcmp(argv[i], "--idle") == 0 && v != NULL &&
			   (strcmp(v, "poll") == 0 || strcmp(v, "adaptive") == 0)) {
			opts.adaptive = strcmp(v, "adaptive") == 0;
		} else if (strcmp(argv[i], "--seconds") == 0 && v != NULL) {
			opts.seconds = (uint32_t)strtoul(v, NULL, 10);
		} else if (strcmp(argv[i], "--max-conns") == 0 && v != NULL) {
			opts.max_conns = (uint32_t)strtoul(v, NULL, 10);
		} else {
			fprintf(stderr, "usage: skiff-echo [EAL args] -- [--port N] [--ip A.B.C.D] "
					"[--idle poll|adaptive] [--seconds S] [--max-conns N]\n");
			return -1;
		}
	}
	if (opts.addr.port == 0 || opts.max_conns == 0) {
		fprintf(stderr,
			"echo: --port and --max-conns must be > 0 (the workers share the port)\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct echo_stats tot = {0};
	uint64_t rd = 0, wr = 0, nombuf = 0;
	unsigned lc, n = 0, failed = 0;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "echo: EAL init failed\n");
		return 1;
	}
	if (echo_parse(argc - ret - 1 > 0 ? argc - ret - 1 : 0, argv + ret + 1) < 0) {
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, echo_on_signal);
	signal(SIGTERM, echo_on_signal);
	RTE_LCORE_FOREACH(lc)
	{
		workers[lc].lcore = lc;
		n++;
	}
	RTE_LCORE_FOREACH_WORKER(lc)
	rte_eal_remote_launch(echo_worker_main, &workers[lc], lc);
	/* The main lcore works too; --seconds is an alarm that only sets the stop flag. */
	if (opts.seconds > 0) {
		signal(SIGALRM, echo_on_signal);
		alarm(opts.seconds);
	}
	echo_worker_main(&workers[rte_get_main_lcore()]);
	rte_eal_mp_wait_lcore();

	RTE_LCORE_FOREACH(lc)
	{
		struct echo_worker *w = &workers[lc];

		printf("echo: lcore %u: %s accepted %llu closed %llu bytes %llu held %llu "
		       "reads %llu writes %llu rx_nombuf %llu err %d\n",
		       lc, w->started ? "ok" : "FAILED", (unsigned long long)w->es.accepted,
		       (unsigned long long)w->es.closed, (unsigned long long)w->es.bytes,
		       (unsigned long long)w->es.held, (unsigned long long)w->ps.read_calls,
		       (unsigned long long)w->ps.write_calls, (unsigned long long)w->ps.rx_nombuf,
		       w->err);
		tot.accepted += w->es.accepted;
		tot.bytes += w->es.bytes;
		tot.closed += w->es.closed;
		tot.closed_err += w->es.closed_err;
		rd += w->ps.read_bytes;
		wr += w->ps.write_bytes;
		nombuf += w->ps.rx_nombuf;
		failed += !w->started;
	}
	printf("echo: total workers %u accepted %llu echoed %llu read %llu written %llu "
	       "rx_nombuf %llu closed %llu closed_err %llu\n",
	       n, (unsigned long long)tot.accepted, (unsigned long long)tot.bytes,
	       (unsigned long long)rd, (unsigned long long)wr, (unsigned long long)nombuf,
	       (unsigned long long)tot.closed, (unsigned long long)tot.closed_err);
	rte_eal_cleanup();
	return failed == 0 ? 0 : 1;
}
