/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP timers on the core's wheel (dp/timer.h). One slot per connection serves SYN retransmission,
 * RTO (RFC 6298), the tail loss probe (RFC 8985 7), persist (RFC 9293 3.8.6.1), keepalive (3.8.4),
 * orphaned FIN-WAIT-2 and TIME-WAIT,
 * since they are exclusive (TCP.md 5.3); the delayed ACK has its own. Also the RTT estimator.
 * Callbacks run from dp_timer_wheel_advance() in the runtime's timer phase and emit directly.
 */
#include <errno.h>

#include <rte_common.h>

#include "tcp_priv.h"

/* RFC 6298 2.2-2.3: SRTT/RTTVAR update, RTO = SRTT + max(G, 4*RTTVAR), clamped. */
void
dp_tcp_rtt_sample(struct dp_tcp_conn *c, uint32_t rtt_us)
{
	const struct dp_tcp_conf *cf = &c->t->conf;
	uint64_t rto;

	if (rtt_us == 0)
		rtt_us = 1;
	if (c->srtt_us == 0) {
		c->srtt_us = rtt_us;
		c->rttvar_us = rtt_us / 2;
	} else {
		uint32_t err = c->srtt_us > rtt_us ? c->srtt_us - rtt_us : rtt_us - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + err) / 4;
		c->srtt_us = (7 * c->srtt_us + rtt_us) / 8;
	}
	rto = (uint64_t)c->srtt_us + dp_tcp_umax(4ull * c->rttvar_us, 100ull);
	if (rto < cf->rto_min_us)
		rto = cf->rto_min_us;
	if (rto > cf->rto_max_us)
		rto = cf->rto_max_us;
	c->rto_us = (uint32_t)rto;
	c->backoff = 0; /* RFC 6298 5.7: a clean sample ends the backed-off period */
}

static uint64_t
dp_tcp_persist_us(const struct dp_tcp_conn *c)
{
	uint64_t v = (uint64_t)c->rto_us << c->persist_backoff;

	return dp_tcp_umin(v, (uint64_t)c->t->conf.rto_max_us);
}

static bool
dp_tcp_ka_on(const struct dp_tcp_conn *c)
{
	return c->t->conf.keepalive_idle_us > 0 &&
	       (c->state == DP_TCP_ESTABLISHED || c->state == DP_TCP_CLOSE_WAIT);
}

/* RFC 8985 7.2: a probe is due 2*SRTT after the last send or ACK, plus the peer's worst-case
 * delayed ACK when one segment is out, never later than the RTO. Only on SACK connections, with an
 * RTT sample, and one probe until SND.UNA advances. In recovery the probe resends the first hole
 * (a lost retransmission with nothing sent after it, which SACK cannot reveal). */
bool
dp_tcp_pto(const struct dp_tcp_conn *c, uint64_t *pto)
{
	const struct dp_tcp_conf *cf = &c->t->conf;
	uint64_t v;

	if (!cf->tlp || !c->sack_ok || c->tlp_out || c->srtt_us == 0 ||
	    c->backoff > 0 || !dp_tcp_synchronized(c->state) || c->state == DP_TCP_TIME_WAIT)
		return false;
	v = dp_tcp_umax(2ull * c->srtt_us, cf->tlp_min_us);
	if (dp_tcp_flight(c) <= c->smss)
		v += 200000; /* WCDelAckT */
	if (v >= c->rto_us)
		return false;
	*pto = v;
	return true;
}

/* Arm the shared slot for whatever the connection needs now. */
void
dp_tcp_timer_rearm(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;
	uint64_t at;

	switch (c->state) {
	case DP_TCP_TIME_WAIT:
		c->tmode = DP_TCP_TM_TIME_WAIT;
		at = t->now_us + t->conf.time_wait_us;
		break;
	case DP_TCP_SYN_SENT:
	case DP_TCP_SYN_RCVD:
		c->tmode = DP_TCP_TM_SYN;
		at = t->now_us + c->rto_us;
		break;
	default:
		if (c->snd_max != c->snd_una) {
			uint64_t pto;

			if (dp_tcp_pto(c, &pto)) {
				c->tmode = DP_TCP_TM_TLP;
				at = t->now_us + pto;
			} else {
				c->tmode = DP_TCP_TM_RTO;
				at = t->now_us + c->rto_us;
			}
		} else if (c->snd_end != c->snd_nxt && dp_tcp_synchronized(c->state)) {
			c->tmode = DP_TCP_TM_PERSIST;
			at = t->now_us + dp_tcp_persist_us(c);
		} else if (c->state == DP_TCP_FIN_WAIT_2 && c->user_closed) {
			c->tmode = DP_TCP_TM_FIN_WAIT_2;
			at = t->now_us + t->conf.fin_wait2_us;
		} else if (dp_tcp_ka_on(c)) {
			c->tmode = DP_TCP_TM_KEEPALIVE;
			at = c->ka_probes > 0 ? t->now_us + t->conf.keepalive_intvl_us
					      : c->last_rx_us + t->conf.keepalive_idle_us;
		} else {
			c->tmode = DP_TCP_TM_NONE;
			dp_timer_cancel(t->conf.wheel, &c->rtx_tmr);
			return;
		}
		break;
	}
	dp_timer_arm(t->conf.wheel, &c->rtx_tmr, at);
}

/* RFC 6298 5.4-5.7 and RFC 5681 3.1: retransmit the earliest unacknowledged segment, back off,
 * collapse cwnd to one segment. SACK state is discarded (RFC 2018 8: the receiver may renege). */
static void
dp_tcp_rto(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;
	uint32_t flight = dp_tcp_flight(c);

	if (++c->retries > t->conf.rto_retries) {
		DP_TCP_CNT(t, CONN_TIMEOUTS);
		(void)dp_tcp_send_ctl(t, c->s.local.ip, c->s.remote.ip, c->s.local.port,
				      c->s.remote.port, c->snd_nxt, c->rcv_nxt,
				      DP_TCP_RST | DP_TCP_ACK, 0, NULL, 0);
		dp_tcp_conn_finish(c, -ETIMEDOUT);
		return;
	}
	DP_TCP_CNT(t, REXMIT_RTO);
	if (c->backoff == 0) {
		/* Eifel (RFC 3522): remember what the retransmission's timestamp will be, and the
		 * state to restore if the next ACK shows the originals arrived (tcp_in.c). */
		c->eifel_on = c->ts_ok;
		c->eifel_tsval = dp_tcp_tsval(c);
		c->prior_cwnd = c->cwnd;
		c->prior_ssthresh = c->ssthresh;
		/* RFC 5681 3.1 eq. 4: only on the first timeout */
		c->ssthresh = dp_tcp_umax(flight / 2, 2u * c->smss);
	}
	c->cwnd = c->smss;
	c->in_recovery = false;
	c->dupacks = 0;
	c->recover = c->snd_max;
	c->sb_n = 0;
	c->sacked_bytes = 0;
	c->high_rxt = c->snd_una;
	c->rxt_fence_on = false;
	c->tlp_out = false;
	c->rtt_timing = false; /* Karn */
	c->lt_extra = 0;
	c->rto_us = (uint32_t)dp_tcp_umin((uint64_t)c->rto_us * 2, (uint64_t)t->conf.rto_max_us);
	if (c->backoff < 30)
		c->backoff++;
	c->snd_nxt = c->snd_una; /* go back: resend from the first unacknowledged byte */
	c->tmode = DP_TCP_TM_NONE;
	dp_tcp_output(c);
	dp_tcp_timer_rearm(c);
}

void
dp_tcp_rtx_fire(struct dp_timer *tm, void *arg)
{
	struct dp_tcp_conn *c = arg;
	struct dp_tcp *t = c->t;

	(void)tm;
	if (!c->in_use || c->zombie)
		return;
	switch (c->tmode) {
	case DP_TCP_TM_TIME_WAIT:
		dp_tcp_conn_destroy(c);
		return;
	case DP_TCP_TM_FIN_WAIT_2:
		dp_tcp_conn_finish(c, 0);
		return;
	case DP_TCP_TM_SYN:
		/* RFC 6298 5.7 / RFC 9293: resend SYN or SYN-ACK with backoff, then give up. */
		if (++c->retries >
		    (c->state == DP_TCP_SYN_SENT ? t->conf.syn_retries : t->conf.synack_retries)) {
			DP_TCP_CNT(t, CONN_TIMEOUTS);
			dp_tcp_conn_finish(c, -ETIMEDOUT);
			return;
		}
		if (c->state == DP_TCP_SYN_SENT)
			DP_TCP_CNT(t, REXMIT_SYN);
		else
			DP_TCP_CNT(t, REXMIT_SYNACK);
		c->syn_rexmitted = true;
		c->rto_us = (uint32_t)dp_tcp_umin((uint64_t)c->rto_us * 2,
						  (uint64_t)t->conf.rto_max_us);
		if (c->backoff < 30)
			c->backoff++;
		(void)dp_tcp_send_syn(c);
		dp_tcp_timer_rearm(c);
		return;
	case DP_TCP_TM_RTO:
		if (c->snd_max == c->snd_una) {
			dp_tcp_timer_rearm(c);
			return;
		}
		dp_tcp_rto(c);
		return;
	case DP_TCP_TM_TLP:
		if (c->snd_max != c->snd_una)
			dp_tcp_tlp_send(c);
		c->tmode = DP_TCP_TM_NONE;
		dp_tcp_timer_rearm(c); /* the RTO now: tlp_out is set */
		return;
	case DP_TCP_TM_PERSIST:
		/* RFC 9293 3.8.6.1: probe the zero window, backing off; never give up while the
		 * probes are answered (MUST-37). */
		if (c->snd_wnd == 0 && c->snd_end != c->snd_nxt) {
			DP_TCP_CNT(t, PERSIST_PROBES);
			dp_tcp_send_probe(c);
			if (c->persist_backoff < 20)
				c->persist_backoff++;
		} else {
			dp_tcp_output(c);
		}
		dp_tcp_timer_rearm(c);
		return;
	case DP_TCP_TM_KEEPALIVE:
		if (!dp_tcp_ka_on(c)) {
			dp_tcp_timer_rearm(c);
			return;
		}
		if (c->ka_probes == 0 && t->now_us < c->last_rx_us + t->conf.keepalive_idle_us) {
			dp_tcp_timer_rearm(c); /* lazy re-arm: traffic since */
			return;
		}
		if (c->ka_probes >= t->conf.keepalive_probes) {
			DP_TCP_CNT(t, CONN_TIMEOUTS);
			(void)dp_tcp_send_ctl(t, c->s.local.ip, c->s.remote.ip, c->s.local.port,
					      c->s.remote.port, c->snd_nxt, c->rcv_nxt,
					      DP_TCP_RST | DP_TCP_ACK, 0, NULL, 0);
			dp_tcp_conn_finish(c, -ETIMEDOUT);
			return;
		}
		DP_TCP_CNT(t, KEEPALIVE_PROBES);
		c->ka_probes++;
		dp_tcp_send_probe(c);
		dp_tcp_timer_rearm(c);
		return;
	default:
		return;
	}
}

/* RFC 9293 3.8.6.3: the delayed ACK is due. */
void
dp_tcp_delack_fire(struct dp_timer *tm, void *arg)
{
	struct dp_tcp_conn *c = arg;

	(void)tm;
	if (!c->in_use || c->zombie || !dp_tcp_synchronized(c->state))
		return;
	DP_TCP_CNT(c->t, DELACK_FIRED);
	dp_tcp_send_ack(c);
}
