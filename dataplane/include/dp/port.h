/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: any DPDK ethdev named in the configuration (a PCI address, or vdev arguments such as
 * "net_tap0,iface=sk0" or "net_memif0,role=server,socket=/tmp/x.sock,socket-abstract=no"), opened,
 * configured and started by the control core before the workers run (dataplane/net/port_ctl.c).
 *
 * The runtime parses the config file into a plain struct dp_port_conf, calls dp_port_open() and
 * dp_port_start(), then gives each worker core one queue of the port (dp_port_set_queue_lcore())
 * and a per-core struct dp_net (dp/net.h) built from the struct dp_port. At shutdown, after every
 * worker has returned: dp_port_stop() then dp_port_close().
 *
 * Capabilities are masked against what the device reports (DPDK.md 3.1): checksum offloads where
 * the port offers them (the per-core layer computes checksums in software where not), symmetric RSS
 * with a key of repeated 0x6d,0x5a where the port has RSS (DPDK.md 3.2). Flow ownership is defined
 * in software by that same hash (dp_port_flow_queue()), so it holds on ports that cannot steer:
 * there the per-core layer forwards packets that landed on the wrong queue to the owning core.
 */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

struct rte_mempool;

#define DP_PORT_DEV_MAX 256    /**< bytes of dp_port_conf.dev, including the NUL */
#define DP_PORT_MAX_QUEUES 16  /**< queues per port (one per worker core using it) */
#define DP_PORT_RSS_KEY_MAX 52 /**< largest RSS key (i40e) */

/** Fault injection for one direction. Rates in parts per million of packets; all 0 = off. */
struct dp_fault_dir_conf {
	uint32_t drop_ppm;    /**< packet silently dropped */
	uint32_t dup_ppm;     /**< packet delivered/sent twice */
	uint32_t reorder_ppm; /**< packet held back and released after the next one (or 1 ms) */
	uint32_t corrupt_ppm; /**< one byte after the Ethernet header flipped (after checksums on
				 TX) */
};

/** Fault injection settings of a port (per direction, seeded; each core derives its own stream). */
struct dp_fault_conf {
	uint64_t seed;
	struct dp_fault_dir_conf rx;
	struct dp_fault_dir_conf tx;
};

/** One port, as the runtime reads it from the config file. Addresses in host byte order. */
struct dp_port_conf {
	char dev[DP_PORT_DEV_MAX];  /**< PCI address ("0000:3b:00.0") or vdev args
				       ("net_tap0,iface=x") */
	struct rte_ether_addr mac;  /**< our MAC; all zero = the port's MAC (on net_tap: a locally
				     *   administered MAC derived from it, since tap gives the kernel
				     *   side the port MAC) */
	uint32_t ipv4;		    /**< our address */
	uint8_t prefix_len;	    /**< on-link prefix, 1..32 */
	uint32_t gateway;	    /**< next hop for off-link destinations; 0 = none */
	uint16_t queues;	    /**< RX/TX queue pairs = worker cores using the port (1..16) */
	uint16_t rxd;		    /**< RX descriptors per queue (0 = 1024) */
	uint16_t txd;		    /**< TX descriptors per queue (0 = 1024) */
	uint16_t mtu;		    /**< 0 = 1500 */
	struct dp_fault_conf fault; /**< off unless set */
};

/** An opened port (control-plane object; workers read it, never write it). */
struct dp_port {
	uint16_t port_id;
	uint16_t nb_queues;
	uint16_t mtu;
	bool started;
	bool probed_vdev;     /**< we hot-plugged it (vdev string): dp_port_close() removes it */
	bool rss;	      /**< hardware RSS configured with our symmetric key */
	bool rx_cksum;	      /**< RX IPv4+TCP+UDP checksum offload on (flags are meaningful) */
	bool tx_ip_cksum;     /**< TX IPv4 header checksum offload on */
	bool tx_l4_cksum;     /**< TX TCP and UDP checksum offload on */
	bool tx_multi_segs;   /**< TX of mbuf chains */
	uint64_t rx_offloads; /**< as configured */
	uint64_t tx_offloads; /**< as configured */
	uint16_t reta_size;   /**< 0 when the port has no redirection table */
	uint8_t rss_key_len;
	/** The symmetric key, also used in software (rte_softrss loads it 32 bits at a time). */
	uint8_t rss_key[DP_PORT_RSS_KEY_MAX] __attribute__((aligned(8)));
	char driver[32];		/**< e.g. "net_tap", "net_memif" */
	char name[64];			/**< ethdev name */
	struct rte_ether_addr port_mac; /**< the device's MAC */
	struct rte_ether_addr mac;	/**< ours (see dp_port_conf.mac) */
	/** Owner lcore of each queue (UINT16_MAX: unset). */
	uint16_t queue_lcore[DP_PORT_MAX_QUEUES];
	struct dp_port_conf conf;
};

/**
 * Fill @p c with defaults (rxd/txd 1024, mtu 1500, one queue, prefix 24, no faults, zero address).
 * Any thread.
 */
void dp_port_conf_defaults(struct dp_port_conf *c);

/**
 * Check a configuration without touching DPDK. Any thread.
 * @return 0, or -EINVAL (empty dev, ipv4 0, prefix_len not 1..32, queues not 1..DP_PORT_MAX_QUEUES,
 *   mtu < 576 or > 9000, the fault rates of a direction summing to over 1000000 ppm,
 *   gateway off-link).
 */
int dp_port_conf_check(const struct dp_port_conf *c);

/**
 * Probe (hot-plug a vdev, or find an already probed PCI device), configure with the masked offloads
 * and symmetric RSS, and set up conf->queues RX/TX queue pairs, RX queue q filling from @p
 * pools[q]. Control core, after rte_eal_init(), before the workers start.
 * @param p      filled on success
 * @param conf   the port's configuration (copied)
 * @param pools  conf->queues mbuf pools (may all be the same pool)
 * @return 0, -EINVAL bad conf, -ENODEV no such device / probe failed, -ENOTSUP the device cannot
 *   do conf->queues queues or the MTU, or the negative errno of the failing ethdev call.
 */
int dp_port_open(struct dp_port *p, const struct dp_port_conf *conf,
		 struct rte_mempool *const pools[]);

/**
 * Start the port: program the RETA (queue i % nb_queues) where there is one, enable promiscuous
 * mode (tap does not filter; our MAC may differ from the port's), start it. Control core.
 * @return 0 or the negative errno of rte_eth_dev_start().
 */
int dp_port_start(struct dp_port *p);

/**
 * Record that @p lcore polls queue @p queue. Control core, before the workers start.
 * @return 0, -EINVAL queue out of range.
 */
int dp_port_set_queue_lcore(struct dp_port *p, uint16_t queue, unsigned lcore);

/** Stop the port (after every worker using it has returned). Control core. @return 0 or -errno. */
int dp_port_stop(struct dp_port *p);

/** Close the port and, for a hot-plugged vdev, remove the device. Control core. */
void dp_port_close(struct dp_port *p);

/** Whether the link is up (non-blocking). Any core. */
bool dp_port_link_up(const struct dp_port *p);

/**
 * Symmetric Toeplitz hash of an IPv4 4-tuple with the port's key: the same value for both
 * directions, equal to the NIC's hash where the port has RSS. Addresses and ports in host order.
 * Any core.
 */
uint32_t dp_port_flow_hash(const struct dp_port *p, uint32_t src_ip, uint32_t dst_ip,
			   uint16_t src_port, uint16_t dst_port);

/** The queue that owns a flow hash (the RETA rule dp_port_start() programs). Any core. */
static inline uint16_t
dp_port_flow_queue(const struct dp_port *p, uint32_t hash)
{
	if (p->nb_queues <= 1)
		return 0;
	/* RETA entry i holds queue i % nb_queues; the NIC indexes it by hash % reta_size. */
	if (p->reta_size != 0)
		return (uint16_t)((hash % p->reta_size) % p->nb_queues);
	return (uint16_t)(hash % p->nb_queues);
}

#endif /* DP_PORT_H */
