/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The general frame decoder: every RSocket 1.0 frame type, over a frame that is contiguous or that
 * straddles mbuf segments. rs_frame_decode_body() (rs/frame.h) handles the stream frames inline and
 * calls rs_frame_decode_any() for the rest; the segmented reader (frame_reader.c) calls it for
 * every frame that does not sit in one segment. Fixed-width fields that straddle a segment boundary
 * are gathered into a few bytes on the stack; metadata, data, tokens and MIME strings become slices
 * that point into the segments. Nothing is read beyond the frame's bytes. Also: slice iteration
 * helpers and the names of types and error reasons.
 */
#include <string.h>

#include <rte_mbuf.h>

#include <rs/frame.h>

#include "codec_priv.h"

/** Where a frame's bytes are: @c have bytes at @c p, then the data of @c next, next->next, ... */
struct rs_frame_src {
	const uint8_t *p;
	uint32_t have;
	const struct rte_mbuf *next;
	uint32_t len;
};

/** Copy bytes [off, off + n) of the frame into @p dst. The caller guarantees off + n <= len. */
static void
rs_frame_src_gather(const struct rs_frame_src *s, uint32_t off, uint32_t n, uint8_t *dst)
{
	const struct rte_mbuf *seg = s->next;
	const uint8_t *pc = s->p;
	uint32_t pos = 0, plen = s->have;

	while (n > 0) {
		if (off < pos + plen) {
			uint32_t k = pos + plen - off;

			k = k < n ? k : n;
			memcpy(dst, pc + (off - pos), k);
			dst += k;
			off += k;
			n -= k;
		}
		if (n == 0 || seg == NULL)
			break;
		pos += plen;
		pc = rte_pktmbuf_mtod(seg, const uint8_t *);
		plen = seg->data_len;
		seg = seg->next;
	}
}

/** Pointer to @p n (<= 8) contiguous bytes at @p off: in place, or gathered into @p tmp. */
static inline const uint8_t *
rs_frame_src_peek(const struct rs_frame_src *s, uint32_t off, uint32_t n, uint8_t *tmp)
{
	if (__builtin_expect(off + n <= s->have, 1))
		return s->p + off;
	rs_frame_src_gather(s, off, n, tmp);
	return tmp;
}

/** The slice of bytes [off, off + n) of the frame. The caller guarantees off + n <= len. */
static void
rs_frame_src_slice(const struct rs_frame_src *s, uint32_t off, uint32_t n,
		   struct rs_frame_slice *out)
{
	const struct rte_mbuf *seg = s->next;
	uint32_t pos, room;

	out->len = n;
	if (off + n <= s->have || n == 0) {
		out->ptr = s->p + (off < s->have ? off : s->have);
		out->ptr_len = n;
		out->next = NULL;
		return;
	}
	if (off < s->have) {
		out->ptr = s->p + off;
		out->ptr_len = s->have - off;
		out->next = seg;
		return;
	}
	/* Starts in a later segment: skip whole segments (and empty ones). */
	pos = s->have;
	while (seg != NULL && off >= pos + seg->data_len) {
		pos += seg->data_len;
		seg = seg->next;
	}
	if (seg == NULL) { /* cannot happen when off + n <= len; keep the view empty */
		out->ptr = s->p;
		out->len = out->ptr_len = 0;
		out->next = NULL;
		return;
	}
	room = seg->data_len - (off - pos);
	out->ptr = rte_pktmbuf_mtod_offset(seg, const uint8_t *, off - pos);
	if (room >= n) {
		out->ptr_len = n;
		out->next = NULL;
	} else {
		out->ptr_len = room;
		out->next = seg->next;
	}
}

static inline int
rs_frame_any_bad(struct rs_frame *f, enum rs_frame_err why)
{
	f->err = (uint8_t)why;
	return -EBADMSG;
}

/** Metadata (with u24 length if M) and data from offset @p off to the end. */
static int
rs_frame_any_md_data(const struct rs_frame_src *s, uint32_t off, struct rs_frame *f)
{
	uint8_t tmp[8] = {0};

	if (f->flags & RS_FRAME_FLAG_M) {
		uint32_t md_len;

		if (s->len - off < RS_FRAME_MDLEN_LEN)
			return rs_frame_any_bad(f, RS_FRAME_ERR_METADATA_LEN);
		md_len = rs_frame_get_u24(rs_frame_src_peek(s, off, 3, tmp));
		off += RS_FRAME_MDLEN_LEN;
		if (md_len > s->len - off)
			return rs_frame_any_bad(f, RS_FRAME_ERR_METADATA_LEN);
		rs_frame_src_slice(s, off, md_len, &f->metadata);
		off += md_len;
	} else {
		rs_frame_src_slice(s, off, 0, &f->metadata);
	}
	rs_frame_src_slice(s, off, s->len - off, &f->data);
	return (int)s->len;
}

/** No metadata; data is the rest of the frame from @p off. */
static int
rs_frame_any_data(const struct rs_frame_src *s, uint32_t off, struct rs_frame *f)
{
	rs_frame_src_slice(s, off, 0, &f->metadata);
	rs_frame_src_slice(s, off, s->len - off, &f->data);
	return (int)s->len;
}

/** u8-length-prefixed string at *off (SETUP MIME types). */
static int
rs_frame_any_str8(const struct rs_frame_src *s, uint32_t *off, struct rs_frame_slice *out,
		  struct rs_frame *f)
{
	uint8_t tmp[8] = {0};
	uint32_t n;

	if (s->len - *off < 1)
		return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
	n = *rs_frame_src_peek(s, *off, 1, tmp);
	*off += 1;
	if (n > s->len - *off)
		return rs_frame_any_bad(f, RS_FRAME_ERR_METADATA_LEN);
	rs_frame_src_slice(s, *off, n, out);
	*off += n;
	return 0;
}

/** SETUP (RSOCKET.md 2.1). */
static int
rs_frame_any_setup(const struct rs_frame_src *s, struct rs_frame *f)
{
	uint8_t tmp[8] = {0};
	const uint8_t *q;
	uint32_t off = 18;
	int rc;

	if (s->len < RS_FRAME_SETUP_MIN_LEN)
		return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
	if (f->stream_id != 0)
		return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
	q = rs_frame_src_peek(s, 6, 4, tmp);
	f->setup.major = rs_frame_get_u16(q);
	f->setup.minor = rs_frame_get_u16(q + 2);
	f->setup.keepalive_ms =
		rs_frame_get_u32(rs_frame_src_peek(s, 10, 4, tmp)) & RS_FRAME_U31_MAX;
	f->setup.lifetime_ms =
		rs_frame_get_u32(rs_frame_src_peek(s, 14, 4, tmp)) & RS_FRAME_U31_MAX;
	if (f->flags & RS_FRAME_FLAG_RESUME) {
		uint32_t tlen;

		if (s->len - off < 2)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		tlen = rs_frame_get_u16(rs_frame_src_peek(s, off, 2, tmp));
		off += 2;
		if (tlen > s->len - off)
			return rs_frame_any_bad(f, RS_FRAME_ERR_METADATA_LEN);
		rs_frame_src_slice(s, off, tlen, &f->setup.token);
		off += tlen;
	} else {
		rs_frame_src_slice(s, off, 0, &f->setup.token);
	}
	rc = rs_frame_any_str8(s, &off, &f->setup.md_mime, f);
	if (rc < 0)
		return rc;
	rc = rs_frame_any_str8(s, &off, &f->setup.data_mime, f);
	if (rc < 0)
		return rc;
	rc = rs_frame_any_md_data(s, off, f);
	if (rc < 0)
		return rc;
	/* RSOCKET.md 2.1: both times must be > 0. The version is the engine's call. */
	if (f->setup.keepalive_ms == 0 || f->setup.lifetime_ms == 0)
		return rs_frame_any_bad(f, RS_FRAME_ERR_VALUE);
	return rc;
}

/** RESUME (RSOCKET.md 2.12). */
static int
rs_frame_any_resume(const struct rs_frame_src *s, struct rs_frame *f)
{
	uint8_t tmp[8] = {0};
	const uint8_t *q;
	uint32_t off = 12, tlen;

	if (s->len < 12)
		return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
	if (f->stream_id != 0)
		return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
	q = rs_frame_src_peek(s, 6, 4, tmp);
	f->resume.major = rs_frame_get_u16(q);
	f->resume.minor = rs_frame_get_u16(q + 2);
	tlen = rs_frame_get_u16(rs_frame_src_peek(s, 10, 2, tmp));
	if (tlen > s->len - off)
		return rs_frame_any_bad(f, RS_FRAME_ERR_METADATA_LEN);
	rs_frame_src_slice(s, off, tlen, &f->resume.token);
	off += tlen;
	if (s->len - off < 16)
		return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
	f->resume.last_server_pos = rs_frame_get_u64(rs_frame_src_peek(s, off, 8, tmp)) & INT64_MAX;
	f->resume.first_client_pos =
		rs_frame_get_u64(rs_frame_src_peek(s, off + 8, 8, tmp)) & INT64_MAX;
	/* Trailing bytes after the fixed fields are ignored (RSOCKET.md 4.8: be lenient). */
	return rs_frame_any_data(s, s->len, f);
}

int
rs_frame_decode_any(const uint8_t *p, uint32_t have, const struct rte_mbuf *next,
		    uint32_t frame_len, struct rs_frame *f)
{
	struct rs_frame_src s = {p, have < frame_len ? have : frame_len, next, frame_len};
	uint8_t tmp[8] = {0};
	const uint8_t *h;
	uint16_t tf;

	f->frame_len = frame_len;
	f->err = RS_FRAME_OK;
	if (frame_len < RS_FRAME_HDR_LEN) {
		f->type = RS_FRAME_RESERVED;
		f->flags = 0;
		f->stream_id = 0;
		return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
	}
	f->stream_id = rs_frame_get_u32(rs_frame_src_peek(&s, 0, 4, tmp)) & RS_FRAME_U31_MAX;
	h = rs_frame_src_peek(&s, 4, 2, tmp);
	tf = rs_frame_get_u16(h);
	f->type = (uint8_t)(tf >> RS_FRAME_TYPE_SHIFT);
	f->flags = tf & RS_FRAME_FLAGS_MASK;

	switch (f->type) {
	case RS_FRAME_SETUP:
		return rs_frame_any_setup(&s, f);
	case RS_FRAME_LEASE:
		if (frame_len < RS_FRAME_LEASE_MIN_LEN)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		if (f->stream_id != 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		f->lease.ttl_ms =
			rs_frame_get_u32(rs_frame_src_peek(&s, 6, 4, tmp)) & RS_FRAME_U31_MAX;
		f->lease.n_requests =
			rs_frame_get_u32(rs_frame_src_peek(&s, 10, 4, tmp)) & RS_FRAME_U31_MAX;
		/* Metadata without a length field, the rest of the frame (RSOCKET.md 2.2). */
		rs_frame_src_slice(&s, 14, (f->flags & RS_FRAME_FLAG_M) ? frame_len - 14 : 0,
				   &f->metadata);
		rs_frame_src_slice(&s, frame_len, 0, &f->data);
		return (int)frame_len;
	case RS_FRAME_KEEPALIVE:
		if (frame_len < RS_FRAME_KEEPALIVE_MIN_LEN)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		if (f->stream_id != 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		f->position = rs_frame_get_u64(rs_frame_src_peek(&s, 6, 8, tmp)) & INT64_MAX;
		return rs_frame_any_data(&s, 14, f);
	case RS_FRAME_REQUEST_RESPONSE:
	case RS_FRAME_REQUEST_FNF:
		if (f->stream_id == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		return rs_frame_any_md_data(&s, RS_FRAME_HDR_LEN, f);
	case RS_FRAME_REQUEST_STREAM:
	case RS_FRAME_REQUEST_CHANNEL:
		if (frame_len < RS_FRAME_HDR_LEN + 4)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		if (f->stream_id == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		f->request_n =
			rs_frame_get_u32(rs_frame_src_peek(&s, 6, 4, tmp)) & RS_FRAME_U31_MAX;
		if (f->request_n == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_VALUE);
		return rs_frame_any_md_data(&s, RS_FRAME_HDR_LEN + 4, f);
	case RS_FRAME_REQUEST_N:
		if (frame_len < RS_FRAME_REQUEST_N_LEN)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		if (f->stream_id == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		f->request_n =
			rs_frame_get_u32(rs_frame_src_peek(&s, 6, 4, tmp)) & RS_FRAME_U31_MAX;
		if (f->request_n == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_VALUE);
		rs_frame_src_slice(&s, RS_FRAME_REQUEST_N_LEN, 0, &f->metadata);
		rs_frame_src_slice(&s, RS_FRAME_REQUEST_N_LEN, 0, &f->data);
		return (int)frame_len;
	case RS_FRAME_CANCEL:
		if (f->stream_id == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		rs_frame_src_slice(&s, RS_FRAME_CANCEL_LEN, 0, &f->metadata);
		rs_frame_src_slice(&s, RS_FRAME_CANCEL_LEN, 0, &f->data);
		return (int)frame_len;
	case RS_FRAME_PAYLOAD:
		if (f->stream_id == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		if (!(f->flags & (RS_FRAME_FLAG_N | RS_FRAME_FLAG_C)))
			return rs_frame_any_bad(f, RS_FRAME_ERR_FLAGS);
		return rs_frame_any_md_data(&s, RS_FRAME_HDR_LEN, f);
	case RS_FRAME_ERROR:
		if (frame_len < RS_FRAME_ERROR_MIN_LEN)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		f->error_code = rs_frame_get_u32(rs_frame_src_peek(&s, 6, 4, tmp));
		return rs_frame_any_data(&s, RS_FRAME_ERROR_MIN_LEN, f);
	case RS_FRAME_METADATA_PUSH:
		if (f->stream_id != 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		rs_frame_src_slice(&s, RS_FRAME_HDR_LEN, frame_len - RS_FRAME_HDR_LEN,
				   &f->metadata);
		rs_frame_src_slice(&s, frame_len, 0, &f->data);
		/* RSOCKET.md 2.11: M is always 1. rsocket-js 0.0.27 sends M=0: the views are
		 * filled anyway so an engine that chooses to be lenient can use them. */
		if (!(f->flags & RS_FRAME_FLAG_M))
			return rs_frame_any_bad(f, RS_FRAME_ERR_FLAGS);
		return (int)frame_len;
	case RS_FRAME_RESUME:
		return rs_frame_any_resume(&s, f);
	case RS_FRAME_RESUME_OK:
		if (frame_len < RS_FRAME_RESUME_OK_LEN)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		if (f->stream_id != 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_STREAM_ID);
		f->position = rs_frame_get_u64(rs_frame_src_peek(&s, 6, 8, tmp)) & INT64_MAX;
		return rs_frame_any_data(&s, frame_len, f);
	case RS_FRAME_EXT:
		if (frame_len < RS_FRAME_EXT_MIN_LEN)
			return rs_frame_any_bad(f, RS_FRAME_ERR_TOO_SHORT);
		f->ext_type = rs_frame_get_u32(rs_frame_src_peek(&s, 6, 4, tmp)) & RS_FRAME_U31_MAX;
		if (f->ext_type == 0)
			return rs_frame_any_bad(f, RS_FRAME_ERR_VALUE);
		/* rsocket-java's layout: [u24 md len + md if M] data (RSOCKET.md 10.14). */
		return rs_frame_any_md_data(&s, RS_FRAME_EXT_MIN_LEN, f);
	default:
		/* RSOCKET.md 1.2: unknown type, ignorable only with I=1. */
		return rs_frame_any_bad(f, (f->flags & RS_FRAME_FLAG_I)
						   ? RS_FRAME_ERR_UNKNOWN_IGNORE
						   : RS_FRAME_ERR_UNKNOWN_TYPE);
	}
}

void
rs_frame_slice_it_init(struct rs_frame_slice_it *it, const struct rs_frame_slice *s)
{
	it->ptr = s->ptr;
	it->n = s->ptr_len;
	it->left = s->len - s->ptr_len;
	it->seg = s->next;
}

uint32_t
rs_frame_slice_it_next(struct rs_frame_slice_it *it, const uint8_t **p)
{
	uint32_t n;

	while (it->n == 0) {
		if (it->left == 0 || it->seg == NULL)
			return 0;
		n = it->seg->data_len < it->left ? it->seg->data_len : it->left;
		it->ptr = rte_pktmbuf_mtod(it->seg, const uint8_t *);
		it->n = n;
		it->left -= n;
		it->seg = it->seg->next;
	}
	*p = it->ptr;
	n = it->n;
	it->n = 0;
	return n;
}

void
rs_frame_slice_gather(const struct rs_frame_slice *s, uint8_t *dst, uint32_t len)
{
	struct rs_frame_slice_it it;
	const uint8_t *p;
	uint32_t n;

	rs_frame_slice_it_init(&it, s);
	while (len > 0 && (n = rs_frame_slice_it_next(&it, &p)) > 0) {
		n = n < len ? n : len;
		memcpy(dst, p, n);
		dst += n;
		len -= n;
	}
}

uint32_t
rs_frame_slice_copy(const struct rs_frame_slice *s, void *dst, uint32_t cap)
{
	uint32_t n = s->len < cap ? s->len : cap;

	rs_frame_slice_gather(s, dst, n);
	return n;
}

const char *
rs_frame_type_name(unsigned type)
{
	static const char *const names[] = {
		[RS_FRAME_RESERVED] = "RESERVED",
		[RS_FRAME_SETUP] = "SETUP",
		[RS_FRAME_LEASE] = "LEASE",
		[RS_FRAME_KEEPALIVE] = "KEEPALIVE",
		[RS_FRAME_REQUEST_RESPONSE] = "REQUEST_RESPONSE",
		[RS_FRAME_REQUEST_FNF] = "REQUEST_FNF",
		[RS_FRAME_REQUEST_STREAM] = "REQUEST_STREAM",
		[RS_FRAME_REQUEST_CHANNEL] = "REQUEST_CHANNEL",
		[RS_FRAME_REQUEST_N] = "REQUEST_N",
		[RS_FRAME_CANCEL] = "CANCEL",
		[RS_FRAME_PAYLOAD] = "PAYLOAD",
		[RS_FRAME_ERROR] = "ERROR",
		[RS_FRAME_METADATA_PUSH] = "METADATA_PUSH",
		[RS_FRAME_RESUME] = "RESUME",
		[RS_FRAME_RESUME_OK] = "RESUME_OK",
	};

	if (type == RS_FRAME_EXT)
		return "EXT";
	if (type < sizeof(names) / sizeof(names[0]) && names[type] != NULL)
		return names[type];
	return "UNKNOWN";
}

const char *
rs_frame_err_name(unsigned err)
{
	static const char *const names[RS_FRAME_ERR_MAX] = {
		[RS_FRAME_OK] = "OK",
		[RS_FRAME_ERR_TOO_SHORT] = "TOO_SHORT",
		[RS_FRAME_ERR_METADATA_LEN] = "METADATA_LEN",
		[RS_FRAME_ERR_STREAM_ID] = "STREAM_ID",
		[RS_FRAME_ERR_UNKNOWN_TYPE] = "UNKNOWN_TYPE",
		[RS_FRAME_ERR_UNKNOWN_IGNORE] = "UNKNOWN_IGNORE",
		[RS_FRAME_ERR_FLAGS] = "FLAGS",
		[RS_FRAME_ERR_TOO_BIG] = "TOO_BIG",
		[RS_FRAME_ERR_VALUE] = "VALUE",
	};

	return err < RS_FRAME_ERR_MAX ? names[err] : "UNKNOWN";
}
