/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-echod: the echo service (echo.h) in the per-core runtime (sk/runtime.h). Each worker core
 * builds the stack that [stack] kind names on its own mbuf pool, attaches it to its loop
 * (sk_core_attach_stack: the runtime then polls and flushes it every iteration) and listens on
 * [app.echo] ip:port through it. kind = posix is the posix stack (one SO_REUSEPORT listener per
 * core); kind = native is refused until the native TCP stack exists.
 *
 * Telemetry: /echod/posix,N gives core N's posix stack counters (dp_posix_stats_telemetry), beside
 * the runtime's /skiff/stats and /skiff/cores.
 *
 * Graceful stop (SIGINT/SIGTERM, or --duration): stop_accepting closes the core's listener and its
 * open streams in order; the core is drained when no stream is left (bounded by [limits]
 * stop_timeout_ms).
 *
 *   skiff-echod -c FILE [--duration SEC] [-- EAL arguments]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_telemetry.h>

#include <dp/posix.h>
#include <sk/config.h>
#include <sk/core.h>
#include <sk/runtime.h>

#include "echo.h"

enum echod_stack_kind { ECHOD_STACK_NATIVE, ECHOD_STACK_POSIX };

/* [stack]: which stack the cores run and the posix stack's knobs. */
struct echod_stack_conf {
	unsigned kind;
	uint32_t max_conns;
	uint32_t sndbuf_kb;
	uint32_t rx_segs;
	uint32_t linger_ms;
};

/* [app.echo] */
struct echod_app_conf {
	uint32_t ip;
	uint32_t port;
};

static const char *const echod_kinds[] = {"native", "posix", NULL};

static const struct sk_config_key echod_stack_keys[] = {
	{.name = "kind",
	 .type = SK_CFG_ENUM,
	 .choices = echod_kinds,
	 .offset = offsetof(struct echod_stack_conf, kind),
	 .size = sizeof(unsigned),
	 .def = "posix",
	 .help = "native (DPDK ports + userspace TCP) or posix (kernel sockets)"},
	{.name = "max_conns",
	 .type = SK_CFG_UINT,
	 .min = 1,
	 .max = 1u << 20,
	 .offset = offsetof(struct echod_stack_conf, max_conns),
	 .size = sizeof(uint32_t),
	 .def = "4096",
	 .help = "connections per core"},
	{.name = "sndbuf_kb",
	 .type = SK_CFG_UINT,
	 .min = 4,
	 .max = 1u << 20,
	 .offset = offsetof(struct echod_stack_conf, sndbuf_kb),
	 .size = sizeof(uint32_t),
	 .def = "256",
	 .help = "posix: bytes a stream may queue before send() says -EAGAIN, in KiB"},
	{.name = "rx_segs",
	 .type = SK_CFG_UINT,
	 .min = 1,
	 .max = DP_POSIX_MAX_RX_SEGS,
	 .offset = offsetof(struct echod_stack_conf, rx_segs),
	 .size = sizeof(uint32_t),
	 .def = "16",
	 .help = "posix: mbufs (2 KiB each) per readv"},
	{.name = "linger_ms",
	 .type = SK_CFG_UINT,
	 .min = 1,
	 .max = 600000,
	 .offset = offsetof(struct echod_stack_conf, linger_ms),
	 .size = sizeof(uint32_t),
	 .def = "5000",
	 .help = "posix: bound on an orderly close (queued data out, peer's FIN in)"},
};

static const struct sk_config_key echod_app_keys[] = {
	{.name = "ip",
	 .type = SK_CFG_IPV4,
	 .offset = offsetof(struct echod_app_conf, ip),
	 .size = sizeof(uint32_t),
	 .def = "127.0.0.1",
	 .help = "address to listen on (posix: 0.0.0.0 for any)"},
	{.name = "port",
	 .type = SK_CFG_UINT,
	 .min = 1,
	 .max = 65535,
	 .offset = offsetof(struct echod_app_conf, port),
	 .size = sizeof(uint32_t),
	 .required = true,
	 .help = "TCP port; every core listens on it"},
};

static const struct sk_config_section echod_stack_section = {
	.name = "stack",
	.keys = echod_stack_keys,
	.n_keys = RTE_DIM(echod_stack_keys),
	.help = "the transport stack of every worker core",
};

static const struct sk_config_section echod_app_section = {
	.name = "app.echo",
	.required = true,
	.keys = echod_app_keys,
	.n_keys = RTE_DIM(echod_app_keys),
	.help = "the echo service",
};

struct echod_conf {
	struct echod_stack_conf stack;
	struct echod_app_conf app;
};

/* Per-core state. The counters are copied out at fini for the main thread. */
struct echod_core {
	struct dp_posix *posix;
	struct echo_svc *svc;
	void *posix_mem;
	void *svc_mem;
	struct echo_stats es;
	struct dp_posix_stats ps;
};

static struct echod_core echod_cores[RTE_MAX_LCORE];

/* Telemetry /echod/posix,N: core N's posix stack counters. The telemetry thread reads a stack only
 * while it is published; a core unpublishes its stack and waits out the readers before freeing it
 * (the pattern of the runtime's own /skiff/ commands). */
static struct dp_posix *echod_tel_posix[RTE_MAX_LCORE];
static unsigned echod_tel_readers;

static int
echod_tel_posix_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_posix *p;
	unsigned long id;
	char *end;
	int rc;

	(void)cmd;
	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= RTE_MAX_LCORE)
		return -EINVAL;
	__atomic_add_fetch(&echod_tel_readers, 1, __ATOMIC_SEQ_CST);
	p = __atomic_load_n(&echod_tel_posix[id], __ATOMIC_SEQ_CST);
	rc = p != NULL ? dp_posix_stats_telemetry(p, d) : -ENODEV;
	__atomic_sub_fetch(&echod_tel_readers, 1, __ATOMIC_ACQ_REL);
	return rc;
}

static void
echod_tel_publish(unsigned id, struct dp_posix *p)
{
	__atomic_store_n(&echod_tel_posix[id], p, __ATOMIC_SEQ_CST);
	if (p == NULL)
		while (__atomic_load_n(&echod_tel_readers, __ATOMIC_SEQ_CST) != 0)
			rte_pause();
}

/* The runtime's adaptive idle sleeps here: in epoll_wait on the core's sockets, so a request wakes
 * the core at once instead of after the rest of a fixed sleep. */
static void
echod_idle_wait(void *ctx, uint32_t max_us)
{
	(void)dp_posix_wait(ctx, max_us);
}

static int
echod_core_init(struct sk_core *c, void *arg)
{
	const struct echod_conf *conf = arg;
	struct echod_core *ec = &echod_cores[c->id];
	struct dp_posix_conf pc = {
		.pool = c->pool,
		.max_conns = conf->stack.max_conns + 64,
		.sndbuf_bytes = conf->stack.sndbuf_kb * 1024u,
		.rx_segs = conf->stack.rx_segs,
		.linger_us = conf->stack.linger_ms * 1000u,
		.name = "echod",
	};
	struct dp_addr4 local = {.ip = conf->app.ip, .port = (uint16_t)conf->app.port};
	int err = 0;

	memset(ec, 0, sizeof(*ec));
	c->app_ctx = ec;
	if (conf->stack.kind != ECHOD_STACK_POSIX)
		return -ENOTSUP;
	ec->posix_mem = rte_zmalloc_socket("echod_posix", dp_posix_memsize(&pc), 64, c->socket);
	ec->svc_mem = rte_zmalloc_socket("echod_svc", echo_svc_memsize(conf->stack.max_conns), 64,
					 c->socket);
	if (ec->posix_mem == NULL || ec->svc_mem == NULL)
		return -ENOMEM;
	ec->posix = dp_posix_init(ec->posix_mem, &pc);
	if (ec->posix == NULL)
		return -errno;
	ec->svc = echo_svc_init(ec->svc_mem, conf->stack.max_conns, dp_posix_stack(ec->posix),
				&local, &err);
	if (ec->svc == NULL)
		return err;
	sk_core_attach_stack(c, dp_posix_stack(ec->posix));
	sk_core_set_idle_wait(c, echod_idle_wait, ec->posix);
	echod_tel_publish(c->id, ec->posix);
	return 0;
}

static void
echod_stop_accepting(struct sk_core *c)
{
	struct echod_core *ec = c->app_ctx;

	if (ec->posix == NULL || ec->svc == NULL)
		return;
	dp_posix_listen_close_all(ec->posix);
	echo_svc_close_all(ec->svc);
}

static bool
echod_drained(struct sk_core *c)
{
	struct echod_core *ec = c->app_ctx;

	return ec->svc == NULL || echo_svc_open(ec->svc) == 0;
}

static void
echod_core_fini(struct sk_core *c)
{
	struct echod_core *ec = c->app_ctx;

	if (ec == NULL)
		return;
	sk_core_attach_stack(c, NULL);
	sk_core_set_idle_wait(c, NULL, NULL);
	echod_tel_publish(c->id, NULL);
	if (ec->posix != NULL) {
		dp_posix_fini(ec->posix);
		ec->ps = *dp_posix_stats(ec->posix);
	}
	if (ec->svc != NULL) {
		echo_svc_fini(ec->svc);
		ec->es = *echo_svc_stats(ec->svc);
	}
	rte_free(ec->svc_mem);
	rte_free(ec->posix_mem);
	ec->posix = NULL;
	ec->svc = NULL;
}

struct echod_tick {
	uint64_t stop_at_tsc;
};

static void
echod_tick(struct sk_runtime *rt, void *arg)
{
	struct echod_tick *t = arg;

	if (t->stop_at_tsc != 0 && rte_rdtsc() >= t->stop_at_tsc && !sk_runtime_stopping(rt))
		sk_runtime_request_stop(rt);
}

static void
echod_report(const struct sk_runtime *rt)
{
	struct echo_stats tot = {0};
	unsigned i;

	for (i = 0; i < sk_runtime_cores(rt); i++) {
		const struct echod_core *ec = &echod_cores[i];

		printf("echod: core %u: accepted %llu closed %llu closed_err %llu echoed %llu "
		       "reads %llu writes %llu rx_nombuf %llu\n",
		       i, (unsigned long long)ec->es.accepted, (unsigned long long)ec->es.closed,
		       (unsigned long long)ec->es.closed_err, (unsigned long long)ec->es.bytes,
		       (unsigned long long)ec->ps.read_calls,
		       (unsigned long long)ec->ps.write_calls,
		       (unsigned long long)ec->ps.rx_nombuf);
		tot.accepted += ec->es.accepted;
		tot.closed += ec->es.closed;
		tot.closed_err += ec->es.closed_err;
		tot.bytes += ec->es.bytes;
	}
	printf("echod: total cores %u accepted %llu echoed %llu closed %llu closed_err %llu\n",
	       sk_runtime_cores(rt), (unsigned long long)tot.accepted,
	       (unsigned long long)tot.bytes, (unsigned long long)tot.closed,
	       (unsigned long long)tot.closed_err);
}

static int
echod_serve(const struct sk_config *cfg, struct echod_conf *conf, unsigned duration_s, int argc,
	    char **argv)
{
	const struct sk_app app = {
		.name = "echo",
		.core_init = echod_core_init,
		.stop_accepting = echod_stop_accepting,
		.drained = echod_drained,
		.core_fini = echod_core_fini,
		.arg = conf,
	};
	struct echod_tick tick = {0};
	struct sk_runtime *rt;
	char prefix[128];
	int rc;

	rc = sk_eal_start(cfg, argc, argv, prefix, sizeof(prefix));
	if (rc != 0) {
		fprintf(stderr, "echod: EAL start failed: %s\n", strerror(-rc));
		return 1;
	}
	if (rte_telemetry_register_cmd("/echod/posix", echod_tel_posix_cb,
				       "posix stack counters of one core; param: core id") != 0)
		fprintf(stderr, "echod: telemetry command /echod/posix not registered\n");
	rc = sk_runtime_create(cfg, &rt);
	if (rc != 0) {
		fprintf(stderr, "echod: runtime start failed: %s\n", strerror(-rc));
		sk_eal_stop();
		return 1;
	}
	sk_signals_attach(rt);
	sk_runtime_set_app(rt, &app);
	if (duration_s != 0)
		tick.stop_at_tsc = rte_rdtsc() + (uint64_t)duration_s * rte_get_tsc_hz();
	printf("echod: %u core%s, stack %s, listening on port %u\n", cfg->workers.n_cpus,
	       cfg->workers.n_cpus == 1 ? "" : "s", echod_kinds[conf->stack.kind], conf->app.port);
	fflush(stdout);
	rc = sk_runtime_run(
		rt, &(struct sk_run_opts){.tick = echod_tick, .tick_arg = &tick, .tick_ms = 100});
	if (rc != 0 && rc != -ETIMEDOUT)
		fprintf(stderr, "echod: run failed: %s%s\n", strerror(-rc),
			rc == -ENOTSUP ? " ([stack] kind = native is not available yet)" : "");
	echod_report(rt);
	fflush(stdout);
	sk_signals_attach(NULL);
	sk_runtime_destroy(rt);
	sk_eal_stop();
	return rc == 0 || rc == -ETIMEDOUT ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct sk_config cfg;
	static struct echod_conf conf;
	struct sk_config_err err;
	const char *path = NULL;
	unsigned duration_s = 0;
	int ch;

	sk_config_init(&cfg);
	if (sk_config_add_section(&cfg, &echod_stack_section, &conf.stack) != 0 ||
	    sk_config_add_section(&cfg, &echod_app_section, &conf.app) != 0) {
		fprintf(stderr, "echod: internal error: config sections\n");
		return 1;
	}
	while ((ch = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		if (ch == 'c') {
			path = optarg;
		} else if (ch == 'd') {
			duration_s = (unsigned)strtoul(optarg, NULL, 10);
		} else {
			fprintf(stderr,
				"usage: skiff-echod -c FILE [--duration SEC] [-- EAL args]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "echod: no configuration file: -c FILE\n");
		return 2;
	}
	if (sk_config_load(&cfg, path, &err) != 0) {
		fprintf(stderr, "%s", err.msg);
		return 1;
	}
	if (sk_signals_install() != 0) {
		fprintf(stderr, "echod: cannot install signal handlers\n");
		return 1;
	}
	return echod_serve(&cfg, &conf, duration_s, argc - optind, argv + optind);
}
