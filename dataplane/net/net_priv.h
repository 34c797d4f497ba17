/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to dataplane/net: the functions the input chain calls between files (eth -> arp | ipv4
 * -> icmp | tcp) and the drop helper every input function ends in (STYLE.md, one `drop:` label).
 */
#ifndef DP_NET_PRIV_H
#define DP_NET_PRIV_H

#include <rte_log.h>
#include <rte_mbuf.h>

#include "dp/net.h"

extern int dp_net_logtype;
#define RTE_LOGTYPE_DP_NET dp_net_logtype

/* Free @p m and count it under @p r. */
static inline void
dp_net_drop(struct dp_net *n, struct rte_mbuf *m, enum dp_net_drop r)
{
	n->drop[r]++;
	rte_pktmbuf_free(m);
}

static inline void
dp_net_count(struct dp_net *n, enum dp_net_stat s, uint64_t v)
{
	n->stat[s] += v;
}

/* Ethernet demux of one frame (data at the Ethernet header). */
void dp_eth_input(struct dp_net *n, struct rte_mbuf *m, int forwarded);

/* IPv4 input; data at the Ethernet header, ethertype already checked. */
void dp_ip4_input(struct dp_net *n, struct rte_mbuf *m, int forwarded);

/* ICMP input; data at the Ethernet header, IPv4 header validated (hlen bytes, no options). */
void dp_icmp_input(struct dp_net *n, struct rte_mbuf *m, uint16_t ip_hlen, int forwarded);

/* Software steering (DPDK.md 3.2): the flow (host order, as seen from this host) belongs to
 * another core; hand it the whole frame @p m through the runtime's hook (FWD_OUT).
 * @return 1 forwarded, 0 the flow is ours (keep processing @p m here), -1 the hook refused it
 * (the caller drops @p m as wrong_core). ipv4.c. */
int dp_ip4_steer(struct dp_net *n, struct rte_mbuf *m, uint32_t remote_ip, uint32_t local_ip,
		 uint16_t remote_port, uint16_t local_port);

/* Put a frame into the TX buffer without fault injection. */
int dp_net_tx_put(struct dp_net *n, struct rte_mbuf *m);

/* A frame held back by the reorder fault is released after the next one, or after this long. */
#define DP_FAULT_HOLD_MAX_US 1000

/* RX / TX fault injection (fault.c): the frame to process now, or NULL (consumed or held). */
struct rte_mbuf *dp_fault_rx(struct dp_net *n, struct rte_mbuf *m);
struct rte_mbuf *dp_fault_tx(struct dp_net *n, struct rte_mbuf *m);

/* Make the L3/L4 checksums final in software (TX corruption must come after them). */
void dp_ip4_cksum_finalize(struct rte_mbuf *m);

#endif /* DP_NET_PRIV_H */
