/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the frame decoder and the segmented reader. The first input byte seeds how
 * the rest is cut into segments (each copied into its own exact-size heap buffer so ASan sees any
 * read past a segment); the reader pulls every frame out. Properties checked for each frame:
 * the reader agrees with the contiguous decoder on the same bytes, a frame that decodes re-encodes
 * to a frame that decodes to the same fields, and nothing reads outside the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <rs/frame.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_SEGS 64

static void
fz_fail(void)
{
	abort();
}

/** Compare the scalar fields and slice contents of two good views. */
static void
fz_same(const struct rs_frame *a, const struct rs_frame *b)
{
	static uint8_t x[1 << 16], y[1 << 16];
	uint32_t n;

	if (a->err != b->err || a->frame_len != b->frame_len)
		fz_fail();
	if (a->err == RS_FRAME_ERR_TOO_BIG)
		return;
	if (a->type != b->type || a->flags != b->flags || a->stream_id != b->stream_id)
		fz_fail();
	if (a->err != RS_FRAME_OK)
		return;
	if (a->metadata.len != b->metadata.len || a->data.len != b->data.len)
		fz_fail();
	n = rs_frame_slice_copy(&a->metadata, x, sizeof(x));
	if (rs_frame_slice_copy(&b->metadata, y, sizeof(y)) != n || memcmp(x, y, n) != 0)
		fz_fail();
	n = rs_frame_slice_copy(&a->data, x, sizeof(x));
	if (rs_frame_slice_copy(&b->data, y, sizeof(y)) != n || memcmp(x, y, n) != 0)
		fz_fail();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[1 << 17];
	struct rte_mbuf *segs[FZ_MAX_SEGS];
	uint8_t *bufs[FZ_MAX_SEGS];
	struct rs_frame_reader r;
	struct rs_frame_limits lim;
	unsigned nseg = 0, i;
	uint8_t seed;
	size_t off = 0;
	int rc;

	if (size < 2 || size > 60000)
		return 0;
	seed = data[0];
	data++;
	size--;
	lim.max_frame_len = (seed & 0x80) ? 4096 : RS_FRAME_LEN_MAX;
	rs_frame_reader_init(&r, lim.max_frame_len);
	/* Cut the input: segment sizes follow the seed (1..8 or 1..256 bytes, or all at once). */
	while (off < size && nseg < FZ_MAX_SEGS) {
		size_t len = size - off;
		struct rte_mbuf *m;

		if ((seed & 3) == 1)
			len = 1 + (seed >> 2 & 7) + nseg % 3;
		else if ((seed & 3) == 2)
			len = 1 + ((seed * 31u + nseg * 17u) & 0xff);
		if (len > size - off || nseg == FZ_MAX_SEGS - 1)
			len = size - off;
		bufs[nseg] = malloc(len ? len : 1);
		memcpy(bufs[nseg], data + off, len);
		m = aligned_alloc(64, sizeof(*m)); /* struct rte_mbuf is cache-aligned */
		memset(m, 0, sizeof(*m));
		m->buf_addr = bufs[nseg];
		m->buf_len = (uint16_t)len;
		m->data_len = (uint16_t)len;
		m->nb_segs = 1;
		rte_mbuf_refcnt_set(m, 1);
		segs[nseg++] = m;
		rs_frame_reader_push(&r, m);
		off += len;
	}
	off = 0;
	for (;;) {
		struct rs_frame f, g;

		rc = rs_frame_reader_next(&r, &f);
		if (rc == -EAGAIN || rc == -EMSGSIZE) {
			int rc2 = rs_frame_decode(data + off, size - off, &lim, &g);

			if (rc2 != rc)
				fz_fail();
			break;
		}
		/* The contiguous decoder must agree on the same bytes. */
		if (rs_frame_decode(data + off, size - off, &lim, &g) != rc)
			fz_fail();
		fz_same(&f, &g);
		if (rc > 0) {
			int n = rs_frame_encode(enc, sizeof(enc), &f);

			if (n > 0) {
				struct rs_frame h;
				const struct rs_frame_limits big = {RS_FRAME_LEN_MAX};

				if (rs_frame_decode(enc, (size_t)n, &big, &h) != n)
					fz_fail();
				if (h.type != f.type || h.metadata.len != f.metadata.len ||
				    h.data.len != f.data.len)
					fz_fail();
			} else if (n != -ENOSPC) {
				fz_fail();
			}
			off += (size_t)rc;
		} else {
			off += RS_FRAME_PREFIX_LEN + f.frame_len;
		}
		(void)rs_frame_reader_release(&r);
	}
	rs_frame_reader_reset(&r);
	for (i = 0; i < nseg; i++) {
		free(bufs[i]);
		free(segs[i]);
	}
	return 0;
}
