/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seam between the IPv4 layer (dataplane/net) and the transports above it (dataplane/tcp).
 *
 * Input: the IPv4 layer validates the header, verifies or trusts (offload flag) the L4 checksum,
 * trims Ethernet padding, strips the L2/L3 headers (data now starts at the L4 header) and calls
 * dp_tcp_input() directly: one stack kind per build of the loop, no indirect call per packet.
 *
 * Output: a transport builds its L4 header at the front of the mbuf (leaving headroom for
 * Ethernet + IPv4, DP_IP4_HEADROOM bytes) with the L4 checksum field zero and calls dp_ip4_output(),
 * which prepends IPv4 and Ethernet, resolves the next hop by ARP (queueing a bounded number of
 * packets per unresolved address), and fills the L4 checksum by offload or in software.
 *
 * TCP unit tests link the TCP library against their own dp_ip4_output() to capture segments.
 */
#ifndef DP_IP4_H
#define DP_IP4_H

#include <stdint.h>

struct rte_mbuf;
struct dp_net;   /* a core's L2/L3 context: port queue, addresses, ARP cache, counters */
struct dp_tcp;   /* a core's TCP context */

/** Bytes of headroom a transport must leave for the headers dp_ip4_output() prepends. */
#define DP_IP4_HEADROOM (14 + 20)

/**
 * Send @p m (data starting at the L4 header, L4 checksum zero) from @p src_ip to @p dst_ip, both host
 * order, with IP protocol @p proto. Takes ownership of @p m in every case (a packet that cannot be
 * sent is freed and counted by reason).
 * @return 0 queued for transmit or held for ARP; -EHOSTUNREACH no route; -ENOBUFS ARP queue or TX
 *   queue full, or no headroom (packet dropped and counted); -EMSGSIZE larger than the MTU
 *   (dropped and counted). Owning core.
 */
int dp_ip4_output(struct dp_net *n, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip,
		  uint8_t proto);

/**
 * Packets dp_ip4_output() can still queue for transmit in this loop iteration. When the core's TX
 * buffer is nearly full this first hands what it holds to the port (as the end-of-loop flush
 * would), so a transport asks before building each segment and stops, to resume next iteration,
 * instead of building segments the TX path would drop. Owning core.
 */
unsigned dp_ip4_tx_room(struct dp_net *n);

/**
 * ICMP fragmentation-needed (type 3 code 4) about a TCP segment we sent, called by the IPv4 layer on
 * the core that owns the flow: the quoted segment went from @p local_ip:@p local_port to
 * @p remote_ip:@p remote_port (host order) with sequence number @p seq; the next hop takes
 * @p mtu bytes. TCP lowers that connection's MSS if @p seq is in flight (RFC 1191, RFC 5927).
 */
void dp_tcp_icmp_frag_needed(struct dp_tcp *t, uint32_t local_ip, uint16_t local_port,
			     uint32_t remote_ip, uint16_t remote_port, uint32_t seq, uint16_t mtu);

/**
 * TCP input, called by the IPv4 layer. @p m's data starts at the TCP header and its length is the
 * IPv4 payload length; the checksum has been verified. Takes ownership of @p m.
 */
void dp_tcp_input(struct dp_tcp *t, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip);

#endif /* DP_IP4_H */
