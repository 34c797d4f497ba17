/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826, TCP.md 1.2) for one core: input (answer requests for our address, learn and refresh
 * neighbours), output (resolve the next hop of a frame built by dp_ip4_output(), holding a bounded
 * number of frames per unresolved neighbour), request retries and give-up, gratuitous ARP.
 *
 * The cache is 4-way set-associative with a fixed number of entries (dp_net_conf.arp_entries): a
 * new neighbour takes a free way of its set, else evicts the least recently confirmed resolved
 * entry of the set; when all four ways are resolving, the packet is dropped (arp_cache_full) rather
 * than evicting someone's queue. O(1) per lookup, no allocation.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp/arp.h"
#include "dp/net.h"
#include "net_priv.h"

#define DP_ARP_FRAME_LEN 60 /* minimum Ethernet frame without FCS */

static inline struct dp_arp_entry *
dp_arp_set(const struct dp_net *n, uint32_t ip)
{
	uint32_t sets = (n->arp_mask + 1) / DP_ARP_WAYS;
	uint32_t s = ((ip * 2654435761u) >> 16) & (sets - 1);

	return &n->arp[s * DP_ARP_WAYS];
}

static struct dp_arp_entry *
dp_arp_find(const struct dp_net *n, uint32_t ip)
{
	struct dp_arp_entry *set = dp_arp_set(n, ip);
	unsigned w;

	for (w = 0; w < DP_ARP_WAYS; w++)
		if (set[w].state != DP_ARP_FREE && set[w].ip == ip)
			return &set[w];
	return NULL;
}

/* A way for a new neighbour: free, else the oldest resolved one; NULL if all are resolving. */
static struct dp_arp_entry *
dp_arp_alloc(struct dp_net *n, uint32_t ip)
{
	struct dp_arp_entry *set = dp_arp_set(n, ip), *victim = NULL;
	unsigned w;

	for (w = 0; w < DP_ARP_WAYS; w++) {
		if (set[w].state == DP_ARP_FREE)
			return &set[w];
		if (set[w].state == DP_ARP_REACHABLE &&
		    (victim == NULL || set[w].updated_us < victim->updated_us))
			victim = &set[w];
	}
	return victim;
}

const struct dp_arp_entry *
dp_arp_lookup(const struct dp_net *n, uint32_t ip)
{
	return dp_arp_find(n, ip);
}

uint32_t
dp_arp_count(const struct dp_net *n)
{
	uint32_t i, c = 0;

	for (i = 0; i <= n->arp_mask; i++)
		c += n->arp[i].state != DP_ARP_FREE;
	return c;
}

/* Send what waited for @p e, now resolved. */
static void
dp_arp_send_pending(struct dp_net *n, struct dp_arp_entry *e)
{
	uint8_t i;

	for (i = 0; i < e->npend; i++) {
		struct rte_mbuf *m = e->pend[i];
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		rte_ether_addr_copy(&e->mac, &eh->dst_addr);
		dp_net_tx_enqueue(n, m);
		e->pend[i] = NULL;
	}
	e->npend = 0;
}

/* Mark @p e resolved to @p mac and release its queue. */
static void
dp_arp_resolved(struct dp_net *n, struct dp_arp_entry *e, const struct rte_ether_addr *mac)
{
	if (e->state == DP_ARP_INCOMPLETE)
		n->arp_incomplete--;
	e->state = DP_ARP_REACHABLE;
	rte_ether_addr_copy(mac, &e->mac);
	e->updated_us = n->now_us;
	e->retry_us = n->now_us;
	e->tries = 0;
	dp_arp_send_pending(n, e);
}

int
dp_arp_update(struct dp_net *n, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct dp_arp_entry *e = dp_arp_find(n, ip);

	if (e == NULL) {
		e = dp_arp_alloc(n, ip);
		if (e == NULL)
			return -ENOSPC;
		memset(e, 0, sizeof(*e));
		e->ip = ip;
		n->stat[DP_NET_STAT_ARP_LEARNED]++;
	}
	dp_arp_resolved(n, e, mac);
	return 0;
}

/* Build and queue one ARP packet. */
static int
dp_arp_send(struct dp_net *n, uint16_t op, const struct rte_ether_addr *eth_dst,
	    const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(n->conf.pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	char *p;

	if (m == NULL) {
		n->drop[DP_NET_DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	p = rte_pktmbuf_append(m, DP_ARP_FRAME_LEN);
	if (p == NULL) {
		dp_net_drop(n, m, DP_NET_DROP_NO_MBUF);
		return -ENOBUFS;
	}
	memset(p, 0, DP_ARP_FRAME_LEN);
	eh = (struct rte_ether_hdr *)p;
	rte_ether_addr_copy(eth_dst, &eh->dst_addr);
	rte_ether_addr_copy(&n->conf.mac, &eh->src_addr);
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&n->conf.mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = rte_cpu_to_be_32(n->conf.ip);
	rte_ether_addr_copy(tha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return dp_net_tx_enqueue(n, m);
}

int
dp_arp_request(struct dp_net *n, uint32_t ip)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr zero;
	int rc = dp_arp_send(n, RTE_ARP_OP_REQUEST, &bcast, &zero, ip);

	if (rc == 0)
		n->stat[DP_NET_STAT_ARP_TX_REQUEST]++;
	return rc;
}

int
dp_arp_gratuitous(struct dp_net *n)
{
	/* A request with SPA == TPA (RFC 5227 announcement). */
	return dp_arp_request(n, n->conf.ip);
}

int
dp_arp_output(struct dp_net *n, struct rte_mbuf *m, uint32_t nexthop)
{
	struct dp_arp_entry *e = dp_arp_find(n, nexthop);

	if (likely(e != NULL && e->state == DP_ARP_REACHABLE)) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		rte_ether_addr_copy(&e->mac, &eh->dst_addr);
		/* Stale: keep using it while asking again (TCP.md 6.12), at most once a retry. */
		if (unlikely(n->now_us - e->updated_us >= n->conf.arp_reachable_us &&
			     n->now_us >= e->retry_us)) {
			e->retry_us = n->now_us + n->conf.arp_retry_us;
			dp_arp_request(n, nexthop);
		}
		return dp_net_tx_enqueue(n, m);
	}
	if (e == NULL) {
		e = dp_arp_alloc(n, nexthop);
		if (e == NULL) {
			dp_net_drop(n, m, DP_NET_DROP_ARP_CACHE_FULL);
			return -ENOBUFS;
		}
		memset(e, 0, sizeof(*e));
		e->ip = nexthop;
		e->state = DP_ARP_INCOMPLETE;
		e->tries = 1;
		e->updated_us = n->now_us;
		e->retry_us = n->now_us + n->conf.arp_retry_us;
		if (n->arp_incomplete++ == 0 || e->retry_us < n->arp_scan_us)
			n->arp_scan_us = e->retry_us;
		dp_arp_request(n, nexthop);
	}
	if (e->npend >= n->conf.arp_pending) {
		dp_net_drop(n, m, DP_NET_DROP_ARP_QUEUE_FULL);
		return -ENOBUFS;
	}
	e->pend[e->npend++] = m;
	return 0;
}

void
dp_arp_timer(struct dp_net *n, uint64_t now_us)
{
	uint64_t next = UINT64_MAX;
	uint32_t i;

	for (i = 0; i <= n->arp_mask; i++) {
		struct dp_arp_entry *e = &n->arp[i];

		if (e->state != DP_ARP_INCOMPLETE)
			continue;
		if (now_us >= e->retry_us) {
			if (e->tries >= n->conf.arp_tries) {
				uint8_t k;

				for (k = 0; k < e->npend; k++)
					dp_net_drop(n, e->pend[k], DP_NET_DROP_ARP_TIMEOUT);
				memset(e, 0, sizeof(*e));
				n->arp_incomplete--;
				continue;
			}
			e->tries++;
			e->retry_us = now_us + n->conf.arp_retry_us;
			dp_arp_request(n, e->ip);
		}
		if (e->retry_us < next)
			next = e->retry_us;
	}
	n->arp_scan_us = next;
}

void
dp_arp_input(struct dp_net *n, struct rte_mbuf *m, int forwarded)
{
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	struct dp_arp_entry *e;
	struct rte_ether_addr sha;
	enum dp_net_drop why;
	uint32_t sip, tip;
	uint16_t op;
	int merged = 0;

	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr))) {
		why = DP_NET_DROP_ARP_SHORT;
		goto drop;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ah = (struct rte_arp_hdr *)(eh + 1);
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4) {
		why = DP_NET_DROP_ARP_FORMAT;
		goto drop;
	}
	op = rte_be_to_cpu_16(ah->arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
		why = DP_NET_DROP_ARP_OP;
		goto drop;
	}
	n->stat[op == RTE_ARP_OP_REQUEST ? DP_NET_STAT_ARP_RX_REQUEST : DP_NET_STAT_ARP_RX_REPLY]++;
	sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	rte_ether_addr_copy(&ah->arp_data.arp_sha, &sha);
	if (sip == n->conf.ip) {
		why = rte_is_same_ether_addr(&sha, &n->conf.mac) ? DP_NET_DROP_ARP_NOT_US
								 : DP_NET_DROP_ARP_CONFLICT;
		goto drop;
	}
	/* RFC 826 "Packet Reception": merge the sender if we know it. */
	if (sip != 0 && !rte_is_broadcast_ether_addr(&sha) && !rte_is_multicast_ether_addr(&sha)) {
		e = dp_arp_find(n, sip);
		if (e != NULL) {
			dp_arp_resolved(n, e, &sha);
			merged = 1;
		}
	}
	if (tip != n->conf.ip) {
		if (merged) {
			rte_pktmbuf_free(m);
			return;
		}
		why = DP_NET_DROP_ARP_NOT_US;
		goto drop;
	}
	/* We are the target: add the sender if not merged. */
	if (!merged && sip != 0 && rte_is_unicast_ether_addr(&sha))
		dp_arp_update(n, sip, &sha);
	if (op != RTE_ARP_OP_REQUEST || forwarded || rte_mbuf_refcnt_read(m) != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	/* Answer in place: swap into a reply from us to the requester. */
	rte_ether_addr_copy(&sha, &eh->dst_addr);
	rte_ether_addr_copy(&n->conf.mac, &eh->src_addr);
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&sha, &ah->arp_data.arp_tha);
	ah->arp_data.arp_tip = rte_cpu_to_be_32(sip);
	rte_ether_addr_copy(&n->conf.mac, &ah->arp_data.arp_sha);
	ah->arp_data.arp_sip = rte_cpu_to_be_32(n->conf.ip);
	m->ol_flags = 0;
	if (dp_net_tx_enqueue(n, m) == 0)
		n->stat[DP_NET_STAT_ARP_TX_REPLY]++;
	return;
drop:
	dp_net_drop(n, m, why);
}

void
dp_arp_flush(struct dp_net *n)
{
	uint32_t i;

	for (i = 0; i <= n->arp_mask; i++) {
		struct dp_arp_entry *e = &n->arp[i];
		uint8_t k;

		for (k = 0; k < e->npend; k++)
			rte_pktmbuf_free(e->pend[k]);
		memset(e, 0, sizeof(*e));
	}
	n->arp_incomplete = 0;
}
