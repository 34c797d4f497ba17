/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-core L2/L3 layer of the native stack: one struct dp_net per worker core, bound to one
 * queue of one port. Phases of the worker loop (DESIGN.md):
 *
 *   dp_net_rx_burst(n, now)  rx burst -> [fault injection] -> Ethernet demux -> ARP | IPv4 ->
 *                            ICMP echo | dp_tcp_input() (protocol 6, on the flow's owning core)
 *   ... TCP output calls dp_ip4_output() (dp/ip4.h): IPv4 + Ethernet + ARP + checksums -> TX buffer
 *   dp_net_tx_flush(n)       one rte_eth_tx_burst per loop; unsent packets kept for the next flush
 *
 * Nothing here allocates except mbufs from the core's pool; nothing locks or logs per packet. Every
 * drop is counted per core by reason (enum dp_net_drop, one enum for the whole layer).
 *
 * Flow affinity: a TCP flow belongs to the queue dp_port_flow_queue(dp_port_flow_hash(tuple)) of
 * its port (symmetric: both directions agree). Where the NIC steers with our key it lands there;
 * where it does not (tap, or a fixed-key NIC), a packet that arrives on another core is handed to
 * the dp_net_fwd_fn hook the runtime wires to its mailbox, and the owner feeds it back in with
 * dp_net_deliver(). ARP frames are copied to every other core the same way (each core keeps its
 * own bounded ARP cache). A single-queue port is owned by one core and never forwards.
 */
#ifndef DP_NET_H
#define DP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "dp/arp.h"
#include "dp/fault.h"
#include "dp/port.h"

struct rte_mbuf;
struct rte_mempool;
struct dp_tcp;

/** Why the layer dropped a packet. Counted per core in struct dp_net.drop[]. */
enum dp_net_drop {
	DP_NET_DROP_ETH_SHORT,	    /**< shorter than an Ethernet header */
	DP_NET_DROP_ETH_NOT_US,	    /**< destination MAC neither ours nor broadcast */
	DP_NET_DROP_ETH_TYPE,	    /**< EtherType not IPv4 or ARP (IPv6, VLAN, ...) */
	DP_NET_DROP_ARP_SHORT,	    /**< ARP shorter than 28 bytes */
	DP_NET_DROP_ARP_FORMAT,	    /**< not Ethernet/IPv4 ARP (htype, ptype, hlen, plen) */
	DP_NET_DROP_ARP_OP,	    /**< neither request nor reply */
	DP_NET_DROP_ARP_NOT_US,	    /**< for another address and not refreshing our cache */
	DP_NET_DROP_ARP_CONFLICT,   /**< someone else claims our address */
	DP_NET_DROP_IP_SHORT,	    /**< shorter than 20 bytes (or header not contiguous) */
	DP_NET_DROP_IP_VERSION,	    /**< version != 4 */
	DP_NET_DROP_IP_IHL,	    /**< IHL < 5 */
	DP_NET_DROP_IP_TOTLEN,	    /**< total length < header length or > frame */
	DP_NET_DROP_IP_CKSUM,	    /**< bad header checksum */
	DP_NET_DROP_IP_FRAG,	    /**< a fragment (MF set or offset != 0): no reassembly */
	DP_NET_DROP_IP_OPTIONS,	    /**< options other than NOP/EOL */
	DP_NET_DROP_IP_NOT_US,	    /**< destination is not our address */
	DP_NET_DROP_IP_SRC,	    /**< martian source (0, broadcast, multicast, loopback, ours) */
	DP_NET_DROP_IP_PROTO,	    /**< protocol other than ICMP and TCP */
	DP_NET_DROP_TCP_SHORT,	    /**< TCP segment shorter than 20 bytes */
	DP_NET_DROP_TCP_CKSUM,	    /**< bad TCP checksum */
	DP_NET_DROP_ICMP_SHORT,	    /**< ICMP shorter than 8 bytes */
	DP_NET_DROP_ICMP_CKSUM,	    /**< bad ICMP checksum */
	DP_NET_DROP_ICMP_TYPE,	    /**< ICMP type we do not handle (all but echo request/reply) */
	DP_NET_DROP_ICMP_RATE,	    /**< echo reply over the per-core rate limit */
	DP_NET_DROP_WRONG_CORE,	    /**< belongs to another core and could not be forwarded */
	DP_NET_DROP_NO_TCP,	    /**< TCP segment but no TCP context on this core */
	DP_NET_DROP_NO_ROUTE,	    /**< TX: off-link destination and no gateway */
	DP_NET_DROP_TOO_BIG,	    /**< TX: larger than the MTU */
	DP_NET_DROP_NO_HEADROOM,    /**< TX: no room to prepend IPv4 + Ethernet */
	DP_NET_DROP_ARP_QUEUE_FULL, /**< TX: pending queue of an unresolved neighbour full */
	DP_NET_DROP_ARP_CACHE_FULL, /**< TX: every cache way of the set is resolving */
	DP_NET_DROP_ARP_TIMEOUT,    /**< TX: neighbour never answered; its queued packets go */
	DP_NET_DROP_TX_FULL,	    /**< TX buffer full (the port is not draining) */
	DP_NET_DROP_TX_PREPARE,	    /**< the driver's rte_eth_tx_prepare() rejected the packet */
	DP_NET_DROP_TX_STUCK,	    /**< the port refused the head packet flush after flush */
	DP_NET_DROP_NO_MBUF,	    /**< mbuf allocation failed (ARP request, copy) */
	DP_NET_DROP_FAULT_RX,	    /**< fault injection: dropped on receive, on purpose */
	DP_NET_DROP_FAULT_TX,	    /**< fault injection: "lost on the wire" on transmit */
	DP_NET_DROP_MAX
};

/** Other per-core counters. */
enum dp_net_stat {
	DP_NET_STAT_RX_PKTS,
	DP_NET_STAT_RX_BYTES,
	DP_NET_STAT_TX_PKTS,
	DP_NET_STAT_TX_BYTES,
	DP_NET_STAT_TX_DEFERRED, /**< packets a flush could not send, kept for the next one */
	DP_NET_STAT_ARP_RX_REQUEST,
	DP_NET_STAT_ARP_RX_REPLY,
	DP_NET_STAT_ARP_TX_REQUEST,
	DP_NET_STAT_ARP_TX_REPLY,
	DP_NET_STAT_ARP_LEARNED,
	DP_NET_STAT_ICMP_ECHO,	     /**< echo requests answered */
	DP_NET_STAT_ICMP_ECHO_REPLY, /**< echo replies received (to our own requests) */
	DP_NET_STAT_ICMP_FRAG_NEEDED, /**< fragmentation-needed for one of our TCP segments,
				       *   handed to TCP (PMTUD, RFC 1191) on the flow's core */
	DP_NET_STAT_TCP_IN,	     /**< segments passed to dp_tcp_input() */
	DP_NET_STAT_IP_OUT,	     /**< packets through dp_ip4_output() */
	DP_NET_STAT_FWD_OUT,	     /**< packets handed to another core */
	DP_NET_STAT_FWD_IN,	     /**< packets received from another core */
	DP_NET_STAT_FWD_TCP_OUT,     /**< of FWD_OUT: TCP segments that arrived on a queue
				      *   not their flow's (the rest are ARP copies) */
	DP_NET_STAT_FAULT_DUP,
	DP_NET_STAT_FAULT_REORDER,
	DP_NET_STAT_FAULT_CORRUPT,
	DP_NET_STAT_MAX
};

/**
 * Hand @p m (a whole Ethernet frame as received) to the core that owns it; the runtime enqueues it
 * to that core's mailbox, which calls dp_net_deliver() there. Return 0 when taken, a negative errno
 * (the caller then drops and counts the packet) when not.
 */
typedef int dp_net_fwd_fn(void *ctx, unsigned dst_lcore, struct rte_mbuf *m);

/** Per-core configuration. Addresses in host byte order. */
struct dp_net_conf {
	const struct dp_port *port; /**< NULL: a detached single-queue context (unit tests) */
	uint16_t port_id;
	uint16_t queue;
	unsigned lcore; /**< this core */
	struct rte_ether_addr mac;
	uint32_t ip;
	uint8_t prefix_len;
	uint32_t gateway; /**< 0 = none */
	uint16_t mtu;
	bool rx_cksum;		  /**< trust RX checksum flags */
	bool tx_ip_cksum;	  /**< offload the IPv4 header checksum */
	bool tx_l4_cksum;	  /**< offload TCP/UDP checksums */
	struct rte_mempool *pool; /**< for ARP requests and copies */
	uint32_t arp_entries;	  /**< cache size, rounded up to a power of two >= 4 */
	uint32_t arp_pending; /**< packets held per unresolved neighbour, <= DP_ARP_PENDING_MAX */
	uint32_t arp_reachable_us; /**< an entry older than this is refreshed (kept in use) */
	uint32_t arp_retry_us;	   /**< interval between requests for an unresolved neighbour */
	uint32_t arp_tries;	   /**< requests before giving up */
	uint32_t icmp_rate;	   /**< echo replies per second, 0 = unlimited */
	bool gratuitous_arp;	   /**< announce our address in dp_net_start() */
	struct dp_fault_conf fault;
	struct dp_tcp *tcp; /**< this core's TCP context (may be NULL) */
	dp_net_fwd_fn *fwd; /**< wrong-core hook (NULL: such packets are dropped) */
	void *fwd_ctx;
};

#define DP_NET_TX_MAX 512 /**< TX buffer entries */
#define DP_NET_RX_BURST 32
/** A head packet the port refuses is dropped (tx_stuck) only after 64 flushes *and* this long
 * without progress: a memif peer that is descheduled for a few ms must not cost us packets. */
#define DP_NET_TX_STUCK_US 50000

/** A core's L2/L3 context. Fields are read-only outside dataplane/net (counters: read relaxed). */
struct dp_net {
	struct dp_net_conf conf;
	uint32_t netmask;
	uint16_t ip_id;
	uint64_t now_us;
	/* TX buffer (DPDK.md 13.2) */
	uint16_t tx_n;
	uint16_t tx_stuck;    /* flushes in a row that sent nothing (saturating) */
	uint64_t tx_stuck_us; /* when that run began */
	struct rte_mbuf *tx[DP_NET_TX_MAX];
	/* fault injection */
	struct dp_fault fault;
	struct rte_mbuf *rx_held;
	uint64_t rx_held_us;
	struct rte_mbuf *tx_held;
	uint64_t tx_held_us;
	/* ICMP echo rate limit (GCRA theoretical arrival time) */
	uint64_t icmp_tat_us;
	/* ARP cache (entries follow the struct) */
	uint32_t arp_mask; /**< arp_entries - 1 */
	uint32_t arp_incomplete;
	uint64_t arp_scan_us;
	struct dp_arp_entry *arp;
	uint64_t drop[DP_NET_DROP_MAX];
	uint64_t stat[DP_NET_STAT_MAX];
};

/**
 * Fill @p c from an opened port for queue @p queue polled by @p lcore, with defaults for the rest
 * (ARP 256 entries, 64 pending, 60 s reachable, 1 s retry, 3 tries; ICMP 1000/s; gratuitous ARP on
 * queue 0; faults from the port conf). Control core.
 */
void dp_net_conf_from_port(struct dp_net_conf *c, const struct dp_port *p, uint16_t queue,
			   unsigned lcore, struct rte_mempool *pool);

/** Bytes for a context with @p c (allocate on the core's NUMA node, 64-byte aligned). */
size_t dp_net_memsize(const struct dp_net_conf *c);

/**
 * Initialise a context in @p mem (dp_net_memsize() bytes). Control core or the owning core.
 * @return the context, or NULL if @p mem is NULL or @p c is invalid (no pool, ip 0, prefix_len not
 *   1..32, arp_pending > DP_ARP_PENDING_MAX, queue >= the port's queues).
 */
struct dp_net *dp_net_init(void *mem, const struct dp_net_conf *c);

/** Set the TCP context (the TCP layer is created after the net layer). Owning core. */
void dp_net_set_tcp(struct dp_net *n, struct dp_tcp *tcp);

/**
 * Start: send the gratuitous ARP if configured. Owning core, once, after the port started and its
 * link is up (dp_port_link_up(); a memif link comes up only when the peer connects, and a frame
 * the port never takes is dropped after 64 flushes).
 * @return 0 or -ENOBUFS (no mbuf; counted).
 */
int dp_net_start(struct dp_net *n, uint64_t now_us);

/**
 * RX phase: one burst from the core's queue through the whole input path. Owning core.
 * @return packets received from the port.
 */
uint16_t dp_net_rx_burst(struct dp_net *n, uint64_t now_us);

/**
 * Input path for packets already received (what dp_net_rx_burst() does after rte_eth_rx_burst):
 * RX fault injection, then each frame through Ethernet demux. Takes ownership of all @p nb.
 * Used by unit tests with crafted frames. Owning core.
 */
void dp_net_rx_pkts(struct dp_net *n, struct rte_mbuf **pkts, uint16_t nb, uint64_t now_us);

/**
 * A frame forwarded from another core by the dp_net_fwd_fn hook: processed as if received here,
 * without the ownership check (TCP) and without answering (ARP: learn only). Owning core.
 */
void dp_net_deliver(struct dp_net *n, struct rte_mbuf *m);

/**
 * TX phase: send the TX buffer in one burst. What the port does not take stays (in order) for the
 * next flush; a head packet refused for 64 flushes in a row is freed and counted. Owning core.
 * @return packets sent.
 */
uint16_t dp_net_tx_flush(struct dp_net *n);

/**
 * Queue a complete Ethernet frame for transmit (TX fault injection applies). Owning core.
 * @return 0, or -ENOBUFS when the TX buffer is full (the frame is freed and counted).
 */
int dp_net_tx_enqueue(struct dp_net *n, struct rte_mbuf *m);

/** Release packets held back by fault injection (teardown) and free the TX buffer. Owning core. */
void dp_net_drain(struct dp_net *n);

/**
 * The lcore owning a TCP flow, by the tuple of a packet as received (remote -> local). Host order.
 * Any core (reads the port only).
 */
unsigned dp_net_flow_lcore(const struct dp_net *n, uint32_t remote_ip, uint32_t local_ip,
			   uint16_t remote_port, uint16_t local_port);

/** True if this core owns the flow (see dp_net_flow_lcore()). */
bool dp_net_flow_is_local(const struct dp_net *n, uint32_t remote_ip, uint32_t local_ip,
			  uint16_t remote_port, uint16_t local_port);

/**
 * The same test in the shape of dp_tcp_lport_ok_fn (dp/tcp.h): set the TCP conf's lport_ok to this
 * and lport_arg to the core's struct dp_net, and active opens pick ports whose replies land here.
 * @return true if the flow (local_ip:local_port <-> remote_ip:remote_port, host order) is ours.
 */
bool dp_net_lport_ok(void *net, uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
		     uint16_t remote_port);

/** Optional test for dp_net_pick_local_port(): nonzero if the port is already taken. */
typedef int dp_net_port_busy_fn(void *ctx, uint16_t local_port);

/**
 * Pick a local port for an active open to @p remote_ip:@p remote_port so that replies hash to this
 * core's queue (rte_softrss over the incoming tuple, DPDK.md 3.2): scans [lo, hi] from @p start
 * (e.g. a random or RFC 6056 offset), skipping ports @p busy reports. Owning core.
 * @return the port (> 0), -EINVAL bad range, -EADDRNOTAVAIL none fits.
 */
int dp_net_pick_local_port(const struct dp_net *n, uint32_t remote_ip, uint16_t remote_port,
			   uint32_t local_ip, uint16_t lo, uint16_t hi, uint32_t start,
			   dp_net_port_busy_fn *busy, void *busy_ctx);

/** Name of a drop reason (for telemetry and dumps), e.g. "ip_cksum". */
const char *dp_net_drop_name(enum dp_net_drop r);

/** Name of a counter, e.g. "rx_pkts". */
const char *dp_net_stat_name(enum dp_net_stat s);

/** Sum of all drop counters. */
uint64_t dp_net_drops_total(const struct dp_net *n);

struct rte_tel_data;

/**
 * Fill telemetry dict @p d with every counter summed over @p count cores (stats by name, drops as
 * "drop_<reason>"), read with relaxed loads while the workers run. For the runtime's telemetry
 * command callback (any thread).
 * @return 0, or -EINVAL (NULL arguments).
 */
int dp_net_telemetry(struct rte_tel_data *d, const struct dp_net *const nets[], unsigned count);

#endif /* DP_NET_H */
