/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process entry of a Skiff application, companion of skiff.h: an app describes itself (its
 * struct sk_app of routes and handlers, plus optional per-core hooks for apps that act on their
 * own, such as a load generator) and hands its command line to sk_main(), which does everything
 * else: the config file with the runtime's sections plus [stack], [rsocket], [routes] and
 * [listen]; command-line overrides; EAL; the per-core runtime with the chosen stack; one RSocket
 * engine per worker core on that stack, listening on [listen]; the run until a signal or
 * --duration; a graceful stop; a summary.
 *
 * Common options (every app): -c FILE, --set SECTION.KEY=VALUE (repeatable), --lcores LIST,
 * --duration SEC, --stats, --check-config, --help, and "--" followed by extra EAL arguments.
 */
#ifndef SKIFF_MAIN_H
#define SKIFF_MAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <skiff.h>

/** Optional per-core hooks on top of the handlers. Every one runs on the worker core of @p cx
 * with the state sk_app.core_init returned; any may be NULL. */
struct sk_main_hooks {
	/** Once per loop iteration after the receive phase (start connections, issue requests).
	 * Return units of work done (0: idle). */
	unsigned (*poll)(struct sk_ctx *cx, void *state);
	/** Stop was requested (signal or --duration): start no new work. */
	void (*stop)(struct sk_ctx *cx, void *state);
	/** While stopping: true once this core's own work is finished (NULL: at once). The core
	 * stops when this is true and its engine has no connection left (or at the stop bound). */
	bool (*drained)(struct sk_ctx *cx, void *state);
};

/** What an app hands to sk_main(). */
struct sk_main_conf {
	const struct sk_app *app;
	const struct sk_main_hooks *hooks; /**< may be NULL */
	const char *usage;		   /**< text for --help after the common options */
	const char *default_config;	   /**< used without -c (NULL: -c is required) */
	bool quiet;			   /**< no summary line at exit */
};

/**
 * Run the application. Main thread, once per process.
 * @return the process exit status: 0 after a clean stop; 1 on a start-up or run error (message on
 *   stderr); 2 on a usage or configuration error; 0 after --help or a valid --check-config.
 */
int sk_main(const struct sk_main_conf *mc, int argc, char **argv);

/** Ask the running application to stop, as SIGTERM would (graceful). Any thread, any time;
 * async-signal-safe. No-op before start. */
void sk_main_request_stop(void);

/** Number of worker cores of the running application (after start; 0 before). Any thread. */
unsigned sk_main_cores(void);

/** The stack kind the running application uses: "native" or "posix" ("" before start). */
const char *sk_main_stack_kind(void);

#endif /* SKIFF_MAIN_H */
