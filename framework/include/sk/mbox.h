/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Core-to-core mailboxes: run a function on another worker core and get its result back on the
 * calling core (Seastar's submit_to is the model). Between every ordered pair of cores there is a
 * request ring and a reply ring (single producer, single consumer). A submitted message is staged
 * on the caller and enqueued with the others for the same core as one burst once per loop
 * iteration; the destination runs it in its mailbox phase and stages the reply, which runs on the
 * caller in a later mailbox phase. Order is kept per pair of cores.
 *
 * Bounded everywhere: when the ring and the staging area toward a core are full, sk_mbox_submit()
 * returns -ENOBUFS and the caller decides (retry next iteration, shed load). Nothing is dropped
 * silently and nothing spins. A core drains requests from another only while it has room to stage
 * their replies, and replies have their own rings, so replies always make progress.
 *
 * If the runtime stops at its stop bound with messages still queued, they are discarded without
 * running (counted as drop_mbox_stop on their destination) and their args are not freed.
 *
 * All functions: owning core of @p c only.
 */
#ifndef SK_MBOX_H
#define SK_MBOX_H

#include <stdint.h>

#include <sk/core.h>

/** Runs on the destination core (@p c is that core). Its return value travels back to the reply. */
typedef uint64_t sk_mbox_fn(struct sk_core *c, void *arg);

/** Runs on the calling core (@p c) with the @p arg of the request and @p result of its sk_mbox_fn.
 */
typedef void sk_mbox_reply_fn(struct sk_core *c, void *arg, uint64_t result);

/** Messages staged per destination before the ring must take them. */
#define SK_MBOX_STAGE 64
/** Most messages drained from one ring per loop iteration. */
#define SK_MBOX_BURST 32

/**
 * Run @p fn(dst_core, @p arg) on core @p dst (may be @p c itself: it then runs in this core's next
 * mailbox phase, never synchronously). If @p reply is not NULL, @p reply(c, @p arg, result) runs on
 * @p c afterwards. @p arg is passed as is: memory it points to must stay valid until the reply (or
 * the function, when there is no reply) has run; the usual pattern is an object from the caller's
 * arena or pool that the reply frees.
 * @return 0 accepted (it will run; never dropped unless the runtime stops first);
 *   -ENOBUFS the path to @p dst is full (backpressure: nothing was queued, try again later);
 *   -EINVAL @p dst out of range or @p fn NULL.
 */
int sk_mbox_submit(struct sk_core *c, unsigned dst, sk_mbox_fn *fn, void *arg,
		   sk_mbox_reply_fn *reply);

/**
 * Push staged messages into their rings now instead of at the end of this iteration (for a caller
 * that wants lower latency). Never blocks; what does not fit stays staged.
 * @return messages moved.
 */
unsigned sk_mbox_flush(struct sk_core *c);

/** Requests sent by @p c with a reply function whose reply has not run yet. */
uint64_t sk_mbox_pending(const struct sk_core *c);

/** Number of worker cores (valid destinations are 0..n-1). */
unsigned sk_mbox_cores(const struct sk_core *c);

#endif /* SK_MBOX_H */
