/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runtime set-up and tear-down (control path): one struct sk_core per worker lcore, allocated on
 * the lcore's NUMA socket with its timer wheel, mbuf pool and jemalloc arena; the mailbox rings;
 * the telemetry publication. Also the per-core allocator (sk_core_alloc) and small accessors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_per_lcore.h>

#include <dp/pool.h>
#include <dp/timer.h>

#include "config_priv.h"
#include "runtime_priv.h"

const char *const sk_drop_names[SK_DROP_MAX] = {
	[SK_DROP_NO_STACK] = "no_stack",
	[SK_DROP_TX_FULL] = "tx_full",
	[SK_DROP_MBOX_STOP] = "mbox_stop",
	[SK_DROP_APP] = "app",
	[SK_DROP_STACK] = "stack",
};

/* Only one runtime exists at a time (telemetry commands cannot carry a context pointer). */
static struct sk_runtime *sk_runtime_current;

RTE_DEFINE_PER_LCORE(struct sk_core *, sk_core_self_ptr);

struct sk_core *
sk_core_self(void)
{
	return RTE_PER_LCORE(sk_core_self_ptr);
}

void
sk_core_set_self(struct sk_core *c)
{
	RTE_PER_LCORE(sk_core_self_ptr) = c;
}

void
sk_core_attach_stack(struct sk_core *c, struct dp_stack *st)
{
	c->stack = st;
}

void
sk_core_set_idle_wait(struct sk_core *c, sk_core_idle_wait_fn *fn, void *ctx)
{
	c->idle_wait = fn;
	c->idle_wait_ctx = ctx;
}

void *
sk_core_alloc(struct sk_core *c, size_t size)
{
	return mallocx(size ? size : 1, MALLOCX_ARENA(c->arena) | MALLOCX_TCACHE_NONE);
}

void *
sk_core_zalloc(struct sk_core *c, size_t size)
{
	return mallocx(size ? size : 1,
		       MALLOCX_ARENA(c->arena) | MALLOCX_TCACHE_NONE | MALLOCX_ZERO);
}

void
sk_core_free(struct sk_core *c, void *p)
{
	(void)c;
	if (p != NULL)
		dallocx(p, MALLOCX_TCACHE_NONE);
}

static int
sk_core_arena_create(unsigned *arena)
{
	size_t sz = sizeof(*arena);

	return mallctl("arenas.create", arena, &sz, NULL, 0) == 0 ? 0 : -ENOMEM;
}

static void
sk_core_arena_destroy(unsigned arena)
{
	char name[64];

	snprintf(name, sizeof(name), "arena.%u.destroy", arena);
	(void)mallctl(name, NULL, NULL, NULL, 0);
}

/* The sizing of every worker's pool (one RX and one TX queue per port on every core, DPDK.md 3.1). */
static void
sk_core_pool_sizing(const struct sk_config *cfg, struct dp_pool_sizing *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->burst = 32;
	ps->in_flight = cfg->limits.mbufs_per_core;
	ps->cache = cfg->limits.mbuf_cache;
	for (unsigned p = 0; p < cfg->n_ports; p++) {
		ps->rxd += cfg->ports[p].rxd;
		ps->txd += cfg->ports[p].txd;
	}
}

int
sk_config_check_memory(const struct sk_config *cfg, struct sk_config_err *err)
{
	struct dp_pool_sizing ps;
	uint64_t limit_mb, need_mb, obj;
	struct rte_mempool_objsz sz;
	uint32_t n;

	if (cfg->eal.memory_mb != 0)
		limit_mb = cfg->eal.memory_mb;
	else if (cfg->eal.no_huge)
		limit_mb = 64; /* the EAL's default with --no-huge */
	else
		return 0; /* hugepages are taken as needed */
	sk_core_pool_sizing(cfg, &ps);
	n = dp_pool_count(&ps);
	obj = rte_mempool_calc_obj_size(sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 0, &sz);
	need_mb = ((uint64_t)n * obj * cfg->workers.n_cpus + (1u << 20) - 1) >> 20;
	if (need_mb <= limit_mb)
		return 0;
	sk_config_errf(err,
		       "%s:%u: [eal] memory_mb = %u%s: the worker pools alone need %llu MB (%u "
		       "workers x %u mbufs of %llu bytes); raise memory_mb, or lower [limits] "
		       "mbufs_per_core or the ports' rxd/txd",
		       cfg->path, sk_config_section_line(cfg, "eal"), cfg->eal.memory_mb,
		       cfg->eal.memory_mb == 0 ? " (64 MB with no_huge)" : "",
		       (unsigned long long)need_mb, cfg->workers.n_cpus, n, (unsigned long long)obj);
	return -ENOMEM;
}

static struct sk_core *
sk_core_create(struct sk_runtime *rt, unsigned id, unsigned lcore)
{
	const struct sk_config *cfg = rt->cfg;
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct dp_timer_wheel_conf wc = {.tick_us = cfg->workers.timer_tick_us, .start_us = 0};
	struct dp_pool_sizing ps;
	struct sk_core *c;
	char name[RTE_MEMPOOL_NAMESIZE];
	void *mem;

	c = rte_zmalloc_socket("sk_core", sizeof(*c), RTE_CACHE_LINE_SIZE, socket);
	if (c == NULL)
		return NULL;
	c->id = id;
	c->lcore = lcore;
	c->socket = socket;
	c->rt = rt;
	if (sk_core_arena_create(&c->arena) != 0)
		goto fail;
	mem = rte_zmalloc_socket("sk_wheel", dp_timer_wheel_memsize(&wc), RTE_CACHE_LINE_SIZE,
				 socket);
	if (mem == NULL)
		goto fail;
	c->wheel_mem = mem;
	c->wheel = dp_timer_wheel_init(mem, &wc);
	if (c->wheel == NULL)
		goto fail;
	sk_core_pool_sizing(cfg, &ps);
	snprintf(name, sizeof(name), "sk_pool_%u", id);
	c->pool = dp_pool_create(name, &ps, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (c->pool == NULL) {
		/* Say which pool and what to change: a bare ENOMEM names neither. */
		uint64_t n = dp_pool_count(&ps);
		uint64_t mb = (n * (RTE_MBUF_DEFAULT_BUF_SIZE + sizeof(struct rte_mbuf)) >> 20) + 1;

		SK_RT_LOG(ERR,
			  "core %u: cannot create its pool of %llu mbufs (about %llu MB) on socket "
			  "%d: %s; raise [eal] memory_mb, or lower [limits] mbufs_per_core or the "
			  "ports' rxd/txd\n",
			  id, (unsigned long long)n, (unsigned long long)mb, socket,
			  rte_strerror(rte_errno));
		goto fail;
	}
	return c;
fail:
	sk_core_destroy(c);
	return NULL;
}

void
sk_core_destroy(struct sk_core *c)
{
	if (c == NULL)
		return;
	if (c->pool != NULL) {
		unsigned out = dp_pool_in_use(c->pool);

		if (out != 0)
			SK_RT_LOG(WARNING, "core %u: %u mbufs still in use at teardown\n", c->id,
				  out);
		dp_pool_free(c->pool);
	}
	rte_free(c->wheel_mem);
	if (c->arena != 0)
		sk_core_arena_destroy(c->arena);
	rte_free(c);
}

/* Open and start every configured port; queue q of each port belongs to core q and fills from
 * that core's pool. */
static int
sk_runtime_ports_up(struct sk_runtime *rt)
{
	const struct sk_config *cfg = rt->cfg;

	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct dp_port_conf *pc = &cfg->ports[i];
		struct rte_mempool *pools[DP_PORT_MAX_QUEUES];
		struct dp_port *p = &rt->ports[i];
		int rc;

		if (pc->queues == 0 || pc->queues > rt->n_cores)
			return -EINVAL;
		for (unsigned q = 0; q < pc->queues; q++)
			pools[q] = rt->cores[q]->pool;
		rc = dp_port_open(p, pc, pools);
		if (rc != 0) {
			SK_RT_LOG(ERR, "port %u (%s): open failed: %d\n", i, pc->dev, rc);
			return rc;
		}
		rt->n_ports = i + 1;
		for (uint16_t q = 0; q < pc->queues; q++) {
			struct sk_core *c = rt->cores[q];

			(void)dp_port_set_queue_lcore(p, q, c->lcore);
			c->rxq[c->n_rxq].port_id = p->port_id;
			c->rxq[c->n_rxq].queue = q;
			c->rxq[c->n_rxq].port_index = i;
			c->n_rxq++;
		}
		rc = dp_port_start(p);
		if (rc != 0) {
			SK_RT_LOG(ERR, "port %u (%s): start failed: %d\n", i, pc->dev, rc);
			return rc;
		}
		SK_RT_LOG(INFO, "port %u (%s): %u queues up\n", i, pc->dev, pc->queues);
	}
	return 0;
}

/* Stop and close the ports; only after every worker returned (DPDK.md 2.4). */
static void
sk_runtime_ports_down(struct sk_runtime *rt)
{
	for (unsigned i = rt->n_ports; i-- > 0;) {
		if (rt->ports[i].started)
			(void)dp_port_stop(&rt->ports[i]);
		dp_port_close(&rt->ports[i]);
	}
	rt->n_ports = 0;
}

unsigned
sk_runtime_ports(const struct sk_runtime *rt)
{
	return rt->n_ports;
}

const struct dp_port *
sk_runtime_port(const struct sk_runtime *rt, unsigned index)
{
	return index < rt->n_ports ? &rt->ports[index] : NULL;
}

int
sk_runtime_create(const struct sk_config *cfg, struct sk_runtime **out)
{
	struct sk_runtime *rt;
	unsigned n = cfg->workers.n_cpus;
	int rc;

	if (sk_runtime_current != NULL)
		return -EEXIST;
	if (n == 0 || n > SK_CONFIG_MAX_WORKERS || rte_lcore_count() != n + 1 ||
	    rte_get_main_lcore() != 0)
		return -ENODEV;
	for (unsigned i = 1; i <= n; i++)
		if (!rte_lcore_is_enabled(i))
			return -ENODEV;
	rt = calloc(1, sizeof(*rt));
	if (rt == NULL)
		return -ENOMEM;
	rt->cfg = cfg;
	rt->n_cores = n;
	rt->tsc_hz = rte_get_tsc_hz();
	rt->tsc0 = rte_rdtsc();
	rt->us_mult = (uint64_t)(((__uint128_t)1000000 << 32) / rt->tsc_hz);
	for (unsigned i = 0; i < n; i++) {
		rt->cores[i] = sk_core_create(rt, i, i + 1);
		if (rt->cores[i] == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	rc = sk_mbox_create(rt);
	if (rc != 0)
		goto fail;
	rc = sk_runtime_ports_up(rt);
	if (rc != 0)
		goto fail;
	sk_runtime_current = rt;
	sk_stats_publish(rt);
	*out = rt;
	return 0;
fail:
	sk_runtime_ports_down(rt);
	sk_mbox_destroy(rt);
	for (unsigned i = 0; i < n; i++)
		sk_core_destroy(rt->cores[i]);
	free(rt);
	return rc;
}

void
sk_runtime_destroy(struct sk_runtime *rt)
{
	if (rt == NULL)
		return;
	sk_stats_publish(NULL);
	sk_runtime_ports_down(rt);
	sk_mbox_destroy(rt);
	for (unsigned i = 0; i < rt->n_cores; i++)
		sk_core_destroy(rt->cores[i]);
	if (sk_runtime_current == rt)
		sk_runtime_current = NULL;
	free(rt);
}

void
sk_runtime_set_app(struct sk_runtime *rt, const struct sk_core_app *app)
{
	rt->app = app;
}

void
sk_runtime_set_clock(struct sk_runtime *rt, sk_clock_fn *fn, void *ctx)
{
	rt->clock = fn;
	rt->clock_ctx = ctx;
}

unsigned
sk_runtime_cores(const struct sk_runtime *rt)
{
	return rt->n_cores;
}

struct sk_core *
sk_runtime_core(const struct sk_runtime *rt, unsigned id)
{
	return id < rt->n_cores ? rt->cores[id] : NULL;
}

const struct sk_config *
sk_runtime_config(const struct sk_runtime *rt)
{
	return rt->cfg;
}
