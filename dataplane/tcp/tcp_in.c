/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP input, called by the IPv4 layer per segment (dp_tcp_input(), dp/ip4.h). Parses the header
 * and options once, finds the connection (flow table, then listener, else RST), and runs the RFC
 * 9293 3.10.7 segment-arrival rules in RFC order: LISTEN (with SYN cookies when the SYN queue is
 * full), SYN-SENT, and the synchronized states (PAWS, sequence check, RST and SYN with RFC 5961
 * challenge ACKs, ACK processing with RTT, congestion control, NewReno/SACK recovery, window
 * update, text and FIN), plus TIME-WAIT. In-order payload is queued as the original mbufs for the
 * data() upcall; out-of-order segments wait in a bounded sorted queue. Replies are only marked here
 * (ACK due) and sent by the flush phase, so a burst is acknowledged once (RFC 9293 MUST-58/59).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "tcp_priv.h"

/* ---- parsing ---- */

static inline uint32_t
dp_tcp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Options (RFC 9293 3.2; TCP.md 1.5): kinds 0 and 1 have no length; a bad length stops parsing
 * (Linux); unknown kinds are skipped; SYN-only options are ignored elsewhere. */
static void
dp_tcp_parse_opts(const uint8_t *o, unsigned n, struct dp_tcp_seg *seg)
{
	unsigned i = 0;
	bool syn = seg->flags & DP_TCP_SYN;

	while (i < n) {
		uint8_t kind = o[i], len;

		if (kind == DP_TCP_OPT_EOL)
			break;
		if (kind == DP_TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			break;
		len = o[i + 1];
		if (len < 2 || i + len > n)
			break;
		switch (kind) {
		case DP_TCP_OPT_MSS:
			if (len == DP_TCP_OLEN_MSS && syn) {
				seg->has_mss = true;
				seg->mss = (uint16_t)(o[i + 2] << 8 | o[i + 3]);
			}
			break;
		case DP_TCP_OPT_WS:
			if (len == DP_TCP_OLEN_WS && syn) {
				seg->has_ws = true;
				seg->ws = dp_tcp_umin(o[i + 2], (uint8_t)DP_TCP_MAX_WSCALE);
			}
			break;
		case DP_TCP_OPT_SACKOK:
			if (len == DP_TCP_OLEN_SACKOK && syn)
				seg->has_sackok = true;
			break;
		case DP_TCP_OPT_TS:
			if (len == DP_TCP_OLEN_TS) {
				seg->has_ts = true;
				seg->tsval = dp_tcp_get32(o + i + 2);
				seg->tsecr = dp_tcp_get32(o + i + 6);
			}
			break;
		case DP_TCP_OPT_SACK:
			if (len >= 10 && (len - 2) % 8 == 0) {
				unsigned b, nb = dp_tcp_umin((unsigned)(len - 2) / 8, 4u);

				for (b = 0; b < nb; b++) {
					seg->sack[b][0] = dp_tcp_get32(o + i + 2 + 8 * b);
					seg->sack[b][1] = dp_tcp_get32(o + i + 6 + 8 * b);
				}
				seg->nsack = (uint8_t)nb;
			}
			break;
		default:
			break;
		}
		i += len;
	}
}

int
dp_tcp_parse(struct rte_mbuf *m, struct dp_tcp_seg *seg)
{
	const struct dp_tcp_hdr *th;
	unsigned hlen;

	memset(seg, 0, sizeof(*seg));
	if (m->data_len < DP_TCP_HDR_LEN)
		return -EINVAL;
	th = rte_pktmbuf_mtod(m, const struct dp_tcp_hdr *);
	hlen = dp_tcp_hdr_len(th);
	if (hlen < DP_TCP_HDR_LEN || hlen > m->data_len)
		return -EBADMSG;
	seg->seq = rte_be_to_cpu_32(th->seq_be);
	seg->ack = rte_be_to_cpu_32(th->ack_be);
	seg->wnd = rte_be_to_cpu_16(th->win_be);
	seg->flags = th->flags;
	seg->hdr_len = (uint16_t)hlen;
	seg->len = m->pkt_len - hlen;
	if (hlen > DP_TCP_HDR_LEN)
		dp_tcp_parse_opts((const uint8_t *)(th + 1), hlen - DP_TCP_HDR_LEN, seg);
	return 0;
}

/* ---- mbuf helpers (payload chains; data starts at payload) ---- */

/* Cut @p n bytes off the front of chain @p m; returns the new head (NULL if nothing is left). */
static struct rte_mbuf *
dp_tcp_m_cut_front(struct rte_mbuf *m, uint32_t n)
{
	uint32_t total = m->pkt_len;
	uint16_t segs = m->nb_segs;

	if (n >= total) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	while (n >= m->data_len) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		total -= m->data_len;
		segs--;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	m->pkt_len = total - n;
	m->nb_segs = segs;
	return m;
}

/* Keep only the first @p keep bytes of chain @p m (keep > 0). */
static void
dp_tcp_m_keep(struct rte_mbuf *m, uint32_t keep)
{
	struct rte_mbuf *s = m;
	uint32_t left = keep;
	uint16_t segs = 1;

	if (keep >= m->pkt_len)
		return;
	while (left > s->data_len) {
		left -= s->data_len;
		s = s->next;
		segs++;
	}
	s->data_len = (uint16_t)left;
	if (s->next != NULL) {
		rte_pktmbuf_free(s->next);
		s->next = NULL;
	}
	m->pkt_len = keep;
	m->nb_segs = segs;
}

static void
dp_tcp_rq_append(struct dp_tcp_conn *c, struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len;
	uint16_t segs = m->nb_segs;

	if (c->rq_head == NULL) {
		c->rq_head = m;
	} else {
		c->rq_tail->next = m;
		c->rq_head->nb_segs = (uint16_t)(c->rq_head->nb_segs + segs);
		c->rq_head->pkt_len += len;
	}
	c->rq_tail = rte_pktmbuf_lastseg(m);
	c->rq_bytes += len;
	c->rcv_nxt += len;
	c->t->cnt[DP_TCP_CNT_IN_DATA_BYTES] += len;
}

/* ---- shared small steps ---- */

static void
dp_tcp_ack_now(struct dp_tcp_conn *c)
{
	c->ack_now = true;
	dp_tcp_out_push(c);
}

/* RFC 5961 3.2, 4.2, 5.2: challenge ACK, rate-limited per connection (TCP.md 3.4). */
static void
dp_tcp_challenge_ack(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;

	if (t->now_us - c->chack_start_us >= 1000000) {
		c->chack_start_us = t->now_us;
		c->chack_count = 0;
	}
	if (c->chack_count >= t->conf.chack_per_sec) {
		DP_TCP_CNT(t, CHALLENGE_ACKS_LIMITED);
		return;
	}
	c->chack_count++;
	DP_TCP_CNT(t, CHALLENGE_ACKS);
	dp_tcp_ack_now(c);
}

/* RFC 9293 3.7.1 / RFC 6691: Eff.snd.MSS = min(peer MSS, our MTU - 40) - TCP options. */
static void
dp_tcp_set_smss(struct dp_tcp_conn *c)
{
	uint32_t mss = dp_tcp_umin((uint32_t)c->peer_mss, (uint32_t)c->t->conf.mss);

	if (c->ts_ok)
		mss -= 12;
	if (mss < DP_TCP_MIN_SMSS)
		mss = DP_TCP_MIN_SMSS;
	c->smss = (uint16_t)mss;
}

/* RFC 5681 3.1 and RFC 6928: IW = min(10*SMSS, max(2*SMSS, 14600)); one segment if the SYN or
 * SYN-ACK was retransmitted. RFC 6298 5.7: RTO back to 3 s after a SYN timeout without sample. */
static void
dp_tcp_established_init(struct dp_tcp_conn *c)
{
	uint32_t iw = dp_tcp_umin(10u * c->smss, dp_tcp_umax(2u * c->smss, 14600u));

	c->cwnd = c->syn_rexmitted ? c->smss : iw;
	if (!c->syn_rexmitted && c->rtt_start_us != 0)
		dp_tcp_rtt_sample(c, (uint32_t)(c->t->now_us - c->rtt_start_us));
	else if (c->srtt_us == 0)
		c->rto_us = (uint32_t)dp_tcp_umax(3000000u, c->t->conf.rto_min_us);
	c->backoff = 0;
	c->retries = 0;
	c->recover = c->snd_una;
	c->tmode = DP_TCP_TM_NONE;
	dp_timer_cancel(c->t->conf.wheel, &c->rtx_tmr);
	dp_tcp_timer_rearm(c);
}

/* Negotiated options from a SYN (RFC 7323 2.2, 3.2; RFC 2018 2; RFC 9293 3.7.1). */
static void
dp_tcp_syn_options(struct dp_tcp_conn *c, const struct dp_tcp_seg *seg)
{
	const struct dp_tcp_conf *cf = &c->t->conf;

	c->peer_mss = seg->has_mss ? dp_tcp_umax(seg->mss, (uint16_t)DP_TCP_MIN_SMSS + 12) : 536;
	c->ws_ok = seg->has_ws && cf->wscale;
	c->snd_wscale = c->ws_ok ? seg->ws : 0;
	c->rcv_wscale = c->ws_ok ? c->t->rcv_wscale : 0;
	c->sack_ok = seg->has_sackok && cf->sack;
	c->ts_ok = seg->has_ts && cf->timestamps;
	if (c->ts_ok) {
		c->ts_recent = seg->tsval;
		c->ts_recent_us = c->t->now_us;
	}
	dp_tcp_set_smss(c);
}

/* ---- out-of-order queue (TCP.md pitfall 8: bounded, highest dropped first) ---- */

static void
dp_tcp_sack_hist_note(struct dp_tcp_conn *c, uint32_t seq)
{
	unsigned n = dp_tcp_umin((unsigned)c->sack_hist_n, DP_TCP_SACK_HIST - 1u);

	memmove(&c->sack_hist[1], &c->sack_hist[0], n * sizeof(c->sack_hist[0]));
	c->sack_hist[0] = seq;
	c->sack_hist_n = (uint8_t)(n + 1);
}

static void
dp_tcp_ooo_insert(struct dp_tcp_conn *c, struct rte_mbuf *m, uint32_t seq)
{
	struct dp_tcp *t = c->t;
	struct rte_mbuf **pp = &c->ooo_head, *prev = NULL, *n;
	uint32_t len = m->pkt_len;

	/* The queue links segments through ->next, so it holds single-segment mbufs only
	 * (what 2 KB-mbuf ports deliver at MTU 1500); a chained one is dropped and resent. */
	if (m->nb_segs > 1) {
		DP_TCP_CNT(t, DROP_OOO_FULL);
		rte_pktmbuf_free(m);
		return;
	}

	/* Find the first queued segment starting after seq. */
	while (*pp != NULL && dp_tcp_seq_leq((*pp)->hash.usr, seq)) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	/* Trim against the predecessor. */
	if (prev != NULL && dp_tcp_seq_gt(prev->hash.usr + prev->pkt_len, seq)) {
		uint32_t d = prev->hash.usr + prev->pkt_len - seq;

		if (d >= len) {
			DP_TCP_CNT(t, DROP_DUP_DATA);
			rte_pktmbuf_free(m);
			dp_tcp_sack_hist_note(c, seq);
			return;
		}
		m = dp_tcp_m_cut_front(m, d);
		seq += d;
		len -= d;
	}
	/* Remove successors it covers fully, trim against a partial one. */
	while ((n = *pp) != NULL && dp_tcp_seq_geq(seq + len, n->hash.usr + n->pkt_len)) {
		*pp = n->next;
		n->next = NULL;
		c->ooo_bytes -= n->pkt_len;
		c->ooo_segs--;
		rte_pktmbuf_free(n);
	}
	if (n != NULL && dp_tcp_seq_gt(seq + len, n->hash.usr)) {
		len = n->hash.usr - seq;
		dp_tcp_m_keep(m, len);
	}
	/* Bound: when full, the highest range goes (the newcomer if it is the highest). */
	if (c->ooo_segs >= t->conf.ooo_max_segs) {
		struct rte_mbuf **lp = &c->ooo_head, *last;

		if (*pp == NULL) {
			DP_TCP_CNT(t, DROP_OOO_FULL);
			rte_pktmbuf_free(m);
			return;
		}
		while ((*lp)->next != NULL)
			lp = &(*lp)->next;
		last = *lp;
		*lp = NULL;
		c->ooo_bytes -= last->pkt_len;
		c->ooo_segs--;
		if (c->ooo_fin && dp_tcp_seq_geq(last->hash.usr + last->pkt_len, c->ooo_fin_seq))
			c->ooo_fin = false;
		rte_pktmbuf_free(last);
		DP_TCP_CNT(t, DROP_OOO_FULL);
		if (pp == &last->next)
			pp = lp;
	}
	m->hash.usr = seq;
	m->next = *pp;
	*pp = m;
	c->ooo_bytes += len;
	c->ooo_segs++;
	DP_TCP_CNT(t, OOO_QUEUED);
	dp_tcp_sack_hist_note(c, seq);
}

/* Move segments that became in-order to the receive queue. Returns true if any moved. */
static bool
dp_tcp_ooo_pull(struct dp_tcp_conn *c)
{
	bool moved = false;

	while (c->ooo_head != NULL && dp_tcp_seq_leq(c->ooo_head->hash.usr, c->rcv_nxt)) {
		struct rte_mbuf *m = c->ooo_head;
		uint32_t seq = m->hash.usr;

		c->ooo_head = m->next;
		m->next = NULL;
		c->ooo_segs--;
		c->ooo_bytes -= m->pkt_len;
		if (dp_tcp_seq_leq(seq + m->pkt_len, c->rcv_nxt)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (seq != c->rcv_nxt)
			m = dp_tcp_m_cut_front(m, c->rcv_nxt - seq);
		dp_tcp_rq_append(c, m);
		moved = true;
	}
	return moved;
}

/* ---- step 8: FIN (RFC 9293 3.10.7.4 eighth) ---- */

static void
dp_tcp_rcv_fin(struct dp_tcp_conn *c)
{
	c->rcv_nxt++;
	c->rcv_fin = true;
	if (c->user && !c->user_closed)
		dp_tcp_ev_push(c, DP_TCP_EV_PEER_FIN);
	switch (c->state) {
	case DP_TCP_SYN_RCVD:
	case DP_TCP_ESTABLISHED:
		c->state = DP_TCP_CLOSE_WAIT;
		break;
	case DP_TCP_FIN_WAIT_1:
		/* Our FIN not yet acknowledged (else we'd be in FIN-WAIT-2): simultaneous close. */
		c->state = DP_TCP_CLOSING;
		break;
	case DP_TCP_FIN_WAIT_2:
		dp_tcp_enter_time_wait(c);
		break;
	default:
		break;
	}
	dp_tcp_ack_now(c);
}

/* ---- step 7: segment text (RFC 9293 3.10.7.4 seventh) ---- */

static void
dp_tcp_rcv_text(struct dp_tcp_conn *c, const struct dp_tcp_seg *seg, struct rte_mbuf *m)
{
	struct dp_tcp *t = c->t;
	uint32_t seq = seg->seq, len = seg->len, edge;
	bool fin = seg->flags & DP_TCP_FIN;
	bool had_ooo = c->ooo_head != NULL;

	if (c->state != DP_TCP_ESTABLISHED && c->state != DP_TCP_FIN_WAIT_1 &&
	    c->state != DP_TCP_FIN_WAIT_2) {
		/* CLOSE-WAIT and later: the peer's FIN came already; ignore text. */
		if (m != NULL)
			rte_pktmbuf_free(m);
		if (len > 0 || fin)
			dp_tcp_ack_now(c);
		return;
	}
	/* Trim what we already have (a SYN, if any, was stripped before). */
	if (dp_tcp_seq_lt(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;

		if (d >= len) {
			if (m != NULL)
				rte_pktmbuf_free(m);
			m = NULL;
			if (len > 0)
				DP_TCP_CNT(t, DROP_DUP_DATA);
			if (d > len)
				fin = false; /* an old FIN already consumed */
			len = 0;
			seq = c->rcv_nxt;
			if (!fin) {
				dp_tcp_ack_now(c); /* duplicate: tell the peer where we are */
				return;
			}
		} else {
			m = dp_tcp_m_cut_front(m, d);
			seq += d;
			len -= d;
		}
	}
	/* Trim what lies beyond the window we offered (with it any FIN). */
	edge = dp_tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv : c->rcv_nxt;
	if (dp_tcp_seq_gt(seq + len, edge)) {
		uint32_t keep = dp_tcp_seq_gt(edge, seq) ? edge - seq : 0;

		fin = false;
		if (keep == 0) {
			/* All of it beyond the window (a zero window: see dp_tcp_seq_acceptable):
			 * its ACK was processed; tell the peer the window. */
			if (m != NULL)
				rte_pktmbuf_free(m);
			DP_TCP_CNT(t, DROP_SEQ_OUT_OF_WINDOW);
			dp_tcp_ack_now(c);
			return;
		} else {
			dp_tcp_m_keep(m, keep);
			len = keep;
		}
	}
	if (len == 0 && m != NULL) {
		rte_pktmbuf_free(m);
		m = NULL;
	}
	if (len > 0 && c->user_closed) {
		/* Nobody will read it: acknowledge and discard. */
		DP_TCP_CNT(t, DROP_DATA_AFTER_CLOSE);
		if (seq == c->rcv_nxt) {
			c->rcv_nxt += len;
			rte_pktmbuf_free(m);
			m = NULL;
			len = 0;
		}
	}
	if (seq != c->rcv_nxt) {
		/* Out of order: queue it and ACK at once with SACK (RFC 5681 4.2, RFC 2018 4). */
		if (m != NULL)
			dp_tcp_ooo_insert(c, m, seq);
		if (fin) {
			c->ooo_fin = true;
			c->ooo_fin_seq = seq + len;
		}
		/* One duplicate ACK per out-of-order segment, not one per burst: the sender
		 * counts them (RFC 5681 4.2 "immediately", 3.2 DupThresh). */
		dp_tcp_send_ack(c);
		return;
	}
	if (m != NULL) {
		if (c->rq_head != NULL && c->rq_head->nb_segs > 60000) {
			rte_pktmbuf_free(m); /* receive chain full of tiny segments: let it retry */
			DP_TCP_CNT(t, DROP_OOO_FULL);
			dp_tcp_ack_now(c);
			return;
		}
		dp_tcp_rq_append(c, m);
	}
	if (had_ooo)
		(void)dp_tcp_ooo_pull(c);
	if (c->ooo_fin && c->rcv_nxt == c->ooo_fin_seq && c->ooo_head == NULL) {
		c->ooo_fin = false;
		fin = true;
	}
	if (c->rq_head != NULL && c->user && !c->user_closed)
		dp_tcp_ev_push(c, DP_TCP_EV_DATA);
	if (fin) {
		dp_tcp_rcv_fin(c);
		return;
	}
	/* Delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2): at once when a gap was filled, in quick-ACK
	 * mode, or on every second segment; otherwise within delack_us. */
	if (len == 0)
		return;
	if (had_ooo || c->quickack || c->quick_left > 0) {
		if (c->quick_left > 0)
			c->quick_left--;
		dp_tcp_ack_now(c);
		return;
	}
	if (++c->ack_segs >= 2) {
		dp_tcp_ack_now(c);
		return;
	}
	if (!dp_timer_pending(&c->delack_tmr))
		dp_timer_arm(t->conf.wheel, &c->delack_tmr, t->now_us + t->conf.delack_us);
}

/* ---- step 5: ACK (RFC 9293 3.10.7.4 fifth, RFC 5681, 6582, 6675, 6298) ---- */

static void
dp_tcp_sb_recount(struct dp_tcp_conn *c)
{
	unsigned i;

	c->sacked_bytes = 0;
	for (i = 0; i < c->sb_n; i++)
		c->sacked_bytes += c->sb[i][1] - c->sb[i][0];
}

/* Merge the SACK blocks of @p seg into the scoreboard (RFC 2018, 6675). Blocks outside
 * (SND.UNA, SND.MAX] are ignored; the board is sorted, merged and bounded. */
static void
dp_tcp_sb_update(struct dp_tcp_conn *c, const struct dp_tcp_seg *seg)
{
	unsigned b, i;

	for (b = 0; b < seg->nsack; b++) {
		uint32_t l = seg->sack[b][0], r = seg->sack[b][1];

		if (!dp_tcp_seq_lt(l, r) || dp_tcp_seq_leq(r, c->snd_una) ||
		    dp_tcp_seq_gt(r, c->snd_max))
			continue;
		c->t->cnt[DP_TCP_CNT_SACK_BLOCKS_IN]++;
		l = dp_tcp_seq_max(l, c->snd_una);
		/* insert sorted */
		for (i = 0; i < c->sb_n && dp_tcp_seq_lt(c->sb[i][0], l); i++)
			;
		if (c->sb_n == DP_TCP_SB_MAX) {
			if (i == DP_TCP_SB_MAX)
				continue; /* highest: dropped (bounded board) */
			c->sb_n--;
		}
		memmove(&c->sb[i + 1], &c->sb[i], (c->sb_n - i) * sizeof(c->sb[0]));
		c->sb[i][0] = l;
		c->sb[i][1] = r;
		c->sb_n++;
		/* merge neighbours */
		for (i = 0; i + 1 < c->sb_n;) {
			if (dp_tcp_seq_geq(c->sb[i][1], c->sb[i + 1][0])) {
				c->sb[i][1] = dp_tcp_seq_max(c->sb[i][1], c->sb[i + 1][1]);
				memmove(&c->sb[i + 1], &c->sb[i + 2],
					(c->sb_n - i - 2) * sizeof(c->sb[0]));
				c->sb_n--;
			} else {
				i++;
			}
		}
	}
	dp_tcp_sb_recount(c);
}

static void
dp_tcp_sb_trim(struct dp_tcp_conn *c)
{
	unsigned i = 0;

	while (i < c->sb_n && dp_tcp_seq_leq(c->sb[i][1], c->snd_una))
		i++;
	if (i > 0) {
		memmove(&c->sb[0], &c->sb[i], (c->sb_n - i) * sizeof(c->sb[0]));
		c->sb_n = (uint8_t)(c->sb_n - i);
	}
	if (c->sb_n > 0 && dp_tcp_seq_lt(c->sb[0][0], c->snd_una))
		c->sb[0][0] = c->snd_una;
	dp_tcp_sb_recount(c);
}

static void
dp_tcp_enter_recovery(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;

	/* RFC 5681 3.2 steps 2-4, RFC 6582 3.2, RFC 6675 5. */
	DP_TCP_CNT(t, RECOVERY_ENTERED);
	DP_TCP_CNT(t, REXMIT_FAST);
	c->ssthresh = dp_tcp_umax(dp_tcp_flight(c) / 2, 2u * c->smss);
	c->recover = c->snd_max;
	c->in_recovery = true;
	c->high_rxt = c->snd_una;
	c->rxt_fence_on = false;
	c->tlp_out = false;
	c->need_rexmit = true;
	c->rtt_timing = false;
	c->lt_extra = 0;
	c->cwnd = c->sack_ok ? c->ssthresh : c->ssthresh + 3u * c->smss;
	dp_tcp_timer_rearm(c);
	dp_tcp_out_push(c);
}

/* Returns false if the connection is gone (LAST-ACK completed). */
static bool
dp_tcp_rcv_ack(struct dp_tcp_conn *c, const struct dp_tcp_seg *seg)
{
	struct dp_tcp *t = c->t;
	uint32_t ack = seg->ack;
	uint32_t wnd = seg->wnd << c->snd_wscale;
	uint32_t sacked_before = c->sacked_bytes;
	uint32_t una = dp_tcp_seq_gt(ack, c->snd_una) ? ack : c->snd_una; /* after this ACK */
	bool sack_new;

	if (c->sack_ok && seg->nsack > 0)
		dp_tcp_sb_update(c, seg);
	sack_new = c->sacked_bytes > sacked_before;
	/* Lost retransmission: data first sent after the last hole retransmission was SACKed, so
	 * every retransmission before it that is still a hole was lost too (no reordering assumed,
	 * as in fast retransmit itself). Walk the holes again from SND.UNA as this ACK leaves it: a
	 * retransmission it covers arrived. */
	if (c->in_recovery && c->rxt_fence_on && c->sb_n > 0 &&
	    dp_tcp_seq_gt(c->sb[c->sb_n - 1][1], c->rxt_fence) && dp_tcp_seq_gt(c->high_rxt, una) &&
	    !dp_tcp_sb_contains(c, una, &(uint32_t){0})) {
		DP_TCP_CNT(t, REXMIT_LOST);
		c->rxt_fence_on = false;
		c->high_rxt = una;
		dp_tcp_out_push(c);
	}

	if (dp_tcp_seq_gt(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;
		uint32_t data_acked = dp_tcp_seq_min(ack, c->snd_end) - c->snd_una;
		bool fin_acked = c->fin_pending && dp_tcp_seq_gt(ack, c->snd_end);

		/* RTT (RFC 6298 3, RFC 7323 4): a timed segment, or TSecr when timestamps are on
		 * (valid across retransmissions). Karn: no sample from retransmitted data. */
		if (c->rtt_timing && dp_tcp_seq_geq(ack, c->rtt_seq)) {
			c->rtt_timing = false;
			dp_tcp_rtt_sample(c, (uint32_t)(t->now_us - c->rtt_start_us));
		} else if (c->ts_ok && seg->has_ts && seg->tsecr != 0) {
			uint32_t d = dp_tcp_tsval(c) - seg->tsecr;

			/* TSecr has 1 ms ticks: used only where Karn leaves no timed sample,
			 * i.e. after a retransmission, so the backed-off RTO can recover. */
			if (d < 0x7fffffffu / DP_TCP_TS_HZ_DIV && c->backoff > 0)
				dp_tcp_rtt_sample(c, d * DP_TCP_TS_HZ_DIV + DP_TCP_TS_HZ_DIV / 2);
		}
		/* Eifel detection (RFC 3522): the first ACK after a timeout echoes a timestamp older
		 * than the retransmission's, so it acknowledges the original segments, which were
		 * only late: undo the collapse (as Linux's undo; RFC 4015) and go on from SND.MAX
		 * instead of resending what arrived. The RTT sample above already grew the RTO. */
		if (c->eifel_on) {
			c->eifel_on = false;
			if (seg->has_ts && seg->tsecr != 0 &&
			    dp_tcp_seq_lt(seg->tsecr, c->eifel_tsval)) {
				DP_TCP_CNT(t, SPURIOUS_RTO);
				c->cwnd = dp_tcp_umax(c->cwnd, c->prior_cwnd);
				c->ssthresh = dp_tcp_umax(c->ssthresh, c->prior_ssthresh);
				c->snd_nxt = c->snd_max;
				c->in_recovery = false;
			}
		}
		/* Congestion control. */
		if (c->in_recovery) {
			if (dp_tcp_seq_geq(ack, c->recover)) {
				/* RFC 6582 3.2 step 3 full ACK: deflate, leave recovery. */
				c->cwnd = dp_tcp_umin(
					c->ssthresh,
					dp_tcp_umax(c->snd_max - ack, (uint32_t)c->smss) + c->smss);
				c->in_recovery = false;
				c->dupacks = 0;
			} else {
				/* Partial ACK: retransmit the next hole, deflate by the amount
				 * acknowledged, add back one SMSS (RFC 6582 3.2 step 3). */
				DP_TCP_CNT(t, REXMIT_PARTIAL);
				c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->smss;
				if (acked >= c->smss)
					c->cwnd += c->smss;
				/* With SACK, only a hole not yet resent in this recovery. */
				if (!c->sack_ok || (dp_tcp_seq_geq(ack, c->high_rxt) &&
						    !dp_tcp_sb_contains(c, ack, &(uint32_t){0})))
					c->need_rexmit = true;
			}
		} else {
			c->dupacks = 0;
			if (c->cwnd < c->ssthresh)
				c->cwnd += dp_tcp_umin(acked, (uint32_t)c->smss); /* slow start */
			else
				c->cwnd += dp_tcp_umax(1u, (uint32_t)c->smss * c->smss / c->cwnd);
		}
		c->lt_extra = 0;
		c->tlp_out = false;
		c->snd_una = ack;
		if (dp_tcp_seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		if (data_acked > 0 && data_acked <= acked)
			dp_tcp_sq_free_acked(c, data_acked);
		dp_tcp_sb_trim(c);
		if (c->in_recovery && c->sack_ok)
			c->high_rxt = dp_tcp_seq_max(c->high_rxt, c->snd_una);
		c->retries = 0;
		c->persist_backoff = 0;
		/* RFC 6298 5.2/5.3: stop the timer when all is acknowledged, else restart it. */
		dp_tcp_timer_rearm(c);
		if (c->want_writable && c->snd_end - c->snd_una < t->conf.snd_buf_bytes) {
			c->want_writable = false;
			if (c->user && !c->user_closed)
				dp_tcp_ev_push(c, DP_TCP_EV_WRITABLE);
		}
		dp_tcp_out_push(c);
		if (fin_acked) {
			switch (c->state) {
			case DP_TCP_FIN_WAIT_1:
				c->state = DP_TCP_FIN_WAIT_2;
				if (c->user_closed && c->user && !c->close_notified) {
					c->close_notified = true;
					c->ev_err = 0;
					dp_tcp_ev_push(c, DP_TCP_EV_CLOSED);
				}
				dp_tcp_timer_rearm(c);
				break;
			case DP_TCP_CLOSING:
				dp_tcp_enter_time_wait(c);
				break;
			case DP_TCP_LAST_ACK:
				dp_tcp_conn_finish(c, 0);
				return false;
			default:
				break;
			}
		}
	} else if (ack == c->snd_una && c->snd_max != c->snd_una &&
		   (sack_new || (seg->len == 0 && !(seg->flags & (DP_TCP_SYN | DP_TCP_FIN)) &&
				 wnd == c->snd_wnd))) {
		/* Duplicate ACK: RFC 5681 2 (all five conditions), or any ACK that SACKs new data,
		 * data-carrying or not, as with traffic both ways the peer's ACKs ride on its data
		 * (RFC 6675 counts SACKed segments, not pure ACKs). */
		DP_TCP_CNT(t, DUPACKS_IN);
		if (c->dupacks < 255)
			c->dupacks++;
		if (c->in_recovery) {
			if (!c->sack_ok)
				c->cwnd += c->smss; /* RFC 5681 3.2 step 4: inflate */
			dp_tcp_out_push(c);
		} else if ((c->dupacks >= 3 || (c->sack_ok && c->sacked_bytes > 2u * c->smss) ||
			    (c->tlp_out && sack_new &&
			     dp_tcp_seq_geq(c->sb[c->sb_n - 1][1], c->tlp_high))) &&
			   dp_tcp_seq_geq(ack, c->recover)) {
			/* DupThresh reached, or RFC 6675 IsLost(SND.UNA): more than
			 * (DupThresh - 1) * SMSS bytes SACKed above it, or the SACK of a tail loss
			 * probe's data: what is still missing below was sent at least a probe
			 * timeout (2 * SRTT) before it, so it is lost (RFC 8985 7.4, RACK's time
			 * rule), and at the tail no more duplicates will come. */
			dp_tcp_enter_recovery(c);
		} else if (c->dupacks < 3) {
			/* RFC 3042 limited transmit: one new segment per dup ACK 1 and 2. */
			c->lt_extra = c->dupacks * (uint32_t)c->smss;
			dp_tcp_out_push(c);
		}
	}

	/* Window update (RFC 9293 3.10.7.4 fifth: reject stale windows by WL1/WL2). */
	if (dp_tcp_seq_lt(c->snd_wl1, seg->seq) ||
	    (c->snd_wl1 == seg->seq && dp_tcp_seq_leq(c->snd_wl2, ack))) {
		bool opened = wnd > c->snd_wnd;

		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
		if (opened) {
			c->persist_backoff = 0;
			dp_tcp_out_push(c);
		}
	}
	return true;
}

/* ---- LISTEN (RFC 9293 3.10.7.2) ---- */

static void dp_tcp_conn_input(struct dp_tcp_conn *c, struct dp_tcp_seg *seg, struct rte_mbuf *m);

static void
dp_tcp_send_cookie_synack(struct dp_tcp *t, const struct dp_tcp_seg *seg, uint32_t lip,
			  uint16_t lport, uint32_t rip, uint16_t rport)
{
	struct dp_tcp_conn tmp;
	uint8_t opts[DP_TCP_OPT_MAXLEN];
	uint16_t mss;
	uint32_t cookie = dp_tcp_cookie_make(t, lip, lport, rip, rport, seg->seq,
					     seg->has_mss ? seg->mss : 536, &mss);
	uint32_t tsval = 0;
	unsigned optlen;

	memset(&tmp, 0, sizeof(tmp));
	tmp.t = t;
	tmp.s.local.ip = lip;
	tmp.s.remote.ip = rip;
	dp_tcp_syn_options(&tmp, seg);
	if (!tmp.ts_ok) {
		/* Without timestamps a cookie cannot carry window scale or SACK (TCP.md 4). */
		tmp.ws_ok = false;
		tmp.sack_ok = false;
		tmp.rcv_wscale = 0;
	} else {
		tsval = dp_tcp_cookie_tsval(dp_tcp_ts_now(t) + dp_tcp_ts_offset(t, lip, rip),
					    tmp.ws_ok ? tmp.snd_wscale : -1, tmp.sack_ok);
	}
	optlen = dp_tcp_opts_syn(&tmp, opts, true, tsval);
	DP_TCP_CNT(t, SYNCOOKIES_SENT);
	(void)dp_tcp_send_ctl(t, lip, rip, lport, rport, cookie, seg->seq + 1,
			      DP_TCP_SYN | DP_TCP_ACK,
			      (uint16_t)dp_tcp_umin(t->conf.rcv_buf_bytes, 65535u), opts, optlen);
}

/* The third ACK of a cookie handshake: rebuild the connection from the cookie (TCP.md 4). */
static struct dp_tcp_conn *
dp_tcp_cookie_accept(struct dp_tcp *t, struct dp_tcp_listener *l, const struct dp_tcp_seg *seg,
		     uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	struct dp_tcp_conn *c;
	uint16_t mss;

	if (dp_tcp_cookie_check(t, lip, lport, rip, rport, seg->seq - 1, seg->ack - 1, &mss) < 0)
		return NULL;
	c = dp_tcp_conn_alloc(t);
	if (c == NULL) {
		DP_TCP_CNT(t, DROP_NO_CONN_MEM);
		return NULL;
	}
	DP_TCP_CNT(t, SYNCOOKIES_OK);
	c->s.local.ip = lip;
	c->s.local.port = lport;
	c->s.remote.ip = rip;
	c->s.remote.port = rport;
	dp_tcp_conn_init_common(c);
	c->passive = true;
	c->lst = l;
	c->iss = seg->ack - 1;
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_end = seg->ack;
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->peer_mss = mss;
	if (seg->has_ts && seg->tsecr != 0 && t->conf.timestamps) {
		uint32_t ws = seg->tsecr & 0xf;

		c->ts_ok = true;
		c->ts_recent = seg->tsval;
		c->ts_recent_us = t->now_us;
		c->sack_ok = (seg->tsecr & 0x10) && t->conf.sack;
		c->ws_ok = ws != 0xf && t->conf.wscale;
		c->snd_wscale =
			c->ws_ok ? (uint8_t)dp_tcp_umin(ws, (uint32_t)DP_TCP_MAX_WSCALE) : 0;
		c->rcv_wscale = c->ws_ok ? t->rcv_wscale : 0;
	}
	dp_tcp_set_smss(c);
	c->snd_wnd = seg->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->rcv_adv = c->rcv_nxt + dp_tcp_umin(dp_tcp_rcv_space(c), 65535u);
	c->syn_rexmitted = false;
	c->state = DP_TCP_ESTABLISHED;
	dp_tcp_conn_hash_insert(t, c);
	dp_tcp_established_init(c);
	DP_TCP_CNT(t, PASSIVE_OPENS);
	return c;
}

static void
dp_tcp_listen_input(struct dp_tcp *t, struct dp_tcp_listener *l, struct dp_tcp_seg *seg,
		    struct rte_mbuf *m, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport,
		    bool iss_given, uint32_t iss)
{
	struct dp_tcp_conn *c;
	bool cookie;

	/* first: ignore an incoming RST */
	if (seg->flags & DP_TCP_RST) {
		DP_TCP_CNT(t, DROP_LISTEN_RST);
		goto drop;
	}
	/* second: an ACK is either a SYN cookie's third ACK or gets <SEQ=SEG.ACK><CTL=RST> */
	if (seg->flags & DP_TCP_ACK) {
		if (!(seg->flags & DP_TCP_SYN) && t->conf.syncookies != 0) {
			c = dp_tcp_cookie_accept(t, l, seg, lip, lport, rip, rport);
			if (c != NULL) {
				c->s.ops = &dp_tcp_stream_ops;
				c->user = true;
				dp_tcp_ev_push(c, DP_TCP_EV_ACCEPT);
				dp_tcp_conn_input(c, seg, m);
				return;
			}
			DP_TCP_CNT(t, DROP_COOKIE_BAD);
		} else {
			DP_TCP_CNT(t, DROP_LISTEN_ACK);
		}
		(void)dp_tcp_send_ctl(t, lip, rip, lport, rport, seg->ack, 0, DP_TCP_RST, 0, NULL,
				      0);
		goto drop;
	}
	/* third: SYN */
	if (!(seg->flags & DP_TCP_SYN)) {
		DP_TCP_CNT(t, DROP_LISTEN_NOSYN);
		goto drop;
	}
	/* SYN flood defence (TCP.md 4): a bounded SYN queue per listener, cookies past it. */
	cookie = t->conf.syncookies == 2 || (l->syn_count >= t->conf.syn_backlog ||
					     (t->free_list == NULL && t->tw_head == NULL));
	if (cookie) {
		if (t->conf.syncookies == 0) {
			DP_TCP_CNT(t, DROP_SYN_QUEUE_FULL);
			goto drop;
		}
		dp_tcp_send_cookie_synack(t, seg, lip, lport, rip, rport);
		goto drop;
	}
	c = dp_tcp_conn_alloc(t);
	if (c == NULL) {
		DP_TCP_CNT(t, DROP_NO_CONN_MEM);
		goto drop;
	}
	c->s.ops = &dp_tcp_stream_ops;
	c->s.local.ip = lip;
	c->s.local.port = lport;
	c->s.remote.ip = rip;
	c->s.remote.port = rport;
	dp_tcp_conn_init_common(c);
	c->passive = true;
	c->lst = l;
	l->syn_count++;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->iss = iss_given ? iss : dp_tcp_isn(t, lip, lport, rip, rport);
	c->snd_una = c->iss;
	c->snd_end = c->iss + 1;
	c->snd_wnd = seg->wnd; /* RFC 7323 2.2: never scaled in a SYN */
	c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	dp_tcp_syn_options(c, seg);
	c->state = DP_TCP_SYN_RCVD;
	c->rtt_start_us = t->now_us;
	dp_tcp_conn_hash_insert(t, c);
	(void)dp_tcp_send_syn(c);
	c->snd_end = c->iss + 1;
	dp_tcp_timer_rearm(c);
	/* SYN data (no TFO) is dropped; the peer sends it again. */
drop:
	if (m != NULL)
		rte_pktmbuf_free(m);
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ---- */

static void
dp_tcp_synsent_input(struct dp_tcp_conn *c, struct dp_tcp_seg *seg, struct rte_mbuf *m)
{
	struct dp_tcp *t = c->t;

	/* first: the ACK must cover our SYN and nothing unsent */
	if ((seg->flags & DP_TCP_ACK) &&
	    (dp_tcp_seq_leq(seg->ack, c->iss) || dp_tcp_seq_gt(seg->ack, c->snd_max))) {
		if (!(seg->flags & DP_TCP_RST))
			(void)dp_tcp_send_ctl(t, c->s.local.ip, c->s.remote.ip, c->s.local.port,
					      c->s.remote.port, seg->ack, 0, DP_TCP_RST, 0, NULL,
					      0);
		DP_TCP_CNT(t, DROP_SYNSENT_BAD_ACK);
		goto drop;
	}
	/* second: RST, acted on only with an acceptable ACK (pitfall 4) */
	if (seg->flags & DP_TCP_RST) {
		if (seg->flags & DP_TCP_ACK) {
			if (m != NULL)
				rte_pktmbuf_free(m);
			dp_tcp_conn_finish(c, -ECONNREFUSED);
			return;
		}
		DP_TCP_CNT(t, DROP_SYNSENT_RST);
		goto drop;
	}
	/* fourth: SYN */
	if (!(seg->flags & DP_TCP_SYN)) {
		DP_TCP_CNT(t, DROP_SYNSENT_NOSYN);
		goto drop;
	}
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	dp_tcp_syn_options(c, seg);
	if (seg->flags & DP_TCP_ACK) {
		/* SND.UNA > ISS: ESTABLISHED, send ACK; data (rare) after the handshake is dropped
		 * and retransmitted by the peer. */
		c->snd_una = seg->ack;
		c->snd_end = seg->ack;
		c->snd_nxt = seg->ack;
		c->snd_wnd = seg->wnd; /* unscaled in a SYN-ACK */
		c->max_snd_wnd = seg->wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		c->rcv_adv = c->rcv_nxt + dp_tcp_umin(dp_tcp_rcv_space(c), 65535u);
		c->state = DP_TCP_ESTABLISHED;
		dp_tcp_established_init(c);
		if (c->user)
			dp_tcp_ev_push(c, DP_TCP_EV_CONNECTED);
		dp_tcp_ack_now(c);
		goto drop;
	}
	/* Simultaneous open: SYN-RCVD, answer SYN,ACK with the same ISS. */
	c->state = DP_TCP_SYN_RCVD;
	c->passive = false;
	c->snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	c->ack_now = true;
	dp_tcp_out_push(c);
drop:
	if (m != NULL)
		rte_pktmbuf_free(m);
}

/* ---- TIME-WAIT ---- */

static void
dp_tcp_tw_input(struct dp_tcp_conn *c, struct dp_tcp_seg *seg, struct rte_mbuf *m, uint32_t lip,
		uint16_t lport, uint32_t rip, uint16_t rport)
{
	struct dp_tcp *t = c->t;

	if (seg->flags & DP_TCP_RST) {
		/* RFC 1337: ignore RST in TIME-WAIT (no assassination). */
		DP_TCP_CNT(t, DROP_TW_SEG);
		goto drop;
	}
	if ((seg->flags & (DP_TCP_SYN | DP_TCP_ACK)) == DP_TCP_SYN) {
		/* RFC 6191 / RFC 1122 4.2.2.13: a new incarnation if its SYN is above the old
		 * RCV.NXT or carries a newer timestamp; the new ISS lies above the old SND.NXT. */
		bool newer = dp_tcp_seq_gt(seg->seq, c->rcv_nxt) ||
			     (c->ts_ok && seg->has_ts && dp_tcp_seq_gt(seg->tsval, c->ts_recent));
		struct dp_tcp_listener *l = dp_tcp_listener_find(t, lip, lport);

		if (newer && l != NULL) {
			uint32_t iss = c->snd_max + 65537;

			DP_TCP_CNT(t, TW_REUSED);
			dp_tcp_conn_destroy(c);
			dp_tcp_listen_input(t, l, seg, m, lip, lport, rip, rport, true, iss);
			return;
		}
		dp_tcp_ack_now(c);
		DP_TCP_CNT(t, DROP_TW_SEG);
		goto drop;
	}
	if ((seg->flags & DP_TCP_FIN) || seg->len > 0) {
		/* A retransmitted FIN: ACK it again and restart 2MSL. */
		dp_tcp_ack_now(c);
		if (seg->flags & DP_TCP_FIN)
			dp_tcp_timer_rearm(c);
	}
	DP_TCP_CNT(t, DROP_TW_SEG);
drop:
	if (m != NULL)
		rte_pktmbuf_free(m);
}

/* ---- synchronized states and SYN-RCVD (RFC 9293 3.10.7.4) ---- */

static bool
dp_tcp_seq_acceptable(const struct dp_tcp_conn *c, uint32_t seq, uint32_t seglen)
{
	uint32_t wnd = dp_tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;

	/* RFC 9293 3.10.7.4's table, with two allowances real stacks make (Linux's tcp_sequence):
	 * - a zero-length segment may sit at the right edge itself: a peer that filled our window
	 *   sends its pure ACKs with SEG.SEQ = RCV.NXT + RCV.WND, and while a hole below keeps
	 *   RCV.NXT back, dropping them would drop every acknowledgment of our data;
	 * - with a zero window, a segment at RCV.NXT is taken for its ACK ("special allowance should
	 *   be made to accept valid ACKs"); its text lies beyond the window and is trimmed away
	 *   (dp_tcp_rcv_text), and the peer gets an ACK with the window. */
	if (seglen == 0)
		return dp_tcp_seq_geq(seq, c->rcv_nxt) && dp_tcp_seq_leq(seq, c->rcv_nxt + wnd);
	if (wnd == 0)
		return seq == c->rcv_nxt;
	return (dp_tcp_seq_geq(seq, c->rcv_nxt) && dp_tcp_seq_lt(seq, c->rcv_nxt + wnd)) ||
	       (dp_tcp_seq_geq(seq + seglen - 1, c->rcv_nxt) &&
		dp_tcp_seq_lt(seq + seglen - 1, c->rcv_nxt + wnd));
}

static void
dp_tcp_conn_input(struct dp_tcp_conn *c, struct dp_tcp_seg *seg, struct rte_mbuf *m)
{
	struct dp_tcp *t = c->t;
	uint32_t seglen;

	if (c->state == DP_TCP_SYN_SENT) {
		dp_tcp_synsent_input(c, seg, m);
		return;
	}
	c->last_rx_us = t->now_us;
	c->ka_probes = 0;
	/* Simultaneous open: the peer's SYN,ACK in SYN-RCVD acknowledges our SYN; its SYN is the
	 * one we already have. */
	if (c->state == DP_TCP_SYN_RCVD && !c->passive &&
	    (seg->flags & (DP_TCP_SYN | DP_TCP_ACK)) == (DP_TCP_SYN | DP_TCP_ACK) &&
	    seg->seq == c->irs) {
		seg->flags &= (uint8_t)~DP_TCP_SYN;
		seg->seq++;
	}
	seglen = seg->len + !!(seg->flags & DP_TCP_SYN) + !!(seg->flags & DP_TCP_FIN);

	/* RFC 7323 5.3 PAWS, before the sequence check; RSTs exempt. */
	if (c->ts_ok && seg->has_ts && !(seg->flags & DP_TCP_RST) &&
	    dp_tcp_seq_lt(seg->tsval, c->ts_recent) &&
	    t->now_us - c->ts_recent_us < 24ull * 86400 * 1000000) {
		DP_TCP_CNT(t, DROP_PAWS);
		dp_tcp_ack_now(c);
		goto drop;
	}
	/* first: sequence number acceptability */
	if (!dp_tcp_seq_acceptable(c, seg->seq, seglen)) {
		if (seg->flags & DP_TCP_RST) {
			DP_TCP_CNT(t, DROP_RST_OUT_OF_WINDOW);
		} else {
			DP_TCP_CNT(t, DROP_SEQ_OUT_OF_WINDOW);
			dp_tcp_ack_now(c);
		}
		goto drop;
	}
	/* second: RST (RFC 5961 3.2: exact match resets, in-window gets a challenge ACK) */
	if (seg->flags & DP_TCP_RST) {
		if (seg->seq == c->rcv_nxt || (c->rcv_fin && seg->seq == c->rcv_nxt - 1)) {
			if (m != NULL)
				rte_pktmbuf_free(m);
			if (c->state == DP_TCP_SYN_RCVD && c->passive) {
				dp_tcp_conn_destroy(c); /* back to LISTEN: the listener stays */
				return;
			}
			DP_TCP_CNT(t, ESTAB_RESETS);
			dp_tcp_conn_finish(c, c->state == DP_TCP_SYN_RCVD ? -ECONNREFUSED
									  : -ECONNRESET);
			return;
		}
		DP_TCP_CNT(t, DROP_RST_CHALLENGED);
		dp_tcp_challenge_ack(c);
		goto drop;
	}
	/* fourth: SYN */
	if (seg->flags & DP_TCP_SYN) {
		if (c->state == DP_TCP_SYN_RCVD && c->passive && seg->seq == c->irs) {
			/* A retransmitted SYN: answer with the SYN,ACK again (pitfall 5). */
			c->ack_now = true;
			dp_tcp_out_push(c);
			goto drop;
		}
		DP_TCP_CNT(t, DROP_SYN_CHALLENGED);
		dp_tcp_challenge_ack(c); /* RFC 5961 4.2 */
		goto drop;
	}
	/* fifth: ACK */
	if (!(seg->flags & DP_TCP_ACK)) {
		DP_TCP_CNT(t, DROP_NO_ACK);
		goto drop;
	}
	if (c->state == DP_TCP_SYN_RCVD) {
		if (dp_tcp_seq_lt(c->snd_una, seg->ack) && dp_tcp_seq_leq(seg->ack, c->snd_max)) {
			if (c->lst != NULL && c->lst->syn_count > 0)
				c->lst->syn_count--;
			c->state = DP_TCP_ESTABLISHED;
			c->snd_una = c->iss + 1;
			c->snd_nxt = dp_tcp_seq_max(c->snd_nxt, c->snd_una);
			c->snd_end = c->iss + 1;
			c->snd_wnd = seg->wnd << c->snd_wscale;
			c->max_snd_wnd = c->snd_wnd;
			c->snd_wl1 = seg->seq;
			c->snd_wl2 = seg->ack;
			dp_tcp_established_init(c);
			if (c->passive) {
				DP_TCP_CNT(t, PASSIVE_OPENS);
				c->user = true;
				dp_tcp_ev_push(c, DP_TCP_EV_ACCEPT);
			} else if (c->user) {
				dp_tcp_ev_push(c, DP_TCP_EV_CONNECTED);
			}
		} else {
			(void)dp_tcp_send_ctl(t, c->s.local.ip, c->s.remote.ip, c->s.local.port,
					      c->s.remote.port, seg->ack, 0, DP_TCP_RST, 0, NULL,
					      0);
			DP_TCP_CNT(t, DROP_SYNRCVD_BAD_ACK);
			goto drop;
		}
	}
	/* RFC 5961 5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, else ACK and drop, the data
	 * unprocessed (pitfall 3). */
	if (dp_tcp_seq_gt(seg->ack, c->snd_max)) {
		DP_TCP_CNT(t, DROP_ACK_UNSENT);
		dp_tcp_ack_now(c);
		goto drop;
	}
	if (dp_tcp_seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) {
		DP_TCP_CNT(t, DROP_ACK_TOO_OLD);
		dp_tcp_ack_now(c);
		goto drop;
	}
	/* RFC 7323 4.3: TS.Recent from a segment covering Last.ACK.sent. */
	if (c->ts_ok && seg->has_ts && dp_tcp_seq_leq(seg->seq, c->last_ack_sent) &&
	    dp_tcp_seq_geq(seg->tsval, c->ts_recent)) {
		c->ts_recent = seg->tsval;
		c->ts_recent_us = t->now_us;
	}
	if (!dp_tcp_rcv_ack(c, seg)) {
		if (m != NULL)
			rte_pktmbuf_free(m);
		return;
	}
	if (c->state == DP_TCP_TIME_WAIT) {
		/* reached by CLOSING + ACK of our FIN */
		goto drop;
	}
	/* sixth: URG is not supported; urgent data is delivered inline (RFC 6093). */
	/* seventh and eighth: text and FIN */
	if (seg->len > 0 || (seg->flags & DP_TCP_FIN)) {
		dp_tcp_rcv_text(c, seg, m);
		return;
	}
drop:
	if (m != NULL)
		rte_pktmbuf_free(m);
}

/* ---- entry from the IPv4 layer ---- */

/* ICMP fragmentation-needed (RFC 1191, TCP.md 1.4). RFC 5927 5.1: act only when the quoted
 * sequence is in flight, so a blind attacker must guess it. The MSS drops to the next hop's MTU
 * (floor DP_TCP_PMTU_MIN) and every segment in flight, too large for that hop and so lost, goes
 * again from SND.UNA at once with no congestion response (the loss was not congestion: RFC 1191
 * 6.5, Linux's tcp_simple_retransmit). The MSS never grows back (no RFC 4821 probing). */
void
dp_tcp_icmp_frag_needed(struct dp_tcp *t, uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
			uint16_t remote_port, uint32_t seq, uint16_t mtu)
{
	struct dp_tcp_conn *c = dp_tcp_conn_lookup(t, local_ip, local_port, remote_ip, remote_port);
	uint32_t mss;

	if (c == NULL || c->zombie || !dp_tcp_synchronized(c->state) ||
	    c->state == DP_TCP_TIME_WAIT || !dp_tcp_seq_geq(seq, c->snd_una) ||
	    !dp_tcp_seq_lt(seq, c->snd_max)) {
		DP_TCP_CNT(t, DROP_ICMP_SEQ);
		return;
	}
	if (mtu < 68) { /* RFC 791: every host takes 68; 0 is a pre-RFC 1191 router */
		DP_TCP_CNT(t, DROP_ICMP_MTU);
		return;
	}
	mss = dp_tcp_umax(mtu, DP_TCP_PMTU_MIN) - 40u - (c->ts_ok ? 12u : 0u);
	if (mss >= c->smss) {
		DP_TCP_CNT(t, DROP_ICMP_MTU);
		return;
	}
	DP_TCP_CNT(t, PMTU_UPDATES);
	c->smss = (uint16_t)mss;
	c->snd_nxt = c->snd_una;
	c->rtt_timing = false; /* Karn: what is timed is being resent */
	c->need_rexmit = false;
	dp_tcp_out_push(c);
}

void
dp_tcp_input(struct dp_tcp *t, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip)
{
	struct dp_tcp_seg seg;
	const struct dp_tcp_hdr *th;
	struct dp_tcp_conn *c;
	struct dp_tcp_listener *l;
	uint16_t sport, dport;
	int rc;

	DP_TCP_CNT(t, IN_SEGS);
	rc = dp_tcp_parse(m, &seg);
	if (rc < 0) {
		if (rc == -EINVAL)
			DP_TCP_CNT(t, DROP_SHORT);
		else
			DP_TCP_CNT(t, DROP_BAD_DOFF);
		rte_pktmbuf_free(m);
		return;
	}
	th = rte_pktmbuf_mtod(m, const struct dp_tcp_hdr *);
	sport = rte_be_to_cpu_16(th->sport_be);
	dport = rte_be_to_cpu_16(th->dport_be);
	/* Strip the header: what stays is the payload, handed up as is (zero copy). */
	if (seg.len == 0) {
		rte_pktmbuf_free(m);
		m = NULL;
	} else {
		rte_pktmbuf_adj(m, seg.hdr_len);
	}
	c = dp_tcp_conn_lookup(t, dst_ip, dport, src_ip, sport);
	if (c != NULL) {
		if (c->state == DP_TCP_TIME_WAIT)
			dp_tcp_tw_input(c, &seg, m, dst_ip, dport, src_ip, sport);
		else
			dp_tcp_conn_input(c, &seg, m);
		return;
	}
	l = dp_tcp_listener_find(t, dst_ip, dport);
	if (l != NULL) {
		dp_tcp_listen_input(t, l, &seg, m, dst_ip, dport, src_ip, sport, false, 0);
		return;
	}
	/* CLOSED (RFC 9293 3.10.7.1): RST for anything but a RST. */
	if (seg.flags & DP_TCP_RST)
		DP_TCP_CNT(t, DROP_CLOSED_RST);
	else
		DP_TCP_CNT(t, DROP_NO_LISTENER);
	dp_tcp_send_rst_reply(t, &seg, src_ip, dst_ip, sport, dport);
	if (m != NULL)
		rte_pktmbuf_free(m);
}
