/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP output: segment building (header, options in Linux's layouts, TCP.md 1.5), zero-copy payload
 * (a fresh header mbuf with indirect clones of the queued data chained behind it, DPDK.md 5.3;
 * small payloads copied), the send loop run by dp_stack_flush() (congestion and receive windows,
 * sender SWS, Nagle, FIN), retransmission of single segments for fast recovery and SACK holes (RFC
 * 6582, RFC 6675), pure ACKs, window probes, and stateless RST / SYN-ACK replies.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "tcp_priv.h"

#define DP_TCP_IPPROTO 6

/* ---- send queue ---- */

/* Drop @p bytes of acknowledged data from the front of the send queue. The original mbufs go back
 * to their pool once the last clone handed to the driver is freed too (refcount). */
void
dp_tcp_sq_free_acked(struct dp_tcp_conn *c, uint32_t bytes)
{
	while (bytes > 0 && c->sq_head != NULL) {
		struct rte_mbuf *m = c->sq_head;
		uint32_t left = m->data_len - c->sq_off;

		if (bytes < left) {
			c->sq_off += bytes;
			return;
		}
		bytes -= left;
		if (c->sq_cur == m)
			c->sq_cur = NULL;
		c->sq_head = m->next;
		if (c->sq_head == NULL)
			c->sq_tail = NULL;
		c->sq_off = 0;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
	}
}

void
dp_tcp_sq_free_all(struct dp_tcp_conn *c)
{
	struct rte_mbuf *m = c->sq_head;

	while (m != NULL) {
		struct rte_mbuf *n = m->next;

		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = n;
	}
	c->sq_head = c->sq_tail = c->sq_cur = NULL;
	c->sq_off = 0;
}

/* Locate sequence @p seq in the send queue: the mbuf and the byte offset into its data. */
static struct rte_mbuf *
dp_tcp_sq_find(struct dp_tcp_conn *c, uint32_t seq, uint32_t *off)
{
	struct rte_mbuf *m;
	uint32_t mseq;

	if (c->sq_cur != NULL && dp_tcp_seq_geq(seq, c->sq_cur_seq)) {
		m = c->sq_cur;
		mseq = c->sq_cur_seq;
	} else {
		m = c->sq_head;
		mseq = c->snd_una - c->sq_off;
		/* A SYN occupies ISS, not queued data. */
	}
	while (m != NULL && dp_tcp_seq_geq(seq, mseq + m->data_len)) {
		mseq += m->data_len;
		m = m->next;
	}
	if (m != NULL) {
		c->sq_cur = m;
		c->sq_cur_seq = mseq;
		*off = seq - mseq;
	}
	return m;
}

/* ---- options ---- */

static inline void
dp_tcp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* SYN and SYN-ACK options in Linux's order: MSS, SACK-permitted/TS, window scale. On a SYN-ACK
 * only what the peer offered (RFC 7323 2.2, 3.2; RFC 2018 2). @p tsval is used when TS is on. */
unsigned
dp_tcp_opts_syn(const struct dp_tcp_conn *c, uint8_t *o, bool synack, uint32_t tsval)
{
	const struct dp_tcp_conf *cf = &c->t->conf;
	bool ts = synack ? c->ts_ok : cf->timestamps;
	bool sack = synack ? c->sack_ok : cf->sack;
	bool ws = synack ? c->ws_ok : cf->wscale;
	unsigned n = 0;

	o[n++] = DP_TCP_OPT_MSS;
	o[n++] = DP_TCP_OLEN_MSS;
	o[n++] = (uint8_t)(cf->mss >> 8);
	o[n++] = (uint8_t)cf->mss;
	if (ts) {
		o[n++] = sack ? DP_TCP_OPT_SACKOK : DP_TCP_OPT_NOP;
		o[n++] = sack ? DP_TCP_OLEN_SACKOK : DP_TCP_OPT_NOP;
		o[n++] = DP_TCP_OPT_TS;
		o[n++] = DP_TCP_OLEN_TS;
		dp_tcp_put32(o + n, tsval);
		dp_tcp_put32(o + n + 4, synack ? c->ts_recent : 0);
		n += 8;
	} else if (sack) {
		o[n++] = DP_TCP_OPT_NOP;
		o[n++] = DP_TCP_OPT_NOP;
		o[n++] = DP_TCP_OPT_SACKOK;
		o[n++] = DP_TCP_OLEN_SACKOK;
	}
	if (ws) {
		o[n++] = DP_TCP_OPT_NOP;
		o[n++] = DP_TCP_OPT_WS;
		o[n++] = DP_TCP_OLEN_WS;
		o[n++] = c->rcv_wscale;
	}
	return n;
}

/* SACK blocks for the next ACK (RFC 2018 4): the block holding the most recent out-of-order
 * arrival first, then the other recent ones, then the rest in order. */
static unsigned
dp_tcp_sack_blocks(const struct dp_tcp_conn *c, uint32_t blk[][2], unsigned max)
{
	uint32_t runs[DP_TCP_SACK_HIST + 8][2];
	unsigned nruns = 0, n = 0, i, j;
	const struct rte_mbuf *m;

	/* Contiguous runs of the out-of-order queue (segments are sorted and never overlap). */
	for (m = c->ooo_head; m != NULL && nruns < RTE_DIM(runs); m = m->next) {
		uint32_t s = m->hash.usr, e = s + m->pkt_len;

		if (nruns > 0 && runs[nruns - 1][1] == s)
			runs[nruns - 1][1] = e;
		else {
			runs[nruns][0] = s;
			runs[nruns][1] = e;
			nruns++;
		}
	}
	for (i = 0; i < c->sack_hist_n && n < max; i++) {
		for (j = 0; j < nruns; j++) {
			if (dp_tcp_seq_geq(c->sack_hist[i], runs[j][0]) &&
			    dp_tcp_seq_lt(c->sack_hist[i], runs[j][1]) &&
			    runs[j][0] != runs[j][1]) {
				blk[n][0] = runs[j][0];
				blk[n][1] = runs[j][1];
				runs[j][1] = runs[j][0]; /* used */
				n++;
				break;
			}
		}
	}
	for (j = 0; j < nruns && n < max; j++) {
		if (runs[j][0] == runs[j][1])
			continue;
		blk[n][0] = runs[j][0];
		blk[n][1] = runs[j][1];
		n++;
	}
	return n;
}

/* Options of a non-SYN segment: 01 01 08 0a TSval TSecr, then 01 01 05 len blocks. */
static unsigned
dp_tcp_opts_data(struct dp_tcp_conn *c, uint8_t *o)
{
	unsigned n = 0;

	if (c->ts_ok) {
		o[n++] = DP_TCP_OPT_NOP;
		o[n++] = DP_TCP_OPT_NOP;
		o[n++] = DP_TCP_OPT_TS;
		o[n++] = DP_TCP_OLEN_TS;
		dp_tcp_put32(o + n, dp_tcp_tsval(c));
		dp_tcp_put32(o + n + 4, c->ts_recent);
		n += 8;
	}
	if (c->sack_ok && c->ooo_head != NULL) {
		uint32_t blk[4][2];
		unsigned nb = dp_tcp_sack_blocks(c, blk, c->ts_ok ? 3 : 4), i;

		if (nb > 0) {
			o[n++] = DP_TCP_OPT_NOP;
			o[n++] = DP_TCP_OPT_NOP;
			o[n++] = DP_TCP_OPT_SACK;
			o[n++] = (uint8_t)(2 + 8 * nb);
			for (i = 0; i < nb; i++) {
				dp_tcp_put32(o + n, blk[i][0]);
				dp_tcp_put32(o + n + 4, blk[i][1]);
				n += 8;
			}
			c->t->cnt[DP_TCP_CNT_SACK_BLOCKS_OUT] += nb;
		}
	}
	return n;
}

/* ---- windows ---- */

uint32_t
dp_tcp_rcv_space(const struct dp_tcp_conn *c)
{
	uint32_t used = c->rq_bytes + c->ooo_bytes + c->s.rx_held;
	uint32_t buf = c->t->conf.rcv_buf_bytes;

	/* TCP.md 5.4: close the window before the pool runs dry. The user may hold received
	 * mbufs (stream.h hands them over), so the pool, not our queues, is the real limit. */
	if (c->t->pool_low)
		return 0;
	return used >= buf ? 0 : buf - used;
}

/* dp_stream_rx_release(): the user gave back held bytes. Announce the reopened window at once when
 * it at least doubles and grows by an MSS (as Linux's tcp_cleanup_rbuf), else it rides on the next
 * segment: no update per release for a window that is mostly open. */
void
dp_tcp_rx_released(struct dp_stream *s)
{
	struct dp_tcp_conn *c = dp_tcp_conn_of(s);
	uint32_t adv, space;

	if (!dp_tcp_synchronized(c->state) || c->rcv_fin || c->state == DP_TCP_TIME_WAIT)
		return;
	adv = dp_tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	space = dp_tcp_rcv_space(c);
	if (space >= 2 * adv && space - adv >= c->t->conf.mss) {
		DP_TCP_CNT(c->t, WND_UPDATES);
		c->ack_now = true;
		dp_tcp_out_push(c);
	}
}

/* The window field to send, never moving the right edge left (RFC 9293 3.8.6.2.2, TCP.md 3.7
 * receiver SWS: the edge advances only by at least min(buffer/2, MSS) unless the window is
 * already open that far). SYN segments carry an unscaled window (RFC 7323 2.2). */
static uint16_t
dp_tcp_wnd_field(struct dp_tcp_conn *c, bool syn)
{
	uint32_t space = dp_tcp_rcv_space(c);
	uint32_t cur = dp_tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t thresh = dp_tcp_umin(c->t->conf.rcv_buf_bytes / 2, (uint32_t)c->t->conf.mss);
	uint32_t wnd;

	if (syn)
		return (uint16_t)dp_tcp_umin(space, 65535u);
	wnd = space;
	if (wnd < cur)
		wnd = cur;
	else if (wnd - cur < thresh && wnd < c->t->conf.rcv_buf_bytes && cur > 0)
		wnd = cur;
	wnd >>= c->rcv_wscale;
	if (wnd > 65535)
		wnd = 65535;
	if (dp_tcp_seq_gt(c->rcv_nxt + (wnd << c->rcv_wscale), c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + (wnd << c->rcv_wscale);
	return (uint16_t)wnd;
}

/* ---- segment building ---- */

static struct rte_mbuf *
dp_tcp_hdr_alloc(struct dp_tcp *t, unsigned hlen, struct dp_tcp_hdr **th)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->conf.hdr_pool);

	if (m == NULL) {
		DP_TCP_CNT(t, DROP_NO_MBUF);
		return NULL;
	}
	*th = (struct dp_tcp_hdr *)rte_pktmbuf_append(m, (uint16_t)hlen);
	if (*th == NULL) {
		rte_pktmbuf_free(m);
		DP_TCP_CNT(t, DROP_NO_MBUF);
		return NULL;
	}
	return m;
}

static void
dp_tcp_fill_hdr(struct dp_tcp_hdr *th, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, uint16_t wnd, const uint8_t *opts, unsigned optlen)
{
	th->sport_be = rte_cpu_to_be_16(sport);
	th->dport_be = rte_cpu_to_be_16(dport);
	th->seq_be = rte_cpu_to_be_32(seq);
	th->ack_be = rte_cpu_to_be_32((flags & DP_TCP_ACK) ? ack : 0);
	th->doff = (uint8_t)(((DP_TCP_HDR_LEN + optlen) / 4) << 4);
	th->flags = flags;
	th->win_be = rte_cpu_to_be_16(wnd);
	th->cksum_be = 0;
	th->urp_be = 0;
	if (optlen > 0)
		memcpy(th + 1, opts, optlen);
}

static int
dp_tcp_ip_out(struct dp_tcp *t, struct rte_mbuf *m, uint32_t lip, uint32_t rip)
{
	int rc;

	DP_TCP_CNT(t, OUT_SEGS);
	rc = dp_ip4_output(t->conf.net, m, lip, rip, DP_TCP_IPPROTO);
	if (rc < 0)
		DP_TCP_CNT(t, DROP_OUTPUT);
	return rc;
}

/* Chain the payload [seq, seq+len) of the send queue behind header mbuf @p h: copied when small,
 * otherwise as indirect mbufs referencing the queued buffers (no copy, DPDK.md 5.3). */
static int
dp_tcp_attach_payload(struct dp_tcp_conn *c, struct rte_mbuf *h, uint32_t seq, uint32_t len)
{
	struct rte_mbuf *tail = h;
	uint32_t off = 0;
	struct rte_mbuf *m = dp_tcp_sq_find(c, seq, &off);

	if (len <= DP_TCP_COPY_MAX && rte_pktmbuf_tailroom(h) >= len) {
		uint8_t *dst = (uint8_t *)rte_pktmbuf_append(h, (uint16_t)len);

		while (len > 0 && m != NULL) {
			uint32_t piece = dp_tcp_umin(len, (uint32_t)m->data_len - off);

			memcpy(dst, rte_pktmbuf_mtod_offset(m, uint8_t *, off), piece);
			dst += piece;
			len -= piece;
			m = m->next;
			off = 0;
		}
		return len == 0 ? 0 : -EINVAL;
	}
	while (len > 0 && m != NULL) {
		uint32_t piece = dp_tcp_umin(len, (uint32_t)m->data_len - off);
		struct rte_mbuf *mi = rte_pktmbuf_alloc(c->t->conf.clone_pool);

		if (mi == NULL) {
			DP_TCP_CNT(c->t, DROP_NO_MBUF);
			return -ENOBUFS;
		}
		rte_pktmbuf_attach(mi, m);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = (uint16_t)piece;
		mi->pkt_len = piece;
		tail->next = mi;
		tail = mi;
		h->nb_segs++;
		h->pkt_len += piece;
		len -= piece;
		m = m->next;
		off = 0;
	}
	return len == 0 ? 0 : -EINVAL;
}

/* Emit one segment of connection @p c: sequence @p seq, @p len bytes from the send queue, @p flags
 * (ACK is added in synchronized states). Carries the current RCV.NXT and window, so it clears any
 * pending ACK (RFC 9293 3.8.6.3: the ACK rides on data). */
int
dp_tcp_emit(struct dp_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct dp_tcp *t = c->t;
	uint8_t opts[DP_TCP_OPT_MAXLEN];
	unsigned optlen = dp_tcp_opts_data(c, opts);
	struct dp_tcp_hdr *th;
	struct rte_mbuf *h;

	if (!(flags & DP_TCP_RST))
		flags |= DP_TCP_ACK;
	h = dp_tcp_hdr_alloc(t, DP_TCP_HDR_LEN + optlen, &th);
	if (h == NULL)
		return -ENOBUFS;
	dp_tcp_fill_hdr(th, c->s.local.port, c->s.remote.port, seq, c->rcv_nxt, flags,
			dp_tcp_wnd_field(c, false), opts, optlen);
	if (len > 0 && dp_tcp_attach_payload(c, h, seq, len) < 0) {
		rte_pktmbuf_free(h);
		return -ENOBUFS;
	}
	if (len > 0) {
		t->cnt[DP_TCP_CNT_OUT_DATA_BYTES] += len;
		if (dp_tcp_seq_lt(seq, c->snd_max))
			t->cnt[DP_TCP_CNT_REXMIT_BYTES] += dp_tcp_umin(len, c->snd_max - seq);
	}
	c->last_ack_sent = c->rcv_nxt;
	c->ack_now = false;
	c->ack_segs = 0;
	dp_timer_cancel(t->conf.wheel, &c->delack_tmr);
	return dp_tcp_ip_out(t, h, c->s.local.ip, c->s.remote.ip);
}

/* Stateless control segment (RST, cookie SYN-ACK): no connection needed. */
int
dp_tcp_send_ctl(struct dp_tcp *t, uint32_t lip, uint32_t rip, uint16_t lport, uint16_t rport,
		uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opts,
		unsigned optlen)
{
	struct dp_tcp_hdr *th;
	struct rte_mbuf *h = dp_tcp_hdr_alloc(t, DP_TCP_HDR_LEN + optlen, &th);

	if (h == NULL)
		return -ENOBUFS;
	dp_tcp_fill_hdr(th, lport, rport, seq, ack, flags, wnd, opts, optlen);
	if (flags & DP_TCP_RST)
		DP_TCP_CNT(t, OUT_RST);
	return dp_tcp_ip_out(t, h, lip, rip);
}

/* RFC 9293 3.10.7.1: the reset for a segment that matches no connection. Never answer a RST. */
void
dp_tcp_send_rst_reply(struct dp_tcp *t, const struct dp_tcp_seg *seg, uint32_t src_ip,
		      uint32_t dst_ip, uint16_t sport, uint16_t dport)
{
	uint32_t seglen = seg->len + !!(seg->flags & DP_TCP_SYN) + !!(seg->flags & DP_TCP_FIN);

	if (seg->flags & DP_TCP_RST)
		return;
	if (seg->flags & DP_TCP_ACK)
		(void)dp_tcp_send_ctl(t, dst_ip, src_ip, dport, sport, seg->ack, 0, DP_TCP_RST, 0,
				      NULL, 0);
	else
		(void)dp_tcp_send_ctl(t, dst_ip, src_ip, dport, sport, 0, seg->seq + seglen,
				      DP_TCP_RST | DP_TCP_ACK, 0, NULL, 0);
}

/* SYN (SYN-SENT) or SYN-ACK (SYN-RCVD), both at ISS. */
int
dp_tcp_send_syn(struct dp_tcp_conn *c)
{
	struct dp_tcp *t = c->t;
	uint8_t opts[DP_TCP_OPT_MAXLEN];
	bool synack = c->state == DP_TCP_SYN_RCVD;
	unsigned optlen = dp_tcp_opts_syn(c, opts, synack, dp_tcp_tsval(c));
	uint8_t flags = DP_TCP_SYN | (synack ? DP_TCP_ACK : 0);
	int rc;

	rc = dp_tcp_send_ctl(t, c->s.local.ip, c->s.remote.ip, c->s.local.port, c->s.remote.port,
			     c->iss, c->rcv_nxt, flags, dp_tcp_wnd_field(c, true), opts, optlen);
	if (synack) {
		c->last_ack_sent = c->rcv_nxt;
		c->rcv_adv = c->rcv_nxt + dp_tcp_umin(dp_tcp_rcv_space(c), 65535u);
	}
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->iss + 1;
	c->ack_now = false;
	return rc;
}

/* A pure ACK carries the highest sequence sent, not a rolled-back SND.NXT: after a timeout we
 * resend from SND.UNA, and a receiver (Linux: tcp_sequence() against rcv_wup) drops a bare ACK
 * whose SEQ lies below what it already received, ignoring the acknowledgment in it. */
void
dp_tcp_send_ack(struct dp_tcp_conn *c)
{
	DP_TCP_CNT(c->t, OUT_ACK_PURE);
	(void)dp_tcp_emit(c, c->snd_max, 0, DP_TCP_ACK);
}

/* Zero-window probe and keepalive: <SEQ=SND.UNA-1><ACK> with no data (TCP.md 3.7 [Linux]). */
void
dp_tcp_send_probe(struct dp_tcp_conn *c)
{
	(void)dp_tcp_emit(c, c->snd_una - 1, 0, DP_TCP_ACK);
}

/* False (and the connection queued for the next loop's flush) when the core's TX buffer cannot take
 * another data segment now: building it would only get it dropped (dp_ip4_tx_room()). */
static bool
dp_tcp_tx_ok(struct dp_tcp_conn *c)
{
	if (likely(dp_ip4_tx_room(c->t->conf.net) > DP_TCP_TX_RESERVE))
		return true;
	DP_TCP_CNT(c->t, SND_LIM_TX);
	dp_tcp_out_push(c);
	return false;
}

/* ---- congestion and SACK accounting ---- */

uint32_t
dp_tcp_flight(const struct dp_tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

/* True if @p seq lies in a SACKed range; *end is that range's end. */
bool
dp_tcp_sb_contains(const struct dp_tcp_conn *c, uint32_t seq, uint32_t *end)
{
	unsigned i;

	for (i = 0; i < c->sb_n; i++)
		if (dp_tcp_seq_geq(seq, c->sb[i][0]) && dp_tcp_seq_lt(seq, c->sb[i][1])) {
			*end = c->sb[i][1];
			return true;
		}
	return false;
}

/* RFC 6675 pipe, approximated: bytes sent and not acknowledged, minus SACKed bytes, minus (during
 * recovery) the holes below the highest SACK not yet retransmitted, which count as lost. */
uint32_t
dp_tcp_pipe(const struct dp_tcp_conn *c)
{
	uint32_t out = c->snd_nxt - c->snd_una;
	uint32_t lost = 0;
	unsigned i;

	if (c->sb_n == 0)
		return out;
	out = out > c->sacked_bytes ? out - c->sacked_bytes : 0;
	if (c->in_recovery) {
		uint32_t from = dp_tcp_seq_max(c->high_rxt, c->snd_una);

		for (i = 0; i < c->sb_n; i++) {
			uint32_t hole_lo = i == 0 ? c->snd_una : c->sb[i - 1][1];
			uint32_t hole_hi = c->sb[i][0];

			hole_lo = dp_tcp_seq_max(hole_lo, from);
			if (dp_tcp_seq_lt(hole_lo, hole_hi))
				lost += hole_hi - hole_lo;
		}
	}
	return out > lost ? out - lost : 0;
}

/* Effective send MSS for a segment carrying @p optlen option bytes beyond the timestamp
 * (RFC 9293 3.7.1: Eff.snd.MSS subtracts the options actually present). */
static uint32_t
dp_tcp_seg_max(const struct dp_tcp_conn *c)
{
	uint32_t extra = 0;

	if (c->sack_ok && c->ooo_head != NULL)
		extra = 4 + 8 * dp_tcp_umin(c->ooo_segs, c->ts_ok ? 3u : 4u);
	return c->smss > extra + DP_TCP_MIN_SMSS ? c->smss - extra : DP_TCP_MIN_SMSS;
}

/* @p len bytes from @p seq, cut at the start of the next SACKed range: a retransmission resends
 * one hole, never data the peer holds. */
static uint32_t
dp_tcp_hole_len(const struct dp_tcp_conn *c, uint32_t seq, uint32_t len)
{
	unsigned i;

	for (i = 0; i < c->sb_n; i++)
		if (dp_tcp_seq_gt(c->sb[i][0], seq) && dp_tcp_seq_lt(c->sb[i][0], seq + len))
			len = c->sb[i][0] - seq;
	return len;
}

/* A hole up to @p end was just resent in SACK recovery: HighRxt moves past it, and the fence
 * (SND.MAX now) is what later-sent data must pass for a SACK to show this retransmission lost
 * (tcp_in.c dp_tcp_rcv_ack). */
static void
dp_tcp_rxt_mark(struct dp_tcp_conn *c, uint32_t end)
{
	c->high_rxt = dp_tcp_seq_max(c->high_rxt, end);
	c->rxt_fence = c->snd_max;
	c->rxt_fence_on = true;
}

/* RFC 6675 4 NextSeg() rules 1 and 3, bounded: retransmit SACK holes above HighRxt while
 * cwnd - pipe >= SMSS. New data (rule 2) is left to the normal send loop. */
void
dp_tcp_sack_recovery_send(struct dp_tcp_conn *c)
{
	unsigned guard = 64;

	while (guard-- > 0 && c->sb_n > 0) {
		uint32_t pipe = dp_tcp_pipe(c);
		uint32_t seq = dp_tcp_seq_max(c->high_rxt, c->snd_una);
		uint32_t end, len, hi = c->sb[c->sb_n - 1][1];

		if (c->cwnd < pipe + c->smss)
			break;
		while (dp_tcp_sb_contains(c, seq, &end))
			seq = end;
		if (dp_tcp_seq_geq(seq, hi) || dp_tcp_seq_geq(seq, c->snd_max))
			break;
		len = dp_tcp_hole_len(c, seq, dp_tcp_umin(dp_tcp_seg_max(c), c->snd_end - seq));
		if (len == 0 || !dp_tcp_tx_ok(c))
			break;
		if (dp_tcp_emit(c, seq, len, DP_TCP_ACK | DP_TCP_PSH) < 0)
			break;
		DP_TCP_CNT(c->t, REXMIT_SACK);
		dp_tcp_rxt_mark(c, seq + len);
	}
}

/* New data: @p len bytes at SND.NXT, of @p avail queued and unsent. The last of the queue goes with
 * PSH, and the FIN after it when the user closed. SND.NXT and SND.MAX advance once it is out; the
 * error of dp_tcp_emit() otherwise. */
static int
dp_tcp_send_new(struct dp_tcp_conn *c, uint32_t len, uint32_t avail)
{
	uint8_t flags = DP_TCP_ACK;
	int rc;

	if (len == avail) {
		flags |= DP_TCP_PSH;
		if (c->fin_pending)
			flags |= DP_TCP_FIN;
	}
	rc = dp_tcp_emit(c, c->snd_nxt, len, flags);
	if (rc < 0)
		return rc;
	c->snd_nxt += len + ((flags & DP_TCP_FIN) ? 1 : 0);
	c->snd_max = dp_tcp_seq_max(c->snd_max, c->snd_nxt);
	return 0;
}

/* The probe that resends the first hole, at SND.UNA up to the next SACKed range. */
static void
dp_tcp_tlp_hole(struct dp_tcp_conn *c)
{
	uint32_t len = dp_tcp_hole_len(
		c, c->snd_una,
		dp_tcp_umin(dp_tcp_seg_max(c), dp_tcp_seq_min(c->snd_max, c->snd_end) - c->snd_una));

	if (len == 0 || dp_tcp_sb_contains(c, c->snd_una, &(uint32_t){0}) ||
	    dp_tcp_emit(c, c->snd_una, len, DP_TCP_ACK | DP_TCP_PSH) < 0)
		return;
	DP_TCP_CNT(c->t, REXMIT_TLP);
	c->tlp_high = c->snd_una + len;
	dp_tcp_rxt_mark(c, c->snd_una + len);
	c->rtt_timing = false;
}

/* RFC 8985 7.3: the probe timeout fired. Send one new segment if the peer's window allows it
 * (cwnd is not consulted), else retransmit the last segment sent; either draws an ACK whose SACK
 * blocks let fast recovery repair a tail loss instead of the RTO. In recovery, 2*SRTT without
 * progress means the retransmission at SND.UNA was lost too: resend the first hole. The hole
 * too when the peer has SACKed data already: the last segment may be among it, and resending
 * that would draw only a duplicate SACK (RFC 8985 leaves this case to RACK, which we lack). */
void
dp_tcp_tlp_send(struct dp_tcp_conn *c)
{
	uint32_t segmax = dp_tcp_seg_max(c);
	uint32_t data_end = dp_tcp_seq_min(c->snd_max, c->snd_end);
	uint32_t avail = c->snd_end - c->snd_nxt;
	uint32_t uwnd = dp_tcp_seq_gt(c->snd_una + c->snd_wnd, c->snd_nxt)
				? c->snd_una + c->snd_wnd - c->snd_nxt
				: 0;
	uint32_t seq, len;

	c->tlp_high = c->snd_max + 1; /* beyond any SACK until a probe goes out */
	c->tlp_out = true;
	if (c->in_recovery) {
		dp_tcp_tlp_hole(c);
		return;
	}
	if (c->snd_nxt == c->snd_max && dp_tcp_seq_lt(c->snd_nxt, c->snd_end) && uwnd > 0) {
		seq = c->snd_nxt;
		len = dp_tcp_umin(dp_tcp_umin(avail, segmax), uwnd);
		if (dp_tcp_send_new(c, len, avail) < 0)
			return;
		DP_TCP_CNT(c->t, REXMIT_TLP);
		c->tlp_high = seq + len;
		return;
	}
	if (dp_tcp_seq_leq(data_end, c->snd_una)) {
		/* Only a FIN is out: it is the last segment, so it is the probe. */
		if (c->fin_pending && dp_tcp_emit(c, c->snd_end, 0, DP_TCP_ACK | DP_TCP_FIN) == 0)
			DP_TCP_CNT(c->t, REXMIT_TLP);
		return;
	}
	if (c->sb_n > 0) {
		dp_tcp_tlp_hole(c);
		return;
	}
	len = dp_tcp_umin(segmax, data_end - c->snd_una);
	seq = data_end - len;
	if (dp_tcp_emit(c, seq, len, DP_TCP_ACK | DP_TCP_PSH) < 0)
		return;
	DP_TCP_CNT(c->t, REXMIT_TLP);
	c->tlp_high = data_end;
	c->rtt_timing = false; /* Karn: the timed segment may be the one resent */
}

/* ---- the send loop (dp_stack_flush) ---- */

static void
dp_tcp_output_data(struct dp_tcp_conn *c)
{
	const struct dp_tcp_conf *cf = &c->t->conf;
	unsigned guard = 4096;

	if (c->need_rexmit) {
		uint32_t len = dp_tcp_umin((uint32_t)dp_tcp_seg_max(c), c->snd_end - c->snd_una);

		c->need_rexmit = false;
		if (len > 0 && dp_tcp_seq_lt(c->snd_una, c->snd_max))
			(void)dp_tcp_emit(c, c->snd_una, len, DP_TCP_ACK | DP_TCP_PSH);
		else if (c->fin_pending && c->snd_una == c->snd_end && c->snd_max == c->snd_end + 1)
			(void)dp_tcp_emit(c, c->snd_end, 0, DP_TCP_ACK | DP_TCP_FIN);
		if (c->sack_ok && c->in_recovery)
			dp_tcp_rxt_mark(c, c->snd_una + len);
	}
	if (c->in_recovery && c->sack_ok)
		dp_tcp_sack_recovery_send(c);

	while (guard-- > 0) {
		uint32_t avail = c->snd_end - c->snd_nxt;
		uint32_t pipe, ucwnd, uwnd, len, end, segmax, seq;
		bool fresh;
		int rc;

		if (dp_tcp_seq_gt(c->snd_nxt, c->snd_end))
			break; /* FIN already sent at SND.NXT-1 */
		/* After a timeout SND.NXT is rolled back: skip what the peer SACKed. */
		if (dp_tcp_seq_lt(c->snd_nxt, c->snd_max) &&
		    dp_tcp_sb_contains(c, c->snd_nxt, &end)) {
			c->snd_nxt = dp_tcp_seq_min(end, c->snd_max);
			continue;
		}
		pipe = dp_tcp_pipe(c);
		/* RFC 3042: dup ACKs 1 and 2 each let one new segment out past cwnd. */
		ucwnd = c->cwnd + c->lt_extra > pipe ? c->cwnd + c->lt_extra - pipe : 0;
		uwnd = dp_tcp_seq_gt(c->snd_una + c->snd_wnd, c->snd_nxt)
			       ? c->snd_una + c->snd_wnd - c->snd_nxt
			       : 0;
		segmax = dp_tcp_seg_max(c);
		len = dp_tcp_umin(dp_tcp_umin(avail, segmax), dp_tcp_umin(ucwnd, uwnd));
		if (avail == 0) {
			/* Only a FIN may be left to send (RFC 9293 3.10.4: after queued data). */
			if (c->fin_pending && ucwnd > 0) {
				(void)dp_tcp_emit(c, c->snd_nxt, 0, DP_TCP_ACK | DP_TCP_FIN);
				c->snd_nxt++;
				c->snd_max = dp_tcp_seq_max(c->snd_max, c->snd_nxt);
			}
			break;
		}
		if (len == 0) {
			if (uwnd < ucwnd || uwnd == 0)
				DP_TCP_CNT(c->t, SND_LIM_RWND);
			else
				DP_TCP_CNT(c->t, SND_LIM_CWND);
			break;
		}
		/* Sender SWS avoidance (RFC 9293 3.8.6.2.1): a short segment goes out only if it
		 * ends the queued data or fills half the largest window seen. */
		if (len < segmax && len < avail && len < c->max_snd_wnd / 2) {
			if (uwnd < segmax)
				DP_TCP_CNT(c->t, SND_LIM_RWND);
			break;
		}
		/* Nagle (RFC 9293 3.7.4), off by default. */
		if (cf->nagle && len < segmax && c->snd_nxt != c->snd_una)
			break;
		if (!dp_tcp_tx_ok(c))
			break;
		/* RFC 6298 / Karn: time one new segment per RTT, never a resent one. */
		seq = c->snd_nxt;
		fresh = !dp_tcp_seq_lt(seq, c->snd_max);
		rc = dp_tcp_send_new(c, len, avail);
		if (rc < 0) {
			/* No mbuf, or the TX queue is full: try again next loop, not at RTO. */
			if (rc == -ENOBUFS)
				dp_tcp_out_push(c);
			break;
		}
		if (!c->rtt_timing && fresh) {
			c->rtt_timing = true;
			c->rtt_seq = seq + len;
			c->rtt_start_us = c->t->now_us;
		}
	}
}

void
dp_tcp_output(struct dp_tcp_conn *c)
{
	uint32_t max0;

	switch (c->state) {
	case DP_TCP_CLOSED:
	case DP_TCP_LISTEN:
		return;
	case DP_TCP_SYN_SENT:
		return;
	case DP_TCP_SYN_RCVD:
		if (c->ack_now)
			(void)dp_tcp_send_syn(c);
		return;
	case DP_TCP_TIME_WAIT:
		if (c->ack_now)
			dp_tcp_send_ack(c);
		return;
	default:
		break;
	}
	max0 = c->snd_max;
	dp_tcp_output_data(c);
	if (c->ack_now)
		dp_tcp_send_ack(c);
	/* Outstanding data needs the RTO; a zero window with data waiting needs the persist timer.
	 */
	if (c->snd_max != c->snd_una) {
		uint64_t pto;
		bool due;

		/* The RTO keeps running across sends (RFC 6298 5.1); a probe becomes due again
		 * once new data went out, and a pending one restarts then (RFC 8985 7.2). */
		if (c->tmode == DP_TCP_TM_RTO)
			due = dp_tcp_pto(c, &pto);
		else if (c->tmode == DP_TCP_TM_TLP)
			due = c->snd_max != max0;
		else
			due = true;
		if (due)
			dp_tcp_timer_rearm(c);
	} else if (c->snd_end != c->snd_nxt) {
		if (c->tmode != DP_TCP_TM_PERSIST)
			dp_tcp_timer_rearm(c);
	}
}
