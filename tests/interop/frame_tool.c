/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-frame-tool: a command-line face of the codec for the interop suite, so rsocket-js can check
 * our decoder and we can check rsocket-js's decoder against our encoder.
 *
 *   decode [SEG]   stdin: length-prefixed frames in hex, one or more per line. All lines are joined
 *                  into one byte stream, cut into SEG-byte fake mbufs (default 1460) and read back
 *                  through the segmented reader. stdout: one JSON object per frame.
 *   encode         stdin: one flat JSON object per line (the field names of decode's output, byte
 *                  fields in hex). stdout: the encoded frame in hex, one per line.
 *   mdparse        stdin: composite metadata in hex, one per line. stdout: one JSON object per line
 *                  listing the entries, with routing tags, auth and MIME items decoded.
 *   mdgen          stdout: hex lines of composite metadata encoded by us (fixed samples) for the
 *                  other side to decode.
 *
 * Field names follow rsocket-js's frame objects: type, streamId, flags, metadata, data, requestN,
 * code, lastReceivedPosition, ttl, requestCount, majorVersion, minorVersion, keepAlive, lifetime,
 * resumeToken, metadataMimeType, dataMimeType, serverPosition, clientPosition; plus err (the decode
 * error reason) and extType.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <rs/frame.h>
#include <rs/metadata.h>

#define FT_LINE (1 << 26)

static char *ft_line;
static uint8_t ft_tmp[1 << 25];

static int
ft_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/** Decode hex at @p s (up to a non-hex char) into @p out. @return bytes, or -1. */
static long
ft_unhex(const char *s, size_t n, uint8_t *out)
{
	size_t k;

	if (n % 2)
		return -1;
	for (k = 0; k < n; k += 2) {
		int hi = ft_hexval(s[k]), lo = ft_hexval(s[k + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[k / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

static void
ft_print_raw_hex(const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t k = 0; k < n; k++) {
		putchar(d[p[k] >> 4]);
		putchar(d[p[k] & 15]);
	}
}

/** Hex as a JSON string. */
static void
ft_print_hex(const uint8_t *p, size_t n)
{
	putchar('"');
	ft_print_raw_hex(p, n);
	putchar('"');
}

static void
ft_print_slice(const char *name, const struct rs_frame_slice *s)
{
	uint32_t n = rs_frame_slice_copy(s, ft_tmp, sizeof(ft_tmp));

	printf(",\"%s\":", name);
	ft_print_hex(ft_tmp, n);
}

static void
ft_print_frame(const struct rs_frame *f, int rc)
{
	printf("{\"type\":%u,\"streamId\":%u,\"flags\":%u,\"length\":%u", f->type, f->stream_id,
	       f->flags, f->frame_len);
	if (rc < 0) {
		printf(",\"err\":\"%s\"", rs_frame_err_name(f->err));
		/* METADATA_PUSH without M: refused, but its views are filled (rs/frame.h). */
		if (f->type == RS_FRAME_METADATA_PUSH && f->err == RS_FRAME_ERR_FLAGS)
			ft_print_slice("metadata", &f->metadata);
		printf("}\n");
		return;
	}
	switch (f->type) {
	case RS_FRAME_SETUP:
		printf(",\"majorVersion\":%u,\"minorVersion\":%u,\"keepAlive\":%u,\"lifetime\":%u",
		       f->setup.major, f->setup.minor, f->setup.keepalive_ms, f->setup.lifetime_ms);
		if (f->flags & RS_FRAME_FLAG_RESUME)
			ft_print_slice("resumeToken", &f->setup.token);
		ft_print_slice("metadataMimeType", &f->setup.md_mime);
		ft_print_slice("dataMimeType", &f->setup.data_mime);
		break;
	case RS_FRAME_LEASE:
		printf(",\"ttl\":%u,\"requestCount\":%u", f->lease.ttl_ms, f->lease.n_requests);
		break;
	case RS_FRAME_KEEPALIVE:
		printf(",\"lastReceivedPosition\":%llu", (unsigned long long)f->position);
		break;
	case RS_FRAME_REQUEST_STREAM:
	case RS_FRAME_REQUEST_CHANNEL:
	case RS_FRAME_REQUEST_N:
		printf(",\"requestN\":%u", f->request_n);
		break;
	case RS_FRAME_ERROR:
		printf(",\"code\":%u", f->error_code);
		break;
	case RS_FRAME_RESUME:
		printf(",\"majorVersion\":%u,\"minorVersion\":%u,\"serverPosition\":%llu,"
		       "\"clientPosition\":%llu",
		       f->resume.major, f->resume.minor,
		       (unsigned long long)f->resume.last_server_pos,
		       (unsigned long long)f->resume.first_client_pos);
		ft_print_slice("resumeToken", &f->resume.token);
		break;
	case RS_FRAME_RESUME_OK:
		printf(",\"clientPosition\":%llu", (unsigned long long)f->position);
		break;
	case RS_FRAME_EXT:
		printf(",\"extType\":%u", f->ext_type);
		break;
	default:
		break;
	}
	if (f->flags & RS_FRAME_FLAG_M || f->type == RS_FRAME_METADATA_PUSH)
		ft_print_slice("metadata", &f->metadata);
	else
		printf(",\"metadata\":null");
	ft_print_slice("data", &f->data);
	printf("}\n");
}

static int
ft_decode(uint32_t segsz)
{
	static uint8_t stream[1 << 25];
	size_t total = 0, k, nseg;
	struct rte_mbuf *m;
	struct rs_frame_reader r;
	struct rs_frame f;
	int rc, bad = 0;

	while (fgets(ft_line, FT_LINE, stdin) != NULL) {
		size_t n = strcspn(ft_line, "\r\n");
		long b;

		if (n == 0)
			continue;
		b = ft_unhex(ft_line, n, stream + total);
		if (b < 0 || total + (size_t)b > sizeof(stream)) {
			fprintf(stderr, "decode: bad hex line\n");
			return 1;
		}
		total += (size_t)b;
	}
	nseg = (total + segsz - 1) / segsz;
	/* struct rte_mbuf is cache-aligned: so is the array. */
	m = aligned_alloc(64, (nseg ? nseg : 1) * sizeof(*m));
	memset(m, 0, (nseg ? nseg : 1) * sizeof(*m));
	rs_frame_reader_init(&r, RS_FRAME_LEN_MAX);
	for (k = 0; k < nseg; k++) {
		size_t len = total - k * segsz < segsz ? total - k * segsz : segsz;

		m[k].buf_addr = stream + k * segsz;
		m[k].buf_len = (uint16_t)len;
		m[k].data_len = (uint16_t)len;
		m[k].nb_segs = 1;
		rte_mbuf_refcnt_set(&m[k], 1);
		rs_frame_reader_push(&r, &m[k]);
	}
	while ((rc = rs_frame_reader_next(&r, &f)) != -EAGAIN) {
		if (rc == -EMSGSIZE) {
			printf("{\"err\":\"TOO_BIG\"}\n");
			bad = 1;
			break;
		}
		ft_print_frame(&f, rc);
	}
	if (rs_frame_reader_pending(&r) != 0) {
		fprintf(stderr, "decode: %u bytes left over\n", rs_frame_reader_pending(&r));
		bad = 1;
	}
	rs_frame_reader_reset(&r);
	free(m);
	return bad;
}

/* A flat JSON object: "key": number | "hex string" | null. Enough for the tool's own format. */
struct ft_kv {
	char key[32];
	int is_null;
	int is_str;
	unsigned long long num;
	uint8_t *bytes;
	long nbytes;
};

#define FT_MAX_KV 32

static int
ft_parse_obj(char *s, struct ft_kv *kv, int *nkv, uint8_t *pool)
{
	size_t used = 0;

	*nkv = 0;
	s = strchr(s, '{');
	if (s == NULL)
		return -1;
	s++;
	for (;;) {
		struct ft_kv *e;
		char *q;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '}')
			return 0;
		if (*s != '"' || *nkv == FT_MAX_KV)
			return -1;
		e = &kv[(*nkv)++];
		memset(e, 0, sizeof(*e));
		q = strchr(s + 1, '"');
		if (q == NULL || (size_t)(q - s - 1) >= sizeof(e->key))
			return -1;
		memcpy(e->key, s + 1, (size_t)(q - s - 1));
		s = q + 1;
		while (*s == ' ' || *s == ':')
			s++;
		if (strncmp(s, "null", 4) == 0) {
			e->is_null = 1;
			s += 4;
		} else if (*s == '"') {
			q = strchr(s + 1, '"');
			if (q == NULL)
				return -1;
			e->is_str = 1;
			e->bytes = pool + used;
			e->nbytes = ft_unhex(s + 1, (size_t)(q - s - 1), e->bytes);
			if (e->nbytes < 0)
				return -1;
			used += (size_t)e->nbytes;
			s = q + 1;
		} else {
			char *end;

			e->num = strtoull(s, &end, 10);
			if (end == s)
				return -1;
			s = end;
		}
	}
}

static const struct ft_kv *
ft_get(const struct ft_kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return &kv[i];
	return NULL;
}

static unsigned long long
ft_num(const struct ft_kv *kv, int n, const char *key)
{
	const struct ft_kv *e = ft_get(kv, n, key);

	return e != NULL && !e->is_str ? e->num : 0;
}

static struct rs_frame_slice
ft_bytes(const struct ft_kv *kv, int n, const char *key)
{
	const struct ft_kv *e = ft_get(kv, n, key);

	if (e == NULL || !e->is_str)
		return rs_frame_slice_of("", 0);
	return rs_frame_slice_of(e->bytes, (uint32_t)e->nbytes);
}

static int
ft_encode(void)
{
	static uint8_t pool[1 << 25], out[1 << 25];
	struct ft_kv kv[FT_MAX_KV];
	int nkv;

	while (fgets(ft_line, FT_LINE, stdin) != NULL) {
		struct rs_frame f;
		int n;

		if (strcspn(ft_line, "\r\n") == 0)
			continue;
		if (ft_parse_obj(ft_line, kv, &nkv, pool) < 0) {
			fprintf(stderr, "encode: bad JSON line\n");
			return 1;
		}
		memset(&f, 0, sizeof(f));
		f.type = (uint8_t)ft_num(kv, nkv, "type");
		f.stream_id = (uint32_t)ft_num(kv, nkv, "streamId");
		f.flags = (uint16_t)ft_num(kv, nkv, "flags");
		f.metadata = ft_bytes(kv, nkv, "metadata");
		f.data = ft_bytes(kv, nkv, "data");
		switch (f.type) {
		case RS_FRAME_SETUP:
			f.setup.major = (uint16_t)ft_num(kv, nkv, "majorVersion");
			f.setup.minor = (uint16_t)ft_num(kv, nkv, "minorVersion");
			f.setup.keepalive_ms = (uint32_t)ft_num(kv, nkv, "keepAlive");
			f.setup.lifetime_ms = (uint32_t)ft_num(kv, nkv, "lifetime");
			f.setup.token = ft_bytes(kv, nkv, "resumeToken");
			f.setup.md_mime = ft_bytes(kv, nkv, "metadataMimeType");
			f.setup.data_mime = ft_bytes(kv, nkv, "dataMimeType");
			break;
		case RS_FRAME_LEASE:
			f.lease.ttl_ms = (uint32_t)ft_num(kv, nkv, "ttl");
			f.lease.n_requests = (uint32_t)ft_num(kv, nkv, "requestCount");
			break;
		case RS_FRAME_KEEPALIVE:
			f.position = ft_num(kv, nkv, "lastReceivedPosition");
			break;
		case RS_FRAME_REQUEST_STREAM:
		case RS_FRAME_REQUEST_CHANNEL:
		case RS_FRAME_REQUEST_N:
			f.request_n = (uint32_t)ft_num(kv, nkv, "requestN");
			break;
		case RS_FRAME_ERROR:
			f.error_code = (uint32_t)ft_num(kv, nkv, "code");
			break;
		case RS_FRAME_RESUME:
			f.resume.major = (uint16_t)ft_num(kv, nkv, "majorVersion");
			f.resume.minor = (uint16_t)ft_num(kv, nkv, "minorVersion");
			f.resume.last_server_pos = ft_num(kv, nkv, "serverPosition");
			f.resume.first_client_pos = ft_num(kv, nkv, "clientPosition");
			f.resume.token = ft_bytes(kv, nkv, "resumeToken");
			break;
		case RS_FRAME_RESUME_OK:
			f.position = ft_num(kv, nkv, "clientPosition");
			break;
		case RS_FRAME_EXT:
			f.ext_type = (uint32_t)ft_num(kv, nkv, "extType");
			break;
		default:
			break;
		}
		n = rs_frame_encode(out, sizeof(out), &f);
		if (n < 0) {
			fprintf(stderr, "encode: %s\n", strerror(-n));
			return 1;
		}
		ft_print_raw_hex(out, (size_t)n);
		putchar('\n');
	}
	return 0;
}

static void
ft_print_mime(const struct rs_frame_mime *m)
{
	if (m->well_known)
		printf("%u", m->id);
	else
		ft_print_hex((const uint8_t *)m->str, m->str_len);
}

static int
ft_mdparse(void)
{
	static uint8_t md[1 << 24];

	while (fgets(ft_line, FT_LINE, stdin) != NULL) {
		size_t n = strcspn(ft_line, "\r\n");
		struct rs_frame_md_it it;
		struct rs_frame_md_entry e;
		long len = ft_unhex(ft_line, n, md);
		int rc, first = 1;

		if (n == 0)
			continue;
		if (len < 0) {
			fprintf(stderr, "mdparse: bad hex\n");
			return 1;
		}
		rs_frame_md_it_init(&it, md, (uint32_t)len);
		printf("{\"entries\":[");
		while ((rc = rs_frame_md_composite_next(&it, &e)) == 1) {
			printf("%s{\"mime\":", first ? "" : ",");
			first = 0;
			ft_print_mime(&e.mime);
			printf(",\"content\":");
			ft_print_hex(e.content, e.content_len);
			if (e.mime.well_known && e.mime.id == RS_MIME_ROUTING) {
				struct rs_frame_md_it t;
				const char *tag;
				uint8_t tl;
				int f2 = 1;

				rs_frame_md_it_init(&t, e.content, e.content_len);
				printf(",\"routes\":[");
				while (rs_frame_md_routing_next(&t, &tag, &tl) == 1) {
					printf("%s", f2 ? "" : ",");
					f2 = 0;
					ft_print_hex((const uint8_t *)tag, tl);
				}
				printf("]");
			} else if (e.mime.well_known && e.mime.id == RS_MIME_AUTHENTICATION) {
				struct rs_frame_md_auth a;

				if (rs_frame_md_auth_decode(e.content, e.content_len, &a) == 0) {
					printf(",\"auth\":{\"type\":");
					if (a.well_known)
						printf("%u", a.type_id);
					else
						ft_print_hex((const uint8_t *)a.type_str,
							     a.type_len);
					if (a.well_known && a.type_id == RS_AUTH_SIMPLE) {
						printf(",\"username\":");
						ft_print_hex(a.username, a.username_len);
					}
					printf(",\"payload\":");
					ft_print_hex(a.password, a.password_len);
					printf("}");
				}
			} else if (e.mime.well_known && (e.mime.id == RS_MIME_MIMETYPE ||
							 e.mime.id == RS_MIME_ACCEPT_MIMETYPES)) {
				struct rs_frame_md_it t;
				struct rs_frame_mime m;
				int f2 = 1;

				rs_frame_md_it_init(&t, e.content, e.content_len);
				printf(",\"mimes\":[");
				while (rs_frame_md_mime_next(&t, &m) == 1) {
					printf("%s", f2 ? "" : ",");
					f2 = 0;
					ft_print_mime(&m);
				}
				printf("]");
			}
			printf("}");
		}
		printf("],\"ok\":%s}\n", rc == 0 ? "true" : "false");
	}
	return 0;
}

/** Fixed samples encoded by us: routing (2 tags), simple, bearer and custom auth, mime-type,
 * a custom MIME entry. One hex line each, plus one with all of them. */
static int
ft_mdgen(void)
{
	static const char *const tags[] = {"svc.echo", "tenant-7"};
	static const size_t lens[] = {8, 8};
	uint8_t all[4096], buf[1024], sub[512];
	struct rs_frame_mime json = {1, RS_MIME_APPLICATION_JSON, 0, NULL};
	int n, k, total = 0;

#define FT_EMIT(expr)                                                                              \
	do {                                                                                       \
		n = (expr);                                                                        \
		if (n < 0)                                                                         \
			return 1;                                                                  \
		ft_print_raw_hex(buf, (size_t)n);                                                  \
		putchar('\n');                                                                     \
		memcpy(all + total, buf, (size_t)n);                                               \
		total += n;                                                                        \
	} while (0)

	FT_EMIT(rs_frame_md_routing_entry(buf, sizeof(buf), tags, lens, 2));
	k = rs_frame_md_auth_simple(sub, sizeof(sub), "alice", 5, "s3cret", 6);
	FT_EMIT(rs_frame_md_composite_add(buf, sizeof(buf), RS_MIME_AUTHENTICATION, sub,
					  (uint32_t)k));
	k = rs_frame_md_auth_bearer(sub, sizeof(sub), "tok.en", 6);
	FT_EMIT(rs_frame_md_composite_add(buf, sizeof(buf), RS_MIME_AUTHENTICATION, sub,
					  (uint32_t)k));
	k = rs_frame_md_auth_custom(sub, sizeof(sub), "x-token", 7, "abc", 3);
	FT_EMIT(rs_frame_md_composite_add(buf, sizeof(buf), RS_MIME_AUTHENTICATION, sub,
					  (uint32_t)k));
	k = rs_frame_md_mime_encode(sub, sizeof(sub), &json);
	FT_EMIT(rs_frame_md_composite_add(buf, sizeof(buf), RS_MIME_MIMETYPE, sub, (uint32_t)k));
	FT_EMIT(rs_frame_md_composite_add_str(buf, sizeof(buf), "app/x", 5, "\x01\x02", 2));
	ft_print_raw_hex(all, (size_t)total);
	putchar('\n');
	return 0;
}

int
main(int argc, char **argv)
{
	ft_line = malloc(FT_LINE);
	if (argc >= 2 && strcmp(argv[1], "decode") == 0)
		return ft_decode(argc >= 3 ? (uint32_t)atoi(argv[2]) : 1460);
	if (argc >= 2 && strcmp(argv[1], "encode") == 0)
		return ft_encode();
	if (argc >= 2 && strcmp(argv[1], "mdparse") == 0)
		return ft_mdparse();
	if (argc >= 2 && strcmp(argv[1], "mdgen") == 0)
		return ft_mdgen();
	fprintf(stderr, "usage: %s decode [SEG] | encode | mdparse | mdgen\n", argv[0]);
	return 2;
}
