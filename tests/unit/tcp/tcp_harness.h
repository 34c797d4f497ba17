/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A packetdrill-like harness for the native TCP layer: scripts are rows of (time, direction, flags,
 * seq, ack, window, options, payload length). Inbound rows are built into mbufs and fed to
 * dp_tcp_input(); outbound rows are matched against what the stack handed to dp_ip4_output(),
 * which this harness defines itself (link-time substitution). A fake clock drives the timer wheel
 * and the loop phases (poll, flush, timers) exactly as the runtime does. Sequence numbers are
 * relative, as in packetdrill: inbound seq and outbound ack to the peer's ISN, outbound seq and
 * inbound ack to our ISS (learned from the first SYN or SYN-ACK we send to that port).
 */
#ifndef TCP_HARNESS_H
#define TCP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <dp/tcp.h>
#include <dp/timer.h>

#define H_LOCAL_IP 0xC6120002u	/* 198.18.0.2 */
#define H_REMOTE_IP 0xC6120001u /* 198.18.0.1 */
#define H_LPORT 8080
#define H_RPORT 40000
#define H_ANY 0xFFFFFFFFu
#define H_MS(x) ((uint64_t)(x)*1000u)

enum h_op { H_IN, H_OUT, H_NOTHING, H_CALL, H_END };

struct h_env;
typedef void h_fn(struct h_env *e);

struct h_row {
	uint64_t t_us;
	enum h_op op;
	const char *flags; /* "S", "S.", ".", "P.", "F.", "R", "R." (P is not compared) */
	uint32_t seq, ack;
	int32_t win;	  /* outbound: -1 = any */
	const char *opts; /* "mss=1460 ws=7 sackok ts=100[:ecr] sack=l:r nots nosack ..." */
	uint32_t len;
	h_fn *fn;
	uint16_t rport; /* 0: H_RPORT */
};

#define IN(t, f, s, a, w, o, l)                                                                    \
	{                                                                                          \
		(t), H_IN, (f), (s), (a), (w), (o), (l), NULL, 0                                   \
	}
#define OUT(t, f, s, a, w, o, l)                                                                   \
	{                                                                                          \
		(t), H_OUT, (f), (s), (a), (w), (o), (l), NULL, 0                                  \
	}
#define INP(p, t, f, s, a, w, o, l)                                                                \
	{                                                                                          \
		(t), H_IN, (f), (s), (a), (w), (o), (l), NULL, (p)                                 \
	}
#define OUTP(p, t, f, s, a, w, o, l)                                                               \
	{                                                                                          \
		(t), H_OUT, (f), (s), (a), (w), (o), (l), NULL, (p)                                \
	}
#define NOTHING(t)                                                                                 \
	{                                                                                          \
		(t), H_NOTHING, NULL, 0, 0, 0, NULL, 0, NULL, 0                                    \
	}
#define CALL(t, f)                                                                                 \
	{                                                                                          \
		(t), H_CALL, NULL, 0, 0, 0, NULL, 0, (f), 0                                        \
	}
#define END                                                                                        \
	{                                                                                          \
		0, H_END, NULL, 0, 0, 0, NULL, 0, NULL, 0                                          \
	}

/* A segment the stack emitted, parsed by the harness's own parser. */
struct h_cap {
	uint64_t t_us;
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint32_t len;
	bool has_mss, has_ws, has_sackok, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	unsigned nsack;
	uint32_t sack[4][2];
	uint8_t opt_bytes[40];
	unsigned optlen;
	uint8_t payload[64]; /* first bytes of the payload */
	bool payload_ok;     /* every payload byte matched our send pattern */
};

/* What the test application saw. */
struct h_app {
	struct dp_stream *s;
	unsigned accepted, connected_calls, peer_closed, closed_calls, writable;
	int connected_err, closed_err;
	uint64_t rx_bytes;
	uint32_t rx_next; /* next expected peer-relative sequence (pattern check) */
	bool rx_bad;
	bool echo;	    /* send back what arrives */
	uint32_t reply_len; /* send this many bytes on every data() upcall */
	bool refuse;
	uint64_t tx_sent; /* bytes queued so far (our relative sequence - 1) */
	struct h_env *e;
	uint16_t rport;
};

#define H_CAP_MAX 4096

struct h_env {
	struct dp_tcp_conf conf;
	struct dp_tcp *t;
	struct dp_stack *st;
	struct dp_timer_wheel *wheel;
	void *tcp_mem, *wheel_mem;
	uint64_t now_us;
	uint64_t t0; /* script times are relative to this */
	uint32_t peer_isn;
	uint16_t lport; /* our port for injected segments (0: H_LPORT) */
	struct {
		uint16_t rport;
		uint32_t iss;
		bool known;
	} iss[64];
	uint32_t last_tsval; /* our last TSval (for inbound ts ecr defaults) */
	struct h_cap cap[H_CAP_MAX];
	unsigned ncap, rd;
	uint32_t drop_out;    /* drop the next N emitted segments (loss injection) */
	uint32_t tx_room;     /* TX buffer size per loop iteration seen by dp_ip4_tx_room() (0: ample) */
	uint32_t tx_used;     /* segments emitted in this loop iteration */
	struct h_app app[64]; /* app[0]: first stream; per remote port for listeners */
	unsigned napp;
	unsigned mbuf_baseline;
	char fail[512];
	bool failed;
};

/* EAL and the shared pool, once per binary. */
void h_global_init(void);
void h_global_fini(void);
struct rte_mempool *h_pool(void);

/* Environment with default conf (callers may edit e->conf between h_env_conf and h_env_start). */
void h_env_conf(struct h_env *e);
void h_env_start(struct h_env *e);
/* Tear down; returns false (and fills e->fail) if mbufs leaked. */
bool h_env_stop(struct h_env *e);

/* Run a script; false on the first mismatch, with e->fail describing it. */
bool h_run(struct h_env *e, const struct h_row *rows);

/* Building blocks usable from CALL functions and C-written scenarios. */
void h_advance(struct h_env *e, uint64_t t_us);
void h_loop_once(struct h_env *e);
void h_inject(struct h_env *e, const struct h_row *r);
void h_listen(struct h_env *e, uint16_t port);
void h_connect(struct h_env *e, uint16_t rport);
int h_send(struct h_env *e, struct h_app *a, uint32_t len);
struct h_app *h_app_for(struct h_env *e, uint16_t rport);
uint32_t h_iss(struct h_env *e, uint16_t rport);
void h_failf(struct h_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Byte patterns so the receiving side can check every byte: the byte at relative sequence s. */
static inline uint8_t
h_peer_byte(uint32_t s)
{
	return (uint8_t)(s * 31u + 7u);
}

static inline uint8_t
h_our_byte(uint32_t s)
{
	return (uint8_t)(s * 13u + 101u);
}

#endif /* TCP_HARNESS_H */
