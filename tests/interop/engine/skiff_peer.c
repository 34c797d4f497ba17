/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interop peer: the RSocket engine over the posix stack on 127.0.0.1, against rsocket-js 0.0.27.
 *
 *   skiff_peer server PORT SECONDS [FRAGMENT_SIZE]   listen; serve the routes below until a FNF on
 * "quit" or SECONDS pass; prints "READY" once listening skiff_peer client PORT SECONDS   connect to
 * an rsocket-js server, run the checks below, print "N passed, N failed"; exit 0 only if all passed
 *
 * Routes (both sides implement the same contract): "echo" request-response returns the data;
 * "stream" request-stream sends items "item-<i>" for i < N (N = decimal data); "channel" echoes
 * every item it receives; "channel0" echoes the same way but its handler grants no credit (the
 * engine's REQUEST_N(channel_initial_n) must let the requester send, RSOCKET.md 4.6); "fnf"
 * fire-and-forget counts; "stats" returns "fnf=<n> md=<n>" (FNFs and METADATA_PUSHes received);
 * "large" returns N bytes (N = decimal data), byte i = i % 251; "error" fails with
 * APPLICATION_ERROR "boom"; "quit" (FNF) stops the server. The loop is the worker loop in
 * miniature: time, timers, stack poll, engine flush, stack flush, then a bounded epoll wait (no
 * busy polling).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <dp/posix.h>
#include <dp/timer.h>
#include <rs/engine.h>
#include <sk/router.h>
#include <skiff.h>

#include "../../common/sk_test_eal.h"

struct sp_chan {
	struct sk_stream s;
	bool used;
};

struct sp_state {
	uint32_t fnf, md;
	bool quit;
	struct sk_stream streams[16];
	uint32_t next[16], total[16];
	struct sp_chan chans[16];
};

static struct sp_state sp_st;

static uint64_t
sp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t
sp_num(const struct sk_payload *p)
{
	char b[16];
	uint32_t n = p->data_len < 15 ? p->data_len : 15;

	memcpy(b, p->data, n);
	b[n] = '\0';
	return (uint32_t)strtoul(b, NULL, 10);
}

/* ---- Server handlers ---------------------------------------------------------------------- */

static void
sp_echo(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	sk_respond(cx, s, &out);
}

static void
sp_stats(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	char b[64];
	struct sk_payload out = {.data = (const uint8_t *)b};

	(void)p;
	out.data_len = (uint32_t)snprintf(b, sizeof(b), "fnf=%u md=%u", sp_st.fnf, sp_st.md);
	sk_respond(cx, s, &out);
}

static void
sp_large(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	uint32_t n = sp_num(p);
	uint8_t *b = malloc(n ? n : 1);
	struct sk_payload out = {.data = b, .data_len = n};

	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i % 251);
	sk_respond(cx, s, &out);
	free(b);
}

static void
sp_error(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	(void)p;
	sk_error(cx, s, SK_ERR_APPLICATION, "boom");
}

static void
sp_fnf(struct sk_ctx *cx, const struct sk_payload *p)
{
	(void)cx;
	(void)p;
	sp_st.fnf++;
}

static void
sp_quit(struct sk_ctx *cx, const struct sk_payload *p)
{
	(void)cx;
	(void)p;
	sp_st.quit = true;
}

static void
sp_stream_run(struct sk_ctx *cx, int k)
{
	char b[32];

	while (sp_st.next[k] < sp_st.total[k]) {
		struct sk_payload out = {.data = (const uint8_t *)b};

		out.data_len = (uint32_t)snprintf(b, sizeof(b), "item-%u", sp_st.next[k]);
		if (sk_next(cx, sp_st.streams[k], &out) != 0)
			return;
		sp_st.next[k]++;
	}
	if (sp_st.total[k] != UINT32_MAX) {
		sk_complete(cx, sp_st.streams[k]);
		sp_st.total[k] = UINT32_MAX;
	}
}

static void
sp_stream(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n)
{
	(void)n;
	for (int k = 0; k < 16; k++)
		if (!sk_stream_live(cx, sp_st.streams[k])) {
			sp_st.streams[k] = s;
			sp_st.next[k] = 0;
			sp_st.total[k] = sp_num(p);
			sp_stream_run(cx, k);
			return;
		}
	sk_error(cx, s, SK_ERR_REJECTED, "busy");
}

static void
sp_on_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	(void)ctx;
	(void)n;
	for (int k = 0; k < 16; k++)
		if (sp_st.streams[k].idx == s.idx && sp_st.streams[k].gen == s.gen)
			sp_stream_run(cx, k);
}

static void
sp_chan_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	(void)ctx;
	sk_next(cx, s, &out);
}

static void
sp_chan_complete(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	(void)ctx;
	sk_complete(cx, s);
}

static void
sp_channel(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n,
	   bool in_complete)
{
	(void)n;
	sp_chan_next(cx, s, NULL, p);
	if (in_complete)
		sk_complete(cx, s);
	else
		sk_request_n(cx, s, 1000); /* RSOCKET.md 4.6: the responder must grant */
}

/* Grants nothing: the engine answers the REQUEST_CHANNEL with REQUEST_N itself. */
static void
sp_channel0(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n,
	    bool in_complete)
{
	(void)n;
	sp_chan_next(cx, s, NULL, p);
	if (in_complete)
		sk_complete(cx, s);
}

static void
sp_md_push(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len)
{
	(void)cx;
	(void)c;
	(void)md;
	(void)len;
	sp_st.md++;
}

static void *
sp_core_init(struct sk_ctx *cx, unsigned core)
{
	(void)cx;
	(void)core;
	return &sp_st;
}

static const char *const sp_names[] = {"echo",	"stream", "channel", "fnf",	"stats",
				       "large", "error",  "quit",    "channel0"};
static const struct sk_route_handlers sp_routes[] = {
	{.request_response = sp_echo},
	{.request_stream = sp_stream, .cbs = {.on_request_n = sp_on_request_n}},
	{.request_channel = sp_channel,
	 .cbs = {.on_next = sp_chan_next, .on_complete = sp_chan_complete}},
	{.fire_and_forget = sp_fnf},
	{.request_response = sp_stats},
	{.request_response = sp_large},
	{.request_response = sp_error},
	{.fire_and_forget = sp_quit},
	{.request_channel = sp_channel0,
	 .cbs = {.on_next = sp_chan_next, .on_complete = sp_chan_complete}},
};
static const struct sk_app sp_app = {"interop", sp_core_init, NULL, sp_names, sp_routes,
				     9,		sp_md_push};

/* ---- Client checks ------------------------------------------------------------------------ */

struct sp_req {
	char name[32];
	uint32_t items;
	bool done, failed;
	uint32_t err_code;
	char last[256];
	uint32_t last_len;
	uint32_t credit_batch;
	uint64_t granted;
	bool order_ok;
};

static unsigned sp_pass, sp_fail;

static void
sp_check(bool ok, const char *what)
{
	if (ok) {
		sp_pass++;
	} else {
		sp_fail++;
		fprintf(stderr, "FAIL: %s\n", what);
	}
}

static void
sp_c_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	struct sp_req *r = ctx;
	char want[32];

	snprintf(want, sizeof(want), "item-%u", r->items);
	if (strcmp(r->name, "stream") == 0 &&
	    (p->data_len != strlen(want) || memcmp(p->data, want, p->data_len) != 0))
		r->order_ok = false;
	r->items++;
	if (r->items > r->granted)
		r->order_ok = false;
	r->last_len = p->data_len < sizeof(r->last) ? p->data_len : sizeof(r->last);
	memcpy(r->last, p->data, r->last_len);
	if (r->credit_batch != 0 && r->items == r->granted) {
		sk_request_n(cx, s, r->credit_batch);
		r->granted += r->credit_batch;
	}
}

static void
sp_c_complete(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	(void)cx;
	(void)s;
	((struct sp_req *)ctx)->done = true;
}

static void
sp_c_error(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint32_t code, const char *msg,
	   size_t len)
{
	struct sp_req *r = ctx;

	(void)cx;
	(void)s;
	r->failed = true;
	r->done = true;
	r->err_code = code;
	r->last_len = len < sizeof(r->last) ? (uint32_t)len : sizeof(r->last);
	memcpy(r->last, msg, r->last_len);
}

static struct sk_stream sp_chan_h;
static uint32_t sp_chan_sent, sp_chan_total = 10;

static void
sp_c_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	char b[32];

	(void)ctx;
	(void)n;
	if (s.idx != sp_chan_h.idx)
		return;
	while (sp_chan_sent < sp_chan_total) {
		struct sk_payload p = {.data = (const uint8_t *)b};

		p.data_len = (uint32_t)snprintf(b, sizeof(b), "c-%u", sp_chan_sent);
		if (sk_next(cx, s, &p) != 0)
			return;
		sp_chan_sent++;
	}
	sk_complete(cx, s);
	sp_chan_sent++;
}

static const struct sk_stream_cbs sp_ccbs = {sp_c_next, sp_c_complete, sp_c_error, sp_c_request_n,
					     NULL};

struct sp_world {
	struct rs_engine *e;
	struct dp_posix *px;
	struct dp_timer_wheel *w;
	uint64_t deadline;
};

static void
sp_loop_once(struct sp_world *W)
{
	uint64_t now = sp_now_us();

	rs_engine_set_now(W->e, now);
	dp_timer_wheel_advance(W->w, now);
	dp_stack_poll(dp_posix_stack(W->px), now);
	rs_engine_flush(W->e);
	dp_stack_flush(dp_posix_stack(W->px));
	dp_posix_wait(W->px, 2000);
}

static bool
sp_run_until(struct sp_world *W, const bool *flag)
{
	while (!*flag && sp_now_us() < W->deadline)
		sp_loop_once(W);
	return *flag;
}

static struct sk_payload
sp_req_payload(const char *route, uint8_t *md, const char *data)
{
	int n = sk_route_metadata(md, 300, route);

	return (struct sk_payload){md, (uint32_t)n, true, (const uint8_t *)data,
				   (uint32_t)strlen(data)};
}

static bool sp_ready;
static void
sp_on_ready(struct sk_ctx *cx, struct sk_conn c, void *ctx)
{
	(void)cx;
	(void)c;
	(void)ctx;
	sp_ready = true;
}

static const struct sk_conn_cbs sp_conn_cbs = {.on_ready = sp_on_ready};

static int
sp_client(struct sp_world *W, uint16_t port)
{
	struct sk_ctx *cx = rs_engine_ctx(W->e);
	struct sk_conn c;
	uint8_t md[300];
	struct sk_payload p;
	struct sk_stream h;
	struct sp_req rr = {"echo", .granted = 1},
		      st = {"stream", .granted = 5, .credit_batch = 5, .order_ok = true};
	struct sp_req ch = {"channel", .granted = 100, .order_ok = true};
	struct sp_req stats = {"stats", .granted = 1};

	if (sk_connect(cx, 0x7f000001, port, &sp_conn_cbs, NULL, &c) != 0) {
		sp_check(false, "connect");
		return 1;
	}
	sp_check(sp_run_until(W, &sp_ready), "connected and SETUP sent");
	/* Request-response. */
	p = sp_req_payload("echo", md, "hello from skiff");
	sp_check(sk_request_response(cx, c, &p, &sp_ccbs, &rr, &h) == 0, "request-response sent");
	sp_check(sp_run_until(W, &rr.done) && !rr.failed && rr.last_len == 16 &&
			 memcmp(rr.last, "hello from skiff", 16) == 0,
		 "request-response echoed");
	/* Request-stream, credit 5 at a time. */
	p = sp_req_payload("stream", md, "23");
	sp_check(sk_request_stream(cx, c, &p, 5, &sp_ccbs, &st, &h) == 0, "request-stream sent");
	sp_check(sp_run_until(W, &st.done) && !st.failed && st.items == 23 && st.order_ok,
		 "request-stream: 23 items in order within credit, then complete");
	/* Request-channel: 10 items out, each echoed back. */
	p = sp_req_payload("channel", md, "c-first");
	sp_check(sk_request_channel(cx, c, &p, 100, false, &sp_ccbs, &ch, &sp_chan_h) == 0,
		 "request-channel sent");
	sp_chan_sent = 0;
	sp_check(sp_run_until(W, &ch.done) && !ch.failed && ch.items == 11,
		 "request-channel: 11 items echoed, then complete");
	/* Fire-and-forget and metadata push, observed through "stats". */
	p = sp_req_payload("fnf", md, "f");
	for (int i = 0; i < 3; i++)
		sp_check(sk_fire_and_forget(cx, c, &p) == 0, "fire-and-forget sent");
	sp_check(sk_metadata_push(cx, c, (const uint8_t *)"push", 4) == 0, "metadata push sent");
	p = sp_req_payload("stats", md, "");
	sk_request_response(cx, c, &p, &sp_ccbs, &stats, &h);
	sp_check(sp_run_until(W, &stats.done) && stats.last_len == 10 &&
			 memcmp(stats.last, "fnf=3 md=1", 10) == 0,
		 "FNF and METADATA_PUSH arrived");
	if (stats.last_len > 0)
		fprintf(stderr, "stats: %.*s\n", (int)stats.last_len, stats.last);
	/* An application error. */
	{
		struct sp_req er = {"error", .granted = 1};

		p = sp_req_payload("error", md, "");
		sk_request_response(cx, c, &p, &sp_ccbs, &er, &h);
		sp_check(sp_run_until(W, &er.done) && er.failed &&
				 er.err_code == SK_ERR_APPLICATION && er.last_len == 4 &&
				 memcmp(er.last, "boom", 4) == 0,
			 "APPLICATION_ERROR 'boom' received");
	}
	sk_conn_close(cx, c);
	for (int i = 0; i < 20; i++)
		sp_loop_once(W);
	return 0;
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {argv[0],	      "-l",	     "0",
		       "--no-huge",   "-m",	     "256",
		       "--no-pci",    "--no-shconf", "--no-telemetry",
		       "--log-level", "lib.*:error", "--file-prefix",
		       prefix};
	static const struct sk_router_route routes[] = {
		{"echo", "echo", SK_ROUTER_EXACT},	   {"stream", "stream", SK_ROUTER_EXACT},
		{"channel", "channel", SK_ROUTER_EXACT},   {"fnf", "fnf", SK_ROUTER_EXACT},
		{"stats", "stats", SK_ROUTER_EXACT},	   {"large", "^large$", SK_ROUTER_PATTERN},
		{"error", "error", SK_ROUTER_EXACT},	   {"quit", "quit", SK_ROUTER_EXACT},
		{"channel0", "channel0", SK_ROUTER_EXACT},
	};
	struct sk_router_conf rconf = {routes, 9, NULL};
	struct dp_timer_wheel_conf wc = {100, 0};
	struct dp_posix_conf pc;
	struct rs_engine_conf ec;
	struct sk_router *router;
	struct rte_mempool *mp;
	struct sp_world W;
	char err[256];
	bool server;
	uint16_t port;
	void *mem, *wmem;
	int rc = 0;

	if (argc < 4 || argc > 5 ||
	    (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
		fprintf(stderr, "usage: %s server|client PORT SECONDS [FRAGMENT_SIZE]\n", argv[0]);
		return 2;
	}
	server = strcmp(argv[1], "server") == 0;
	port = (uint16_t)atoi(argv[2]);
	snprintf(prefix, sizeof(prefix), "sp%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("sp", 8191, 256, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				     SOCKET_ID_ANY);
	if (mp == NULL || sk_router_create(&rconf, &router, err, sizeof(err)) != 0) {
		fprintf(stderr, "setup failed: %s\n", err);
		return 1;
	}
	memset(&pc, 0, sizeof(pc));
	pc.pool = mp;
	pc.name = "posix0";
	mem = aligned_alloc(64, (dp_posix_memsize(&pc) + 63) & ~(size_t)63);
	W.px = dp_posix_init(mem, &pc);
	wc.start_us = sp_now_us();
	wmem = aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63);
	W.w = dp_timer_wheel_init(wmem, &wc);
	rs_engine_conf_default(&ec);
	ec.keepalive_ms = 1000;
	ec.max_lifetime_ms = 10000;
	ec.max_conns = 16;
	ec.max_streams = 64;
	/* Optional: fragment everything we send above this many bytes (RSOCKET.md 5). */
	ec.fragment_size = argc == 5 ? (uint32_t)atoi(argv[4]) : 0;
	if (W.px == NULL || W.w == NULL ||
	    rs_engine_create(&ec, W.w, mp, dp_posix_stack(W.px), &sp_app, router, 0, &W.e) != 0) {
		fprintf(stderr, "engine setup failed\n");
		return 1;
	}
	W.deadline = sp_now_us() + (uint64_t)atoi(argv[3]) * 1000000u;
	if (server) {
		struct dp_addr4 a = {0x7f000001, port};

		if (dp_stack_listen(dp_posix_stack(W.px), &a, &rs_engine_stream_cbs, W.e) != 0) {
			fprintf(stderr, "listen failed\n");
			return 1;
		}
		printf("READY\n");
		fflush(stdout);
		sp_run_until(&W, &sp_st.quit);
		for (int i = 0; i < 10; i++)
			sp_loop_once(&W);
		fprintf(stderr, "server: fnf=%u md=%u quit=%d fragments_tx=%lu\n", sp_st.fnf,
			sp_st.md, sp_st.quit,
			(unsigned long)rs_engine_counters(W.e)[RS_CTR_FRAGMENTS_TX]);
		rc = sp_st.quit ? 0 : 1;
	} else {
		sp_client(&W, port);
		printf("%u passed, %u failed\n", sp_pass, sp_fail);
		rc = sp_fail == 0 && sp_pass > 0 ? 0 : 1;
	}
	rs_engine_free(W.e);
	dp_posix_fini(W.px);
	free(mem);
	free(wmem);
	sk_router_free(router);
	rte_mempool_free(mp);
	sk_test_eal_cleanup();
	return rc;
}
