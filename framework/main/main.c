/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sk_main(): a Skiff application's process, from the command line to exit (skiff_main.h). It sits
 * on top of the runtime (sk/runtime.h: EAL, cores, the stack each core runs) and the RSocket
 * engine (rs/engine.h): per worker core, after the runtime built and attached the stack, it
 * creates the core's engine with the application's handlers, listens through the stack, and plugs
 * the engine into the loop through the runtime's core hooks:
 *
 *   begin  rs_engine_set_now (the engine's clock, before rx runs its upcalls)
 *   poll   the app's own poll hook, then rs_engine_flush (one dp_stream_send per connection)
 *   stop   refuse new connections, the app's stop hook; once the app is drained, close every
 *          connection gracefully; the core is drained when the engine has none left
 *   fini   counters copied, rs_engine_free (the app's core_teardown), before the stack goes
 *
 * Control path only; the data path is the engine's and the stack's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include <dp/posix.h>
#include <sk/router.h>

#include "main_priv.h"

static struct sk_main sk_main_g;

void
sk_main_request_stop(void)
{
	struct sk_runtime *rt = __atomic_load_n(&sk_main_g.rt, __ATOMIC_ACQUIRE);

	if (rt != NULL)
		sk_runtime_request_stop(rt);
}

unsigned
sk_main_cores(void)
{
	return sk_main_g.n_cores;
}

const char *
sk_main_stack_kind(void)
{
	if (sk_main_g.mc == NULL || sk_main_g.n_cores == 0)
		return "";
	return sk_main_g.stack.kind == SK_STACK_CHOICE_NATIVE ? "native" : "posix";
}

/* ---- per-core hooks ---------------------------------------------------------------------------
 */

static void *
sk_main_accept(void *listen_ctx, struct dp_stream *s)
{
	struct sk_main_core *mc = listen_ctx;

	if (mc->stopping)
		return NULL; /* the stack resets it (stream.h accept()) */
	return rs_engine_server_attach(mc->e, s);
}

/* The engine's allocator on this core: its jemalloc arena (DESIGN.md, hot path rules). */
static void *
sk_main_eng_alloc(void *ctx, size_t n)
{
	return sk_core_alloc(ctx, n);
}

static void *
sk_main_eng_zalloc(void *ctx, size_t n)
{
	return sk_core_zalloc(ctx, n);
}

static void
sk_main_eng_free(void *ctx, void *p)
{
	sk_core_free(ctx, p);
}

static int
sk_main_core_init(struct sk_core *c, void *arg)
{
	struct sk_main *m = arg;
	struct sk_main_core *mc = sk_core_zalloc(c, sizeof(*mc));
	int rc;

	if (mc == NULL)
		return -ENOMEM;
	mc->m = m;
	mc->c = c;
	c->app_ctx = mc;
	m->cores[c->id] = mc;
	struct rs_engine_conf ec = m->engine; /* the engine keeps its own copy */

	ec.alloc = (struct rs_engine_alloc){
		.alloc = sk_main_eng_alloc,
		.zalloc = sk_main_eng_zalloc,
		.free = sk_main_eng_free,
		.ctx = c,
	};
	rc = rs_engine_create(&ec, c->wheel, c->pool, c->stack, m->mc->app, m->router, c->id, &mc->e);
	if (rc != 0) {
		fprintf(stderr, "%s: core %u: engine: %s\n", m->prog, c->id, strerror(-rc));
		return rc;
	}
	rs_engine_set_now(mc->e, c->now_us);
	mc->listen_cbs = rs_engine_stream_cbs;
	mc->listen_cbs.accept = sk_main_accept;
	if (m->listen.port != 0 && c->stack != NULL) {
		struct dp_addr4 a = {.ip = m->listen.ip, .port = (uint16_t)m->listen.port};

		rc = dp_stack_listen(c->stack, &a, &mc->listen_cbs, mc);
		if (rc != 0) {
			fprintf(stderr, "%s: core %u: listen on port %u (%s stack): %s\n", m->prog,
				c->id, m->listen.port, sk_stack_kind_name(c->stack_kind),
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
sk_main_core_begin(struct sk_core *c)
{
	struct sk_main_core *mc = c->app_ctx;

	rs_engine_set_now(mc->e, c->now_us);
}

static unsigned
sk_main_core_poll(struct sk_core *c)
{
	struct sk_main_core *mc = c->app_ctx;
	const struct sk_main_hooks *h = mc->m->mc->hooks;
	unsigned work = 0;

	if (h != NULL && h->poll != NULL)
		work = h->poll(rs_engine_ctx(mc->e), sk_state(rs_engine_ctx(mc->e)));
	return work + rs_engine_flush(mc->e);
}

static void
sk_main_core_stop(struct sk_core *c)
{
	struct sk_main_core *mc = c->app_ctx;
	const struct sk_main_hooks *h = mc->m->mc->hooks;

	mc->stopping = true;
	if (c->posix != NULL)
		dp_posix_listen_close_all(c->posix);
	if (h != NULL && h->stop != NULL)
		h->stop(rs_engine_ctx(mc->e), sk_state(rs_engine_ctx(mc->e)));
}

/* Close every connection of the engine gracefully (ERROR[CONNECTION_CLOSE], then the transport). */
static void
sk_main_close_all(struct sk_main_core *mc)
{
	struct sk_ctx *cx = rs_engine_ctx(mc->e);

	for (uint32_t i = 1; i <= mc->m->engine.max_conns; i++) {
		struct sk_conn h;

		if (rs_engine_conn_handle(mc->e, i, &h) == 0)
			(void)sk_conn_close(cx, h);
	}
}

static bool
sk_main_core_drained(struct sk_core *c)
{
	struct sk_main_core *mc = c->app_ctx;
	const struct sk_main_hooks *h = mc->m->mc->hooks;
	struct sk_ctx *cx = rs_engine_ctx(mc->e);

	if (h != NULL && h->drained != NULL && !h->drained(cx, sk_state(cx)))
		return false;
	if (!mc->closing) {
		mc->closing = true;
		sk_main_close_all(mc);
	}
	return rs_engine_conn_count(mc->e) == 0;
}

static void
sk_main_core_fini(struct sk_core *c)
{
	struct sk_main_core *mc = c->app_ctx;

	if (mc == NULL)
		return;
	if (mc->e != NULL) {
		memcpy(mc->ctr, rs_engine_counters(mc->e), sizeof(mc->ctr));
		rs_engine_free(mc->e);
		mc->e = NULL;
	}
}

/* ---- command line -----------------------------------------------------------------------------
 */

struct sk_main_opts {
	const char *conf;
	const char *lcores;
	bool check, stats;
	unsigned duration_s;
	const char *sets[32];
	unsigned n_sets;
};

static void
sk_main_usage(struct sk_main *m, FILE *f)
{
	size_t need = sk_config_describe(&m->cfg, NULL, 0);
	char *buf = malloc(need + 1);

	fprintf(f,
		"Usage: %s [-c FILE] [options] [-- EAL arguments]\n"
		"\n"
		"%s"
		"\n"
		"Common options:\n"
		"  -c, --config FILE        configuration file (INI; sections below)%s%s%s\n"
		"      --set SEC.KEY=VALUE  override one key (repeatable), e.g. --set "
		"stack.kind=posix\n"
		"      --lcores LIST        worker CPUs, overrides [workers] lcores\n"
		"      --duration SEC       stop by itself after SEC seconds\n"
		"      --stats              one-line live summary every [stats] interval_ms\n"
		"      --check-config       validate the configuration and exit\n"
		"  -h, --help               this text\n"
		"  -- ARGS                  extra EAL arguments\n"
		"\n"
		"Telemetry: dpdk-telemetry.py -f <file prefix printed at start>: /skiff/stats,\n"
		"/skiff/cores, /skiff/stack.\n"
		"\n"
		"Configuration sections and keys:\n",
		m->prog, m->mc->usage ? m->mc->usage : "",
		m->mc->default_config ? " (default " : "",
		m->mc->default_config ? m->mc->default_config : "",
		m->mc->default_config ? ")" : "");
	if (buf != NULL) {
		sk_config_describe(&m->cfg, buf, need + 1);
		fputs(buf, f);
		free(buf);
	}
}

/* @return optind, -1 (error, exit 2) or -2 (help printed, exit 0). */
static int
sk_main_parse(struct sk_main *m, int argc, char **argv, struct sk_main_opts *o)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"stats", no_argument, NULL, 's'},
		{"lcores", required_argument, NULL, 'l'},
		{"duration", required_argument, NULL, 'd'},
		{"set", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'k':
			o->check = true;
			break;
		case 's':
			o->stats = true;
			break;
		case 'l':
			o->lcores = optarg;
			break;
		case 'S':
			if (o->n_sets == RTE_DIM(o->sets)) {
				fprintf(stderr, "%s: too many --set\n", m->prog);
				return -1;
			}
			o->sets[o->n_sets++] = optarg;
			break;
		case 'd': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end != '\0' || v == 0 || v > 86400) {
				fprintf(stderr, "%s: --duration %s: expected seconds in 1..86400\n",
					m->prog, optarg);
				return -1;
			}
			o->duration_s = (unsigned)v;
			break;
		}
		case 'h':
			sk_main_usage(m, stdout);
			return -2;
		default:
			fprintf(stderr, "%s: try --help\n", m->prog);
			return -1;
		}
	}
	if (o->conf == NULL)
		o->conf = m->mc->default_config;
	if (o->conf == NULL) {
		fprintf(stderr, "%s: no configuration file: -c FILE (try --help)\n", m->prog);
		return -1;
	}
	return optind;
}

static void
sk_main_errf(struct sk_config_err *err, const char *arg)
{
	size_t used = strlen(err->msg);

	err->count++;
	snprintf(err->msg + used, sizeof(err->msg) - used, "--set %s: expected SECTION.KEY=VALUE\n",
		 arg);
}

/* "port.0.ipv4=198.18.0.2": the key is after the last dot before '='. */
static int
sk_main_apply_set(struct sk_main *m, const char *arg, struct sk_config_err *err)
{
	char buf[512], *eq, *dot;

	snprintf(buf, sizeof(buf), "%s", arg);
	eq = strchr(buf, '=');
	if (eq == NULL) {
		sk_main_errf(err, arg);
		return -EINVAL;
	}
	*eq = '\0';
	dot = strrchr(buf, '.');
	if (dot == NULL) {
		sk_main_errf(err, arg);
		return -EINVAL;
	}
	*dot = '\0';
	return sk_config_set(&m->cfg, buf, dot + 1, eq + 1, err);
}

static int
sk_main_configure(struct sk_main *m, const struct sk_main_opts *o)
{
	struct sk_config_err err;
	char why[512];
	int rc;

	rc = sk_config_load(&m->cfg, o->conf, &err);
	/* --lcores first: a --set port.0.queues=2 is checked against the workers it names. */
	if (rc == 0 && o->lcores != NULL)
		rc = sk_config_set(&m->cfg, "workers", "lcores", o->lcores, &err);
	for (unsigned i = 0; rc == 0 && i < o->n_sets; i++)
		rc = sk_main_apply_set(m, o->sets[i], &err);
	if (rc == 0)
		rc = sk_stack_resolve(&m->cfg, &m->stack, &err);
	if (rc == 0)
		rc = sk_config_check_memory(&m->cfg, &err);
	if (rc != 0) {
		fprintf(stderr, "%s", err.msg);
		fprintf(stderr, "%s: %u error%s in configuration; nothing started\n", m->prog,
			err.count, err.count == 1 ? "" : "s");
		return -1;
	}
	sk_main_rs_to_engine(&m->rs, &m->engine);
	rc = sk_main_router_build(m, why, sizeof(why));
	if (rc != 0) {
		fprintf(stderr, "%s: %s: routes: %s\n", m->prog, o->conf, why);
		return -1;
	}
	return 0;
}

/* ---- run --------------------------------------------------------------------------------------
 */

struct sk_main_tick {
	struct sk_stats_snapshot prev;
	bool live;
	uint64_t stop_at_tsc;
	const char *prog;
};

static void
sk_main_tick(struct sk_runtime *rt, void *arg)
{
	struct sk_main_tick *t = arg;
	struct sk_stats_snapshot cur;
	char line[512];

	if (t->stop_at_tsc != 0 && rte_rdtsc() >= t->stop_at_tsc && !sk_runtime_stopping(rt))
		sk_runtime_request_stop(rt);
	if (!t->live)
		return;
	sk_stats_snapshot(rt, &cur);
	sk_stats_format_line(rt, &t->prev, &cur, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	t->prev = cur;
}

static void
sk_main_summary(struct sk_main *m)
{
	uint64_t s[RS_CTR_MAX] = {0};
	struct sk_stats_snapshot snap;

	for (unsigned i = 0; i < m->n_cores; i++)
		if (m->cores[i] != NULL)
			for (unsigned k = 0; k < RS_CTR_MAX; k++)
				s[k] += m->cores[i]->ctr[k];
	sk_stats_snapshot(m->rt, &snap);
	printf("%s: %s stack, %u core%s: rx %llu pkts %llu B, tx %llu pkts %llu B, stack drops "
	       "%llu; rsocket: %llu connections, frames rx %llu tx %llu, errors rx %llu tx %llu\n",
	       m->prog, sk_main_stack_kind(), m->n_cores, m->n_cores == 1 ? "" : "s",
	       (unsigned long long)snap.sum.rx_pkts, (unsigned long long)snap.sum.rx_bytes,
	       (unsigned long long)snap.sum.tx_pkts, (unsigned long long)snap.sum.tx_bytes,
	       (unsigned long long)snap.sum.drops[SK_DROP_STACK],
	       (unsigned long long)s[RS_CTR_CONN_OPEN], (unsigned long long)s[RS_CTR_FRAMES_RX],
	       (unsigned long long)s[RS_CTR_FRAMES_TX], (unsigned long long)s[RS_CTR_ERROR_RX],
	       (unsigned long long)s[RS_CTR_ERROR_TX]);
}

static int
sk_main_serve(struct sk_main *m, const struct sk_main_opts *o, int argc, char **argv)
{
	struct sk_main_tick tick = {.prog = m->prog};
	const struct sk_core_app hooks = {
		.name = m->mc->app->name,
		.core_init = sk_main_core_init,
		.begin = sk_main_core_begin,
		.poll = sk_main_core_poll,
		.stop_accepting = sk_main_core_stop,
		.drained = sk_main_core_drained,
		.core_fini = sk_main_core_fini,
		.arg = m,
	};
	char prefix[128];
	int rc;

	rc = sk_eal_check_cpus(&m->cfg, prefix, sizeof(prefix));
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", m->prog, o->conf, prefix);
		return 1;
	}
	rc = sk_eal_start(&m->cfg, argc, argv, prefix, sizeof(prefix));
	if (rc != 0) {
		fprintf(stderr, "%s: EAL start failed: %s\n", m->prog, strerror(-rc));
		return 1;
	}
	rc = sk_runtime_create(&m->cfg, &m->rt); /* published before any worker runs */
	if (rc != 0) {
		fprintf(stderr, "%s: runtime start failed: %s\n", m->prog, strerror(-rc));
		sk_eal_stop();
		return 1;
	}
	m->n_cores = sk_runtime_cores(m->rt);
	sk_signals_attach(m->rt);
	sk_runtime_set_stack(m->rt, &m->stack);
	sk_runtime_set_app(m->rt, &hooks);
	tick.live = o->stats || m->cfg.stats.live;
	if (o->duration_s != 0)
		tick.stop_at_tsc = rte_rdtsc() + (uint64_t)o->duration_s * rte_get_tsc_hz();
	sk_stats_snapshot(m->rt, &tick.prev);
	if (!m->mc->quiet) {
		char ip[16];

		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", m->listen.ip >> 24,
			 m->listen.ip >> 16 & 255, m->listen.ip >> 8 & 255, m->listen.ip & 255);
		if (m->listen.port != 0)
			printf("%s: %s stack, %u worker%s, listening on %s:%u; telemetry: "
			       "dpdk-telemetry.py -f %s\n",
			       m->prog, sk_main_stack_kind(), m->n_cores,
			       m->n_cores == 1 ? "" : "s",
			       m->stack.kind == SK_STACK_CHOICE_NATIVE && m->listen.ip == 0
				       ? "(port address)"
				       : ip,
			       m->listen.port, prefix);
		else
			printf("%s: %s stack, %u worker%s; telemetry: dpdk-telemetry.py -f %s\n",
			       m->prog, sk_main_stack_kind(), m->n_cores,
			       m->n_cores == 1 ? "" : "s", prefix);
		fflush(stdout);
	}
	rc = sk_runtime_run(
		m->rt, &(struct sk_run_opts){.tick = sk_main_tick,
					     .tick_arg = &tick,
					     .tick_ms = tick.live ? m->cfg.stats.interval_ms : 50});
	if (rc == -ETIMEDOUT)
		fprintf(stderr, "%s: stopped at the %u ms bound with work in flight\n", m->prog,
			m->cfg.limits.stop_timeout_ms);
	else if (rc != 0)
		fprintf(stderr, "%s: run failed: %s\n", m->prog, strerror(-rc));
	if (!m->mc->quiet)
		sk_main_summary(m);
	fflush(stdout);
	sk_signals_attach(NULL);
	sk_runtime_destroy(m->rt);
	for (unsigned i = 0; i < m->n_cores; i++)
		m->cores[i] = NULL; /* freed with the cores' arenas; n_cores stays for the report */
	m->rt = NULL;
	sk_eal_stop();
	return rc == 0 || rc == -ETIMEDOUT ? 0 : 1;
}

int
sk_main(const struct sk_main_conf *mc, int argc, char **argv)
{
	struct sk_main *m = &sk_main_g;
	struct sk_main_opts o = {0};
	const char *slash = strrchr(argv[0], '/');
	int rest, rc;

	memset(m, 0, sizeof(*m));
	m->mc = mc;
	m->prog = slash ? slash + 1 : argv[0];
	if (mc == NULL || mc->app == NULL || sk_main_conf_add(m) != 0) {
		fprintf(stderr, "%s: internal error: application or config schema\n", m->prog);
		return 1;
	}
	rest = sk_main_parse(m, argc, argv, &o);
	if (rest == -2)
		return 0;
	if (rest < 0)
		return 2;
	if (sk_main_configure(m, &o) != 0)
		return 2;
	if (o.check) {
		printf("%s: OK: %s stack, %u worker%s, %u port%s, %u route%s, listen port %u\n",
		       o.conf, m->stack.kind == SK_STACK_CHOICE_NATIVE ? "native" : "posix",
		       m->cfg.workers.n_cpus, m->cfg.workers.n_cpus == 1 ? "" : "s", m->cfg.n_ports,
		       m->cfg.n_ports == 1 ? "" : "s", sk_router_count(m->router),
		       sk_router_count(m->router) == 1 ? "" : "s", m->listen.port);
		sk_router_free(m->router);
		return 0;
	}
	if (sk_signals_install() != 0) {
		fprintf(stderr, "%s: cannot install signal handlers\n", m->prog);
		sk_router_free(m->router);
		return 1;
	}
	rc = sk_main_serve(m, &o, argc - rest, argv + rest);
	sk_router_free(m->router);
	m->router = NULL;
	return rc;
}
