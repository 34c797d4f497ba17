/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The general frame encoder: any frame type from a struct rs_frame view, into a caller buffer. The
 * frame is first described as a plan (codec_priv.h): staged bytes for the prefix, header, fixed
 * fields and length fields, and the caller's slices for tokens, MIME strings, metadata and data.
 * rs_frame_encode() copies the plan into a buffer; frame_mbuf.c copies or attaches it into an mbuf
 * chain. The inline encoders in rs/frame.h cover the hot stream frames without a plan.
 */
#include <string.h>

#include <rs/frame.h>

#include "codec_priv.h"

/** Reserve @p n staged bytes as a new part and return where to write them. */
static uint8_t *
rs_frame_plan_stage(struct rs_frame_plan *pl, uint32_t n)
{
	struct rs_frame_part *pt;
	uint8_t *w = pl->stage + pl->stage_len;

	/* Merge with the previous part when it is also staged and adjacent. */
	if (pl->n > 0 && pl->part[pl->n - 1].kind == RS_FRAME_PART_STAGED &&
	    pl->part[pl->n - 1].stage_off + pl->part[pl->n - 1].len == pl->stage_len) {
		pl->part[pl->n - 1].len += n;
	} else {
		pt = &pl->part[pl->n++];
		pt->kind = RS_FRAME_PART_STAGED;
		pt->stage_off = (uint16_t)pl->stage_len;
		pt->len = n;
		pt->slice = NULL;
	}
	pl->stage_len += n;
	pl->total += n;
	return w;
}

/** Add a slice part of @p len bytes (no part when empty). */
static void
rs_frame_plan_slice(struct rs_frame_plan *pl, enum rs_frame_part_kind kind,
		    const struct rs_frame_slice *s, uint32_t len)
{
	struct rs_frame_part *pt;

	if (len == 0)
		return;
	pt = &pl->part[pl->n++];
	pt->kind = (uint8_t)kind;
	pt->stage_off = 0;
	pt->len = len;
	pt->slice = s;
	pl->total += len;
}

/** [u24 md length + metadata if M] data. */
static void
rs_frame_plan_md_data(struct rs_frame_plan *pl, const struct rs_frame *f, uint32_t md_len,
		      uint32_t data_len)
{
	if (f->flags & RS_FRAME_FLAG_M) {
		rs_frame_put_u24(rs_frame_plan_stage(pl, 3), md_len);
		rs_frame_plan_slice(pl, RS_FRAME_PART_MD, &f->metadata, md_len);
	}
	rs_frame_plan_slice(pl, RS_FRAME_PART_DATA, &f->data, data_len);
}

int
rs_frame_plan_build(struct rs_frame_plan *pl, const struct rs_frame *f, uint32_t md_len,
		    uint32_t data_len)
{
	uint8_t *w;

	/* Sum of lengths must stay under 0xFFFFFF; slices are checked one by one first so the
	 * 32-bit total below cannot wrap. */
	if (md_len > RS_FRAME_LEN_MAX || data_len > RS_FRAME_LEN_MAX)
		return -EMSGSIZE;
	pl->n = 0;
	pl->total = 0;
	pl->stage_len = 0;
	w = rs_frame_plan_stage(pl, RS_FRAME_PREFIX_LEN + RS_FRAME_HDR_LEN);
	rs_frame_put_hdr(w + 3, f->stream_id, f->type, f->flags);

	switch (f->type) {
	case RS_FRAME_SETUP:
		w = rs_frame_plan_stage(pl, 12);
		rs_frame_put_u16(w, f->setup.major);
		rs_frame_put_u16(w + 2, f->setup.minor);
		rs_frame_put_u32(w + 4, f->setup.keepalive_ms & RS_FRAME_U31_MAX);
		rs_frame_put_u32(w + 8, f->setup.lifetime_ms & RS_FRAME_U31_MAX);
		if (f->flags & RS_FRAME_FLAG_RESUME) {
			if (f->setup.token.len > UINT16_MAX)
				return -EINVAL;
			rs_frame_put_u16(rs_frame_plan_stage(pl, 2), (uint16_t)f->setup.token.len);
			rs_frame_plan_slice(pl, RS_FRAME_PART_SLICE, &f->setup.token,
					    f->setup.token.len);
		}
		if (f->setup.md_mime.len > UINT8_MAX || f->setup.data_mime.len > UINT8_MAX)
			return -EINVAL;
		*rs_frame_plan_stage(pl, 1) = (uint8_t)f->setup.md_mime.len;
		rs_frame_plan_slice(pl, RS_FRAME_PART_SLICE, &f->setup.md_mime,
				    f->setup.md_mime.len);
		*rs_frame_plan_stage(pl, 1) = (uint8_t)f->setup.data_mime.len;
		rs_frame_plan_slice(pl, RS_FRAME_PART_SLICE, &f->setup.data_mime,
				    f->setup.data_mime.len);
		rs_frame_plan_md_data(pl, f, md_len, data_len);
		break;
	case RS_FRAME_LEASE:
		w = rs_frame_plan_stage(pl, 8);
		rs_frame_put_u32(w, f->lease.ttl_ms & RS_FRAME_U31_MAX);
		rs_frame_put_u32(w + 4, f->lease.n_requests & RS_FRAME_U31_MAX);
		if (f->flags & RS_FRAME_FLAG_M)
			rs_frame_plan_slice(pl, RS_FRAME_PART_MD, &f->metadata, md_len);
		break;
	case RS_FRAME_KEEPALIVE:
		rs_frame_put_u64(rs_frame_plan_stage(pl, 8), f->position & INT64_MAX);
		rs_frame_plan_slice(pl, RS_FRAME_PART_DATA, &f->data, data_len);
		break;
	case RS_FRAME_REQUEST_RESPONSE:
	case RS_FRAME_REQUEST_FNF:
	case RS_FRAME_PAYLOAD:
		rs_frame_plan_md_data(pl, f, md_len, data_len);
		break;
	case RS_FRAME_REQUEST_STREAM:
	case RS_FRAME_REQUEST_CHANNEL:
		rs_frame_put_u32(rs_frame_plan_stage(pl, 4), f->request_n & RS_FRAME_U31_MAX);
		rs_frame_plan_md_data(pl, f, md_len, data_len);
		break;
	case RS_FRAME_REQUEST_N:
		rs_frame_put_u32(rs_frame_plan_stage(pl, 4), f->request_n & RS_FRAME_U31_MAX);
		break;
	case RS_FRAME_CANCEL:
		break;
	case RS_FRAME_ERROR:
		rs_frame_put_u32(rs_frame_plan_stage(pl, 4), f->error_code);
		rs_frame_plan_slice(pl, RS_FRAME_PART_DATA, &f->data, data_len);
		break;
	case RS_FRAME_METADATA_PUSH:
		rs_frame_plan_slice(pl, RS_FRAME_PART_MD, &f->metadata, md_len);
		break;
	case RS_FRAME_RESUME:
		if (f->resume.token.len > UINT16_MAX)
			return -EINVAL;
		w = rs_frame_plan_stage(pl, 6);
		rs_frame_put_u16(w, f->resume.major);
		rs_frame_put_u16(w + 2, f->resume.minor);
		rs_frame_put_u16(w + 4, (uint16_t)f->resume.token.len);
		rs_frame_plan_slice(pl, RS_FRAME_PART_SLICE, &f->resume.token, f->resume.token.len);
		w = rs_frame_plan_stage(pl, 16);
		rs_frame_put_u64(w, f->resume.last_server_pos & INT64_MAX);
		rs_frame_put_u64(w + 8, f->resume.first_client_pos & INT64_MAX);
		break;
	case RS_FRAME_RESUME_OK:
		rs_frame_put_u64(rs_frame_plan_stage(pl, 8), f->position & INT64_MAX);
		break;
	case RS_FRAME_EXT:
		rs_frame_put_u32(rs_frame_plan_stage(pl, 4), f->ext_type & RS_FRAME_U31_MAX);
		rs_frame_plan_md_data(pl, f, md_len, data_len);
		break;
	default:
		return -EINVAL;
	}
	/* Every part fits in 32 bits (each slice <= 0xFFFFFF, at most 12 parts), so the total did
	 * not wrap; the frame itself must fit the u24 prefix. */
	if (pl->total - RS_FRAME_PREFIX_LEN > RS_FRAME_LEN_MAX)
		return -EMSGSIZE;
	rs_frame_put_u24(pl->stage, pl->total - RS_FRAME_PREFIX_LEN);
	return 0;
}

int
rs_frame_encoded_len(const struct rs_frame *f)
{
	struct rs_frame_plan pl;
	int rc = rs_frame_plan_build(&pl, f, f->metadata.len, f->data.len);

	return rc < 0 ? rc : (int)pl.total;
}

int
rs_frame_encode(uint8_t *buf, size_t cap, const struct rs_frame *f)
{
	struct rs_frame_plan pl;
	uint8_t *w = buf;
	unsigned i;
	int rc;

	if (f->metadata.len > RS_FRAME_LEN_MAX || f->data.len > RS_FRAME_LEN_MAX)
		return -EMSGSIZE;
	rc = rs_frame_plan_build(&pl, f, f->metadata.len, f->data.len);
	if (rc < 0)
		return rc;
	if (pl.total > cap)
		return -ENOSPC;
	for (i = 0; i < pl.n; i++) {
		const struct rs_frame_part *pt = &pl.part[i];

		if (pt->kind == RS_FRAME_PART_STAGED)
			memcpy(w, pl.stage + pt->stage_off, pt->len);
		else
			rs_frame_slice_gather(pt->slice, w, pt->len);
		w += pt->len;
	}
	return (int)pl.total;
}

int
rs_frame_encode_keepalive(uint8_t *buf, size_t cap, int respond, uint64_t position,
			  const void *data, uint32_t data_len)
{
	uint32_t body = RS_FRAME_KEEPALIVE_MIN_LEN + data_len;

	if (data_len > RS_FRAME_LEN_MAX - RS_FRAME_KEEPALIVE_MIN_LEN)
		return -EMSGSIZE;
	if ((size_t)body + RS_FRAME_PREFIX_LEN > cap)
		return -ENOSPC;
	rs_frame_put_u24(buf, body);
	rs_frame_put_hdr(buf + 3, 0, RS_FRAME_KEEPALIVE, respond ? RS_FRAME_FLAG_RESPOND : 0);
	rs_frame_put_u64(buf + 9, position & INT64_MAX);
	if (data_len)
		memcpy(buf + 17, data, data_len);
	return (int)(body + RS_FRAME_PREFIX_LEN);
}
