/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Round trips: every frame type, with and without metadata, with empty, small and large payloads
 * and every legal flag combination, is encoded from a view, decoded back (contiguously from a guard
 * buffer and through the reader at 1,460-byte segments), compared field by field, and re-encoded
 * to the same bytes. The inline encoders must produce the same bytes as the generic encoder.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <rs/frame.h>

#include "codec_test.h"

static const uint32_t sizes[] = {0, 1, 16, 1000, 70000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint8_t src_md[1 << 17], src_data[1 << 17];
static uint8_t wire[1 << 18], wire2[1 << 18];

static void
fill_sources(void)
{
	for (size_t k = 0; k < sizeof(src_md); k++) {
		src_md[k] = (uint8_t)(k * 31 + 7);
		src_data[k] = (uint8_t)(k * 17 + 3);
	}
}

/** Decode @p n bytes through the reader in 1,460-byte fake segments and compare with @p want. */
static void
reader_check(const uint8_t *b, size_t n, const struct rs_frame *want)
{
	size_t nseg = (n + 1459) / 1460, k;
	struct rte_mbuf **m = calloc(nseg, sizeof(*m));
	struct rs_frame_reader r;
	struct rs_frame got;
	const char *d;
	int rc;

	rs_frame_reader_init(&r, RS_FRAME_LEN_MAX);
	for (k = 0; k < nseg; k++) {
		size_t len = n - k * 1460 < 1460 ? n - k * 1460 : 1460;

		m[k] = ct_mbuf_view((uint8_t *)b + k * 1460, (uint32_t)len);
		rs_frame_reader_push(&r, m[k]);
	}
	rc = rs_frame_reader_next(&r, &got);
	ck_assert_int_eq(rc, (int)n);
	d = ct_frame_diff(&got, want);
	ck_assert_msg(d == NULL, "reader differs in %s", d);
	rs_frame_reader_reset(&r);
	for (k = 0; k < nseg; k++)
		ct_mbuf_free(m[k]);
	free(m);
}

/** Encode @p f, decode, compare, re-encode. @return encoded length. */
static int
roundtrip(struct rs_frame *f)
{
	static const struct rs_frame_limits lim = {RS_FRAME_LEN_MAX};
	struct rs_frame g;
	struct ct_guard gd;
	const char *d;
	int n, rc;

	n = rs_frame_encode(wire, sizeof(wire), f);
	ck_assert_msg(n > 0, "%s flags %x: encode %d", rs_frame_type_name(f->type), f->flags, n);
	ck_assert_int_eq(rs_frame_encoded_len(f), n);
	f->frame_len = (uint32_t)n - 3;
	f->err = RS_FRAME_OK;
	ct_guard_new(&gd, wire, (size_t)n);
	rc = rs_frame_decode(gd.p, (size_t)n, &lim, &g);
	ck_assert_msg(rc == n, "%s flags %x: decode %d (%s)", rs_frame_type_name(f->type), f->flags,
		      rc, rs_frame_err_name(g.err));
	d = ct_frame_diff(&g, f);
	ck_assert_msg(d == NULL, "%s flags %x: differs in %s", rs_frame_type_name(f->type),
		      f->flags, d);
	rc = rs_frame_encode(wire2, sizeof(wire2), &g);
	ck_assert_int_eq(rc, n);
	ck_assert(memcmp(wire, wire2, (size_t)n) == 0);
	if (n > 1460)
		reader_check(gd.p, (size_t)n, f);
	ct_guard_free(&gd);
	return n;
}

static void
view_init(struct rs_frame *f, unsigned type, uint32_t sid, unsigned flags)
{
	memset(f, 0, sizeof(*f));
	f->type = (uint8_t)type;
	f->stream_id = sid;
	f->flags = (uint16_t)flags;
	f->metadata = rs_frame_slice_of(src_md, 0);
	f->data = rs_frame_slice_of(src_data, 0);
}

/** Types with [md] data: every size of metadata (or none) and data, every legal flag set. */
static void
md_data_type(unsigned type, uint32_t sid, const unsigned *flag_sets, unsigned nflags)
{
	for (unsigned fi = 0; fi < nflags; fi++)
		for (int has_md = 0; has_md < 2; has_md++)
			for (unsigned mi = 0; mi < (has_md ? NSIZES : 1); mi++)
				for (unsigned di = 0; di < NSIZES; di++) {
					struct rs_frame f;
					unsigned fl =
						flag_sets[fi] | (has_md ? RS_FRAME_FLAG_M : 0);

					view_init(&f, type, sid, fl);
					if (has_md)
						f.metadata = rs_frame_slice_of(src_md, sizes[mi]);
					f.data = rs_frame_slice_of(src_data, sizes[di]);
					if (type == RS_FRAME_REQUEST_STREAM ||
					    type == RS_FRAME_REQUEST_CHANNEL)
						f.request_n = 1 + di * 1000;
					if (type == RS_FRAME_EXT)
						f.ext_type = 0x1234;
					roundtrip(&f);
				}
}

START_TEST(request_response)
{
	static const unsigned fl[] = {0, RS_FRAME_FLAG_F};

	md_data_type(RS_FRAME_REQUEST_RESPONSE, 1, fl, 2);
}
END_TEST

START_TEST(request_fnf)
{
	static const unsigned fl[] = {0, RS_FRAME_FLAG_F};

	md_data_type(RS_FRAME_REQUEST_FNF, 3, fl, 2);
}
END_TEST

START_TEST(request_stream)
{
	static const unsigned fl[] = {0, RS_FRAME_FLAG_F};

	md_data_type(RS_FRAME_REQUEST_STREAM, 0x7fffffff, fl, 2);
}
END_TEST

START_TEST(request_channel)
{
	static const unsigned fl[] = {0, RS_FRAME_FLAG_F, RS_FRAME_FLAG_C,
				      RS_FRAME_FLAG_F | RS_FRAME_FLAG_C};

	md_data_type(RS_FRAME_REQUEST_CHANNEL, 2, fl, 4);
}
END_TEST

START_TEST(payload)
{
	static const unsigned fl[] = {
		RS_FRAME_FLAG_N,
		RS_FRAME_FLAG_C,
		RS_FRAME_FLAG_N | RS_FRAME_FLAG_C,
		RS_FRAME_FLAG_N | RS_FRAME_FLAG_F,
		RS_FRAME_FLAG_C | RS_FRAME_FLAG_F,
		RS_FRAME_FLAG_N | RS_FRAME_FLAG_C | RS_FRAME_FLAG_F,
	};

	md_data_type(RS_FRAME_PAYLOAD, 5, fl, 6);
}
END_TEST

START_TEST(ext)
{
	static const unsigned fl[] = {0, RS_FRAME_FLAG_I};

	md_data_type(RS_FRAME_EXT, 0, fl, 2);
	md_data_type(RS_FRAME_EXT, 7, fl, 2);
}
END_TEST

START_TEST(setup)
{
	static const unsigned fl[] = {0, RS_FRAME_FLAG_RESUME, RS_FRAME_FLAG_LEASE,
				      RS_FRAME_FLAG_RESUME | RS_FRAME_FLAG_LEASE};
	static const char mime[] = "message/x.rsocket.composite-metadata.v0";

	for (unsigned fi = 0; fi < 4; fi++)
		for (int has_md = 0; has_md < 2; has_md++)
			for (unsigned di = 0; di < NSIZES; di++) {
				struct rs_frame f;

				view_init(&f, RS_FRAME_SETUP, 0,
					  fl[fi] | (has_md ? RS_FRAME_FLAG_M : 0));
				f.setup.major = 1;
				f.setup.keepalive_ms = 30000;
				f.setup.lifetime_ms = 90000;
				if (fl[fi] & RS_FRAME_FLAG_RESUME)
					f.setup.token = rs_frame_slice_of(src_md, di * 3);
				else
					f.setup.token = rs_frame_slice_of(src_md, 0);
				f.setup.md_mime = rs_frame_slice_of(mime, di == 1 ? 0 : 39);
				f.setup.data_mime = rs_frame_slice_of(src_data, di == 2 ? 255 : 16);
				if (has_md)
					f.metadata = rs_frame_slice_of(src_md, sizes[di]);
				f.data = rs_frame_slice_of(src_data, sizes[NSIZES - 1 - di]);
				roundtrip(&f);
			}
}
END_TEST

START_TEST(lease)
{
	for (int has_md = 0; has_md < 2; has_md++)
		for (unsigned mi = 0; mi < NSIZES; mi++) {
			struct rs_frame f;

			view_init(&f, RS_FRAME_LEASE, 0, has_md ? RS_FRAME_FLAG_M : 0);
			f.lease.ttl_ms = 1000 * mi;
			f.lease.n_requests = 0x7fffffff - mi;
			if (has_md)
				f.metadata = rs_frame_slice_of(src_md, sizes[mi]);
			roundtrip(&f);
		}
}
END_TEST

START_TEST(keepalive)
{
	for (int respond = 0; respond < 2; respond++)
		for (unsigned di = 0; di < NSIZES; di++) {
			struct rs_frame f;

			view_init(&f, RS_FRAME_KEEPALIVE, 0, respond ? RS_FRAME_FLAG_RESPOND : 0);
			f.position = di ? 0x7fffffffffffffffull >> di : 0;
			f.data = rs_frame_slice_of(src_data, sizes[di]);
			roundtrip(&f);
			if (sizes[di] < 2000) {
				uint8_t b[2048];

				ck_assert_int_eq(rs_frame_encode_keepalive(b, sizeof(b), respond,
									   f.position, src_data,
									   sizes[di]),
						 (int)f.frame_len + 3);
				ck_assert(memcmp(b, wire, f.frame_len + 3) == 0);
			}
		}
}
END_TEST

START_TEST(request_n_cancel)
{
	static const uint32_t ns[] = {1, 2, 1000, 0x7fffffff};

	for (unsigned i = 0; i < 4; i++) {
		struct rs_frame f;
		uint8_t b[16];

		view_init(&f, RS_FRAME_REQUEST_N, 1 + 2 * i, 0);
		f.request_n = ns[i];
		roundtrip(&f);
		ck_assert_int_eq(rs_frame_encode_request_n(b, sizeof(b), 1 + 2 * i, ns[i]), 13);
		ck_assert(memcmp(b, wire, 13) == 0);
		view_init(&f, RS_FRAME_CANCEL, 1 + 2 * i, 0);
		roundtrip(&f);
		ck_assert_int_eq(rs_frame_encode_cancel(b, sizeof(b), 1 + 2 * i), 9);
		ck_assert(memcmp(b, wire, 9) == 0);
	}
}
END_TEST

START_TEST(error)
{
	static const uint32_t codes[] = {RS_ERROR_INVALID_SETUP, RS_ERROR_CONNECTION_ERROR,
					 RS_ERROR_APPLICATION_ERROR, 0xfffffffe, 0xffffffff};

	for (unsigned i = 0; i < 5; i++)
		for (unsigned di = 0; di < NSIZES; di++) {
			struct rs_frame f;

			view_init(&f, RS_FRAME_ERROR, i < 2 ? 0 : 9, 0);
			f.error_code = codes[i];
			f.data = rs_frame_slice_of(src_data, sizes[di]);
			roundtrip(&f);
		}
}
END_TEST

START_TEST(metadata_push)
{
	for (unsigned mi = 0; mi < NSIZES; mi++) {
		struct rs_frame f;

		view_init(&f, RS_FRAME_METADATA_PUSH, 0, RS_FRAME_FLAG_M);
		f.metadata = rs_frame_slice_of(src_md, sizes[mi]);
		roundtrip(&f);
	}
}
END_TEST

START_TEST(resume)
{
	for (unsigned ti = 0; ti < NSIZES; ti++) {
		struct rs_frame f;

		view_init(&f, RS_FRAME_RESUME, 0, 0);
		f.resume.major = 1;
		f.resume.token = rs_frame_slice_of(src_md, sizes[ti] > 65535 ? 65535 : sizes[ti]);
		f.resume.last_server_pos = 0x10 + ti;
		f.resume.first_client_pos = 0x7fffffffffffffffull - ti;
		roundtrip(&f);
		view_init(&f, RS_FRAME_RESUME_OK, 0, 0);
		f.position = 0x42 + ti;
		roundtrip(&f);
	}
}
END_TEST

/** The inline encoders write exactly what the generic encoder writes. */
START_TEST(inline_matches_generic)
{
	static uint8_t b[1 << 18];

	for (unsigned mi = 0; mi < NSIZES; mi++)
		for (unsigned di = 0; di < NSIZES; di++)
			for (int has_md = 0; has_md < 2; has_md++) {
				const void *md = has_md ? src_md : NULL;
				uint32_t ml = has_md ? sizes[mi] : 0;
				struct rs_frame f;
				int n;

				view_init(&f, RS_FRAME_REQUEST_RESPONSE, 1,
					  RS_FRAME_FLAG_F | (has_md ? RS_FRAME_FLAG_M : 0));
				if (has_md)
					f.metadata = rs_frame_slice_of(src_md, ml);
				f.data = rs_frame_slice_of(src_data, sizes[di]);
				n = rs_frame_encode(wire, sizeof(wire), &f);
				ck_assert_int_eq(rs_frame_encode_request_response(
							 b, sizeof(b), 1, RS_FRAME_FLAG_F, md, ml,
							 src_data, sizes[di]),
						 n);
				ck_assert(memcmp(b, wire, (size_t)n) == 0);

				f.type = RS_FRAME_REQUEST_FNF;
				n = rs_frame_encode(wire, sizeof(wire), &f);
				ck_assert_int_eq(rs_frame_encode_request_fnf(
							 b, sizeof(b), 1, RS_FRAME_FLAG_F, md, ml,
							 src_data, sizes[di]),
						 n);
				ck_assert(memcmp(b, wire, (size_t)n) == 0);

				f.type = RS_FRAME_REQUEST_STREAM;
				f.request_n = 77;
				n = rs_frame_encode(wire, sizeof(wire), &f);
				ck_assert_int_eq(rs_frame_encode_request_stream(
							 b, sizeof(b), 1, RS_FRAME_FLAG_F, 77, md,
							 ml, src_data, sizes[di]),
						 n);
				ck_assert(memcmp(b, wire, (size_t)n) == 0);

				f.type = RS_FRAME_REQUEST_CHANNEL;
				f.flags |= RS_FRAME_FLAG_C;
				n = rs_frame_encode(wire, sizeof(wire), &f);
				ck_assert_int_eq(rs_frame_encode_request_channel(
							 b, sizeof(b), 1,
							 RS_FRAME_FLAG_F | RS_FRAME_FLAG_C, 77, md,
							 ml, src_data, sizes[di]),
						 n);
				ck_assert(memcmp(b, wire, (size_t)n) == 0);

				f.type = RS_FRAME_PAYLOAD;
				f.flags = (uint16_t)(RS_FRAME_FLAG_N |
						     (has_md ? RS_FRAME_FLAG_M : 0));
				n = rs_frame_encode(wire, sizeof(wire), &f);
				ck_assert_int_eq(rs_frame_encode_payload(b, sizeof(b), 1,
									 RS_FRAME_FLAG_N, md, ml,
									 src_data, sizes[di]),
						 n);
				ck_assert(memcmp(b, wire, (size_t)n) == 0);
				/* One byte short: refused. */
				ck_assert_int_eq(rs_frame_encode_payload(b, (size_t)n - 1, 1,
									 RS_FRAME_FLAG_N, md, ml,
									 src_data, sizes[di]),
						 -ENOSPC);
			}
}
END_TEST

/** Limits of the encoders: the u24 maximum, bad arguments. */
START_TEST(encoder_limits)
{
	static uint8_t big[RS_FRAME_LEN_MAX + 16], bigsrc[RS_FRAME_LEN_MAX];
	struct rs_frame f;
	uint8_t b[32];
	int n;

	/* The largest PAYLOAD that fits: header 6 + data 0xFFFFF9 = 0xFFFFFF. */
	n = rs_frame_encode_payload(big, sizeof(big), 1, RS_FRAME_FLAG_N, NULL, 0, bigsrc,
				    RS_FRAME_LEN_MAX - 6);
	ck_assert_int_eq(n, RS_FRAME_LEN_MAX + 3);
	ck_assert_int_eq(rs_frame_encode_payload(big, sizeof(big), 1, RS_FRAME_FLAG_N, NULL, 0,
						 bigsrc, RS_FRAME_LEN_MAX - 5),
			 -EMSGSIZE);
	view_init(&f, RS_FRAME_PAYLOAD, 1, RS_FRAME_FLAG_N);
	f.data = rs_frame_slice_of(bigsrc, RS_FRAME_LEN_MAX - 5);
	ck_assert_int_eq(rs_frame_encode(big, sizeof(big), &f), -EMSGSIZE);
	ck_assert_int_eq(rs_frame_encode_payload(b, sizeof(b), 1, 0, NULL, 0, "x", 1), -EINVAL);
	ck_assert_int_eq(rs_frame_encode_request_n(b, sizeof(b), 1, 0), -EINVAL);
	ck_assert_int_eq(rs_frame_encode_request_stream(b, sizeof(b), 1, 0, 0, NULL, 0, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(rs_frame_encode_cancel(b, 8, 1), -ENOSPC);
	ck_assert_int_eq(rs_frame_encode_request_n(b, 12, 1, 1), -ENOSPC);
	view_init(&f, 0x20, 1, 0);
	ck_assert_int_eq(rs_frame_encode(b, sizeof(b), &f), -EINVAL);
	view_init(&f, RS_FRAME_SETUP, 0, 0);
	f.setup.md_mime = rs_frame_slice_of(bigsrc, 256);
	ck_assert_int_eq(rs_frame_encode(big, sizeof(big), &f), -EINVAL);
	/* The decoder accepts the biggest frame and refuses one over a configured limit. */
	{
		struct rs_frame_limits lim = {RS_FRAME_LEN_MAX};
		struct rs_frame g;

		n = rs_frame_encode_payload(big, sizeof(big), 1, RS_FRAME_FLAG_N, NULL, 0, bigsrc,
					    RS_FRAME_LEN_MAX - 6);
		ck_assert_int_eq(rs_frame_decode(big, (size_t)n, &lim, &g), n);
		ck_assert_uint_eq(g.data.len, RS_FRAME_LEN_MAX - 6);
		lim.max_frame_len = 1 << 20;
		ck_assert_int_eq(rs_frame_decode(big, (size_t)n, &lim, &g), -EMSGSIZE);
		ck_assert_int_eq(g.err, RS_FRAME_ERR_TOO_BIG);
	}
}
END_TEST

static Suite *
roundtrip_suite(void)
{
	Suite *s = suite_create("codec_roundtrip");
	TCase *t = tcase_create("types");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, request_response);
	tcase_add_test(t, request_fnf);
	tcase_add_test(t, request_stream);
	tcase_add_test(t, request_channel);
	tcase_add_test(t, payload);
	tcase_add_test(t, ext);
	tcase_add_test(t, setup);
	tcase_add_test(t, lease);
	tcase_add_test(t, keepalive);
	tcase_add_test(t, request_n_cancel);
	tcase_add_test(t, error);
	tcase_add_test(t, metadata_push);
	tcase_add_test(t, resume);
	tcase_add_test(t, inline_matches_generic);
	tcase_add_test(t, encoder_limits);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	fill_sources();
	sr = srunner_create(roundtrip_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
