/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP wire format: the fixed header (RFC 9293 3.1), flag bits, option kinds and lengths (RFC 9293
 * 3.2, RFC 7323, RFC 2018), and the wrap-safe sequence comparisons every TCP module uses. Packed
 * layouts, constants and inline helpers only; no state.
 */
#ifndef DP_PROTO_TCP_H
#define DP_PROTO_TCP_H

#include <stdbool.h>
#include <stdint.h>

/** TCP header as on the wire (all multi-byte fields big-endian). */
struct dp_tcp_hdr {
	uint16_t sport_be;
	uint16_t dport_be;
	uint32_t seq_be;
	uint32_t ack_be;
	uint8_t doff; /**< data offset in 32-bit words, high nibble */
	uint8_t flags;
	uint16_t win_be;
	uint16_t cksum_be;
	uint16_t urp_be;
} __attribute__((packed));

#define DP_TCP_HDR_LEN 20
#define DP_TCP_OPT_MAXLEN 40

#define DP_TCP_FIN 0x01
#define DP_TCP_SYN 0x02
#define DP_TCP_RST 0x04
#define DP_TCP_PSH 0x08
#define DP_TCP_ACK 0x10
#define DP_TCP_URG 0x20
#define DP_TCP_ECE 0x40
#define DP_TCP_CWR 0x80

#define DP_TCP_OPT_EOL 0
#define DP_TCP_OPT_NOP 1
#define DP_TCP_OPT_MSS 2
#define DP_TCP_OPT_WS 3
#define DP_TCP_OPT_SACKOK 4
#define DP_TCP_OPT_SACK 5
#define DP_TCP_OPT_TS 8

#define DP_TCP_OLEN_MSS 4
#define DP_TCP_OLEN_WS 3
#define DP_TCP_OLEN_SACKOK 2
#define DP_TCP_OLEN_TS 10

/** RFC 7323 2.3: a shift above 14 is treated as 14. */
#define DP_TCP_MAX_WSCALE 14

/** Wrap-safe sequence comparisons (RFC 9293 3.4): signed difference, never a raw '<'. */
static inline bool
dp_tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
dp_tcp_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool
dp_tcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool
dp_tcp_seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static inline uint32_t
dp_tcp_seq_max(uint32_t a, uint32_t b)
{
	return dp_tcp_seq_gt(a, b) ? a : b;
}

static inline uint32_t
dp_tcp_seq_min(uint32_t a, uint32_t b)
{
	return dp_tcp_seq_lt(a, b) ? a : b;
}

/** Header length in bytes from the data offset field. */
static inline unsigned
dp_tcp_hdr_len(const struct dp_tcp_hdr *th)
{
	return (unsigned)(th->doff >> 4) * 4u;
}

#endif /* DP_PROTO_TCP_H */
