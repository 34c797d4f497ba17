/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the RSocket engine: the input is what a peer sends to a server engine
 * (after a valid SETUP unless the first byte's low bit is set), or, when bit 3 of the first byte
 * is set, what a server sends to a client engine that has just opened a request-response, a
 * stream and a channel (ids 1, 3, 5; resumption on, so RESUME_OK and positions are reachable),
 * delivered through the in-memory transport in segments whose sizes come from the input, with the
 * fake clock advanced between chunks so timers (keepalive, lease, setup timeout) run too. The
 * server runs the routes of a small app (request-response echo, stream producer, channel echo,
 * FNF). Every input ends with the engine freed and the mbuf pool back at its baseline (a leak
 * aborts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <dp/timer.h>
#include <rs/engine.h>
#include <rs/frame.h>
#include <sk/router.h>
#include <skiff.h>

#include "../unit/engine/fake_transport.h"

#include "../common/sk_test_eal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rte_mempool *fz_mp;
static struct sk_router *fz_router;
static struct sk_stream fz_prod;
static uint32_t fz_left;

static void
fz_rr(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	sk_respond(cx, s, &out);
}

static void
fz_fnf(struct sk_ctx *cx, const struct sk_payload *p)
{
	(void)cx;
	(void)p;
}

static void
fz_run(struct sk_ctx *cx)
{
	static const uint8_t item[40];
	struct sk_payload p = {.data = item, .data_len = sizeof(item)};

	while (fz_left > 0 && sk_next(cx, fz_prod, &p) == 0)
		fz_left--;
	if (fz_left == 0)
		sk_complete(cx, fz_prod);
}

static void
fz_stream(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n)
{
	(void)n;
	fz_prod = s;
	fz_left = p->data_len > 0 ? p->data[0] : 3;
	fz_run(cx);
}

static void
fz_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	(void)ctx;
	(void)n;
	if (s.idx == fz_prod.idx && s.gen == fz_prod.gen)
		fz_run(cx);
}

static void
fz_chan_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	(void)ctx;
	sk_next(cx, s, &out);
	if (p->data_len > 0 && p->data[0] == 'x')
		sk_cancel(cx, s);
}

static void
fz_channel(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n, bool done)
{
	(void)n;
	fz_chan_next(cx, s, NULL, p);
	if (!done)
		sk_request_n(cx, s, 4);
}

static void
fz_md(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len)
{
	(void)cx;
	(void)c;
	(void)md;
	(void)len;
}

/* Client side: keep asking for more and echo channel items back. */
static void
fz_c_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	(void)ctx;
	sk_request_n(cx, s, 1);
	sk_next(cx, s, &out);
}

static void
fz_c_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	static const uint8_t item[70];
	struct sk_payload out = {.data = item, .data_len = sizeof(item)};

	(void)ctx;
	(void)n;
	sk_next(cx, s, &out);
}

static const struct sk_stream_cbs fz_ccbs = {.on_next = fz_c_next, .on_request_n = fz_c_request_n};

static const char *const fz_names[] = {"echo"};
static const struct sk_route_handlers fz_routes[] = {
	{.request_response = fz_rr,
	 .fire_and_forget = fz_fnf,
	 .request_stream = fz_stream,
	 .request_channel = fz_channel,
	 .cbs = {.on_next = fz_chan_next, .on_request_n = fz_request_n}},
};
static const struct sk_app fz_app = {"fuzz", NULL, NULL, fz_names, fz_routes, 1, fz_md};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char prefix[64];
	char *eal[] = {(*argv)[0],    "-l",	     "0",
		       "--no-huge",   "-m",	     "128",
		       "--no-pci",    "--no-shconf", "--no-telemetry",
		       "--log-level", "lib.*:error", "--file-prefix",
		       prefix};
	static const struct sk_router_route routes[] = {
		{"echo", "echo", SK_ROUTER_EXACT},
		{"any", "^e", SK_ROUTER_PATTERN},
	};
	struct sk_router_conf rc = {routes, 2, "echo"};

	(void)argc;
	snprintf(prefix, sizeof(prefix), "fz%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		abort();
	sk_test_eal_rmdir_at_exit();
	fz_mp = rte_pktmbuf_pool_create("fz", 4095, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM,
					SOCKET_ID_ANY);
	if (fz_mp == NULL || sk_router_create(&rc, &fz_router, NULL, 0) != 0)
		abort();
	ft_init(fz_mp);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* SETUP: 40 bytes, version 1.0, keepalive 100 ms, lifetime 1000 ms, text/plain twice. */
	uint8_t setup[] = {
		0,   0,	  40, 0,   0,	0,   0,	  0x04, 0x00, 0,   1,	0,   0,	  0,   0,
		0,   100, 0,  0,   3,	232, 10,  't',	'e',  'x', 't', '/', 'p', 'l', 'a',
		'i', 'n', 10, 't', 'e', 'x', 't', '/',	'p',  'l', 'a', 'i', 'n',
	};
	struct dp_timer_wheel_conf wc = {100, 1000000};
	static uint8_t wmem[1 << 20] __attribute__((aligned(64)));
	struct rs_engine_conf conf;
	struct dp_timer_wheel *w;
	struct rs_engine *e;
	struct ft_end *raw, *srv;
	unsigned base = rte_mempool_avail_count(fz_mp);
	uint64_t now = 1000000;
	size_t off = 1;
	bool client;

	if (size < 2 || dp_timer_wheel_memsize(&wc) > sizeof(wmem))
		return 0;
	rs_engine_conf_default(&conf);
	conf.max_conns = 2;
	conf.max_streams = 8;
	conf.fragment_size = (data[0] & 2) ? 64 : 0;
	conf.lease = (data[0] & 4) != 0;
	conf.lease_ttl_ms = 50;
	conf.lease_requests = 3;
	conf.reasm_stream_max = 4096;
	conf.reasm_conn_max = 8192;
	conf.max_frame_len = 65536;
	conf.max_pending_bytes = 1 << 16;
	conf.setup_timeout_ms = 200;
	client = (data[0] & 8) != 0;
	conf.resume = client || (data[0] & 16) != 0;
	w = dp_timer_wheel_init(wmem, &wc);
	if (rs_engine_create(&conf, w, fz_mp, NULL, &fz_app, fz_router, 0, &e) != 0)
		abort();
	rs_engine_set_now(e, now);
	ft_pair(&raw, &srv, true, false);
	srv->s.cbs = &rs_engine_stream_cbs;
	srv->seg = 1 + data[1] % 97;
	if (client) {
		struct sk_ctx *cx = rs_engine_ctx(e);
		uint8_t md[16];
		struct sk_payload p = {md, 0, true, (const uint8_t *)"q", 1};
		uint32_t idx;
		struct sk_conn c;

		p.metadata_len = (uint32_t)sk_route_metadata(md, sizeof(md), "echo");
		rs_engine_client_attach(e, &srv->s, NULL, NULL, &idx);
		rs_engine_conn_handle(e, idx, &c);
		sk_request_response(cx, c, &p, &fz_ccbs, NULL, NULL);
		sk_request_stream(cx, c, &p, 2, &fz_ccbs, NULL, NULL);
		sk_request_channel(cx, c, &p, 2, false, &fz_ccbs, NULL, NULL);
		rs_engine_flush(e);
	} else {
		rs_engine_server_attach(e, &srv->s);
		if (conf.lease)
			setup[8] |= 0x40; /* L */
		if (!(data[0] & 1))
			ft_raw_write(raw, setup, sizeof(setup));
	}
	/* Chunks: a length byte, then that many input bytes; time moves 10 ms per chunk. */
	while (off < size && !raw->gone) {
		size_t n = data[off++] % 64 + 1;

		if (n > size - off)
			n = size - off;
		ft_raw_write(raw, data + off, n);
		off += n;
		for (int k = 0; k < 4; k++) {
			ft_pump();
			rs_engine_flush(e);
		}
		now += 10000;
		rs_engine_set_now(e, now);
		dp_timer_wheel_advance(w, now);
		raw->raw_len = 0;
	}
	rs_engine_free(e);
	for (int k = 0; k < 4; k++)
		ft_pump();
	ft_reset();
	if (rte_mempool_avail_count(fz_mp) != base)
		abort();
	return 0;
}
