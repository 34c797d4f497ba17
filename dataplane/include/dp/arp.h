/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) for one core: a bounded, 4-way set-associative neighbour cache per core, with a
 * bounded queue of packets per unresolved neighbour (like Linux unres_qlen), request retries and a
 * give-up after a number of tries (queued packets are then dropped and counted), refresh of stale
 * entries while they stay in use (TCP.md 6.12), answers to requests for our address, and a
 * gratuitous ARP at start. The cache lives in the core's struct dp_net (dp/net.h).
 */
#ifndef DP_ARP_H
#define DP_ARP_H

#include <stdint.h>

#include <rte_ether.h>

struct dp_net;
struct rte_mbuf;

#define DP_ARP_PENDING_MAX 64 /**< upper bound of dp_net_conf.arp_pending */
#define DP_ARP_WAYS 4	      /**< cache associativity */

enum dp_arp_state {
	DP_ARP_FREE = 0,
	DP_ARP_INCOMPLETE, /**< request sent, packets may be queued */
	DP_ARP_REACHABLE,  /**< resolved (refreshed when older than arp_reachable_us) */
};

/** One neighbour. */
struct dp_arp_entry {
	uint32_t ip;   /**< host order */
	uint8_t state; /**< enum dp_arp_state */
	uint8_t tries;
	uint8_t npend;
	struct rte_ether_addr mac;
	uint64_t updated_us; /**< last confirmation (or creation while incomplete) */
	uint64_t retry_us;   /**< next request not before */
	struct rte_mbuf *pend[DP_ARP_PENDING_MAX];
};

/**
 * Look up @p ip (host order). Owning core.
 * @return the entry (any state but FREE) or NULL.
 */
const struct dp_arp_entry *dp_arp_lookup(const struct dp_net *n, uint32_t ip);

/** Number of entries in use (INCOMPLETE or REACHABLE). Owning core. */
uint32_t dp_arp_count(const struct dp_net *n);

/**
 * Insert or update a resolved neighbour (static entry, or learned). Queued packets for it are sent.
 * Owning core.
 * @return 0, or -ENOSPC when every way of its set is resolving.
 */
int dp_arp_update(struct dp_net *n, uint32_t ip, const struct rte_ether_addr *mac);

/**
 * Send @p m (a complete Ethernet frame but for the destination MAC) to next hop @p nexthop:
 * resolved: fill the MAC and queue for TX; unresolved: hold it (bounded) and request. Takes
 * ownership. Owning core.
 * @return 0 queued or held; -ENOBUFS pending queue or cache set full, or TX buffer full (counted).
 */
int dp_arp_output(struct dp_net *n, struct rte_mbuf *m, uint32_t nexthop);

/**
 * ARP input. @p m's data starts at the Ethernet header. @p forwarded: a copy from another core
 * (learn only, never answer). Takes ownership. Owning core.
 */
void dp_arp_input(struct dp_net *n, struct rte_mbuf *m, int forwarded);

/** Send a request for @p ip (target; broadcast). @return 0 or -ENOBUFS (counted). Owning core. */
int dp_arp_request(struct dp_net *n, uint32_t ip);

/** Send a gratuitous ARP for our address. @return 0 or -ENOBUFS (counted). Owning core. */
int dp_arp_gratuitous(struct dp_net *n);

/** Retries and timeouts of unresolved entries; run from the RX phase. Owning core. */
void dp_arp_timer(struct dp_net *n, uint64_t now_us);

/** Free every queued packet and empty the cache (teardown). Owning core. */
void dp_arp_flush(struct dp_net *n);

#endif /* DP_ARP_H */
