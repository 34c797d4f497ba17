/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encoding into mbuf chains (rs_frame_chain_append / _attach) with a real mempool (EAL with
 * --no-huge, once per binary, CK_NOFORK): frames fill the tail and spill into new segments, the
 * bytes equal the buffer encoder's, attached payloads are linked and never written into, an append
 * that runs the pool dry leaves the chain unchanged, and the reader decodes what was built. Every
 * test checks the pool is back to its baseline count (no leak).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <rs/frame.h>

#include "codec_test.h"

#include "../../common/sk_test_eal.h"

#define SEG_ROOM 200u
static struct rte_mempool *pool;
static unsigned baseline;

static void
setup(void)
{
	baseline = rte_mempool_avail_count(pool);
}

static void
teardown(void)
{
	ck_assert_uint_eq(rte_mempool_avail_count(pool), baseline);
}

/** Linearise a chain and check head's pkt_len/nb_segs. @return bytes. */
static uint32_t
chain_bytes(const struct rte_mbuf *h, uint8_t *out)
{
	uint32_t n = 0, segs = 0;

	for (const struct rte_mbuf *m = h; m != NULL; m = m->next) {
		memcpy(out + n, rte_pktmbuf_mtod(m, const void *), m->data_len);
		n += m->data_len;
		segs++;
	}
	ck_assert_uint_eq(h->pkt_len, n);
	ck_assert_uint_eq(h->nb_segs, segs);
	return n;
}

static uint8_t payload[8192];

START_TEST(copy_and_spill)
{
	static uint8_t want[1 << 16], got[1 << 16];
	struct rs_frame_chain c = {0};
	struct rs_frame f;
	uint32_t wn = 0;
	static const uint32_t sizes[] = {0, 5, 150, 199, 200, 201, 1000, 4000};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int n, k;

		memset(&f, 0, sizeof(f));
		f.type = RS_FRAME_PAYLOAD;
		f.stream_id = 1 + 2 * i;
		f.flags = RS_FRAME_FLAG_N | RS_FRAME_FLAG_M;
		f.metadata = rs_frame_slice_of(payload + 100, i * 3);
		f.data = rs_frame_slice_of(payload, sizes[i]);
		n = rs_frame_chain_append(&c, pool, &f);
		k = rs_frame_encode(want + wn, sizeof(want) - wn, &f);
		ck_assert_int_eq(n, k);
		wn += (uint32_t)k;
	}
	ck_assert_uint_eq(chain_bytes(c.head, got), wn);
	ck_assert(memcmp(got, want, wn) == 0);
	ck_assert_uint_gt(c.head->nb_segs, wn / SEG_ROOM);
	/* The reader finds every frame again in the chain it was given. */
	{
		struct rs_frame_reader r;
		struct rs_frame g;
		unsigned frames = 0;
		int rc;

		rs_frame_reader_init(&r, RS_FRAME_LEN_MAX);
		rs_frame_reader_push(&r, c.head);
		while ((rc = rs_frame_reader_next(&r, &g)) > 0) {
			ck_assert_uint_eq(g.data.len, sizes[frames]);
			ck_assert(ct_slice_eq(&g.data, payload, sizes[frames]));
			frames++;
		}
		ck_assert_int_eq(rc, -EAGAIN);
		ck_assert_uint_eq(frames, sizeof(sizes) / sizeof(sizes[0]));
		rte_pktmbuf_free(rs_frame_reader_release(&r));
		ck_assert_ptr_null(rs_frame_reader_reset(&r));
	}
}
END_TEST

START_TEST(attach_payload)
{
	static uint8_t want[1 << 14], got[1 << 14];
	struct rs_frame_chain c = {0};
	struct rte_mbuf *d1, *d2;
	struct rs_frame f;
	uint32_t wn = 0;
	int n;

	/* A two-segment data chain, attached without copy. */
	d1 = rte_pktmbuf_alloc(pool);
	d2 = rte_pktmbuf_alloc(pool);
	memcpy(rte_pktmbuf_append(d1, 150), payload, 150);
	memcpy(rte_pktmbuf_append(d2, 60), payload + 150, 60);
	rte_pktmbuf_chain(d1, d2);

	memset(&f, 0, sizeof(f));
	f.type = RS_FRAME_PAYLOAD;
	f.stream_id = 5;
	f.flags = RS_FRAME_FLAG_N | RS_FRAME_FLAG_C | RS_FRAME_FLAG_M;
	f.metadata = rs_frame_slice_of("meta", 4);
	n = rs_frame_chain_append_attach(&c, pool, &f, NULL, d1);
	f.data = rs_frame_slice_of(payload, 210);
	ck_assert_int_eq(n, rs_frame_encode(want, sizeof(want), &f));
	wn += (uint32_t)n;
	ck_assert_ptr_eq(c.tail, d2);
	ck_assert(c.tail_attached);
	/* The next frame goes into a fresh segment; the attached ones keep their bytes. */
	n = rs_frame_chain_append(&c, pool, &f);
	ck_assert_int_eq(n, rs_frame_encode(want + wn, sizeof(want) - wn, &f));
	wn += (uint32_t)n;
	ck_assert_uint_eq(d2->data_len, 60);
	ck_assert_uint_eq(d1->data_len, 150);
	ck_assert_uint_eq(chain_bytes(c.head, got), wn);
	ck_assert(memcmp(got, want, wn) == 0);
	rte_pktmbuf_free(c.head);
}
END_TEST

START_TEST(attach_metadata_and_data)
{
	static uint8_t want[1 << 12], got[1 << 12];
	struct rs_frame_chain c = {0};
	struct rte_mbuf *md = rte_pktmbuf_alloc(pool), *d = rte_pktmbuf_alloc(pool);
	struct rs_frame f;
	int n;

	memcpy(rte_pktmbuf_append(md, 9),
	       "\xfe\x00\x00\x05\x04"
	       "echo",
	       9);
	memcpy(rte_pktmbuf_append(d, 2), "hi", 2);
	memset(&f, 0, sizeof(f));
	f.type = RS_FRAME_REQUEST_RESPONSE;
	f.stream_id = 1;
	f.flags = RS_FRAME_FLAG_M;
	n = rs_frame_chain_append_attach(&c, pool, &f, md, d);
	ck_assert_int_eq(n, 23);
	ck_assert_uint_eq(c.head->nb_segs, 3);
	ct_bytes("000014 00000001 1100 000009 fe 000005 04 'echo' 'hi'", want, sizeof(want));
	ck_assert_uint_eq(chain_bytes(c.head, got), 23);
	ck_assert(memcmp(got, want, 23) == 0);
	rte_pktmbuf_free(c.head);
}
END_TEST

START_TEST(attach_refused)
{
	struct rs_frame_chain c = {0};
	struct rte_mbuf *d = rte_pktmbuf_alloc(pool), *e = rte_pktmbuf_alloc(pool);
	struct rs_frame f;

	memcpy(rte_pktmbuf_append(d, 2), "hi", 2);
	memset(&f, 0, sizeof(f));
	f.type = RS_FRAME_REQUEST_N;
	f.stream_id = 1;
	f.request_n = 3;
	/* REQUEST_N has no data section, and metadata without M would be lost. */
	ck_assert_int_eq(rs_frame_chain_append_attach(&c, pool, &f, NULL, d), -EINVAL);
	f.type = RS_FRAME_PAYLOAD;
	f.flags = RS_FRAME_FLAG_N;
	ck_assert_int_eq(rs_frame_chain_append_attach(&c, pool, &f, d, NULL), -EINVAL);
	ck_assert_int_eq(rs_frame_chain_append_attach(&c, pool, &f, NULL, e), -EINVAL);
	ck_assert_int_eq(rs_frame_chain_append_attach(&c, pool, &f, d, d), -EINVAL);
	ck_assert_ptr_null(c.head);
	rte_pktmbuf_free(d);
	rte_pktmbuf_free(e);
}
END_TEST

/** The inline chain appenders write the same bytes as the buffer encoders, in place while the
 * tail has room and through the spilling path when it does not. */
START_TEST(inline_appenders)
{
	static uint8_t want[1 << 16], got[1 << 16];
	struct rs_frame_chain c = {0};
	struct rte_mbuf *d = rte_pktmbuf_alloc(pool);
	uint32_t wn = 0;
	int n, k;

	memcpy(rte_pktmbuf_append(d, 3), "att", 3);
	for (unsigned i = 0; i < 300; i++) {
		uint32_t dl = (i * 7) % 90;
		const void *md = (i % 3) ? payload + 500 : NULL;

		if (i == 150) {
			/* An attached tail: the next inline append must not write into it. */
			struct rs_frame f;

			memset(&f, 0, sizeof(f));
			f.type = RS_FRAME_PAYLOAD;
			f.stream_id = 1;
			f.flags = RS_FRAME_FLAG_N;
			n = rs_frame_chain_append_attach(&c, pool, &f, NULL, d);
			f.data = rs_frame_slice_of("att", 3);
			ck_assert_int_eq(n, rs_frame_encode(want + wn, sizeof(want) - wn, &f));
			wn += (uint32_t)n;
		}
		n = rs_frame_chain_append_payload(&c, pool, 2 * i + 1, RS_FRAME_FLAG_N, md, i % 5,
						  payload, dl);
		k = rs_frame_encode_payload(want + wn, sizeof(want) - wn, 2 * i + 1,
					    RS_FRAME_FLAG_N, md, i % 5, payload, dl);
		ck_assert_int_eq(n, k);
		wn += (uint32_t)k;
		n = rs_frame_chain_append_request_n(&c, pool, 2 * i + 1, i + 1);
		ck_assert_int_eq(n, 13);
		rs_frame_encode_request_n(want + wn, sizeof(want) - wn, 2 * i + 1, i + 1);
		wn += 13;
	}
	ck_assert_uint_eq(d->data_len, 3);
	ck_assert_int_eq(rs_frame_chain_append_payload(&c, pool, 1, 0, NULL, 0, "x", 1), -EINVAL);
	ck_assert_int_eq(rs_frame_chain_append_request_n(&c, pool, 1, 0), -EINVAL);
	ck_assert_uint_eq(chain_bytes(c.head, got), wn);
	ck_assert(memcmp(got, want, wn) == 0);
	rte_pktmbuf_free(c.head);
}
END_TEST

static int ext_freed;

static void
ext_free_cb(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
	ext_freed++;
}

/** Application memory attached without copy: an extbuf mbuf passed as the data segment. The
 * chain's bytes are the frame; the memory's free callback runs once the chain is freed. */
START_TEST(attach_external_memory)
{
	static uint8_t appmem[4096 + 64], want[8192], got[8192];
	struct rte_mbuf_ext_shared_info shinfo;
	struct rs_frame_chain c = {0};
	struct rte_mbuf *x = rte_pktmbuf_alloc(pool);
	struct rs_frame f;
	int n;

	memset(&shinfo, 0, sizeof(shinfo));
	shinfo.free_cb = ext_free_cb;
	rte_mbuf_ext_refcnt_set(&shinfo, 1);
	memcpy(appmem, payload, 4000);
	rte_pktmbuf_attach_extbuf(x, appmem, 0, 4000, &shinfo);
	rte_pktmbuf_append(x, 4000);
	ext_freed = 0;
	memset(&f, 0, sizeof(f));
	f.type = RS_FRAME_PAYLOAD;
	f.stream_id = 11;
	f.flags = RS_FRAME_FLAG_N | RS_FRAME_FLAG_C;
	n = rs_frame_chain_append_attach(&c, pool, &f, NULL, x);
	f.data = rs_frame_slice_of(appmem, 4000);
	ck_assert_int_eq(n, rs_frame_encode(want, sizeof(want), &f));
	ck_assert_uint_eq(chain_bytes(c.head, got), (uint32_t)n);
	ck_assert(memcmp(got, want, (size_t)n) == 0);
	/* A following frame is not written into the application's memory. */
	ck_assert_int_gt(rs_frame_chain_append(&c, pool, &f), 0);
	ck_assert(memcmp(appmem, payload, 4000) == 0);
	ck_assert_uint_eq(x->data_len, 4000);
	rte_pktmbuf_free(c.head);
	ck_assert_int_eq(ext_freed, 1);
}
END_TEST

/** Running the pool dry half-way leaves the chain byte-for-byte as it was. */
START_TEST(rollback_on_enomem)
{
	static uint8_t before[1 << 14], after[1 << 14];
	struct rte_mbuf *hold[512];
	struct rs_frame_chain c = {0};
	struct rte_mbuf *d = rte_pktmbuf_alloc(pool);
	struct rs_frame f;
	unsigned nh = 0;
	uint32_t bn, an;
	uint16_t segs;

	memcpy(rte_pktmbuf_append(d, 10), payload, 10);
	memset(&f, 0, sizeof(f));
	f.type = RS_FRAME_PAYLOAD;
	f.stream_id = 1;
	f.flags = RS_FRAME_FLAG_N;
	f.data = rs_frame_slice_of(payload, 300);
	ck_assert_int_gt(rs_frame_chain_append(&c, pool, &f), 0);
	bn = chain_bytes(c.head, before);
	segs = c.head->nb_segs;
	/* Leave 2 free segments: a 1,000-byte copy needs 5. */
	while (rte_mempool_avail_count(pool) > 2)
		hold[nh++] = rte_pktmbuf_alloc(pool);
	f.data = rs_frame_slice_of(payload, 1000);
	ck_assert_int_eq(rs_frame_chain_append(&c, pool, &f), -ENOMEM);
	ck_assert_uint_eq(rte_mempool_avail_count(pool), 2);
	an = chain_bytes(c.head, after);
	ck_assert_uint_eq(an, bn);
	ck_assert(memcmp(before, after, bn) == 0);
	ck_assert_uint_eq(c.head->nb_segs, segs);
	/* Same with an attached data chain: it is unlinked, not freed, and stays the caller's. */
	f.flags = RS_FRAME_FLAG_N | RS_FRAME_FLAG_M;
	f.metadata = rs_frame_slice_of(payload, 900);
	ck_assert_int_eq(rs_frame_chain_append_attach(&c, pool, &f, NULL, d), -ENOMEM);
	ck_assert_ptr_null(d->next);
	ck_assert_uint_eq(rte_mbuf_refcnt_read(d), 1);
	an = chain_bytes(c.head, after);
	ck_assert_uint_eq(an, bn);
	ck_assert(memcmp(before, after, bn) == 0);
	/* And with no pool at all once the tail is full. */
	ck_assert_int_eq(rs_frame_chain_append(&c, NULL, &f), -ENOMEM);
	ck_assert_uint_eq(chain_bytes(c.head, after), bn);
	while (nh > 0)
		rte_pktmbuf_free(hold[--nh]);
	rte_pktmbuf_free(d);
	rte_pktmbuf_free(c.head);
}
END_TEST

/** Every frame type appended through the chain encoder equals the buffer encoder. */
START_TEST(every_type)
{
	static uint8_t want[1 << 12], got[1 << 12];
	static const unsigned types[] = {RS_FRAME_SETUP,
					 RS_FRAME_LEASE,
					 RS_FRAME_KEEPALIVE,
					 RS_FRAME_REQUEST_RESPONSE,
					 RS_FRAME_REQUEST_FNF,
					 RS_FRAME_REQUEST_STREAM,
					 RS_FRAME_REQUEST_CHANNEL,
					 RS_FRAME_REQUEST_N,
					 RS_FRAME_CANCEL,
					 RS_FRAME_PAYLOAD,
					 RS_FRAME_ERROR,
					 RS_FRAME_METADATA_PUSH,
					 RS_FRAME_RESUME,
					 RS_FRAME_RESUME_OK,
					 RS_FRAME_EXT};
	struct rs_frame_chain c = {0};
	uint32_t wn = 0;

	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct rs_frame f;
		int n;

		memset(&f, 0, sizeof(f));
		f.type = (uint8_t)types[i];
		f.flags = RS_FRAME_FLAG_M | RS_FRAME_FLAG_N | RS_FRAME_FLAG_RESUME;
		f.stream_id = i;
		f.metadata = rs_frame_slice_of(payload, 33);
		f.data = rs_frame_slice_of(payload + 50, 77);
		if (f.type == RS_FRAME_SETUP) {
			f.setup.token = rs_frame_slice_of("tok", 3);
			f.setup.md_mime = rs_frame_slice_of("text/plain", 10);
			f.setup.data_mime = rs_frame_slice_of("text/plain", 10);
		} else if (f.type == RS_FRAME_RESUME) {
			f.resume.token = rs_frame_slice_of("tok", 3);
		} else {
			f.request_n = 9;
		}
		n = rs_frame_chain_append(&c, pool, &f);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(n, rs_frame_encode(want + wn, sizeof(want) - wn, &f));
		wn += (uint32_t)n;
	}
	ck_assert_uint_eq(chain_bytes(c.head, got), wn);
	ck_assert(memcmp(got, want, wn) == 0);
	rte_pktmbuf_free(c.head);
}
END_TEST

static Suite *
chain_suite(void)
{
	Suite *s = suite_create("codec_chain");
	TCase *t = tcase_create("mbuf");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, copy_and_spill);
	tcase_add_test(t, attach_payload);
	tcase_add_test(t, attach_metadata_and_data);
	tcase_add_test(t, attach_refused);
	tcase_add_test(t, inline_appenders);
	tcase_add_test(t, attach_external_memory);
	tcase_add_test(t, rollback_on_enomem);
	tcase_add_test(t, every_type);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	char prefix[32];
	char *argv[] = {"test_codec_chain",
			"-l",
			"0",
			"--no-huge",
			"-m",
			"128",
			"--no-pci",
			"--no-shconf",
			"--no-telemetry",
			"--log-level",
			"lib.*:error",
			"--file-prefix",
			prefix,
			NULL};
	SRunner *sr;
	int failed;

	snprintf(prefix, sizeof(prefix), "t%d", (int)getpid());
	if (rte_eal_init(13, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return EXIT_FAILURE;
	}
	pool = rte_pktmbuf_pool_create("codec_t", 255, 0, 0, SEG_ROOM + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "pool create failed\n");
		return EXIT_FAILURE;
	}
	for (size_t k = 0; k < sizeof(payload); k++)
		payload[k] = (uint8_t)(k * 11 + 1);
	sr = srunner_create(chain_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(pool);
	sk_test_eal_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
