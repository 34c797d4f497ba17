/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Core-to-core mailboxes (sk/mbox.h). For every ordered pair of cores (to, from): a request ring
 * req[to][from] and a reply ring rep[to][from], both SPSC element rings of 32-byte messages
 * (DPDK.md 6.3). The sender stages messages per destination and moves them into the ring as one
 * burst in its mailbox phase (or earlier when the stage fills); a full ring and a full stage is
 * -ENOBUFS to the caller, never a drop and never a spin. The receiver drains replies without limit
 * (they create no new messages of their own) and requests only while it has room to stage their
 * replies, so replies always progress and no pair of cores can deadlock on full rings.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "runtime_priv.h"

/* One message: 32 bytes, a multiple of 4 as element rings require. */
struct sk_mbox_msg {
	sk_mbox_fn *fn;		 /**< request: run on the destination; NULL in a reply */
	sk_mbox_reply_fn *reply; /**< run on the sender with the result; NULL: no reply */
	void *arg;
	uint64_t result; /**< reply: what fn returned */
};

struct sk_mbox_stage {
	struct rte_ring *ring; /**< where this stage drains to */
	uint32_t n;
	struct sk_mbox_msg m[SK_MBOX_STAGE];
};

struct sk_mbox {
	unsigned n_cores;
	uint32_t staged;	       /**< messages in all stages */
	uint64_t pending;	       /**< requests with a reply function, reply not run yet */
	struct rte_ring **req_in;      /**< [from] */
	struct rte_ring **rep_in;      /**< [from] */
	struct sk_mbox_stage *req_out; /**< [to] */
	struct sk_mbox_stage *rep_out; /**< [to] */
};

_Static_assert(sizeof(struct sk_mbox_msg) == 32, "mailbox message is 32 bytes");

int
sk_mbox_create(struct sk_runtime *rt)
{
	unsigned n = rt->n_cores;
	char name[RTE_RING_NAMESIZE];

	rt->req = calloc((size_t)n * n, sizeof(*rt->req));
	rt->rep = calloc((size_t)n * n, sizeof(*rt->rep));
	if (rt->req == NULL || rt->rep == NULL)
		return -ENOMEM;
	for (unsigned to = 0; to < n; to++) {
		int socket = rt->cores[to]->socket;

		for (unsigned from = 0; from < n; from++) {
			snprintf(name, sizeof(name), "sk_mq_%u_%u", to, from);
			rt->req[to * n + from] = rte_ring_create_elem(
				name, sizeof(struct sk_mbox_msg), rt->cfg->workers.mailbox_ring,
				socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "sk_mr_%u_%u", to, from);
			rt->rep[to * n + from] = rte_ring_create_elem(
				name, sizeof(struct sk_mbox_msg), rt->cfg->workers.mailbox_ring,
				socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (rt->req[to * n + from] == NULL || rt->rep[to * n + from] == NULL)
				return -ENOMEM;
		}
	}
	for (unsigned me = 0; me < n; me++) {
		struct sk_core *c = rt->cores[me];
		size_t sz = sizeof(struct sk_mbox) + 2 * n * sizeof(struct rte_ring *) +
			    2 * n * sizeof(struct sk_mbox_stage);
		struct sk_mbox *mb =
			rte_zmalloc_socket("sk_mbox", sz, RTE_CACHE_LINE_SIZE, c->socket);

		if (mb == NULL)
			return -ENOMEM;
		mb->n_cores = n;
		mb->req_out = (struct sk_mbox_stage *)(mb + 1);
		mb->rep_out = mb->req_out + n;
		mb->req_in = (struct rte_ring **)(mb->rep_out + n);
		mb->rep_in = mb->req_in + n;
		for (unsigned o = 0; o < n; o++) {
			mb->req_in[o] = rt->req[me * n + o];
			mb->rep_in[o] = rt->rep[me * n + o];
			mb->req_out[o].ring = rt->req[o * n + me];
			mb->rep_out[o].ring = rt->rep[o * n + me];
		}
		c->mbox = mb;
	}
	return 0;
}

void
sk_mbox_destroy(struct sk_runtime *rt)
{
	unsigned n = rt->n_cores;

	for (unsigned to = 0; to < n; to++) {
		struct sk_core *c = rt->cores[to];
		uint64_t left = 0;

		for (unsigned from = 0; from < n && rt->req != NULL && rt->rep != NULL; from++) {
			struct rte_ring *q = rt->req[to * n + from], *r = rt->rep[to * n + from];

			left += (q ? rte_ring_count(q) : 0) + (r ? rte_ring_count(r) : 0);
			rte_ring_free(q);
			rte_ring_free(r);
		}
		if (c != NULL && c->mbox != NULL) {
			for (unsigned o = 0; o < n; o++)
				left += c->mbox->req_out[o].n + c->mbox->rep_out[o].n;
			rte_free(c->mbox);
			c->mbox = NULL;
		}
		if (c != NULL && left != 0) {
			SK_STAT_ADD(c, drops[SK_DROP_MBOX_STOP], left);
			SK_RT_LOG(WARNING, "core %u: %llu mailbox messages never ran (stopped)\n",
				  to, (unsigned long long)left);
		}
	}
	free(rt->req);
	free(rt->rep);
	rt->req = rt->rep = NULL;
}

/* Move staged messages into the ring; what does not fit stays staged, in order. */
static unsigned
sk_mbox_stage_flush(struct sk_mbox *mb, struct sk_mbox_stage *st)
{
	unsigned k;

	if (st->n == 0)
		return 0;
	k = rte_ring_sp_enqueue_burst_elem(st->ring, st->m, sizeof(st->m[0]), st->n, NULL);
	if (k != 0 && k < st->n)
		memmove(st->m, st->m + k, (st->n - k) * sizeof(st->m[0]));
	st->n -= k;
	mb->staged -= k;
	return k;
}

int
sk_mbox_submit(struct sk_core *c, unsigned dst, sk_mbox_fn *fn, void *arg, sk_mbox_reply_fn *reply)
{
	struct sk_mbox *mb = c->mbox;
	struct sk_mbox_stage *st;

	if (unlikely(dst >= mb->n_cores || fn == NULL))
		return -EINVAL;
	st = &mb->req_out[dst];
	if (unlikely(st->n == SK_MBOX_STAGE)) {
		sk_mbox_stage_flush(mb, st);
		if (st->n == SK_MBOX_STAGE) {
			SK_STAT_ADD(c, mbox_full, 1);
			return -ENOBUFS;
		}
	}
	st->m[st->n++] = (struct sk_mbox_msg){.fn = fn, .reply = reply, .arg = arg};
	mb->staged++;
	if (reply != NULL)
		mb->pending++;
	SK_STAT_ADD(c, mbox_sent, 1);
	return 0;
}

unsigned
sk_mbox_flush(struct sk_core *c)
{
	struct sk_mbox *mb = c->mbox;
	unsigned moved = 0;

	if (mb->staged == 0)
		return 0;
	for (unsigned o = 0; o < mb->n_cores; o++) {
		moved += sk_mbox_stage_flush(mb, &mb->rep_out[o]);
		moved += sk_mbox_stage_flush(mb, &mb->req_out[o]);
	}
	return moved;
}

static unsigned
sk_mbox_drain_replies(struct sk_core *c, struct sk_mbox *mb)
{
	struct sk_mbox_msg b[SK_MBOX_BURST];
	unsigned work = 0;

	for (unsigned from = 0; from < mb->n_cores; from++) {
		unsigned k = rte_ring_sc_dequeue_burst_elem(mb->rep_in[from], b, sizeof(b[0]),
							    SK_MBOX_BURST, NULL);

		for (unsigned i = 0; i < k; i++) {
			mb->pending--;
			b[i].reply(c, b[i].arg, b[i].result);
		}
		work += k;
	}
	if (work != 0)
		SK_STAT_ADD(c, mbox_replies, work);
	return work;
}

static unsigned
sk_mbox_drain_requests(struct sk_core *c, struct sk_mbox *mb)
{
	struct sk_mbox_msg b[SK_MBOX_BURST];
	unsigned work = 0;

	for (unsigned from = 0; from < mb->n_cores; from++) {
		struct sk_mbox_stage *rs = &mb->rep_out[from];
		unsigned room = SK_MBOX_STAGE - rs->n, k;

		/* Take only as many requests as we can stage replies for (backpressure, no drop).
		 */
		if (room == 0) {
			sk_mbox_stage_flush(mb, rs);
			room = SK_MBOX_STAGE - rs->n;
			if (room == 0)
				continue;
		}
		k = rte_ring_sc_dequeue_burst_elem(mb->req_in[from], b, sizeof(b[0]),
						   RTE_MIN(room, (unsigned)SK_MBOX_BURST), NULL);
		for (unsigned i = 0; i < k; i++) {
			uint64_t r = b[i].fn(c, b[i].arg);

			if (b[i].reply != NULL) {
				rs->m[rs->n++] = (struct sk_mbox_msg){
					.reply = b[i].reply, .arg = b[i].arg, .result = r};
				mb->staged++;
			}
		}
		work += k;
	}
	if (work != 0)
		SK_STAT_ADD(c, mbox_run, work);
	return work;
}

unsigned
sk_mbox_poll(struct sk_core *c)
{
	struct sk_mbox *mb = c->mbox;
	unsigned work;

	work = sk_mbox_drain_replies(c, mb);
	work += sk_mbox_drain_requests(c, mb);
	sk_mbox_flush(c);
	return work;
}

bool
sk_mbox_idle(const struct sk_core *c)
{
	return c->mbox->staged == 0 && c->mbox->pending == 0;
}

uint64_t
sk_mbox_pending(const struct sk_core *c)
{
	return c->mbox->pending;
}

void
sk_mbox_gauges(const struct sk_core *c, uint64_t *pending, uint64_t *staged)
{
	/* Read from a telemetry thread while the owner writes: single aligned loads. */
	*pending = __atomic_load_n(&c->mbox->pending, __ATOMIC_RELAXED);
	*staged = __atomic_load_n(&c->mbox->staged, __ATOMIC_RELAXED);
}

unsigned
sk_mbox_cores(const struct sk_core *c)
{
	return c->mbox->n_cores;
}

uint64_t
sk_mbox_queued(const struct sk_runtime *rt)
{
	uint64_t q = 0;

	for (unsigned i = 0; i < rt->n_cores * rt->n_cores; i++)
		q += rte_ring_count(rt->req[i]) + rte_ring_count(rt->rep[i]);
	return q;
}
