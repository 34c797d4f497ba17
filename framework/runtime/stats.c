/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Observability: sums the per-core counters (relaxed reads of single-writer fields), formats the
 * one-line live summary, and serves DPDK telemetry: /skiff/stats (aggregate) and /skiff/cores (per
 * core; /skiff/cores,N for core N alone). Telemetry callbacks run on the telemetry library's
 * threads, never on a worker, and take no lock the data path holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_telemetry.h>

#include <dp/net.h>
#include <dp/pool.h>
#include <dp/posix.h>
#include <dp/tcp.h>
#include <dp/timer.h>

#include "runtime_priv.h"

/* Telemetry callbacks carry no context pointer in 22.11: the published runtime, and a count of
 * callbacks running so unpublishing can wait them out before the runtime is freed. */
static struct sk_runtime *sk_stats_rt;
static unsigned sk_stats_readers;
static bool sk_stats_registered;

static void
sk_stats_add_core(struct sk_core_stats *sum, const struct sk_core *c)
{
#define SK_SUM(f) sum->f += SK_STAT_GET(c, f)
	SK_SUM(rx_pkts);
	SK_SUM(rx_bytes);
	SK_SUM(tx_pkts);
	SK_SUM(tx_bytes);
	for (unsigned d = 0; d < SK_DROP_MAX; d++)
		SK_SUM(drops[d]);
	SK_SUM(loops);
	SK_SUM(busy_loops);
	SK_SUM(busy_cycles);
	SK_SUM(idle_cycles);
	SK_SUM(sleeps);
	SK_SUM(mbox_sent);
	SK_SUM(mbox_run);
	SK_SUM(mbox_replies);
	SK_SUM(mbox_full);
	SK_SUM(timers_fired);
	SK_SUM(app_work);
#undef SK_SUM
}

void
sk_stats_snapshot(const struct sk_runtime *rt, struct sk_stats_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->tsc = rte_rdtsc();
	s->n_cores = rt->n_cores;
	for (unsigned i = 0; i < rt->n_cores; i++) {
		const struct sk_core *c = rt->cores[i];

		sk_stats_add_core(&s->sum, c);
		s->pool_in_use += dp_pool_in_use(c->pool);
		s->pool_avail += dp_pool_avail(c->pool);
	}
}

static uint64_t
sk_stats_drops(const struct sk_core_stats *s)
{
	uint64_t d = 0;

	for (unsigned i = 0; i < SK_DROP_MAX; i++)
		d += s->drops[i];
	return d;
}

static double
sk_stats_rate(uint64_t a, uint64_t b, double secs)
{
	return secs > 0 && b >= a ? (double)(b - a) / secs : 0.0;
}

void
sk_stats_format_line(const struct sk_runtime *rt, const struct sk_stats_snapshot *p,
		     const struct sk_stats_snapshot *c, char *buf, size_t len)
{
	double secs = (double)(c->tsc - p->tsc) / (double)rt->tsc_hz;
	uint64_t busy = c->sum.busy_cycles - p->sum.busy_cycles;
	uint64_t all = busy + c->sum.idle_cycles - p->sum.idle_cycles;
	double up = (double)(c->tsc - rt->start_tsc) / (double)rt->tsc_hz;

	snprintf(buf, len,
		 "%7.1fs cores %u | rx %.0f pps %.1f Mbit/s | tx %.0f pps %.1f Mbit/s | drops "
		 "%llu | mbox %.0f/s full %llu | timers %.0f/s | loops %.0f/s busy %.1f%% "
		 "sleeps %.0f/s | mbufs in use %llu",
		 up, c->n_cores, sk_stats_rate(p->sum.rx_pkts, c->sum.rx_pkts, secs),
		 sk_stats_rate(p->sum.rx_bytes, c->sum.rx_bytes, secs) * 8 / 1e6,
		 sk_stats_rate(p->sum.tx_pkts, c->sum.tx_pkts, secs),
		 sk_stats_rate(p->sum.tx_bytes, c->sum.tx_bytes, secs) * 8 / 1e6,
		 (unsigned long long)sk_stats_drops(&c->sum),
		 sk_stats_rate(p->sum.mbox_run, c->sum.mbox_run, secs),
		 (unsigned long long)c->sum.mbox_full,
		 sk_stats_rate(p->sum.timers_fired, c->sum.timers_fired, secs),
		 sk_stats_rate(p->sum.loops, c->sum.loops, secs),
		 all ? 100.0 * (double)busy / (double)all : 0.0,
		 sk_stats_rate(p->sum.sleeps, c->sum.sleeps, secs),
		 (unsigned long long)c->pool_in_use);
}

/* ---- telemetry ----------------------------------------------------------------------------- */

static void
sk_stats_tel_counters(struct rte_tel_data *d, const struct sk_core_stats *s)
{
	char name[64];

	rte_tel_data_add_dict_u64(d, "rx_pkts", s->rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s->rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_pkts", s->tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s->tx_bytes);
	rte_tel_data_add_dict_u64(d, "drops", sk_stats_drops(s));
	for (unsigned i = 0; i < SK_DROP_MAX; i++) {
		snprintf(name, sizeof(name), "drop_%s", sk_drop_names[i]);
		rte_tel_data_add_dict_u64(d, name, s->drops[i]);
	}
	rte_tel_data_add_dict_u64(d, "loops", s->loops);
	rte_tel_data_add_dict_u64(d, "busy_loops", s->busy_loops);
	rte_tel_data_add_dict_u64(d, "busy_cycles", s->busy_cycles);
	rte_tel_data_add_dict_u64(d, "idle_cycles", s->idle_cycles);
	rte_tel_data_add_dict_u64(d, "sleeps", s->sleeps);
	rte_tel_data_add_dict_u64(d, "mbox_sent", s->mbox_sent);
	rte_tel_data_add_dict_u64(d, "mbox_run", s->mbox_run);
	rte_tel_data_add_dict_u64(d, "mbox_replies", s->mbox_replies);
	rte_tel_data_add_dict_u64(d, "mbox_full", s->mbox_full);
	rte_tel_data_add_dict_u64(d, "timers_fired", s->timers_fired);
	rte_tel_data_add_dict_u64(d, "app_work", s->app_work);
}

static struct sk_runtime *
sk_stats_tel_enter(void)
{
	struct sk_runtime *rt;

	/* Sequentially consistent, as the store and load in sk_stats_publish(): a reader either
	 * sees NULL or is counted before the runtime is freed (no store-load reordering). */
	__atomic_add_fetch(&sk_stats_readers, 1, __ATOMIC_SEQ_CST);
	rt = __atomic_load_n(&sk_stats_rt, __ATOMIC_SEQ_CST);
	if (rt == NULL)
		__atomic_sub_fetch(&sk_stats_readers, 1, __ATOMIC_ACQ_REL);
	return rt;
}

static void
sk_stats_tel_leave(void)
{
	__atomic_sub_fetch(&sk_stats_readers, 1, __ATOMIC_ACQ_REL);
}

static int
sk_stats_tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sk_runtime *rt = sk_stats_tel_enter();
	struct sk_stats_snapshot s;

	(void)cmd;
	(void)params;
	if (rt == NULL)
		return -ENODEV;
	sk_stats_snapshot(rt, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "cores", s.n_cores);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rt->tsc_hz);
	rte_tel_data_add_dict_u64(d, "uptime_ms",
				  rt->start_tsc ? (s.tsc - rt->start_tsc) * 1000 / rt->tsc_hz : 0);
	sk_stats_tel_counters(d, &s.sum);
	rte_tel_data_add_dict_u64(d, "pool_in_use", s.pool_in_use);
	rte_tel_data_add_dict_u64(d, "pool_avail", s.pool_avail);
	sk_stats_tel_leave();
	return 0;
}

static void
sk_stats_tel_core(struct rte_tel_data *d, const struct sk_core *c)
{
	struct sk_core_stats s = {0};

	sk_stats_add_core(&s, c);
	rte_tel_data_add_dict_u64(d, "core", c->id);
	rte_tel_data_add_dict_u64(d, "lcore", c->lcore);
	rte_tel_data_add_dict_u64(d, "socket", (uint64_t)c->socket);
	sk_stats_tel_counters(d, &s);
	rte_tel_data_add_dict_u64(d, "pool_in_use", dp_pool_in_use(c->pool));
	rte_tel_data_add_dict_u64(d, "pool_avail", dp_pool_avail(c->pool));
	if (c->mbox != NULL) {
		uint64_t pending, staged;

		sk_mbox_gauges(c, &pending, &staged);
		rte_tel_data_add_dict_u64(d, "mbox_pending", pending);
		rte_tel_data_add_dict_u64(d, "mbox_staged", staged);
	}
}

/* /skiff/cores: { "core0": {...}, "core1": {...} } for up to 8 cores (stays under 16 KB);
 * /skiff/cores,N: core N's dict alone. */
static int
sk_stats_tel_cores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sk_runtime *rt = sk_stats_tel_enter();
	char name[32];
	int rc = 0;

	(void)cmd;
	if (rt == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != '\0') {
		char *end;
		unsigned long id = strtoul(params, &end, 10);

		if (*end != '\0' || id >= rt->n_cores)
			rc = -EINVAL;
		else
			sk_stats_tel_core(d, rt->cores[id]);
	} else {
		rte_tel_data_add_dict_u64(d, "cores", rt->n_cores);
		for (unsigned i = 0; i < rt->n_cores && i < 8; i++) {
			struct rte_tel_data *cd = rte_tel_data_alloc();

			if (cd == NULL) {
				rc = -ENOMEM;
				break;
			}
			rte_tel_data_start_dict(cd);
			sk_stats_tel_core(cd, rt->cores[i]);
			snprintf(name, sizeof(name), "core%u", i);
			if (rte_tel_data_add_dict_container(d, name, cd, 0) != 0) {
				rte_tel_data_free(cd);
				rc = -E2BIG;
				break;
			}
		}
	}
	sk_stats_tel_leave();
	return rc;
}

/* /skiff/stack: the attached stacks' own counters summed over the cores. native: the net layer's
 * (traffic, ARP, ICMP, every drop reason as drop_<reason>) and TCP's (tcp_<counter>); posix: the
 * posix stack's (posix_<counter>). The stacks are read through pointers a worker clears (and
 * waits for readers, sk_stats_quiesce) before it frees them. */
static int
sk_stats_tel_stack(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sk_runtime *rt = sk_stats_tel_enter();
	const struct dp_net *nets[SK_CONFIG_MAX_WORKERS];
	unsigned n_nets = 0, n_posix = 0;
	uint64_t tcp[DP_TCP_CNT_MAX] = {0};
	struct dp_posix_stats px = {0};
	char name[64];

	(void)cmd;
	(void)params;
	if (rt == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < rt->n_cores; i++) {
		const struct sk_core *c = rt->cores[i];
		const struct dp_net *n = __atomic_load_n(&c->net, __ATOMIC_SEQ_CST);
		const struct dp_tcp *t = __atomic_load_n(&c->tcp, __ATOMIC_SEQ_CST);
		const struct dp_posix *p = __atomic_load_n(&c->posix, __ATOMIC_SEQ_CST);

		if (n != NULL)
			nets[n_nets++] = n;
		if (t != NULL)
			for (unsigned k = 0; k < DP_TCP_CNT_MAX; k++)
				tcp[k] += dp_tcp_counter(t, (enum dp_tcp_cnt)k);
		if (p != NULL) {
			const uint64_t *src = (const uint64_t *)dp_posix_stats(p);
			uint64_t *dst = (uint64_t *)&px;

			for (size_t k = 0; k < sizeof(px) / sizeof(uint64_t); k++)
				dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
			n_posix++;
		}
	}
	rte_tel_data_add_dict_string(d, "kind",
				     n_nets ? "native" : n_posix ? "posix" : "none");
	rte_tel_data_add_dict_u64(d, "cores_with_stack", n_nets + n_posix);
	if (n_nets != 0) {
		(void)dp_net_telemetry(d, nets, n_nets);
		for (unsigned k = 0; k < DP_TCP_CNT_MAX; k++) {
			snprintf(name, sizeof(name), "tcp_%s", dp_tcp_cnt_name(k));
			rte_tel_data_add_dict_u64(d, name, tcp[k]);
		}
	}
	if (n_posix != 0) {
#define SK_PX(f) rte_tel_data_add_dict_u64(d, "posix_" #f, px.f)
		SK_PX(accepts);
		SK_PX(accept_nopool);
		SK_PX(connects);
		SK_PX(connected);
		SK_PX(connect_failed);
		SK_PX(read_calls);
		SK_PX(read_bytes);
		SK_PX(write_calls);
		SK_PX(write_bytes);
		SK_PX(send_eagain);
		SK_PX(closes);
		SK_PX(aborts);
		SK_PX(resets);
		SK_PX(linger_timeouts);
		SK_PX(rx_nombuf);
		SK_PX(rx_paused);
#undef SK_PX
	}
	sk_stats_tel_leave();
	return 0;
}

void
sk_stats_quiesce(void)
{
	uint64_t until = rte_rdtsc() + rte_get_tsc_hz(); /* a reader holds for microseconds */

	while (__atomic_load_n(&sk_stats_readers, __ATOMIC_SEQ_CST) != 0 && rte_rdtsc() < until)
		rte_pause();
}

void
sk_stats_publish(struct sk_runtime *rt)
{
	if (rt != NULL && !sk_stats_registered) {
		/* Registration lasts for the process; the callbacks follow sk_stats_rt. */
		if (rte_telemetry_register_cmd("/skiff/stats", sk_stats_tel_stats,
					       "Skiff counters summed over all cores") != 0 ||
		    rte_telemetry_register_cmd("/skiff/cores", sk_stats_tel_cores,
					       "Skiff counters per core; param: core id") != 0 ||
		    rte_telemetry_register_cmd("/skiff/stack", sk_stats_tel_stack,
					       "Stack counters (drops by reason) summed over cores") != 0)
			SK_RT_LOG(WARNING, "telemetry commands not registered\n");
		sk_stats_registered = true;
	}
	__atomic_store_n(&sk_stats_rt, rt, __ATOMIC_SEQ_CST);
	if (rt == NULL)
		while (__atomic_load_n(&sk_stats_readers, __ATOMIC_SEQ_CST) != 0)
			rte_pause();
}
