/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The echo service (echo.h): stream upcalls that send each received chain straight back, a fixed
 * pool of per-connection slots made at init, and the hold-until-writable path for refused sends.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "echo.h"

struct echo_conn {
	struct echo_svc *svc;
	struct dp_stream *s;
	struct rte_mbuf *held; /* refused data, one flat segment list through ->next */
	struct rte_mbuf *held_tail;
	uint32_t held_bytes;
	uint8_t peer_fin;
	struct echo_conn *free_next;
};

struct echo_svc {
	struct echo_stats st;
	struct echo_conn *free_list;
	uint32_t max_conns;
	uint32_t open;
	struct echo_conn conns[];
};

static void
echo_held_drop(struct echo_conn *ec)
{
	struct rte_mbuf *m = ec->held;

	while (m != NULL) {
		struct rte_mbuf *next = m->next;

		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		m = next;
	}
	ec->held = ec->held_tail = NULL;
	ec->held_bytes = 0;
}

static void
echo_held_add(struct echo_conn *ec, struct rte_mbuf *chain)
{
	if (ec->held == NULL)
		ec->held = chain;
	else
		ec->held_tail->next = chain;
	ec->held_tail = rte_pktmbuf_lastseg(chain);
	ec->held_bytes += chain->pkt_len;
}

/* Send what is held as one chain: the head's pkt_len covers the whole list (nb_segs is advisory
 * here: the posix stack walks ->next). */
static void
echo_held_push(struct echo_conn *ec)
{
	int rc;

	if (ec->held != NULL) {
		ec->held->pkt_len = ec->held_bytes;
		rc = dp_stream_send(ec->s, ec->held);
		if (rc == 0) {
			ec->svc->st.bytes += ec->held_bytes;
			ec->held = ec->held_tail = NULL;
			ec->held_bytes = 0;
		} else if (rc != -EAGAIN) {
			ec->svc->st.send_err++;
			echo_held_drop(ec);
			dp_stream_abort(ec->s);
			return;
		}
	}
	if (ec->held == NULL && ec->peer_fin)
		dp_stream_close(ec->s);
}

static void *
echo_accept(void *lctx, struct dp_stream *s)
{
	struct echo_svc *e = lctx;
	struct echo_conn *ec = e->free_list;

	if (ec == NULL) {
		e->st.refused++;
		return NULL;
	}
	e->free_list = ec->free_next;
	memset(ec, 0, sizeof(*ec));
	ec->svc = e;
	ec->s = s;
	e->open++;
	e->st.accepted++;
	return ec;
}

static void
echo_connected(void *ctx, struct dp_stream *s, int err)
{
	/* The echo service never opens connections. */
	(void)ctx;
	(void)s;
	(void)err;
}

static void
echo_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct echo_conn *ec = ctx;
	uint32_t len = chain->pkt_len;
	int rc;

	if (ec->held != NULL) {
		/* Keep the byte order: new input goes behind what is already waiting. */
		echo_held_add(ec, chain);
		echo_held_push(ec);
		return;
	}
	rc = dp_stream_send(s, chain);
	if (rc == 0) {
		ec->svc->st.bytes += len;
	} else if (rc == -EAGAIN) {
		ec->svc->st.held++;
		echo_held_add(ec, chain);
	} else {
		ec->svc->st.send_err++;
		rte_pktmbuf_free(chain);
		dp_stream_abort(s);
	}
}

static void
echo_writable(void *ctx, struct dp_stream *s)
{
	(void)s;
	echo_held_push(ctx);
}

static void
echo_peer_closed(void *ctx, struct dp_stream *s)
{
	struct echo_conn *ec = ctx;

	(void)s;
	ec->peer_fin = 1;
	echo_held_push(ec);
}

static void
echo_closed(void *ctx, struct dp_stream *s, int err)
{
	struct echo_conn *ec = ctx;
	struct echo_svc *e = ec->svc;

	(void)s;
	echo_held_drop(ec);
	e->st.closed++;
	if (err != 0)
		e->st.closed_err++;
	ec->s = NULL;
	ec->free_next = e->free_list;
	e->free_list = ec;
	e->open--;
}

static const struct dp_stream_cbs echo_cbs = {
	.accept = echo_accept,
	.connected = echo_connected,
	.data = echo_data,
	.writable = echo_writable,
	.peer_closed = echo_peer_closed,
	.closed = echo_closed,
};

size_t
echo_svc_memsize(uint32_t max_conns)
{
	return sizeof(struct echo_svc) + (size_t)max_conns * sizeof(struct echo_conn);
}

struct echo_svc *
echo_svc_init(void *mem, uint32_t max_conns, struct dp_stack *st, const struct dp_addr4 *local,
	      int *err)
{
	struct echo_svc *e = mem;
	uint32_t i;
	int rc;

	if (mem == NULL || st == NULL || local == NULL || max_conns == 0) {
		*err = -EINVAL;
		return NULL;
	}
	memset(e, 0, echo_svc_memsize(max_conns));
	e->max_conns = max_conns;
	for (i = max_conns; i-- > 0;) {
		e->conns[i].free_next = e->free_list;
		e->free_list = &e->conns[i];
	}
	rc = dp_stack_listen(st, local, &echo_cbs, e);
	if (rc < 0) {
		*err = rc;
		return NULL;
	}
	return e;
}

void
echo_svc_close_all(struct echo_svc *e)
{
	uint32_t i;

	for (i = 0; i < e->max_conns; i++) {
		struct echo_conn *ec = &e->conns[i];

		if (ec->s != NULL) {
			echo_held_drop(ec);
			dp_stream_close(ec->s);
		}
	}
}

uint32_t
echo_svc_open(const struct echo_svc *e)
{
	return e->open;
}

const struct echo_stats *
echo_svc_stats(const struct echo_svc *e)
{
	return &e->st;
}

void
echo_svc_fini(struct echo_svc *e)
{
	uint32_t i;

	for (i = 0; i < e->max_conns; i++)
		echo_held_drop(&e->conns[i]);
}
