/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-memory transport for engine tests: pairs of fake dp_stream ends joined back to back. A chain
 * sent on one end is copied out (and freed) and re-delivered to the other end at the next pump, cut
 * into segments of a chosen size so frames straddle mbufs. Knobs: cut the pair after a given
 * number of bytes (both ends then see closed(-ECONNRESET)), hold delivery (stall), limit send
 * space (-EAGAIN, writable() later). A "raw" end is driven by the test itself: what it receives is
 * collected into a byte buffer, and the test writes bytes into it directly.
 */
#ifndef TEST_FAKE_TRANSPORT_H
#define TEST_FAKE_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <dp/stream.h>

struct rte_mempool;

struct ft_end {
	struct dp_stream s; /* first: the engine sees this */
	struct ft_end *peer;
	uint8_t *inbox; /* bytes sent by the peer, not yet delivered to us */
	size_t inbox_len, inbox_cap;
	uint8_t *raw; /* raw end: everything delivered */
	size_t raw_len, raw_cap;
	bool is_raw;
	bool open;     /* may send */
	bool gone;     /* closed() delivered (or raw end closed) */
	bool closing;  /* orderly close requested */
	int close_err; /* pending closed() error, 1 = none pending */
	bool peer_fin; /* deliver peer_closed after the inbox drains */
	bool want_writable;
	bool stall;	      /* hold delivery to this end */
	uint32_t space;	      /* send space */
	uint64_t sent;	      /* bytes accepted by send() */
	uint64_t cut_at;      /* cut when sent reaches this (0 = never) */
	uint32_t seg;	      /* segment size for delivery to this end */
	bool connect_pending; /* deliver connected(0) at the next pump */
};

/** A fake stack: connect() makes a pair whose other end is accepted by the listener. */
struct ft_stack {
	struct dp_stack st;
	const struct dp_stream_cbs *lcbs;
	void *lctx;
	int fail_connect; /* connect() returns this when != 0 */
	unsigned connects;
	struct ft_end *last_cli, *last_srv;
};

void ft_stack_init(struct ft_stack *s);

/** The pool used for delivered segments. */
void ft_init(struct rte_mempool *mp);
/** Make a pair; @p a_raw / @p b_raw: raw ends. Ends are malloc'd; free with ft_free. */
void ft_pair(struct ft_end **a, struct ft_end **b, bool a_raw, bool b_raw);
void ft_free(struct ft_end *e);
/** Deliver pending bytes and events on every live pair. @return work done. */
unsigned ft_pump(void);
/** Queue raw bytes from a raw end to its peer. */
void ft_raw_write(struct ft_end *e, const void *p, size_t n);
/** Cut the pair now (both ends get closed(-ECONNRESET) at the next pump). */
void ft_cut(struct ft_end *e);
/** Free every pair. */
void ft_reset(void);

#endif
