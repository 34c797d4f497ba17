/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engine unit tests over the in-memory transport with a fake clock: two engines (a "server" and
 * a "client" core) joined back to back, or one engine against a raw peer the test drives byte by
 * byte. Covers every interaction model in both directions, credit accounting, cancel, fragmentation
 * at every size boundary, reassembly caps, keepalive and its timeout, lease exhaustion and
 * renewal, each SETUP rejection, routing misses, stale handles, and resumption after cuts at random
 * points. EAL runs once with --no-huge (CK_NOFORK); every test checks the mbuf pool is back to its
 * baseline.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <sys/socket.h>
#include <time.h>

#include <dp/posix.h>
#include <dp/timer.h>
#include <rs/engine.h>
#include <rs/frame.h>
#include <sk/router.h>
#include <skiff.h>

#include "fake_transport.h"

#define T_ITEMS_MAX 4096
#define T_ITEM_MAX 1024

/* Bytes per produced item (>= 8); large values exercise PAYLOAD fragmentation. */
static uint32_t t_item_len = 8;

static struct rte_mempool *t_mp;

/* ---- Test application ------------------------------------------------------------------- */

struct t_prod {
	struct sk_stream h;
	uint32_t next, total;
	bool done, used;
};

struct t_cons {
	uint32_t got;
	uint64_t granted;
	uint32_t batch;
	bool completed, errored, cancelled;
	uint32_t err_code;
	char err_msg[256];
	uint8_t last[4096];
	uint32_t last_len, last_md_len;
	bool last_has_md;
	uint8_t last_md[4096];
	bool check_seq;
	struct sk_stream h;
};

struct t_state {
	struct sk_ctx *cx;
	unsigned core;
	uint32_t rr, fnf, streams, channels, cancels, md_push, md_push_route;
	uint8_t fnf_last[64];
	uint32_t fnf_last_len;
	struct t_prod prods[64];
	struct t_cons chan_in[64]; /* responder-side channel inbound, by producer slot */
	struct sk_stream deferred; /* a request-response answered later */
	struct sk_held held;	   /* its payload, retained */
	bool defer;
	uint8_t md_last[64];
	uint32_t md_last_len;
	uint32_t echo_md_len;
	/* Channel handler credit: 0 the default (grants 7 at a time), 1 grants nothing, 2 grants
	 * chan_k once and no more. Modes 1 and 2 expect chan_k items after the first. */
	int chan_mode;
	uint32_t chan_k;
};

static struct t_state t_states[2];

static uint32_t
t_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
t_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static struct t_prod *
t_prod_find(struct t_state *st, struct sk_stream h)
{
	for (int i = 0; i < 64; i++)
		if (st->prods[i].used && st->prods[i].h.idx == h.idx && st->prods[i].h.gen == h.gen)
			return &st->prods[i];
	return NULL;
}

static struct t_prod *
t_prod_new(struct t_state *st, struct sk_stream h, uint32_t total)
{
	for (int i = 0; i < 64; i++)
		if (!st->prods[i].used) {
			st->prods[i] = (struct t_prod){h, 0, total, false, true};
			memset(&st->chan_in[i], 0, sizeof(st->chan_in[i]));
			st->chan_in[i].check_seq = true;
			return &st->prods[i];
		}
	ck_abort_msg("out of producers");
	return NULL;
}

/* Send items while credit lasts; complete after the last. */
static void
t_prod_run(struct sk_ctx *cx, struct t_prod *p)
{
	uint8_t item[T_ITEM_MAX];

	while (!p->done && p->next < p->total) {
		t_put32(item, p->next);
		t_put32(item + 4, 0xabcd0000u | p->next);
		for (uint32_t i = 8; i < t_item_len; i++)
			item[i] = (uint8_t)(p->next + i);
		/* Metadata on every other item when items are large: both parts get fragmented. */
		struct sk_payload pl = {.data = item, .data_len = t_item_len};

		if (t_item_len > 8 && (p->next & 1)) {
			pl.metadata = item + 8;
			pl.metadata_len = (t_item_len - 8) / 2;
			pl.has_metadata = true;
		}
		int rc = sk_next(cx, p->h, &pl);

		if (rc == -EAGAIN)
			return;
		if (rc != 0) {
			p->done = true;
			return;
		}
		p->next++;
	}
	if (!p->done && p->next == p->total) {
		p->done = true;
		sk_complete(cx, p->h);
	}
}

static void
t_cons_next(struct t_cons *c, struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	if (c->check_seq) {
		ck_assert_uint_ge(p->data_len, 4);
		ck_assert_msg(t_u32(p->data) == c->got, "item %u arrived, expected %u",
			      t_u32(p->data), c->got);
		if (p->data_len == t_item_len && t_item_len > 8) {
			for (uint32_t i = 8; i < t_item_len; i++)
				ck_assert_uint_eq(p->data[i], (uint8_t)(c->got + i));
			ck_assert_uint_eq(p->has_metadata, (c->got & 1) != 0);
			if (p->has_metadata)
				ck_assert(p->metadata_len == (t_item_len - 8) / 2 &&
					  memcmp(p->metadata, p->data + 8, p->metadata_len) == 0);
		}
	}
	c->got++;
	/* A producer never sends beyond credit. */
	ck_assert_msg(c->got <= c->granted, "item %u beyond credit %lu", c->got,
		      (unsigned long)c->granted);
	c->last_len = (uint32_t)sk_payload_copy(p, c->last, sizeof(c->last));
	c->last_has_md = p->has_metadata;
	c->last_md_len = p->metadata_len;
	if (p->has_metadata && p->metadata_len <= sizeof(c->last_md))
		memcpy(c->last_md, p->metadata, p->metadata_len);
	if (c->batch != 0 && c->got == c->granted) {
		ck_assert_int_eq(sk_request_n(cx, s, c->batch), 0);
		c->granted += c->batch;
	}
}

/* Responder-side handlers. */
static void
t_rr(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	struct t_state *st = sk_state(cx);
	uint8_t md[8] = {'m', 'd'};
	struct sk_payload out = *p;

	st->rr++;
	if (st->defer) {
		st->deferred = s;
		sk_payload_release(cx, &st->held);
		ck_assert_int_eq(sk_payload_retain(cx, p, &st->held), 0);
		return;
	}
	if (st->echo_md_len > 0) {
		out.metadata = md;
		out.metadata_len = 2;
		out.has_metadata = true;
	}
	ck_assert_int_eq(sk_respond(cx, s, &out), 0);
}

static void
t_fnf(struct sk_ctx *cx, const struct sk_payload *p)
{
	struct t_state *st = sk_state(cx);

	st->fnf++;
	st->fnf_last_len = (uint32_t)sk_payload_copy(p, st->fnf_last, sizeof(st->fnf_last));
}

static void
t_stream(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n)
{
	struct t_state *st = sk_state(cx);
	struct t_prod *pr;

	(void)n;
	st->streams++;
	ck_assert_uint_ge(p->data_len, 4);
	pr = t_prod_new(st, s, t_u32(p->data));
	t_prod_run(cx, pr);
}

static void
t_channel(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n,
	  bool in_complete)
{
	struct t_state *st = sk_state(cx);
	struct t_prod *pr;
	struct t_cons *in;

	(void)n;
	st->channels++;
	ck_assert_uint_ge(p->data_len, 8);
	/* First item carries how many items each side sends (RSOCKET.md 4.6: it is item 0). */
	pr = t_prod_new(st, s, t_u32(p->data + 4));
	in = &st->chan_in[pr - st->prods];
	in->granted = 1;
	/* Grant more only while the requester's half is open. */
	in->batch = in_complete ? 0 : 7;
	if (st->chan_mode != 0) {
		/* The engine's grant (mode 1) or ours (mode 2): chan_k more, no batches. */
		in->batch = 0;
		in->granted = 1 + (in_complete ? 0 : st->chan_k);
	}
	t_cons_next(in, cx, s, p);
	if (st->chan_mode == 2 && !in_complete)
		ck_assert_int_eq(sk_request_n(cx, s, st->chan_k), 0);
	if (in_complete)
		in->completed = true;
	t_prod_run(cx, pr);
}

static void
t_srv_on_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	struct t_state *st = ctx;
	struct t_prod *pr = t_prod_find(st, s);

	ck_assert_ptr_nonnull(pr);
	t_cons_next(&st->chan_in[pr - st->prods], cx, s, p);
}

static void
t_srv_on_complete(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	struct t_state *st = ctx;
	struct t_prod *pr = t_prod_find(st, s);

	(void)cx;
	if (pr != NULL)
		st->chan_in[pr - st->prods].completed = true;
}

static void
t_srv_on_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	struct t_state *st = ctx;
	struct t_prod *pr = t_prod_find(st, s);

	(void)n;
	if (pr != NULL)
		t_prod_run(cx, pr);
}

static void
t_srv_on_cancel(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	struct t_state *st = ctx;
	struct t_prod *pr = t_prod_find(st, s);

	(void)cx;
	st->cancels++;
	if (pr != NULL)
		pr->done = true;
}

static void
t_srv_on_error(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint32_t code, const char *msg,
	       size_t len)
{
	struct t_state *st = ctx;
	struct t_prod *pr = t_prod_find(st, s);

	(void)cx;
	(void)code;
	(void)msg;
	(void)len;
	if (pr != NULL)
		pr->done = true;
}

static void
t_md_push(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len)
{
	struct t_state *st = sk_state(cx);

	(void)c;
	st->md_push++;
	st->md_last_len = (uint32_t)(len < 64 ? len : 64);
	memcpy(st->md_last, md, st->md_last_len);
}

static void
t_md_push_gen(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len)
{
	struct t_state *st = sk_state(cx);

	(void)c;
	(void)md;
	(void)len;
	st->md_push_route++;
}

static void *
t_core_init(struct sk_ctx *cx, unsigned core)
{
	memset(&t_states[core], 0, sizeof(t_states[core]));
	t_states[core].cx = cx;
	t_states[core].core = core;
	return &t_states[core];
}

static void
t_core_teardown(struct sk_ctx *cx, void *state)
{
	(void)cx;
	((struct t_state *)state)->cx = NULL;
}

static const char *const t_route_names[] = {"echo", "gen"};
static const struct sk_stream_cbs t_srv_cbs = {t_srv_on_next, t_srv_on_complete, t_srv_on_error,
					       t_srv_on_request_n, t_srv_on_cancel};
static const struct sk_route_handlers t_routes[] = {
	{.request_response = t_rr,
	 .fire_and_forget = t_fnf,
	 .request_stream = t_stream,
	 .request_channel = t_channel,
	 .cbs = t_srv_cbs},
	{.request_stream = t_stream, .metadata_push = t_md_push_gen, .cbs = t_srv_cbs},
};
static const struct sk_app t_app = {
	"test", t_core_init, t_core_teardown, t_route_names, t_routes, 2, t_md_push,
};

/* Requester-side callbacks (ctx = struct t_cons). */
static void
t_c_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	t_cons_next(ctx, cx, s, p);
}

static void
t_c_complete(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	(void)cx;
	(void)s;
	((struct t_cons *)ctx)->completed = true;
}

static void
t_c_error(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint32_t code, const char *msg,
	  size_t len)
{
	struct t_cons *c = ctx;

	(void)cx;
	(void)s;
	c->errored = true;
	c->err_code = code;
	snprintf(c->err_msg, sizeof(c->err_msg), "%.*s", (int)len, msg);
}

static struct t_prod t_req_prod; /* requester-side channel producer */

static void
t_c_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	(void)ctx;
	(void)n;
	if (t_req_prod.used && t_req_prod.h.idx == s.idx)
		t_prod_run(cx, &t_req_prod);
}

static void
t_c_cancel(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	(void)cx;
	(void)s;
	((struct t_cons *)ctx)->cancelled = true;
}

static const struct sk_stream_cbs t_ccbs = {t_c_next, t_c_complete, t_c_error, t_c_request_n,
					    t_c_cancel};

/* ---- World: two engines, a router, a fake clock ---------------------------------------- */

struct t_conn_ev {
	uint32_t closed, detached, ready, leases;
	uint32_t code;
	char msg[128];
};

static struct t_conn_ev t_cev;

static void
t_ev_ready(struct sk_ctx *cx, struct sk_conn c, void *ctx)
{
	(void)cx;
	(void)c;
	((struct t_conn_ev *)ctx)->ready++;
}

static void
t_ev_closed(struct sk_ctx *cx, struct sk_conn c, void *ctx, uint32_t code, const char *msg,
	    size_t len)
{
	struct t_conn_ev *ev = ctx;

	(void)cx;
	(void)c;
	ev->closed++;
	ev->code = code;
	snprintf(ev->msg, sizeof(ev->msg), "%.*s", (int)len, msg);
}

static void
t_ev_detached(struct sk_ctx *cx, struct sk_conn c, void *ctx)
{
	(void)cx;
	(void)c;
	((struct t_conn_ev *)ctx)->detached++;
}

static void
t_ev_lease(struct sk_ctx *cx, struct sk_conn c, void *ctx, uint32_t ttl, uint32_t n)
{
	(void)cx;
	(void)c;
	(void)ttl;
	(void)n;
	((struct t_conn_ev *)ctx)->leases++;
}

static const struct sk_conn_cbs t_conn_cbs = {t_ev_ready, t_ev_closed, t_ev_detached, t_ev_lease};

struct t_world {
	struct sk_router *router;
	void *wmem[2];
	struct dp_timer_wheel *wheel[2];
	struct rs_engine *e[2]; /* 0 server, 1 client */
	struct ft_end *srv_end, *cli_end;
	uint32_t cli_conn;
	struct sk_conn conn;  /* client's handle */
	struct sk_conn sconn; /* server's handle for its side */
	uint64_t now_us;
	unsigned pool_base;
};

static struct t_world W;
static struct ft_stack t_stack;

static void
t_conf(struct rs_engine_conf *c)
{
	rs_engine_conf_default(c);
	c->max_conns = 8;
	c->max_streams = 32;
}

static void
t_world_up(const struct rs_engine_conf *sconf, const struct rs_engine_conf *cconf)
{
	static const struct sk_router_route routes[] = {
		{"echo", "echo", SK_ROUTER_EXACT},
		{"gen", "^gen/[a-z]+$", SK_ROUTER_PATTERN},
		{"orphan", "orphan", SK_ROUTER_EXACT},
	};
	struct sk_router_conf rc = {routes, 3, NULL};
	struct dp_timer_wheel_conf wc = {100, 0};
	char err[256];

	memset(&W, 0, sizeof(W));
	t_item_len = 8;
	W.pool_base = rte_mempool_avail_count(t_mp);
	memset(&t_cev, 0, sizeof(t_cev));
	memset(&t_req_prod, 0, sizeof(t_req_prod));
	W.now_us = 1000000;
	wc.start_us = W.now_us;
	ck_assert_int_eq(sk_router_create(&rc, &W.router, err, sizeof(err)), 0);
	ft_stack_init(&t_stack);
	for (int i = 0; i < 2; i++) {
		W.wmem[i] = aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63);
		W.wheel[i] = dp_timer_wheel_init(W.wmem[i], &wc);
		ck_assert_ptr_nonnull(W.wheel[i]);
		ck_assert_int_eq(rs_engine_create(i == 0 ? sconf : cconf, W.wheel[i], t_mp,
						  &t_stack.st, &t_app, W.router, (unsigned)i,
						  &W.e[i]),
				 0);
		rs_engine_set_now(W.e[i], W.now_us);
	}
}

/* One loop iteration on both "cores": timers, transport input, flush. */
static unsigned
t_step(void)
{
	unsigned work = 0;

	for (int i = 0; i < 2; i++) {
		if (W.e[i] == NULL)
			continue;
		rs_engine_set_now(W.e[i], W.now_us);
		work += dp_timer_wheel_advance(W.wheel[i], W.now_us);
	}
	work += ft_pump();
	for (int i = 0; i < 2; i++)
		if (W.e[i] != NULL)
			work += rs_engine_flush(W.e[i]);
	return work;
}

static void
t_run(void)
{
	for (int i = 0; i < 10000 && t_step() > 0; i++)
		;
	/* One more pass settles events queued by the last step. */
	for (int i = 0; i < 3; i++)
		t_step();
}

static void
t_advance_ms(uint64_t ms)
{
	/* In 10 ms steps so periodic timers run as they would. */
	for (uint64_t t = 0; t < ms; t += 10) {
		W.now_us += 10000;
		t_run();
	}
}

static void
t_connect(void)
{
	ft_pair(&W.cli_end, &W.srv_end, false, false);
	W.cli_end->s.cbs = &rs_engine_stream_cbs;
	W.srv_end->s.cbs = &rs_engine_stream_cbs;
	ck_assert_ptr_nonnull(rs_engine_server_attach(W.e[0], &W.srv_end->s));
	ck_assert_int_eq(
		rs_engine_client_attach(W.e[1], &W.cli_end->s, &t_conn_cbs, &t_cev, &W.cli_conn),
		0);
	ck_assert_int_eq(rs_engine_conn_handle(W.e[1], W.cli_conn, &W.conn), 0);
	t_run();
	/* The server's handle for the same connection (its only live one). */
	for (uint32_t i = 1; i <= 8; i++)
		if (rs_engine_conn_handle(W.e[0], i, &W.sconn) == 0)
			break;
}

static void
t_world_down(void)
{
	for (int i = 0; i < 2; i++) {
		rs_engine_free(W.e[i]);
		W.e[i] = NULL;
	}
	for (int i = 0; i < 5; i++)
		ft_pump();
	ft_reset();
	for (int i = 0; i < 2; i++)
		free(W.wmem[i]);
	sk_router_free(W.router);
	ck_assert_uint_eq(rte_mempool_avail_count(t_mp), W.pool_base);
}

static const uint64_t *
t_ctr(int i)
{
	return rs_engine_counters(W.e[i]);
}

static struct sk_ctx *
t_cx(int i)
{
	return rs_engine_ctx(W.e[i]);
}

/* Route metadata for @p tag. */
static struct sk_payload
t_req(const char *tag, uint8_t *mdbuf, const void *data, uint32_t len)
{
	int n = sk_route_metadata(mdbuf, 300, tag);

	ck_assert_int_gt(n, 0);
	return (struct sk_payload){mdbuf, (uint32_t)n, true, data, len};
}

#include "test_engine_cases.h"
#include "test_engine_alloc.h"
#include "test_engine_review.h"
#include "test_engine_chan.h"

#include "../../common/sk_test_eal.h"

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {argv[0],	      "-l",	     "0",
		       "--no-huge",   "-m",	     "128",
		       "--no-pci",    "--no-shconf", "--no-telemetry",
		       "--log-level", "lib.*:error", "--file-prefix",
		       prefix};
	SRunner *sr;
	int failed;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "t%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	t_mp = rte_pktmbuf_pool_create("t_engine", 16383, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	if (t_mp == NULL)
		return 1;
	ft_init(t_mp);
	sr = srunner_create(t_engine_suite());
	srunner_add_suite(sr, t_engine_alloc_suite());
	srunner_add_suite(sr, t_engine_review_suite());
	srunner_add_suite(sr, t_engine_chan_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(t_mp);
	sk_test_eal_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
