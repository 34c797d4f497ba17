/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every decode case (codec_test.c: vectors, one valid frame per type and flag, one malformed frame
 * per error reason) is decoded from contiguous memory ending against a guard page, then replayed
 * through the segmented reader: split in two at every byte boundary (each piece in its own guarded
 * buffer, with and without an empty segment between), pushed piece by piece ("need more" until
 * complete), as one-byte segments, and as a stream of all cases back to back cut into segments of
 * every size from 1 to 64 and of 1,460 bytes. Every result must equal the contiguous decode.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <rs/frame.h>

#include "codec_test.h"

static uint32_t
case_max(const struct ct_case *c)
{
	return c->max_len ? c->max_len : RS_FRAME_LEN_MAX;
}

/** Decode case @p c contiguously from a guard buffer into @p f; check the expectation. */
static void
case_decode(const struct ct_case *c, uint8_t *b, size_t *n, struct rs_frame *f)
{
	struct rs_frame_limits lim = {case_max(c)};
	struct ct_guard g;
	int rc;

	*n = ct_bytes(c->spec, b, 4096);
	ct_guard_new(&g, b, *n);
	memset(f, 0x5a, sizeof(*f));
	rc = rs_frame_decode(g.p, *n, &lim, f);
	if (c->rc == 0)
		ck_assert_msg(rc == (int)*n, "%s: rc %d, want %zu (err %s)", c->name, rc, *n,
			      rs_frame_err_name(f->err));
	else
		ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
	ck_assert_msg(f->err == c->err, "%s: err %s, want %s", c->name, rs_frame_err_name(f->err),
		      rs_frame_err_name(c->err));
	/* The same decode from the caller's buffer, which outlives the guard mapping: the view
	 * handed back points there. */
	{
		struct rs_frame pf;
		const char *d;

		memset(&pf, 0x5a, sizeof(pf));
		ck_assert_int_eq(rs_frame_decode(b, *n, &lim, &pf), rc);
		d = ct_frame_diff(&pf, f);
		ck_assert_msg(d == NULL, "%s: guard and plain decode differ in %s", c->name, d);
		*f = pf;
	}
	/* Every strict prefix of a complete frame is "need more" (or over the limit). */
	for (size_t k = 0; k < *n && c->rc != -EMSGSIZE; k++) {
		struct rs_frame t;
		struct ct_guard gk;

		ct_guard_new(&gk, b, k);
		rc = rs_frame_decode(gk.p, k, &lim, &t);
		ck_assert_msg(rc == -EAGAIN, "%s: prefix %zu gave %d", c->name, k, rc);
		ct_guard_free(&gk);
	}
	ct_guard_free(&g);
}

/** A fake-mbuf segment holding @p len bytes of @p src in its own guard buffer. */
struct seg {
	struct ct_guard g;
	struct rte_mbuf *m;
};

static struct rte_mbuf *
seg_new(struct seg *s, const uint8_t *src, uint32_t len)
{
	ct_guard_new(&s->g, src, len);
	s->m = ct_mbuf_view(s->g.p, len);
	return s->m;
}

static void
seg_free(struct seg *s)
{
	ct_mbuf_free(s->m);
	ct_guard_free(&s->g);
}

/** Release everything the reader holds (fake mbufs are freed by the caller). */
static void
reader_drop(struct rs_frame_reader *r)
{
	struct rte_mbuf *m = rs_frame_reader_reset(r);

	while (m != NULL) {
		struct rte_mbuf *n = m->next;

		m->next = NULL;
		m = n;
	}
}

/** Compare the reader's result with the contiguous one. */
static void
check_same(const struct ct_case *c, int rc, const struct rs_frame *got, const struct rs_frame *want,
	   size_t n, const char *how, size_t k)
{
	const char *d;

	if (c->rc == 0)
		ck_assert_msg(rc == (int)n, "%s (%s %zu): rc %d", c->name, how, k, rc);
	else
		ck_assert_msg(rc == c->rc, "%s (%s %zu): rc %d want %d", c->name, how, k, rc,
			      c->rc);
	d = ct_frame_diff(got, want);
	ck_assert_msg(d == NULL, "%s (%s %zu): differs in %s", c->name, how, k, d);
}

START_TEST(contiguous_guard)
{
	const struct ct_case *c = &ct_cases[_i];
	uint8_t b[4096];
	size_t n;
	struct rs_frame f;

	case_decode(c, b, &n, &f);
}
END_TEST

START_TEST(split_two)
{
	const struct ct_case *c = &ct_cases[_i];
	uint8_t b[4096];
	size_t n;
	struct rs_frame want, got;

	case_decode(c, b, &n, &want);
	for (size_t k = 1; k < n; k++) {
		for (int empty = 0; empty < 2; empty++) {
			struct rs_frame_reader r;
			struct seg a, e, z;
			int rc;

			rs_frame_reader_init(&r, case_max(c));
			seg_new(&a, b, (uint32_t)k);
			seg_new(&e, b, 0);
			seg_new(&z, b + k, (uint32_t)(n - k));
			/* All at once. */
			rs_frame_reader_push(&r, a.m);
			if (empty)
				rs_frame_reader_push(&r, e.m);
			rs_frame_reader_push(&r, z.m);
			memset(&got, 0x5a, sizeof(got));
			rc = rs_frame_reader_next(&r, &got);
			check_same(c, rc, &got, &want, n, empty ? "split+empty" : "split", k);
			if (c->rc != -EMSGSIZE) {
				ck_assert_int_eq(rs_frame_reader_pending(&r), 0);
				ck_assert_int_eq(rs_frame_reader_next(&r, &got), -EAGAIN);
			}
			reader_drop(&r);
			a.m->next = e.m->next = z.m->next = NULL;
			a.m->data_len = (uint16_t)k;

			/* Piece by piece: need more until the second piece arrives. */
			rs_frame_reader_init(&r, case_max(c));
			rs_frame_reader_push(&r, a.m);
			rc = rs_frame_reader_next(&r, &got);
			if (c->rc == -EMSGSIZE && k >= 3)
				ck_assert_int_eq(rc, -EMSGSIZE);
			else
				ck_assert_msg(rc == -EAGAIN, "%s: first %zu bytes gave %d", c->name,
					      k, rc);
			if (empty) {
				rs_frame_reader_push(&r, e.m);
				rc = rs_frame_reader_next(&r, &got);
				ck_assert(rc == -EAGAIN || rc == -EMSGSIZE);
			}
			rs_frame_reader_push(&r, z.m);
			memset(&got, 0x5a, sizeof(got));
			rc = rs_frame_reader_next(&r, &got);
			check_same(c, rc, &got, &want, n, "incremental", k);
			reader_drop(&r);
			seg_free(&a);
			seg_free(&e);
			seg_free(&z);
		}
	}
}
END_TEST

START_TEST(split_bytes)
{
	const struct ct_case *c = &ct_cases[_i];
	uint8_t b[4096];
	size_t n;
	struct rs_frame want, got;
	struct seg *s;
	struct rs_frame_reader r;
	int rc = -EAGAIN;

	case_decode(c, b, &n, &want);
	s = calloc(n, sizeof(*s));
	rs_frame_reader_init(&r, case_max(c));
	for (size_t k = 0; k < n; k++) {
		rs_frame_reader_push(&r, seg_new(&s[k], b + k, 1));
		memset(&got, 0x5a, sizeof(got));
		rc = rs_frame_reader_next(&r, &got);
		if (k + 1 < n && !(c->rc == -EMSGSIZE && k >= 2))
			ck_assert_msg(rc == -EAGAIN, "%s: %zu bytes gave %d", c->name, k + 1, rc);
	}
	check_same(c, rc, &got, &want, n, "bytes", n);
	reader_drop(&r);
	for (size_t k = 0; k < n; k++)
		seg_free(&s[k]);
	free(s);
}
END_TEST

/** All skippable cases back to back, cut into segments of @p segsz bytes. */
static void
stream_check(size_t segsz)
{
	static uint8_t all[1 << 16];
	static struct rs_frame want[256];
	static size_t lens[256];
	const struct ct_case *idx[256];
	size_t total = 0, nseg, k;
	unsigned nf = 0, i;
	struct rs_frame_reader r;
	struct seg *s;
	struct rte_mbuf *rel;

	for (i = 0; i < ct_n_cases; i++) {
		const struct ct_case *c = &ct_cases[i];

		if (c->rc == -EMSGSIZE)
			continue;
		case_decode(c, all + total, &lens[nf], &want[nf]);
		idx[nf] = c;
		total += lens[nf++];
	}
	nseg = (total + segsz - 1) / segsz;
	s = calloc(nseg, sizeof(*s));
	rs_frame_reader_init(&r, RS_FRAME_LEN_MAX);
	for (k = 0; k < nseg; k++) {
		size_t len = total - k * segsz < segsz ? total - k * segsz : segsz;

		rs_frame_reader_push(&r, seg_new(&s[k], all + k * segsz, (uint32_t)len));
	}
	for (i = 0; i < nf; i++) {
		struct rs_frame got;
		int rc;

		memset(&got, 0x5a, sizeof(got));
		rc = rs_frame_reader_next(&r, &got);
		check_same(idx[i], rc, &got, &want[i], lens[i], "stream seg", segsz);
		/* Hand back consumed segments as the engine would after each frame. */
		if ((rel = rs_frame_reader_release(&r)) != NULL) {
			uint32_t cnt = 0, bytes = 0;

			for (struct rte_mbuf *m = rel; m != NULL; m = m->next) {
				cnt++;
				bytes += m->data_len;
			}
			ck_assert_uint_eq(rel->nb_segs, cnt);
			ck_assert_uint_eq(rel->pkt_len, bytes);
			while (rel != NULL) {
				struct rte_mbuf *n = rel->next;

				rel->next = NULL;
				rel = n;
			}
		}
	}
	ck_assert_int_eq(rs_frame_reader_pending(&r), 0);
	ck_assert_int_eq(rs_frame_reader_next(&r, &want[0]), -EAGAIN);
	/* Per-reason counters: one per malformed case, under its own reason. */
	{
		uint64_t bad[RS_FRAME_ERR_MAX] = {0};

		for (i = 0; i < nf; i++)
			if (idx[i]->rc == -EBADMSG)
				bad[idx[i]->err]++;
		for (int e = 0; e < RS_FRAME_ERR_MAX; e++)
			ck_assert_uint_eq(r.errors[e], bad[e]);
		ck_assert_uint_eq(r.frames, nf);
	}
	rel = rs_frame_reader_release(&r);
	ck_assert_ptr_null(r.head);
	reader_drop(&r);
	(void)rel;
	for (k = 0; k < nseg; k++)
		seg_free(&s[k]);
	free(s);
}

START_TEST(stream_segments)
{
	stream_check((size_t)_i + 1);
}
END_TEST

START_TEST(stream_segments_1460)
{
	stream_check(1460);
}
END_TEST

/** A frame bigger than one segment, with metadata and data split over many 1,460-byte segments:
 * views are piece lists and the bytes gathered from them are the original bytes. */
START_TEST(large_straddling)
{
	static uint8_t wire[70000], md[3000], data[60000];
	struct rs_frame_reader r;
	struct rs_frame f;
	struct seg s[64];
	size_t n, k, nseg;
	int rc;

	for (k = 0; k < sizeof(md); k++)
		md[k] = (uint8_t)(k * 7 + 1);
	for (k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 13 + 5);
	rc = rs_frame_encode_payload(wire, sizeof(wire), 9, RS_FRAME_FLAG_N, md, sizeof(md), data,
				     sizeof(data));
	ck_assert_int_gt(rc, 0);
	n = (size_t)rc;
	nseg = (n + 1459) / 1460;
	ck_assert_uint_le(nseg, 64);
	rs_frame_reader_init(&r, RS_FRAME_LEN_MAX);
	for (k = 0; k < nseg; k++) {
		size_t len = n - k * 1460 < 1460 ? n - k * 1460 : 1460;

		rs_frame_reader_push(&r, seg_new(&s[k], wire + k * 1460, (uint32_t)len));
		rc = rs_frame_reader_next(&r, &f);
		if (k + 1 < nseg)
			ck_assert_int_eq(rc, -EAGAIN);
	}
	ck_assert_int_eq(rc, (int)n);
	ck_assert(!rs_frame_slice_is_contig(&f.metadata));
	ck_assert(!rs_frame_slice_is_contig(&f.data));
	ck_assert(ct_slice_eq(&f.metadata, md, sizeof(md)));
	ck_assert(ct_slice_eq(&f.data, data, sizeof(data)));
	ck_assert_uint_eq(r.gathers, 1);
	reader_drop(&r);
	for (k = 0; k < nseg; k++)
		seg_free(&s[k]);
}
END_TEST

/** Re-encoding every valid case gives its bytes back (except the two cases whose input carries
 * bits the encoder normalises: a trailing byte, a stream-id MSB). */
START_TEST(reencode_cases)
{
	for (unsigned i = 0; i < ct_n_cases; i++) {
		const struct ct_case *c = &ct_cases[i];
		uint8_t b[4096], out[4096];
		size_t n;
		struct rs_frame f;
		int rc;

		if (c->rc != 0)
			continue;
		case_decode(c, b, &n, &f);
		rc = rs_frame_encode(out, sizeof(out), &f);
		if (strstr(c->name, "trailing") || strstr(c->name, "MSB")) {
			ck_assert_int_gt(rc, 0);
			ck_assert_msg(rc != (int)n || memcmp(out, b, n) != 0, "%s", c->name);
			continue;
		}
		ck_assert_msg(rc == (int)n && memcmp(out, b, n) == 0, "%s: re-encode differs",
			      c->name);
	}
}
END_TEST

/** Each error reason is produced by at least one case: the reasons are distinct and reachable. */
START_TEST(every_reason_covered)
{
	int seen[RS_FRAME_ERR_MAX] = {0};

	for (unsigned i = 0; i < ct_n_cases; i++)
		seen[ct_cases[i].err]++;
	for (int e = 0; e < RS_FRAME_ERR_MAX; e++)
		ck_assert_msg(seen[e] > 0, "no case for %s", rs_frame_err_name((unsigned)e));
}
END_TEST

/** METADATA_PUSH without M is refused (FLAGS) with its metadata view filled, however split. */
START_TEST(metadata_push_without_m_views)
{
	uint8_t b[64];
	size_t n = ct_bytes("00000a 00000000 3000 'meta'", b, sizeof(b));
	struct rs_frame f;
	const struct rs_frame_limits lim = {RS_FRAME_LEN_MAX};

	ck_assert_int_eq(rs_frame_decode(b, n, &lim, &f), -EBADMSG);
	ck_assert_int_eq(f.err, RS_FRAME_ERR_FLAGS);
	ck_assert(ct_slice_eq(&f.metadata, "meta", 4));
	ck_assert_uint_eq(f.data.len, 0);
	for (size_t k = 1; k < n; k++) {
		struct rs_frame_reader r;
		struct seg a, z;

		rs_frame_reader_init(&r, RS_FRAME_LEN_MAX);
		rs_frame_reader_push(&r, seg_new(&a, b, (uint32_t)k));
		rs_frame_reader_push(&r, seg_new(&z, b + k, (uint32_t)(n - k)));
		ck_assert_int_eq(rs_frame_reader_next(&r, &f), -EBADMSG);
		ck_assert_int_eq(f.err, RS_FRAME_ERR_FLAGS);
		ck_assert(ct_slice_eq(&f.metadata, "meta", 4));
		ck_assert_uint_eq(r.errors[RS_FRAME_ERR_FLAGS], 1);
		reader_drop(&r);
		seg_free(&a);
		seg_free(&z);
	}
}
END_TEST

static Suite *
split_suite(void)
{
	Suite *s = suite_create("codec_split");
	TCase *t = tcase_create("cases");

	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, contiguous_guard, 0, (int)ct_n_cases);
	tcase_add_loop_test(t, split_two, 0, (int)ct_n_cases);
	tcase_add_loop_test(t, split_bytes, 0, (int)ct_n_cases);
	tcase_add_loop_test(t, stream_segments, 0, 64);
	tcase_add_test(t, stream_segments_1460);
	tcase_add_test(t, large_straddling);
	tcase_add_test(t, reencode_cases);
	tcase_add_test(t, every_reason_covered);
	tcase_add_test(t, metadata_push_without_m_views);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(split_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
