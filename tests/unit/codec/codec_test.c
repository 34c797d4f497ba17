/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers and the decode case table shared by the codec unit tests (see codec_test.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "codec_test.h"

static int
ct_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t
ct_bytes(const char *spec, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const char *s = spec;

	while (*s) {
		if (*s == ' ' || *s == '|' || *s == '\n') {
			s++;
		} else if (*s == '\'') {
			s++;
			while (*s && *s != '\'') {
				if (n >= cap)
					goto bad;
				out[n++] = (uint8_t)*s++;
			}
			if (*s != '\'')
				goto bad;
			s++;
		} else {
			int hi = ct_hexval(s[0]), lo = s[1] ? ct_hexval(s[1]) : -1;

			if (hi < 0 || lo < 0 || n >= cap)
				goto bad;
			out[n++] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
	}
	return n;
bad:
	fprintf(stderr, "bad byte spec: %s\n", spec);
	abort();
}

void
ct_guard_new(struct ct_guard *g, const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + pg - 1) / pg;
	uint8_t *m;

	if (data_pages == 0)
		data_pages = 1;
	g->map_len = (data_pages + 1) * pg;
	m = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		abort();
	}
	if (mprotect(m + data_pages * pg, pg, PROT_NONE) != 0) {
		perror("mprotect");
		abort();
	}
	g->map = m;
	g->len = len;
	g->p = m + data_pages * pg - len;
	if (len)
		memcpy(g->p, src, len);
}

void
ct_guard_free(struct ct_guard *g)
{
	munmap(g->map, g->map_len);
	g->map = NULL;
}

struct rte_mbuf *
ct_mbuf_view(uint8_t *p, uint32_t len)
{
	struct rte_mbuf *m = aligned_alloc(64, sizeof(*m));

	if (m == NULL)
		abort();
	memset(m, 0, sizeof(*m));
	m->buf_addr = p;
	m->buf_len = (uint16_t)len;
	m->data_off = 0;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
	return m;
}

void
ct_mbuf_free(struct rte_mbuf *m)
{
	free(m);
}

void
ct_chain_free(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *n = m->next;

		free(m);
		m = n;
	}
}

static uint8_t ct_gather_buf[1 << 24];

int
ct_slice_eq(const struct rs_frame_slice *sl, const void *s, uint32_t len)
{
	if (sl->len != len)
		return 0;
	if (sl->ptr_len > sl->len)
		return 0;
	rs_frame_slice_copy(sl, ct_gather_buf, len);
	return memcmp(ct_gather_buf, s, len) == 0;
}

static int
ct_slices_eq(const struct rs_frame_slice *a, const struct rs_frame_slice *b)
{
	static uint8_t tmp[1 << 24];

	if (a->len != b->len)
		return 0;
	rs_frame_slice_copy(b, tmp, b->len);
	return ct_slice_eq(a, tmp, b->len);
}

const char *
ct_frame_diff(const struct rs_frame *a, const struct rs_frame *b)
{
	if (a->err != b->err)
		return "err";
	if (a->frame_len != b->frame_len)
		return "frame_len";
	if (a->err == RS_FRAME_ERR_TOO_BIG)
		return NULL;
	if (a->type != b->type || a->flags != b->flags || a->stream_id != b->stream_id)
		return "header";
	if (a->err != RS_FRAME_OK)
		return NULL;
	switch (a->type) {
	case RS_FRAME_SETUP:
		if (a->setup.major != b->setup.major || a->setup.minor != b->setup.minor ||
		    a->setup.keepalive_ms != b->setup.keepalive_ms ||
		    a->setup.lifetime_ms != b->setup.lifetime_ms)
			return "setup fields";
		if (!ct_slices_eq(&a->setup.token, &b->setup.token) ||
		    !ct_slices_eq(&a->setup.md_mime, &b->setup.md_mime) ||
		    !ct_slices_eq(&a->setup.data_mime, &b->setup.data_mime))
			return "setup strings";
		break;
	case RS_FRAME_LEASE:
		if (a->lease.ttl_ms != b->lease.ttl_ms ||
		    a->lease.n_requests != b->lease.n_requests)
			return "lease";
		break;
	case RS_FRAME_KEEPALIVE:
	case RS_FRAME_RESUME_OK:
		if (a->position != b->position)
			return "position";
		break;
	case RS_FRAME_REQUEST_STREAM:
	case RS_FRAME_REQUEST_CHANNEL:
	case RS_FRAME_REQUEST_N:
		if (a->request_n != b->request_n)
			return "request_n";
		break;
	case RS_FRAME_ERROR:
		if (a->error_code != b->error_code)
			return "error_code";
		break;
	case RS_FRAME_RESUME:
		if (a->resume.major != b->resume.major || a->resume.minor != b->resume.minor ||
		    a->resume.last_server_pos != b->resume.last_server_pos ||
		    a->resume.first_client_pos != b->resume.first_client_pos)
			return "resume fields";
		if (!ct_slices_eq(&a->resume.token, &b->resume.token))
			return "resume token";
		break;
	case RS_FRAME_EXT:
		if (a->ext_type != b->ext_type)
			return "ext_type";
		break;
	default:
		break;
	}
	if (!ct_slices_eq(&a->metadata, &b->metadata))
		return "metadata";
	if (!ct_slices_eq(&a->data, &b->data))
		return "data";
	return NULL;
}

#define OK 0, RS_FRAME_OK
#define BAD(e) -EBADMSG, RS_FRAME_ERR_##e

const struct ct_case ct_cases[] = {
	/* RSOCKET.md section 9 */
	{"V1 setup",
	 "00004b 00000000 0400 00010000 00007530 00015f90 27 "
	 "'message/x.rsocket.composite-metadata.v0' 10 'application/json'",
	 OK, 0},
	{"V2 request_response composite", "000014 00000001 1100 000009 fe 000005 04 'echo' 'hi'",
	 OK, 0},
	{"V3 request_n max", "00000a 00000001 2000 7fffffff", OK, 0},
	{"V4 payload next|complete", "000008 00000001 2860 'ok'", OK, 0},
	{"V5 keepalive R", "00000e 00000000 0c80 0000000000001234", OK, 0},
	{"V6 error invalid_setup", "00000d 00000000 2c00 00000001 'bad'", OK, 0},
	{"V7 setup R L M",
	 "000033 00000000 05c0 00010000 000001f4 000007d0 0002 aabb 0a 'text/plain'"
	 " 0a 'text/plain' 000002 'md' 'dd'",
	 OK, 0},
	{"V8 frag 1", "00000d 00000003 1180 000004 'ABCD'", OK, 0},
	{"V8 frag 2", "00000e 00000003 2920 000002 'EF' 'xyz'", OK, 0},
	{"V9 resume", "00001e 00000000 3400 00010000 0002 0102 0000000000000010 0000000000000008",
	 OK, 0},
	/* rsocket-java unit-test hex strings (RSOCKET.md 9, cross-check) */
	{"java RequestNFrameCodecTest", "00000a00000001200000000005", OK, 0},
	{"java ErrorFrameCodecTest", "00000b000000012c000000020164", OK, 0},
	{"java KeepaliveFrameFlyweightTest", "00000f000000000c80000000000000000064", OK, 0},
	{"java GenericFrameCodecTest", "000010000000011900000000010000026d6464", OK, 0},
	/* one more valid frame of every type and flag */
	{"setup R empty token, L, M empty",
	 "000019 00000000 05c0 00010000 00000001 00000001 0000 00"
	 " 00 000000",
	 OK, 0},
	{"lease with metadata", "000010 00000000 0900 00001388 0000000a 'md'", OK, 0},
	{"lease without metadata", "00000e 00000000 0800 00001388 0000000a", OK, 0},
	{"lease zero", "00000e 00000000 0800 00000000 00000000", OK, 0},
	{"keepalive data", "000011 00000000 0c00 0000000000000001 'abc'", OK, 0},
	{"request_response empty", "000006 00000001 1000", OK, 0},
	{"request_response M empty", "000009 00000001 1100 000000", OK, 0},
	{"request_fnf", "000009 00000005 1400 'fnf'", OK, 0},
	{"request_fnf M F", "00000e 00000005 1580 000002 'mm' 'ddd'", OK, 0},
	{"request_stream", "00000c 00000007 1800 00000010 'st'", OK, 0},
	{"request_channel M C", "000012 00000009 1d40 00000003 000001 'm' 'chan'", OK, 0},
	{"cancel", "000006 00000003 2400", OK, 0},
	{"payload complete", "000006 00000001 2840", OK, 0},
	{"payload M N", "00000c 00000001 2920 000001 'm' 'dd'", OK, 0},
	{"payload F N", "000008 00000001 28a0 'xy'", OK, 0},
	{"payload F C N M", "00000c 00000001 29e0 000001 'm' 'dd'", OK, 0},
	{"error app code", "00000e 00000003 2c00 00000301 'oops'", OK, 0},
	{"metadata_push", "00000a 00000000 3100 'meta'", OK, 0},
	{"metadata_push empty", "000006 00000000 3100", OK, 0},
	{"resume_ok", "00000e 00000000 3800 0000000000000042", OK, 0},
	{"ext I M", "000012 00000001 ff00 00000007 000002 'md' 'xyz'", OK, 0},
	{"ext I", "00000d 00000000 fe00 00000001 'abc'", OK, 0},
	{"request_n trailing byte", "00000b 00000001 2000 00000005 ff", OK, 0},
	{"stream id MSB masked", "000008 80000001 2860 'ok'", OK, 0},
	/* malformed: one or more per reason */
	{"prefix 0", "000000", BAD(TOO_SHORT), 0},
	{"prefix 5", "000005 00000001 24", BAD(TOO_SHORT), 0},
	{"request_n short", "000009 00000001 2000 000000", BAD(TOO_SHORT), 0},
	{"request_stream short", "000008 00000001 1800 0000", BAD(TOO_SHORT), 0},
	{"keepalive short", "00000d 00000000 0c80 00000000000000", BAD(TOO_SHORT), 0},
	{"error short", "000008 00000000 2c00 0000", BAD(TOO_SHORT), 0},
	{"setup short", "000010 00000000 0400 00010000 00007530 0001", BAD(TOO_SHORT), 0},
	{"setup no data mime", "000014 00000000 0400 00010000 00007530 00015f90 01 'a'",
	 BAD(TOO_SHORT), 0},
	{"lease short", "00000d 00000000 0800 00001388 000000", BAD(TOO_SHORT), 0},
	{"resume_ok short", "00000a 00000000 3800 00000000", BAD(TOO_SHORT), 0},
	{"ext short", "000008 00000000 fe00 0000", BAD(TOO_SHORT), 0},
	{"resume no positions", "000014 00000000 3400 00010000 0000 0000000000000010",
	 BAD(TOO_SHORT), 0},
	{"metadata past end", "00000b 00000001 1100 000005 'ab'", BAD(METADATA_LEN), 0},
	{"metadata length cut", "000008 00000001 1100 0000", BAD(METADATA_LEN), 0},
	{"payload I metadata past end", "00000b 00000001 2b20 000009 'ab'", BAD(METADATA_LEN), 0},
	{"request_stream metadata past end", "000010 00000001 1900 00000001 000100 'abc'",
	 BAD(METADATA_LEN), 0},
	{"ext metadata past end", "00000e 00000001 ff00 00000007 000002 'm'", BAD(METADATA_LEN), 0},
	{"setup token past end", "000016 00000000 0480 00010000 00007530 00015f90 0009 00 00",
	 BAD(METADATA_LEN), 0},
	{"setup mime past end", "000014 00000000 0400 00010000 00007530 00015f90 05 00",
	 BAD(METADATA_LEN), 0},
	{"setup metadata past end", "000017 00000000 0500 00010000 00007530 00015f90 00 00 000001",
	 BAD(METADATA_LEN), 0},
	{"resume token past end",
	 "00001c 00000000 3400 00010000 00ff 0000000000000010"
	 " 0000000000000008",
	 BAD(METADATA_LEN), 0},
	/* Fixed fields exactly one byte short: the boundary of every minimum-length check. */
	{"request_stream one byte short", "000009 00000001 1800 000000", BAD(TOO_SHORT), 0},
	{"request_channel one byte short", "000009 00000001 1c00 000000", BAD(TOO_SHORT), 0},
	{"setup one byte short", "000013 00000000 0400 00010000 00007530 00015f90 00",
	 BAD(TOO_SHORT), 0},
	{"error one byte short", "000009 00000000 2c00 000000", BAD(TOO_SHORT), 0},
	{"ext one byte short", "000009 00000000 fe00 000000", BAD(TOO_SHORT), 0},
	{"resume_ok one byte short", "00000d 00000000 3800 00000000000000", BAD(TOO_SHORT), 0},
	{"resume one byte short of the token length", "00000b 00000000 3400 00010000 00",
	 BAD(TOO_SHORT), 0},
	{"resume positions one byte short",
	 "00001b 00000000 3400 00010000 0000 0000000000000010 00000000000000", BAD(TOO_SHORT), 0},
	/* Lengths exactly one byte past the end, and exactly to the end: the boundary of every
	 * length check (an off-by-one there reads past the frame). */
	{"request_response metadata to the end", "00000b 00000001 1100 000002 'ab'", OK, 0},
	{"request_response metadata one past end", "00000b 00000001 1100 000003 'ab'",
	 BAD(METADATA_LEN), 0},
	{"request_stream metadata one past end", "00000f 00000001 1900 00000001 000003 'ab'",
	 BAD(METADATA_LEN), 0},
	{"payload metadata one past end", "00000b 00000001 2920 000003 'ab'", BAD(METADATA_LEN), 0},
	{"setup token one past end", "000016 00000000 0480 00010000 00007530 00015f90 0003 0000",
	 BAD(METADATA_LEN), 0},
	{"setup mime one past end", "000014 00000000 0400 00010000 00007530 00015f90 02 'a'",
	 BAD(METADATA_LEN), 0},
	{"resume token one past end", "00000e 00000000 3400 00010000 0003 'ab'", BAD(METADATA_LEN),
	 0},
	{"payload stream 0", "000008 00000000 2860 'ok'", BAD(STREAM_ID), 0},
	{"request_response stream 0", "000006 00000000 1000", BAD(STREAM_ID), 0},
	{"request_n stream 0", "00000a 00000000 2000 00000001", BAD(STREAM_ID), 0},
	{"cancel stream 0", "000006 00000000 2400", BAD(STREAM_ID), 0},
	{"setup stream 1", "000014 00000001 0400 00010000 00007530 00015f90 00 00", BAD(STREAM_ID),
	 0},
	{"keepalive stream 3", "00000e 00000003 0c80 0000000000000000", BAD(STREAM_ID), 0},
	{"lease stream 1", "00000e 00000001 0800 00001388 0000000a", BAD(STREAM_ID), 0},
	{"metadata_push stream 1", "00000a 00000001 3100 'meta'", BAD(STREAM_ID), 0},
	{"resume stream 1", "00001c 00000001 3400 00010000 0000 0000000000000010 0000000000000008",
	 BAD(STREAM_ID), 0},
	{"resume_ok stream 1", "00000e 00000001 3800 0000000000000042", BAD(STREAM_ID), 0},
	{"unknown type I=0", "000006 00000001 4000", BAD(UNKNOWN_TYPE), 0},
	{"reserved type", "000006 00000000 0000", BAD(UNKNOWN_TYPE), 0},
	{"unknown type I=1", "000008 00000001 4200 'zz'", BAD(UNKNOWN_IGNORE), 0},
	{"unknown 0x3e I=1", "000006 00000000 fa00", BAD(UNKNOWN_IGNORE), 0},
	{"payload no N no C", "000008 00000001 2800 'ok'", BAD(FLAGS), 0},
	{"metadata_push no M", "00000a 00000000 3000 'meta'", BAD(FLAGS), 0},
	{"request_n zero", "00000a 00000001 2000 00000000", BAD(VALUE), 0},
	{"request_stream n zero", "00000a 00000001 1800 00000000", BAD(VALUE), 0},
	{"request_channel n zero (MSB only)", "00000a 00000001 1c00 80000000", BAD(VALUE), 0},
	{"setup keepalive zero", "000014 00000000 0400 00010000 00000000 00015f90 00 00",
	 BAD(VALUE), 0},
	{"setup lifetime zero", "000014 00000000 0400 00010000 00000001 00000000 00 00", BAD(VALUE),
	 0},
	{"ext type zero", "00000a 00000000 fe00 00000000", BAD(VALUE), 0},
	{"over max frame", "000041 00000001 2820 'abc'", -EMSGSIZE, RS_FRAME_ERR_TOO_BIG, 64},
	{"over max frame, prefix only", "000041", -EMSGSIZE, RS_FRAME_ERR_TOO_BIG, 64},
};

const unsigned ct_n_cases = sizeof(ct_cases) / sizeof(ct_cases[0]);
