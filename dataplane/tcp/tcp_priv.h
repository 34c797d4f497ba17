/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to dataplane/tcp: the connection control block, the per-core instance, parsed segments,
 * and the functions the TCP files share (input in tcp_in.c, output and retransmission in tcp_out.c,
 * timers in tcp_timer.c, ISN/SYN cookies/SipHash in tcp_cookie.c, set-up, flow table and the
 * dp_stack/dp_stream ops in tcp_ctl.c).
 */
#ifndef DP_TCP_PRIV_H
#define DP_TCP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <dp/ip4.h>
#include <dp/proto/tcp.h>
#include <dp/stream.h>
#include <dp/tcp.h>
#include <dp/timer.h>

#define DP_TCP_SB_MAX 8	       /* sender SACK scoreboard ranges */
#define DP_TCP_SACK_HIST 4     /* receiver: most recent out-of-order arrivals */
#define DP_TCP_COPY_MAX 128    /* payloads up to this size are copied into the header mbuf */
#define DP_TCP_QUICK_SEGS 16   /* Linux-like quick-ACK budget at connection start */
#define DP_TCP_IW_SEGS 10      /* RFC 6928 */
#define DP_TCP_TS_HZ_DIV 1000u /* TS clock: 1 ms ticks (RFC 7323 5.4) */
#define DP_TCP_MIN_SMSS 48
#define DP_TCP_PMTU_MIN 552 /* PMTUD floor, as Linux's min_pmtu: a forged tiny MTU costs little */
#define DP_TCP_TX_RESERVE 2    /* TX slots kept for ACKs and control segments */

#define DP_TCP_CNT(t, n) ((t)->cnt[DP_TCP_CNT_##n]++)

/* Pending upcalls, delivered by dp_stack_poll() in this order. */
enum {
	DP_TCP_EV_ACCEPT = 1u << 0,
	DP_TCP_EV_CONNECTED = 1u << 1,
	DP_TCP_EV_DATA = 1u << 2,
	DP_TCP_EV_PEER_FIN = 1u << 3,
	DP_TCP_EV_WRITABLE = 1u << 4,
	DP_TCP_EV_CLOSED = 1u << 5,
};

/* A received segment, parsed once at the edge (host order). */
struct dp_tcp_seg {
	uint32_t seq, ack, len; /* len: payload bytes */
	uint32_t wnd;		/* raw, unscaled */
	uint8_t flags;
	uint16_t hdr_len;
	/* options */
	bool has_mss, has_ws, has_sackok, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[4][2];
};

struct dp_tcp_listener {
	bool used;
	uint32_t ip;
	uint16_t port;
	uint32_t syn_count;
	const struct dp_stream_cbs *cbs;
	void *ctx;
};

struct dp_tcp_conn {
	struct dp_stream s; /* first: the transport interface's view */
	struct dp_tcp *t;
	uint8_t state;
	bool in_use, zombie, user, user_closed, close_notified, passive, fin_pending;
	bool on_ev, on_out, ack_now, want_writable, quickack, rtt_timing, in_recovery;
	bool ts_ok, sack_ok, ws_ok, rcv_fin, ooo_fin, syn_rexmitted, connecting;
	uint16_t ev;
	int ev_err;
	uint32_t hash;
	struct dp_tcp_listener *lst;

	/* send sequence space (RFC 9293 3.3.1, plus SND.MAX and MAX.SND.WND) */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
	uint32_t snd_end;		    /* sequence after the last queued byte */
	struct rte_mbuf *sq_head, *sq_tail; /* queued data, one mbuf segment per link */
	uint32_t sq_off;		    /* bytes of sq_head already acknowledged */
	struct rte_mbuf *sq_cur;	    /* cursor: a queued mbuf ... */
	uint32_t sq_cur_seq;		    /* ... and the sequence of its first byte */
	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv;
	struct rte_mbuf *rq_head, *rq_tail; /* in-order payload waiting for the data() upcall */
	uint32_t rq_bytes;
	struct rte_mbuf *ooo_head; /* out-of-order segments, sorted, seq in hash.usr */
	uint32_t ooo_segs, ooo_bytes, ooo_fin_seq;
	uint32_t sack_hist[DP_TCP_SACK_HIST];
	uint8_t sack_hist_n;

	/* options */
	uint16_t peer_mss, smss; /* smss: payload per full segment, options included */
	uint8_t snd_wscale, rcv_wscale;
	uint32_t ts_recent, last_ack_sent, ts_off;
	uint64_t ts_recent_us;

	/* congestion control, recovery and the SACK scoreboard */
	uint32_t cwnd, ssthresh, recover, high_rxt, sacked_bytes;
	uint32_t lt_extra; /* RFC 3042 limited transmit allowance */
	uint8_t dupacks, sb_n;
	uint32_t sb[DP_TCP_SB_MAX][2];

	/* RTT and timers (RFC 6298) */
	uint32_t srtt_us, rttvar_us, rto_us, rtt_seq;
	uint64_t rtt_start_us;
	uint8_t backoff, retries, ka_probes, quick_left, ack_segs, tmode, persist_backoff;
	bool need_rexmit;  /* retransmit one segment at SND.UNA at the next output */
	bool tlp_out;	   /* a tail loss probe is out; no other until SND.UNA advances */
	uint32_t tlp_high; /* end of the probe's data: a SACK reaching it starts recovery */
	bool eifel_on;	   /* an RTO retransmission is out: check the next ACK's TSecr */
	uint32_t eifel_tsval;		  /* TSval of the first RTO retransmission (RFC 3522) */
	uint32_t prior_cwnd, prior_ssthresh; /* before that RTO, for the undo */
	bool rxt_fence_on;
	uint32_t rxt_fence; /* SND.MAX when the last hole was retransmitted: a SACK above it
			     * means the retransmissions sent before are lost (tcp_in.c) */
	uint64_t last_rx_us;
	struct dp_timer rtx_tmr; /* SYN/RTO/persist/keepalive/FIN-WAIT-2/TIME-WAIT */
	struct dp_timer delack_tmr;
	uint64_t chack_start_us;
	uint32_t chack_count;

	/* intrusive lists */
	struct dp_tcp_conn *ev_next, *out_next;
	struct dp_tcp_conn *tw_prev, *tw_next; /* TIME-WAIT FIFO; free list uses tw_next */
};

/* What the shared retransmission-slot timer is armed for (TCP.md 5.3). */
enum {
	DP_TCP_TM_NONE,
	DP_TCP_TM_SYN,
	DP_TCP_TM_RTO,
	DP_TCP_TM_TLP,
	DP_TCP_TM_PERSIST,
	DP_TCP_TM_KEEPALIVE,
	DP_TCP_TM_FIN_WAIT_2,
	DP_TCP_TM_TIME_WAIT,
};

struct dp_tcp_slot {
	uint32_t hash; /* 0: empty */
	uint32_t idx;
};

struct dp_tcp {
	struct dp_stack stack; /* first: dp_tcp_stack() */
	struct dp_tcp_conf conf;
	uint64_t now_us;
	struct dp_tcp_conn *conns;
	struct dp_tcp_conn *free_list;
	uint32_t nconns_used;
	struct dp_tcp_slot *slots;
	uint32_t slot_mask;
	struct dp_tcp_listener *listeners;
	struct dp_tcp_conn *ev_head, *ev_tail;
	struct dp_tcp_conn *out_head, *out_tail;
	struct dp_tcp_conn *tw_head, *tw_tail;
	uint32_t tw_count;
	uint16_t eph_next;
	uint8_t rcv_wscale;
	bool pool_low; /* mbufs scarce: windows closed (tcp_ctl.c poll) */
	uint32_t pool_reserve;
	struct rte_ring *pool_ring; /* hdr_pool's free ring when ring-backed (tcp_ctl.c) */
	uint64_t cnt[DP_TCP_CNT_MAX];
};

/* min/max as functions: nested RTE_MIN/RTE_MAX shadow their locals under -Wshadow. */
static inline uint64_t
dp_tcp_umin(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t
dp_tcp_umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline struct dp_tcp_conn *
dp_tcp_conn_of(struct dp_stream *s)
{
	return (struct dp_tcp_conn *)s;
}

static inline uint32_t
dp_tcp_ts_now(const struct dp_tcp *t)
{
	return (uint32_t)(t->now_us / DP_TCP_TS_HZ_DIV);
}

/* The TSval this connection puts on a segment sent now (RFC 7323 with a per-peer offset). */
static inline uint32_t
dp_tcp_tsval(const struct dp_tcp_conn *c)
{
	return dp_tcp_ts_now(c->t) + c->ts_off;
}

static inline bool
dp_tcp_synchronized(uint8_t state)
{
	return state >= DP_TCP_ESTABLISHED;
}

/* tcp_ctl.c */
extern const struct dp_stream_ops dp_tcp_stream_ops;
struct dp_tcp_conn *dp_tcp_conn_alloc(struct dp_tcp *t);
int dp_tcp_conn_hash_insert(struct dp_tcp *t, struct dp_tcp_conn *c);
struct dp_tcp_conn *dp_tcp_conn_lookup(struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
				       uint16_t rport);
struct dp_tcp_listener *dp_tcp_listener_find(struct dp_tcp *t, uint32_t lip, uint16_t lport);
void dp_tcp_conn_destroy(struct dp_tcp_conn *c);
void dp_tcp_conn_finish(struct dp_tcp_conn *c, int err);
void dp_tcp_ev_push(struct dp_tcp_conn *c, uint16_t ev);
void dp_tcp_out_push(struct dp_tcp_conn *c);
void dp_tcp_enter_time_wait(struct dp_tcp_conn *c);
void dp_tcp_conn_init_common(struct dp_tcp_conn *c);

/* tcp_in.c */
int dp_tcp_parse(struct rte_mbuf *m, struct dp_tcp_seg *seg);

/* tcp_out.c */
void dp_tcp_output(struct dp_tcp_conn *c);
int dp_tcp_emit(struct dp_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags);
int dp_tcp_send_syn(struct dp_tcp_conn *c);
void dp_tcp_send_rst_reply(struct dp_tcp *t, const struct dp_tcp_seg *seg, uint32_t src_ip,
			   uint32_t dst_ip, uint16_t sport, uint16_t dport);
int dp_tcp_send_ctl(struct dp_tcp *t, uint32_t lip, uint32_t rip, uint16_t lport, uint16_t rport,
		    uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opts,
		    unsigned optlen);
void dp_tcp_send_ack(struct dp_tcp_conn *c);
void dp_tcp_send_probe(struct dp_tcp_conn *c);
void dp_tcp_sq_free_acked(struct dp_tcp_conn *c, uint32_t bytes);
void dp_tcp_sq_free_all(struct dp_tcp_conn *c);
uint32_t dp_tcp_rcv_space(const struct dp_tcp_conn *c);
void dp_tcp_rx_released(struct dp_stream *s);
uint32_t dp_tcp_pipe(const struct dp_tcp_conn *c);
bool dp_tcp_sb_contains(const struct dp_tcp_conn *c, uint32_t seq, uint32_t *end);
void dp_tcp_sack_recovery_send(struct dp_tcp_conn *c);
void dp_tcp_tlp_send(struct dp_tcp_conn *c);
uint32_t dp_tcp_flight(const struct dp_tcp_conn *c);
unsigned dp_tcp_opts_syn(const struct dp_tcp_conn *c, uint8_t *o, bool synack, uint32_t tsval);

/* tcp_timer.c */
void dp_tcp_timer_rearm(struct dp_tcp_conn *c);
bool dp_tcp_pto(const struct dp_tcp_conn *c, uint64_t *pto);
void dp_tcp_rtx_fire(struct dp_timer *tm, void *arg);
void dp_tcp_delack_fire(struct dp_timer *tm, void *arg);
void dp_tcp_rtt_sample(struct dp_tcp_conn *c, uint32_t rtt_us);

/* tcp_cookie.c */
uint64_t dp_tcp_siphash(const uint64_t key[2], const void *data, unsigned len);
uint32_t dp_tcp_isn(const struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
		    uint16_t rport);
uint32_t dp_tcp_ts_offset(const struct dp_tcp *t, uint32_t lip, uint32_t rip);
uint32_t dp_tcp_cookie_make(const struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
			    uint16_t rport, uint32_t peer_isn, uint16_t peer_mss,
			    uint16_t *mss_out);
int dp_tcp_cookie_check(const struct dp_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
			uint16_t rport, uint32_t peer_isn, uint32_t cookie, uint16_t *mss_out);
uint32_t dp_tcp_cookie_tsval(uint32_t now_ts, int wscale, bool sackok);

#endif /* DP_TCP_PRIV_H */
