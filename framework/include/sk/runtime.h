/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-core runtime: EAL start from the configuration, one worker per configured CPU, each with
 * its own struct sk_core (sk/core.h), a run-to-completion loop of named phases, the idle policy,
 * mailboxes (sk/mbox.h), counters exported through DPDK telemetry, and a graceful stop.
 *
 * Lifecycle, all on the main thread:
 *
 *     sk_eal_start(cfg, argc, argv)        once per process
 *     sk_runtime_create(cfg, &rt)          cores, pools, wheels, arenas, mailbox rings, telemetry
 *     sk_runtime_set_app(rt, &app)         optional: per-core init/poll/stop/fini hooks
 *     sk_runtime_run(rt, &opts)            until sk_runtime_request_stop(): drains, then returns
 *     sk_runtime_destroy(rt)               frees everything the runtime made
 *     sk_eal_stop()                        rte_eal_cleanup
 *
 * One worker loop iteration: read the clock once; rx (dp_stack_poll on the attached stack); app
 * poll hook; stack flush; timers (dp_timer_wheel_advance); mailboxes; stop protocol; idle policy.
 *
 * Graceful stop: sk_runtime_request_stop() (async-signal-safe) makes the main thread tell every
 * core to stop accepting (app stop_accepting hook), then wait until every core reports no in-flight
 * work (app drained hook, mailboxes empty, no replies outstanding) or stop_timeout_ms passes; then
 * the loops end, each core runs the app's fini hook, and sk_runtime_run() returns.
 */
#ifndef SK_RUNTIME_H
#define SK_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include <sk/config.h>
#include <sk/core.h>

struct sk_runtime;
struct dp_port;

/** Per-core hooks of the application. Every hook runs on the worker core @p c, and may be NULL. */
struct sk_core_app {
	const char *name;
	/** Before the loop starts (allocate per-core state from sk_core_alloc, attach a stack, arm
	 * timers). Set c->app_ctx. Return 0, or a negative errno to abort start-up. Every core's
	 * init has finished before any core's loop starts, so mailboxes may be used from the first
	 * poll. */
	int (*core_init)(struct sk_core *c, void *app_arg);
	/** Once per loop iteration, after the clock read and before rx (set clocks). */
	void (*begin)(struct sk_core *c);
	/** Once per loop iteration, after rx. Return units of work done (0: nothing to do). */
	unsigned (*poll)(struct sk_core *c);
	/** Stop was requested: stop accepting new work (close listeners); in-flight work continues.
	 */
	void (*stop_accepting)(struct sk_core *c);
	/** While stopping, once per iteration: true when the core's in-flight work is finished.
	 * NULL: always true. */
	bool (*drained)(struct sk_core *c);
	/** After the loop ended (drained or bound reached): close and free what core_init made. */
	void (*core_fini)(struct sk_core *c);
	void *arg; /**< passed to core_init */
};

/** A clock in microseconds, for tests (default: rte_rdtsc() scaled by rte_get_tsc_hz()). */
typedef uint64_t sk_clock_fn(void *ctx);

/** Main-thread hook called every @p tick_ms while running (live stats line, timed stop). */
typedef void sk_runtime_tick_fn(struct sk_runtime *rt, void *arg);

struct sk_run_opts {
	sk_runtime_tick_fn *tick; /**< may be NULL */
	void *tick_arg;
	uint32_t tick_ms; /**< 0: the config's [stats] interval_ms */
};

/** Aggregated counters of all cores, plus the pool counts. */
struct sk_stats_snapshot {
	uint64_t tsc; /**< when it was taken */
	unsigned n_cores;
	struct sk_core_stats sum;
	uint64_t pool_in_use, pool_avail;
};

/**
 * Check that every CPU of [workers] (lcores and main_cpu) is one this process may run on, so a
 * config written for a bigger machine fails with a clear message instead of an EAL error. Main
 * thread.
 * @return 0; -ENODEV with @p why naming the CPU.
 */
int sk_eal_check_cpus(const struct sk_config *cfg, char *why, size_t len);

/**
 * Build the EAL arguments from @p cfg ([eal], [workers] CPUs, [port.N] devices), append @p argc /
 * @p argv (extra EAL arguments, e.g. what followed "--" on the command line; they win over the
 * config) and call rte_eal_init(). Once per process, main thread.
 * @p prefix_out (may be NULL) receives the --file-prefix used (for dpdk-telemetry.py -f).
 * @return 0; -EALREADY EAL already started; -E2BIG too many arguments; another negative errno from
 *   rte_eal_init.
 */
int sk_eal_start(const struct sk_config *cfg, int argc, char **argv, char *prefix_out,
		 size_t prefix_len);

/** rte_eal_cleanup(), after sk_runtime_destroy(). Main thread. */
void sk_eal_stop(void);

/**
 * Create the runtime for @p cfg after sk_eal_start(): one core per worker CPU (lcores 1..n; lcore 0
 * is the main thread), each with its mbuf pool, timer wheel and jemalloc arena on its socket, the
 * mailbox rings, the ports of [port.N] opened and started (dp_port_open/start; queue q belongs to
 * core q), and the telemetry commands. @p cfg must outlive the runtime.
 * @return 0; -ENODEV an lcore of the config is not enabled in EAL; -ENOMEM; -EEXIST a runtime
 * exists; a negative errno of dp_port_open/dp_port_start (the port could not be brought up).
 */
int sk_runtime_create(const struct sk_config *cfg, struct sk_runtime **out);

/** Set the application hooks (before sk_runtime_run). @p app must outlive the run. */
void sk_runtime_set_app(struct sk_runtime *rt, const struct sk_core_app *app);

/** [stack] kind values. */
enum sk_stack_choice {
	SK_STACK_CHOICE_AUTO = 0, /**< native when a [port.N] is configured, else posix */
	SK_STACK_CHOICE_NATIVE,
	SK_STACK_CHOICE_POSIX,
};

/** [stack]: the transport stack every worker core runs (sk_stack_config_add()). */
struct sk_stack_conf {
	unsigned kind;		 /**< enum sk_stack_choice; sk_stack_resolve() turns auto into one */
	uint32_t max_conns;	 /**< connections per core (both stacks) */
	uint32_t snd_buf_kb;	 /**< per-connection send queue bound */
	uint32_t rcv_buf_kb;	 /**< native: receive window; posix: held bytes before reads pause */
	uint32_t delack_us;	 /**< native: delayed-ACK timeout */
	bool quickack;		 /**< native: ACK every data segment at once (request/response) */
	bool nagle;		 /**< native: Nagle's algorithm */
	uint32_t time_wait_ms;	 /**< native: 2*MSL */
	uint32_t rto_min_ms;	 /**< native: lower bound of the retransmission timeout */
	bool tlp;		 /**< native: tail loss probes (RFC 8985 7) */
	uint32_t rx_segs;	 /**< posix: mbufs per readv */
	uint32_t linger_ms;	 /**< posix: bound on an orderly close */
	unsigned section_line;	 /**< line of [stack] in the file (0: absent), for messages */
};

/**
 * Register [stack] with @p cfg, storing into @p sc (defaults applied now). Main thread, before
 * sk_config_load().
 * @return as sk_config_add_section().
 */
int sk_stack_config_add(struct sk_config *cfg, struct sk_stack_conf *sc);

/**
 * After loading: resolve kind = auto (native with a [port.N], else posix) and check that native
 * has a port. Errors name file:line of [stack] and are appended to @p err.
 * @return 0 or -EINVAL.
 */
int sk_stack_resolve(const struct sk_config *cfg, struct sk_stack_conf *sc,
		     struct sk_config_err *err);

/**
 * After loading: check that the worker pools fit the memory EAL is given, where that is fixed
 * ([eal] memory_mb, or 64 MB with no_huge and memory_mb = 0): each worker's pool is sized from
 * [limits] and the ports' rxd/txd (dp_pool_count()). Only a certain failure is reported (pools
 * alone too big); hugepages without memory_mb grow on demand and are not checked. The error names
 * file:line of [eal] and the keys to change; it is appended to @p err.
 * @return 0 or -ENOMEM. Any thread.
 */
int sk_config_check_memory(const struct sk_config *cfg, struct sk_config_err *err);

/** Name of a resolved kind: "native", "posix" or "none". Any thread. */
const char *sk_stack_kind_name(unsigned kind);

/**
 * Have the runtime build, on each worker core before the app's core_init, the stack @p sc names
 * (posix: a dp_posix; native: a dp_net on the core's queue of port 0 plus a dp_tcp wired to it;
 * a core without a queue gets none), attach it (c->stack) and run the loop specialised for it;
 * and tear it down after core_fini. @p sc must be resolved and outlive the run. Main thread,
 * before sk_runtime_run().
 */
void sk_runtime_set_stack(struct sk_runtime *rt, const struct sk_stack_conf *sc);

/** Replace the clock (before sk_runtime_run), e.g. a fake one in tests. */
void sk_runtime_set_clock(struct sk_runtime *rt, sk_clock_fn *fn, void *ctx);

/**
 * Launch the workers and run the control loop on the main thread until a stop has been requested
 * and completed (drained, or stop_timeout_ms passed). Returns after every worker returned.
 * @return 0 clean stop; -ETIMEDOUT stopped at the bound with work still in flight (everything was
 *   still closed and freed); a negative errno from a core_init hook (start-up aborted).
 */
int sk_runtime_run(struct sk_runtime *rt, const struct sk_run_opts *opts);

/** Ask the runtime to stop. Async-signal-safe (one atomic store); any thread, any time. */
void sk_runtime_request_stop(struct sk_runtime *rt);

/**
 * Install the SIGINT/SIGTERM handlers: the first signal calls sk_runtime_request_stop() on the
 * attached runtime (or is remembered until one is attached); a second one restores the default
 * action and re-raises, ending the process at once (exit status 128 + signal in a shell).
 * Main thread, before sk_eal_start() so a signal during start-up is not lost.
 * @return 0 or -errno from sigaction.
 */
int sk_signals_install(void);

/** Let the handlers stop @p rt (NULL: detach, before sk_runtime_destroy). Main thread. */
void sk_signals_attach(struct sk_runtime *rt);

/** Signals received so far. Any thread. */
unsigned sk_signals_received(void);

/** True once a stop has been requested. Any thread. */
bool sk_runtime_stopping(const struct sk_runtime *rt);

/** Free what sk_runtime_create() made and unpublish telemetry. Main thread, after run returned. */
void sk_runtime_destroy(struct sk_runtime *rt);

/** Number of worker cores. Any thread. */
unsigned sk_runtime_cores(const struct sk_runtime *rt);

/** Core @p id (0..n-1). Any thread (only counters may be read from another thread). */
struct sk_core *sk_runtime_core(const struct sk_runtime *rt, unsigned id);

/** Number of ports opened (the config's [port.N] sections). Any thread. */
unsigned sk_runtime_ports(const struct sk_runtime *rt);

/**
 * Port @p index (0..n-1), opened and started by sk_runtime_create() with queue q polled by core q
 * (each RX queue fills from its core's pool). A stack layer builds its per-core state from it.
 * Any thread; read only.
 */
const struct dp_port *sk_runtime_port(const struct sk_runtime *rt, unsigned index);

/** The configuration the runtime runs. Any thread. */
const struct sk_config *sk_runtime_config(const struct sk_runtime *rt);

/** Sum every core's counters into @p s. Any thread (relaxed reads). */
void sk_stats_snapshot(const struct sk_runtime *rt, struct sk_stats_snapshot *s);

/**
 * Format the one-line live summary (rates between @p prev and @p cur) into @p buf, no newline.
 * Any thread.
 */
void sk_stats_format_line(const struct sk_runtime *rt, const struct sk_stats_snapshot *prev,
			  const struct sk_stats_snapshot *cur, char *buf, size_t len);

#endif /* SK_RUNTIME_H */
