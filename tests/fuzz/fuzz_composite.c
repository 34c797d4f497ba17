/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for composite metadata and the extensions nested in it: every entry is
 * iterated; routing, authentication and MIME entries are decoded; each entry is re-encoded and
 * must give back its exact bytes. The input sits in an exact-size heap copy so ASan catches any
 * read past the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rs/metadata.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 17];
	struct rs_frame_md_it it;
	struct rs_frame_md_entry e;
	uint8_t *p;
	int rc;

	if (size > (1 << 16))
		return 0;
	p = malloc(size ? size : 1);
	memcpy(p, data, size);
	/* The inline routing fast path agrees with the generic iterator. */
	{
		const char *t1 = NULL, *t2 = NULL;
		uint8_t l1 = 0, l2 = 0;
		int r1 = rs_frame_md_route_first(p, (uint32_t)size, &t1, &l1), r2 = 0;
		struct rs_frame_md_it i2;

		rs_frame_md_it_init(&i2, p, (uint32_t)size);
		while ((rc = rs_frame_md_composite_next(&i2, &e)) == 1) {
			if (e.mime.well_known && e.mime.id == RS_MIME_ROUTING) {
				struct rs_frame_md_it t;

				rs_frame_md_it_init(&t, e.content, e.content_len);
				r2 = rs_frame_md_routing_next(&t, &t2, &l2);
				break;
			}
		}
		if (rc < 0)
			r2 = rc;
		if (r1 != r2 || (r1 == 1 && (t1 != t2 || l1 != l2)))
			abort();
	}
	rs_frame_md_it_init(&it, p, (uint32_t)size);
	for (;;) {
		const uint8_t *start = it.p;
		int n;

		rc = rs_frame_md_composite_next(&it, &e);
		if (rc <= 0)
			break;
		/* Re-encoding the entry reproduces its bytes. */
		if (e.mime.well_known)
			n = rs_frame_md_composite_add(out, sizeof(out), e.mime.id, e.content,
						      e.content_len);
		else
			n = rs_frame_md_composite_add_str(out, sizeof(out), e.mime.str,
							  e.mime.str_len, e.content, e.content_len);
		if (n != (int)(it.p - start) || memcmp(out, start, (size_t)n) != 0)
			abort();
		if (e.mime.well_known && e.mime.id == RS_MIME_ROUTING) {
			struct rs_frame_md_it t;
			const char *tag;
			uint8_t tl;

			rs_frame_md_it_init(&t, e.content, e.content_len);
			while (rs_frame_md_routing_next(&t, &tag, &tl) == 1)
				if (tl == 0 || tag < (const char *)e.content)
					abort();
		} else if (e.mime.well_known && e.mime.id == RS_MIME_AUTHENTICATION) {
			struct rs_frame_md_auth a;

			if (rs_frame_md_auth_decode(e.content, e.content_len, &a) == 0 &&
			    a.password + a.password_len != e.content + e.content_len)
				abort();
		} else if (e.mime.well_known && (e.mime.id == RS_MIME_MIMETYPE ||
						 e.mime.id == RS_MIME_ACCEPT_MIMETYPES)) {
			struct rs_frame_md_it t;
			struct rs_frame_mime m;

			rs_frame_md_it_init(&t, e.content, e.content_len);
			while (rs_frame_md_mime_next(&t, &m) == 1) {
				rs_frame_mime_normalize(&m);
				(void)rs_frame_mime_name(m.id);
			}
		}
	}
	free(p);
	return 0;
}
