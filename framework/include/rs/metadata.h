/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSocket metadata extensions (RSOCKET.md 8): composite metadata (entries named by a well-known id
 * or a custom MIME string), routing tags, authentication (simple, bearer, custom) and per-stream
 * data MIME types (mime-type and accept-mime-types). Decoders iterate in place over a contiguous
 * metadata buffer and never read past it; encoders append into caller buffers.
 *
 * A frame's metadata that straddles segments (rare: only big metadata) is gathered by the caller
 * with rs_frame_slice_copy() before it is parsed here. String lengths on the wire use the
 * length-minus-one convention of every major implementation (RSOCKET.md 10.2).
 *
 * Return convention: iterators return 1 (an item), 0 (end), -EBADMSG (malformed: a length runs past
 * the end); encoders return bytes written, -ENOSPC, or -EINVAL (a length outside the field's
 * range). Every function may be called from any core.
 */
#ifndef RS_METADATA_H
#define RS_METADATA_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rs/proto/frame.h>

/** A MIME type named either by a well-known id or by a string. */
struct rs_frame_mime {
	int well_known;	 /**< 1: @c id is valid; 0: @c str/@c str_len are valid */
	uint8_t id;	 /**< well-known id (RSOCKET.md 8.2), 0..127 */
	uint8_t str_len; /**< 1..128 (wire: str_len - 1) */
	const char *str; /**< not NUL-terminated; points into the input */
};

/** One composite metadata entry, viewed in place. */
struct rs_frame_md_entry {
	struct rs_frame_mime mime;
	const uint8_t *content;
	uint32_t content_len;
};

/** Iterator over a composite metadata buffer, or over a routing tag list, or over MIME items. */
struct rs_frame_md_it {
	const uint8_t *p;
	uint32_t left;
};

/** Start iterating over @p len bytes at @p p. */
static inline void
rs_frame_md_it_init(struct rs_frame_md_it *it, const void *p, uint32_t len)
{
	it->p = (const uint8_t *)p;
	it->left = len;
}

/**
 * Next composite metadata entry (RSOCKET.md 8.1).
 * @return 1 and *e filled; 0 at the end; -EBADMSG when a MIME string or the u24 entry length runs
 *   past the end (the iterator then stays at the bad entry).
 */
int rs_frame_md_composite_next(struct rs_frame_md_it *it, struct rs_frame_md_entry *e);

/**
 * Find the first entry with well-known id @p id in composite metadata.
 * @return 1 and *e filled; 0 when absent; -EBADMSG when malformed before it was found.
 */
int rs_frame_md_composite_find(const void *md, uint32_t md_len, uint8_t id,
			       struct rs_frame_md_entry *e);

/**
 * Append one composite entry with a well-known MIME id.
 * @return bytes written (4 + len); -ENOSPC; -EINVAL for id > 127 or len > 0xFFFFFF.
 */
int rs_frame_md_composite_add(uint8_t *buf, size_t cap, uint8_t id, const void *content,
			      uint32_t len);

/**
 * Append one composite entry with a custom MIME string of 1..128 bytes.
 * @return bytes written; -ENOSPC; -EINVAL for a bad string length or len > 0xFFFFFF.
 */
int rs_frame_md_composite_add_str(uint8_t *buf, size_t cap, const char *mime, size_t mime_len,
				  const void *content, uint32_t len);

/**
 * Next routing tag (RSOCKET.md 8.3) from an iterator over the routing entry's content.
 * @return 1 with *tag / *tag_len set (1..255 bytes); 0 at the end; -EBADMSG for a zero-length tag
 *   or a tag past the end.
 */
int rs_frame_md_routing_next(struct rs_frame_md_it *it, const char **tag, uint8_t *tag_len);

/**
 * Append a routing tag (u8 length + bytes) to a routing entry's content.
 * @return 1 + tag_len; -ENOSPC; -EINVAL for tag_len 0 or > 255.
 */
int rs_frame_md_routing_add(uint8_t *buf, size_t cap, const char *tag, size_t tag_len);

/**
 * Append a complete composite routing entry (0xFE, u24 length, tags) holding @p n tags.
 * @return bytes written; -ENOSPC; -EINVAL.
 */
int rs_frame_md_routing_entry(uint8_t *buf, size_t cap, const char *const *tags,
			      const size_t *tag_lens, unsigned n);

/**
 * Encode a composite routing entry with one tag, inline for the request fast path.
 * @return 5 + tag_len; -ENOSPC; -EINVAL for tag_len 0 or > 255.
 */
static inline int
rs_frame_md_routing_entry1(uint8_t *buf, size_t cap, const char *tag, size_t tag_len)
{
	if (__builtin_expect(tag_len == 0 || tag_len > 255, 0))
		return -EINVAL;
	if (__builtin_expect(cap < 5 + tag_len, 0))
		return -ENOSPC;
	buf[0] = (uint8_t)(RS_MIME_WELL_KNOWN_BIT | RS_MIME_ROUTING);
	rs_frame_put_u24(buf + 1, (uint32_t)(1 + tag_len));
	buf[4] = (uint8_t)tag_len;
	memcpy(buf + 5, tag, tag_len);
	return (int)(5 + tag_len);
}

/**
 * The router's fast path: the first tag of the first routing entry (0x7E) in composite metadata,
 * found inline without the generic iterator. Reads only [md, md + len). Any core.
 * @return 1 with *tag / *tag_len set; 0 when there is no routing entry or it has no tag;
 *   -EBADMSG when an entry before it (or its first tag) runs past the end.
 */
static inline int
rs_frame_md_route_first(const uint8_t *md, uint32_t len, const char **tag, uint8_t *tag_len)
{
	uint32_t off = 0;

	while (off < len) {
		uint8_t b = md[off];
		/* Well-known id: 1 byte; custom MIME: 1 byte of (length - 1), then the string. */
		uint32_t hdr = (b & RS_MIME_WELL_KNOWN_BIT) ? 1u : 2u + b;
		uint32_t clen;

		if (__builtin_expect(len - off < hdr + 3, 0))
			return -EBADMSG;
		clen = rs_frame_get_u24(md + off + hdr);
		off += hdr + 3;
		if (__builtin_expect(clen > len - off, 0))
			return -EBADMSG;
		if (b == (RS_MIME_WELL_KNOWN_BIT | RS_MIME_ROUTING)) {
			uint8_t n;

			if (clen == 0)
				return 0;
			n = md[off];
			if (__builtin_expect(n == 0 || n > clen - 1, 0))
				return -EBADMSG;
			*tag = (const char *)md + off + 1;
			*tag_len = n;
			return 1;
		}
		off += clen;
	}
	return 0;
}

/** Authentication metadata, viewed in place (RSOCKET.md 8.4). */
struct rs_frame_md_auth {
	int well_known;	      /**< 1: @c type_id is valid; 0: @c type_str is */
	uint8_t type_id;      /**< RS_AUTH_SIMPLE, RS_AUTH_BEARER, or another well-known id */
	uint8_t type_len;     /**< custom type: 1..128 bytes */
	const char *type_str; /**< custom type string */
	/** simple: username and password; bearer: token in @c password; other: payload in
	 * @c password. */
	const uint8_t *username;
	uint16_t username_len;
	const uint8_t *password;
	uint32_t password_len;
};

/**
 * Decode authentication metadata (the content of a 0x7C entry).
 * @return 0; -EBADMSG for an empty input, a type string or username past the end.
 */
int rs_frame_md_auth_decode(const void *p, uint32_t len, struct rs_frame_md_auth *a);

/**
 * Encode simple authentication: 0x80, u16 username length, username, password.
 * @return bytes written; -ENOSPC; -EINVAL for a username over 65535 bytes.
 */
int rs_frame_md_auth_simple(uint8_t *buf, size_t cap, const void *user, size_t user_len,
			    const void *pass, size_t pass_len);

/**
 * Encode bearer authentication: 0x81, token. @return bytes written; -ENOSPC.
 */
int rs_frame_md_auth_bearer(uint8_t *buf, size_t cap, const void *token, size_t token_len);

/**
 * Encode authentication with a custom type string (1..128 bytes) and an opaque payload.
 * @return bytes written; -ENOSPC; -EINVAL.
 */
int rs_frame_md_auth_custom(uint8_t *buf, size_t cap, const char *type, size_t type_len,
			    const void *payload, size_t payload_len);

/**
 * Next MIME item of a mime-type (0x7A, exactly one item) or accept-mime-types (0x7B, a list)
 * entry content (RSOCKET.md 8.5).
 * @return 1 and *m filled; 0 at the end; -EBADMSG when a string runs past the end.
 */
int rs_frame_md_mime_next(struct rs_frame_md_it *it, struct rs_frame_mime *m);

/**
 * Decode the content of a mime-type (0x7A) entry: exactly one item.
 * @return 0; -EBADMSG when empty, malformed or followed by extra bytes.
 */
int rs_frame_md_mime_decode(const void *p, uint32_t len, struct rs_frame_mime *m);

/**
 * Encode one MIME item: 0x80|id when @p m is well-known, else (len - 1) and the string.
 * @return bytes written; -ENOSPC; -EINVAL for id > 127 or a string length outside 1..128.
 */
int rs_frame_md_mime_encode(uint8_t *buf, size_t cap, const struct rs_frame_mime *m);

/**
 * Name of well-known MIME id @p id (RSOCKET.md 8.2), or NULL when unassigned.
 */
const char *rs_frame_mime_name(uint8_t id);

/**
 * Well-known id of MIME string @p s (case-sensitive, as registered), or -ENOENT.
 */
int rs_frame_mime_id(const char *s, size_t len);

/**
 * Resolve @p m to a well-known id when its string is a registered name; otherwise leave it.
 */
void rs_frame_mime_normalize(struct rs_frame_mime *m);

#endif /* RS_METADATA_H */
