/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 (RFC 791, TCP.md 1.3) for one core. Input: validate the header (version, IHL, total length,
 * checksum by offload flag or in software), drop fragments and options we do not handle, accept
 * only our address, trim Ethernet padding by the total length (TCP.md 1.1), then ICMP, or TCP on
 * the core that owns the flow (forwarding to it through the runtime's hook otherwise), with the TCP
 * checksum verified (offload flag or software). Output: dp_ip4_output() (dp/ip4.h) prepends IPv4
 * and Ethernet, fills checksums by offload where the port has it (TCP.md 1.7) and in software where
 * not, routes on-link or to the gateway, and hands the frame to ARP.
 */
#include <errno.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp/cksum.h"
#include "dp/ip4.h"
#include "dp/net.h"
#include "net_priv.h"

#define DP_IP4_HLEN 20

/* Options other than EOL and NOP make us drop the packet (we act on none). */
static int
dp_ip4_options_ok(const uint8_t *opt, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i++) {
		if (opt[i] == 0) /* EOL: the rest is padding */
			return 1;
		if (opt[i] != 1) /* not NOP */
			return 0;
	}
	return 1;
}

/* Sources we never answer: 0/8, 127/8, multicast and reserved (224/3), broadcast, ourselves. */
static inline int
dp_ip4_martian_src(const struct dp_net *n, uint32_t src)
{
	uint8_t a = (uint8_t)(src >> 24);

	return a == 0 || a == 127 || a >= 224 || src == n->conf.ip;
}

int
dp_ip4_steer(struct dp_net *n, struct rte_mbuf *m, uint32_t remote_ip, uint32_t local_ip,
	     uint16_t remote_port, uint16_t local_port)
{
	unsigned owner = dp_net_flow_lcore(n, remote_ip, local_ip, remote_port, local_port);

	if (owner == n->conf.lcore)
		return 0;
	if (n->conf.fwd == NULL || n->conf.fwd(n->conf.fwd_ctx, owner, m) != 0)
		return -1;
	n->stat[DP_NET_STAT_FWD_OUT]++;
	return 1;
}

/* TCP: checksum, flow ownership, then hand up without L2/L3 headers. */
static void
dp_ip4_tcp(struct dp_net *n, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t hlen,
	   int forwarded)
{
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);
	uint16_t l4_off = RTE_ETHER_HDR_LEN + hlen;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	const struct rte_tcp_hdr *th;
	const struct dp_port *p = n->conf.port;
	enum dp_net_drop why;

	if (unlikely(m->pkt_len < (uint32_t)l4_off + sizeof(struct rte_tcp_hdr) ||
		     m->data_len < l4_off + sizeof(struct rte_tcp_hdr))) {
		why = DP_NET_DROP_TCP_SHORT;
		goto drop;
	}
	if (!n->conf.rx_cksum || l4 == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN) {
		if (dp_cksum_ip4_l4_mbuf_verify(m, ip, l4_off) != 0) {
			why = DP_NET_DROP_TCP_CKSUM;
			goto drop;
		}
	} else if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		why = DP_NET_DROP_TCP_CKSUM;
		goto drop;
	}
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, l4_off);
	/* Software steering where the NIC did not apply our hash (tap, fixed-key NICs,
	 * DPDK.md 3.2). */
	if (!forwarded && p != NULL && p->nb_queues > 1 && !p->rss) {
		int rc = dp_ip4_steer(n, m, src, dst, rte_be_to_cpu_16(th->src_port),
				      rte_be_to_cpu_16(th->dst_port));

		if (rc < 0) {
			why = DP_NET_DROP_WRONG_CORE;
			goto drop;
		}
		if (rc > 0) {
			n->stat[DP_NET_STAT_FWD_TCP_OUT]++;
			return;
		}
	}
	if (unlikely(n->conf.tcp == NULL)) {
		why = DP_NET_DROP_NO_TCP;
		goto drop;
	}
	rte_pktmbuf_adj(m, l4_off);
	n->stat[DP_NET_STAT_TCP_IN]++;
	dp_tcp_input(n->conf.tcp, m, src, dst);
	return;
drop:
	dp_net_drop(n, m, why);
}

void
dp_ip4_input(struct dp_net *n, struct rte_mbuf *m, int forwarded)
{
	struct rte_ipv4_hdr *ip;
	uint32_t frame_ip_len;
	uint16_t hlen, tot;
	uint64_t ipf;
	enum dp_net_drop why;

	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + DP_IP4_HLEN)) {
		why = DP_NET_DROP_IP_SHORT;
		goto drop;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	if (unlikely((ip->version_ihl >> 4) != 4)) {
		why = DP_NET_DROP_IP_VERSION;
		goto drop;
	}
	hlen = (uint16_t)((ip->version_ihl & 0x0f) * 4);
	if (unlikely(hlen < DP_IP4_HLEN)) {
		why = DP_NET_DROP_IP_IHL;
		goto drop;
	}
	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + hlen)) {
		why = DP_NET_DROP_IP_SHORT; /* the header must be contiguous */
		goto drop;
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	frame_ip_len = m->pkt_len - RTE_ETHER_HDR_LEN;
	if (unlikely(tot < hlen || tot > frame_ip_len)) {
		why = DP_NET_DROP_IP_TOTLEN;
		goto drop;
	}
	ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (!n->conf.rx_cksum || ipf == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN) {
		if (rte_raw_cksum(ip, hlen) != 0xffff) {
			why = DP_NET_DROP_IP_CKSUM;
			goto drop;
		}
	} else if (ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
		why = DP_NET_DROP_IP_CKSUM;
		goto drop;
	}
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		why = DP_NET_DROP_IP_FRAG;
		goto drop;
	}
	if (unlikely(hlen > DP_IP4_HLEN &&
		     !dp_ip4_options_ok((const uint8_t *)(ip + 1), hlen - DP_IP4_HLEN))) {
		why = DP_NET_DROP_IP_OPTIONS;
		goto drop;
	}
	if (unlikely(ip->dst_addr != rte_cpu_to_be_32(n->conf.ip))) {
		why = DP_NET_DROP_IP_NOT_US;
		goto drop;
	}
	if (unlikely(dp_ip4_martian_src(n, rte_be_to_cpu_32(ip->src_addr)))) {
		why = DP_NET_DROP_IP_SRC;
		goto drop;
	}
	/* Short frames arrive padded to 60 bytes: the IPv4 total length is the truth (TCP.md 1.1).
	 */
	if (frame_ip_len > tot && rte_pktmbuf_trim(m, (uint16_t)(frame_ip_len - tot)) != 0) {
		why = DP_NET_DROP_IP_TOTLEN;
		goto drop;
	}
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		dp_ip4_tcp(n, m, ip, hlen, forwarded);
		return;
	case IPPROTO_ICMP:
		dp_icmp_input(n, m, hlen, forwarded);
		return;
	default:
		why = DP_NET_DROP_IP_PROTO;
		break;
	}
drop:
	dp_net_drop(n, m, why);
}

void
dp_ip4_cksum_finalize(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	uint64_t f = m->ol_flags;
	uint16_t l4_off;

	if ((f & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) == 0)
		return;
	if (m->data_len < RTE_ETHER_HDR_LEN + DP_IP4_HLEN)
		return;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	l4_off = (uint16_t)(RTE_ETHER_HDR_LEN + rte_ipv4_hdr_len(ip));
	if (f & RTE_MBUF_F_TX_IP_CKSUM) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM) {
		struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l4_off);

		th->cksum = 0;
		th->cksum = dp_cksum_ip4_l4_mbuf(m, ip, l4_off);
	} else if ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
		struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, l4_off);

		uh->dgram_cksum = 0;
		uh->dgram_cksum = dp_cksum_ip4_l4_mbuf(m, ip, l4_off);
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
}

/* Fill IPv4 and L4 checksums: offload where the port has it, software where not (TCP.md 1.7). */
static void
dp_ip4_tx_cksum(struct dp_net *n, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint8_t proto)
{
	const uint16_t l4_off = RTE_ETHER_HDR_LEN + DP_IP4_HLEN;
	uint16_t *l4_ck = NULL;
	uint64_t l4_flag = 0;

	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4 |
			 RTE_MBUF_F_TX_TCP_SEG);
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = DP_IP4_HLEN;
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l4_off);

		m->l4_len = (uint8_t)((th->data_off >> 4) * 4);
		l4_ck = &th->cksum;
		l4_flag = RTE_MBUF_F_TX_TCP_CKSUM;
	} else if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, l4_off);

		m->l4_len = sizeof(*uh);
		l4_ck = &uh->dgram_cksum;
		l4_flag = RTE_MBUF_F_TX_UDP_CKSUM;
	} else if (proto == IPPROTO_ICMP) {
		/* ICMP has no offload: its checksum covers the message only. */
		uint16_t *ck = rte_pktmbuf_mtod_offset(m, uint16_t *, l4_off + 2);
		uint16_t raw = 0;

		*ck = 0;
		if (dp_cksum_raw_mbuf(m, l4_off, m->pkt_len - l4_off, &raw) == 0)
			*ck = (uint16_t)~raw;
	}
	ip->hdr_checksum = 0;
	if (n->conf.tx_ip_cksum)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (l4_ck == NULL)
		return;
	if (n->conf.tx_l4_cksum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | l4_flag;
		*l4_ck = rte_ipv4_phdr_cksum(ip, m->ol_flags);
	} else {
		*l4_ck = 0;
		*l4_ck = m->nb_segs == 1 ? rte_ipv4_udptcp_cksum(ip, (const char *)ip + DP_IP4_HLEN)
					 : dp_cksum_ip4_l4_mbuf(m, ip, l4_off);
	}
}

unsigned
dp_ip4_tx_room(struct dp_net *n)
{
	/* Not while the port refuses everything (tx_stuck): each query would count as a flush
	 * of the stuck rule, dropping one packet per 64 queries; the loop's flush retries. */
	if (unlikely(n->tx_n >= DP_NET_TX_MAX - DP_NET_TX_MAX / 8 && n->tx_stuck == 0))
		(void)dp_net_tx_flush(n);
	return DP_NET_TX_MAX - n->tx_n;
}

int
dp_ip4_output(struct dp_net *n, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip, uint8_t proto)
{
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	uint32_t nexthop;
	uint32_t len = m->pkt_len + DP_IP4_HLEN;

	n->stat[DP_NET_STAT_IP_OUT]++;
	if ((dst_ip & n->netmask) == (n->conf.ip & n->netmask)) {
		nexthop = dst_ip;
	} else if (n->conf.gateway != 0) {
		nexthop = n->conf.gateway;
	} else {
		dp_net_drop(n, m, DP_NET_DROP_NO_ROUTE);
		return -EHOSTUNREACH;
	}
	if (unlikely(len > n->conf.mtu)) {
		dp_net_drop(n, m, DP_NET_DROP_TOO_BIG);
		return -EMSGSIZE;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, DP_IP4_HEADROOM);
	if (unlikely(eh == NULL)) {
		dp_net_drop(n, m, DP_NET_DROP_NO_HEADROOM);
		return -ENOBUFS;
	}
	rte_ether_addr_copy(&n->conf.mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->packet_id = rte_cpu_to_be_16(n->ip_id++);
	/* Always DF (TCP.md 1.3): PMTUD, and any ID is fine (RFC 6864). */
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src_ip);
	ip->dst_addr = rte_cpu_to_be_32(dst_ip);
	dp_ip4_tx_cksum(n, m, ip, proto);
	return dp_arp_output(n, m, nexthop);
}
