/* SPDX-License-Identifier: BSD-3-Clause */
/* Engine test cases, included by test_engine.c (shares its fixtures and helpers). */

/* ---- Raw peer helpers -------------------------------------------------------------------- */

static size_t
t_setup_bytes(uint8_t *b, unsigned flags, uint16_t major, uint16_t minor, uint32_t ka,
	      uint32_t life, const char *token, const char *mm, const char *dm)
{
	size_t off = 3;

	rs_frame_put_hdr(b + off, 0, RS_FRAME_SETUP, flags);
	off += 6;
	rs_frame_put_u16(b + off, major);
	rs_frame_put_u16(b + off + 2, minor);
	rs_frame_put_u32(b + off + 4, ka);
	rs_frame_put_u32(b + off + 8, life);
	off += 12;
	if (flags & RS_FRAME_FLAG_RESUME) {
		rs_frame_put_u16(b + off, (uint16_t)strlen(token));
		memcpy(b + off + 2, token, strlen(token));
		off += 2 + strlen(token);
	}
	b[off++] = (uint8_t)strlen(mm);
	memcpy(b + off, mm, strlen(mm));
	off += strlen(mm);
	b[off++] = (uint8_t)strlen(dm);
	memcpy(b + off, dm, strlen(dm));
	off += strlen(dm);
	rs_frame_put_u24(b, (uint32_t)(off - 3));
	return off;
}

static const char t_mm[] = "message/x.rsocket.composite-metadata.v0";

/* Find the @p nth frame of @p type (and stream @p sid, or any when UINT32_MAX) a raw end got. */
static bool
t_raw_find(struct ft_end *e, unsigned type, uint32_t sid, unsigned nth, struct rs_frame *out)
{
	struct rs_frame_limits lim = {RS_FRAME_LEN_MAX};
	size_t off = 0;

	while (off < e->raw_len) {
		int rc = rs_frame_decode(e->raw + off, e->raw_len - off, &lim, out);

		if (rc == -EAGAIN || rc == -EMSGSIZE)
			return false;
		if (rc < 0)
			rc = (int)(3 + out->frame_len);
		else if (out->type == type && (sid == UINT32_MAX || out->stream_id == sid) &&
			 nth-- == 0)
			return true;
		off += (size_t)rc;
	}
	return false;
}

/* A raw client against engine 0. */
static struct ft_end *
t_raw_client(void)
{
	struct ft_end *raw, *srv;

	ft_pair(&raw, &srv, true, false);
	srv->s.cbs = &rs_engine_stream_cbs;
	ck_assert_ptr_nonnull(rs_engine_server_attach(W.e[0], &srv->s));
	return raw;
}

static void
t_expect_conn_error(struct ft_end *raw, uint32_t code)
{
	struct rs_frame f;

	ck_assert_msg(t_raw_find(raw, RS_FRAME_ERROR, 0, 0, &f), "no ERROR on stream 0");
	ck_assert_uint_eq(f.error_code, code);
	/* ... and the server closed the connection. */
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 0);
}

/* ---- Interaction models ------------------------------------------------------------------ */

START_TEST(test_engine_rr_both_directions)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 1}, b = {.granted = 1};
	uint8_t md[300];
	struct sk_payload p;
	struct sk_stream h;

	t_conf(&c);
	t_world_up(&c, &c);
	t_connect();
	ck_assert_uint_eq(t_cev.ready, 1);
	p = t_req("echo", md, "hello", 5);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	ck_assert_uint_eq(h.idx != 0, 1);
	t_run();
	ck_assert_uint_eq(t_states[0].rr, 1);
	ck_assert_uint_eq(a.got, 1);
	ck_assert(a.completed);
	ck_assert_uint_eq(a.last_len, 5);
	ck_assert(memcmp(a.last, "hello", 5) == 0);
	/* The same connection, the other way round: the server is the requester. */
	p = t_req("echo", md, "world!", 6);
	ck_assert_int_eq(sk_request_response(t_cx(0), W.sconn, &p, &t_ccbs, &b, &h), 0);
	ck_assert_uint_eq(h.idx != 0, 1);
	t_run();
	ck_assert_uint_eq(t_states[1].rr, 1);
	ck_assert_uint_eq(b.got, 1);
	ck_assert(b.completed);
	ck_assert(memcmp(b.last, "world!", 6) == 0);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]), 0);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

START_TEST(test_engine_fnf_and_metadata_push)
{
	struct rs_engine_conf c;
	uint8_t md[300];
	struct sk_payload p;

	t_conf(&c);
	t_world_up(&c, &c);
	t_connect();
	p = t_req("echo", md, "fire", 4);
	ck_assert_int_eq(sk_fire_and_forget(t_cx(1), W.conn, &p), 0);
	p = t_req("echo", md, "back", 4);
	ck_assert_int_eq(sk_fire_and_forget(t_cx(0), W.sconn, &p), 0);
	ck_assert_int_eq(sk_metadata_push(t_cx(1), W.conn, (const uint8_t *)"m1", 2), 0);
	ck_assert_int_eq(sk_metadata_push(t_cx(0), W.sconn, (const uint8_t *)"m22", 3), 0);
	t_run();
	ck_assert_uint_eq(t_states[0].fnf, 1);
	ck_assert(memcmp(t_states[0].fnf_last, "fire", 4) == 0);
	ck_assert_uint_eq(t_states[1].fnf, 1);
	ck_assert(memcmp(t_states[1].fnf_last, "back", 4) == 0);
	ck_assert_uint_eq(t_states[0].md_push, 1);
	ck_assert_uint_eq(t_states[0].md_last_len, 2);
	ck_assert_uint_eq(t_states[1].md_push, 1);
	ck_assert(memcmp(t_states[1].md_last, "m22", 3) == 0);
	/* A push that routes to "gen" reaches that route's handler; one routed to "echo" (no
	 * route-level handler) the application's. */
	ck_assert_int_eq(sk_route_metadata(md, sizeof(md), "gen/x"), 10);
	ck_assert_int_eq(sk_metadata_push(t_cx(1), W.conn, md, 10), 0);
	ck_assert_int_eq(sk_route_metadata(md, sizeof(md), "echo"), 9);
	ck_assert_int_eq(sk_metadata_push(t_cx(1), W.conn, md, 9), 0);
	t_run();
	ck_assert_uint_eq(t_states[0].md_push_route, 1);
	ck_assert_uint_eq(t_states[0].md_push, 2);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

START_TEST(test_engine_stream_credit)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 10, .batch = 0, .check_seq = true};
	struct t_cons b = {.granted = 10, .batch = 10, .check_seq = true};
	uint8_t md[300], total[4];
	struct sk_payload p;
	struct sk_stream h;

	t_conf(&c);
	t_world_up(&c, &c);
	t_connect();
	/* Requester asks 10 at a time and grants by hand: the responder never sends an 11th. */
	t_put32(total, 35);
	p = t_req("echo", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 10, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 10);
	ck_assert(!a.completed);
	ck_assert_uint_gt(t_ctr(0)[RS_CTR_NO_CREDIT], 0);
	t_advance_ms(100);
	ck_assert_uint_eq(a.got, 10);
	ck_assert_int_eq(sk_request_n(t_cx(1), h, 10), 0);
	a.granted += 10;
	t_run();
	ck_assert_uint_eq(a.got, 20);
	ck_assert_int_eq(sk_request_n(t_cx(1), h, 3), 0);
	a.granted += 3;
	t_run();
	ck_assert_uint_eq(a.got, 23);
	/* Unbounded: 0x7FFFFFFF and more saturate (RSOCKET.md 10.1). */
	ck_assert_int_eq(sk_request_n(t_cx(1), h, UINT64_MAX), 0);
	a.granted = UINT64_MAX;
	t_run();
	ck_assert_uint_eq(a.got, 35);
	ck_assert(a.completed);
	ck_assert(!sk_stream_live(t_cx(1), h));
	/* Server requests a stream from the client (pattern route), batch 10. */
	t_put32(total, 57);
	p = t_req("gen/abc", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(0), W.sconn, &p, 10, &t_ccbs, &b, &h), 0);
	t_run();
	ck_assert_uint_eq(b.got, 57);
	ck_assert(b.completed);
	ck_assert_uint_eq(t_states[1].streams, 1);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_STREAM_OVERRUN] + t_ctr(1)[RS_CTR_STREAM_OVERRUN], 0);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

static void
t_channel_run(int req)
{
	struct t_cons a = {.granted = 5, .batch = 5, .check_seq = true};
	uint8_t md[300], first[8];
	struct sk_payload p;
	struct sk_stream h;
	int rsp = 1 - req;
	struct t_state *rs = &t_states[rsp];

	memset(&t_req_prod, 0, sizeof(t_req_prod));
	t_put32(first, 0);
	t_put32(first + 4, 40);
	p = t_req("echo", md, first, 8);
	ck_assert_int_eq(sk_request_channel(t_cx(req), req == 1 ? W.conn : W.sconn, &p, 5, false,
					    &t_ccbs, &a, &h),
			 0);
	/* The first item went in REQUEST_CHANNEL; more need the responder's credit. */
	t_req_prod = (struct t_prod){h, 1, 40, false, true};
	ck_assert_int_eq(sk_next(t_cx(req), h, &p), -EAGAIN);
	t_run();
	ck_assert_uint_eq(rs->channels, 1);
	ck_assert_uint_eq(a.got, 40);
	ck_assert(a.completed);
	ck_assert_uint_eq(rs->chan_in[0].got, 40);
	ck_assert(rs->chan_in[0].completed);
	ck_assert(!sk_stream_live(t_cx(req), h));
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
}

START_TEST(test_engine_channel_both_directions)
{
	struct rs_engine_conf c;

	t_conf(&c);
	t_world_up(&c, &c);
	t_connect();
	t_channel_run(1);
	memset(&t_states[0].prods, 0, sizeof(t_states[0].prods));
	t_channel_run(0);
	t_world_down();
}
END_TEST

START_TEST(test_engine_cancel)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 5, .check_seq = true};
	struct t_cons r = {.granted = 1};
	uint8_t md[300], total[4];
	struct sk_payload p;
	struct sk_stream h, sh;

	t_conf(&c);
	t_world_up(&c, &c);
	t_connect();
	t_put32(total, 100);
	p = t_req("echo", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 5, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 5);
	sh = t_states[0].prods[0].h;
	ck_assert(sk_stream_live(t_cx(0), sh));
	ck_assert_int_eq(sk_cancel(t_cx(1), h), 0);
	ck_assert(!sk_stream_live(t_cx(1), h));
	/* Late grants on the cancelled stream are refused as stale, not sent. */
	ck_assert_int_eq(sk_request_n(t_cx(1), h, 5), -ESTALE);
	t_run();
	ck_assert_uint_eq(t_states[0].cancels, 1);
	/* Production stopped and the stream is released: a late item is stale and counted. */
	ck_assert(!sk_stream_live(t_cx(0), sh));
	ck_assert_int_eq(sk_next(t_cx(0), sh, &p), -ESTALE);
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_LATE_CALL], 1);
	ck_assert_uint_eq(a.got, 5);
	/* Request-response answered later (after a timer): cancelled first, the answer is dropped.
	 */
	t_states[0].defer = true;
	p = t_req("echo", md, "x", 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &r, &h), 0);
	t_run();
	ck_assert_int_eq(sk_cancel(t_cx(1), h), 0);
	t_advance_ms(50);
	ck_assert_int_eq(sk_respond(t_cx(0), t_states[0].deferred, &p), -ESTALE);
	t_run();
	ck_assert_uint_eq(r.got, 0);
	/* And answered later without a cancel, from the retained request: it arrives. */
	p = t_req("echo", md, "later!", 6);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &r, &h), 0);
	t_run();
	/* Kept by reference: the receive segment is still out of the pool. */
	ck_assert_ptr_nonnull(t_states[0].held.seg[1]);
	ck_assert_ptr_null(t_states[0].held.copy);
	memset(md, 0, sizeof(md));
	t_advance_ms(50);
	ck_assert_int_eq(sk_respond(t_cx(0), t_states[0].deferred, &t_states[0].held.p), 0);
	sk_payload_release(t_cx(0), &t_states[0].held);
	ck_assert_int_eq(sk_payload_retain(t_cx(0), &p, &t_states[0].held), -EINVAL);
	t_run();
	ck_assert_uint_eq(r.got, 1);
	ck_assert_uint_eq(r.last_len, 6);
	ck_assert(memcmp(r.last, "later!", 6) == 0);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

/* ---- Fragmentation ------------------------------------------------------------------------ */

START_TEST(test_engine_fragmentation_boundaries)
{
	static const uint32_t extra[] = {0,  1,	 2,  3,	 30, 40, 41, 42,  43, 44,
					 45, 50, 95, 96, 97, 98, 99, 100, 150};
	struct rs_engine_conf c;
	uint8_t md[512], data[400];
	unsigned frag_before;

	t_conf(&c);
	c.fragment_size = 64;
	t_world_up(&c, &c);
	t_connect();
	/* Deliver in odd-sized segments so frames also straddle mbufs. */
	W.srv_end->seg = 7;
	W.cli_end->seg = 13;
	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	frag_before = (unsigned)t_ctr(1)[RS_CTR_FRAGMENTS_TX];
	for (unsigned x = 0; x < sizeof(extra) / sizeof(extra[0]); x++) {
		int n = sk_route_metadata(md, sizeof(md), "echo");
		uint32_t md_len = (uint32_t)n;

		if (extra[x] > 0) {
			/* An extra composite entry (octet-stream) of extra[x] - 4 bytes or none. */
			uint32_t k = extra[x] < 4 ? 0 : extra[x] - 4;

			md[md_len] = 0x80 | 0x06;
			rs_frame_put_u24(md + md_len + 1, k);
			memset(md + md_len + 4, 0x5a, k);
			md_len += 4 + k;
		}
		for (uint32_t dl = 0; dl <= 140; dl++) {
			struct t_cons a = {.granted = 1};
			struct sk_payload p = {md, md_len, true, data, dl};
			struct sk_stream h;

			ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h),
					 0);
			t_run();
			ck_assert_msg(a.got == 1 && a.completed, "md %u data %u: no response",
				      md_len, dl);
			ck_assert_uint_eq(a.last_len, dl);
			ck_assert_msg(memcmp(a.last, data, dl) == 0, "md %u data %u: data differs",
				      md_len, dl);
			ck_assert(a.last_has_md);
			ck_assert_uint_eq(a.last_md_len, md_len);
			ck_assert(memcmp(a.last_md, md, md_len) == 0);
		}
	}
	ck_assert_uint_gt(t_ctr(1)[RS_CTR_FRAGMENTS_TX], frag_before);
	ck_assert_uint_gt(t_ctr(0)[RS_CTR_FRAGMENTS_RX], 0);
	ck_assert_uint_gt(t_ctr(1)[RS_CTR_FRAGMENTS_RX], 0);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

START_TEST(test_engine_fragmented_stream_and_channel)
{
	struct rs_engine_conf c;
	uint8_t md[300], big[300];
	struct t_cons a = {.granted = 1};
	struct sk_payload p;
	struct sk_stream h;

	t_conf(&c);
	c.fragment_size = 64;
	t_world_up(&c, &c);
	t_connect();
	W.srv_end->seg = 5;
	memset(big, 0, sizeof(big));
	t_put32(big, 12);
	/* A fragmented REQUEST_STREAM carries initial n in its first fragment only. */
	a.granted = 3;
	a.batch = 3;
	a.check_seq = true;
	p = t_req("echo", md, big, sizeof(big));
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 3, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 12);
	ck_assert(a.completed);
	/* Fragmented REQUEST_CHANNEL with C on the last fragment: the only requester item. */
	memset(&a, 0, sizeof(a));
	a.granted = 1000;
	a.check_seq = true;
	t_put32(big, 0);
	t_put32(big + 4, 9);
	ck_assert_int_eq(sk_request_channel(t_cx(1), W.conn, &p, 1000, true, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(t_states[0].channels, 1);
	ck_assert(t_states[0].chan_in[1].completed || t_states[0].chan_in[0].completed);
	ck_assert_uint_eq(a.got, 9);
	ck_assert(a.completed);
	/* A reassembled request retained by the handler is copied (no single segment holds it),
	 * and answered later from the copy. */
	memset(&a, 0, sizeof(a));
	a.granted = 1;
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 3);
	t_states[0].defer = true;
	p = t_req("echo", md, big, sizeof(big));
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_ptr_nonnull(t_states[0].held.copy);
	ck_assert_ptr_null(t_states[0].held.seg[1]);
	t_advance_ms(20);
	ck_assert_int_eq(sk_respond(t_cx(0), t_states[0].deferred, &t_states[0].held.p), 0);
	sk_payload_release(t_cx(0), &t_states[0].held);
	t_run();
	ck_assert_uint_eq(a.got, 1);
	ck_assert_uint_eq(a.last_len, sizeof(big));
	ck_assert(memcmp(a.last, big, sizeof(big)) == 0);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

/* Large items (fragmented PAYLOADs with and without metadata) on streams and channels, both ways.
 */
START_TEST(test_engine_fragmented_items)
{
	struct rs_engine_conf c;
	uint8_t md[300], total[4];
	struct sk_payload p;
	struct sk_stream h;

	t_conf(&c);
	c.fragment_size = 64;
	t_world_up(&c, &c);
	t_connect();
	W.srv_end->seg = 11;
	W.cli_end->seg = 17;
	for (uint32_t len = 9; len <= 400; len += 37) {
		struct t_cons a = {.granted = 4, .batch = 4, .check_seq = true};
		struct t_cons b = {.granted = 3, .batch = 3, .check_seq = true};

		t_item_len = len;
		t_put32(total, 9);
		p = t_req("echo", md, total, 4);
		ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 4, &t_ccbs, &a, &h), 0);
		p = t_req("gen/z", md, total, 4);
		ck_assert_int_eq(sk_request_stream(t_cx(0), W.sconn, &p, 3, &t_ccbs, &b, &h), 0);
		t_run();
		ck_assert_msg(a.completed && a.got == 9, "len %u: %u items", len, a.got);
		ck_assert_msg(b.completed && b.got == 9, "len %u: %u items", len, b.got);
		memset(&t_states[0].prods, 0, sizeof(t_states[0].prods));
		memset(&t_states[1].prods, 0, sizeof(t_states[1].prods));
	}
	t_item_len = 300;
	memset(&t_states[0].prods, 0, sizeof(t_states[0].prods));
	t_channel_run(1);
	memset(&t_states[1].prods, 0, sizeof(t_states[1].prods));
	t_channel_run(0);
	ck_assert_uint_gt(t_ctr(0)[RS_CTR_FRAGMENTS_RX], 100);
	ck_assert_uint_gt(t_ctr(1)[RS_CTR_FRAGMENTS_RX], 100);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]) + rs_engine_stream_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

/* A peer may interleave a REQUEST_N between the fragments of its own item: the credit counts. */
START_TEST(test_engine_request_n_during_reassembly)
{
	struct rs_engine_conf s;
	struct ft_end *raw;
	struct rs_frame f;
	uint8_t b[512], md[64], first[8], big[100];
	size_t n;
	int k, mdl;
	unsigned items = 0;

	t_conf(&s);
	t_world_up(&s, &s);
	raw = t_raw_client();
	n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "text/plain");
	mdl = sk_route_metadata(md, sizeof(md), "echo");
	t_put32(first, 0);
	t_put32(first + 4, 50); /* the responder sends 50 items, credit permitting */
	n += (size_t)rs_frame_encode_request_channel(b + n, sizeof(b) - n, 1, 0, 5, md,
						     (uint32_t)mdl, first, 8);
	ft_raw_write(raw, b, n);
	t_run();
	while (t_raw_find(raw, RS_FRAME_PAYLOAD, 1, items, &f))
		items++;
	ck_assert_uint_eq(items, 5);
	/* Item 1 in two fragments, a REQUEST_N(10) between them. */
	memset(big, 0, sizeof(big));
	t_put32(big, 1);
	k = rs_frame_encode_payload(b, sizeof(b), 1, RS_FRAME_FLAG_N | RS_FRAME_FLAG_F, NULL, 0,
				    big, 50);
	k += rs_frame_encode_request_n(b + k, sizeof(b) - (size_t)k, 1, 10);
	k += rs_frame_encode_payload(b + k, sizeof(b) - (size_t)k, 1, RS_FRAME_FLAG_N, NULL, 0,
				     big + 50, 50);
	ft_raw_write(raw, b, (size_t)k);
	t_run();
	items = 0;
	while (t_raw_find(raw, RS_FRAME_PAYLOAD, 1, items, &f))
		items++;
	ck_assert_uint_eq(items, 15);
	ck_assert_uint_eq(t_states[0].chan_in[0].got, 2);
	t_world_down();
}
END_TEST

START_TEST(test_engine_reassembly_caps)
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
	s.reasm_conn_max = 1000;
	t_world_up(&s, &c);
	t_connect();
	memset(data, 1, sizeof(data));
	/* Over the stream cap: that stream is refused, the connection lives on. */
	p = t_req("echo", md, data, 150);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert(a.errored);
	ck_assert_uint_eq(a.err_code, RS_ERROR_REJECTED);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_REASM_STREAM_OVER], 1);
	memset(&a, 0, sizeof(a));
	a.granted = 1;
	p = t_req("echo", md, data, 80);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 1);
	t_world_down();

	/* Over the connection cap: the connection fails with CONNECTION_ERROR. */
	s.reasm_stream_max = 10000;
	s.reasm_conn_max = 200;
	t_world_up(&s, &c);
	t_connect();
	memset(&a, 0, sizeof(a));
	p = t_req("echo", md, data, 300);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_REASM_CONN_OVER], 1);
	ck_assert(a.errored);
	ck_assert_uint_eq(a.err_code, RS_ERROR_CONNECTION_ERROR);
	ck_assert_uint_eq(t_cev.closed, 1);
	ck_assert_uint_eq(t_cev.code, RS_ERROR_CONNECTION_ERROR);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

/* ---- Keepalive, lease ---------------------------------------------------------------------- */

START_TEST(test_engine_keepalive)
{
	struct rs_engine_conf c;

	t_conf(&c);
	c.keepalive_ms = 100;
	c.max_lifetime_ms = 500;
	t_world_up(&c, &c);
	t_connect();
	t_advance_ms(1000);
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_KEEPALIVE_TX], 9);
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_KEEPALIVE_RX], 9);
	/* Every KEEPALIVE(R) is answered. */
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_KEEPALIVE_RX], 9);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	/* The peers go silent (delivery held both ways): both time out after max lifetime. */
	W.srv_end->stall = true;
	W.cli_end->stall = true;
	t_advance_ms(400);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_KEEPALIVE_TIMEOUT], 0);
	t_advance_ms(300);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_KEEPALIVE_TIMEOUT], 1);
	ck_assert_uint_eq(t_ctr(1)[RS_CTR_KEEPALIVE_TIMEOUT], 1);
	ck_assert_uint_eq(t_cev.closed, 1);
	ck_assert_uint_eq(t_cev.code, RS_ERROR_CONNECTION_ERROR);
	t_run();
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	t_world_down();

	/* KEEPALIVE(R) is answered at once with R=0, position 0 and the same data, also when the
	 * frame straddles segments. */
	{
		struct ft_end *raw;
		struct rs_frame f;
		uint8_t b[256], got[64];
		size_t n;
		int k;

		t_world_up(&c, &c);
		raw = t_raw_client();
		raw->peer->seg = 3;
		n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "text/plain");
		k = rs_frame_encode_keepalive(b + n, sizeof(b) - n, 1, 77, "still here", 10);
		ft_raw_write(raw, b, n + (size_t)k);
		t_run();
		ck_assert(t_raw_find(raw, RS_FRAME_KEEPALIVE, 0, 0, &f));
		ck_assert_uint_eq(f.flags & RS_FRAME_FLAG_RESPOND, 0);
		ck_assert_uint_eq(f.position, 0);
		ck_assert_uint_eq(f.data.len, 10);
		rs_frame_slice_copy(&f.data, got, sizeof(got));
		ck_assert(memcmp(got, "still here", 10) == 0);
		t_world_down();
	}
}
END_TEST

START_TEST(test_engine_lease)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 100};
	uint8_t md[300], buf[256];
	struct sk_payload p;
	struct sk_stream h;
	struct ft_end *raw;
	struct rs_frame f;
	size_t n;

	t_conf(&c);
	c.lease = true;
	c.lease_ttl_ms = 1000;
	c.lease_requests = 3;
	t_world_up(&c, &c);
	t_connect();
	ck_assert_uint_eq(t_cev.leases, 1);
	p = t_req("echo", md, "l", 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	/* Exhausted: refused locally, counted. */
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), -EBUSY);
	ck_assert_int_eq(sk_fire_and_forget(t_cx(1), W.conn, &p), -EBUSY);
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_LEASE_EXHAUSTED], 2);
	t_run();
	ck_assert_uint_eq(a.got, 3);
	/* The server-side requester honours the client's lease too. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(sk_request_response(t_cx(0), W.sconn, &p, &t_ccbs, &a, &h), 0);
	ck_assert_int_eq(sk_request_response(t_cx(0), W.sconn, &p, &t_ccbs, &a, &h), -EBUSY);
	t_run();
	ck_assert_uint_eq(a.got, 6);
	/* Renewal at the TTL. */
	t_advance_ms(1010);
	ck_assert_uint_ge(t_cev.leases, 2);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 7);

	/* A peer that ignores the lease gets ERROR[REJECTED] on the stream. */
	raw = t_raw_client();
	n = t_setup_bytes(buf, RS_FRAME_FLAG_LEASE, 1, 0, 30000, 90000, NULL, t_mm,
			  "application/octet-stream");
	ft_raw_write(raw, buf, n);
	for (uint32_t id = 1; id <= 9; id += 2) {
		int k = sk_route_metadata(md, sizeof(md), "echo");
		int len = rs_frame_encode_request_response(buf, sizeof(buf), id, 0, md, (uint32_t)k,
							   "z", 1);

		ft_raw_write(raw, buf, (size_t)len);
	}
	t_run();
	ck_assert(t_raw_find(raw, RS_FRAME_LEASE, 0, 0, &f));
	ck_assert(t_raw_find(raw, RS_FRAME_PAYLOAD, 5, 0, &f));
	ck_assert(t_raw_find(raw, RS_FRAME_ERROR, 7, 0, &f));
	ck_assert_uint_eq(f.error_code, RS_ERROR_REJECTED);
	ck_assert(t_raw_find(raw, RS_FRAME_ERROR, 9, 0, &f));
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_LEASE_REJECTED], 2);
	t_world_down();
}
END_TEST

/* ---- SETUP validation and protocol errors -------------------------------------------------- */

static struct ft_end *
t_setup_case(const struct rs_engine_conf *s, const uint8_t *b, size_t n)
{
	struct rs_engine_conf c;
	struct ft_end *raw;

	t_conf(&c);
	t_world_up(s, &c);
	raw = t_raw_client();
	ft_raw_write(raw, b, n);
	t_run();
	return raw;
}

START_TEST(test_engine_setup_rejections)
{
	struct rs_engine_conf s;
	uint8_t b[512];
	size_t n;
	struct ft_end *raw;
	int len;

	t_conf(&s);
	/* Bad first frame. */
	len = rs_frame_encode_request_response(b, sizeof(b), 1, 0, NULL, 0, "x", 1);
	raw = t_setup_case(&s, b, (size_t)len);
	t_expect_conn_error(raw, RS_ERROR_INVALID_SETUP);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_BAD_FIRST], 1);
	t_world_down();
	/* Unknown version. */
	n = t_setup_bytes(b, 0, 2, 0, 30000, 90000, NULL, t_mm, "text/plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_INVALID_SETUP);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_BAD_VERSION], 1);
	t_world_down();
	n = t_setup_bytes(b, 0, 1, 1, 30000, 90000, NULL, t_mm, "text/plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_INVALID_SETUP);
	t_world_down();
	/* Keepalive 0, lifetime 0. */
	n = t_setup_bytes(b, 0, 1, 0, 0, 90000, NULL, t_mm, "text/plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_INVALID_SETUP);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_BAD_KEEPALIVE], 1);
	t_world_down();
	n = t_setup_bytes(b, 0, 1, 0, 1000, 0, NULL, t_mm, "text/plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_INVALID_SETUP);
	t_world_down();
	/* MIME not US-ASCII. */
	n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "text/\x01plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_INVALID_SETUP);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_BAD_MIME], 1);
	t_world_down();
	/* MIME not accepted by this server. */
	s.accept_data_mime = "application/json";
	n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "text/plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_UNSUPPORTED_SETUP);
	t_world_down();
	n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "application/json");
	raw = t_setup_case(&s, b, n);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	ck_assert_uint_eq(raw->raw_len, 0);
	t_world_down();
	s.accept_data_mime = NULL;
	/* Lease asked, not supported. */
	n = t_setup_bytes(b, RS_FRAME_FLAG_LEASE, 1, 0, 1000, 9000, NULL, t_mm, "text/plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_UNSUPPORTED_SETUP);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_NO_LEASE], 1);
	t_world_down();
	/* Resume asked, not supported: REJECTED_SETUP (RSOCKET.md 4.1.3). */
	n = t_setup_bytes(b, RS_FRAME_FLAG_RESUME, 1, 0, 1000, 9000, "tok", t_mm, "text/plain");
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_REJECTED_SETUP);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_NO_RESUME], 1);
	t_world_down();
	/* RESUME for an unknown token: REJECTED_RESUME. */
	s.resume = true;
	rs_frame_put_hdr(b + 3, 0, RS_FRAME_RESUME, 0);
	rs_frame_put_u16(b + 9, 1);
	rs_frame_put_u16(b + 11, 0);
	rs_frame_put_u16(b + 13, 2);
	b[15] = 1;
	b[16] = 2;
	rs_frame_put_u64(b + 17, 0);
	rs_frame_put_u64(b + 25, 0);
	rs_frame_put_u24(b, 30);
	raw = t_setup_case(&s, b, 33);
	t_expect_conn_error(raw, RS_ERROR_REJECTED_RESUME);
	t_world_down();
	/* SETUP with a stream id: INVALID_SETUP. */
	s.resume = false;
	n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "text/plain");
	b[6] = 1;
	raw = t_setup_case(&s, b, n);
	t_expect_conn_error(raw, RS_ERROR_INVALID_SETUP);
	t_world_down();
}
END_TEST

START_TEST(test_engine_setup_timeout)
{
	struct rs_engine_conf s, c;
	struct ft_end *raw;

	t_conf(&s);
	t_conf(&c);
	s.setup_timeout_ms = 200;
	t_world_up(&s, &c);
	raw = t_raw_client();
	t_advance_ms(150);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	t_advance_ms(100);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 0);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_SETUP_TIMEOUT], 1);
	ck_assert(raw->closing || raw->gone);
	t_world_down();
}
END_TEST

START_TEST(test_engine_protocol_errors)
{
	struct rs_engine_conf s;
	uint8_t b[512], md[64];
	size_t n;
	struct ft_end *raw;
	struct rs_frame f;
	int len;

	t_conf(&s);
	/* Metadata length past the end of a request: CONNECTION_ERROR and close. */
	n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "text/plain");
	len = rs_frame_encode_request_response(b + n, sizeof(b) - n, 1, 0, "abcd", 4, "x", 1);
	b[n + 3 + 6 + 2] = 40;
	raw = t_setup_case(&s, b, n + (size_t)len);
	t_expect_conn_error(raw, RS_ERROR_CONNECTION_ERROR);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_MD_LEN_BAD], 1);
	t_world_down();
	/* ... unless I=1: ignored. */
	len = rs_frame_encode_request_response(b + n, sizeof(b) - n, 1, 0, "abcd", 4, "x", 1);
	b[n + 3 + 6 + 2] = 40;
	b[n + 3 + 4] |= 0x02;
	raw = t_setup_case(&s, b, n + (size_t)len);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	ck_assert(!t_raw_find(raw, RS_FRAME_ERROR, UINT32_MAX, 0, &f));
	t_world_down();
	/* Unknown type with I=0: CONNECTION_ERROR; with I=1: ignored. */
	memcpy(b + n, "\x00\x00\x06\x00\x00\x00\x00\x50\x00", 9);
	raw = t_setup_case(&s, b, n + 9);
	t_expect_conn_error(raw, RS_ERROR_CONNECTION_ERROR);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_UNKNOWN_TYPE_FATAL], 1);
	t_world_down();
	memcpy(b + n, "\x00\x00\x06\x00\x00\x00\x00\x52\x00", 9);
	raw = t_setup_case(&s, b, n + 9);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_UNKNOWN_TYPE_IGNORED], 1);
	t_world_down();
	/* METADATA_PUSH without M (as rsocket-js 0.0.27 sends it): accepted, even when split. */
	memcpy(b + n,
	       "\x00\x00\x0a\x00\x00\x00\x00\x30\x00"
	       "abcd",
	       13);
	{
		struct rs_engine_conf cc;

		t_conf(&cc);
		t_world_up(&s, &cc);
		raw = t_raw_client();
		raw->peer->seg = 3;
		ft_raw_write(raw, b, n + 13);
		t_run();
	}
	ck_assert_uint_eq(t_states[0].md_push, 1);
	ck_assert_uint_eq(t_states[0].md_last_len, 4);
	ck_assert(memcmp(t_states[0].md_last, "abcd", 4) == 0);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	t_world_down();
	/* Stream-level faults never close the connection: initial n 0 gets ERROR[INVALID],
	 * frames for unknown streams and a wrong-parity request are ignored. */
	len = sk_route_metadata(md, sizeof(md), "echo");
	n += (size_t)rs_frame_encode_request_response(b + n, sizeof(b) - n, 2, 0, md, (uint32_t)len,
						      "p", 1);
	n += (size_t)rs_frame_encode_request_n(b + n, sizeof(b) - n, 77, 5);
	n += (size_t)rs_frame_encode_cancel(b + n, sizeof(b) - n, 79);
	len = rs_frame_encode_request_stream(b + n, sizeof(b) - n, 3, 0, 1, md, (uint32_t)len, "q",
					     1);
	rs_frame_put_u32(b + n + 9, 0);
	n += (size_t)len;
	raw = t_setup_case(&s, b, n);
	ck_assert(t_raw_find(raw, RS_FRAME_ERROR, 3, 0, &f));
	ck_assert_uint_eq(f.error_code, RS_ERROR_INVALID);
	ck_assert(!t_raw_find(raw, RS_FRAME_ERROR, 0, 0, &f));
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_STREAM_BAD_PARITY], 1);
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_STREAM_UNKNOWN], 2);
	t_world_down();
}
END_TEST

START_TEST(test_engine_routing_errors)
{
	struct rs_engine_conf c;
	uint8_t md[300];
	struct sk_payload p;
	struct sk_stream h;
	struct t_cons a;

	t_conf(&c);
	t_world_up(&c, &c);
	t_connect();
	memset(&a, 0, sizeof(a));
	p = t_req("nope", md, "x", 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert(a.errored);
	ck_assert_uint_eq(a.err_code, RS_ERROR_INVALID);
	ck_assert_str_eq(a.err_msg, "no route 'nope'");
	memset(&a, 0, sizeof(a));
	p = t_req("orphan", md, "x", 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_str_eq(a.err_msg, "no handler for route 'orphan'");
	memset(&a, 0, sizeof(a));
	p = t_req("gen/xyz", md, "x", 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.err_code, RS_ERROR_INVALID);
	ck_assert_str_eq(a.err_msg, "route 'gen' has no REQUEST_RESPONSE handler");
	memset(&a, 0, sizeof(a));
	p = (struct sk_payload){.data = (const uint8_t *)"x", .data_len = 1};
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.err_code, RS_ERROR_INVALID);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_NO_ROUTE], 3);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_NO_HANDLER], 1);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	t_world_down();
}
END_TEST

START_TEST(test_engine_limits_and_close)
{
	struct rs_engine_conf s, c;
	uint8_t md[300], total[4];
	struct t_cons a[6];
	struct sk_payload p;
	struct sk_stream h[6];

	t_conf(&s);
	t_conf(&c);
	s.max_streams = 4;
	t_world_up(&s, &c);
	t_connect();
	memset(a, 0, sizeof(a));
	t_put32(total, 100);
	p = t_req("echo", md, total, 4);
	for (int i = 0; i < 5; i++) {
		a[i].granted = 1;
		ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 1, &t_ccbs, &a[i], &h[i]),
				 0);
	}
	t_run();
	ck_assert(a[4].errored);
	ck_assert_uint_eq(a[4].err_code, RS_ERROR_REJECTED);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_STREAM_LIMIT], 1);
	ck_assert_uint_eq(rs_engine_stream_count(W.e[0]), 4);
	/* Graceful close: live streams finish, then the connection closes. */
	ck_assert_int_eq(sk_conn_close(t_cx(1), W.conn), 0);
	t_run();
	ck_assert_uint_eq(rs_engine_conn_count(W.e[1]), 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a[5], &h[5]),
			 -ENOTCONN);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(sk_request_n(t_cx(1), h[i], UINT64_MAX), 0);
		a[i].granted = UINT64_MAX;
	}
	t_run();
	for (int i = 0; i < 4; i++)
		ck_assert_msg(a[i].completed && a[i].got == 100, "stream %d: %u", i, a[i].got);
	ck_assert_uint_eq(t_cev.closed, 1);
	ck_assert_uint_eq(t_cev.code, 0);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	/* A new connection reuses the slot and its stream slots: old handles stay stale. */
	{
		struct sk_conn old = W.conn;
		struct sk_stream nh;

		t_connect();
		ck_assert_uint_eq(W.conn.idx, old.idx);
		ck_assert_uint_ne(W.conn.gen, old.gen);
		memset(&a[5], 0, sizeof(a[5]));
		a[5].granted = 1;
		ck_assert_int_eq(sk_request_stream(t_cx(1), old, &p, 1, &t_ccbs, &a[5], &nh), -ESTALE);
		ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 1, &t_ccbs, &a[5], &nh), 0);
		ck_assert_uint_eq(nh.idx, h[0].idx);
		ck_assert(!sk_stream_live(t_cx(1), h[0]));
		ck_assert_int_eq(sk_request_n(t_cx(1), h[0], 1), -ESTALE);
		ck_assert(sk_stream_live(t_cx(1), nh));
	}
	t_world_down();
}
END_TEST

/* ---- Resumption ---------------------------------------------------------------------------- */

static void
t_resume_reconnect(void)
{
	struct ft_end *cli, *srv;

	ft_pair(&cli, &srv, false, false);
	cli->s.cbs = &rs_engine_stream_cbs;
	srv->s.cbs = &rs_engine_stream_cbs;
	ck_assert_ptr_nonnull(rs_engine_server_attach(W.e[0], &srv->s));
	ck_assert_int_eq(rs_engine_client_resume(W.e[1], W.cli_conn, &cli->s), 0);
	W.cli_end = cli;
	W.srv_end = srv;
}

static void
t_resume_seed(unsigned seed)
{
	struct rs_engine_conf c;
	struct t_cons up = {.granted = 8, .batch = 8, .check_seq = true};
	struct t_cons down = {.granted = 8, .batch = 8, .check_seq = true};
	struct t_cons ch = {.granted = 5, .batch = 5, .check_seq = true};
	uint8_t md[300], total[8];
	struct sk_payload p;
	struct sk_stream h;
	unsigned cuts = 0;

	srand(seed);
	t_conf(&c);
	c.resume = true;
	c.keepalive_ms = 30;
	c.max_lifetime_ms = 100000;
	c.fragment_size = (seed & 1) ? 64 : 0;
	c.lease = seed % 3 == 0;
	c.lease_ttl_ms = 60000;
	c.lease_requests = 100;
	t_world_up(&c, &c);
	/* Large items on some seeds: cuts land inside fragmented messages. */
	t_item_len = (seed % 4 == 1) ? 150 : 8;
	t_connect();
	W.cli_end->seg = 1 + (uint32_t)(rand() % 40);
	/* Streams both ways and a channel. */
	t_put32(total, 300);
	p = t_req("echo", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 8, &t_ccbs, &down, &h), 0);
	p = t_req("gen/up", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(0), W.sconn, &p, 8, &t_ccbs, &up, &h), 0);
	t_put32(total, 0);
	t_put32(total + 4, 200);
	p = t_req("echo", md, total, 8);
	ck_assert_int_eq(sk_request_channel(t_cx(1), W.conn, &p, 5, false, &t_ccbs, &ch, &h), 0);
	t_req_prod = (struct t_prod){h, 1, 200, false, true};
	for (int round = 0; round < 400; round++) {
		bool done = down.completed && up.completed && ch.completed &&
			    t_states[0].chan_in[1].completed;

		if (done)
			break;
		if (cuts < 8 && W.cli_end->cut_at == 0 && W.srv_end->cut_at == 0) {
			/* Cut one direction at a random byte ahead (also inside the RESUME
			 * exchange itself, when it lands there). */
			struct ft_end *e = (rand() & 1) ? W.cli_end : W.srv_end;

			e->cut_at = e->sent + 1 + (uint64_t)(rand() % 3000);
		}
		W.now_us += 5000;
		t_run();
		if (W.cli_end->gone || W.srv_end->gone) {
			t_run();
			cuts++;
			ck_assert_uint_ge(t_cev.detached, cuts);
			t_resume_reconnect();
			W.cli_end->seg = 1 + (uint32_t)(rand() % 40);
		}
	}
	ck_assert_msg(down.completed && down.got == 300, "seed %u: down %u", seed, down.got);
	ck_assert_msg(up.completed && up.got == 300, "seed %u: up %u", seed, up.got);
	ck_assert_msg(ch.completed && ch.got == 200, "seed %u: channel out %u", seed, ch.got);
	/* Server producer slot 0 is the stream, slot 1 the channel. */
	ck_assert_msg(t_states[0].chan_in[1].got == 200, "seed %u: channel in %u", seed,
		      t_states[0].chan_in[1].got);
	ck_assert(!down.errored && !up.errored && !ch.errored);
	ck_assert_uint_gt(cuts, 1);
	if (getenv("T_VERBOSE") != NULL)
		fprintf(stderr, "seed %u: %u cuts, %lu resumed, frag %u\n", seed, cuts,
			(unsigned long)t_ctr(1)[RS_CTR_RESUME_OK], c.fragment_size);
	/* Every cut was bridged; a cut inside a RESUME exchange needs one more. */
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_RESUME_OK], 1);
	ck_assert_uint_le(t_ctr(1)[RS_CTR_RESUME_OK], cuts);
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_RESUME_OK], t_ctr(1)[RS_CTR_RESUME_OK]);
	ck_assert_uint_eq(t_cev.closed, 0);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_STREAM_OVERRUN] + t_ctr(1)[RS_CTR_STREAM_OVERRUN], 0);
	if (c.lease) {
		/* A fresh lease each way after every resumption. */
		ck_assert_uint_eq(t_ctr(0)[RS_CTR_LEASE_ISSUED], 1 + t_ctr(0)[RS_CTR_RESUME_OK]);
		ck_assert_uint_eq(t_ctr(1)[RS_CTR_LEASE_ISSUED], 1 + t_ctr(1)[RS_CTR_RESUME_OK]);
		ck_assert_uint_eq(t_ctr(0)[RS_CTR_LEASE_REJECTED], 0);
	}
	t_world_down();
}

START_TEST(test_engine_resume_random_cuts)
{
	unsigned n = getenv("T_SEEDS") != NULL ? (unsigned)atoi(getenv("T_SEEDS")) : 24;

	for (unsigned seed = 1; seed <= n; seed++)
		t_resume_seed(seed);
}
END_TEST

START_TEST(test_engine_resume_rejected)
{
	struct rs_engine_conf c;
	uint8_t md[300];
	struct sk_payload p;
	struct t_cons a = {.granted = 1};
	struct sk_stream h;

	t_conf(&c);
	c.resume = true;
	c.resume_store_bytes = 64;
	t_world_up(&c, &c);
	t_connect();
	/* More unacknowledged bytes than the store holds: the cut cannot be bridged. */
	W.srv_end->stall = true;
	p = t_req("echo", md, "0123456789012345678901234567890123456789", 40);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_gt(t_ctr(1)[RS_CTR_RESUME_STORE_OVERFLOW], 0);
	ft_cut(W.cli_end);
	W.srv_end->stall = false;
	W.srv_end->inbox_len = 0;
	t_run();
	ck_assert_uint_eq(t_cev.detached, 1);
	t_resume_reconnect();
	t_run();
	/* REJECTED_RESUME: the client gives up, the streams fail, both sessions end. */
	ck_assert_uint_eq(t_cev.closed, 1);
	ck_assert_uint_eq(t_cev.code, RS_ERROR_REJECTED_RESUME);
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_RESUME_REJECTED], 1);
	ck_assert(a.errored);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

START_TEST(test_engine_resume_session_expiry)
{
	struct rs_engine_conf c;

	t_conf(&c);
	c.resume = true;
	c.resume_session_ms = 300;
	t_world_up(&c, &c);
	t_connect();
	ft_cut(W.cli_end);
	t_run();
	ck_assert_uint_eq(t_cev.detached, 1);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]), 1);
	t_advance_ms(350);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_RESUME_EXPIRED], 1);
	t_world_down();
}
END_TEST

START_TEST(test_engine_tx_backpressure)
{
	struct rs_engine_conf c;
	struct t_cons a = {.granted = 1000, .check_seq = true};
	uint8_t md[300], total[4];
	struct sk_payload p;
	struct sk_stream h;

	t_conf(&c);
	t_world_up(&c, &c);
	t_connect();
	/* The server's transport takes nothing for a while: frames wait, then all arrive. */
	W.srv_end->space = 0;
	t_put32(total, 50);
	p = t_req("echo", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(1), W.conn, &p, 1000, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert_uint_eq(a.got, 0);
	ck_assert_uint_gt(t_ctr(0)[RS_CTR_TX_BLOCKED], 0);
	W.srv_end->space = UINT32_MAX;
	t_run();
	ck_assert_uint_eq(a.got, 50);
	ck_assert(a.completed);
	t_world_down();
}
END_TEST

START_TEST(test_engine_connect_via_stack)
{
	struct rs_engine_conf c;
	struct dp_addr4 any = {0, 7878};
	struct t_cons a = {.granted = 4, .batch = 4, .check_seq = true};
	struct t_cons r = {.granted = 1};
	uint8_t md[300], total[4];
	struct sk_payload p;
	struct sk_stream h;
	struct sk_conn conn;

	t_conf(&c);
	c.resume = true;
	t_world_up(&c, &c);
	ck_assert_int_eq(dp_stack_listen(&t_stack.st, &any, &rs_engine_stream_cbs, W.e[0]), 0);
	t_stack.fail_connect = -EADDRNOTAVAIL;
	ck_assert_int_eq(sk_connect(t_cx(1), 0x7f000001, 7878, &t_conn_cbs, &t_cev, &conn),
			 -EADDRNOTAVAIL);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[1]), 0);
	t_stack.fail_connect = 0;
	ck_assert_int_eq(sk_connect(t_cx(1), 0x7f000001, 7878, &t_conn_cbs, &t_cev, &conn), 0);
	/* Not before connected(). */
	p = t_req("echo", md, "x", 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), conn, &p, &t_ccbs, &r, &h), -ENOTCONN);
	t_run();
	ck_assert_uint_eq(t_cev.ready, 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), conn, &p, &t_ccbs, &r, &h), 0);
	t_put32(total, 60);
	p = t_req("echo", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(1), conn, &p, 4, &t_ccbs, &a, &h), 0);
	t_stack.last_srv->cut_at = t_stack.last_srv->sent + 40;
	t_run();
	ck_assert_uint_eq(r.got, 1);
	/* The cut: the client redials through the stack and resumes on its own. */
	ck_assert_uint_ge(t_cev.detached, 1);
	ck_assert_uint_ge(t_stack.connects, 2);
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_RESUME_OK], 1);
	ck_assert_uint_eq(a.got, 60);
	ck_assert(a.completed);
	ck_assert_uint_eq(t_cev.closed, 0);
	t_world_down();
}
END_TEST

static void
t_rr_fail(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	(void)p;
	ck_assert_int_eq(sk_error(cx, s, SK_ERR_APPLICATION, "boom"), 0);
	ck_assert_int_eq(sk_error(cx, s, SK_ERR_APPLICATION, "again"), -ESTALE);
}

START_TEST(test_engine_errors_and_limits)
{
	static const char *const names[] = {"echo"};
	static const struct sk_route_handlers rh[] = {{.request_response = t_rr_fail}};
	static const struct sk_app app = {"fail", NULL, NULL, names, rh, 1, NULL};
	struct rs_engine_conf s, c;
	struct t_cons a = {.granted = 1};
	uint8_t md[300], big[600];
	struct sk_payload p;
	struct sk_stream h;
	struct rs_engine *e0;
	int n = 0;

	t_conf(&s);
	t_conf(&c);
	s.max_frame_len = 200;
	c.max_pending_bytes = 300;
	t_world_up(&s, &c);
	/* An application error from the responder reaches the requester's on_error. */
	e0 = W.e[0];
	rs_engine_free(e0);
	ck_assert_int_eq(rs_engine_create(&s, W.wheel[0], t_mp, NULL, &app, W.router, 0, &W.e[0]),
			 0);
	t_connect();
	p = t_req("echo", md, "x", 1);
	ck_assert_int_eq(sk_request_response(t_cx(1), W.conn, &p, &t_ccbs, &a, &h), 0);
	t_run();
	ck_assert(a.errored);
	ck_assert_uint_eq(a.err_code, SK_ERR_APPLICATION);
	ck_assert_str_eq(a.err_msg, "boom");
	/* Pending bytes: with the transport refusing, sends beyond the limit fail, counted. */
	W.cli_end->space = 0;
	memset(big, 0, sizeof(big));
	p = t_req("echo", md, big, 100);
	while (sk_fire_and_forget(t_cx(1), W.conn, &p) == 0)
		n++;
	ck_assert_int_eq(sk_fire_and_forget(t_cx(1), W.conn, &p), -ENOBUFS);
	ck_assert_int_eq(n, 2);
	t_run();
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_TX_PENDING_OVER], 1);
	W.cli_end->space = UINT32_MAX;
	t_run();
	/* Frame size: a frame over the server's max_frame_len fails the connection. */
	c.max_pending_bytes = 1 << 20;
	p = t_req("echo", md, big, 250);
	ck_assert_int_eq(sk_fire_and_forget(t_cx(1), W.conn, &p), 0);
	t_run();
	ck_assert_uint_eq(t_ctr(0)[RS_CTR_FRAME_TOO_LONG], 1);
	ck_assert_uint_eq(t_cev.closed, 1);
	ck_assert_uint_eq(t_cev.code, RS_ERROR_CONNECTION_ERROR);
	ck_assert_uint_eq(rs_engine_conn_count(W.e[0]) + rs_engine_conn_count(W.e[1]), 0);
	t_world_down();
}
END_TEST

/* Random frames after a valid SETUP (headers of every type, random flags, stream ids of both
 * parities, random bodies, sometimes a bad length): the engine must survive, answer or close, and
 * leak nothing (pool back to baseline, ASan in the sanitizer build). */
START_TEST(test_engine_random_input)
{
	struct rs_engine_conf s;
	uint8_t b[512], md[64];
	unsigned seeds = getenv("T_SEEDS") != NULL ? (unsigned)atoi(getenv("T_SEEDS")) : 24;

	t_conf(&s);
	s.fragment_size = 64;
	s.lease = (seeds & 1) != 0;
	for (unsigned seed = 1; seed <= seeds * 4; seed++) {
		struct rs_engine_conf cc;
		struct ft_end *raw;
		size_t n;

		srand(seed * 7919u);
		t_conf(&cc);
		t_world_up(&s, &cc);
		raw = t_raw_client();
		raw->peer->seg = 1 + (uint32_t)(rand() % 64);
		n = t_setup_bytes(b, 0, 1, 0, 1000, 9000, NULL, t_mm, "text/plain");
		ft_raw_write(raw, b, n);
		for (int i = 0; i < 300 && !raw->gone; i++) {
			uint32_t len = 6 + (uint32_t)(rand() % 60);
			unsigned type = (unsigned)(rand() % 16);
			uint32_t sid = (uint32_t)(rand() % 8);
			int k;

			if (rand() % 4 == 0) {
				/* A well-formed routed request or payload, to reach deep states. */
				k = sk_route_metadata(md, sizeof(md),
						      (rand() & 1) ? "echo" : "gen/a");
				k = rs_frame_encode_request_stream(
					b, sizeof(b), sid | 1, (rand() & 1) ? 0x80 : 0,
					1 + (uint32_t)(rand() % 3), md, (uint32_t)k, "\0\0\0\5", 4);
				ft_raw_write(raw, b, (size_t)k);
				continue;
			}
			rs_frame_put_u24(b, len);
			rs_frame_put_hdr(b + 3, sid, type, (unsigned)(rand() & 0x3ff));
			for (uint32_t j = 9; j < 3 + len; j++)
				b[j] = (uint8_t)rand();
			if (rand() % 50 == 0)
				b[0] = (uint8_t)rand(); /* a length prefix that lies */
			ft_raw_write(raw, b, 3 + len);
			if (i % 16 == 0)
				t_run();
		}
		t_run();
		t_advance_ms(20);
		t_world_down();
	}
}
END_TEST

static uint64_t
t_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Both engines on one posix stack instance, one loop, real time; every wait bounded. */
static bool
t_posix_run(struct dp_posix *px, const bool *flag, uint64_t max_ms)
{
	uint64_t end = t_mono_us() + max_ms * 1000;

	while (!*flag && t_mono_us() < end) {
		W.now_us = t_mono_us();
		for (int i = 0; i < 2; i++) {
			rs_engine_set_now(W.e[i], W.now_us);
			dp_timer_wheel_advance(W.wheel[i], W.now_us);
		}
		dp_stack_poll(dp_posix_stack(px), W.now_us);
		rs_engine_flush(W.e[0]);
		rs_engine_flush(W.e[1]);
		dp_stack_flush(dp_posix_stack(px));
		dp_posix_wait(px, 1000);
	}
	return *flag;
}

static bool t_posix_ready, t_posix_half;

/* Resumption over kernel TCP on 127.0.0.1: the client's socket is shut down mid-stream; the
 * client redials through the stack, resumes, and the stream completes with every item once. */
START_TEST(test_engine_resume_over_posix)
{
	struct rs_engine_conf c;
	struct dp_posix_conf pc = {.pool = t_mp, .name = "t"};
	struct dp_timer_wheel_conf wc = {100, 0};
	struct dp_addr4 any = {0x7f000001, 0}, bound;
	struct t_cons a = {.granted = 50, .batch = 50, .check_seq = true};
	static const struct sk_router_route routes[] = {{"echo", "echo", SK_ROUTER_EXACT},
							{"gen", "^gen/", SK_ROUTER_PATTERN}};
	struct sk_router_conf rc = {routes, 2, NULL};
	struct dp_posix *px;
	void *pmem;
	uint8_t md[300], total[4];
	struct sk_payload p;
	struct sk_stream h;
	struct sk_conn conn;
	struct dp_stream *ts;

	memset(&W, 0, sizeof(W));
	memset(&t_cev, 0, sizeof(t_cev));
	W.pool_base = rte_mempool_avail_count(t_mp);
	t_conf(&c);
	c.resume = true;
	c.keepalive_ms = 100;
	c.max_lifetime_ms = 10000;
	pmem = aligned_alloc(64, (dp_posix_memsize(&pc) + 63) & ~(size_t)63);
	px = dp_posix_init(pmem, &pc);
	ck_assert_ptr_nonnull(px);
	ck_assert_int_eq(sk_router_create(&rc, &W.router, NULL, 0), 0);
	W.now_us = t_mono_us();
	wc.start_us = W.now_us;
	for (int i = 0; i < 2; i++) {
		W.wmem[i] = aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63);
		W.wheel[i] = dp_timer_wheel_init(W.wmem[i], &wc);
		ck_assert_int_eq(rs_engine_create(&c, W.wheel[i], t_mp, dp_posix_stack(px), &t_app,
						  W.router, (unsigned)i, &W.e[i]),
				 0);
		rs_engine_set_now(W.e[i], W.now_us);
	}
	ck_assert_int_eq(dp_stack_listen(dp_posix_stack(px), &any, &rs_engine_stream_cbs, W.e[0]),
			 0);
	ck_assert_int_eq(dp_posix_listen_addr(px, 0, &bound), 0);
	ck_assert_int_eq(sk_connect(t_cx(1), bound.ip, bound.port, &t_conn_cbs, &t_cev, &conn), 0);
	t_posix_ready = false;
	{
		uint64_t end = t_mono_us() + 5000000;

		while (t_cev.ready == 0 && t_mono_us() < end)
			t_posix_run(px, &t_posix_ready, 5);
	}
	ck_assert_uint_eq(t_cev.ready, 1);
	t_put32(total, 3000);
	p = t_req("echo", md, total, 4);
	ck_assert_int_eq(sk_request_stream(t_cx(1), conn, &p, 50, &t_ccbs, &a, &h), 0);
	{
		uint64_t end = t_mono_us() + 10000000;

		while (a.got < 1000 && t_mono_us() < end)
			t_posix_run(px, &t_posix_half, 5);
	}
	ck_assert_uint_ge(a.got, 1000);
	ck_assert(!a.completed);
	/* The cut: shut the client's socket down under the engine. */
	ts = rs_engine_conn_transport(W.e[1], conn);
	ck_assert_ptr_nonnull(ts);
	ck_assert_int_eq(shutdown(dp_posix_stream_fd(ts), SHUT_RDWR), 0);
	t_posix_run(px, &a.completed, 15000);
	ck_assert_msg(a.completed && a.got == 3000, "got %u", a.got);
	ck_assert(!a.errored);
	ck_assert_uint_ge(t_cev.detached, 1);
	ck_assert_uint_ge(t_ctr(1)[RS_CTR_RESUME_OK], 1);
	ck_assert_uint_ge(t_ctr(0)[RS_CTR_RESUME_OK], 1);
	ck_assert_uint_eq(t_cev.closed, 0);
	for (int i = 0; i < 2; i++) {
		rs_engine_free(W.e[i]);
		W.e[i] = NULL;
	}
	dp_posix_fini(px);
	free(pmem);
	for (int i = 0; i < 2; i++)
		free(W.wmem[i]);
	sk_router_free(W.router);
	ck_assert_uint_eq(rte_mempool_avail_count(t_mp), W.pool_base);
}
END_TEST

static Suite *
t_engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_engine_rr_both_directions);
	tcase_add_test(tc, test_engine_fnf_and_metadata_push);
	tcase_add_test(tc, test_engine_stream_credit);
	tcase_add_test(tc, test_engine_channel_both_directions);
	tcase_add_test(tc, test_engine_cancel);
	tcase_add_test(tc, test_engine_fragmentation_boundaries);
	tcase_add_test(tc, test_engine_fragmented_stream_and_channel);
	tcase_add_test(tc, test_engine_fragmented_items);
	tcase_add_test(tc, test_engine_request_n_during_reassembly);
	tcase_add_test(tc, test_engine_reassembly_caps);
	tcase_add_test(tc, test_engine_keepalive);
	tcase_add_test(tc, test_engine_lease);
	tcase_add_test(tc, test_engine_setup_rejections);
	tcase_add_test(tc, test_engine_setup_timeout);
	tcase_add_test(tc, test_engine_protocol_errors);
	tcase_add_test(tc, test_engine_routing_errors);
	tcase_add_test(tc, test_engine_limits_and_close);
	tcase_add_test(tc, test_engine_tx_backpressure);
	tcase_add_test(tc, test_engine_resume_random_cuts);
	tcase_add_test(tc, test_engine_resume_rejected);
	tcase_add_test(tc, test_engine_resume_session_expiry);
	tcase_add_test(tc, test_engine_connect_via_stack);
	tcase_add_test(tc, test_engine_errors_and_limits);
	tcase_add_test(tc, test_engine_random_input);
	tcase_add_test(tc, test_engine_resume_over_posix);
	suite_add_tcase(s, tc);
	return s;
}
