/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP set-up and control: configuration, the per-core memory layout (connection pool, open-
 * addressing flow table, listeners), connection life cycle (alloc, hash, TIME-WAIT table, destroy),
 * and the transport interface (dp_stack ops: listen, connect, poll, flush; dp_stream ops: send,
 * shutdown, close, abort). Input lives in tcp_in.c, output in tcp_out.c, timers in tcp_timer.c.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "tcp_priv.h"

#define DP_TCP_CNT_NAME(n) #n,
static const char *const dp_tcp_cnt_names[] = {DP_TCP_COUNTERS(DP_TCP_CNT_NAME)};
#undef DP_TCP_CNT_NAME

const char *
dp_tcp_cnt_name(unsigned id)
{
	return id < DP_TCP_CNT_MAX ? dp_tcp_cnt_names[id] : NULL;
}

void
dp_tcp_conf_defaults(struct dp_tcp_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->max_conns = 4096;
	conf->max_listeners = 16;
	conf->max_time_wait = 1024;
	conf->syn_backlog = 256;
	conf->syncookies = 1;
	conf->mss = 1460;
	conf->rcv_buf_bytes = 256 * 1024;
	conf->snd_buf_bytes = 256 * 1024;
	conf->ooo_max_segs = 256;
	conf->rto_init_us = 1000000;
	conf->rto_min_us = 200000;
	conf->rto_max_us = 120000000;
	conf->delack_us = 5000;
	conf->time_wait_us = 60000000;
	conf->fin_wait2_us = 60000000;
	conf->keepalive_idle_us = 0;
	conf->keepalive_intvl_us = 75000000;
	conf->keepalive_probes = 9;
	conf->syn_retries = 6;
	conf->synack_retries = 5;
	conf->rto_retries = 15;
	conf->chack_per_sec = 10;
	conf->nagle = false;
	conf->sack = true;
	conf->timestamps = true;
	conf->wscale = true;
	conf->quickack = false;
	conf->tlp = true;
	conf->tlp_min_us = 1000;
	conf->quick_start_segs = DP_TCP_QUICK_SEGS;
	conf->eph_lo = 32768;
	conf->eph_hi = 60999;
}

static uint32_t
dp_tcp_slots_for(uint32_t max_conns)
{
	uint32_t n = 16;

	while (n < max_conns * 2u && n < (1u << 30))
		n <<= 1;
	return n;
}

static bool
dp_tcp_conf_ok(const struct dp_tcp_conf *conf)
{
	return conf != NULL && conf->max_conns > 0 && conf->max_conns < (1u << 24) &&
	       conf->max_listeners > 0 && conf->hdr_pool != NULL && conf->clone_pool != NULL &&
	       conf->wheel != NULL && conf->mss >= 88 && conf->rcv_buf_bytes >= conf->mss &&
	       conf->snd_buf_bytes > 0 && conf->rto_min_us > 0 &&
	       conf->rto_max_us >= conf->rto_min_us && conf->eph_lo > 0 &&
	       conf->eph_hi >= conf->eph_lo && conf->delack_us > 0;
}

size_t
dp_tcp_memsize(const struct dp_tcp_conf *conf)
{
	if (!dp_tcp_conf_ok(conf))
		return 0;
	return RTE_ALIGN_CEIL(sizeof(struct dp_tcp), 64) +
	       RTE_ALIGN_CEIL(sizeof(struct dp_tcp_conn) * conf->max_conns, 64) +
	       RTE_ALIGN_CEIL(sizeof(struct dp_tcp_slot) * dp_tcp_slots_for(conf->max_conns), 64) +
	       RTE_ALIGN_CEIL(sizeof(struct dp_tcp_listener) * conf->max_listeners, 64);
}

static const struct dp_stack_ops dp_tcp_stack_ops;

struct dp_tcp *
dp_tcp_init(void *mem, const struct dp_tcp_conf *conf)
{
	size_t sz = dp_tcp_memsize(conf);
	uint8_t *p = mem;
	struct dp_tcp *t;
	uint32_t i, shift = 0;

	if (mem == NULL || sz == 0)
		return NULL;
	memset(mem, 0, sz);
	t = (struct dp_tcp *)p;
	p += RTE_ALIGN_CEIL(sizeof(struct dp_tcp), 64);
	t->conf = *conf;
	t->stack.ops = &dp_tcp_stack_ops;
	t->stack.name = "native";
	t->conns = (struct dp_tcp_conn *)p;
	p += RTE_ALIGN_CEIL(sizeof(struct dp_tcp_conn) * conf->max_conns, 64);
	t->slots = (struct dp_tcp_slot *)p;
	t->slot_mask = dp_tcp_slots_for(conf->max_conns) - 1;
	p += RTE_ALIGN_CEIL(sizeof(struct dp_tcp_slot) * (t->slot_mask + 1), 64);
	t->listeners = (struct dp_tcp_listener *)p;
	for (i = conf->max_conns; i-- > 0;) {
		t->conns[i].tw_next = t->free_list;
		t->free_list = &t->conns[i];
	}
	/* RFC 7323 2.3: our shift is the smallest that fits the buffer into 16 bits. */
	while (shift < DP_TCP_MAX_WSCALE && (conf->rcv_buf_bytes >> shift) > 65535)
		shift++;
	t->rcv_wscale = (uint8_t)shift;
	t->pool_reserve = conf->pool_reserve != 0 ? conf->pool_reserve : conf->hdr_pool->size / 8;
	/* The default mempool ops ("ring_mp_mc" and the other ring_* ones) keep free objects in
	 * the rte_ring at pool_data: its count is one read (dp_tcp_pool_free). */
	if (strncmp(rte_mempool_get_ops(conf->hdr_pool->ops_index)->name, "ring_", 5) == 0)
		t->pool_ring = conf->hdr_pool->pool_data;
	t->eph_next = (uint16_t)(conf->eph_lo +
				 (conf->secret[1] % ((uint32_t)conf->eph_hi - conf->eph_lo + 1)));
	return t;
}

struct dp_stack *
dp_tcp_stack(struct dp_tcp *t)
{
	return &t->stack;
}

void
dp_tcp_set_now(struct dp_tcp *t, uint64_t now_us)
{
	if (now_us > t->now_us)
		t->now_us = now_us;
}

uint64_t
dp_tcp_counter(const struct dp_tcp *t, enum dp_tcp_cnt id)
{
	return (unsigned)id < DP_TCP_CNT_MAX ? t->cnt[id] : 0;
}

uint32_t
dp_tcp_conn_count(const struct dp_tcp *t)
{
	return t->nconns_used;
}

uint32_t
dp_tcp_time_wait_count(const struct dp_tcp *t)
{
	return t->tw_count;
}

/* ---- flow table: open addressing, linear probing, backward-shift delete (TCP.md 5.2 B) ---- */

static uint32_t
dp_tcp_tuple_hash32(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	uint64_t x = ((uint64_t)rip << 32 | lip) ^
		     ((uint64_t)rport << 16 | lport) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (uint32_t)x | 1u; /* 0 marks an empty slot */
}

struct dp_tcp_conn *
dp_tcp_conn_lookup(struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	uint32_t h = dp_tcp_tuple_hash32(lip, lport, rip, rport);
	uint32_t i = h & t->slot_mask;

	for (;; i = (i + 1) & t->slot_mask) {
		const struct dp_tcp_slot *sl = &t->slots[i];
		struct dp_tcp_conn *c;

		if (sl->hash == 0)
			return NULL;
		if (sl->hash != h)
			continue;
		c = &t->conns[sl->idx];
		if (c->s.local.port == lport && c->s.remote.port == rport &&
		    c->s.remote.ip == rip && c->s.local.ip == lip)
			return c;
	}
}

int
dp_tcp_conn_hash_insert(struct dp_tcp *t, struct dp_tcp_conn *c)
{
	uint32_t h = dp_tcp_tuple_hash32(c->s.local.ip, c->s.local.port, c->s.remote.ip,
					 c->s.remote.port);
	uint32_t i = h & t->slot_mask;

	while (t->slots[i].hash != 0)
		i = (i + 1) & t->slot_mask;
	t->slots[i].hash = h;
	t->slots[i].idx = (uint32_t)(c - t->conns);
	c->hash = h;
	return 0;
}

static void
dp_tcp_conn_hash_remove(struct dp_tcp *t, struct dp_tcp_conn *c)
{
	uint32_t i = c->hash & t->slot_mask;
	uint32_t idx = (uint32_t)(c - t->conns);
	uint32_t j;

	if (c->hash == 0)
		return;
	while (!(t->slots[i].hash == c->hash && t->slots[i].idx == idx)) {
		if (t->slots[i].hash == 0)
			return;
		i = (i + 1) & t->slot_mask;
	}
	/* Backward-shift delete: move later entries of the probe run into the hole. */
	for (j = (i + 1) & t->slot_mask; t->slots[j].hash != 0; j = (j + 1) & t->slot_mask) {
		uint32_t home = t->slots[j].hash & t->slot_mask;

		if (((j - home) & t->slot_mask) >= ((j - i) & t->slot_mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].hash = 0;
	c->hash = 0;
}

/* ---- connection life cycle ---- */

static void
dp_tcp_tw_unlink(struct dp_tcp *t, struct dp_tcp_conn *c)
{
	if (c->tw_prev != NULL)
		c->tw_prev->tw_next = c->tw_next;
	else
		t->tw_head = c->tw_next;
	if (c->tw_next != NULL)
		c->tw_next->tw_prev = c->tw_prev;
	else
		t->tw_tail = c->tw_prev;
	c->tw_prev = c->tw_next = NULL;
	t->tw_count--;
}

static void
dp_tcp_conn_put(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;

	c->in_use = false;
	c->tw_next = t->free_list;
	t->free_list = c;
	t->nconns_used--;
}

struct dp_tcp_conn *
dp_tcp_conn_alloc(struct dp_tcp *t)
{
	struct dp_tcp_conn *c = t->free_list;

	if (c == NULL && t->tw_head != NULL) {
		/* Pool exhausted: the oldest TIME-WAIT entry gives way (bounded table). */
		DP_TCP_CNT(t, TW_EVICTED);
		dp_tcp_conn_destroy(t->tw_head);
		c = t->free_list;
	}
	if (c == NULL)
		return NULL;
	t->free_list = c->tw_next;
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->in_use = true;
	dp_timer_init(&c->rtx_tmr, dp_tcp_rtx_fire, c);
	dp_timer_init(&c->delack_tmr, dp_tcp_delack_fire, c);
	t->nconns_used++;
	return c;
}

static void
dp_tcp_mbuf_list_free(struct rte_mbuf *m)
{
	while (m != NULL) {
		struct rte_mbuf *n = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = n;
	}
}

/* Release everything a connection holds and take it out of the table. The memory goes back to
 * the pool now, or once the poll/flush lists have let go of it (zombie). */
void
dp_tcp_conn_destroy(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;

	if (!c->in_use || c->zombie)
		return;
	dp_tcp_conn_hash_remove(t, c);
	dp_timer_cancel(t->conf.wheel, &c->rtx_tmr);
	dp_timer_cancel(t->conf.wheel, &c->delack_tmr);
	if (c->state == DP_TCP_TIME_WAIT)
		dp_tcp_tw_unlink(t, c);
	if (c->state == DP_TCP_SYN_RCVD && c->lst != NULL && c->lst->syn_count > 0)
		c->lst->syn_count--;
	dp_tcp_sq_free_all(c);
	dp_tcp_mbuf_list_free(c->rq_head);
	dp_tcp_mbuf_list_free(c->ooo_head);
	c->rq_head = c->rq_tail = c->ooo_head = NULL;
	c->rq_bytes = c->ooo_bytes = c->ooo_segs = 0;
	c->state = DP_TCP_CLOSED;
	if (c->on_ev || c->on_out)
		c->zombie = true;
	else
		dp_tcp_conn_put(c);
}

/* The connection is over (CLOSED): tell the user if one is attached, then destroy. */
void
dp_tcp_conn_finish(struct dp_tcp_conn *c, int err)
{
	if (c->user && !c->close_notified) {
		c->close_notified = true;
		c->ev_err = err;
		c->ev &= (uint16_t) ~(DP_TCP_EV_DATA | DP_TCP_EV_WRITABLE | DP_TCP_EV_PEER_FIN);
		if (c->ev & DP_TCP_EV_ACCEPT) {
			/* Never accepted by the user: drop silently. */
			c->ev = 0;
			c->user = false;
		} else {
			dp_tcp_ev_push(c, DP_TCP_EV_CLOSED);
		}
	}
	dp_tcp_conn_destroy(c);
}

void
dp_tcp_enter_time_wait(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;

	if (c->state == DP_TCP_TIME_WAIT)
		return;
	c->state = DP_TCP_TIME_WAIT;
	DP_TCP_CNT(t, TW_ENTERED);
	dp_tcp_sq_free_all(c);
	if (t->tw_count >= t->conf.max_time_wait && t->tw_head != NULL) {
		DP_TCP_CNT(t, TW_EVICTED);
		dp_tcp_conn_destroy(t->tw_head);
	}
	c->tw_prev = t->tw_tail;
	c->tw_next = NULL;
	if (t->tw_tail != NULL)
		t->tw_tail->tw_next = c;
	else
		t->tw_head = c;
	t->tw_tail = c;
	t->tw_count++;
	dp_timer_cancel(t->conf.wheel, &c->delack_tmr);
	dp_tcp_timer_rearm(c);
	if (c->user && !c->close_notified) {
		c->close_notified = true;
		c->ev_err = 0;
		dp_tcp_ev_push(c, DP_TCP_EV_CLOSED);
	}
}

void
dp_tcp_ev_push(struct dp_tcp_conn *c, uint16_t ev)
{
	struct dp_tcp *t = c->t;

	c->ev |= ev;
	if (c->on_ev)
		return;
	c->on_ev = true;
	c->ev_next = NULL;
	if (t->ev_tail != NULL)
		t->ev_tail->ev_next = c;
	else
		t->ev_head = c;
	t->ev_tail = c;
}

void
dp_tcp_out_push(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;

	if (c->on_out || c->zombie)
		return;
	c->on_out = true;
	c->out_next = NULL;
	if (t->out_tail != NULL)
		t->out_tail->out_next = c;
	else
		t->out_head = c;
	t->out_tail = c;
}

/* Common initial values of a new connection (RFC 6298 2.1, RFC 5681 3.1, RFC 6928). */
void
dp_tcp_conn_init_common(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;

	c->rto_us = t->conf.rto_init_us;
	c->ssthresh = 0x7fffffff;
	c->peer_mss = 536;
	c->smss = 536;
	c->quickack = t->conf.quickack;
	c->quick_left = t->conf.quick_start_segs;
	c->ts_off = dp_tcp_ts_offset(t, c->s.local.ip, c->s.remote.ip);
	c->last_rx_us = t->now_us;
}

struct dp_tcp_listener *
dp_tcp_listener_find(struct dp_tcp *t, uint32_t lip, uint16_t lport)
{
	uint32_t i;

	for (i = 0; i < t->conf.max_listeners; i++) {
		struct dp_tcp_listener *l = &t->listeners[i];

		if (l->used && l->port == lport && (l->ip == 0 || l->ip == lip))
			return l;
	}
	return NULL;
}

/* ---- dp_stream ops ---- */

static int
dp_tcp_stream_send(struct dp_stream *s, struct rte_mbuf *chain)
{
	struct dp_tcp_conn *c = dp_tcp_conn_of(s);
	uint32_t queued, len;
	struct rte_mbuf *m;

	if (chain == NULL || c->zombie || c->fin_pending || c->user_closed ||
	    (c->state != DP_TCP_ESTABLISHED && c->state != DP_TCP_CLOSE_WAIT))
		return -ENOTCONN;
	len = chain->pkt_len;
	queued = c->snd_end - c->snd_una;
	if (queued > 0 && queued + len > c->t->conf.snd_buf_bytes) {
		c->want_writable = true;
		return -EAGAIN;
	}
	/* Link the segments one by one onto the queue; each keeps its own data_len. */
	for (m = chain; m != NULL;) {
		struct rte_mbuf *n = m->next;

		m->next = NULL;
		if (m->data_len == 0) {
			m->nb_segs = 1;
			rte_pktmbuf_free_seg(m);
			m = n;
			continue;
		}
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		if (c->sq_tail != NULL)
			c->sq_tail->next = m;
		else
			c->sq_head = m;
		c->sq_tail = m;
		m = n;
	}
	c->snd_end += len;
	dp_tcp_out_push(c);
	return 0;
}

static uint32_t
dp_tcp_stream_send_space(const struct dp_stream *s)
{
	const struct dp_tcp_conn *c = (const struct dp_tcp_conn *)s;
	uint32_t queued = c->snd_end - c->snd_una;

	if (c->state != DP_TCP_ESTABLISHED && c->state != DP_TCP_CLOSE_WAIT)
		return 0;
	return queued >= c->t->conf.snd_buf_bytes ? 0 : c->t->conf.snd_buf_bytes - queued;
}

static int
dp_tcp_stream_shutdown_wr(struct dp_stream *s)
{
	struct dp_tcp_conn *c = dp_tcp_conn_of(s);

	/* RFC 9293 3.10.4 CLOSE: queue the FIN behind the data already queued. */
	if (c->zombie || c->fin_pending)
		return -ENOTCONN;
	if (c->state == DP_TCP_ESTABLISHED)
		c->state = DP_TCP_FIN_WAIT_1;
	else if (c->state == DP_TCP_CLOSE_WAIT)
		c->state = DP_TCP_LAST_ACK;
	else
		return -ENOTCONN;
	c->fin_pending = true;
	dp_tcp_out_push(c);
	return 0;
}

static void
dp_tcp_stream_close(struct dp_stream *s)
{
	struct dp_tcp_conn *c = dp_tcp_conn_of(s);

	if (c->zombie || c->user_closed)
		return;
	c->user_closed = true;
	c->ev &= (uint16_t) ~(DP_TCP_EV_DATA | DP_TCP_EV_PEER_FIN | DP_TCP_EV_WRITABLE);
	switch (c->state) {
	case DP_TCP_SYN_SENT:
	case DP_TCP_SYN_RCVD:
		dp_tcp_conn_finish(c, 0);
		return;
	case DP_TCP_ESTABLISHED:
	case DP_TCP_CLOSE_WAIT:
		(void)dp_tcp_stream_shutdown_wr(s);
		break;
	case DP_TCP_FIN_WAIT_2:
		/* Our FIN is already acknowledged: close is complete for the user. */
		c->close_notified = true;
		c->ev_err = 0;
		dp_tcp_ev_push(c, DP_TCP_EV_CLOSED);
		dp_tcp_timer_rearm(c);
		break;
	default:
		break;
	}
}

static void
dp_tcp_stream_abort(struct dp_stream *s)
{
	struct dp_tcp_conn *c = dp_tcp_conn_of(s);
	struct dp_tcp *t = c->t;

	if (c->zombie || (c->user && c->close_notified))
		return;
	/* RFC 9293 3.10.5 ABORT: send <SEQ=SND.NXT><CTL=RST> in synchronized states. */
	if (dp_tcp_synchronized(c->state) && c->state != DP_TCP_TIME_WAIT)
		(void)dp_tcp_send_ctl(t, c->s.local.ip, c->s.remote.ip, c->s.local.port,
				      c->s.remote.port, c->snd_nxt, c->rcv_nxt,
				      DP_TCP_RST | DP_TCP_ACK, 0, NULL, 0);
	c->user_closed = true;
	dp_tcp_conn_finish(c, -ECONNABORTED);
}

const struct dp_stream_ops dp_tcp_stream_ops = {
	.send = dp_tcp_stream_send,
	.send_space = dp_tcp_stream_send_space,
	.shutdown_wr = dp_tcp_stream_shutdown_wr,
	.close = dp_tcp_stream_close,
	.abort = dp_tcp_stream_abort,
	.rx_released = dp_tcp_rx_released,
};

void
dp_tcp_set_quickack(struct dp_stream *s, bool on)
{
	dp_tcp_conn_of(s)->quickack = on;
}

void
dp_tcp_get_info(const struct dp_stream *s, struct dp_tcp_info *info)
{
	const struct dp_tcp_conn *c = (const struct dp_tcp_conn *)s;

	memset(info, 0, sizeof(*info));
	info->state = (enum dp_tcp_state)c->state;
	info->iss = c->iss;
	info->irs = c->irs;
	info->snd_una = c->snd_una;
	info->snd_nxt = c->snd_nxt;
	info->snd_max = c->snd_max;
	info->snd_wnd = c->snd_wnd;
	info->rcv_nxt = c->rcv_nxt;
	info->rcv_wnd = c->rcv_adv - c->rcv_nxt;
	info->cwnd = c->cwnd;
	info->ssthresh = c->ssthresh;
	info->smss = c->smss;
	info->srtt_us = c->srtt_us;
	info->rttvar_us = c->rttvar_us;
	info->rto_us = c->rto_us;
	info->snd_wscale = c->snd_wscale;
	info->rcv_wscale = c->rcv_wscale;
	info->backoff = c->backoff;
	info->ts_ok = c->ts_ok;
	info->sack_ok = c->sack_ok;
	info->in_recovery = c->in_recovery;
	info->snd_queued_bytes = c->snd_end - c->snd_una;
	info->ooo_segs = c->ooo_segs;
}

/* ---- dp_stack ops ---- */

static int
dp_tcp_listen(struct dp_stack *st, const struct dp_addr4 *local, const struct dp_stream_cbs *cbs,
	      void *listen_ctx)
{
	struct dp_tcp *t = (struct dp_tcp *)st;
	struct dp_tcp_listener *free_l = NULL;
	uint32_t i;

	if (local == NULL || cbs == NULL || cbs->accept == NULL || local->port == 0)
		return -EINVAL;
	for (i = 0; i < t->conf.max_listeners; i++) {
		struct dp_tcp_listener *l = &t->listeners[i];

		if (l->used && l->port == local->port)
			return -EADDRINUSE;
		if (!l->used && free_l == NULL)
			free_l = l;
	}
	if (free_l == NULL)
		return -ENOMEM;
	memset(free_l, 0, sizeof(*free_l));
	free_l->used = true;
	free_l->ip = local->ip;
	free_l->port = local->port;
	free_l->cbs = cbs;
	free_l->ctx = listen_ctx;
	return 0;
}

/* Pick a local port for an active open: free in the table and, with RSS, steering the returning
 * tuple to this core (TCP.md 5.1). Starts from a rotating point in the ephemeral range (RFC 6056).
 */
static int
dp_tcp_pick_port(struct dp_tcp *t, uint32_t rip, uint16_t rport, uint16_t *out)
{
	uint32_t range = (uint32_t)t->conf.eph_hi - t->conf.eph_lo + 1;
	uint32_t i;

	for (i = 0; i < range; i++) {
		uint16_t p = t->eph_next;

		t->eph_next = p >= t->conf.eph_hi ? t->conf.eph_lo : (uint16_t)(p + 1);
		if (dp_tcp_listener_find(t, t->conf.local_ip, p) != NULL)
			continue;
		if (dp_tcp_conn_lookup(t, t->conf.local_ip, p, rip, rport) != NULL)
			continue;
		if (t->conf.lport_ok != NULL &&
		    !t->conf.lport_ok(t->conf.lport_arg, t->conf.local_ip, p, rip, rport))
			continue;
		*out = p;
		return 0;
	}
	return -EADDRNOTAVAIL;
}

static int
dp_tcp_connect(struct dp_stack *st, const struct dp_addr4 *remote, const struct dp_stream_cbs *cbs,
	       void *ctx, struct dp_stream **out)
{
	struct dp_tcp *t = (struct dp_tcp *)st;
	struct dp_tcp_conn *c;
	uint16_t lport;
	int rc;

	if (remote == NULL || cbs == NULL || out == NULL || remote->port == 0 || remote->ip == 0)
		return -EINVAL;
	rc = dp_tcp_pick_port(t, remote->ip, remote->port, &lport);
	if (rc < 0)
		return rc;
	c = dp_tcp_conn_alloc(t);
	if (c == NULL)
		return -ENOMEM;
	c->s.ops = &dp_tcp_stream_ops;
	c->s.cbs = cbs;
	c->s.ctx = ctx;
	c->s.local.ip = t->conf.local_ip;
	c->s.local.port = lport;
	c->s.remote = *remote;
	c->user = true;
	c->connecting = true;
	dp_tcp_conn_init_common(c);
	/* RFC 9293 3.10.1 OPEN (active): select ISS, send SYN, enter SYN-SENT. */
	c->iss = dp_tcp_isn(t, c->s.local.ip, lport, remote->ip, remote->port);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss;
	c->snd_max = c->iss;
	c->snd_end = c->iss + 1;
	c->state = DP_TCP_SYN_SENT;
	c->rcv_wscale = t->conf.wscale ? t->rcv_wscale : 0;
	c->rtt_start_us = t->now_us;
	dp_tcp_conn_hash_insert(t, c);
	DP_TCP_CNT(t, ACTIVE_OPENS);
	(void)dp_tcp_send_syn(c);
	dp_tcp_timer_rearm(c);
	*out = &c->s;
	return 0;
}

/* Free mbufs of the header pool, cheaply. rte_mempool_avail_count() walks the caches of all
 * RTE_MAX_LCORE lcores: once per loop it took half of a busy receiver's cycles (perf, 1-flow
 * memif bulk). For a ring-backed pool (the default ops) count the ring plus this lcore's cache;
 * other lcores' caches (at most 1.5 x cache size each) are left out, which only errs towards
 * closing windows a little early. */
static unsigned
dp_tcp_pool_free(const struct dp_tcp *t)
{
	struct rte_mempool *mp = t->conf.hdr_pool;
	struct rte_mempool_cache *cache;
	unsigned n;

	if (t->pool_ring == NULL)
		return rte_mempool_avail_count(mp);
	n = rte_ring_count(t->pool_ring);
	cache = rte_mempool_default_cache(mp, rte_lcore_id());
	if (cache != NULL)
		n += cache->len;
	return n;
}

/* Once per loop: are mbufs scarce? Then receive windows close (dp_tcp_rcv_space); when they
 * are back, every connection whose window had closed sends a window update at once instead of
 * waiting for the peer's zero-window probe. */
static void
dp_tcp_pool_check(struct dp_tcp *t)
{
	bool low = dp_tcp_pool_free(t) < t->pool_reserve;
	uint32_t i;

	if (low == t->pool_low)
		return;
	t->pool_low = low;
	if (low) {
		DP_TCP_CNT(t, POOL_LOW);
		return;
	}
	for (i = 0; i < t->conf.max_conns; i++) {
		struct dp_tcp_conn *c = &t->conns[i];

		if (c->in_use && !c->zombie && dp_tcp_synchronized(c->state) &&
		    c->state != DP_TCP_TIME_WAIT &&
		    dp_tcp_seq_lt(c->rcv_adv, c->rcv_nxt + t->conf.mss)) {
			c->ack_now = true;
			dp_tcp_out_push(c);
		}
	}
}

/* Deliver pending upcalls (stream.h: all upcalls run inside dp_stack_poll()). */
static unsigned
dp_tcp_poll(struct dp_stack *st, uint64_t now_us)
{
	struct dp_tcp *t = (struct dp_tcp *)st;
	unsigned work = 0;

	dp_tcp_set_now(t, now_us);
	dp_tcp_pool_check(t);
	while (t->ev_head != NULL) {
		struct dp_tcp_conn *c = t->ev_head;
		const struct dp_stream_cbs *cbs;

		t->ev_head = c->ev_next;
		if (t->ev_head == NULL)
			t->ev_tail = NULL;
		c->on_ev = false;
		work++;
		while (c->ev != 0) {
			cbs = c->s.cbs;
			if (c->ev & DP_TCP_EV_ACCEPT) {
				struct dp_tcp_listener *l = c->lst;

				c->ev &= (uint16_t)~DP_TCP_EV_ACCEPT;
				c->s.cbs = l != NULL ? l->cbs : NULL;
				c->s.ctx = (l != NULL && c->s.cbs != NULL)
						   ? c->s.cbs->accept(l->ctx, &c->s)
						   : NULL;
				c->lst = NULL;
				if (c->s.ctx == NULL) {
					/* Refused by the user: reset (stream.h accept()). */
					c->user = false;
					c->ev = 0;
					dp_tcp_stream_abort(&c->s);
					break;
				}
				continue;
			}
			if (c->ev & DP_TCP_EV_CONNECTED) {
				c->ev &= (uint16_t)~DP_TCP_EV_CONNECTED;
				c->connecting = false;
				if (cbs->connected != NULL)
					cbs->connected(c->s.ctx, &c->s, 0);
				continue;
			}
			if (c->ev & DP_TCP_EV_DATA) {
				struct rte_mbuf *chain = c->rq_head;

				c->ev &= (uint16_t)~DP_TCP_EV_DATA;
				c->rq_head = c->rq_tail = NULL;
				c->rq_bytes = 0;
				if (chain == NULL)
					continue;
				/* The window may have opened: let flush advertise it. */
				dp_tcp_out_push(c);
				if (c->user_closed || cbs->data == NULL) {
					rte_pktmbuf_free(chain);
				} else {
					if (c->s.rx_hold)
						c->s.rx_held += chain->pkt_len;
					cbs->data(c->s.ctx, &c->s, chain);
				}
				continue;
			}
			if (c->ev & DP_TCP_EV_PEER_FIN) {
				c->ev &= (uint16_t)~DP_TCP_EV_PEER_FIN;
				if (cbs->peer_closed != NULL && !c->user_closed)
					cbs->peer_closed(c->s.ctx, &c->s);
				continue;
			}
			if (c->ev & DP_TCP_EV_WRITABLE) {
				c->ev &= (uint16_t)~DP_TCP_EV_WRITABLE;
				if (cbs->writable != NULL && !c->user_closed)
					cbs->writable(c->s.ctx, &c->s);
				continue;
			}
			if (c->ev & DP_TCP_EV_CLOSED) {
				c->ev = 0;
				c->user = false;
				/* stream.h: a failed active open reports through connected() only.
				 */
				if (c->connecting && c->ev_err != 0) {
					if (cbs != NULL && cbs->connected != NULL)
						cbs->connected(c->s.ctx, &c->s, c->ev_err);
				} else if (cbs != NULL && cbs->closed != NULL) {
					cbs->closed(c->s.ctx, &c->s, c->ev_err);
				}
				break;
			}
		}
		if (c->zombie && !c->on_ev && !c->on_out)
			dp_tcp_conn_put(c);
	}
	return work;
}

/* Transmit phase: segment queued data and send the ACKs that are due (TCP.md 5.6 step 4). */
static void
dp_tcp_flush(struct dp_stack *st)
{
	struct dp_tcp *t = (struct dp_tcp *)st;
	struct dp_tcp_conn *list = t->out_head;

	/* Take this iteration's list: a connection whose segment found the TX queue full queues
	 * itself again, for the next iteration's flush. */
	t->out_head = t->out_tail = NULL;
	while (list != NULL) {
		struct dp_tcp_conn *c = list;

		list = c->out_next;
		c->on_out = false;
		if (c->zombie) {
			if (!c->on_ev)
				dp_tcp_conn_put(c);
			continue;
		}
		dp_tcp_output(c);
	}
}

static const struct dp_stack_ops dp_tcp_stack_ops = {
	.listen = dp_tcp_listen,
	.connect = dp_tcp_connect,
	.poll = dp_tcp_poll,
	.flush = dp_tcp_flush,
};

void
dp_tcp_fini(struct dp_tcp *t)
{
	uint32_t i;

	for (i = 0; i < t->conf.max_conns; i++) {
		struct dp_tcp_conn *c = &t->conns[i];

		if (!c->in_use)
			continue;
		if (!c->zombie) {
			if (c->user && !c->close_notified && c->s.cbs != NULL &&
			    !(c->ev & DP_TCP_EV_ACCEPT)) {
				c->close_notified = true;
				if (c->connecting && c->s.cbs->connected != NULL)
					c->s.cbs->connected(c->s.ctx, &c->s, -ESHUTDOWN);
				else if (!c->connecting && c->s.cbs->closed != NULL)
					c->s.cbs->closed(c->s.ctx, &c->s, -ESHUTDOWN);
			}
			c->on_ev = c->on_out = false;
			dp_tcp_conn_destroy(c);
		} else {
			/* Destroyed, its closed() upcall still queued: deliver it now. */
			if (c->user && (c->ev & DP_TCP_EV_CLOSED) && c->s.cbs != NULL) {
				if (c->connecting && c->ev_err != 0) {
					if (c->s.cbs->connected != NULL)
						c->s.cbs->connected(c->s.ctx, &c->s, c->ev_err);
				} else if (c->s.cbs->closed != NULL) {
					c->s.cbs->closed(c->s.ctx, &c->s, c->ev_err);
				}
			}
			c->on_ev = c->on_out = false;
			dp_tcp_conn_put(c);
		}
	}
	t->ev_head = t->ev_tail = t->out_head = t->out_tail = NULL;
	for (i = 0; i < t->conf.max_listeners; i++)
		t->listeners[i].used = false;
}
