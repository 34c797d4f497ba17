/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engine control path: configuration defaults and checks, the default (libc) allocator, creation
 * (the connection slots of the core, through conf.alloc; a slot's own memory comes at its first
 * use, conn.c), teardown (frees all of it), counters, and the once-per-loop flush. Runs on the
 * control core at start and stop, except rs_engine_flush() and rs_engine_set_now(), which the
 * worker calls every loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <sk/router.h>

#include "engine_priv.h"

static const char *const rs_engine_ctr_names[RS_CTR_MAX] = {
	[RS_CTR_FRAMES_RX] = "frames_rx",
	[RS_CTR_FRAMES_TX] = "frames_tx",
	[RS_CTR_BYTES_RX] = "bytes_rx",
	[RS_CTR_BYTES_TX] = "bytes_tx",
	[RS_CTR_CONN_OPEN] = "conn_open",
	[RS_CTR_CONN_CLOSED] = "conn_closed",
	[RS_CTR_SETUP_BAD_FIRST] = "setup_bad_first_frame",
	[RS_CTR_SETUP_BAD_VERSION] = "setup_bad_version",
	[RS_CTR_SETUP_BAD_KEEPALIVE] = "setup_bad_keepalive",
	[RS_CTR_SETUP_BAD_MIME] = "setup_bad_mime",
	[RS_CTR_SETUP_NO_LEASE] = "setup_no_lease",
	[RS_CTR_SETUP_NO_RESUME] = "setup_no_resume",
	[RS_CTR_SETUP_TOKEN_IN_USE] = "setup_token_in_use",
	[RS_CTR_SETUP_MALFORMED] = "setup_malformed",
	[RS_CTR_SETUP_TIMEOUT] = "setup_timeout",
	[RS_CTR_KEEPALIVE_TX] = "keepalive_tx",
	[RS_CTR_KEEPALIVE_RX] = "keepalive_rx",
	[RS_CTR_KEEPALIVE_TIMEOUT] = "keepalive_timeout",
	[RS_CTR_FRAME_TOO_SHORT] = "frame_too_short",
	[RS_CTR_FRAME_TOO_LONG] = "frame_too_long",
	[RS_CTR_MD_LEN_BAD] = "metadata_len_bad",
	[RS_CTR_UNKNOWN_TYPE_IGNORED] = "unknown_type_ignored",
	[RS_CTR_UNKNOWN_TYPE_FATAL] = "unknown_type_fatal",
	[RS_CTR_STREAM_UNKNOWN] = "stream_unknown",
	[RS_CTR_STREAM_DUP] = "stream_dup",
	[RS_CTR_STREAM_BAD_PARITY] = "stream_bad_parity",
	[RS_CTR_STREAM_LIMIT] = "stream_limit",
	[RS_CTR_STREAM_BAD_N] = "stream_bad_n",
	[RS_CTR_STREAM_OVERRUN] = "stream_overrun",
	[RS_CTR_STREAM_BAD_PAYLOAD] = "stream_bad_payload",
	[RS_CTR_NO_ROUTE] = "no_route",
	[RS_CTR_NO_HANDLER] = "no_handler",
	[RS_CTR_LATE_CALL] = "late_call",
	[RS_CTR_NO_CREDIT] = "no_credit",
	[RS_CTR_LEASE_ISSUED] = "lease_issued",
	[RS_CTR_LEASE_RECEIVED] = "lease_received",
	[RS_CTR_LEASE_REJECTED] = "lease_rejected",
	[RS_CTR_LEASE_EXHAUSTED] = "lease_exhausted",
	[RS_CTR_REASM_STREAM_OVER] = "reassembly_stream_over",
	[RS_CTR_REASM_CONN_OVER] = "reassembly_conn_over",
	[RS_CTR_FRAGMENTS_TX] = "fragments_tx",
	[RS_CTR_FRAGMENTS_RX] = "fragments_rx",
	[RS_CTR_TX_NOMEM] = "tx_nomem",
	[RS_CTR_RX_NOMEM] = "rx_nomem",
	[RS_CTR_TX_PENDING_OVER] = "tx_pending_over",
	[RS_CTR_TX_BLOCKED] = "tx_blocked",
	[RS_CTR_ERROR_RX] = "error_rx",
	[RS_CTR_ERROR_TX] = "error_tx",
	[RS_CTR_RESUME_OK] = "resume_ok",
	[RS_CTR_RESUME_REJECTED] = "resume_rejected",
	[RS_CTR_RESUME_STORE_OVERFLOW] = "resume_store_overflow",
	[RS_CTR_RESUME_EXPIRED] = "resume_expired",
	[RS_CTR_METADATA_PUSH_RX] = "metadata_push_rx",
	[RS_CTR_RX_GATHER_BIG] = "rx_gather_big",
	[RS_CTR_TX_DROPPED] = "tx_dropped",
	[RS_CTR_CHANNEL_AUTO_N] = "channel_auto_n",
	[RS_CTR_SETUP_IGNORED] = "setup_ignored",
	[RS_CTR_RESUME_WAIT_IGNORED] = "resume_wait_ignored",
};

/* The default allocator: libc (tests, tools). The runtime passes the core's jemalloc arena. */
static void *
rs_engine_libc_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size ? size : 1);
}

static void *
rs_engine_libc_zalloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size ? size : 1);
}

static void *
rs_engine_libc_realloc(void *ctx, void *p, size_t size)
{
	(void)ctx;
	return realloc(p, size ? size : 1);
}

static void
rs_engine_libc_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

/* Zeroed memory before the engine exists (the engine itself): alloc + memset without zalloc. */
static void *
rs_engine_zalloc_any(const struct rs_engine_alloc *a, size_t size)
{
	void *p;

	if (a->zalloc != NULL)
		return a->zalloc(a->ctx, size);
	p = a->alloc(a->ctx, size);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
rs_engine_conf_default(struct rs_engine_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->setup_timeout_ms = 10000;
	conf->keepalive_ms = 20000;
	conf->max_lifetime_ms = 90000;
	conf->metadata_mime = "message/x.rsocket.composite-metadata.v0";
	conf->data_mime = "application/octet-stream";
	conf->lease = false;
	conf->lease_ttl_ms = 30000;
	conf->lease_requests = 1000;
	conf->fragment_size = 0;
	conf->reasm_stream_max = 1u << 20;
	conf->reasm_conn_max = 4u << 20;
	conf->max_streams = 1024;
	conf->max_frame_len = RS_FRAME_LEN_MAX;
	conf->max_pending_bytes = 4u << 20;
	conf->resume = false;
	conf->resume_store_bytes = 1u << 20;
	conf->resume_session_ms = 60000;
	conf->max_conns = 1024;
	conf->gather_bytes = 64u << 10;
	conf->channel_initial_n = 256;
}

static int
rs_engine_conf_check(const struct rs_engine_conf *c)
{
	if (c->max_conns == 0 || c->max_streams == 0 || c->max_streams > (1u << 20) ||
	    (uint64_t)c->max_conns * c->max_streams > (1u << 24))
		return -EINVAL;
	if (c->keepalive_ms == 0 || c->max_lifetime_ms == 0 || c->setup_timeout_ms == 0)
		return -EINVAL;
	if (c->fragment_size != 0 && c->fragment_size < 64)
		return -EINVAL;
	if (c->max_frame_len < 64 || c->max_frame_len > RS_FRAME_LEN_MAX)
		return -EINVAL;
	if (c->metadata_mime == NULL || c->data_mime == NULL || strlen(c->metadata_mime) > 255 ||
	    strlen(c->data_mime) > 255)
		return -EINVAL;
	if (c->resume && c->resume_store_bytes < 64)
		return -EINVAL;
	if (c->lease && (c->lease_ttl_ms == 0 || c->lease_ttl_ms > RS_FRAME_U31_MAX ||
			 c->lease_requests > RS_FRAME_U31_MAX))
		return -EINVAL;
	if (c->gather_bytes < 64)
		return -EINVAL;
	if (c->channel_initial_n == 0 || c->channel_initial_n > RS_FRAME_U31_MAX)
		return -EINVAL;
	if ((c->alloc.alloc == NULL) != (c->alloc.free == NULL))
		return -EINVAL;
	if (c->alloc.alloc == NULL && (c->alloc.zalloc != NULL || c->alloc.realloc != NULL))
		return -EINVAL;
	return 0;
}

struct sk_ctx *
rs_engine_ctx(struct rs_engine *e)
{
	return (struct sk_ctx *)(void *)e;
}

struct rs_engine *
rs_engine_from_ctx(struct sk_ctx *cx)
{
	return (struct rs_engine *)(void *)cx;
}

int
rs_engine_create(const struct rs_engine_conf *conf, struct dp_timer_wheel *wheel,
		 struct rte_mempool *pool, struct dp_stack *stack, const struct sk_app *app,
		 const struct sk_router *router, unsigned core_id, struct rs_engine **out)
{
	struct rs_engine_alloc a;
	struct rs_engine *e;
	int rc;

	if (conf == NULL || wheel == NULL || pool == NULL || out == NULL)
		return -EINVAL;
	rc = rs_engine_conf_check(conf);
	if (rc != 0)
		return rc;
	a = conf->alloc;
	if (a.alloc == NULL) {
		a.alloc = rs_engine_libc_alloc;
		a.zalloc = rs_engine_libc_zalloc;
		a.realloc = rs_engine_libc_realloc;
		a.free = rs_engine_libc_free;
	}
	e = rs_engine_zalloc_any(&a, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->conf = *conf;
	e->conf.alloc = a;
	e->gbuf_size =
		conf->gather_bytes < conf->max_frame_len ? conf->gather_bytes : conf->max_frame_len;
	e->wheel = wheel;
	e->pool = pool;
	e->stack = stack;
	e->app = app;
	e->router = router;
	e->tbl_size = 8;
	while (e->tbl_size < 2 * conf->max_streams)
		e->tbl_size <<= 1;
	e->conns = rs_engine_zalloc(e, (conf->max_conns + 1) * sizeof(*e->conns));
	e->dirty = rs_engine_zalloc(e, (conf->max_conns + 1) * sizeof(*e->dirty));
	if (e->conns == NULL || e->dirty == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 1; i <= conf->max_conns; i++)
		e->conns[i].gen = 1;
	if (router != NULL) {
		uint32_t nr = sk_router_count(router);

		rc = sk_router_scratch_alloc(router, &e->scratch);
		if (rc != 0)
			goto fail;
		e->route_app = rs_engine_alloc(e, (nr + 1) * sizeof(*e->route_app));
		if (e->route_app == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		for (uint32_t r = 0; r < nr; r++)
			e->route_app[r] = -1;
		for (uint32_t ai = 0; app != NULL && ai < app->nb_routes; ai++) {
			int r = sk_router_find(router, app->route_names[ai]);

			if (r < 0) {
				rc = -ENOENT;
				goto fail;
			}
			e->route_app[r] = (int)ai;
		}
	}
	if (app != NULL && app->core_init != NULL)
		e->app_state = app->core_init(rs_engine_ctx(e), core_id);
	*out = e;
	return 0;
fail:
	sk_router_scratch_free(e->scratch);
	rs_engine_mfree(e, e->route_app);
	rs_engine_mfree(e, e->conns);
	rs_engine_mfree(e, e->dirty);
	a.free(a.ctx, e);
	return rc;
}

void
rs_engine_free(struct rs_engine *e)
{
	if (e == NULL)
		return;
	for (uint32_t i = 1; i <= e->conf.max_conns; i++) {
		struct rs_conn *c = &e->conns[i];

		if (c->state == RS_CONN_FREE)
			continue;
		c->in_rx = false;
		rs_conn_release(c);
	}
	if (e->app != NULL && e->app->core_teardown != NULL)
		e->app->core_teardown(rs_engine_ctx(e), e->app_state);
	sk_router_scratch_free(e->scratch);
	rs_engine_mfree(e, e->route_app);
	/* The per-slot memory kept across the slot's connections (engine.h, Memory). */
	for (uint32_t i = 1; i <= e->conf.max_conns; i++) {
		rs_engine_mfree(e, e->conns[i].sblock);
		rs_engine_mfree(e, e->conns[i].tbl);
		rs_engine_mfree(e, e->conns[i].gbuf);
		rs_engine_mfree(e, e->conns[i].store);
	}
	rs_engine_mfree(e, e->conns);
	rs_engine_mfree(e, e->dirty);
	{
		struct rs_engine_alloc a = e->conf.alloc;

		a.free(a.ctx, e);
	}
}

void
rs_engine_set_now(struct rs_engine *e, uint64_t now_us)
{
	if (now_us > e->now_us)
		e->now_us = now_us;
}

unsigned
rs_engine_flush(struct rs_engine *e)
{
	unsigned n = 0;
	uint32_t i = 0;

	/* Only connections that queued something this loop (the dirty list). A connection still
	 * blocked on -EAGAIN stays on the list; writable() flushes it too. */
	while (i < e->nb_dirty) {
		struct rs_conn *c = &e->conns[e->dirty[i]];

		if (c->state != RS_CONN_FREE) {
			rs_conn_flush(c);
			n++;
		}
		if (c->state != RS_CONN_FREE && c->tx_head != NULL && c->ts != NULL) {
			i++;
			continue;
		}
		c->dirty = false;
		e->dirty[i] = e->dirty[--e->nb_dirty];
	}
	return n;
}

const uint64_t *
rs_engine_counters(const struct rs_engine *e)
{
	return e->ctr;
}

const char *
rs_engine_counter_name(unsigned i)
{
	return i < RS_CTR_MAX ? rs_engine_ctr_names[i] : NULL;
}

unsigned
rs_engine_conn_count(const struct rs_engine *e)
{
	return e->nb_conns;
}

unsigned
rs_engine_stream_count(const struct rs_engine *e)
{
	return e->nb_streams;
}

int
rs_engine_conn_handle(const struct rs_engine *e, uint32_t idx, struct sk_conn *out)
{
	if (idx == 0 || idx > e->conf.max_conns || e->conns[idx].state == RS_CONN_FREE)
		return -ENOENT;
	out->idx = idx;
	out->gen = e->conns[idx].gen;
	return 0;
}

struct dp_stream *
rs_engine_conn_transport(const struct rs_engine *e, struct sk_conn h)
{
	if (h.idx == 0 || h.idx > e->conf.max_conns || e->conns[h.idx].gen != h.gen ||
	    e->conns[h.idx].state == RS_CONN_FREE)
		return NULL;
	return e->conns[h.idx].ts;
}
