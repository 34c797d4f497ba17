/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSocket 1.0 wire format: frame type codes, flag masks, error codes, well-known MIME and auth ids,
 * fixed field offsets, and the big-endian load/store accessors every codec function builds on.
 * Constants and inline accessors only (STYLE.md, three header tiers); the decoder and encoder that
 * use them are in rs/frame.h and framework/codec/. Reference: ../shared/RSOCKET.md sections 1-3, 8.
 */
#ifndef RS_PROTO_FRAME_H
#define RS_PROTO_FRAME_H

#include <stdint.h>
#include <string.h>

/** Bytes of the u24 length prefix in front of every frame on TCP (RSOCKET.md 1.1). */
#define RS_FRAME_PREFIX_LEN 3u
/** Bytes of the common frame header: u31 stream id, u16 type/flags (RSOCKET.md 1.2). */
#define RS_FRAME_HDR_LEN 6u
/** Largest frame the u24 prefix can describe. */
#define RS_FRAME_LEN_MAX 0xFFFFFFu
/** Bytes of a u24 metadata length field. */
#define RS_FRAME_MDLEN_LEN 3u
/** Largest stream id, request-n and other u31 fields. */
#define RS_FRAME_U31_MAX 0x7FFFFFFFu

/** Frame type codes, the 6 high bits of the type/flags word (RSOCKET.md 2). */
enum rs_frame_type {
	RS_FRAME_RESERVED = 0x00,
	RS_FRAME_SETUP = 0x01,
	RS_FRAME_LEASE = 0x02,
	RS_FRAME_KEEPALIVE = 0x03,
	RS_FRAME_REQUEST_RESPONSE = 0x04,
	RS_FRAME_REQUEST_FNF = 0x05,
	RS_FRAME_REQUEST_STREAM = 0x06,
	RS_FRAME_REQUEST_CHANNEL = 0x07,
	RS_FRAME_REQUEST_N = 0x08,
	RS_FRAME_CANCEL = 0x09,
	RS_FRAME_PAYLOAD = 0x0A,
	RS_FRAME_ERROR = 0x0B,
	RS_FRAME_METADATA_PUSH = 0x0C,
	RS_FRAME_RESUME = 0x0D,
	RS_FRAME_RESUME_OK = 0x0E,
	RS_FRAME_EXT = 0x3F,
};

/* Flag masks inside the 10-bit flags field (same values inside the u16 type/flags word). */
#define RS_FRAME_FLAG_I 0x200u	     /**< Ignore this frame if not understood */
#define RS_FRAME_FLAG_M 0x100u	     /**< Metadata present */
#define RS_FRAME_FLAG_F 0x080u	     /**< Follows (REQUEST_*, PAYLOAD) */
#define RS_FRAME_FLAG_RESUME 0x080u  /**< SETUP: resume enable, token present */
#define RS_FRAME_FLAG_RESPOND 0x080u /**< KEEPALIVE: please answer */
#define RS_FRAME_FLAG_C 0x040u	     /**< Complete (REQUEST_CHANNEL, PAYLOAD) */
#define RS_FRAME_FLAG_LEASE 0x040u   /**< SETUP: will honour LEASE */
#define RS_FRAME_FLAG_N 0x020u	     /**< Next (PAYLOAD) */
#define RS_FRAME_FLAGS_MASK 0x3FFu   /**< all 10 flag bits */
#define RS_FRAME_TYPE_SHIFT 10u

/* Fixed field sizes after the 6-byte header (RSOCKET.md 2.x). */
/** SETUP without token: header, version, keepalive, lifetime, two MIME lengths. */
#define RS_FRAME_SETUP_MIN_LEN 20u
#define RS_FRAME_LEASE_MIN_LEN 14u
#define RS_FRAME_KEEPALIVE_MIN_LEN 14u
#define RS_FRAME_REQUEST_N_LEN 10u
#define RS_FRAME_CANCEL_LEN 6u
#define RS_FRAME_ERROR_MIN_LEN 10u
#define RS_FRAME_RESUME_MIN_LEN 28u /**< with an empty token */
#define RS_FRAME_RESUME_OK_LEN 14u
#define RS_FRAME_EXT_MIN_LEN 10u

/** Protocol version this codec speaks (RSOCKET.md 6.2). */
#define RS_FRAME_VERSION_MAJOR 1u
#define RS_FRAME_VERSION_MINOR 0u

/* ERROR frame codes (RSOCKET.md 3). */
#define RS_ERROR_INVALID_SETUP 0x00000001u
#define RS_ERROR_UNSUPPORTED_SETUP 0x00000002u
#define RS_ERROR_REJECTED_SETUP 0x00000003u
#define RS_ERROR_REJECTED_RESUME 0x00000004u
#define RS_ERROR_CONNECTION_ERROR 0x00000101u
#define RS_ERROR_CONNECTION_CLOSE 0x00000102u
#define RS_ERROR_APPLICATION_ERROR 0x00000201u
#define RS_ERROR_REJECTED 0x00000202u
#define RS_ERROR_CANCELED 0x00000203u
#define RS_ERROR_INVALID 0x00000204u

/* Well-known MIME type ids (RSOCKET.md 8.2); the full table is in rs/metadata.h. */
#define RS_MIME_APPLICATION_JSON 0x05u
#define RS_MIME_APPLICATION_OCTET_STREAM 0x06u
#define RS_MIME_TEXT_PLAIN 0x21u
#define RS_MIME_MIMETYPE 0x7Au	       /**< message/x.rsocket.mime-type.v0 */
#define RS_MIME_ACCEPT_MIMETYPES 0x7Bu /**< message/x.rsocket.accept-mime-types.v0 */
#define RS_MIME_AUTHENTICATION 0x7Cu   /**< message/x.rsocket.authentication.v0 */
#define RS_MIME_TRACING_ZIPKIN 0x7Du   /**< message/x.rsocket.tracing-zipkin.v0 */
#define RS_MIME_ROUTING 0x7Eu	       /**< message/x.rsocket.routing.v0 */
#define RS_MIME_COMPOSITE 0x7Fu	       /**< message/x.rsocket.composite-metadata.v0 */
/** The first byte of a composite entry or MIME item names a well-known id when this bit is set. */
#define RS_MIME_WELL_KNOWN_BIT 0x80u

/* Well-known authentication types (RSOCKET.md 8.4). */
#define RS_AUTH_SIMPLE 0x00u
#define RS_AUTH_BEARER 0x01u
#define RS_AUTH_WELL_KNOWN_BIT 0x80u

/** Load a big-endian u16. */
static inline uint16_t
rs_frame_get_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

/** Load a big-endian u24. */
static inline uint32_t
rs_frame_get_u24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

/** Load a big-endian u32. */
static inline uint32_t
rs_frame_get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}

/** Load a big-endian u64. */
static inline uint64_t
rs_frame_get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

/** Store a big-endian u16. */
static inline void
rs_frame_put_u16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, sizeof(v));
}

/** Store a big-endian u24 (the top byte of @p v is dropped). */
static inline void
rs_frame_put_u24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

/** Store a big-endian u32. */
static inline void
rs_frame_put_u32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, sizeof(v));
}

/** Store a big-endian u64. */
static inline void
rs_frame_put_u64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, sizeof(v));
}

/** The u16 type/flags word for @p type and @p flags (flags masked to 10 bits). */
static inline uint16_t
rs_frame_tf(unsigned type, unsigned flags)
{
	return (uint16_t)((type << RS_FRAME_TYPE_SHIFT) | (flags & RS_FRAME_FLAGS_MASK));
}

/** Store the 6-byte frame header: stream id (MSB written 0, RSOCKET.md 10.13), type and flags. */
static inline void
rs_frame_put_hdr(uint8_t *p, uint32_t stream_id, unsigned type, unsigned flags)
{
	rs_frame_put_u32(p, stream_id & RS_FRAME_U31_MAX);
	rs_frame_put_u16(p + 4, rs_frame_tf(type, flags));
}

/** 1 when frames of @p type may carry a u24-length-prefixed metadata section (RSOCKET.md 1.3). */
static inline int
rs_frame_type_has_mdlen(unsigned type)
{
	return type == RS_FRAME_SETUP ||
	       (type >= RS_FRAME_REQUEST_RESPONSE && type <= RS_FRAME_REQUEST_CHANNEL) ||
	       type == RS_FRAME_PAYLOAD || type == RS_FRAME_EXT;
}

#endif /* RS_PROTO_FRAME_H */
