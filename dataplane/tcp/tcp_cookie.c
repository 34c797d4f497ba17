/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keyed hashing for TCP: SipHash-2-4, initial sequence numbers (RFC 6528: ISN = M + F(tuple,
 * secret)), timestamp offsets per host pair, and SYN cookies in Linux's encoding (TCP.md 4). Called
 * from the input path when a SYN arrives at a listener and from active opens.
 */
#include <string.h>

#include "tcp_priv.h"

#define DP_TCP_SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define DP_TCP_SIP_ROUND(v0, v1, v2, v3)                                                           \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = DP_TCP_SIP_ROTL(v1, 13);                                                      \
		v1 ^= v0;                                                                          \
		v0 = DP_TCP_SIP_ROTL(v0, 32);                                                      \
		v2 += v3;                                                                          \
		v3 = DP_TCP_SIP_ROTL(v3, 16);                                                      \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = DP_TCP_SIP_ROTL(v3, 21);                                                      \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = DP_TCP_SIP_ROTL(v1, 17);                                                      \
		v1 ^= v2;                                                                          \
		v2 = DP_TCP_SIP_ROTL(v2, 32);                                                      \
	} while (0)

/* SipHash-2-4 (Aumasson, Bernstein), little-endian word loads. */
uint64_t
dp_tcp_siphash(const uint64_t key[2], const void *data, unsigned len)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
	uint64_t v3 = 0x7465646279746573ULL ^ key[1];
	uint64_t b = (uint64_t)len << 56;
	unsigned i;

	for (; len >= 8; len -= 8, p += 8) {
		uint64_t m = 0;
		for (i = 0; i < 8; i++)
			m |= (uint64_t)p[i] << (8 * i);
		v3 ^= m;
		DP_TCP_SIP_ROUND(v0, v1, v2, v3);
		DP_TCP_SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < len; i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	DP_TCP_SIP_ROUND(v0, v1, v2, v3);
	DP_TCP_SIP_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		DP_TCP_SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t
dp_tcp_tuple_hash(const uint64_t key[2], uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport,
		  uint32_t extra)
{
	uint32_t w[4] = {lip, rip, ((uint32_t)lport << 16) | rport, extra};

	return (uint32_t)dp_tcp_siphash(key, w, sizeof(w));
}

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us clock.
 * One boot-time secret shared by all cores, never rotated (TCP.md 2.5). */
uint32_t
dp_tcp_isn(const struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	return dp_tcp_tuple_hash(&t->conf.secret[0], lip, lport, rip, rport, 0) +
	       (uint32_t)(t->now_us >> 2);
}

/* A random timestamp offset per host pair, as Linux does (TCP.md 3.2, pitfall 14). */
uint32_t
dp_tcp_ts_offset(const struct dp_tcp *t, uint32_t lip, uint32_t rip)
{
	return dp_tcp_tuple_hash(&t->conf.secret[0], lip, 0, rip, 0, 0x7473u);
}

/* MSS values a cookie can carry (Linux's table, TCP.md 4); the peer's MSS is rounded down. */
static const uint16_t dp_tcp_cookie_mss[4] = {536, 1300, 1440, 1460};

#define DP_TCP_COOKIE_BITS 24
#define DP_TCP_COOKIE_MASK ((1u << DP_TCP_COOKIE_BITS) - 1)
#define DP_TCP_COOKIE_PERIOD_US (64ull * 1000000ull)
#define DP_TCP_COOKIE_MAX_AGE 2

static uint32_t
dp_tcp_cookie_count(const struct dp_tcp *t)
{
	return (uint32_t)(t->now_us / DP_TCP_COOKIE_PERIOD_US);
}

/* cookie = H0(tuple) + peer ISN + (count << 24) + ((H1(tuple, count) + mssidx) mod 2^24) */
uint32_t
dp_tcp_cookie_make(const struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
		   uint16_t rport, uint32_t peer_isn, uint16_t peer_mss, uint16_t *mss_out)
{
	uint32_t count = dp_tcp_cookie_count(t);
	unsigned idx = 0;
	unsigned i;

	for (i = 0; i < 4; i++)
		if (peer_mss >= dp_tcp_cookie_mss[i])
			idx = i;
	*mss_out = dp_tcp_cookie_mss[idx];
	return dp_tcp_tuple_hash(&t->conf.secret[2], lip, lport, rip, rport, 0) + peer_isn +
	       (count << DP_TCP_COOKIE_BITS) +
	       ((dp_tcp_tuple_hash(&t->conf.secret[2], lip, lport, rip, rport, count + 1) + idx) &
		DP_TCP_COOKIE_MASK);
}

/* Reverse dp_tcp_cookie_make(): 0 and the MSS if the cookie is ours and fresh, -EINVAL otherwise.
 */
int
dp_tcp_cookie_check(const struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
		    uint16_t rport, uint32_t peer_isn, uint32_t cookie, uint16_t *mss_out)
{
	uint32_t count = dp_tcp_cookie_count(t);
	uint32_t v = cookie - dp_tcp_tuple_hash(&t->conf.secret[2], lip, lport, rip, rport, 0) -
		     peer_isn;
	uint32_t age = (count - (v >> DP_TCP_COOKIE_BITS)) & (0xffffffffu >> DP_TCP_COOKIE_BITS);
	uint32_t idx;

	if (age >= DP_TCP_COOKIE_MAX_AGE)
		return -EINVAL;
	idx = (v - dp_tcp_tuple_hash(&t->conf.secret[2], lip, lport, rip, rport, count - age + 1)) &
	      DP_TCP_COOKIE_MASK;
	if (idx >= 4)
		return -EINVAL;
	*mss_out = dp_tcp_cookie_mss[idx];
	return 0;
}

/* With timestamps the low 6 bits of our SYN-ACK TSval carry the peer's window shift (0xf: none)
 * and SACK-permitted; TSval is lowered by 64 if needed so it never runs ahead of the clock. */
uint32_t
dp_tcp_cookie_tsval(uint32_t now_ts, int wscale, bool sackok)
{
	uint32_t opts = (wscale < 0 ? 0xfu : (uint32_t)wscale) | (sackok ? 0x10u : 0);
	uint32_t ts = (now_ts & ~0x3fu) | opts;

	if (dp_tcp_seq_gt(ts, now_ts))
		ts -= 64;
	return ts;
}
