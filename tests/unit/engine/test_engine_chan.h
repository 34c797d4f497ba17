/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Channel credit and uncounted-ignore tests, included by test_engine.c after the review tests:
 * the engine answers a REQUEST_CHANNEL with REQUEST_N(channel_initial_n) when the handler grants
 * nothing (RSOCKET.md 4.6), leaves a handler that grants credit in full control, and sends
 * nothing when the requester's half is already complete; a SETUP after establishment and a frame
 * other than RESUME_OK / ERROR[0] while waiting for RESUME_OK are ignored and counted (4.8); the
 * per-connection reassembly cap at its exact boundary (5).
 */

/*
 * Client (engine 1) opens a channel to engine 0 whose handler runs in @p mode with @p k (see
 * struct t_state). The first item asks the responder for no items; the requester offers @p total
 * items in all (the first one included) and sends while it has credit. Returns the requester's
 * handle.
 */
static struct sk_stream
t_ch_open(int mode, uint32_t k, uint32_t total, bool complete)
{
	static struct t_cons a;
	uint8_t md[300], first[8];
	struct sk_payload p;
	struct sk_stream h;

	memset(&a, 0, sizeof(a));
	a.granted = 5;
	t_states[0].chan_mode = mode;
	t_states[0].chan_k = k;
	memset(&t_req_prod, 0, sizeof(t_req_prod));
	t_put32(first, 0);
	t_put32(first + 4, 0); /* the responder sends no items, only its completion */
	p = t_req("echo", md, first, 8);
	ck_assert_int_eq(sk_request_channel(t_cx(1), W.conn, &p, 5, complete, &t_ccbs, &a, &h), 0);
	if (!complete)
		t_req_prod = (struct t_prod){h, 1, total, false, true};
	t_run();
	ck_assert_uint_eq(t_states[0].channels, 1);
	ck_assert(a.completed);
	return h;
}

START_TEST(test_engine_chan_auto_request_n)
{
	struct rs_engine_conf s, c;
	struct sk_stream h;

	t_conf(&s);
	t_conf(&c);
	s.channel_initial_n = 5;
	t_world_up(&s, &c);
	t_connect();
	/* The handler grants nothing: the engine grants 5 items after the first, so the requester
	 * (which had no credit at all before) sends items 1..5 and then waits. */
	h = t_ch_open(1, 5, 20, false);
	ck_assert_uint_eq(t_states[0].chan_in[0].got, 6);
	ck_assert_uint_eq(t_req_prod.next, 6);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_CHANNEL_AUTO_N], 1);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_STREAM_OVERRUN] + t_ctr(1)[RS_CTR_STREAM_OVERRUN], 0);
	ck_assert(sk_stream_live(t_cx(1), h));
	/* The handler may still add credit later: the rest flows and the channel ends. */
	t_states[0].chan_in[0].granted += 100;
	ck_assert_int_eq(sk_request_n(t_cx(0), t_states[0].prods[0].h, 100), 0);
	t_run();
	ck_assert_uint_eq(t_states[0].chan_in[0].got, 20);
	ck_assert(t_states[0].chan_in[0].completed);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_CHANNEL_AUTO_N], 1);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();

	/* Default (256): a 40-item channel whose handler never grants runs to its end. */
	t_conf(&s);
	ck_assert_uint_eq(s.channel_initial_n, 256);
	t_world_up(&s, &c);
	t_connect();
	t_ch_open(1, 256, 40, false);
	ck_assert_uint_eq(t_states[0].chan_in[0].got, 40);
	ck_assert(t_states[0].chan_in[0].completed);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_CHANNEL_AUTO_N], 1);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

START_TEST(test_engine_chan_handler_credit_kept)
{
	struct rs_engine_conf s, c;
	struct sk_stream h;

	t_conf(&s);
	t_conf(&c);
	s.channel_initial_n = 5;
	t_world_up(&s, &c);
	t_connect();
	/* The handler grants 3: exactly 3 more items come, the engine adds nothing. */
	h = t_ch_open(2, 3, 20, false);
	ck_assert_uint_eq(t_states[0].chan_in[0].got, 4);
	ck_assert_uint_eq(t_req_prod.next, 4);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_CHANNEL_AUTO_N], 0);
	ck_assert_int_eq(sk_cancel(t_cx(1), h), 0);
	t_run();
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	/* C on the REQUEST_CHANNEL: the requester's half is done, nothing to grant. */
	t_states[0].channels = 0;
	memset(t_states[0].prods, 0, sizeof(t_states[0].prods));
	t_ch_open(1, 0, 1, true);
	ck_assert_uint_eq(t_states[0].chan_in[0].got, 1);
	ck_assert(t_states[0].chan_in[0].completed);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_CHANNEL_AUTO_N], 0);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

/* On the wire: REQUEST_N(channel_initial_n) right after the REQUEST_CHANNEL, and the range. */
START_TEST(test_engine_chan_auto_request_n_wire)
{
	struct rs_engine_conf s;
	struct rs_engine *e;
	struct ft_end *raw;
	struct rs_frame f;
	uint8_t b[512], md[64];
	int mdl, k;
	size_t n;

	t_conf(&s);
	s.channel_initial_n = 0x7fffffff;
	t_world_up(&s, &s);
	/* 1..0x7fffffff (a REQUEST_N value); the upper end was just accepted. */
	s.channel_initial_n = 0;
	ck_assert_int_eq(rs_engine_create(&s, W.wheel[0], t_mp, NULL, NULL, NULL, 0, &e), -EINVAL);
	s.channel_initial_n = 0x80000000u;
	ck_assert_int_eq(rs_engine_create(&s, W.wheel[0], t_mp, NULL, NULL, NULL, 0, &e), -EINVAL);
	t_states[0].chan_mode = 1;
	raw = t_raw_client();
	n = t_setup_bytes(b, 0, 1, 0, 30000, 90000, NULL, t_mm, "text/plain");
	mdl = sk_route_metadata(md, sizeof(md), "echo");
	/* First item: item 0, the responder sends 0 items. */
	k = rs_frame_encode_request_channel(b + n, sizeof(b) - n, 1, 0, 3, md, (uint32_t)mdl,
					    "\0\0\0\0\0\0\0\0", 8);
	ck_assert_int_gt(k, 0);
	n += (size_t)k;
	ft_raw_write(raw, b, n);
	t_run();
	ck_assert_uint_eq(t_states[0].channels, 1);
	ck_assert_msg(t_raw_find(raw, RS_FRAME_REQUEST_N, 1, 0, &f),
		      "no REQUEST_N for the channel");
	ck_assert_uint_eq(f.request_n, 0x7fffffff);
	ck_assert(!t_raw_find(raw, RS_FRAME_REQUEST_N, 1, 1, &f));
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_CHANNEL_AUTO_N], 1);
	t_world_down();
}
END_TEST

START_TEST(test_engine_chan_setup_after_establish_counted)
{
	struct rs_engine_conf s;
	struct ft_end *raw;
	struct rs_frame f;
	uint8_t b[256];
	size_t n;
	int k;

	t_conf(&s);
	t_world_up(&s, &s);
	raw = t_raw_client();
	n = t_setup_bytes(b, 0, 1, 0, 30000, 90000, NULL, t_mm, "text/plain");
	ft_raw_write(raw, b, n);
	t_run();
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_IGNORED], 0);
	/* A second SETUP: ignored (RSOCKET.md 4.1), counted, the connection stays. */
	ft_raw_write(raw, b, n);
	t_run();
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_IGNORED], 1);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	ck_assert(!t_raw_find(raw, RS_FRAME_ERROR, 0, 0, &f));
	/* Still served: a KEEPALIVE with R gets its answer. */
	k = rs_frame_encode_keepalive(b, sizeof(b), 1, 0, NULL, 0);
	ft_raw_write(raw, b, (size_t)k);
	t_run();
	ck_assert(t_raw_find(raw, RS_FRAME_KEEPALIVE, 0, 0, &f));
	t_world_down();
}
END_TEST

START_TEST(test_engine_chan_resume_wait_ignores_counted)
{
	struct rs_engine_conf c;
	struct ft_end *cli, *raw;
	struct rs_frame f;
	uint8_t b[256];
	int k;

	t_conf(&c);
	c.resume = true;
	t_world_up(&c, &c);
	t_connect();
	ft_cut(W.cli_end);
	t_run();
	ck_assert_uint_eq(t_cev.detached, 1);
	/* Resume over a new transport whose far end the test drives. */
	ft_pair(&cli, &raw, false, true);
	cli->s.cbs = &rs_engine_stream_cbs;
	ck_assert_int_eq(rs_engine_client_resume(W.e[1], W.cli_conn, &cli->s), 0);
	t_run();
	ck_assert(t_raw_find(raw, RS_FRAME_RESUME, 0, 0, &f));
	ck_assert_uint_eq(t_ctr(1)[RS_CTR_RESUME_WAIT_IGNORED], 0);
	/* Before RESUME_OK: a KEEPALIVE, a REQUEST_N and an ERROR on a stream are ignored, each
	 * counted; the client keeps waiting. */
	k = rs_frame_encode_keepalive(b, sizeof(b), 1, 0, NULL, 0);
	ft_raw_write(raw, b, (size_t)k);
	k = rs_frame_encode_request_n(b, sizeof(b), 1, 4);
	ck_assert_int_gt(k, 0);
	ft_raw_write(raw, b, (size_t)k);
	k = rs_frame_encode_error(b, sizeof(b), 1, RS_ERROR_APPLICATION_ERROR, "x", 1);
	ck_assert_int_gt(k, 0);
	ft_raw_write(raw, b, (size_t)k);
	t_run();
	ck_assert_uint_eq(t_ctr(1)[RS_CTR_RESUME_WAIT_IGNORED], 3);
	ck_assert(!t_raw_find(raw, RS_FRAME_KEEPALIVE, 0, 0, &f));
	ck_assert_uint_eq(t_cev.closed, 0);
	t_world_down();
}
END_TEST

/* Per-connection reassembly cap (reassembly_conn_max) at its exact boundary, with the stream
 * cap out of the way: at the cap accepted, one byte over CONNECTION_ERROR and close. */
START_TEST(test_engine_chan_reasm_conn_cap_boundary)
{
	struct rs_engine_conf s, c;
	uint8_t md[300], data[400];
	struct t_cons a = {.granted = 1};
	struct sk_payload p;
	struct sk_stream h;

	t_conf(&s);
	t_conf(&c);
	c.fragment_size = 64;
	s.reasm_conn_max = 100;
	t_world_up(&s, &c);
	t_connect();
	memset(data, 1, sizeof(data));
	/* Metadata (9 bytes) + data exactly at the cap: accepted. */
	p = t_req("echo", md, data, 91);
	ck_assert_uint_eq(p.metadata_len + p.data_len, 100);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 1);
	ck_assert(!a.errored);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_REASM_CONN_OVER], 0);
	/* Again at the cap: the first message's bytes were given back. */
	memset(&a, 0, sizeof(a));
	a.granted = 1;
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 1);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_REASM_CONN_OVER], 0);
	/* One byte over: the connection fails with CONNECTION_ERROR (RSOCKET.md 5). */
	memset(&a, 0, sizeof(a));
	a.granted = 1;
	p = t_req("echo", md, data, 92);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 0);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_REASM_CONN_OVER], 1);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_REASM_STREAM_OVER], 0);
	ck_assert_uint_eq(t_cev.closed, 1);
	ck_assert_uint_eq(t_cev.code, RS_ERROR_CONNECTION_ERROR);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

static Suite *
t_engine_chan_suite(void)
{
	Suite *s = suite_create("engine_chan");
	TCase *tc = tcase_create("engine_chan");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_engine_chan_auto_request_n);
	tcase_add_test(tc, test_engine_chan_handler_credit_kept);
	tcase_add_test(tc, test_engine_chan_auto_request_n_wire);
	tcase_add_test(tc, test_engine_chan_setup_after_establish_counted);
	tcase_add_test(tc, test_engine_chan_resume_wait_ignores_counted);
	tcase_add_test(tc, test_engine_chan_reasm_conn_cap_boundary);
	suite_add_tcase(s, tc);
	return s;
}
