/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engine allocation tests, included by test_engine.c (shares its fixtures and helpers). Each
 * engine gets a counting allocator (struct rs_engine_alloc) that can fail on demand, to check
 * that every byte the engine allocates comes back at teardown, that the steady state (request-
 * response and streams with frames straddling receive segments) allocates nothing after warm-up,
 * and that a failed allocation is counted and answered with an ERROR frame, never a crash.
 */

struct t_alloc {
	uint64_t calls;	      /* alloc, zalloc and realloc calls (failed ones included) */
	uint64_t live_blocks; /* allocated and not yet freed */
	uint64_t live_bytes;
	uint64_t failed;
	int64_t budget; /* calls that succeed before every call fails; -1: no limit */
};

static struct t_alloc t_al[2];

/* A 16-byte header before each block holds its size (keeps 16-byte alignment). */
#define T_AL_HDR 16u

static void *
t_al_alloc(void *ctx, size_t n)
{
	struct t_alloc *a = ctx;
	uint8_t *p;

	a->calls++;
	if (a->budget == 0) {
		a->failed++;
		return NULL;
	}
	if (a->budget > 0)
		a->budget--;
	p = malloc(T_AL_HDR + n);
	ck_assert_ptr_nonnull(p);
	memcpy(p, &n, sizeof(n));
	a->live_blocks++;
	a->live_bytes += n;
	return p + T_AL_HDR;
}

static void *
t_al_zalloc(void *ctx, size_t n)
{
	void *p = t_al_alloc(ctx, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

static void
t_al_free(void *ctx, void *p)
{
	struct t_alloc *a = ctx;
	uint8_t *b;
	size_t n;

	if (p == NULL)
		return;
	b = (uint8_t *)p - T_AL_HDR;
	memcpy(&n, b, sizeof(n));
	ck_assert_uint_gt(a->live_blocks, 0);
	ck_assert_uint_ge(a->live_bytes, n);
	a->live_blocks--;
	a->live_bytes -= n;
	free(b);
}

static void *
t_al_realloc(void *ctx, void *p, size_t n)
{
	struct t_alloc *a = ctx;
	size_t old = 0;
	void *q;

	if (p != NULL)
		memcpy(&old, (uint8_t *)p - T_AL_HDR, sizeof(old));
	(void)a;
	q = t_al_alloc(ctx, n);
	if (q == NULL)
		return NULL;
	if (p != NULL) {
		memcpy(q, p, old < n ? old : n);
		t_al_free(ctx, p);
	}
	return q;
}

/* Server (0): the full allocator. Client (1): alloc and free only, so the engine's own zalloc and
 * realloc fallbacks are exercised too. */
static void
t_al_conf(struct rs_engine_conf *c, int i)
{
	t_conf(c);
	memset(&t_al[i], 0, sizeof(t_al[i]));
	t_al[i].budget = -1;
	c->alloc = (struct rs_engine_alloc){t_al_alloc, i == 0 ? t_al_zalloc : NULL,
					    i == 0 ? t_al_realloc : NULL, t_al_free, &t_al[i]};
}

static void
t_al_check_freed(void)
{
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_gt(t_al[i].calls, 0);
		ck_assert_msg(t_al[i].live_blocks == 0 && t_al[i].live_bytes == 0,
			      "engine %d: %lu blocks, %lu bytes not freed", i,
			      (unsigned long)t_al[i].live_blocks,
			      (unsigned long)t_al[i].live_bytes);
	}
}

/* One request-response from the client with @p len data bytes (and metadata), checked. */
static void
t_al_rr(uint32_t len)
{
	struct t_cons a = {.granted = 1};
	uint8_t md[300], data[4096];
	struct sk_payload p;
	struct sk_stream h;

	ck_assert_uint_le(len, sizeof(data));
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + len);
	p = t_req("echo", md, data, len);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_msg(a.got == 1 && a.completed, "rr of %u bytes: got %u", len, a.got);
	ck_assert_uint_eq(a.last_len, len);
	ck_assert(memcmp(a.last, data, len < sizeof(a.last) ? len : sizeof(a.last)) == 0);
}

/* One stream of @p items items of t_item_len bytes, requested by the client, checked in order. */
static void
t_al_stream(uint32_t items)
{
	struct t_cons a = {.granted = 8, .batch = 8, .check_seq = true};
	uint8_t md[300], total[4];
	struct sk_payload p;
	struct sk_stream h;

	t_put32(total, items);
	p = t_req("echo", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 8, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, items);
	ck_assert(a.completed);
}

/* (a) Everything allocated through the allocator comes back at teardown: connections, streams,
 * straddling frames over gather_bytes, fragmented messages both ways, a retained copy, resume
 * stores, a reassembly cut short; and creation failing at each of its allocations. */
START_TEST(test_engine_alloc_all_freed)
{
	struct rs_engine_conf s, c;
	struct t_cons a = {.granted = 1};
	uint8_t md[300], data[3000];
	struct sk_payload p;
	struct sk_stream h;
	uint64_t k;

	t_al_conf(&s, 0);
	t_al_conf(&c, 1);
	s.resume = c.resume = true;
	s.gather_bytes = c.gather_bytes = 64;
	s.fragment_size = c.fragment_size = 200;
	t_world_up(&s, &c);
	ck_assert_uint_gt(t_al[0].live_blocks, 0); /* the engine itself, its slots */
	t_connect();
	ck_assert_uint_eq(t_cev.ready, 1);
	W.srv_end->seg = 7;
	W.cli_end->seg = 13;
	t_al_rr(5);
	t_al_rr(150);  /* straddles, over gather_bytes: a one-frame buffer both ways */
	t_al_rr(1000); /* fragmented both ways: reassembly on both engines */
	t_item_len = 300;
	t_al_stream(20);
	t_item_len = 8;
	ck_assert_uint_gt(t_ctr(0)[RS_CTR_RX_GATHER_BIG], 0);
	ck_assert_uint_gt(t_ctr(1)[RS_CTR_RX_GATHER_BIG], 0);
	ck_assert_uint_gt(t_ctr(0)[RS_CTR_FRAGMENTS_RX], 0);
	ck_assert_uint_gt(t_ctr(1)[RS_CTR_FRAGMENTS_RX], 0);
	/* A straddling payload retained by the responder: copied, released later. */
	memset(data, 0x5a, sizeof(data));
	t_states[0].defer = true;
	p = t_req("echo", md, data, 40);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_ptr_nonnull(t_states[0].held.copy);
	ck_assert_int_eq(sk_respond(t_cx(0), t_states[0].deferred, &t_states[0].held.p), 0);
	sk_payload_release(t_cx(0), &t_states[0].held);
	t_states[0].defer = false;
	t_run();
	ck_assert(a.completed && a.last_len == 40);
	/* A fragmented message cut short by the transport: its reassembly stays with the detached
	 * session until teardown. */
	W.cli_end->cut_at = W.cli_end->sent + 500;
	p = t_req("echo", md, data, 2000);
	ck_assert_int_eq(sk_fire_and_forget(t_cx(1), W.conn, &p), 0);
	t_run();
	ck_assert_uint_eq(t_states[0].fnf, 0);
	t_world_down();
	t_al_check_freed();
	ck_assert_uint_eq(t_al[0].failed + t_al[1].failed, 0);

	/* Creation failing at its k-th allocation returns -ENOMEM and frees what it took. */
	for (k = 0;; k++) {
		struct dp_timer_wheel_conf wc = {100, 0};
		void *wm = aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63);
		struct dp_timer_wheel *w = dp_timer_wheel_init(wm, &wc);
		struct rs_engine *e = NULL;
		int rc;

		ck_assert_ptr_nonnull(w);
		t_al_conf(&s, 0);
		t_al[0].budget = (int64_t)k;
		rc = rs_engine_create(&s, w, t_mp, NULL, NULL, NULL, 0, &e);
		if (rc == 0) {
			rs_engine_free(e);
			free(wm);
			break;
		}
		ck_assert_int_eq(rc, -ENOMEM);
		ck_assert_uint_eq(t_al[0].live_blocks, 0);
		free(wm);
		ck_assert_uint_lt(k, 10);
	}
	ck_assert_uint_ge(k, 3); /* engine, connections, flush list */
	ck_assert_uint_eq(t_al[0].live_blocks, 0);
}
END_TEST

/* (b) After warm-up (the connection slot's first use), request-response and streams with every
 * frame straddling receive segments, in sizes growing past anything seen during warm-up (up to
 * gather_bytes), plus a closed and re-opened connection, allocate nothing. */
START_TEST(test_engine_alloc_steady_state_free)
{
	struct rs_engine_conf s, c;
	uint64_t calls0, calls1;

	t_al_conf(&s, 0);
	t_al_conf(&c, 1);
	s.gather_bytes = c.gather_bytes = 8192;
	t_world_up(&s, &c);
	t_connect();
	W.srv_end->seg = 7;
	W.cli_end->seg = 11;
	/* Warm-up: one small exchange of each kind. */
	t_al_rr(3);
	t_al_stream(2);
	calls0 = t_al[0].calls;
	calls1 = t_al[1].calls;
	for (uint32_t i = 0; i < 200; i++)
		t_al_rr(16 + (i * 37) % 4000);
	for (uint32_t i = 0; i < 20; i++) {
		t_item_len = 8 + (i * 97) % 1000; /* metadata on odd items: both parts straddle */
		t_al_stream(10 + i);
	}
	t_item_len = 8;
	ck_assert_msg(t_al[0].calls == calls0 && t_al[1].calls == calls1,
		      "steady state allocated: server %lu, client %lu calls",
		      (unsigned long)(t_al[0].calls - calls0),
		      (unsigned long)(t_al[1].calls - calls1));
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RX_GATHER_BIG] + t_ctr(1)[RS_CTR_RX_GATHER_BIG], 0);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RX_NOMEM] + t_ctr(1)[RS_CTR_RX_NOMEM], 0);
	/* Connection churn reuses the slots' memory. */
	ck_assert_int_eq(sk_conn_close(t_cx(1), W.conn), 0);
	t_run();
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	t_connect();
	W.srv_end->seg = 7;
	W.cli_end->seg = 11;
	t_al_rr(2500);
	ck_assert_uint_eq(t_al[0].calls, calls0);
	ck_assert_uint_eq(t_al[1].calls, calls1);
	t_world_down();
	t_al_check_freed();
}
END_TEST

/* (c) An allocator that fails on demand: counted (rx_nomem) and answered with ERROR frames, the
 * connection goes on; nothing leaks, nothing crashes. */
START_TEST(test_engine_alloc_failures)
{
	struct rs_engine_conf s, c;
	struct t_cons a = {.granted = 1}, b = {.granted = 1, .check_seq = true};
	uint8_t md[300], data[1000];
	struct sk_payload p;
	struct sk_stream h;
	struct ft_end *cli, *srv;

	t_al_conf(&s, 0);
	t_al_conf(&c, 1);
	s.gather_bytes = c.gather_bytes = 64;
	s.max_conns = 2;
	t_world_up(&s, &c);
	t_connect();
	W.srv_end->seg = 7;
	W.cli_end->seg = 7;
	memset(data, 0x33, sizeof(data));
	/* 1. A request that needs a one-frame gather buffer the server cannot get: ERROR[REJECTED]
	 *    on that stream, the connection lives. */
	t_al[0].budget = 0;
	p = t_req("echo", md, data, 300);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RX_NOMEM], 1);
	ck_assert_uint_eq(t_states[0].rr, 0);
	ck_assert(a.errored);
	ck_assert_uint_eq(a.err_code, RS_ERROR_REJECTED);
	ck_assert_str_eq(a.err_msg, "out of memory");
	t_al[0].budget = -1;
	t_al_rr(300);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RX_GATHER_BIG], 1);
	/* 2. An item the requester cannot gather (credit 1 of 4 items, so the responder is still
	 *    live): the stream fails (on_error) and the requester sends CANCEL. */
	t_item_len = 200;
	t_al[1].budget = 0;
	{
		uint8_t total[4];

		t_put32(total, 4);
		p = t_req("echo", md, total, 4);
		ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 1, &t_ccbs, &b, &h), 0);
	}
	t_run();
	t_item_len = 8;
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_RX_NOMEM], 1);
	ck_assert(b.errored);
	ck_assert_uint_eq(b.err_code, RS_ERROR_REJECTED);
	ck_assert_uint_eq(t_states[0].cancels, 1);
	t_al[1].budget = -1;
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	/* 3. A fragmented request whose reassembly buffer cannot be had: ERROR[REJECTED]. */
	ck_assert_uint_gt(t_al[1].failed, 0);
	t_world_down();
	t_al_check_freed();
	t_al_conf(&s, 0);
	t_al_conf(&c, 1);
	s.max_conns = 2;
	c.fragment_size = 100;
	t_world_up(&s, &c);
	t_connect();
	ck_assert_uint_eq(t_cev.ready, 1);
	memset(&a, 0, sizeof(a));
	a.granted = 1;
	t_al[0].budget = 0;
	p = t_req("echo", md, data, 500);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RX_NOMEM], 1);
	ck_assert(a.errored);
	ck_assert_uint_eq(a.err_code, RS_ERROR_REJECTED);
	ck_assert_uint_eq(t_states[0].rr, 0);
	t_al[0].budget = -1;
	t_al_rr(500);
	/* 4. A connection slot's first use without memory: the transport is refused, counted. */
	t_al[0].budget = 0;
	ft_pair(&cli, &srv, true, false);
	srv->s.cbs = &rs_engine_stream_cbs;
	ck_assert_ptr_null(rs_engine_server_attach(W.e[0], &srv->s));
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RX_NOMEM], 2);
	t_al[0].budget = -1;
	ck_assert_uint_gt(t_al[0].failed, 0);
	t_world_down();
	t_al_check_freed();
}
END_TEST

static Suite *
t_engine_alloc_suite(void)
{
	Suite *s = suite_create("engine_alloc");
	TCase *tc = tcase_create("engine_alloc");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_engine_alloc_all_freed);
	tcase_add_test(tc, test_engine_alloc_steady_state_free);
	tcase_add_test(tc, test_engine_alloc_failures);
	suite_add_tcase(s, tc);
	return s;
}
