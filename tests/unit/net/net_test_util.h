/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the net-layer unit tests: EAL and pool setup, a detached struct dp_net (no port),
 * frame builders with correct checksums that tests then break one field at a time, and a
 * dp_tcp_input() that records what the IPv4 layer hands up (link-time substitution for dp_tcp_lib).
 */
#ifndef NET_TEST_UTIL_H
#define NET_TEST_UTIL_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp/net.h"

#define NT_OUR_IP 0xc6120002u  /* 198.18.0.2 */
#define NT_PEER_IP 0xc6120001u /* 198.18.0.1 */
#define NT_GW_IP 0xc61200feu   /* 198.18.0.254 */

extern struct rte_mempool *nt_pool;
extern const struct rte_ether_addr nt_our_mac;
extern const struct rte_ether_addr nt_peer_mac;

/* What the stub dp_tcp_input() saw. */
struct nt_tcp_seen {
	unsigned calls;
	struct rte_mbuf *last; /* kept; the test frees it */
	uint32_t src, dst;
};
extern struct nt_tcp_seen nt_tcp;

/* What the stub dp_tcp_icmp_frag_needed() saw. */
struct nt_frag_seen {
	unsigned calls;
	uint32_t lip, rip, seq;
	uint16_t lport, rport, mtu;
};
extern struct nt_frag_seen nt_frag;

void nt_eal_init(const char *prog);
/* Default detached configuration (no port, software checksums). */
void nt_conf(struct dp_net_conf *c);
struct dp_net *nt_net(const struct dp_net_conf *c);
void nt_net_free(struct dp_net *n);
/* Frees everything the test left (TX buffer, held packets, ARP queues, tcp capture) and checks the
 * pool is back to its baseline. */
void nt_teardown(struct dp_net *n);

/* Builders: a frame in a fresh mbuf, checksums correct. */
struct rte_mbuf *nt_frame(const void *bytes, uint16_t len);
uint16_t nt_build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len,
		     uint8_t ihl_words);
uint16_t nt_build_tcp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		      uint16_t payload);
uint16_t nt_build_icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq,
			    uint16_t payload);
uint16_t nt_build_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
		      const struct rte_ether_addr *tha, uint32_t tip);
void nt_fix_ip_cksum(uint8_t *frame);

/* Run one frame through the input path at time @p now_us. */
void nt_rx(struct dp_net *n, struct rte_mbuf *m, uint64_t now_us);
/* Free the TX buffer's frames. */
void nt_tx_clear(struct dp_net *n);

#endif /* NET_TEST_UTIL_H */
