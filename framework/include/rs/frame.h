/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSocket 1.0 frame codec: a flyweight decoder that views frames in place, a segmented reader
 * that finds frames in a chain of TCP payload mbufs, and encoders that write frames into caller
 * buffers or append them to mbuf chains. The codec knows nothing of connections or TCP and needs no
 * EAL at run time (only mbuf layouts, and a caller's mempool when an mbuf append must spill).
 *
 * Call chain: the engine's data() upcall pushes received mbufs into its struct rs_frame_reader and
 * pulls frames with rs_frame_reader_next(); handlers' answers go through rs_frame_encode_*() into a
 * struct rs_frame_chain that the engine hands to dp_stream_send().
 *
 * Return convention (STYLE.md, picohttpparser): decoders return >= 0 bytes consumed, -EAGAIN when
 * more input is needed, -EBADMSG for a malformed frame (the reason is in rs_frame.err, the frame is
 * skippable: frame_len is known), -EMSGSIZE when the length prefix exceeds the configured maximum
 * (the stream cannot be resynchronised). Encoders return bytes written, -ENOSPC when the buffer is
 * too small, -EMSGSIZE when the frame would exceed the u24 length, -EINVAL for an argument out of
 * range.
 *
 * Small frames (REQUEST_*, REQUEST_N, CANCEL, PAYLOAD) decode and encode through static inline fast
 * paths below; the other types and frames that straddle segments go through framework/codec/.
 * Every function may be called from any core; none keeps hidden state.
 */
#ifndef RS_FRAME_H
#define RS_FRAME_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf_core.h>

#include <rs/proto/frame.h>

struct rte_mempool;

/**
 * Why a frame was rejected. Each maps to one reaction the engine takes (RSOCKET.md 4.8):
 * the comment says which ERROR frame the spec prescribes.
 */
enum rs_frame_err {
	RS_FRAME_OK = 0,
	/** Frame (or its length prefix) shorter than the header or its type's fixed fields.
	 * ERROR[CONNECTION_ERROR], close (ERROR[INVALID_SETUP] if it was the first frame). */
	RS_FRAME_ERR_TOO_SHORT,
	/** A u24 metadata length, token length or MIME length runs past the end of the frame.
	 * ERROR[CONNECTION_ERROR] and close, unless I=1 on the frame (then ignore it). */
	RS_FRAME_ERR_METADATA_LEN,
	/** Stream id illegal for the type (RSOCKET.md 1.4): 0 on a stream frame, > 0 on a
	 * connection frame. PAYLOAD/CANCEL/ERROR for stream 0 and METADATA_PUSH on a stream are
	 * ignored; SETUP or RESUME with stream > 0 gets ERROR[INVALID_SETUP]. */
	RS_FRAME_ERR_STREAM_ID,
	/** Unknown frame type with I=0. May send ERROR[CONNECTION_ERROR] and close. */
	RS_FRAME_ERR_UNKNOWN_TYPE,
	/** Unknown frame type with I=1. Ignore the frame (no error is sent). */
	RS_FRAME_ERR_UNKNOWN_IGNORE,
	/** Illegal flag combination: PAYLOAD with neither N nor C, METADATA_PUSH without M.
	 * Stream-level: ignore, or ERROR[INVALID] on the stream (RSOCKET.md 10.11). For
	 * METADATA_PUSH without M (rsocket-js 0.0.27 sends it) the metadata and data views are
	 * filled all the same, so the engine may choose to be lenient (RSOCKET.md 4.8). */
	RS_FRAME_ERR_FLAGS,
	/** Frame length over the configured maximum. ERROR[CONNECTION_ERROR] and close. */
	RS_FRAME_ERR_TOO_BIG,
	/** A field outside its legal range: request-n 0, SETUP keepalive or lifetime 0, EXT type 0.
	 * Stream-level ERROR[INVALID] (RSOCKET.md 10.11); for SETUP, ERROR[INVALID_SETUP]. */
	RS_FRAME_ERR_VALUE,
	RS_FRAME_ERR_MAX,
};

/**
 * A view of metadata, data or a string field inside received bytes. Contiguous in the common case
 * (ptr_len == len, next == NULL). When the bytes straddle mbuf segments, @c ptr/@c ptr_len is the
 * first piece and the rest continues from the start of @c next's data, then next->next, and so on,
 * until @c len bytes in total (use rs_frame_slice_copy() or the piece iterator). Never a copy.
 */
struct rs_frame_slice {
	const uint8_t *ptr;	     /**< first byte (valid even when len is 0) */
	uint32_t len;		     /**< total length */
	uint32_t ptr_len;	     /**< bytes at ptr; equals len when contiguous */
	const struct rte_mbuf *next; /**< segment holding the continuation, NULL when contiguous */
};

/**
 * The flyweight view of one decoded frame. Header fields are decoded; metadata, data and string
 * fields are slices into the input. Only the union member of the frame's type is meaningful.
 * On -EBADMSG, @c err gives the reason and @c frame_len, @c stream_id, @c type and @c flags are
 * set as far as the header could be read.
 */
struct rs_frame {
	uint32_t frame_len; /**< frame length without the 3-byte prefix */
	uint32_t stream_id; /**< reserved MSB masked off (RSOCKET.md 10.13) */
	uint8_t type;	    /**< enum rs_frame_type (raw value when unknown) */
	uint8_t err;	    /**< enum rs_frame_err */
	uint16_t flags;	    /**< the 10 raw flag bits, RS_FRAME_FLAG_* */
	union {
		/** REQUEST_STREAM, REQUEST_CHANNEL (initial), REQUEST_N. */
		uint32_t request_n;
		/** ERROR. Always a u32 (RSOCKET.md 10.4). */
		uint32_t error_code;
		/** EXT: extended type. */
		uint32_t ext_type;
		/** KEEPALIVE: last received position; RESUME_OK: last received client position. */
		uint64_t position;
		/** LEASE. 0 is accepted as "no requests" (RSOCKET.md 10.5). */
		struct {
			uint32_t ttl_ms;
			uint32_t n_requests;
		} lease;
		/** SETUP. token is empty unless RS_FRAME_FLAG_RESUME. */
		struct {
			uint16_t major;
			uint16_t minor;
			uint32_t keepalive_ms;
			uint32_t lifetime_ms;
			struct rs_frame_slice token;
			struct rs_frame_slice md_mime;
			struct rs_frame_slice data_mime;
		} setup;
		/** RESUME. */
		struct {
			uint16_t major;
			uint16_t minor;
			uint64_t last_server_pos;  /**< last received server position */
			uint64_t first_client_pos; /**< first available client position */
			struct rs_frame_slice token;
		} resume;
	};
	/** Metadata. Present iff flags has RS_FRAME_FLAG_M (may be present and empty). For LEASE
	 * and METADATA_PUSH it is the rest of the frame (no u24 length field on the wire). */
	struct rs_frame_slice metadata;
	/** Data: the rest of the frame (KEEPALIVE data, ERROR message, EXT body after metadata). */
	struct rs_frame_slice data;
};

/** Limits a decoder applies. */
struct rs_frame_limits {
	uint32_t max_frame_len; /**< frames longer than this (without prefix) are -EMSGSIZE */
};

/** A contiguous slice over @p len bytes at @p p (for building views to encode). Any core. */
static inline struct rs_frame_slice
rs_frame_slice_of(const void *p, uint32_t len)
{
	struct rs_frame_slice s = {(const uint8_t *)p, len, len, NULL};

	return s;
}

/** 1 when @p s lies in one piece of memory. Any core. */
static inline int
rs_frame_slice_is_contig(const struct rs_frame_slice *s)
{
	return s->ptr_len == s->len;
}

/** Iterator over the pieces of a slice (see rs_frame_slice_it_next()). */
struct rs_frame_slice_it {
	const uint8_t *ptr;
	uint32_t n;		    /**< bytes at ptr */
	uint32_t left;		    /**< bytes not yet returned, after this piece */
	const struct rte_mbuf *seg; /**< next segment to read from */
};

/** Start iterating over the pieces of @p s. Any core. */
void rs_frame_slice_it_init(struct rs_frame_slice_it *it, const struct rs_frame_slice *s);

/**
 * Next piece of the slice: sets *p and returns its length (> 0), or 0 at the end.
 * Zero-length segments are skipped. Any core.
 */
uint32_t rs_frame_slice_it_next(struct rs_frame_slice_it *it, const uint8_t **p);

/**
 * Copy up to @p cap bytes of @p s into @p dst (gathering pieces). Any core.
 * @return bytes copied (min(len, cap)).
 */
uint32_t rs_frame_slice_copy(const struct rs_frame_slice *s, void *dst, uint32_t cap);

/** Name of a frame type ("PAYLOAD", ...) or "UNKNOWN". Any core; for logs and tools. */
const char *rs_frame_type_name(unsigned type);

/** Name of a decode error reason ("TOO_SHORT", ...). Any core; for logs and telemetry. */
const char *rs_frame_err_name(unsigned err);

/* ------------------------------------------------------------------------------------------------
 * Decoding a frame held in contiguous memory.
 */

/**
 * Decode any frame body from a generic source: @p p holds the first @p have bytes of a frame of
 * @p frame_len bytes; the rest follows in @p next, next->next, ... (NULL when have == frame_len).
 * Used by the fast path for the uncommon types and by the segmented reader. Reads at most
 * @p frame_len bytes. Any core.
 * @return frame_len, or -EBADMSG with f->err set.
 */
int rs_frame_decode_any(const uint8_t *p, uint32_t have, const struct rte_mbuf *next,
			uint32_t frame_len, struct rs_frame *f);

/** Fill a contiguous slice. Internal helper of the inline decoders. */
static inline void
rs_frame_slice_set_(struct rs_frame_slice *s, const uint8_t *p, uint32_t len)
{
	s->ptr = p;
	s->len = len;
	s->ptr_len = len;
	s->next = NULL;
}

/** Record a decode failure. Internal helper of the inline decoders. */
static inline int
rs_frame_bad_(struct rs_frame *f, enum rs_frame_err why)
{
	f->err = (uint8_t)why;
	return -EBADMSG;
}

/** Metadata (if M) and data of a frame body from offset @p off. Internal helper. */
static inline int
rs_frame_decode_md_data_(const uint8_t *p, uint32_t frame_len, uint32_t off, struct rs_frame *f)
{
	if (f->flags & RS_FRAME_FLAG_M) {
		uint32_t md_len;

		if (__builtin_expect(frame_len - off < RS_FRAME_MDLEN_LEN, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_METADATA_LEN);
		/* One 4-byte load ending at the u24: off >= 6, so p + off - 1 is inside the frame.
		 */
		md_len = rs_frame_get_u32(p + off - 1) & RS_FRAME_LEN_MAX;
		off += RS_FRAME_MDLEN_LEN;
		if (__builtin_expect(md_len > frame_len - off, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_METADATA_LEN);
		rs_frame_slice_set_(&f->metadata, p + off, md_len);
		off += md_len;
	} else {
		rs_frame_slice_set_(&f->metadata, p + off, 0);
	}
	rs_frame_slice_set_(&f->data, p + off, frame_len - off);
	return (int)frame_len;
}

/**
 * Decode one frame body of @p frame_len bytes at @p p (no length prefix). Inline fast path for the
 * stream frames; other types go to rs_frame_decode_any(). Reads only [p, p + frame_len). Any core.
 * @param p          first byte of the frame (the stream id)
 * @param frame_len  bytes of the frame (from the length prefix, or the transport's message size)
 * @param f          view to fill
 * @return frame_len; -EBADMSG with f->err set (TOO_SHORT, METADATA_LEN, STREAM_ID, UNKNOWN_TYPE,
 *   UNKNOWN_IGNORE, FLAGS, VALUE).
 */
static inline int
rs_frame_decode_body(const uint8_t *p, uint32_t frame_len, struct rs_frame *f)
{
	uint16_t tf;
	unsigned type;

	f->frame_len = frame_len;
	f->err = RS_FRAME_OK;
	if (__builtin_expect(frame_len < RS_FRAME_HDR_LEN, 0)) {
		f->type = RS_FRAME_RESERVED;
		f->flags = 0;
		f->stream_id = 0;
		return rs_frame_bad_(f, RS_FRAME_ERR_TOO_SHORT);
	}
	f->stream_id = rs_frame_get_u32(p) & RS_FRAME_U31_MAX;
	tf = rs_frame_get_u16(p + 4);
	type = tf >> RS_FRAME_TYPE_SHIFT;
	f->type = (uint8_t)type;
	f->flags = tf & RS_FRAME_FLAGS_MASK;
	switch (type) {
	case RS_FRAME_PAYLOAD:
		if (__builtin_expect(f->stream_id == 0, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_STREAM_ID);
		/* RSOCKET.md 2.9: neither N nor C is forbidden. */
		if (__builtin_expect(!(f->flags & (RS_FRAME_FLAG_N | RS_FRAME_FLAG_C)), 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_FLAGS);
		return rs_frame_decode_md_data_(p, frame_len, RS_FRAME_HDR_LEN, f);
	case RS_FRAME_REQUEST_RESPONSE:
	case RS_FRAME_REQUEST_FNF:
		if (__builtin_expect(f->stream_id == 0, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_STREAM_ID);
		return rs_frame_decode_md_data_(p, frame_len, RS_FRAME_HDR_LEN, f);
	case RS_FRAME_REQUEST_STREAM:
	case RS_FRAME_REQUEST_CHANNEL:
		if (__builtin_expect(frame_len < RS_FRAME_HDR_LEN + 4, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_TOO_SHORT);
		if (__builtin_expect(f->stream_id == 0, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_STREAM_ID);
		f->request_n = rs_frame_get_u32(p + 6) & RS_FRAME_U31_MAX;
		if (__builtin_expect(f->request_n == 0, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_VALUE);
		return rs_frame_decode_md_data_(p, frame_len, RS_FRAME_HDR_LEN + 4, f);
	case RS_FRAME_REQUEST_N:
		if (__builtin_expect(frame_len < RS_FRAME_REQUEST_N_LEN, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_TOO_SHORT);
		if (__builtin_expect(f->stream_id == 0, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_STREAM_ID);
		f->request_n = rs_frame_get_u32(p + 6) & RS_FRAME_U31_MAX;
		if (__builtin_expect(f->request_n == 0, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_VALUE);
		/* Fixed-size frame: trailing bytes are tolerated and ignored (RSOCKET.md 4.8). */
		rs_frame_slice_set_(&f->metadata, p + RS_FRAME_REQUEST_N_LEN, 0);
		rs_frame_slice_set_(&f->data, p + RS_FRAME_REQUEST_N_LEN, 0);
		return (int)frame_len;
	case RS_FRAME_CANCEL:
		if (__builtin_expect(f->stream_id == 0, 0))
			return rs_frame_bad_(f, RS_FRAME_ERR_STREAM_ID);
		rs_frame_slice_set_(&f->metadata, p + RS_FRAME_CANCEL_LEN, 0);
		rs_frame_slice_set_(&f->data, p + RS_FRAME_CANCEL_LEN, 0);
		return (int)frame_len;
	default:
		return rs_frame_decode_any(p, frame_len, NULL, frame_len, f);
	}
}

/**
 * Decode one length-prefixed frame (TCP framing) from contiguous memory. Reads only
 * [buf, buf + len). Any core.
 * @param buf  bytes received, starting at a length prefix
 * @param len  bytes available at buf
 * @param lim  limits (max frame length)
 * @param f    view to fill
 * @return bytes consumed (3 + frame_len); -EAGAIN when the prefix or the frame is incomplete;
 *   -EMSGSIZE (f->err TOO_BIG, f->frame_len set) when the prefix exceeds lim->max_frame_len;
 *   -EBADMSG (f->err set; skip 3 + f->frame_len bytes) for a malformed frame.
 */
static inline int
rs_frame_decode(const uint8_t *buf, size_t len, const struct rs_frame_limits *lim,
		struct rs_frame *f)
{
	uint32_t frame_len;
	int rc;

	if (__builtin_expect(len < RS_FRAME_PREFIX_LEN, 0))
		return -EAGAIN;
	frame_len = rs_frame_get_u24(buf);
	if (__builtin_expect(frame_len > lim->max_frame_len, 0)) {
		f->frame_len = frame_len;
		f->err = RS_FRAME_ERR_TOO_BIG;
		return -EMSGSIZE;
	}
	if (__builtin_expect(len - RS_FRAME_PREFIX_LEN < frame_len, 0))
		return -EAGAIN;
	rc = rs_frame_decode_body(buf + RS_FRAME_PREFIX_LEN, frame_len, f);
	return rc < 0 ? rc : rc + (int)RS_FRAME_PREFIX_LEN;
}

/* ------------------------------------------------------------------------------------------------
 * The segmented reader: finds frames in a chain of TCP payload mbufs as they arrive.
 */

/** Bytes of scratch a reader uses to gather a length prefix or header that straddles segments. */
#define RS_FRAME_READER_SCRATCH 32u

/**
 * Resumable reader state; the connection embeds one. Segments pushed in are linked through their
 * @c next pointers and stay owned by the reader until rs_frame_reader_release() hands them back.
 * Views returned by rs_frame_reader_next() point into those segments, so release (and free) only
 * after the views are no longer used.
 */
struct rs_frame_reader {
	struct rte_mbuf *head;	/**< oldest segment held */
	struct rte_mbuf *tail;	/**< newest segment held */
	struct rte_mbuf *seg;	/**< segment holding the cursor */
	uint32_t off;		/**< cursor offset inside seg's data */
	uint32_t avail;		/**< bytes from the cursor to the end of the chain */
	uint32_t max_frame_len; /**< from rs_frame_reader_init() */
	uint32_t nb_segs;	/**< segments held */
	uint64_t frames;	/**< frames returned (good or malformed) */
	uint64_t gathers;	/**< frames that straddled segments (decoded as pieces) */
	uint64_t errors[RS_FRAME_ERR_MAX]; /**< malformed frames by reason (-EBADMSG, -EMSGSIZE) */
	uint8_t scratch[RS_FRAME_READER_SCRATCH];
};

/**
 * Prepare @p r. @p max_frame_len is capped at RS_FRAME_LEN_MAX. Any core.
 */
void rs_frame_reader_init(struct rs_frame_reader *r, uint32_t max_frame_len);

/**
 * Append received bytes. Ownership of every segment of @p chain passes to the reader. Segments may
 * be empty. The chain's pkt_len/nb_segs are not trusted: data_len of each segment is used.
 * Call on the connection's core.
 */
void rs_frame_reader_push(struct rs_frame_reader *r, struct rte_mbuf *chain);

/**
 * The general case of rs_frame_reader_next(): prefixes and frames that straddle segments, empty
 * segments, need-more and over-limit. Same contract as rs_frame_reader_next(), which calls it.
 */
int rs_frame_reader_next_slow(struct rs_frame_reader *r, struct rs_frame *f);

/**
 * Return the next complete frame. Contiguous frames are viewed in place (inline fast path: the
 * whole frame lies in the current segment); a frame that straddles segments is viewed as pieces
 * (slices with @c next); only a straddling prefix or fixed header is gathered into scratch.
 * Call on the connection's core.
 * @return bytes consumed (3 + frame_len); -EAGAIN when no complete frame is buffered (nothing
 *   consumed); -EBADMSG when the frame is malformed (it is consumed; f->err says why, the reason
 *   is counted in r->errors[], and the reader can go on); -EMSGSIZE when the length prefix is over
 *   max_frame_len (nothing consumed: the connection must be closed).
 */
static inline int
rs_frame_reader_next(struct rs_frame_reader *r, struct rs_frame *f)
{
	const struct rte_mbuf *seg = r->seg;

	if (__builtin_expect(seg != NULL, 1)) {
		uint32_t off = r->off, room = (uint32_t)seg->data_len - off;

		if (__builtin_expect(room >= RS_FRAME_PREFIX_LEN, 1)) {
			const uint8_t *p = (const uint8_t *)seg->buf_addr + seg->data_off + off;
			uint32_t frame_len = rs_frame_get_u24(p);

			if (__builtin_expect(frame_len <= room - RS_FRAME_PREFIX_LEN &&
						     frame_len <= r->max_frame_len,
					     1)) {
				int rc;

				r->off = off + RS_FRAME_PREFIX_LEN + frame_len;
				r->avail -= RS_FRAME_PREFIX_LEN + frame_len;
				r->frames++;
				rc = rs_frame_decode_body(p + RS_FRAME_PREFIX_LEN, frame_len, f);
				if (__builtin_expect(rc < 0, 0)) {
					r->errors[f->err]++;
					return rc;
				}
				return rc + (int)RS_FRAME_PREFIX_LEN;
			}
		}
	}
	return rs_frame_reader_next_slow(r, f);
}

/**
 * Detach the segments the reader has fully consumed and return them as one chain (nb_segs and
 * pkt_len set, ready for rte_pktmbuf_free()), or NULL when there are none. Call only after the
 * views that point into them are no longer used. Call on the connection's core.
 */
struct rte_mbuf *rs_frame_reader_release(struct rs_frame_reader *r);

/**
 * Detach every segment (consumed or not) and reset the cursor, e.g. when the connection closes.
 * @return the chain (ready for rte_pktmbuf_free()) or NULL.
 */
struct rte_mbuf *rs_frame_reader_reset(struct rs_frame_reader *r);

/** Bytes buffered and not yet consumed. Call on the connection's core. */
static inline uint32_t
rs_frame_reader_pending(const struct rs_frame_reader *r)
{
	return r->avail;
}

/* ------------------------------------------------------------------------------------------------
 * Encoding into caller buffers. Every encoder writes the 3-byte length prefix, then the frame.
 */

/** Copy @p n bytes; small sizes as overlapping word moves. Internal helper. */
static inline void
rs_frame_copy_(uint8_t *dst, const void *src, uint32_t n)
{
	const uint8_t *s = (const uint8_t *)src;

	if (n <= 16) {
		if (n >= 8) {
			uint64_t a, b;

			memcpy(&a, s, 8);
			memcpy(&b, s + n - 8, 8);
			memcpy(dst, &a, 8);
			memcpy(dst + n - 8, &b, 8);
		} else if (n >= 4) {
			uint32_t a, b;

			memcpy(&a, s, 4);
			memcpy(&b, s + n - 4, 4);
			memcpy(dst, &a, 4);
			memcpy(dst + n - 4, &b, 4);
		} else if (n) {
			dst[0] = s[0];
			dst[n / 2] = s[n / 2];
			dst[n - 1] = s[n - 1];
		}
		return;
	}
	memcpy(dst, src, n);
}

/**
 * Encode a frame made of header, @p fixed_len bytes of fixed fields, optional metadata (with a u24
 * length when @p md is not NULL) and data. Internal helper of the inline encoders.
 */
static inline int
rs_frame_encode_md_data_(uint8_t *buf, size_t cap, uint32_t stream_id, unsigned type,
			 unsigned flags, uint32_t fixed, uint32_t fixed_len, const void *md,
			 uint32_t md_len, const void *data, uint32_t data_len)
{
	uint64_t body = (uint64_t)RS_FRAME_HDR_LEN + fixed_len + data_len;
	uint8_t *p;

	if (md != NULL) {
		body += RS_FRAME_MDLEN_LEN + (uint64_t)md_len;
		flags |= RS_FRAME_FLAG_M;
	} else {
		flags &= ~RS_FRAME_FLAG_M;
	}
	if (__builtin_expect(body > RS_FRAME_LEN_MAX, 0))
		return -EMSGSIZE;
	if (__builtin_expect(body + RS_FRAME_PREFIX_LEN > cap, 0))
		return -ENOSPC;
	rs_frame_put_u24(buf, (uint32_t)body);
	rs_frame_put_hdr(buf + 3, stream_id, type, flags);
	p = buf + 3 + RS_FRAME_HDR_LEN;
	if (fixed_len) {
		rs_frame_put_u32(p, fixed);
		p += 4;
	}
	if (md != NULL) {
		rs_frame_put_u24(p, md_len);
		rs_frame_copy_(p + 3, md, md_len);
		p += 3 + md_len;
	}
	rs_frame_copy_(p, data, data_len);
	return (int)(body + RS_FRAME_PREFIX_LEN);
}

/**
 * Encode REQUEST_RESPONSE. Any core.
 * @param buf,cap  output buffer
 * @param stream_id > 0
 * @param flags    RS_FRAME_FLAG_F or 0 (M is set from @p md)
 * @param md       metadata or NULL for none (non-NULL with md_len 0 sends empty metadata)
 * @param data     data (may be NULL when data_len is 0)
 * @return bytes written; -ENOSPC; -EMSGSIZE.
 */
static inline int
rs_frame_encode_request_response(uint8_t *buf, size_t cap, uint32_t stream_id, unsigned flags,
				 const void *md, uint32_t md_len, const void *data,
				 uint32_t data_len)
{
	return rs_frame_encode_md_data_(buf, cap, stream_id, RS_FRAME_REQUEST_RESPONSE, flags, 0, 0,
					md, md_len, data, data_len);
}

/** Encode REQUEST_FNF. Parameters and returns as rs_frame_encode_request_response(). */
static inline int
rs_frame_encode_request_fnf(uint8_t *buf, size_t cap, uint32_t stream_id, unsigned flags,
			    const void *md, uint32_t md_len, const void *data, uint32_t data_len)
{
	return rs_frame_encode_md_data_(buf, cap, stream_id, RS_FRAME_REQUEST_FNF, flags, 0, 0, md,
					md_len, data, data_len);
}

/**
 * Encode REQUEST_STREAM with @p request_n (1..2^31-1; larger values are clamped). Other
 * parameters and returns as rs_frame_encode_request_response(); -EINVAL for request_n 0.
 */
static inline int
rs_frame_encode_request_stream(uint8_t *buf, size_t cap, uint32_t stream_id, unsigned flags,
			       uint32_t request_n, const void *md, uint32_t md_len,
			       const void *data, uint32_t data_len)
{
	if (__builtin_expect(request_n == 0, 0))
		return -EINVAL;
	request_n = request_n > RS_FRAME_U31_MAX ? RS_FRAME_U31_MAX : request_n;
	return rs_frame_encode_md_data_(buf, cap, stream_id, RS_FRAME_REQUEST_STREAM, flags,
					request_n, 4, md, md_len, data, data_len);
}

/**
 * Encode REQUEST_CHANNEL; @p flags may hold RS_FRAME_FLAG_F and RS_FRAME_FLAG_C. Otherwise as
 * rs_frame_encode_request_stream().
 */
static inline int
rs_frame_encode_request_channel(uint8_t *buf, size_t cap, uint32_t stream_id, unsigned flags,
				uint32_t request_n, const void *md, uint32_t md_len,
				const void *data, uint32_t data_len)
{
	if (__builtin_expect(request_n == 0, 0))
		return -EINVAL;
	request_n = request_n > RS_FRAME_U31_MAX ? RS_FRAME_U31_MAX : request_n;
	return rs_frame_encode_md_data_(buf, cap, stream_id, RS_FRAME_REQUEST_CHANNEL, flags,
					request_n, 4, md, md_len, data, data_len);
}

/**
 * Encode PAYLOAD. @p flags: RS_FRAME_FLAG_N, RS_FRAME_FLAG_C, RS_FRAME_FLAG_F (at least N or C).
 * Other parameters and returns as rs_frame_encode_request_response(); -EINVAL without N and C.
 */
static inline int
rs_frame_encode_payload(uint8_t *buf, size_t cap, uint32_t stream_id, unsigned flags,
			const void *md, uint32_t md_len, const void *data, uint32_t data_len)
{
	if (__builtin_expect(!(flags & (RS_FRAME_FLAG_N | RS_FRAME_FLAG_C)), 0))
		return -EINVAL;
	return rs_frame_encode_md_data_(buf, cap, stream_id, RS_FRAME_PAYLOAD, flags, 0, 0, md,
					md_len, data, data_len);
}

/**
 * Encode REQUEST_N (13 bytes). @p n is clamped to 2^31-1. Any core.
 * @return 13; -ENOSPC; -EINVAL for n 0.
 */
static inline int
rs_frame_encode_request_n(uint8_t *buf, size_t cap, uint32_t stream_id, uint32_t n)
{
	if (__builtin_expect(cap < RS_FRAME_PREFIX_LEN + RS_FRAME_REQUEST_N_LEN, 0))
		return -ENOSPC;
	if (__builtin_expect(n == 0, 0))
		return -EINVAL;
	n = n > RS_FRAME_U31_MAX ? RS_FRAME_U31_MAX : n;
	rs_frame_put_u24(buf, RS_FRAME_REQUEST_N_LEN);
	rs_frame_put_hdr(buf + 3, stream_id, RS_FRAME_REQUEST_N, 0);
	rs_frame_put_u32(buf + 9, n);
	return (int)(RS_FRAME_PREFIX_LEN + RS_FRAME_REQUEST_N_LEN);
}

/** Encode CANCEL (9 bytes). @return 9; -ENOSPC. Any core. */
static inline int
rs_frame_encode_cancel(uint8_t *buf, size_t cap, uint32_t stream_id)
{
	if (__builtin_expect(cap < RS_FRAME_PREFIX_LEN + RS_FRAME_CANCEL_LEN, 0))
		return -ENOSPC;
	rs_frame_put_u24(buf, RS_FRAME_CANCEL_LEN);
	rs_frame_put_hdr(buf + 3, stream_id, RS_FRAME_CANCEL, 0);
	return (int)(RS_FRAME_PREFIX_LEN + RS_FRAME_CANCEL_LEN);
}

/**
 * Encode ERROR with a u32 @p code and a UTF-8 message (no NUL). Any core.
 * @return bytes written; -ENOSPC; -EMSGSIZE.
 */
static inline int
rs_frame_encode_error(uint8_t *buf, size_t cap, uint32_t stream_id, uint32_t code, const void *msg,
		      uint32_t msg_len)
{
	return rs_frame_encode_md_data_(buf, cap, stream_id, RS_FRAME_ERROR, 0, code, 4, NULL, 0,
					msg, msg_len);
}

/**
 * Encode KEEPALIVE on stream 0. @p respond sets R; @p position is the last received position
 * (0 without resumption); @p data is echoed by the peer. Any core.
 * @return bytes written; -ENOSPC; -EMSGSIZE.
 */
int rs_frame_encode_keepalive(uint8_t *buf, size_t cap, int respond, uint64_t position,
			      const void *data, uint32_t data_len);

/**
 * Encode any frame from a view (the inverse of decoding): type, flags (all 10 bits, M must agree
 * with the type's rules), stream id, the type's union fields and the slices (gathered if they
 * straddle segments). For LEASE and METADATA_PUSH the metadata is written without a length field.
 * Re-encoding a decoded frame reproduces its bytes (except ignored trailing bytes). Any core.
 * @return bytes written (prefix included); -ENOSPC; -EMSGSIZE over 0xFFFFFF; -EINVAL for a type
 *   this codec cannot encode (RESERVED or an unassigned code) or a slice over 0xFFFFFF.
 */
int rs_frame_encode(uint8_t *buf, size_t cap, const struct rs_frame *f);

/**
 * Bytes rs_frame_encode() would write for @p f (prefix included), or -EMSGSIZE / -EINVAL.
 * Any core.
 */
int rs_frame_encoded_len(const struct rs_frame *f);

/* ------------------------------------------------------------------------------------------------
 * Encoding into mbuf chains.
 */

/**
 * An outgoing chain being built: start from a zeroed struct; frames are appended at @c tail; the
 * engine hands @c head to dp_stream_send() and then zeroes the struct again. head's pkt_len and
 * nb_segs are kept up to date.
 */
struct rs_frame_chain {
	struct rte_mbuf *head;
	struct rte_mbuf *tail;
	int tail_attached; /**< the tail belongs to an attached payload: never written into */
};

/**
 * Append @p f to @p c, copying every byte. Bytes go into the tail's tailroom when the tail is a
 * direct, unshared segment; the rest spills into new segments from @p mp. On failure the chain is
 * left as it was. Call on the core that owns @p mp's cache.
 * @param c   chain (head may be NULL: a first segment is allocated)
 * @param mp  pool for new segments (may be NULL when the frame is known to fit in the tail)
 * @param f   frame view, as for rs_frame_encode()
 * @return bytes appended; -ENOMEM (pool empty or mp NULL and no room); -EMSGSIZE; -EINVAL.
 */
int rs_frame_chain_append(struct rs_frame_chain *c, struct rte_mempool *mp,
			  const struct rs_frame *f);

/**
 * Append @p f to @p c, attaching the payload without copying it: the header, fixed fields and
 * metadata length are written into the chain, then @p md_seg (if not NULL) and @p data_seg (if not
 * NULL) are linked in as segments; f->metadata / f->data give the bytes only for a part whose
 * segment is NULL (copied). The lengths written into the frame come from the attached chains'
 * data_len sums. Ownership of the attached chains passes to @p c on success (they are never written
 * to: later frames go into a new segment). On failure nothing changes and the caller keeps them.
 * Only types with metadata and data sections (REQUEST_*, PAYLOAD, SETUP, EXT), plus data-only
 * KEEPALIVE and ERROR, may attach. Any mbuf may be attached: a received segment (retain it first
 * if it is still viewed), an indirect clone, or application memory through
 * rte_pktmbuf_attach_extbuf(). Call on the core that owns @p mp's cache.
 * @return bytes appended; -ENOMEM; -EMSGSIZE; -EINVAL.
 */
int rs_frame_chain_append_attach(struct rs_frame_chain *c, struct rte_mempool *mp,
				 const struct rs_frame *f, struct rte_mbuf *md_seg,
				 struct rte_mbuf *data_seg);

/**
 * Where the next bytes of @p c may be written in place: the end of the tail segment when that
 * segment is ours (direct, unshared, not an attached payload), with *room bytes free; NULL (and
 * *room 0) otherwise. With rs_frame_chain_commit() this lets the inline buffer encoders write a
 * small frame straight into the chain. Call on the chain's core.
 */
static inline uint8_t *
rs_frame_chain_tailroom(const struct rs_frame_chain *c, uint32_t *room)
{
	struct rte_mbuf *t = c->tail;

	if (t == NULL || c->tail_attached || !RTE_MBUF_DIRECT(t) ||
	    __atomic_load_n(&t->refcnt, __ATOMIC_RELAXED) != 1) {
		*room = 0;
		return NULL;
	}
	*room = (uint32_t)t->buf_len - t->data_off - t->data_len;
	return (uint8_t *)t->buf_addr + t->data_off + t->data_len;
}

/** Account @p n bytes written at rs_frame_chain_tailroom() (n <= room). Call on the chain's core.
 */
static inline void
rs_frame_chain_commit(struct rs_frame_chain *c, uint32_t n)
{
	c->tail->data_len = (uint16_t)(c->tail->data_len + n);
	c->head->pkt_len += n;
}

/**
 * Append a PAYLOAD frame: written in place into the tail when it fits (inline fast path), else
 * through rs_frame_chain_append() (spilling into segments from @p mp). Bytes are identical to
 * rs_frame_encode_payload(). Call on the core that owns @p mp's cache.
 * @param md  metadata or NULL for none; @p flags as rs_frame_encode_payload()
 * @return bytes appended; -ENOMEM; -EMSGSIZE; -EINVAL (neither N nor C).
 */
static inline int
rs_frame_chain_append_payload(struct rs_frame_chain *c, struct rte_mempool *mp, uint32_t stream_id,
			      unsigned flags, const void *md, uint32_t md_len, const void *data,
			      uint32_t data_len)
{
	uint32_t room;
	uint8_t *p = rs_frame_chain_tailroom(c, &room);
	struct rs_frame f;
	int n;

	if (__builtin_expect(p != NULL, 1)) {
		n = rs_frame_encode_payload(p, room, stream_id, flags, md, md_len, data, data_len);
		if (__builtin_expect(n > 0, 1)) {
			rs_frame_chain_commit(c, (uint32_t)n);
			return n;
		}
		if (n != -ENOSPC)
			return n;
	}
	if (!(flags & (RS_FRAME_FLAG_N | RS_FRAME_FLAG_C)))
		return -EINVAL;
	f.type = RS_FRAME_PAYLOAD;
	f.stream_id = stream_id;
	f.flags = (uint16_t)((flags & ~RS_FRAME_FLAG_M) | (md != NULL ? RS_FRAME_FLAG_M : 0));
	f.metadata = rs_frame_slice_of(md, md != NULL ? md_len : 0);
	f.data = rs_frame_slice_of(data, data_len);
	return rs_frame_chain_append(c, mp, &f);
}

/**
 * Append a REQUEST_N frame (13 bytes), in place when it fits, as rs_frame_chain_append_payload().
 * @return 13; -ENOMEM; -EINVAL for n 0.
 */
static inline int
rs_frame_chain_append_request_n(struct rs_frame_chain *c, struct rte_mempool *mp,
				uint32_t stream_id, uint32_t n)
{
	uint32_t room;
	uint8_t *p = rs_frame_chain_tailroom(c, &room);
	struct rs_frame f;
	int rc;

	if (__builtin_expect(p != NULL, 1)) {
		rc = rs_frame_encode_request_n(p, room, stream_id, n);
		if (__builtin_expect(rc > 0, 1)) {
			rs_frame_chain_commit(c, (uint32_t)rc);
			return rc;
		}
		if (rc != -ENOSPC)
			return rc;
	}
	if (n == 0)
		return -EINVAL;
	f.type = RS_FRAME_REQUEST_N;
	f.stream_id = stream_id;
	f.flags = 0;
	f.request_n = n > RS_FRAME_U31_MAX ? RS_FRAME_U31_MAX : n;
	f.metadata = rs_frame_slice_of(NULL, 0);
	f.data = rs_frame_slice_of(NULL, 0);
	return rs_frame_chain_append(c, mp, &f);
}

#endif /* RS_FRAME_H */
