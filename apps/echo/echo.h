/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The echo service over the transport interface (dp/stream.h): every byte a client sends comes
 * back on the same stream, zero-copy (the received mbuf chain is the chain sent back). It knows
 * nothing of the stack under it, so it runs on the posix stack today and on the native stack once
 * that exists. One struct echo_svc per worker core, never shared.
 *
 * Flow control: a chain the stack refuses (-EAGAIN) is held and later input is appended to it
 * until writable(); the core's mbuf pool bounds what can be held (the posix stack then stops
 * reading, counted as rx_nombuf). When the client half-closes, what is held is still sent, then the
 * stream is closed.
 */
#ifndef ECHO_H
#define ECHO_H

#include <stddef.h>
#include <stdint.h>

#include <dp/stream.h>

struct echo_svc;

/** Per-core counters of the echo service. */
struct echo_stats {
	uint64_t accepted;
	uint64_t refused; /**< no free connection slot: the stack resets the stream */
	uint64_t closed;
	uint64_t closed_err; /**< closed with an error (reset, abort, shutdown) */
	uint64_t bytes;	     /**< bytes echoed (handed to the stack) */
	uint64_t held;	     /**< sends refused for space: chain held until writable() */
	uint64_t send_err;   /**< sends refused otherwise: data dropped, stream aborted */
};

/** Bytes of memory for a service with @p max_conns connection slots. */
size_t echo_svc_memsize(uint32_t max_conns);

/**
 * Build a service in @p mem (echo_svc_memsize() bytes, 8-byte aligned) and listen on @p local
 * through @p st. Owning core only.
 * @return the service, or NULL with *err set: a dp_stack_listen() error, or -EINVAL.
 */
struct echo_svc *echo_svc_init(void *mem, uint32_t max_conns, struct dp_stack *st,
			       const struct dp_addr4 *local, int *err);

/** Graceful stop: orderly close of every open stream (what is held is dropped; what the stack
 * has queued still goes out). The listener is the stack's to close. Owning core only. */
void echo_svc_close_all(struct echo_svc *e);

/** Connections currently open. */
uint32_t echo_svc_open(const struct echo_svc *e);

/** The counters. */
const struct echo_stats *echo_svc_stats(const struct echo_svc *e);

/** Drop anything still held. Owning core, after the stack's fini (which ends every stream with
 * closed(), and that already frees what each held). */
void echo_svc_fini(struct echo_svc *e);

#endif /* ECHO_H */
