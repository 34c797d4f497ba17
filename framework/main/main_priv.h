/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to framework/main: the process-wide state of sk_main() (one application per process),
 * the config objects of [rsocket], [routes] and [listen], and the per-core glue between the
 * runtime's core hooks and the RSocket engine.
 */
#ifndef SK_MAIN_PRIV_H
#define SK_MAIN_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <dp/stream.h>
#include <rs/engine.h>
#include <sk/config.h>
#include <sk/core.h>
#include <sk/runtime.h>
#include <skiff.h>
#include <skiff_main.h>

#define SK_MAIN_MAX_ROUTES 64

/** [rsocket], stored as text where the engine takes pointers. */
struct sk_main_rsocket {
	uint32_t setup_timeout_ms, keepalive_ms, max_lifetime_ms;
	char metadata_mime[128], data_mime[128];
	char accept_metadata_mime[128], accept_data_mime[128];
	bool lease;
	uint32_t lease_ttl_ms, lease_requests, fragment_size, reasm_stream_max;
	uint64_t reasm_conn_max;
	uint32_t max_streams, max_frame_len, max_pending_bytes;
	bool resume;
	uint32_t resume_store_bytes, resume_session_ms, max_conns, gather_bytes;
	uint32_t channel_initial_n;
};

/** [routes] */
struct sk_main_routes {
	const struct sk_app *app; /**< to check names against */
	unsigned n;
	char name[SK_MAIN_MAX_ROUTES][64];
	char text[SK_MAIN_MAX_ROUTES][256];
	bool pattern[SK_MAIN_MAX_ROUTES];
	char fallback[64];
};

/** [listen] */
struct sk_main_listen {
	uint32_t ip;
	uint32_t port;
};

/** One worker core's glue. */
struct sk_main_core {
	struct sk_main *m;
	struct sk_core *c;
	struct rs_engine *e;
	struct dp_stream_cbs listen_cbs; /**< the engine's, with accept refusing while stopping */
	bool stopping;
	bool closing;		  /**< connections were asked to close */
	uint64_t ctr[RS_CTR_MAX]; /**< engine counters copied at fini */
};

struct sk_main {
	const struct sk_main_conf *mc;
	struct sk_config cfg;
	struct sk_stack_conf stack;
	struct sk_main_rsocket rs;
	struct sk_main_routes routes;
	struct sk_main_listen listen;
	struct rs_engine_conf engine;
	struct sk_router *router;
	struct sk_runtime *rt;
	struct sk_main_core *cores[SK_CONFIG_MAX_WORKERS];
	unsigned n_cores;
	const char *prog;
};

/** Register [stack], [rsocket], [routes], [listen] on m->cfg (after sk_config_init). */
int sk_main_conf_add(struct sk_main *m);
/** [rsocket] to the engine's conf (pointers into @p r). */
void sk_main_rs_to_engine(const struct sk_main_rsocket *r, struct rs_engine_conf *e);
/** Build m->router from [routes] plus the app's undeclared routes. */
int sk_main_router_build(struct sk_main *m, char *err, size_t err_len);

#endif /* SK_MAIN_PRIV_H */
