/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port configuration as the runtime's config loader produces it from a [port.N] section and as the
 * port module (dp_port_: device probe, queue setup, start, stop) consumes it. Only the configuration
 * struct lives here so far; the port module adds its functions beside it.
 */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stdint.h>

/** Longest device string: a PCI address ("0000:03:00.0") or a vdev with its arguments. */
#define DP_PORT_DEV_MAX 256

/** One port, validated (addresses in host order). */
struct dp_port_conf {
	char dev[DP_PORT_DEV_MAX];  /**< PCI address (DDDD:BB:DD.F) or vdev ("net_tap0,iface=sk0") */
	uint32_t ipv4;              /**< the stack's address on this port */
	uint8_t prefix_len;         /**< 1..32 */
	uint32_t gateway;           /**< 0: none (on-link only); else inside ipv4/prefix_len */
	uint16_t queues;            /**< RX = TX queues; 0: one per worker */
	uint16_t rxd;               /**< RX descriptors per queue */
	uint16_t txd;               /**< TX descriptors per queue */
	uint16_t mtu;               /**< IP MTU */
	uint8_t is_pci;             /**< dev is a PCI address (else a vdev) */
};

#endif /* DP_PORT_H */
