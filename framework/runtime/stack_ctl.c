/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stack selection (control path): the [stack] config section, the auto choice, and per worker core
 * the construction of the stack it runs before the application's core_init:
 *
 *   posix   one dp_posix on the core's pool (kernel sockets, SO_REUSEPORT listeners);
 *   native  one dp_net on the core's queue of port 0 (wrong-core frames forwarded to their owner
 *           through the mailboxes), one dp_tcp on top (timers on the core's wheel, active opens
 *           choosing local ports whose replies land on this core: dp_net_lport_ok).
 *
 * The loop (loop.c) then runs the phases specialised for the kind. sk_stack_mirror_stats() copies
 * the stack's own traffic and drop counters into the core's struct sk_core_stats once per
 * iteration so /skiff/stats and the live line show them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <dp/net.h>
#include <dp/port.h>
#include <dp/posix.h>
#include <dp/tcp.h>
#include <dp/timer.h>

#include "config_priv.h"
#include "runtime_priv.h"

static const char *const sk_stack_kinds[] = {"auto", "native", "posix", NULL};

#define SK_STACK_KEY_UINT(n, f, lo, hi, d, h)                                                      \
	{                                                                                          \
		.name = n, .type = SK_CFG_UINT, .min = lo, .max = hi,                              \
		.offset = offsetof(struct sk_stack_conf, f), .size = sizeof(uint32_t), .def = d,   \
		.help = h                                                                          \
	}
#define SK_STACK_KEY_BOOL(n, f, d, h)                                                              \
	{                                                                                          \
		.name = n, .type = SK_CFG_BOOL, .offset = offsetof(struct sk_stack_conf, f),       \
		.size = sizeof(bool), .def = d, .help = h                                          \
	}

static const struct sk_config_key sk_stack_keys[] = {
	{.name = "kind",
	 .type = SK_CFG_ENUM,
	 .choices = sk_stack_kinds,
	 .offset = offsetof(struct sk_stack_conf, kind),
	 .size = sizeof(unsigned),
	 .def = "auto",
	 .help = "native (DPDK port + userspace TCP), posix (kernel sockets), or auto: native "
		 "when a [port.N] is configured, else posix"},
	SK_STACK_KEY_UINT("max_conns", max_conns, 1, 1u << 20, "4096",
			  "TCP connections per core (both stacks)"),
	SK_STACK_KEY_UINT("snd_buf_kb", snd_buf_kb, 4, 1u << 20, "256",
			  "bytes a connection may queue for sending, in KiB"),
	SK_STACK_KEY_UINT("rcv_buf_kb", rcv_buf_kb, 4, 1u << 20, "256",
			  "receive window (native), or bytes a stream may hold before reads pause "
			  "(posix, for users of receive accounting), in KiB"),
	SK_STACK_KEY_UINT("delack_us", delack_us, 1, 500000, "40000",
			  "native: delayed-ACK timeout"),
	SK_STACK_KEY_BOOL(
		"quickack", quickack, "yes",
		"native: acknowledge data at once (riding on the answer when there is one)"),
	SK_STACK_KEY_BOOL("nagle", nagle, "no", "native: Nagle's algorithm"),
	SK_STACK_KEY_UINT("time_wait_ms", time_wait_ms, 1, 240000, "2000",
			  "native: TIME-WAIT duration (2*MSL)"),
	SK_STACK_KEY_UINT("rto_min_ms", rto_min_ms, 1, 60000, "200",
			  "native: lower bound of the retransmission timeout (RFC 6298 says 1000; "
			  "Linux uses 200; a LAN with microsecond RTTs can go far lower)"),
	SK_STACK_KEY_BOOL("tlp", tlp, "yes",
			  "native: tail loss probes (RFC 8985): a probe at 2*SRTT draws the SACKs "
			  "that repair a tail loss without waiting for the RTO"),
	SK_STACK_KEY_UINT("rx_segs", rx_segs, 1, DP_POSIX_MAX_RX_SEGS, "16",
			  "posix: mbufs (2 KiB each) per readv"),
	SK_STACK_KEY_UINT("linger_ms", linger_ms, 1, 600000, "2000",
			  "posix: bound on an orderly close (queued data out, peer's FIN in)"),
};

static const struct sk_config_section sk_stack_section = {
	.name = "stack",
	.keys = sk_stack_keys,
	.n_keys = RTE_DIM(sk_stack_keys),
	.help = "the transport stack of every worker core",
};

int
sk_stack_config_add(struct sk_config *cfg, struct sk_stack_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	return sk_config_add_section(cfg, &sk_stack_section, sc);
}

int
sk_stack_resolve(const struct sk_config *cfg, struct sk_stack_conf *sc, struct sk_config_err *err)
{
	sc->section_line = sk_config_section_line(cfg, sk_stack_section.name);
	if (sc->kind == SK_STACK_CHOICE_AUTO)
		sc->kind = cfg->n_ports > 0 ? SK_STACK_CHOICE_NATIVE : SK_STACK_CHOICE_POSIX;
	if (sc->kind == SK_STACK_CHOICE_NATIVE && cfg->n_ports == 0) {
		if (sc->section_line != 0)
			sk_config_errf(
				err,
				"%s:%u: [stack] kind = native needs a port: add a [port.0] "
				"section (e.g. dev = net_tap0,iface=sktap0) or use kind = posix",
				cfg->path, sc->section_line);
		else
			sk_config_errf(err,
				       "%s: [stack] kind = native needs a port: add a [port.0] "
				       "section or use kind = posix",
				       cfg->path);
		return -EINVAL;
	}
	return 0;
}

const char *
sk_stack_kind_name(unsigned kind)
{
	switch (kind) {
	case SK_STACK_NATIVE:
		return "native";
	case SK_STACK_POSIX:
		return "posix";
	default:
		return "none";
	}
}

void
sk_runtime_set_stack(struct sk_runtime *rt, const struct sk_stack_conf *sc)
{
	rt->stack = sc;
	for (unsigned i = 0; i < 4; i++)
		rt->tcp_secret[i] = rte_rand();
}

/* ---- native: wrong-core frames through the mailboxes ----------------------------------------- */

static uint64_t
sk_stack_fwd_run(struct sk_core *c, void *arg)
{
	struct rte_mbuf *m = arg;

	if (c->net != NULL)
		dp_net_deliver(c->net, m);
	else
		rte_pktmbuf_free(m);
	return 0;
}

/* dp_net_fwd_fn: hand a frame to the core that owns its flow (dp/net.h). Worker lcore L runs core
 * L - 1 (sk_runtime_create). */
static int
sk_stack_fwd(void *ctx, unsigned dst_lcore, struct rte_mbuf *m)
{
	struct sk_core *c = ctx;

	if (dst_lcore == 0 || dst_lcore > c->rt->n_cores)
		return -EINVAL;
	return sk_mbox_submit(c, dst_lcore - 1, sk_stack_fwd_run, m, NULL);
}

static int
sk_stack_native_create(struct sk_core *c, const struct sk_stack_conf *sc)
{
	const struct dp_port *p;
	struct dp_net_conf nc;
	struct dp_tcp_conf tc;
	size_t sz;

	if (c->n_rxq == 0)
		return 0; /* one-queue port owned by another core: this core has no stack */
	p = sk_runtime_port(c->rt, c->rxq[0].port_index);
	if (p == NULL)
		return -ENODEV;
	dp_net_conf_from_port(&nc, p, c->rxq[0].queue, c->lcore, c->pool);
	nc.fwd = sk_stack_fwd;
	nc.fwd_ctx = c;
	sz = dp_net_memsize(&nc);
	c->stack_mem[0] = rte_zmalloc_socket("sk_net", sz, RTE_CACHE_LINE_SIZE, c->socket);
	if (c->stack_mem[0] == NULL)
		return -ENOMEM;
	c->net = dp_net_init(c->stack_mem[0], &nc);
	if (c->net == NULL)
		return -EINVAL;

	dp_tcp_conf_defaults(&tc);
	tc.local_ip = nc.ip;
	tc.net = c->net;
	tc.wheel = c->wheel;
	tc.hdr_pool = c->pool;
	tc.clone_pool = c->pool;
	tc.max_conns = sc->max_conns;
	tc.snd_buf_bytes = sc->snd_buf_kb * 1024u;
	tc.rcv_buf_bytes = sc->rcv_buf_kb * 1024u;
	tc.delack_us = sc->delack_us;
	tc.quickack = sc->quickack;
	tc.nagle = sc->nagle;
	tc.time_wait_us = sc->time_wait_ms * 1000u;
	tc.rto_min_us = sc->rto_min_ms * 1000u;
	tc.tlp = sc->tlp;
	if (nc.mtu > 40)
		tc.mss = (uint16_t)(nc.mtu - 40);
	tc.lport_ok = dp_net_lport_ok;
	tc.lport_arg = c->net;
	memcpy(tc.secret, c->rt->tcp_secret, sizeof(tc.secret));
	sz = dp_tcp_memsize(&tc);
	if (sz == 0)
		return -EINVAL;
	c->stack_mem[1] = rte_zmalloc_socket("sk_tcp", sz, RTE_CACHE_LINE_SIZE, c->socket);
	if (c->stack_mem[1] == NULL)
		return -ENOMEM;
	c->tcp = dp_tcp_init(c->stack_mem[1], &tc);
	if (c->tcp == NULL)
		return -EINVAL;
	dp_net_set_tcp(c->net, c->tcp);
	dp_tcp_set_now(c->tcp, c->now_us);
	(void)dp_net_start(c->net, c->now_us);
	c->stack_kind = SK_STACK_NATIVE;
	sk_core_attach_stack(c, dp_tcp_stack(c->tcp));
	return 0;
}

/* Adaptive idle on the posix stack: sleep in epoll_wait, so a request wakes the core at once. */
static void
sk_stack_posix_idle_wait(void *ctx, uint32_t max_us)
{
	(void)dp_posix_wait(ctx, max_us);
}

static int
sk_stack_posix_create(struct sk_core *c, const struct sk_stack_conf *sc)
{
	char name[32];
	struct dp_posix_conf pc = {
		.pool = c->pool,
		.max_conns = sc->max_conns,
		.sndbuf_bytes = sc->snd_buf_kb * 1024u,
		.rx_segs = sc->rx_segs,
		.rx_hold_bytes = sc->rcv_buf_kb * 1024u,
		.linger_us = sc->linger_ms * 1000u,
		.name = name,
	};
	size_t sz;

	snprintf(name, sizeof(name), "posix%u", c->id);
	sz = dp_posix_memsize(&pc);
	if (sz == 0)
		return -EINVAL;
	c->stack_mem[0] = rte_zmalloc_socket("sk_posix", sz, RTE_CACHE_LINE_SIZE, c->socket);
	if (c->stack_mem[0] == NULL)
		return -ENOMEM;
	c->posix = dp_posix_init(c->stack_mem[0], &pc);
	if (c->posix == NULL)
		return -errno ? -errno : -EINVAL;
	c->stack_kind = SK_STACK_POSIX;
	sk_core_attach_stack(c, dp_posix_stack(c->posix));
	sk_core_set_idle_wait(c, sk_stack_posix_idle_wait, c->posix);
	return 0;
}

int
sk_stack_core_create(struct sk_core *c)
{
	const struct sk_stack_conf *sc = c->rt->stack;
	int rc;

	if (sc == NULL)
		return 0;
	if (sc->kind == SK_STACK_CHOICE_NATIVE)
		rc = sk_stack_native_create(c, sc);
	else if (sc->kind == SK_STACK_CHOICE_POSIX)
		rc = sk_stack_posix_create(c, sc);
	else
		rc = -EINVAL;
	if (rc != 0) {
		SK_RT_LOG(ERR, "core %u: %s stack: %d\n", c->id,
			  sc->kind == SK_STACK_CHOICE_NATIVE ? "native" : "posix", rc);
		sk_stack_core_destroy(c);
	}
	return rc;
}

void
sk_stack_core_destroy(struct sk_core *c)
{
	struct dp_tcp *t = c->tcp;
	struct dp_net *n = c->net;
	struct dp_posix *p = c->posix;

	sk_stack_mirror_stats(c);
	sk_core_attach_stack(c, NULL);
	if (p != NULL)
		sk_core_set_idle_wait(c, NULL, NULL);
	if (t != NULL)
		dp_tcp_fini(t);
	if (n != NULL) {
		(void)dp_net_tx_flush(n);
		dp_net_drain(n);
	}
	if (p != NULL)
		dp_posix_fini(p);
	/* Unpublish for /skiff/stack, then let a reader that saw the pointers finish. */
	__atomic_store_n(&c->tcp, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->net, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->posix, NULL, __ATOMIC_SEQ_CST);
	sk_stats_quiesce();
	c->stack_kind = SK_STACK_NONE;
	for (unsigned i = 0; i < RTE_DIM(c->stack_mem); i++) {
		rte_free(c->stack_mem[i]);
		c->stack_mem[i] = NULL;
	}
}

static uint64_t
sk_stack_tcp_drops(const struct dp_tcp *t)
{
	uint64_t d = 0;

	for (unsigned i = DP_TCP_CNT_DROP_SHORT; i <= DP_TCP_CNT_DROP_DUP_DATA; i++)
		d += dp_tcp_counter(t, (enum dp_tcp_cnt)i);
	return d;
}

void
sk_stack_mirror_stats(struct sk_core *c)
{
	if (c->net != NULL) {
		const struct dp_net *n = c->net;

		SK_STAT_SET(c, rx_pkts, n->stat[DP_NET_STAT_RX_PKTS]);
		SK_STAT_SET(c, rx_bytes, n->stat[DP_NET_STAT_RX_BYTES]);
		SK_STAT_SET(c, tx_pkts, n->stat[DP_NET_STAT_TX_PKTS]);
		SK_STAT_SET(c, tx_bytes, n->stat[DP_NET_STAT_TX_BYTES]);
		SK_STAT_SET(c, drops[SK_DROP_STACK],
			    dp_net_drops_total(n) +
				    (c->tcp != NULL ? sk_stack_tcp_drops(c->tcp) : 0));
	} else if (c->posix != NULL) {
		const struct dp_posix_stats *ps = dp_posix_stats(c->posix);
		uint64_t errs = 0;

		/* Kernel sockets: a "packet" is one readv / writev call. */
		SK_STAT_SET(c, rx_pkts, ps->read_calls);
		SK_STAT_SET(c, rx_bytes, ps->read_bytes);
		SK_STAT_SET(c, tx_pkts, ps->write_calls);
		SK_STAT_SET(c, tx_bytes, ps->write_bytes);
		for (unsigned i = 0; i < DP_POSIX_ERR_MAX; i++)
			errs += ps->errors[i];
		SK_STAT_SET(c, drops[SK_DROP_STACK], errs + ps->accept_nopool);
	}
}
