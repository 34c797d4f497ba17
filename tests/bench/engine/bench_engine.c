/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engine benchmark: two engines (server, client) on one thread joined by the in-memory transport
 * of the unit tests, so the figures are the engine's own cost (frame decode, stream table,
 * routing, handlers, encode into TX chains) plus one copy per direction in the fake transport.
 * Prints request-response round trips per second (64 in flight) and request-stream items per
 * second (unbounded credit), and the engines' allocator calls during the timed phases (through
 * conf.alloc: libc with a counter; 0 expected, the hot path allocates nothing). --json prints one
 * JSON object. Figures are provisional: the machine is shared.
 *
 *   bench_engine [--seconds S] [--json]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <dp/timer.h>
#include <rs/engine.h>
#include <sk/router.h>
#include <skiff.h>

#include "../../unit/engine/fake_transport.h"

static uint64_t b_served;
static uint64_t b_alloc_calls;

static void *
b_alloc(void *ctx, size_t n)
{
	(void)ctx;
	b_alloc_calls++;
	return malloc(n ? n : 1);
}

static void *
b_realloc(void *ctx, void *p, size_t n)
{
	(void)ctx;
	b_alloc_calls++;
	return realloc(p, n ? n : 1);
}

static void
b_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static uint64_t
b_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
b_rr(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	b_served++;
	sk_respond(cx, s, &out);
}

static struct sk_stream b_prod;
static uint64_t b_prod_left;

static void
b_prod_run(struct sk_ctx *cx)
{
	static const uint8_t item[32];
	struct sk_payload p = {.data = item, .data_len = sizeof(item)};

	while (b_prod_left > 0 && sk_next(cx, b_prod, &p) == 0)
		b_prod_left--;
}

static void
b_stream(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n)
{
	(void)p;
	(void)n;
	b_prod = s;
	b_prod_left = UINT64_MAX;
	b_prod_run(cx);
}

static void
b_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	(void)s;
	(void)ctx;
	(void)n;
	b_prod_run(cx);
}

static const char *const b_names[] = {"echo"};
static const struct sk_route_handlers b_routes[] = {
	{.request_response = b_rr,
	 .request_stream = b_stream,
	 .cbs = {.on_request_n = b_request_n}},
};
static const struct sk_app b_app = {"bench", NULL, NULL, b_names, b_routes, 1, NULL};

static uint64_t b_rr_done, b_items;
static bool b_rr_stop;
static struct sk_ctx *b_ccx;
static struct sk_conn b_conn;
static uint8_t b_md[64];
static int b_md_len;

static void b_issue(void);

static void
b_c_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	(void)cx;
	(void)s;
	(void)p;
	if (ctx != NULL)
		b_items++;
}

static void
b_c_complete(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	(void)cx;
	(void)s;
	if (ctx == NULL) {
		b_rr_done++;
		if (!b_rr_stop)
			b_issue();
	}
}

static const struct sk_stream_cbs b_ccbs = {.on_next = b_c_next, .on_complete = b_c_complete};

static void
b_issue(void)
{
	struct sk_payload p = {b_md, (uint32_t)b_md_len, true, (const uint8_t *)"ping", 4};

	sk_request_response(b_ccx, b_conn, &p, &b_ccbs, NULL, NULL);
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
	static const struct sk_router_route routes[] = {{"echo", "echo", SK_ROUTER_EXACT}};
	struct sk_router_conf rc = {routes, 1, NULL};
	struct dp_timer_wheel_conf wc = {100, 0};
	struct rs_engine_conf conf;
	struct rs_engine *e[2];
	struct dp_timer_wheel *w[2];
	struct sk_router *router;
	struct rte_mempool *mp;
	struct ft_end *a, *b;
	uint32_t idx;
	double seconds = 2.0, rr_rate, item_rate;
	bool json = false;
	uint64_t t0, t1, allocs_rr, allocs_stream;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
	}
	snprintf(prefix, sizeof(prefix), "be%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bench", 16383, 256, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				     SOCKET_ID_ANY);
	if (mp == NULL || sk_router_create(&rc, &router, NULL, 0) != 0)
		return 1;
	ft_init(mp);
	rs_engine_conf_default(&conf);
	conf.max_conns = 4;
	conf.max_streams = 256;
	conf.alloc = (struct rs_engine_alloc){b_alloc, NULL, b_realloc, b_free, NULL};
	for (int i = 0; i < 2; i++) {
		w[i] = dp_timer_wheel_init(
			aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63), &wc);
		if (rs_engine_create(&conf, w[i], mp, NULL, &b_app, router, (unsigned)i, &e[i]) !=
		    0)
			return 1;
	}
	ft_pair(&a, &b, false, false);
	a->s.cbs = &rs_engine_stream_cbs;
	b->s.cbs = &rs_engine_stream_cbs;
	a->seg = b->seg = 1460; /* delivery in MSS-sized segments, as TCP would */
	rs_engine_server_attach(e[0], &b->s);
	rs_engine_client_attach(e[1], &a->s, NULL, NULL, &idx);
	rs_engine_conn_handle(e[1], idx, &b_conn);
	b_ccx = rs_engine_ctx(e[1]);
	b_md_len = sk_route_metadata(b_md, sizeof(b_md), "echo");

	/* Request-response, 64 in flight. */
	for (int i = 0; i < 64; i++)
		b_issue();
	allocs_rr = b_alloc_calls;
	t0 = b_now_ns();
	do {
		for (int k = 0; k < 64; k++) {
			ft_pump();
			rs_engine_flush(e[0]);
			rs_engine_flush(e[1]);
		}
		t1 = b_now_ns();
	} while ((double)(t1 - t0) < seconds * 0.5e9);
	rr_rate = (double)b_rr_done / ((double)(t1 - t0) / 1e9);
	allocs_rr = b_alloc_calls - allocs_rr;
	b_rr_stop = true;
	for (int k = 0; k < 8; k++) {
		ft_pump();
		rs_engine_flush(e[0]);
		rs_engine_flush(e[1]);
	}

	/* Request-stream with unbounded credit, 32-byte items. */
	{
		struct sk_payload p = {b_md, (uint32_t)b_md_len, true, NULL, 0};
		uint64_t before;

		int src =
			sk_request_stream(b_ccx, b_conn, &p, UINT64_MAX, &b_ccbs, (void *)1, NULL);

		if (src != 0)
			fprintf(stderr, "request-stream: %d\n", src);
		rs_engine_flush(e[1]);
		ft_pump();
		before = b_items;
		allocs_stream = b_alloc_calls;
		t0 = b_now_ns();
		do {
			for (int k = 0; k < 16; k++) {
				b_prod_run(rs_engine_ctx(e[0]));
				rs_engine_flush(e[0]);
				ft_pump();
				rs_engine_flush(e[1]);
			}
			t1 = b_now_ns();
		} while ((double)(t1 - t0) < seconds * 0.5e9);
		item_rate = (double)(b_items - before) / ((double)(t1 - t0) / 1e9);
		allocs_stream = b_alloc_calls - allocs_stream;
	}
	if (b_served < b_rr_done) {
		fprintf(stderr, "error: %lu answered, %lu completed\n", (unsigned long)b_served,
			(unsigned long)b_rr_done);
		return 1;
	}
	if (json)
		printf("{\"bench\":\"engine\",\"rr_per_s\":%.0f,\"stream_items_per_s\":%.0f,"
		       "\"rr_alloc_calls\":%lu,\"stream_alloc_calls\":%lu,"
		       "\"seconds\":%.1f,\"provisional\":true}\n",
		       rr_rate, item_rate, (unsigned long)allocs_rr, (unsigned long)allocs_stream,
		       seconds);
	else
		printf("engine (in-memory transport, one thread, provisional):\n"
		       "  request-response: %.0f round trips/s (64 in flight), %lu allocator "
		       "calls\n"
		       "  request-stream:   %.0f items/s (32-byte items, unbounded credit), %lu "
		       "allocator calls\n",
		       rr_rate, (unsigned long)allocs_rr, item_rate, (unsigned long)allocs_stream);
	return 0;
}
