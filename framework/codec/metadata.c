/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSocket metadata extensions (RSOCKET.md 8): composite metadata entries, routing tags,
 * authentication (simple, bearer, custom) and per-stream MIME items, decoded in place from a
 * contiguous metadata buffer and encoded into caller buffers. The engine and router call these on
 * a request's metadata view (rs_frame.metadata) to find the route and the data MIME type. Every
 * length is checked against what is left before any byte is read.
 */
#include <string.h>

#include <rs/metadata.h>

/** Well-known MIME names (RSOCKET.md 8.2, Extensions/WellKnownMimeTypes.md). */
static const char *const rs_frame_mime_names[128] = {
	[0x00] = "application/avro",
	[0x01] = "application/cbor",
	[0x02] = "application/graphql",
	[0x03] = "application/gzip",
	[0x04] = "application/javascript",
	[0x05] = "application/json",
	[0x06] = "application/octet-stream",
	[0x07] = "application/pdf",
	[0x08] = "application/vnd.apache.thrift.binary",
	[0x09] = "application/vnd.google.protobuf",
	[0x0A] = "application/xml",
	[0x0B] = "application/zip",
	[0x0C] = "audio/aac",
	[0x0D] = "audio/mp3",
	[0x0E] = "audio/mp4",
	[0x0F] = "audio/mpeg3",
	[0x10] = "audio/mpeg",
	[0x11] = "audio/ogg",
	[0x12] = "audio/opus",
	[0x13] = "audio/vorbis",
	[0x14] = "image/bmp",
	[0x15] = "image/gif",
	[0x16] = "image/heic-sequence",
	[0x17] = "image/heic",
	[0x18] = "image/heif-sequence",
	[0x19] = "image/heif",
	[0x1A] = "image/jpeg",
	[0x1B] = "image/png",
	[0x1C] = "image/tiff",
	[0x1D] = "multipart/mixed",
	[0x1E] = "text/css",
	[0x1F] = "text/csv",
	[0x20] = "text/html",
	[0x21] = "text/plain",
	[0x22] = "text/xml",
	[0x23] = "video/H264",
	[0x24] = "video/H265",
	[0x25] = "video/VP8",
	[0x26] = "application/x-hessian",
	[0x27] = "application/x-java-object",
	[0x28] = "application/cloudevents+json",
	[0x29] = "application/x-capnp",
	[0x2A] = "application/x-flatbuffers",
	[0x7A] = "message/x.rsocket.mime-type.v0",
	[0x7B] = "message/x.rsocket.accept-mime-types.v0",
	[0x7C] = "message/x.rsocket.authentication.v0",
	[0x7D] = "message/x.rsocket.tracing-zipkin.v0",
	[0x7E] = "message/x.rsocket.routing.v0",
	[0x7F] = "message/x.rsocket.composite-metadata.v0",
};

const char *
rs_frame_mime_name(uint8_t id)
{
	return id < 128 ? rs_frame_mime_names[id] : NULL;
}

int
rs_frame_mime_id(const char *s, size_t len)
{
	unsigned i;

	for (i = 0; i < 128; i++) {
		const char *n = rs_frame_mime_names[i];

		if (n != NULL && strlen(n) == len && memcmp(n, s, len) == 0)
			return (int)i;
	}
	return -ENOENT;
}

void
rs_frame_mime_normalize(struct rs_frame_mime *m)
{
	int id;

	if (m->well_known)
		return;
	id = rs_frame_mime_id(m->str, m->str_len);
	if (id >= 0) {
		m->well_known = 1;
		m->id = (uint8_t)id;
	}
}

/** Read one MIME item (0x80|id, or len-1 and a string) at it->p; advance. */
static int
rs_frame_md_mime_take(struct rs_frame_md_it *it, struct rs_frame_mime *m)
{
	uint8_t b = it->p[0];

	if (b & RS_MIME_WELL_KNOWN_BIT) {
		m->well_known = 1;
		m->id = b & 0x7F;
		m->str = NULL;
		m->str_len = 0;
		it->p++;
		it->left--;
		return 0;
	}
	/* RSOCKET.md 10.2: the 7 bits hold length - 1. */
	m->well_known = 0;
	m->id = 0;
	m->str_len = (uint8_t)(b + 1);
	if (it->left - 1 < m->str_len)
		return -EBADMSG;
	m->str = (const char *)it->p + 1;
	it->p += 1 + m->str_len;
	it->left -= 1 + m->str_len;
	return 0;
}

int
rs_frame_md_composite_next(struct rs_frame_md_it *it, struct rs_frame_md_entry *e)
{
	struct rs_frame_md_it t = *it;
	uint32_t n;

	if (t.left == 0)
		return 0;
	if (rs_frame_md_mime_take(&t, &e->mime) < 0)
		return -EBADMSG;
	if (t.left < 3)
		return -EBADMSG;
	n = rs_frame_get_u24(t.p);
	if (n > t.left - 3)
		return -EBADMSG;
	e->content = t.p + 3;
	e->content_len = n;
	it->p = t.p + 3 + n;
	it->left = t.left - 3 - n;
	return 1;
}

int
rs_frame_md_composite_find(const void *md, uint32_t md_len, uint8_t id, struct rs_frame_md_entry *e)
{
	struct rs_frame_md_it it;
	int rc;

	rs_frame_md_it_init(&it, md, md_len);
	while ((rc = rs_frame_md_composite_next(&it, e)) > 0) {
		if (e->mime.well_known && e->mime.id == id)
			return 1;
	}
	return rc;
}

/** Write the u24 length and content of an entry after its MIME part of @p hdr bytes. */
static int
rs_frame_md_entry_finish(uint8_t *buf, size_t cap, size_t hdr, const void *content, uint32_t len)
{
	if (len > RS_FRAME_LEN_MAX)
		return -EINVAL;
	if (cap < hdr + 3 + (size_t)len)
		return -ENOSPC;
	rs_frame_put_u24(buf + hdr, len);
	if (len)
		memcpy(buf + hdr + 3, content, len);
	return (int)(hdr + 3 + len);
}

int
rs_frame_md_composite_add(uint8_t *buf, size_t cap, uint8_t id, const void *content, uint32_t len)
{
	int rc;

	if (id > 0x7F)
		return -EINVAL;
	rc = rs_frame_md_entry_finish(buf, cap, 1, content, len);
	if (rc >= 0)
		buf[0] = (uint8_t)(RS_MIME_WELL_KNOWN_BIT | id);
	return rc;
}

int
rs_frame_md_composite_add_str(uint8_t *buf, size_t cap, const char *mime, size_t mime_len,
			      const void *content, uint32_t len)
{
	int rc;

	if (mime_len < 1 || mime_len > 128)
		return -EINVAL;
	rc = rs_frame_md_entry_finish(buf, cap, 1 + mime_len, content, len);
	if (rc >= 0) {
		buf[0] = (uint8_t)(mime_len - 1);
		memcpy(buf + 1, mime, mime_len);
	}
	return rc;
}

int
rs_frame_md_routing_next(struct rs_frame_md_it *it, const char **tag, uint8_t *tag_len)
{
	uint8_t n;

	if (it->left == 0)
		return 0;
	n = it->p[0];
	/* RSOCKET.md 8.3: tags are 1..255 bytes. */
	if (n == 0 || n > it->left - 1)
		return -EBADMSG;
	*tag = (const char *)it->p + 1;
	*tag_len = n;
	it->p += 1 + n;
	it->left -= 1 + n;
	return 1;
}

int
rs_frame_md_routing_add(uint8_t *buf, size_t cap, const char *tag, size_t tag_len)
{
	if (tag_len == 0 || tag_len > 255)
		return -EINVAL;
	if (cap < 1 + tag_len)
		return -ENOSPC;
	buf[0] = (uint8_t)tag_len;
	memcpy(buf + 1, tag, tag_len);
	return (int)(1 + tag_len);
}

int
rs_frame_md_routing_entry(uint8_t *buf, size_t cap, const char *const *tags, const size_t *tag_lens,
			  unsigned n)
{
	size_t off = 4;
	unsigned i;
	int rc;

	if (cap < 4)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		rc = rs_frame_md_routing_add(buf + off, cap - off, tags[i], tag_lens[i]);
		if (rc < 0)
			return rc;
		off += (size_t)rc;
	}
	if (off - 4 > RS_FRAME_LEN_MAX)
		return -EINVAL;
	buf[0] = (uint8_t)(RS_MIME_WELL_KNOWN_BIT | RS_MIME_ROUTING);
	rs_frame_put_u24(buf + 1, (uint32_t)(off - 4));
	return (int)off;
}

int
rs_frame_md_auth_decode(const void *p, uint32_t len, struct rs_frame_md_auth *a)
{
	const uint8_t *q = p;
	uint32_t off;
	uint8_t b;

	if (len == 0)
		return -EBADMSG;
	b = q[0];
	memset(a, 0, sizeof(*a));
	if (b & RS_AUTH_WELL_KNOWN_BIT) {
		a->well_known = 1;
		a->type_id = b & 0x7F;
		off = 1;
	} else {
		/* Custom type string, length - 1 on the wire like MIME strings (RSOCKET.md 8.4). */
		a->type_len = (uint8_t)(b + 1);
		if (len - 1 < a->type_len)
			return -EBADMSG;
		a->type_str = (const char *)q + 1;
		off = 1 + a->type_len;
	}
	if (a->well_known && a->type_id == RS_AUTH_SIMPLE) {
		if (len - off < 2)
			return -EBADMSG;
		a->username_len = rs_frame_get_u16(q + off);
		off += 2;
		if (a->username_len > len - off)
			return -EBADMSG;
		a->username = q + off;
		off += a->username_len;
	}
	a->password = q + off;
	a->password_len = len - off;
	return 0;
}

int
rs_frame_md_auth_simple(uint8_t *buf, size_t cap, const void *user, size_t user_len,
			const void *pass, size_t pass_len)
{
	if (user_len > UINT16_MAX)
		return -EINVAL;
	if (cap < 3 + user_len + pass_len)
		return -ENOSPC;
	buf[0] = (uint8_t)(RS_AUTH_WELL_KNOWN_BIT | RS_AUTH_SIMPLE);
	rs_frame_put_u16(buf + 1, (uint16_t)user_len);
	if (user_len)
		memcpy(buf + 3, user, user_len);
	if (pass_len)
		memcpy(buf + 3 + user_len, pass, pass_len);
	return (int)(3 + user_len + pass_len);
}

int
rs_frame_md_auth_bearer(uint8_t *buf, size_t cap, const void *token, size_t token_len)
{
	if (cap < 1 + token_len)
		return -ENOSPC;
	buf[0] = (uint8_t)(RS_AUTH_WELL_KNOWN_BIT | RS_AUTH_BEARER);
	if (token_len)
		memcpy(buf + 1, token, token_len);
	return (int)(1 + token_len);
}

int
rs_frame_md_auth_custom(uint8_t *buf, size_t cap, const char *type, size_t type_len,
			const void *payload, size_t payload_len)
{
	if (type_len < 1 || type_len > 128)
		return -EINVAL;
	if (cap < 1 + type_len + payload_len)
		return -ENOSPC;
	buf[0] = (uint8_t)(type_len - 1);
	memcpy(buf + 1, type, type_len);
	if (payload_len)
		memcpy(buf + 1 + type_len, payload, payload_len);
	return (int)(1 + type_len + payload_len);
}

int
rs_frame_md_mime_next(struct rs_frame_md_it *it, struct rs_frame_mime *m)
{
	struct rs_frame_md_it t = *it;

	if (t.left == 0)
		return 0;
	if (rs_frame_md_mime_take(&t, m) < 0)
		return -EBADMSG;
	*it = t;
	return 1;
}

int
rs_frame_md_mime_decode(const void *p, uint32_t len, struct rs_frame_mime *m)
{
	struct rs_frame_md_it it;

	rs_frame_md_it_init(&it, p, len);
	if (rs_frame_md_mime_next(&it, m) != 1 || it.left != 0)
		return -EBADMSG;
	return 0;
}

int
rs_frame_md_mime_encode(uint8_t *buf, size_t cap, const struct rs_frame_mime *m)
{
	if (m->well_known) {
		if (m->id > 0x7F)
			return -EINVAL;
		if (cap < 1)
			return -ENOSPC;
		buf[0] = (uint8_t)(RS_MIME_WELL_KNOWN_BIT | m->id);
		return 1;
	}
	if (m->str_len < 1 || m->str_len > 128)
		return -EINVAL;
	if (cap < 1 + (size_t)m->str_len)
		return -ENOSPC;
	buf[0] = (uint8_t)(m->str_len - 1);
	memcpy(buf + 1, m->str, m->str_len);
	return 1 + m->str_len;
}
