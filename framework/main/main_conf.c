/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration sections sk_main() adds to the runtime's schema (control path, before EAL):
 *
 *   [rsocket]  the engine's keys (struct rs_engine_conf, framework/engine/README.md)
 *   [routes]   one key per route: "name = tag" (exact) or "name = ~regex" (Hyperscan pattern), in
 *              declared order, plus "fallback = name" for requests without routing metadata.
 *              Every route must be one the application has handlers for; the application's routes
 *              not declared here match their own name exactly.
 *   [listen]   ip, port: where the service accepts connections (port 0: it does not listen).
 *
 * Errors name file:line like the runtime's own: a route the app does not have, a pattern that
 * does not compile, a fallback that names no route, fragment_size below 64.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include <rs/engine.h>
#include <sk/router.h>

#include "main_priv.h"

/* ---- [rsocket] --------------------------------------------------------------------------------
 */

#define SK_MAIN_RS_UINT(n, f, lo, hi, h)                                                           \
	{                                                                                          \
		.name = n, .type = SK_CFG_UINT, .min = lo, .max = hi,                              \
		.offset = offsetof(struct sk_main_rsocket, f),                                     \
		.size = sizeof(((struct sk_main_rsocket *)0)->f), .help = h                        \
	}
#define SK_MAIN_RS_STR(n, f, h)                                                                    \
	{                                                                                          \
		.name = n, .type = SK_CFG_STR, .offset = offsetof(struct sk_main_rsocket, f),      \
		.size = sizeof(((struct sk_main_rsocket *)0)->f), .help = h                        \
	}
#define SK_MAIN_RS_BOOL(n, f, h)                                                                   \
	{                                                                                          \
		.name = n, .type = SK_CFG_BOOL, .offset = offsetof(struct sk_main_rsocket, f),     \
		.size = sizeof(bool), .help = h                                                    \
	}

/* Defaults come from rs_engine_conf_default() (sk_main_conf_add), so the keys carry none. */
static const struct sk_config_key sk_main_rs_keys[] = {
	SK_MAIN_RS_UINT("setup_timeout_ms", setup_timeout_ms, 1, 3600000,
			"server: SETUP must arrive within this (10000)"),
	SK_MAIN_RS_UINT("keepalive_ms", keepalive_ms, 1, 3600000,
			"client SETUP: KEEPALIVE interval (20000)"),
	SK_MAIN_RS_UINT("max_lifetime_ms", max_lifetime_ms, 1, 86400000,
			"client SETUP: max lifetime without KEEPALIVE (90000)"),
	SK_MAIN_RS_STR("metadata_mime", metadata_mime,
		       "client SETUP metadata MIME (message/x.rsocket.composite-metadata.v0)"),
	SK_MAIN_RS_STR("data_mime", data_mime, "client SETUP data MIME (application/octet-stream)"),
	SK_MAIN_RS_STR("accept_metadata_mime", accept_metadata_mime,
		       "server: accept only this metadata MIME (any)"),
	SK_MAIN_RS_STR("accept_data_mime", accept_data_mime,
		       "server: accept only this data MIME (any)"),
	SK_MAIN_RS_BOOL("lease", lease, "server accepts L=1, client sends L=1 (no)"),
	SK_MAIN_RS_UINT("lease_ttl_ms", lease_ttl_ms, 1, 86400000, "TTL of issued leases (30000)"),
	SK_MAIN_RS_UINT("lease_requests", lease_requests, 1, 0x7fffffff,
			"requests per issued lease (1000)"),
	SK_MAIN_RS_UINT("fragment_size", fragment_size, 0, 0xffffff,
			"max frame bytes on send, larger messages are fragmented; 0 = never, "
			"else >= 64 (0)"),
	SK_MAIN_RS_UINT("reassembly_stream_max", reasm_stream_max, 1, 0x7fffffff,
			"bytes of one reassembled message (1048576)"),
	SK_MAIN_RS_UINT("reassembly_conn_max", reasm_conn_max, 1, UINT64_C(1) << 40,
			"reassembly bytes per connection (4194304)"),
	SK_MAIN_RS_UINT("max_streams", max_streams, 1, 1u << 20,
			"live streams per connection (1024)"),
	SK_MAIN_RS_UINT("max_frame_len", max_frame_len, 64, 0xffffff,
			"largest frame accepted (16777215)"),
	SK_MAIN_RS_UINT("max_pending_bytes", max_pending_bytes, 1024, 0x7fffffff,
			"unsent TX bytes per connection (4194304)"),
	SK_MAIN_RS_BOOL("resume", resume, "server accepts R=1, client sends R=1 (no)"),
	SK_MAIN_RS_UINT("resume_store_bytes", resume_store_bytes, 1, 0x7fffffff,
			"kept unacknowledged frames per connection (1048576)"),
	SK_MAIN_RS_UINT("resume_session_ms", resume_session_ms, 1, 86400000,
			"a detached session lives this long (60000)"),
	SK_MAIN_RS_UINT("max_conns", max_conns, 1, 1u << 20, "connections per core (256)"),
	SK_MAIN_RS_UINT("gather_bytes", gather_bytes, 64, 0xffffff,
			"per connection: buffer for frames straddling receive segments, at most "
			"max_frame_len (65536)"),
	SK_MAIN_RS_UINT("channel_initial_n", channel_initial_n, 1, 0x7fffffff,
			"REQUEST_N the engine sends for a channel whose handler granted none: "
			"items after the REQUEST_CHANNEL's own (256)"),
};

static int
sk_main_rs_check(void *obj, unsigned index, const char **bad_key, char *why, size_t why_len)
{
	const struct sk_main_rsocket *r = obj;

	(void)index;
	if (r->fragment_size != 0 && r->fragment_size < 64) {
		*bad_key = "fragment_size";
		snprintf(why, why_len, "%u is below 64; use 0 (never fragment) or 64..16777215",
			 r->fragment_size);
		return -EINVAL;
	}
	if (r->gather_bytes > r->max_frame_len) {
		*bad_key = "gather_bytes";
		snprintf(why, why_len, "%u is larger than max_frame_len (%u)", r->gather_bytes,
			 r->max_frame_len);
		return -EINVAL;
	}
	if (r->keepalive_ms > r->max_lifetime_ms) {
		*bad_key = "keepalive_ms";
		snprintf(why, why_len, "%u ms is longer than max_lifetime_ms (%u ms)",
			 r->keepalive_ms, r->max_lifetime_ms);
		return -EINVAL;
	}
	return 0;
}

static const struct sk_config_section sk_main_rs_section = {
	.name = "rsocket",
	.keys = sk_main_rs_keys,
	.n_keys = RTE_DIM(sk_main_rs_keys),
	.check = sk_main_rs_check,
	.help = "the RSocket engine of every core (framework/engine/README.md)",
};

static void
sk_main_rs_from_engine(struct sk_main_rsocket *r, const struct rs_engine_conf *e)
{
	r->setup_timeout_ms = e->setup_timeout_ms;
	r->keepalive_ms = e->keepalive_ms;
	r->max_lifetime_ms = e->max_lifetime_ms;
	snprintf(r->metadata_mime, sizeof(r->metadata_mime), "%s",
		 e->metadata_mime ? e->metadata_mime : "");
	snprintf(r->data_mime, sizeof(r->data_mime), "%s", e->data_mime ? e->data_mime : "");
	snprintf(r->accept_metadata_mime, sizeof(r->accept_metadata_mime), "%s",
		 e->accept_metadata_mime ? e->accept_metadata_mime : "");
	snprintf(r->accept_data_mime, sizeof(r->accept_data_mime), "%s",
		 e->accept_data_mime ? e->accept_data_mime : "");
	r->lease = e->lease;
	r->lease_ttl_ms = e->lease_ttl_ms;
	r->lease_requests = e->lease_requests;
	r->fragment_size = e->fragment_size;
	r->reasm_stream_max = e->reasm_stream_max;
	r->reasm_conn_max = e->reasm_conn_max;
	r->max_streams = e->max_streams;
	r->max_frame_len = e->max_frame_len;
	r->max_pending_bytes = e->max_pending_bytes;
	r->resume = e->resume;
	r->resume_store_bytes = e->resume_store_bytes;
	r->resume_session_ms = e->resume_session_ms;
	r->max_conns = e->max_conns;
	r->gather_bytes = e->gather_bytes;
	r->channel_initial_n = e->channel_initial_n;
}

void
sk_main_rs_to_engine(const struct sk_main_rsocket *r, struct rs_engine_conf *e)
{
	rs_engine_conf_default(e);
	e->setup_timeout_ms = r->setup_timeout_ms;
	e->keepalive_ms = r->keepalive_ms;
	e->max_lifetime_ms = r->max_lifetime_ms;
	e->metadata_mime = r->metadata_mime;
	e->data_mime = r->data_mime;
	e->accept_metadata_mime = r->accept_metadata_mime[0] ? r->accept_metadata_mime : NULL;
	e->accept_data_mime = r->accept_data_mime[0] ? r->accept_data_mime : NULL;
	e->lease = r->lease;
	e->lease_ttl_ms = r->lease_ttl_ms;
	e->lease_requests = r->lease_requests;
	e->fragment_size = r->fragment_size;
	e->reasm_stream_max = r->reasm_stream_max;
	e->reasm_conn_max = r->reasm_conn_max;
	e->max_streams = r->max_streams;
	e->max_frame_len = r->max_frame_len;
	e->max_pending_bytes = r->max_pending_bytes;
	e->resume = r->resume;
	e->resume_store_bytes = r->resume_store_bytes;
	e->resume_session_ms = r->resume_session_ms;
	e->max_conns = r->max_conns;
	e->gather_bytes = r->gather_bytes;
	e->channel_initial_n = r->channel_initial_n;
}

/* ---- [routes] ---------------------------------------------------------------------------------
 */

static bool
sk_main_app_has(const struct sk_app *app, const char *name)
{
	for (uint32_t i = 0; i < app->nb_routes; i++)
		if (strcmp(app->route_names[i], name) == 0)
			return true;
	return false;
}

static void
sk_main_app_list(const struct sk_app *app, char *buf, size_t len)
{
	buf[0] = '\0';
	for (uint32_t i = 0; i < app->nb_routes; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", i ? ", " : "", app->route_names[i]);
	}
}

static int
sk_main_routes_entry(void *obj, const char *key, const char *value, char *why, size_t why_len)
{
	struct sk_main_routes *r = obj;
	char list[512];
	unsigned i = r->n;

	if (!sk_main_app_has(r->app, key)) {
		sk_main_app_list(r->app, list, sizeof(list));
		snprintf(why, why_len, "\"%s\" is not a route of %s; its routes are: %s", key,
			 r->app->name, list);
		return -EINVAL;
	}
	if (r->n == SK_MAIN_MAX_ROUTES) {
		snprintf(why, why_len, "more than %u routes", SK_MAIN_MAX_ROUTES);
		return -ENOSPC;
	}
	if (value[0] == '~' && value[1] == '\0') {
		snprintf(why, why_len, "expected a regular expression after '~'");
		return -EINVAL;
	}
	snprintf(r->name[i], sizeof(r->name[i]), "%s", key);
	snprintf(r->text[i], sizeof(r->text[i]), "%s", value[0] == '~' ? value + 1 : value);
	r->pattern[i] = value[0] == '~';
	r->n++;
	return 0;
}

static int
sk_main_routes_check(void *obj, unsigned index, const char **bad_key, char *why, size_t why_len)
{
	struct sk_main_routes *r = obj;

	(void)index;
	/* Compile each pattern alone, so the error names the key (and its line). */
	for (unsigned i = 0; i < r->n; i++) {
		struct sk_router_route one = {r->name[i], r->text[i],
					      r->pattern[i] ? SK_ROUTER_PATTERN : SK_ROUTER_EXACT};
		struct sk_router_conf rc = {&one, 1, NULL};
		struct sk_router *rt;
		char e[256] = "";

		if (!r->pattern[i])
			continue;
		if (sk_router_create(&rc, &rt, e, sizeof(e)) != 0) {
			*bad_key = r->name[i];
			snprintf(why, why_len, "pattern does not compile: %s", e);
			return -EINVAL;
		}
		sk_router_free(rt);
	}
	if (r->fallback[0] != '\0' && !sk_main_app_has(r->app, r->fallback)) {
		char list[512];

		sk_main_app_list(r->app, list, sizeof(list));
		*bad_key = "fallback";
		snprintf(why, why_len, "\"%s\" names no route; routes: %s", r->fallback, list);
		return -EINVAL;
	}
	return 0;
}

static const struct sk_config_key sk_main_routes_keys[] = {
	{.name = "fallback",
	 .type = SK_CFG_STR,
	 .offset = offsetof(struct sk_main_routes, fallback),
	 .size = sizeof(((struct sk_main_routes *)0)->fallback),
	 .help = "route taking requests that carry no routing metadata (none: they are refused)"},
};

static const struct sk_config_section sk_main_routes_section = {
	.name = "routes",
	.keys = sk_main_routes_keys,
	.n_keys = RTE_DIM(sk_main_routes_keys),
	.check = sk_main_routes_check,
	.entry = sk_main_routes_entry,
	.help = "route = tag (exact) or route = ~regex (Hyperscan), in match order; the app's "
		"routes not listed match their own name",
};

/* ---- [listen] ---------------------------------------------------------------------------------
 */

static const struct sk_config_key sk_main_listen_keys[] = {
	{.name = "ip",
	 .type = SK_CFG_IPV4,
	 .offset = offsetof(struct sk_main_listen, ip),
	 .size = sizeof(uint32_t),
	 .def = "0.0.0.0",
	 .help = "address to accept on (0.0.0.0: any; native: the port's ipv4)"},
	{.name = "port",
	 .type = SK_CFG_UINT,
	 .min = 0,
	 .max = 65535,
	 .offset = offsetof(struct sk_main_listen, port),
	 .size = sizeof(uint32_t),
	 .def = "0",
	 .help = "TCP port every core accepts on (0: do not listen)"},
};

static const struct sk_config_section sk_main_listen_section = {
	.name = "listen",
	.keys = sk_main_listen_keys,
	.n_keys = RTE_DIM(sk_main_listen_keys),
	.help = "where the service accepts RSocket connections",
};

int
sk_main_conf_add(struct sk_main *m)
{
	struct rs_engine_conf def;
	int rc;

	sk_config_init(&m->cfg);
	rc = sk_stack_config_add(&m->cfg, &m->stack);
	rs_engine_conf_default(&def);
	sk_main_rs_from_engine(&m->rs, &def);
	if (rc == 0)
		rc = sk_config_add_section(&m->cfg, &sk_main_rs_section, &m->rs);
	memset(&m->routes, 0, sizeof(m->routes));
	m->routes.app = m->mc->app;
	if (rc == 0)
		rc = sk_config_add_section(&m->cfg, &sk_main_routes_section, &m->routes);
	if (rc == 0)
		rc = sk_config_add_section(&m->cfg, &sk_main_listen_section, &m->listen);
	return rc;
}

int
sk_main_router_build(struct sk_main *m, char *err, size_t err_len)
{
	struct sk_main_routes *r = &m->routes;
	const struct sk_app *app = m->mc->app;
	struct sk_router_route routes[SK_MAIN_MAX_ROUTES];
	struct sk_router_conf rc = {routes, 0, NULL};
	unsigned n = 0;

	for (unsigned i = 0; i < r->n; i++)
		routes[n++] = (struct sk_router_route){r->name[i], r->text[i],
						       r->pattern[i] ? SK_ROUTER_PATTERN
								     : SK_ROUTER_EXACT};
	for (uint32_t a = 0; a < app->nb_routes; a++) {
		bool declared = false;

		for (unsigned i = 0; i < r->n && !declared; i++)
			declared = strcmp(r->name[i], app->route_names[a]) == 0;
		if (declared)
			continue;
		if (n == SK_MAIN_MAX_ROUTES) {
			snprintf(err, err_len, "more than %u routes", SK_MAIN_MAX_ROUTES);
			return -ENOSPC;
		}
		routes[n++] = (struct sk_router_route){app->route_names[a], app->route_names[a],
						       SK_ROUTER_EXACT};
	}
	rc.nb_routes = n;
	rc.fallback = r->fallback[0] ? r->fallback : NULL;
	return sk_router_create(&rc, &m->router, err, err_len);
}
