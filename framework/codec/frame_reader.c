/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The segmented frame reader: the engine pushes TCP payload mbufs into a struct rs_frame_reader as
 * they arrive and pulls complete frames out. The reader finds each u24 length prefix (gathering it
 * into scratch when it straddles a segment boundary), waits until the whole frame is buffered
 * ("need more" is -EAGAIN, nothing consumed), then views the frame in place: through the inline
 * decoder when the frame lies in one segment, through rs_frame_decode_any() with a list of pieces
 * when it straddles. Consumed segments are handed back by rs_frame_reader_release() for the engine
 * to free once it is done with the views. No copy of payload bytes, no allocation.
 */
#include <string.h>

#include <rte_mbuf.h>

#include <rs/frame.h>

void
rs_frame_reader_init(struct rs_frame_reader *r, uint32_t max_frame_len)
{
	memset(r, 0, sizeof(*r));
	r->max_frame_len = max_frame_len < RS_FRAME_LEN_MAX ? max_frame_len : RS_FRAME_LEN_MAX;
}

void
rs_frame_reader_push(struct rs_frame_reader *r, struct rte_mbuf *chain)
{
	struct rte_mbuf *last = chain;
	uint32_t bytes = 0, n = 0;

	if (chain == NULL)
		return;
	for (;;) {
		bytes += last->data_len;
		n++;
		if (last->next == NULL)
			break;
		last = last->next;
	}
	if (r->head == NULL) {
		r->head = chain;
		r->seg = chain;
		r->off = 0;
	} else {
		r->tail->next = chain;
	}
	r->tail = last;
	r->avail += bytes;
	r->nb_segs += n;
}

/** Advance (*seg, *off) by @p n bytes that are known to be buffered. */
static inline void
rs_frame_reader_skip(struct rte_mbuf **seg, uint32_t *off, uint32_t n)
{
	struct rte_mbuf *s = *seg;
	uint32_t o = *off;

	while (n > 0) {
		uint32_t room = s->data_len - o;

		if (n < room) {
			o += n;
			break;
		}
		n -= room;
		o = s->data_len;
		if (n == 0 || s->next == NULL)
			break;
		s = s->next;
		o = 0;
	}
	*seg = s;
	*off = o;
}

/** Copy @p n buffered bytes starting at (seg, off) into @p dst. */
static void
rs_frame_reader_gather(const struct rte_mbuf *seg, uint32_t off, uint32_t n, uint8_t *dst)
{
	while (n > 0) {
		uint32_t room = seg->data_len - off;
		uint32_t k = room < n ? room : n;

		memcpy(dst, rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), k);
		dst += k;
		n -= k;
		seg = seg->next;
		off = 0;
	}
}

int
rs_frame_reader_next_slow(struct rs_frame_reader *r, struct rs_frame *f)
{
	struct rte_mbuf *seg = r->seg;
	uint32_t off = r->off, room, frame_len, have;
	const uint8_t *p;
	int rc;

	if (r->avail < RS_FRAME_PREFIX_LEN)
		return -EAGAIN;
	/* Step over the ends of consumed and empty segments; avail > 0 guarantees data ahead. */
	while (off == seg->data_len) {
		seg = seg->next;
		off = 0;
	}
	r->seg = seg;
	r->off = off;
	p = rte_pktmbuf_mtod_offset(seg, const uint8_t *, off);
	room = seg->data_len - off;
	if (__builtin_expect(room >= RS_FRAME_PREFIX_LEN, 1)) {
		frame_len = rs_frame_get_u24(p);
	} else {
		rs_frame_reader_gather(seg, off, RS_FRAME_PREFIX_LEN, r->scratch);
		frame_len = rs_frame_get_u24(r->scratch);
	}
	if (__builtin_expect(frame_len > r->max_frame_len, 0)) {
		f->frame_len = frame_len;
		f->err = RS_FRAME_ERR_TOO_BIG;
		r->errors[RS_FRAME_ERR_TOO_BIG]++;
		return -EMSGSIZE;
	}
	if (r->avail - RS_FRAME_PREFIX_LEN < frame_len)
		return -EAGAIN;

	if (__builtin_expect(room >= RS_FRAME_PREFIX_LEN && room - RS_FRAME_PREFIX_LEN >= frame_len,
			     1)) {
		/* The whole frame lies in this segment: view it in place. */
		rc = rs_frame_decode_body(p + RS_FRAME_PREFIX_LEN, frame_len, f);
		r->off = off + RS_FRAME_PREFIX_LEN + frame_len;
	} else {
		/* It straddles: find the body's first piece, then decode over the pieces. */
		struct rte_mbuf *bseg = seg;
		uint32_t boff = off;

		r->gathers++;
		rs_frame_reader_skip(&bseg, &boff, RS_FRAME_PREFIX_LEN);
		while (boff == bseg->data_len && bseg->next != NULL) {
			bseg = bseg->next;
			boff = 0;
		}
		have = bseg->data_len - boff;
		have = have < frame_len ? have : frame_len;
		rc = rs_frame_decode_any(rte_pktmbuf_mtod_offset(bseg, const uint8_t *, boff), have,
					 have < frame_len ? bseg->next : NULL, frame_len, f);
		rs_frame_reader_skip(&bseg, &boff, frame_len);
		r->seg = bseg;
		r->off = boff;
	}
	r->avail -= RS_FRAME_PREFIX_LEN + frame_len;
	r->frames++;
	if (rc < 0) {
		r->errors[f->err]++;
		return rc;
	}
	return (int)(RS_FRAME_PREFIX_LEN + frame_len);
}

struct rte_mbuf *
rs_frame_reader_release(struct rs_frame_reader *r)
{
	struct rte_mbuf *stop = r->seg, *out = r->head, *m, *last = NULL;
	uint32_t off = r->off, n = 0, bytes = 0;

	if (out == NULL)
		return NULL;
	while (stop != NULL && off == stop->data_len) {
		stop = stop->next;
		off = 0;
	}
	if (stop == out)
		return NULL;
	for (m = out; m != stop; m = m->next) {
		n++;
		bytes += m->data_len;
		last = m;
	}
	last->next = NULL;
	r->head = stop;
	r->nb_segs -= n;
	if (stop == NULL) {
		r->tail = NULL;
		r->seg = NULL;
		r->off = 0;
	} else {
		r->seg = stop;
		r->off = off;
	}
	out->nb_segs = (uint16_t)n;
	out->pkt_len = bytes;
	return out;
}

struct rte_mbuf *
rs_frame_reader_reset(struct rs_frame_reader *r)
{
	struct rte_mbuf *out = r->head, *m;
	uint32_t n = 0, bytes = 0;

	for (m = out; m != NULL; m = m->next) {
		n++;
		bytes += m->data_len;
	}
	if (out != NULL) {
		out->nb_segs = (uint16_t)n;
		out->pkt_len = bytes;
	}
	r->head = r->tail = r->seg = NULL;
	r->off = 0;
	r->avail = 0;
	r->nb_segs = 0;
	return out;
}
