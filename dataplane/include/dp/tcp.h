/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The native TCP layer (RFC 9293 with RFC 7323, 2018, 6298, 5681/6582/6675, 5961, SYN cookies), one
 * instance per worker core. Below it sits the IPv4 layer (dp/ip4.h: the IPv4 layer calls
 * dp_tcp_input(), TCP calls dp_ip4_output()); above it the transport interface (dp/stream.h): a
 * struct dp_tcp provides the dp_stack ops, its connections embed struct dp_stream first.
 *
 * Per loop iteration the runtime calls, on the owning core: dp_tcp_set_now(), the net RX phase
 * (which calls dp_tcp_input() per segment), dp_stack_poll() (upcalls), dp_stack_flush() (TCP
 * output: data segments, piggybacked or pure ACKs), the net TX flush, then dp_timer_wheel_advance()
 * on the wheel given in the conf (RTO, delayed ACK, persist, keepalive, TIME-WAIT).
 *
 * Memory: dp_tcp_memsize() + dp_tcp_init() lay out the connection pool, the flow table and the
 * listener array in one block at start; nothing is allocated per packet except mbufs from the
 * configured pools.
 */
#ifndef DP_TCP_H
#define DP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dp/stream.h>

struct rte_mempool;
struct dp_net;
struct dp_tcp;
struct dp_timer_wheel;

/** Returns true if a connection with this tuple (host order) would be steered to the calling core.
 */
typedef bool dp_tcp_lport_ok_fn(void *arg, uint32_t local_ip, uint16_t local_port,
				uint32_t remote_ip, uint16_t remote_port);

/** Configuration of one core's TCP instance. dp_tcp_conf_defaults() fills sane values. */
struct dp_tcp_conf {
	uint32_t local_ip;		/**< our address, host order */
	struct dp_net *net;		/**< passed to dp_ip4_output() */
	struct dp_timer_wheel *wheel;	/**< the core's timer wheel */
	struct rte_mempool *hdr_pool;	/**< header mbufs of every emitted segment */
	struct rte_mempool *clone_pool; /**< indirect mbufs that reference queued payload */
	uint32_t max_conns;		/**< connection pool size (incl. SYN-RCVD and TIME-WAIT) */
	uint32_t max_listeners;
	uint32_t max_time_wait; /**< bound of the TIME-WAIT table (oldest evicted) */
	uint32_t syn_backlog;	/**< SYN-RCVD entries per listener */
	uint8_t syncookies;	/**< 0 never, 1 when the SYN queue is full, 2 always */
	uint16_t mss;		/**< MSS we advertise (MTU - 40) */
	uint32_t rcv_buf_bytes; /**< receive window limit */
	uint32_t snd_buf_bytes; /**< send queue limit */
	uint32_t ooo_max_segs;	/**< out-of-order segments kept per connection */
	uint32_t pool_reserve;	/**< receive windows close while hdr_pool has fewer free
				 *   mbufs than this (0: an eighth of the pool) */
	uint32_t rto_init_us, rto_min_us, rto_max_us;
	uint32_t delack_us;	    /**< delayed-ACK timeout */
	uint32_t time_wait_us;	    /**< 2*MSL */
	uint32_t fin_wait2_us;	    /**< orphaned FIN-WAIT-2 lifetime */
	uint32_t keepalive_idle_us; /**< 0: keepalive off */
	uint32_t keepalive_intvl_us;
	uint8_t keepalive_probes;
	uint8_t syn_retries, synack_retries, rto_retries;
	uint32_t chack_per_sec;	       /**< RFC 5961 challenge ACKs per connection per second */
	bool nagle;		       /**< default off */
	bool sack, timestamps, wscale; /**< offer these options (default on) */
	bool quickack;		       /**< new connections start in quick-ACK mode */
	bool tlp;		       /**< tail loss probe (RFC 8985 7) on SACK connections (on) */
	uint32_t tlp_min_us;	       /**< lower bound of the probe timeout, 2*SRTT (1 ms) */
	uint8_t quick_start_segs;      /**< segments ACKed at once at connection start (16) */
	uint16_t eph_lo, eph_hi;       /**< ephemeral port range for active opens */
	dp_tcp_lport_ok_fn *lport_ok;  /**< flow-affinity check for active opens (NULL: any) */
	void *lport_arg;
	uint64_t secret[4]; /**< ISN and SYN cookie keys, the same on every core */
};

/** TCP connection states (RFC 9293 3.3.2). */
enum dp_tcp_state {
	DP_TCP_CLOSED,
	DP_TCP_LISTEN,
	DP_TCP_SYN_SENT,
	DP_TCP_SYN_RCVD,
	DP_TCP_ESTABLISHED,
	DP_TCP_FIN_WAIT_1,
	DP_TCP_FIN_WAIT_2,
	DP_TCP_CLOSE_WAIT,
	DP_TCP_CLOSING,
	DP_TCP_LAST_ACK,
	DP_TCP_TIME_WAIT,
};

/** Per-core counters: every drop reason (DROP_*), every retransmit kind (REXMIT_*), and events.
 * SND_LIM_RWND / SND_LIM_CWND count send-loop runs that stopped with data still queued because the
 * peer's receive window, or the congestion window, was used up (where a bulk flow waits);
 * SND_LIM_TX those that stopped because the core's TX buffer was full (resumed next iteration).
 * REXMIT_TLP counts tail loss probes (RFC 8985 7): a segment sent at the probe timeout to draw
 * SACK information instead of waiting for the RTO. REXMIT_LOST counts retransmissions found lost
 * because data sent after them was SACKed first, and sent again in the same recovery.
 * WND_UPDATES counts window updates sent because the user released held bytes (dp/stream.h).
 * PMTU_UPDATES counts MSS reductions from ICMP fragmentation-needed (RFC 1191); DROP_ICMP_SEQ
 * those ignored because the quoted segment is not in flight (no such connection, or its sequence
 * outside [SND.UNA, SND.MAX): RFC 5927), DROP_ICMP_MTU those not lowering the MSS.
 * SPURIOUS_RTO counts timeouts undone because the first ACK after them echoed a timestamp older
 * than the retransmission (Eifel detection, RFC 3522): the original segments had arrived. */
#define DP_TCP_COUNTERS(X)                                                                                     \
	X(IN_SEGS)                                                                                             \
	X(OUT_SEGS) X(OUT_RST) X(OUT_ACK_PURE) X(OUT_DATA_BYTES) X(IN_DATA_BYTES) X(ACTIVE_OPENS) X(           \
		PASSIVE_OPENS) X(ESTAB_RESETS) X(CONN_TIMEOUTS) X(DROP_SHORT) X(DROP_BAD_DOFF) X(DROP_BAD_OPT) \
		X(DROP_NO_LISTENER) X(DROP_CLOSED_RST) X(DROP_LISTEN_RST) X(DROP_LISTEN_ACK) X(                \
			DROP_LISTEN_NOSYN) X(DROP_NO_CONN_MEM) X(DROP_SYN_QUEUE_FULL) X(DROP_COOKIE_BAD)       \
			X(DROP_SYNSENT_BAD_ACK) X(DROP_SYNSENT_RST) X(DROP_SYNSENT_NOSYN) X(DROP_PAWS) X(      \
				DROP_SEQ_OUT_OF_WINDOW) X(DROP_RST_OUT_OF_WINDOW) X(DROP_RST_CHALLENGED)       \
				X(DROP_SYN_CHALLENGED) X(DROP_NO_ACK) X(DROP_ACK_UNSENT) X(                    \
					DROP_ACK_TOO_OLD) X(DROP_SYNRCVD_BAD_ACK) X(DROP_OOO_FULL)             \
					X(DROP_DATA_AFTER_CLOSE) X(DROP_TW_SEG) X(DROP_NO_MBUF) X(             \
						DROP_OUTPUT) X(DROP_DUP_DATA) X(REXMIT_RTO) X(REXMIT_FAST)     \
						X(REXMIT_PARTIAL) X(REXMIT_SACK) X(REXMIT_SYN) X(              \
							REXMIT_SYNACK) X(REXMIT_BYTES) X(PERSIST_PROBES)       \
							X(KEEPALIVE_PROBES) X(CHALLENGE_ACKS) X(               \
								CHALLENGE_ACKS_LIMITED) X(SYNCOOKIES_SENT)     \
								X(SYNCOOKIES_OK) X(DUPACKS_IN) X(              \
									SACK_BLOCKS_IN) X(SACK_BLOCKS_OUT)     \
									X(RECOVERY_ENTERED) X(                 \
										TW_ENTERED) X(TW_EVICTED)      \
										X(TW_REUSED) X(                \
											OOO_QUEUED)            \
											X(DELACK_FIRED)        \
												X(POOL_LOW) X(SND_LIM_RWND) X(SND_LIM_CWND) X(SND_LIM_TX) X(REXMIT_TLP) X(REXMIT_LOST) X(WND_UPDATES) X(PMTU_UPDATES) X(DROP_ICMP_SEQ) X(DROP_ICMP_MTU) X(SPURIOUS_RTO)

#define DP_TCP_CNT_ENUM(n) DP_TCP_CNT_##n,
enum dp_tcp_cnt { DP_TCP_COUNTERS(DP_TCP_CNT_ENUM) DP_TCP_CNT_MAX };
#undef DP_TCP_CNT_ENUM

/** Name of counter @p id ("drop_paws" style, lower case), or NULL if out of range. Any core. */
const char *dp_tcp_cnt_name(unsigned id);

/** Fill @p conf with defaults (addresses, pools, wheel and secret left zero). Any core. */
void dp_tcp_conf_defaults(struct dp_tcp_conf *conf);

/** Bytes dp_tcp_init() needs for @p conf, or 0 if @p conf is invalid. Any core. */
size_t dp_tcp_memsize(const struct dp_tcp_conf *conf);

/**
 * Build a TCP instance in @p mem (dp_tcp_memsize() bytes, 64-byte aligned) for the calling core.
 * @return the instance, or NULL if @p mem is NULL or @p conf is invalid (no pools, no wheel,
 *   zero sizes).
 */
struct dp_tcp *dp_tcp_init(void *mem, const struct dp_tcp_conf *conf);

/**
 * Tear down: every open stream gets closed(-ESHUTDOWN), every queued mbuf is freed, every timer
 * cancelled. The memory may then be released. Owning core only.
 */
void dp_tcp_fini(struct dp_tcp *t);

/** The dp_stack view of @p t (listen, connect, poll, flush). */
struct dp_stack *dp_tcp_stack(struct dp_tcp *t);

/** Set the core's clock (microseconds, monotonic) once per loop, before the RX phase. */
void dp_tcp_set_now(struct dp_tcp *t, uint64_t now_us);

/** Counter @p id of @p t. Owning core (or a reader tolerating torn values). */
uint64_t dp_tcp_counter(const struct dp_tcp *t, enum dp_tcp_cnt id);

/** Connections in use (all states, incl. TIME-WAIT), and TIME-WAIT entries alone. */
uint32_t dp_tcp_conn_count(const struct dp_tcp *t);
uint32_t dp_tcp_time_wait_count(const struct dp_tcp *t);

/**
 * Per-connection quick-ACK mode (request/response traffic): every received data segment is
 * acknowledged in the same loop iteration, riding on a response if one is queued, instead of
 * waiting for a second segment or the delayed-ACK timer. @p s must be a native TCP stream.
 */
void dp_tcp_set_quickack(struct dp_stream *s, bool on);

/** A snapshot of one connection, for tests and diagnostics. */
struct dp_tcp_info {
	enum dp_tcp_state state;
	uint32_t iss, irs, snd_una, snd_nxt, snd_max, snd_wnd, rcv_nxt, rcv_wnd;
	uint32_t cwnd, ssthresh, smss, srtt_us, rttvar_us, rto_us;
	uint8_t snd_wscale, rcv_wscale, backoff;
	bool ts_ok, sack_ok, in_recovery;
	uint32_t snd_queued_bytes, ooo_segs;
};

/** Fill @p info for stream @p s. Owning core. */
void dp_tcp_get_info(const struct dp_stream *s, struct dp_tcp_info *info);

#endif /* DP_TCP_H */
