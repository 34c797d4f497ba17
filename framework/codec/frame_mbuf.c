/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encoding frames into mbuf chains: the engine builds one outgoing chain per connection per loop
 * iteration (struct rs_frame_chain) and appends frames to it. Bytes are written into the tail
 * segment's tailroom, spilling into fresh segments from the caller's pool when it fills. A payload
 * already held in mbufs (for instance a received request echoed back) can be attached instead of
 * copied: its segments are linked into the chain and never written into. A failed append (pool
 * empty) leaves the chain exactly as it was. Uses only mbuf inlines and the caller's mempool, no
 * EAL service.
 */
#include <string.h>

#include <rte_mbuf.h>

#include <rs/frame.h>

#include "codec_priv.h"

/** What to restore when an append fails half-way. */
struct rs_frame_chain_undo {
	struct rte_mbuf *tail;
	uint32_t pkt_len;
	uint16_t tail_len;
	uint16_t nb_segs;
	int tail_attached;
};

/** 1 when the tail may be written into: ours, direct, not shared, with tailroom. */
static inline int
rs_frame_chain_tail_ok(const struct rs_frame_chain *c)
{
	const struct rte_mbuf *t = c->tail;

	return t != NULL && !c->tail_attached && RTE_MBUF_DIRECT(t) &&
	       rte_mbuf_refcnt_read(t) == 1 && rte_pktmbuf_tailroom(t) > 0;
}

/** Add an empty segment from @p mp at the tail. */
static int
rs_frame_chain_grow(struct rs_frame_chain *c, struct rte_mempool *mp)
{
	struct rte_mbuf *m;

	if (mp == NULL || (m = rte_pktmbuf_alloc(mp)) == NULL)
		return -ENOMEM;
	if (rte_pktmbuf_tailroom(m) == 0) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	if (c->head == NULL) {
		c->head = m;
	} else {
		c->tail->next = m;
		c->head->nb_segs++;
	}
	c->tail = m;
	c->tail_attached = 0;
	return 0;
}

/** Copy @p n bytes at @p src to the end of the chain. */
static int
rs_frame_chain_write(struct rs_frame_chain *c, struct rte_mempool *mp, const uint8_t *src,
		     uint32_t n)
{
	while (n > 0) {
		uint32_t room, k;
		int rc;

		if (!rs_frame_chain_tail_ok(c)) {
			rc = rs_frame_chain_grow(c, mp);
			if (rc < 0)
				return rc;
		}
		room = rte_pktmbuf_tailroom(c->tail);
		k = room < n ? room : n;
		memcpy(rte_pktmbuf_mtod_offset(c->tail, uint8_t *, c->tail->data_len), src, k);
		c->tail->data_len += (uint16_t)k;
		c->head->pkt_len += k;
		src += k;
		n -= k;
	}
	return 0;
}

/** Copy @p len bytes of slice @p s (all its pieces) to the end of the chain. */
static int
rs_frame_chain_write_slice(struct rs_frame_chain *c, struct rte_mempool *mp,
			   const struct rs_frame_slice *s, uint32_t len)
{
	struct rs_frame_slice_it it;
	const uint8_t *p;
	uint32_t n;
	int rc;

	rs_frame_slice_it_init(&it, s);
	while (len > 0 && (n = rs_frame_slice_it_next(&it, &p)) > 0) {
		n = n < len ? n : len;
		rc = rs_frame_chain_write(c, mp, p, n);
		if (rc < 0)
			return rc;
		len -= n;
	}
	return 0;
}

/** Link chain @p a at the tail without copying. */
static void
rs_frame_chain_link(struct rs_frame_chain *c, struct rte_mbuf *a)
{
	struct rte_mbuf *m = a;
	uint32_t bytes = 0;
	uint16_t n = 0;

	for (;;) {
		bytes += m->data_len;
		n++;
		if (m->next == NULL)
			break;
		m = m->next;
	}
	c->tail->next = a;
	c->head->nb_segs += n;
	c->head->pkt_len += bytes;
	c->tail = m;
	c->tail_attached = 1;
}

/** Put the chain back as recorded in @p u, freeing the segments this append allocated and
 * unlinking (not freeing) the attached chains. */
static void
rs_frame_chain_rollback(struct rs_frame_chain *c, const struct rs_frame_chain_undo *u,
			struct rte_mbuf *md_seg, struct rte_mbuf *md_last,
			struct rte_mbuf *data_seg, struct rte_mbuf *data_last)
{
	struct rte_mbuf *cur, *nxt;

	if (u->tail == NULL) {
		cur = c->head;
		c->head = NULL;
	} else {
		cur = u->tail->next;
		u->tail->next = NULL;
		u->tail->data_len = u->tail_len;
		c->head->pkt_len = u->pkt_len;
		c->head->nb_segs = u->nb_segs;
	}
	c->tail = u->tail;
	c->tail_attached = u->tail_attached;
	while (cur != NULL) {
		if (cur == md_seg || cur == data_seg) {
			/* Its last segment was recorded before linking: lastseg() would run on
			 * into the segments linked after it. */
			struct rte_mbuf *last = cur == md_seg ? md_last : data_last;

			nxt = last->next;
			last->next = NULL;
		} else {
			nxt = cur->next;
			cur->next = NULL;
			rte_pktmbuf_free_seg(cur);
		}
		cur = nxt;
	}
}

/** Sum of data_len over a chain. */
static uint32_t
rs_frame_chain_bytes(const struct rte_mbuf *m)
{
	uint64_t n = 0;

	for (; m != NULL; m = m->next)
		n += m->data_len;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int
rs_frame_chain_append_attach(struct rs_frame_chain *c, struct rte_mempool *mp,
			     const struct rs_frame *f, struct rte_mbuf *md_seg,
			     struct rte_mbuf *data_seg)
{
	struct rte_mbuf *md_last, *data_last;
	struct rs_frame_chain_undo u;
	struct rs_frame_plan pl;
	uint32_t md_len = md_seg ? rs_frame_chain_bytes(md_seg) : f->metadata.len;
	uint32_t data_len = data_seg ? rs_frame_chain_bytes(data_seg) : f->data.len;
	int used_md = 0, used_data = 0;
	unsigned i;
	int rc;

	if (md_seg != NULL && md_seg == data_seg)
		return -EINVAL;
	if (md_len > RS_FRAME_LEN_MAX || data_len > RS_FRAME_LEN_MAX)
		return -EMSGSIZE;
	rc = rs_frame_plan_build(&pl, f, md_len, data_len);
	if (rc < 0)
		return rc;
	for (i = 0; i < pl.n; i++) {
		used_md |= pl.part[i].kind == RS_FRAME_PART_MD;
		used_data |= pl.part[i].kind == RS_FRAME_PART_DATA;
	}
	/* An attached chain must land in the frame: a part the type or flags do not carry (or an
	 * empty chain) would be lost. */
	if ((md_seg != NULL && !used_md) || (data_seg != NULL && !used_data))
		return -EINVAL;

	md_last = md_seg ? rte_pktmbuf_lastseg(md_seg) : NULL;
	data_last = data_seg ? rte_pktmbuf_lastseg(data_seg) : NULL;
	u.tail = c->tail;
	u.tail_len = c->tail ? c->tail->data_len : 0;
	u.pkt_len = c->head ? c->head->pkt_len : 0;
	u.nb_segs = c->head ? c->head->nb_segs : 0;
	u.tail_attached = c->tail_attached;
	for (i = 0; i < pl.n; i++) {
		const struct rs_frame_part *pt = &pl.part[i];

		if (pt->kind == RS_FRAME_PART_STAGED) {
			rc = rs_frame_chain_write(c, mp, pl.stage + pt->stage_off, pt->len);
		} else if (pt->kind == RS_FRAME_PART_MD && md_seg != NULL) {
			rs_frame_chain_link(c, md_seg);
			rc = 0;
		} else if (pt->kind == RS_FRAME_PART_DATA && data_seg != NULL) {
			rs_frame_chain_link(c, data_seg);
			rc = 0;
		} else {
			rc = rs_frame_chain_write_slice(c, mp, pt->slice, pt->len);
		}
		if (rc < 0) {
			rs_frame_chain_rollback(c, &u, md_seg, md_last, data_seg, data_last);
			return rc;
		}
	}
	return (int)pl.total;
}

int
rs_frame_chain_append(struct rs_frame_chain *c, struct rte_mempool *mp, const struct rs_frame *f)
{
	return rs_frame_chain_append_attach(c, mp, f, NULL, NULL);
}
