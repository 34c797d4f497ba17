/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiffd: the Skiff daemon. Loads and checks the configuration, starts EAL and the per-core
 * runtime, and runs the demo service until SIGINT/SIGTERM: every worker core pings every core
 * (itself included) through the mailboxes on a timer, so the loop, timers, mailboxes, counters and
 * telemetry all move on a machine without a NIC. Later issues replace the demo with the RSocket
 * services.
 *
 * Signals (sk_signals_install): the first SIGINT/SIGTERM asks the runtime to stop (drain within
 * [limits] stop_timeout_ms, close, free, exit 0); a second one ends the process at once.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include <dp/timer.h>
#include <sk/config.h>
#include <sk/core.h>
#include <sk/mbox.h>
#include <sk/runtime.h>

/* ---- the demo service ----------------------------------------------------------------------- */

struct skiffd_demo_conf {
	uint32_t ping_interval_us;
	uint32_t drain_delay_ms;
};

static const struct sk_config_key skiffd_demo_keys[] = {
	{.name = "ping_interval_us",
	 .type = SK_CFG_UINT,
	 .min = 10,
	 .max = 10000000,
	 .offset = offsetof(struct skiffd_demo_conf, ping_interval_us),
	 .size = 4,
	 .def = "1000",
	 .help = "each core pings every core through the mailboxes this often"},
	{.name = "drain_delay_ms",
	 .type = SK_CFG_UINT,
	 .min = 0,
	 .max = 600000,
	 .offset = offsetof(struct skiffd_demo_conf, drain_delay_ms),
	 .size = 4,
	 .def = "0",
	 .help = "simulated in-flight work: after a stop request, keep reporting busy this long "
		 "(to exercise the stop bound)"},
};

static const struct sk_config_section skiffd_demo_section = {
	.name = "demo",
	.keys = skiffd_demo_keys,
	.n_keys = RTE_DIM(skiffd_demo_keys),
	.help = "skiffd's demo service (until the RSocket services exist)",
};

/* Per-core state of the demo, in the core's arena. Counters are read by the main thread. */
struct skiffd_demo_core {
	struct dp_timer ping;
	struct sk_core *core;
	const struct skiffd_demo_conf *conf;
	uint64_t pings_sent;
	uint64_t pongs;
	uint64_t rtt_cycles;	/**< sum over pongs */
	uint64_t busy_until_us; /**< drain_delay: in flight until then */
	uint64_t refused;	/**< -ENOBUFS from the mailbox (backpressure) */
};

static uint64_t
skiffd_demo_pong(struct sk_core *c, void *arg)
{
	(void)c;
	return (uint64_t)(uintptr_t)arg;
}

static void
skiffd_demo_reply(struct sk_core *c, void *arg, uint64_t sent_tsc)
{
	struct skiffd_demo_core *d = c->app_ctx;

	(void)arg;
	d->pongs++;
	d->rtt_cycles += rte_rdtsc() - sent_tsc;
}

static void
skiffd_demo_tick(struct dp_timer *t, void *arg)
{
	struct skiffd_demo_core *d = arg;
	struct sk_core *c = d->core;

	if (c->stopping)
		return; /* stop accepting: no new pings, the timer is not re-armed */
	{
		for (unsigned dst = 0; dst < sk_mbox_cores(c); dst++) {
			/* The send time rides in arg and comes back as the result. */
			if (sk_mbox_submit(c, dst, skiffd_demo_pong, (void *)(uintptr_t)rte_rdtsc(),
					   skiffd_demo_reply) == 0)
				d->pings_sent++;
			else
				d->refused++;
		}
	}
	dp_timer_arm(c->wheel, t, c->now_us + d->conf->ping_interval_us);
}

static int
skiffd_demo_init(struct sk_core *c, void *arg)
{
	struct skiffd_demo_core *d = sk_core_zalloc(c, sizeof(*d));

	if (d == NULL)
		return -ENOMEM;
	d->core = c;
	d->conf = arg;
	c->app_ctx = d;
	dp_timer_init(&d->ping, skiffd_demo_tick, d);
	dp_timer_arm(c->wheel, &d->ping, c->now_us + d->conf->ping_interval_us);
	return 0;
}

static void
skiffd_demo_stop_accepting(struct sk_core *c)
{
	struct skiffd_demo_core *d = c->app_ctx;

	d->busy_until_us = c->now_us + (uint64_t)d->conf->drain_delay_ms * 1000;
}

static bool
skiffd_demo_drained(struct sk_core *c)
{
	struct skiffd_demo_core *d = c->app_ctx;

	return c->now_us >= d->busy_until_us;
}

static void
skiffd_demo_fini(struct sk_core *c)
{
	struct skiffd_demo_core *d = c->app_ctx;

	dp_timer_cancel(c->wheel, &d->ping);
	c->app_ctx = NULL;
	sk_core_free(c, d);
}

/* ---- command line, signals, main ------------------------------------------------------------ */

static struct sk_runtime *skiffd_rt;

struct skiffd_opts {
	const char *conf;
	bool check;
	bool stats;
	const char *lcores;
	unsigned duration_s;
};

struct skiffd_tick {
	struct sk_stats_snapshot prev;
	bool live;
	uint64_t live_every_tsc; /**< [stats] interval_ms in TSC cycles */
	uint64_t next_live_tsc;	 /**< when the next live line is due */
	uint64_t stop_at_tsc;
};

/* The tick hook runs this often: --duration is checked on every tick, whatever the interval of
 * the live summary ([stats] interval_ms may be up to 60 s). */
#define SKIFFD_TICK_MS 100

static void
skiffd_usage(FILE *f, const struct sk_config *cfg)
{
	size_t need = sk_config_describe(cfg, NULL, 0);
	char *buf = malloc(need + 1);

	fprintf(f,
		"Usage: skiffd -c FILE [options] [-- EAL arguments]\n"
		"\n"
		"Run the Skiff per-core runtime with the demo service (mailbox pings between "
		"cores)\n"
		"until SIGINT or SIGTERM. The first signal drains in-flight work within [limits]\n"
		"stop_timeout_ms and exits 0; a second signal exits at once.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration file (INI; see the sections below)\n"
		"      --check-config  validate the configuration, print a summary, exit 0 or 1\n"
		"      --stats         print a one-line live summary every [stats] interval_ms\n"
		"      --lcores LIST   worker CPUs, overrides [workers] lcores (e.g. 0-1 or 0,2)\n"
		"      --duration SEC  stop by itself after SEC seconds (as if sent SIGTERM)\n"
		"  -h, --help          this text\n"
		"  -- ARGS             extra EAL arguments, after the ones built from [eal]\n"
		"\n"
		"Telemetry: dpdk-telemetry.py -f <file prefix printed at start>, then "
		"/skiff/stats,\n"
		"/skiff/cores or /skiff/cores,N.\n"
		"\n"
		"Configuration sections and keys:\n");
	if (buf != NULL) {
		sk_config_describe(cfg, buf, need + 1);
		fputs(buf, f);
		free(buf);
	}
	fprintf(f, "\n"
		   "Examples:\n"
		   "  skiffd -c conf/skiffd.conf --stats\n"
		   "  skiffd -c conf/examples/nic.conf --check-config\n"
		   "  skiffd -c conf/skiffd.conf --lcores 1 --duration 5 -- "
		   "--log-level=skiff.*:debug\n");
}

static int
skiffd_parse(int argc, char **argv, struct skiffd_opts *o, const struct sk_config *cfg)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"stats", no_argument, NULL, 's'},
		{"lcores", required_argument, NULL, 'l'},
		{"duration", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

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
		case 'd': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end != '\0' || v == 0 || v > 86400) {
				fprintf(stderr,
					"skiffd: --duration %s: expected seconds in 1..86400\n",
					optarg);
				return -1;
			}
			o->duration_s = (unsigned)v;
			break;
		}
		case 'h':
			skiffd_usage(stdout, cfg);
			exit(0);
		default:
			fprintf(stderr, "skiffd: try --help\n");
			return -1;
		}
	}
	if (o->conf == NULL) {
		fprintf(stderr, "skiffd: no configuration file: -c FILE (try --help)\n");
		return -1;
	}
	return optind;
}

static void
skiffd_tick(struct sk_runtime *rt, void *arg)
{
	struct skiffd_tick *t = arg;
	struct sk_stats_snapshot cur;
	uint64_t now = rte_rdtsc();
	char line[512];

	if (t->stop_at_tsc != 0 && now >= t->stop_at_tsc && !sk_runtime_stopping(rt)) {
		printf("skiffd: --duration reached, stopping\n");
		fflush(stdout);
		sk_runtime_request_stop(rt);
	}
	if (!t->live || now < t->next_live_tsc)
		return;
	/* Keep the cadence; after a long stall, start again from now. */
	t->next_live_tsc += t->live_every_tsc;
	if (t->next_live_tsc <= now)
		t->next_live_tsc = now + t->live_every_tsc;
	sk_stats_snapshot(rt, &cur);
	sk_stats_format_line(rt, &t->prev, &cur, line, sizeof(line));
	{
		uint64_t pongs = 0, rtt = 0;

		for (unsigned i = 0; i < sk_runtime_cores(rt); i++) {
			const struct skiffd_demo_core *d = sk_runtime_core(rt, i)->app_ctx;

			if (d != NULL) {
				pongs += __atomic_load_n(&d->pongs, __ATOMIC_RELAXED);
				rtt += __atomic_load_n(&d->rtt_cycles, __ATOMIC_RELAXED);
			}
		}
		printf("%s | ping rtt %.1f us\n", line,
		       pongs ? (double)rtt / (double)pongs * 1e6 / (double)rte_get_tsc_hz() : 0.0);
	}
	fflush(stdout);
	t->prev = cur;
}

/* Load the file, apply --lcores; print every error. @return 0 or -1. */
static int
skiffd_configure(struct sk_config *cfg, const struct skiffd_opts *o)
{
	struct sk_config_err err;
	int rc;

	rc = sk_config_load(cfg, o->conf, &err);
	if (rc == 0 && o->lcores != NULL)
		rc = sk_config_set(cfg, "workers", "lcores", o->lcores, &err);
	if (rc == 0)
		rc = sk_config_check_memory(cfg, &err);
	if (rc == 0)
		return 0;
	fprintf(stderr, "%s", err.msg);
	fprintf(stderr, "skiffd: %u error%s in configuration; nothing started\n", err.count,
		err.count == 1 ? "" : "s");
	return -1;
}

/* Start EAL and the runtime, run the demo until stopped, tear down. @return the exit status. */
static int
skiffd_serve(const struct sk_config *cfg, struct skiffd_demo_conf *demo,
	     const struct skiffd_opts *o, int argc, char **argv)
{
	struct skiffd_tick tick = {0};
	char prefix[128];
	const struct sk_core_app app = {
		.name = "demo",
		.core_init = skiffd_demo_init,
		.stop_accepting = skiffd_demo_stop_accepting,
		.drained = skiffd_demo_drained,
		.core_fini = skiffd_demo_fini,
		.arg = demo,
	};
	int rc;

	rc = sk_eal_check_cpus(cfg, prefix, sizeof(prefix));
	if (rc != 0) {
		fprintf(stderr, "skiffd: %s: %s\n", o->conf, prefix);
		return 1;
	}
	rc = sk_eal_start(cfg, argc, argv, prefix, sizeof(prefix));
	if (rc != 0) {
		fprintf(stderr, "skiffd: EAL start failed: %s\n", strerror(-rc));
		return 1;
	}
	rc = sk_runtime_create(cfg, &skiffd_rt);
	if (rc != 0) {
		fprintf(stderr, "skiffd: runtime start failed: %s\n", strerror(-rc));
		sk_eal_stop();
		return 1;
	}
	sk_signals_attach(skiffd_rt); /* also honours a signal that came during start-up */
	sk_runtime_set_app(skiffd_rt, &app);
	tick.live = o->stats || cfg->stats.live;
	tick.live_every_tsc = (uint64_t)cfg->stats.interval_ms * rte_get_tsc_hz() / 1000;
	tick.next_live_tsc = rte_rdtsc() + tick.live_every_tsc;
	if (o->duration_s != 0)
		tick.stop_at_tsc = rte_rdtsc() + (uint64_t)o->duration_s * rte_get_tsc_hz();
	sk_stats_snapshot(skiffd_rt, &tick.prev);
	printf("skiffd: running %u worker%s (demo: ping every %u us), telemetry: "
	       "dpdk-telemetry.py -f %s; Ctrl-C stops\n",
	       cfg->workers.n_cpus, cfg->workers.n_cpus == 1 ? "" : "s", demo->ping_interval_us,
	       prefix);
	fflush(stdout);

	rc = sk_runtime_run(skiffd_rt, &(struct sk_run_opts){.tick = skiffd_tick,
							     .tick_arg = &tick,
							     .tick_ms = SKIFFD_TICK_MS});
	if (rc == 0)
		printf("skiffd: stopped cleanly\n");
	else if (rc == -ETIMEDOUT)
		printf("skiffd: stopped at the %u ms bound with work in flight\n",
		       cfg->limits.stop_timeout_ms);
	else
		fprintf(stderr, "skiffd: run failed: %s\n", strerror(-rc));
	fflush(stdout);
	sk_signals_attach(NULL);
	sk_runtime_destroy(skiffd_rt);
	skiffd_rt = NULL;
	sk_eal_stop();
	return rc == 0 || rc == -ETIMEDOUT ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static struct sk_config cfg;
	static struct skiffd_demo_conf demo;
	struct skiffd_opts o = {0};
	int rest;

	sk_config_init(&cfg);
	if (sk_config_add_section(&cfg, &skiffd_demo_section, &demo) != 0) {
		fprintf(stderr, "skiffd: internal error: demo config section\n");
		return 1;
	}
	rest = skiffd_parse(argc, argv, &o, &cfg);
	if (rest < 0)
		return 2;
	if (skiffd_configure(&cfg, &o) != 0)
		return 1;
	if (o.check) {
		printf("%s: OK: %u worker%s, %u port%s, idle %s, stop bound %u ms\n", o.conf,
		       cfg.workers.n_cpus, cfg.workers.n_cpus == 1 ? "" : "s", cfg.n_ports,
		       cfg.n_ports == 1 ? "" : "s",
		       cfg.workers.idle == SK_IDLE_POLL ? "poll" : "adaptive",
		       cfg.limits.stop_timeout_ms);
		return 0;
	}
	if (sk_signals_install() != 0) {
		fprintf(stderr, "skiffd: cannot install signal handlers\n");
		return 1;
	}
	return skiffd_serve(&cfg, &demo, &o, argc - rest, argv + rest);
}
