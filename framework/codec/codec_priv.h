/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the codec: the encoding plan shared by the buffer encoder (frame_encode.c) and the
 * mbuf chain encoder (frame_mbuf.c). A plan lists a frame's bytes as up to RS_FRAME_PLAN_PARTS
 * parts, each either bytes staged in the plan's own small buffer (prefix, header, fixed fields,
 * length fields) or a slice of the caller's metadata, data or string fields, so both encoders write
 * the same bytes from one description and a payload part can be attached instead of copied.
 */
#ifndef RS_CODEC_PRIV_H
#define RS_CODEC_PRIV_H

#include <stdint.h>

#include <rs/frame.h>

#define RS_FRAME_PLAN_PARTS 12u
#define RS_FRAME_PLAN_STAGE 64u

/** What a plan part holds. */
enum rs_frame_part_kind {
	RS_FRAME_PART_STAGED, /**< bytes in plan->stage */
	RS_FRAME_PART_SLICE,  /**< bytes of a caller slice */
	RS_FRAME_PART_MD,     /**< the frame's metadata (a slice; may be attached) */
	RS_FRAME_PART_DATA,   /**< the frame's data (a slice; may be attached) */
};

struct rs_frame_part {
	uint8_t kind;
	uint16_t stage_off; /**< STAGED: offset in plan->stage */
	uint32_t len;
	const struct rs_frame_slice *slice; /**< SLICE, MD, DATA */
};

struct rs_frame_plan {
	unsigned n;
	uint32_t total; /**< bytes, prefix included */
	uint32_t stage_len;
	struct rs_frame_part part[RS_FRAME_PLAN_PARTS];
	uint8_t stage[RS_FRAME_PLAN_STAGE];
};

/**
 * Build the plan for @p f. @p md_len / @p data_len override the slices' lengths (for attached
 * payloads); pass f->metadata.len / f->data.len otherwise.
 * @return 0; -EMSGSIZE when over 0xFFFFFF; -EINVAL for an unencodable type or field.
 */
int rs_frame_plan_build(struct rs_frame_plan *pl, const struct rs_frame *f, uint32_t md_len,
			uint32_t data_len);

/** Copy @p len bytes of slice @p s into @p dst. */
void rs_frame_slice_gather(const struct rs_frame_slice *s, uint8_t *dst, uint32_t len);

#endif /* RS_CODEC_PRIV_H */
