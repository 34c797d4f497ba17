/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Review tests (issue 5), included by test_engine.c after test_engine_cases.h: what a peer sees on
 * the wire at the fragment size boundary (RSOCKET.md 5, 10.9), lease replace-not-add and TTL
 * expiry on the requester side (6.3), a client ignoring SETUP errors once established (3), the
 * KEEPALIVE answer's own implied position with resumption (6.1, 7, 10.8), a credit overrun and
 * a PAYLOAD with neither N nor C (10.11), and the per-message reassembly cap at its boundary.
 */

/* A client engine (engine 1, conf @p cc) against a raw server end; W.conn is its handle. */
static struct ft_end *
t_rv_raw_server(const struct rs_engine_conf *cc)
{
	struct rs_engine_conf s;
	struct ft_end *cli, *raw;

	t_conf(&s);
	t_world_up(&s, cc);
	ft_pair(&cli, &raw, false, true);
	cli->s.cbs = &rs_engine_stream_cbs;
	ck_assert_int_eq(rs_engine_client_attach(W.e[1], &cli->s, &t_conn_cbs, &t_cev, &W.cli_conn),
			 0);
	ck_assert_int_eq(rs_engine_conn_handle(W.e[1], W.cli_conn, &W.conn), 0);
	t_run();
	return raw;
}

static void
t_rv_write_lease(struct ft_end *raw, uint32_t ttl_ms, uint32_t n)
{
	uint8_t b[3 + RS_FRAME_LEASE_MIN_LEN];

	rs_frame_put_u24(b, RS_FRAME_LEASE_MIN_LEN);
	rs_frame_put_hdr(b + 3, 0, RS_FRAME_LEASE, 0);
	rs_frame_put_u32(b + 9, ttl_ms);
	rs_frame_put_u32(b + 13, n);
	ft_raw_write(raw, b, sizeof(b));
	t_run();
}

START_TEST(test_engine_review_fragment_wire)
{
	struct rs_engine_conf s;
	struct ft_end *raw;
	uint8_t b[512], md[64], data[200];
	size_t n;
	int mdl = sk_route_metadata(md, sizeof(md), "echo");

	t_conf(&s);
	s.fragment_size = 64;
	t_world_up(&s, &s);
	raw = t_raw_client();
	n = t_setup_bytes(b, 0, 1, 0, 30000, 90000, NULL, t_mm, "text/plain");
	ft_raw_write(raw, b, n);
	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5 + 1);
	for (uint32_t dl = 0; dl <= 140; dl++) {
		uint32_t sid = 1 + 2 * dl, total = 6 + 3 + (uint32_t)mdl + dl, frames = 0;
		uint32_t mdgot = 0, dgot = 0;
		struct rs_frame f;
		int len = rs_frame_encode_request_response(b, sizeof(b), sid, 0, md, (uint32_t)mdl,
							   data, dl);

		raw->raw_len = 0;
		ft_raw_write(raw, b, (size_t)len);
		t_run();
		for (unsigned k = 0; t_raw_find(raw, RS_FRAME_PAYLOAD, sid, k, &f); k++) {
			bool last = (f.flags & RS_FRAME_FLAG_F) == 0;

			frames++;
			/* fragment_size bounds every frame; a fragment that is not the last is
			 * filled up to it. */
			ck_assert_msg(f.frame_len <= 64, "data %u: frame %u bytes", dl,
				      f.frame_len);
			if (!last)
				ck_assert_msg(f.frame_len == 64, "data %u: short fragment %u", dl,
					      f.frame_len);
			/* N on every fragment, C only on the last (RSOCKET.md 5, 10.9). */
			ck_assert(f.flags & RS_FRAME_FLAG_N);
			ck_assert_uint_eq((f.flags & RS_FRAME_FLAG_C) != 0, last);
			mdgot += (f.flags & RS_FRAME_FLAG_M) ? f.metadata.len : 0;
			dgot += f.data.len;
			if (last)
				break;
		}
		ck_assert_uint_eq(mdgot, (uint32_t)mdl);
		ck_assert_uint_eq(dgot, dl);
		/* A message that fits one frame is not fragmented. */
		if (total <= 64)
			ck_assert_msg(frames == 1, "data %u: %u frames for %u bytes", dl, frames,
				      total);
	}
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_lease_replace_and_ttl)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 1};
	uint8_t md[300];
	struct sk_payload p;
	struct sk_stream h;
	struct ft_end *raw;

	t_conf(&c);
	c.lease = true;
	c.lease_ttl_ms = 100000; /* the lease this client issues (ignored by the raw server) */
	raw = t_rv_raw_server(&c);
	p = t_req("echo", md, "l", 1);
	/* No LEASE yet: no request. */
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), -EBUSY);
	/* LEASE(3) then LEASE(1): the second replaces the first, one request in all. */
	t_rv_write_lease(raw, 10000, 3);
	t_rv_write_lease(raw, 10000, 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), -EBUSY);
	/* LEASE(5, TTL 100 ms): fine within the TTL, nothing once it has run out. */
	t_rv_write_lease(raw, 100, 5);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_advance_ms(150);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), -EBUSY);
	ck_assert_int_eq(sk_fire_and_forget(t_cx(1), W.conn, &p), -EBUSY);
	/* LEASE(0) stops all requests (RSOCKET.md 10.5). */
	t_rv_write_lease(raw, 10000, 0);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), -EBUSY);
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_client_ignores_setup_errors)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 1};
	uint8_t md[300], b[64];
	struct sk_payload p;
	struct sk_stream h;
	struct ft_end *raw;
	int len;

	t_conf(&c);
	raw = t_rv_raw_server(&c);
	p = t_req("echo", md, "x", 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	/* The answer establishes the connection (RSOCKET.md 4.1.2) ... */
	len = rs_frame_encode_payload(b, sizeof(b), 1, RS_FRAME_FLAG_N | RS_FRAME_FLAG_C, NULL, 0,
				      "y", 1);
	ft_raw_write(raw, b, (size_t)len);
	t_run();
	ck_assert_uint_eq(a.got, 1);
	/* ... after which SETUP and RESUME errors on stream 0 are ignored (RSOCKET.md 3: "a client
	 * ignores those same codes once the connection is established"). */
	for (uint32_t code = RS_ERROR_INVALID_SETUP; code <= RS_ERROR_REJECTED_RESUME; code++) {
		len = rs_frame_encode_error(b, sizeof(b), 0, code, "late", 4);
		ft_raw_write(raw, b, (size_t)len);
		t_run();
	}
	ck_assert_uint_eq(t_cev.closed, 0);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[1]), 1);
	t_world_down();

	/* Before establishment the same ERROR ends the connection with its code. */
	raw = t_rv_raw_server(&c);
	len = rs_frame_encode_error(b, sizeof(b), 0, RS_ERROR_REJECTED_SETUP, "no", 2);
	ft_raw_write(raw, b, (size_t)len);
	t_run();
	ck_assert_uint_eq(t_cev.closed, 1);
	ck_assert_uint_eq(t_cev.code, RS_ERROR_REJECTED_SETUP);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_keepalive_position)
{
	struct rs_engine_conf s;
	struct ft_end *raw;
	struct rs_frame f;
	uint8_t b[512], md[64];
	size_t n;
	int k, mdl = sk_route_metadata(md, sizeof(md), "echo");
	uint64_t pos = 0;

	t_conf(&s);
	s.resume = true;
	t_world_up(&s, &s);
	raw = t_raw_client();
	n = t_setup_bytes(b, RS_FRAME_FLAG_RESUME, 1, 0, 30000, 90000, "tok1", t_mm, "text/plain");
	/* Two requests: the implied position counts their frames without the 3-byte prefix;
	 * SETUP and KEEPALIVE (stream 0) do not count (RSOCKET.md 7, 10.8). */
	for (uint32_t sid = 1; sid <= 3; sid += 2) {
		k = rs_frame_encode_request_response(b + n, sizeof(b) - n, sid, 0, md,
						     (uint32_t)mdl, "abcdefgh", sid * 3);
		n += (size_t)k;
		pos += (uint64_t)k - 3;
	}
	/* A FNF is counted too, and gets no answer: the two positions differ. */
	k = rs_frame_encode_request_fnf(b + n, sizeof(b) - n, 5, 0, md, (uint32_t)mdl, "f", 1);
	n += (size_t)k;
	pos += (uint64_t)k - 3;
	k = rs_frame_encode_keepalive(b + n, sizeof(b) - n, 1, 0, "ka", 2);
	n += (size_t)k;
	ft_raw_write(raw, b, n);
	t_run();
	ck_assert(t_raw_find(raw, RS_FRAME_PAYLOAD, 3, 0, &f));
	ck_assert(t_raw_find(raw, RS_FRAME_KEEPALIVE, 0, 0, &f));
	ck_assert_uint_eq(f.flags & RS_FRAME_FLAG_RESPOND, 0);
	/* The responder's own last received position, not the sender's, not its send position. */
	ck_assert_uint_eq(f.position, pos);
	ck_assert_uint_eq(f.data.len, 2);
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_overrun_and_bad_payload)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 2}, d = {.granted = 5};
	uint8_t md[300], b[64];
	struct sk_payload p;
	struct sk_stream h, h2;
	struct ft_end *raw;
	struct rs_frame f;
	int len;

	t_conf(&c);
	raw = t_rv_raw_server(&c);
	p = t_req("echo", md, "s", 1);
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 2, &t_ccbs, &a, &h), 0);
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 5, &t_ccbs, &d, &h2), 0);
	t_run();
	/* A PAYLOAD with neither N nor C is ignored (RSOCKET.md 10.11): the stream goes on. */
	len = rs_frame_encode_payload(b, sizeof(b), 3, RS_FRAME_FLAG_N, NULL, 0, "i", 1);
	ft_raw_write(raw, b, (size_t)len);
	rs_frame_put_hdr(b + 3, 3, RS_FRAME_PAYLOAD, 0);
	ft_raw_write(raw, b, (size_t)len);
	t_run();
	ck_assert_uint_eq(d.got, 1);
	ck_assert(!d.errored);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[1]), 1);
	/* Three items against a credit of 2: the third is not delivered; the stream fails locally
	 * with CANCEL to the peer; the connection and the other stream live on. */
	for (int i = 0; i < 3; i++) {
		len = rs_frame_encode_payload(b, sizeof(b), 1, RS_FRAME_FLAG_N, NULL, 0, "i", 1);
		ft_raw_write(raw, b, (size_t)len);
	}
	t_run();
	ck_assert_uint_eq(a.got, 2);
	ck_assert(a.errored);
	ck_assert_uint_eq(t_ctr(1)[RS_CTR_STREAM_OVERRUN], 1);
	ck_assert(t_raw_find(raw, RS_FRAME_CANCEL, 1, 0, &f));
	ck_assert(!t_raw_find(raw, RS_FRAME_ERROR, 0, 0, &f));
	ck_assert_uint_eq(rs_engine_conn_count(W.e[1]), 1);
	ck_assert(sk_stream_live(t_cx(1), h2));
	len = rs_frame_encode_payload(b, sizeof(b), 3, RS_FRAME_FLAG_N | RS_FRAME_FLAG_C, NULL, 0,
				      "j", 1);
	ft_raw_write(raw, b, (size_t)len);
	t_run();
	ck_assert_uint_eq(d.got, 2);
	ck_assert(d.completed);
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_reasm_cap_boundary)
{
	struct rs_engine_conf s, c;
	uint8_t md[300], data[400];
	struct t_cons a = {.granted = 1};
	struct sk_payload p;
	struct sk_stream h;

	t_conf(&s);
	t_conf(&c);
	c.fragment_size = 64;
	s.reasm_stream_max = 100;
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
	/* One byte over: refused. */
	memset(&a, 0, sizeof(a));
	a.granted = 1;
	p = t_req("echo", md, data, 92);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert(a.errored);
	ck_assert_uint_eq(a.err_code, RS_ERROR_REJECTED);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_REASM_STREAM_OVER], 1);
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_lease_renewal_after_tx_full)
{
	struct rs_engine_conf s;
	struct ft_end *raw;
	struct rs_frame f;
	uint8_t b[256];
	size_t n;
	int k;

	t_conf(&s);
	s.lease = true;
	s.lease_ttl_ms = 100;
	s.lease_requests = 5;
	s.max_pending_bytes = 20;
	t_world_up(&s, &s);
	raw = t_raw_client();
	n = t_setup_bytes(b, RS_FRAME_FLAG_LEASE, 1, 0, 30000, 90000, NULL, t_mm, "text/plain");
	ft_raw_write(raw, b, n);
	t_run();
	ck_assert(t_raw_find(raw, RS_FRAME_LEASE, 0, 0, &f));
	/* The transport takes nothing; a KEEPALIVE answer (17 bytes) fills the 20 pending bytes,
	 * so the renewal at the TTL cannot be queued (tx_pending_over). */
	raw->peer->space = 0;
	k = rs_frame_encode_keepalive(b, sizeof(b), 1, 0, NULL, 0);
	ft_raw_write(raw, b, (size_t)k);
	t_advance_ms(150);
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_TX_PENDING_OVER], 1);
	/* The issued lease has run out (TTL 100 ms) and no new one went out: a request now is
	 * outside the lease and refused (a FNF: dropped, counted), never handled. */
	{
		uint8_t md[64];
		int mdl = sk_route_metadata(md, sizeof(md), "echo");

		k = rs_frame_encode_request_fnf(b, sizeof(b), 1, 0, md, (uint32_t)mdl, "f", 1);
		ft_raw_write(raw, b, (size_t)k);
		t_run();
		ck_assert_uint_eq(t_states[0].fnf, 0);
		ck_assert_uint_eq(t_ctr(0)[RS_CTR_LEASE_REJECTED], 1);
	}
	/* Room again: leases resume (RSOCKET.md 6.3: the requester can do nothing without one). */
	raw->peer->space = UINT32_MAX;
	t_advance_ms(300);
	ck_assert(t_raw_find(raw, RS_FRAME_KEEPALIVE, 0, 0, &f));
	ck_assert_msg(t_raw_find(raw, RS_FRAME_LEASE, 0, 1, &f),
		      "no LEASE after the failed renewal");
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_LEASE_ISSUED], 2);
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_tx_drop_counted)
{
	struct rs_engine_conf s;
	struct ft_end *raw;
	uint8_t b[256];
	size_t n;
	int k;

	t_conf(&s);
	t_world_up(&s, &s);
	raw = t_raw_client();
	n = t_setup_bytes(b, 0, 1, 0, 30000, 90000, NULL, t_mm, "text/plain");
	ft_raw_write(raw, b, n);
	t_run();
	/* The transport refuses sends for good (not -EAGAIN): what was queued is dropped, and
	 * counted (DESIGN.md: every drop has a counter). */
	raw->peer->open = false;
	k = rs_frame_encode_keepalive(b, sizeof(b), 1, 0, "x", 1);
	ft_raw_write(raw, b, (size_t)k);
	t_run();
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_KEEPALIVE_RX], 1);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_TX_DROPPED], 1);
	ck_assert_str_eq(rs_engine_counter_name(RS_CTR_TX_DROPPED), "tx_dropped");
	raw->peer->open = true;
	t_world_down();
}
END_TEST

START_TEST(test_engine_review_resume_store_trim_exact)
{
	struct rs_engine_conf s;
	struct ft_end *raw;
	struct rs_frame f;
	uint8_t b[512], md[64], data[43];
	size_t n;
	int k, mdl = sk_route_metadata(md, sizeof(md), "echo");

	t_conf(&s);
	s.resume = true;
	/* Room for exactly one stored answer: [u24][frame of 6 + 3 + 9 + 43 = 61 bytes]. */
	s.resume_store_bytes = 64;
	memset(data, 'd', sizeof(data));
	t_world_up(&s, &s);
	raw = t_raw_client();
	n = t_setup_bytes(b, RS_FRAME_FLAG_RESUME, 1, 0, 30000, 90000, "tok2", t_mm, "text/plain");
	n += (size_t)rs_frame_encode_request_response(b + n, sizeof(b) - n, 1, 0, md, (uint32_t)mdl,
						      data, sizeof(data));
	ft_raw_write(raw, b, n);
	t_run();
	ck_assert(t_raw_find(raw, RS_FRAME_PAYLOAD, 1, 0, &f));
	ck_assert_uint_eq(f.frame_len, 61);
	/* The peer acknowledges exactly that frame (KEEPALIVE position, RSOCKET.md 7): the store
	 * drops it, so the next answer fits without overflow. */
	k = rs_frame_encode_keepalive(b, sizeof(b), 0, 61, NULL, 0);
	n = (size_t)k;
	n += (size_t)rs_frame_encode_request_response(b + n, sizeof(b) - n, 3, 0, md, (uint32_t)mdl,
						      data, sizeof(data));
	ft_raw_write(raw, b, n);
	t_run();
	ck_assert(t_raw_find(raw, RS_FRAME_PAYLOAD, 3, 0, &f));
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RESUME_STORE_OVERFLOW], 0);
	t_world_down();
}
END_TEST

static Suite *
t_engine_review_suite(void)
{
	Suite *s = suite_create("engine_review");
	TCase *tc = tcase_create("engine_review");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_engine_review_fragment_wire);
	tcase_add_test(tc, test_engine_review_lease_replace_and_ttl);
	tcase_add_test(tc, test_engine_review_client_ignores_setup_errors);
	tcase_add_test(tc, test_engine_review_keepalive_position);
	tcase_add_test(tc, test_engine_review_overrun_and_bad_payload);
	tcase_add_test(tc, test_engine_review_reasm_cap_boundary);
	tcase_add_test(tc, test_engine_review_lease_renewal_after_tx_full);
	tcase_add_test(tc, test_engine_review_tx_drop_counted);
	tcase_add_test(tc, test_engine_review_resume_store_trim_exact);
	suite_add_tcase(s, tc);
	return s;
}
