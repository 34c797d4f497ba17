/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port control (cold path): probe a DPDK ethdev named by a config string, configure it with
 * offloads and RSS masked against what the device reports (DPDK.md 3.1, 3.2), set up one RX/TX
 * queue pair per worker core, start, stop and close it. Runs on the control core before the workers
 * start and after they return. The per-core packet path is in port.c, eth.c, arp.c, ipv4.c, icmp.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_string_fns.h>
#include <rte_thash.h>

#include "dp/port.h"
#include "net_priv.h"

RTE_LOG_REGISTER(dp_net_logtype, skiff.dp.net, INFO);

void
dp_port_conf_defaults(struct dp_port_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->prefix_len = 24;
	c->queues = 1;
	c->rxd = 1024;
	c->txd = 1024;
	c->mtu = 1500;
}

static int
dp_port_fault_dir_ok(const struct dp_fault_dir_conf *d)
{
	/* One draw per packet is split into disjoint slices: the rates must fit in it together. */
	return (uint64_t)d->drop_ppm + d->dup_ppm + d->reorder_ppm + d->corrupt_ppm <= 1000000;
}

int
dp_port_conf_check(const struct dp_port_conf *c)
{
	uint32_t mask;

	if (c == NULL || c->dev[0] == '\0' || memchr(c->dev, '\0', sizeof(c->dev)) == NULL)
		return -EINVAL;
	if (c->ipv4 == 0 || c->prefix_len < 1 || c->prefix_len > 32)
		return -EINVAL;
	if (c->queues < 1 || c->queues > DP_PORT_MAX_QUEUES)
		return -EINVAL;
	if (c->mtu != 0 && (c->mtu < 576 || c->mtu > 9000))
		return -EINVAL;
	if (!dp_port_fault_dir_ok(&c->fault.rx) || !dp_port_fault_dir_ok(&c->fault.tx))
		return -EINVAL;
	mask = c->prefix_len == 32 ? UINT32_MAX : ~(UINT32_MAX >> c->prefix_len);
	if (c->gateway != 0 && (c->gateway & mask) != (c->ipv4 & mask))
		return -EINVAL;
	return 0;
}

/* A PCI address ("0000:3b:00.0" or "3b:00.0", before any ",devargs"): hex digits, ':' and '.'. */
static int
dp_port_is_pci(const char *name)
{
	const char *c;

	if (strchr(name, ':') == NULL || strchr(name, '.') == NULL)
		return 0;
	for (c = name; *c != '\0'; c++)
		if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
			return 0;
	return 1;
}

static int
dp_port_probe(struct dp_port *p, const char *dev)
{
	char name[sizeof(p->name)];
	const char *comma;
	uint16_t pid;
	size_t len;
	int rc;

	comma = strchr(dev, ',');
	len = comma != NULL ? (size_t)(comma - dev) : strlen(dev);
	if (len == 0 || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, dev, len);
	name[len] = '\0';
	if (len <= 16 && dp_port_is_pci(name)) {
		char pci[17];

		/* EAL probed it at init (allow-list, with its devargs); ethdev names use the
		 * domain. */
		memcpy(pci, name, len + 1);
		snprintf(p->name, sizeof(p->name), "%s%s",
			 strchr(pci, ':') == strrchr(pci, ':') ? "0000:" : "", pci);
		if (rte_eth_dev_get_port_by_name(p->name, &pid) != 0) {
			RTE_LOG(ERR, DP_NET,
				"port %s: no such PCI ethdev (allow-listed and bound?)\n", p->name);
			p->name[0] = '\0';
			return -ENODEV;
		}
		p->port_id = pid;
		return 0;
	}
	/* Already created by an EAL --vdev argument? */
	if (rte_eth_dev_get_port_by_name(name, &pid) == 0) {
		p->port_id = pid;
		snprintf(p->name, sizeof(p->name), "%s", name);
		return 0;
	}
	rc = rte_eal_hotplug_add("vdev", name, comma != NULL ? comma + 1 : "");
	if (rc != 0) {
		RTE_LOG(ERR, DP_NET, "port %s: vdev probe failed: %d\n", dev, rc);
		return -ENODEV;
	}
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
		rte_eal_hotplug_remove("vdev", name);
		return -ENODEV;
	}
	p->port_id = pid;
	p->probed_vdev = true;
	snprintf(p->name, sizeof(p->name), "%s", name);
	return 0;
}

/* Our MAC: configured, else the port's, except on tap where the kernel side already has that one.
 */
static void
dp_port_pick_mac(struct dp_port *p, const struct dp_port_conf *conf)
{
	if (!rte_is_zero_ether_addr(&conf->mac)) {
		rte_ether_addr_copy(&conf->mac, &p->mac);
		return;
	}
	rte_ether_addr_copy(&p->port_mac, &p->mac);
	if (strcmp(p->driver, "net_tap") == 0) {
		p->mac.addr_bytes[0] = (uint8_t)((p->mac.addr_bytes[0] | 0x02) & ~0x01);
		p->mac.addr_bytes[5] ^= 0x5a;
	}
}

int
dp_port_open(struct dp_port *p, const struct dp_port_conf *conf, struct rte_mempool *const pools[])
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf ec;
	uint16_t nq, nrxd, ntxd, q;
	uint64_t hf;
	int rc, sock;
	unsigned i;

	if (p == NULL || pools == NULL || dp_port_conf_check(conf) != 0)
		return -EINVAL;
	for (q = 0; q < conf->queues; q++)
		if (pools[q] == NULL)
			return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->conf = *conf;
	for (q = 0; q < DP_PORT_MAX_QUEUES; q++)
		p->queue_lcore[q] = UINT16_MAX;
	rc = dp_port_probe(p, conf->dev);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_info_get(p->port_id, &di);
	if (rc != 0)
		goto fail;
	rte_strscpy(p->driver, di.driver_name != NULL ? di.driver_name : "?", sizeof(p->driver));
	nq = conf->queues;
	if (nq > di.max_rx_queues || nq > di.max_tx_queues) {
		RTE_LOG(ERR, DP_NET, "port %s: %u queues asked, device has %u/%u\n", p->name, nq,
			di.max_rx_queues, di.max_tx_queues);
		rc = -ENOTSUP;
		goto fail;
	}
	rc = rte_eth_macaddr_get(p->port_id, &p->port_mac);
	if (rc != 0)
		goto fail;
	dp_port_pick_mac(p, conf);

	/* The symmetric key (DPDK.md 3.2) is our software flow hash on every port. */
	p->rss_key_len = di.hash_key_size >= 40 && di.hash_key_size <= DP_PORT_RSS_KEY_MAX
				 ? di.hash_key_size
				 : 40;
	for (i = 0; i < p->rss_key_len; i++)
		p->rss_key[i] = (i & 1) ? 0x5a : 0x6d;

	memset(&ec, 0, sizeof(ec));
	p->mtu = conf->mtu != 0 ? conf->mtu : RTE_ETHER_MTU;
	ec.rxmode.mtu = p->mtu;
	hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & di.flow_type_rss_offloads;
	if (nq > 1 && hf != 0) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_key = di.hash_key_size != 0 ? p->rss_key : NULL;
		ec.rx_adv_conf.rss_conf.rss_key_len = di.hash_key_size;
		ec.rx_adv_conf.rss_conf.rss_hf = hf;
		p->rss = di.hash_key_size != 0;
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH & di.rx_offload_capa;
	}
	ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM & di.rx_offload_capa;
	ec.txmode.offloads = (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
			      RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS) &
			     di.tx_offload_capa;
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &ec);
	if (rc != 0) {
		RTE_LOG(ERR, DP_NET, "port %s: configure failed: %d\n", p->name, rc);
		if (rc == -EINVAL)
			rc = -ENOTSUP;
		goto fail;
	}
	p->nb_queues = nq;
	p->rx_offloads = ec.rxmode.offloads;
	p->tx_offloads = ec.txmode.offloads;
	p->rx_cksum =
		(p->rx_offloads & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM)) ==
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	p->tx_ip_cksum = (p->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	p->tx_l4_cksum =
		(p->tx_offloads & (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) ==
		(RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	p->tx_multi_segs = (p->tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	p->reta_size = p->rss ? di.reta_size : 0;

	nrxd = conf->rxd != 0 ? conf->rxd : 1024;
	ntxd = conf->txd != 0 ? conf->txd : 1024;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrxd, &ntxd);
	if (rc != 0)
		goto fail;
	sock = rte_eth_dev_socket_id(p->port_id);
	if (sock < 0)
		sock = SOCKET_ID_ANY;
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nrxd, (unsigned)sock, NULL, pools[q]);
		if (rc != 0)
			goto fail;
		rc = rte_eth_tx_queue_setup(p->port_id, q, ntxd, (unsigned)sock, NULL);
		if (rc != 0)
			goto fail;
	}
	RTE_LOG(INFO, DP_NET,
		"port %u (%s, %s): %u queues, rss %d, rx csum %d, tx csum ip %d l4 %d, segs %d\n",
		p->port_id, p->name, p->driver, nq, p->rss, p->rx_cksum, p->tx_ip_cksum,
		p->tx_l4_cksum, p->tx_multi_segs);
	return 0;
fail:
	RTE_LOG(ERR, DP_NET, "port %s: open failed: %d\n", conf->dev, rc);
	dp_port_close(p);
	return rc < 0 ? rc : -EIO;
}

/* RETA entry i -> queue i % nb_queues, the rule dp_port_flow_queue() assumes. */
static void
dp_port_program_reta(struct dp_port *p)
{
	struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf rc_conf;
	uint8_t key[DP_PORT_RSS_KEY_MAX];
	unsigned i;
	int rc;

	if (!p->rss)
		return;
	/* Without a table we program (tap: reta_size 0, the kernel picks the queue), the NIC's
	 * choice is not ours: steer in software. */
	if (p->reta_size == 0 || p->reta_size > 512 ||
	    p->reta_size % RTE_ETH_RETA_GROUP_SIZE != 0) {
		p->rss = false;
		p->reta_size = 0;
		return;
	}
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < p->reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % p->nb_queues);
	}
	rc = rte_eth_dev_rss_reta_update(p->port_id, reta, p->reta_size);
	if (rc != 0) {
		RTE_LOG(WARNING, DP_NET, "port %s: RETA update failed (%d): software steering\n",
			p->name, rc);
		p->rss = false;
		p->reta_size = 0;
		return;
	}
	/* A PMD with a fixed key hashes differently from us: then rely on software forwarding. */
	memset(&rc_conf, 0, sizeof(rc_conf));
	rc_conf.rss_key = key;
	rc_conf.rss_key_len = sizeof(key);
	if (rte_eth_dev_rss_hash_conf_get(p->port_id, &rc_conf) == 0 &&
	    memcmp(key, p->rss_key, RTE_MIN(p->rss_key_len, rc_conf.rss_key_len)) != 0) {
		RTE_LOG(WARNING, DP_NET, "port %s: RSS key not applied: software steering\n",
			p->name);
		p->rss = false;
		p->reta_size = 0;
	}
}

int
dp_port_start(struct dp_port *p)
{
	int rc;

	if (p == NULL || p->nb_queues == 0)
		return -EINVAL;
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		RTE_LOG(ERR, DP_NET, "port %s: start failed: %d\n", p->name, rc);
		return rc;
	}
	dp_port_program_reta(p);
	rc = rte_eth_promiscuous_enable(p->port_id);
	if (rc != 0 && rc != -ENOTSUP)
		RTE_LOG(WARNING, DP_NET, "port %s: promiscuous: %d\n", p->name, rc);
	p->started = true;
	return 0;
}

int
dp_port_set_queue_lcore(struct dp_port *p, uint16_t queue, unsigned lcore)
{
	if (p == NULL || queue >= p->nb_queues || lcore >= UINT16_MAX)
		return -EINVAL;
	p->queue_lcore[queue] = (uint16_t)lcore;
	return 0;
}

int
dp_port_stop(struct dp_port *p)
{
	int rc;

	if (p == NULL || !p->started)
		return 0;
	rc = rte_eth_dev_stop(p->port_id);
	p->started = false;
	return rc;
}

void
dp_port_close(struct dp_port *p)
{
	if (p == NULL || p->name[0] == '\0')
		return;
	if (p->started)
		dp_port_stop(p);
	rte_eth_dev_close(p->port_id);
	if (p->probed_vdev)
		rte_eal_hotplug_remove("vdev", p->name);
	p->name[0] = '\0';
	p->nb_queues = 0;
}

bool
dp_port_link_up(const struct dp_port *p)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(p->port_id, &link) != 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

uint32_t
dp_port_flow_hash(const struct dp_port *p, uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
		  uint16_t dst_port)
{
	struct rte_ipv4_tuple t;

	t.src_addr = src_ip;
	t.dst_addr = dst_ip;
	t.sport = src_port;
	t.dport = dst_port;
	return rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, p->rss_key);
}
