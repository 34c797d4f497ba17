/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the codec unit tests: a tiny byte-spec parser (hex bytes and 'quoted' ASCII),
 * guard-page buffers (the last input byte sits right before a PROT_NONE page), fake mbufs that
 * point at such buffers (DPDK.md 5.6: no EAL, never freed through a pool), a field-by-field frame
 * comparison, and the table of decode cases (RSOCKET.md 9 vectors, rsocket-java hex strings, one
 * valid frame of every type and one malformed frame per error reason).
 */
#ifndef RS_CODEC_TEST_H
#define RS_CODEC_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <rs/frame.h>

struct rte_mbuf;

/** Parse a byte spec: hex pairs, spaces and '|' ignored, 'text' copied as ASCII.
 * @return bytes written (aborts the test binary on a bad spec: a bug in the test itself). */
size_t ct_bytes(const char *spec, uint8_t *out, size_t cap);

/** A buffer of @p len bytes whose last byte is immediately followed by a PROT_NONE page. */
struct ct_guard {
	void *map;
	size_t map_len;
	uint8_t *p;
	size_t len;
};

/** Map a guard buffer and copy @p src (len bytes) into it. */
void ct_guard_new(struct ct_guard *g, const void *src, size_t len);
void ct_guard_free(struct ct_guard *g);

/** A fake mbuf (no pool) viewing @p len bytes at @p p. Free with ct_mbuf_free(). */
struct rte_mbuf *ct_mbuf_view(uint8_t *p, uint32_t len);
void ct_mbuf_free(struct rte_mbuf *m);
/** Free a chain of fake mbufs. */
void ct_chain_free(struct rte_mbuf *m);

/** Compare two views field by field, slices by content. @return NULL if equal, else a reason. */
const char *ct_frame_diff(const struct rs_frame *a, const struct rs_frame *b);

/** Gather a slice into a static buffer and compare with @p s (len bytes). @return 1 if equal. */
int ct_slice_eq(const struct rs_frame_slice *sl, const void *s, uint32_t len);

/** One decode case. */
struct ct_case {
	const char *name;
	const char *spec; /**< full wire image, length prefix included */
	int rc;		  /**< expected: 0 = success (consumes everything), or -EBADMSG/-EMSGSIZE */
	uint8_t err;	  /**< expected enum rs_frame_err */
	uint32_t max_len; /**< decoder limit; 0 = RS_FRAME_LEN_MAX */
};

extern const struct ct_case ct_cases[];
extern const unsigned ct_n_cases;

#endif /* RS_CODEC_TEST_H */
