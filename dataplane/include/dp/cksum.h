/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums over mbuf chains (RFC 1071), for ports without L4 checksum offload (memif,
 * ring, af_packet) and for ICMP. Used by the IPv4 layer on RX (verify) and TX (fill).
 *
 * Why not rte_raw_cksum_mbuf(): in DPDK 22.11 (Debian 22.11.11) it truncates a segment's 32-bit
 * partial sum to 16 bits before byte-swapping a segment that starts at an odd offset of the
 * checksummed range (`rte_bswap16((uint16_t)tmp)`), dropping the carries. Any chain with a segment
 * boundary at an odd offset then gets a wrong checksum: the peer drops the packet. Zero-copy TX
 * chains (a header mbuf followed by pieces of received payload) hit this routinely. Here each
 * segment's sum is folded to 16 bits first, then swapped (TCP.md 1.6, RFC 1071 section 2 (B)).
 */
#ifndef DP_CKSUM_H
#define DP_CKSUM_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

/**
 * Non-complemented 16-bit ones'-complement sum of @p len bytes of chain @p m from offset @p off.
 * @return 0 and *cksum set, or -1 if the range runs past pkt_len.
 */
static inline int
dp_cksum_raw_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	if (unlikely((uint64_t)off + len > rte_pktmbuf_pkt_len(m)))
		return -1;
	while (seg != NULL && off >= rte_pktmbuf_data_len(seg)) {
		off -= rte_pktmbuf_data_len(seg);
		seg = seg->next;
	}
	while (done < len) {
		uint32_t seglen;
		uint16_t part;

		if (unlikely(seg == NULL))
			return -1;
		seglen = RTE_MIN((uint32_t)rte_pktmbuf_data_len(seg) - off, len - done);
		part = __rte_raw_cksum_reduce(
			__rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const char *, off), seglen, 0));
		/* A piece starting at an odd offset of the range has its bytes in the other lanes. */
		if (done & 1)
			part = rte_bswap16(part);
		sum += part;
		done += seglen;
		off = 0;
		seg = seg->next;
	}
	*cksum = __rte_raw_cksum_reduce(sum);
	return 0;
}

/* Non-complemented L4 sum including the pseudo-header; the L4 length comes from the IPv4 header,
 * as in DPDK's rte_ipv4_udptcp_cksum_mbuf(). Returns 0 when the range is invalid. */
static inline uint16_t
dp_cksum_ip4_l4_raw(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l4_off)
{
	uint16_t raw;
	uint32_t sum;
	uint16_t len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip));

	if (unlikely(l4_off > m->pkt_len) || dp_cksum_raw_mbuf(m, l4_off, len, &raw) != 0)
		return 0;
	sum = (uint32_t)raw + rte_ipv4_phdr_cksum(ip, 0);
	return __rte_raw_cksum_reduce(sum);
}

/** The complemented TCP/UDP checksum to store in the L4 header of chain @p m (RFC 768: a UDP
 * checksum of 0 is sent as 0xffff). */
static inline uint16_t
dp_cksum_ip4_l4_mbuf(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l4_off)
{
	uint16_t ck = (uint16_t)~dp_cksum_ip4_l4_raw(m, ip, l4_off);

	if (ck == 0 && ip->next_proto_id == IPPROTO_UDP)
		ck = 0xffff;
	return ck;
}

/** @return 0 if the TCP/UDP checksum of chain @p m is valid, -1 otherwise. */
static inline int
dp_cksum_ip4_l4_mbuf_verify(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
			    uint16_t l4_off)
{
	return dp_cksum_ip4_l4_raw(m, ip, l4_off) == 0xffff ? 0 : -1;
}

#endif /* DP_CKSUM_H */
