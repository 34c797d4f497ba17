/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two native TCP instances joined by a simulated wire (this file's own dp_ip4_output()), on one
 * virtual clock: an end-to-end check of the whole stack, with fault injection on both directions
 * (seeded loss, reordering, duplication). Side A connects to B, streams a byte pattern; B echoes
 * every received chain straight back (zero copy: the RX mbufs become the send queue); A checks
 * every byte that comes back, then both close. Each test asserts integrity, that recovery
 * happened (retransmission counters) where faults were injected, and that the mbuf pool is back to
 * its baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <dp/ip4.h>
#include <dp/tcp.h>
#include <dp/timer.h>

#define P_IP_A 0xC6120001u
#define P_IP_B 0xC6120002u
#define P_PORT 7000
#define P_WIRE_MAX 16384
#define P_LAT_US 100

struct p_fault {
	unsigned loss_ppm, reorder_ppm, dup_ppm;
};

struct p_pkt {
	uint64_t at_us;
	struct rte_mbuf *m;
	uint32_t src, dst;
};

struct p_side {
	struct dp_tcp_conf conf;
	struct dp_tcp *t;
	struct dp_timer_wheel *w;
	void *tmem, *wmem;
	struct dp_stream *s;
	/* A: sender and checker; B: echo */
	uint64_t tx_bytes, rx_bytes, total;
	bool rx_bad, peer_fin, closed, connected;
	int closed_err;
	uint64_t done_us, closed_us;
	struct rte_mbuf *pending; /* B: echo chain waiting for send space */
};

struct p_env {
	struct p_side a, b;
	struct p_pkt wire[P_WIRE_MAX];
	unsigned nwire;
	uint64_t now_us;
	uint64_t rng;
	struct p_fault fault;
	uint64_t dropped, reordered, duplicated, oversize;
	bool overflow;
};

static struct rte_mempool *p_mp;
static struct p_env *p_cur;

static uint32_t
p_rand(struct p_env *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 7;
	e->rng ^= e->rng << 17;
	return (uint32_t)(e->rng >> 16) % 1000000u;
}

static uint8_t
p_byte(uint64_t off)
{
	return (uint8_t)(off * 131u + (off >> 11) + 17u);
}

static void
p_wire_put(struct p_env *e, struct rte_mbuf *m, uint32_t src, uint32_t dst, uint64_t at)
{
	if (e->nwire >= P_WIRE_MAX) {
		e->overflow = true;
		rte_pktmbuf_free(m);
		return;
	}
	e->wire[e->nwire].at_us = at;
	e->wire[e->nwire].m = m;
	e->wire[e->nwire].src = src;
	e->wire[e->nwire].dst = dst;
	e->nwire++;
}

unsigned
dp_ip4_tx_room(struct dp_net *n)
{
	(void)n;
	return 1u << 20; /* no TX buffer here: the output is consumed at once */
}

/* The wire: what a NIC would do, a copy into fresh single-segment RX mbufs (the original header
 * mbuf and payload clones are freed, releasing their references), plus the configured faults. */
int
dp_ip4_output(struct dp_net *n, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip, uint8_t proto)
{
	struct p_env *e = p_cur;
	struct rte_mbuf *c;
	uint64_t at;

	(void)n;
	(void)proto;
	if (m->pkt_len > 1500 - 20)
		e->oversize++; /* would not fit the 1500-byte MTU the stack was configured for */
	c = rte_pktmbuf_copy(m, p_mp, 0, UINT32_MAX);
	rte_pktmbuf_free(m);
	if (c == NULL)
		return -ENOBUFS;
	if (p_rand(e) < e->fault.loss_ppm) {
		e->dropped++;
		rte_pktmbuf_free(c);
		return 0;
	}
	at = e->now_us + P_LAT_US;
	if (p_rand(e) < e->fault.reorder_ppm) {
		e->reordered++;
		at += 3 * P_LAT_US;
	}
	if (p_rand(e) < e->fault.dup_ppm) {
		struct rte_mbuf *d = rte_pktmbuf_copy(c, p_mp, 0, UINT32_MAX);

		if (d != NULL) {
			e->duplicated++;
			p_wire_put(e, d, src_ip, dst_ip, at + 20);
		}
	}
	p_wire_put(e, c, src_ip, dst_ip, at);
	return 0;
}

/* ---- applications ---- */

static void p_a_fill(struct p_side *a);

static void *
p_b_accept(void *lctx, struct dp_stream *s)
{
	struct p_side *b = lctx;

	b->s = s;
	return b;
}

static void
p_a_connected(void *ctx, struct dp_stream *s, int err)
{
	struct p_side *a = ctx;

	(void)s;
	a->connected = err == 0;
	if (err == 0)
		p_a_fill(a);
}

static void
p_a_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct p_side *a = ctx;
	struct rte_mbuf *m;

	(void)s;
	for (m = chain; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t i;

		for (i = 0; i < m->data_len; i++)
			if (p[i] != p_byte(a->rx_bytes + i))
				a->rx_bad = true;
		a->rx_bytes += m->data_len;
	}
	rte_pktmbuf_free(chain);
	if (a->rx_bytes == a->total) {
		a->done_us = p_cur->now_us;
		dp_stream_close(a->s);
	}
}

static void
p_b_flush_pending(struct p_side *b)
{
	if (b->pending != NULL && dp_stream_send(b->s, b->pending) == 0)
		b->pending = NULL;
}

static void
p_b_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	struct p_side *b = ctx;
	struct rte_mbuf *m;

	(void)s;
	for (m = chain; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t i;

		for (i = 0; i < m->data_len; i++)
			if (p[i] != p_byte(b->rx_bytes + i))
				b->rx_bad = true;
		b->rx_bytes += m->data_len;
	}
	/* Echo: the received mbufs themselves go back out. */
	if (b->pending != NULL) {
		struct rte_mbuf *last = rte_pktmbuf_lastseg(b->pending);

		last->next = chain;
		b->pending->nb_segs = (uint16_t)(b->pending->nb_segs + chain->nb_segs);
		b->pending->pkt_len += chain->pkt_len;
	} else {
		b->pending = chain;
	}
	p_b_flush_pending(b);
}

static void
p_a_fill(struct p_side *a)
{
	while (a->tx_bytes < a->total) {
		uint32_t n, i;
		struct rte_mbuf *m;
		uint8_t *p;

		/* Send until -EAGAIN: that arms the writable() upcall (stream.h). */
		n = (uint32_t)(a->total - a->tx_bytes < 1400 ? a->total - a->tx_bytes : 1400);
		m = rte_pktmbuf_alloc(p_mp);
		if (m == NULL)
			return;
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (i = 0; i < n; i++)
			p[i] = p_byte(a->tx_bytes + i);
		if (dp_stream_send(a->s, m) != 0) {
			rte_pktmbuf_free(m);
			return;
		}
		a->tx_bytes += n;
	}
}

static void
p_writable(void *ctx, struct dp_stream *s)
{
	struct p_side *x = ctx;

	(void)s;
	if (x->pending != NULL || x->total == 0)
		p_b_flush_pending(x);
	else
		p_a_fill(x);
}

static void
p_peer_closed(void *ctx, struct dp_stream *s)
{
	struct p_side *x = ctx;

	x->peer_fin = true;
	if (x->total == 0 && x->pending == NULL)
		dp_stream_close(s);
}

static void
p_closed(void *ctx, struct dp_stream *s, int err)
{
	struct p_side *x = ctx;

	(void)s;
	x->closed = true;
	x->closed_us = p_cur->now_us;
	x->closed_err = err;
	x->s = NULL;
	if (x->pending != NULL) {
		rte_pktmbuf_free(x->pending);
		x->pending = NULL;
	}
}

static const struct dp_stream_cbs p_cbs_a = {
	.connected = p_a_connected,
	.data = p_a_data,
	.writable = p_writable,
	.peer_closed = p_peer_closed,
	.closed = p_closed,
};
static const struct dp_stream_cbs p_cbs_b = {
	.accept = p_b_accept,
	.data = p_b_data,
	.writable = p_writable,
	.peer_closed = p_peer_closed,
	.closed = p_closed,
};

/* ---- set-up and the loop ---- */

static void
p_side_init(struct p_env *e, struct p_side *x, uint32_t ip, void (*tweak)(struct dp_tcp_conf *))
{
	struct dp_timer_wheel_conf wc = {.tick_us = 50, .start_us = e->now_us};
	size_t sz;

	dp_tcp_conf_defaults(&x->conf);
	x->conf.local_ip = ip;
	x->conf.net = (struct dp_net *)x;
	x->conf.hdr_pool = p_mp;
	x->conf.clone_pool = p_mp;
	x->conf.max_conns = 8;
	x->conf.time_wait_us = 1000000;
	x->conf.secret[0] = ip * 0x9e3779b97f4a7c15ULL;
	x->conf.secret[1] = 77;
	x->conf.secret[2] = 0xabcdef;
	x->conf.secret[3] = 99;
	if (tweak != NULL)
		tweak(&x->conf);
	x->wmem = aligned_alloc(64, (dp_timer_wheel_memsize(&wc) + 63) & ~(size_t)63);
	x->w = dp_timer_wheel_init(x->wmem, &wc);
	x->conf.wheel = x->w;
	sz = dp_tcp_memsize(&x->conf);
	x->tmem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	x->t = dp_tcp_init(x->tmem, &x->conf);
	ck_assert_ptr_nonnull(x->t);
	dp_tcp_set_now(x->t, e->now_us);
}

static void
p_side_iter(struct p_env *e, struct p_side *x)
{
	struct dp_stack *st = dp_tcp_stack(x->t);

	dp_tcp_set_now(x->t, e->now_us);
	dp_stack_poll(st, e->now_us);
	dp_stack_flush(st);
	dp_timer_wheel_advance(x->w, e->now_us);
	dp_stack_poll(st, e->now_us);
	dp_stack_flush(st);
}

static void
p_deliver(struct p_env *e)
{
	struct p_pkt due[256];
	unsigned i, j = 0, n = 0;

	/* In wire order (FIFO among packets due at the same time): only the configured faults
	 * reorder. */
	for (i = 0; i < e->nwire; i++) {
		if (e->wire[i].at_us <= e->now_us && n < RTE_DIM(due))
			due[n++] = e->wire[i];
		else
			e->wire[j++] = e->wire[i];
	}
	e->nwire = j;
	for (i = 0; i < n; i++)
		dp_tcp_input(due[i].dst == P_IP_A ? e->a.t : e->b.t, due[i].m, due[i].src,
			     due[i].dst);
}

static uint64_t
p_next_event(struct p_env *e)
{
	uint64_t n = dp_timer_wheel_next_us(e->a.w);
	uint64_t nb = dp_timer_wheel_next_us(e->b.w);
	unsigned i;

	if (nb < n)
		n = nb;
	for (i = 0; i < e->nwire; i++)
		if (e->wire[i].at_us < n)
			n = e->wire[i].at_us;
	return n;
}

struct p_result {
	uint64_t a_rexmit, b_rexmit;
};

static struct p_result
p_run(uint64_t bytes, struct p_fault f, uint64_t seed, void (*tweak)(struct dp_tcp_conf *))
{
	struct p_env *e = calloc(1, sizeof(*e));
	struct dp_addr4 l = {.ip = 0, .port = P_PORT}, r = {.ip = P_IP_B, .port = P_PORT};
	unsigned baseline = rte_mempool_avail_count(p_mp);
	uint64_t deadline;
	struct p_result res;
	unsigned iters = 0;

	ck_assert_ptr_nonnull(e);
	e->now_us = 1000000;
	e->rng = seed;
	e->fault = f;
	p_cur = e;
	p_side_init(e, &e->a, P_IP_A, tweak);
	p_side_init(e, &e->b, P_IP_B, tweak);
	e->a.total = bytes;
	ck_assert_int_eq(dp_stack_listen(dp_tcp_stack(e->b.t), &l, &p_cbs_b, &e->b), 0);
	ck_assert_int_eq(dp_stack_connect(dp_tcp_stack(e->a.t), &r, &p_cbs_a, &e->a, &e->a.s), 0);
	deadline = e->now_us + 600ull * 1000000; /* virtual time */
	while (!(e->a.closed && e->b.closed) && e->now_us < deadline && iters < 50000000) {
		uint64_t next;

		iters++;
		p_deliver(e);
		p_side_iter(e, &e->a);
		p_side_iter(e, &e->b);
		next = p_next_event(e);
		if (next <= e->now_us)
			next = e->now_us + 1;
		if (next > deadline)
			next = deadline;
		e->now_us = next;
	}
	ck_assert_msg(!e->overflow, "wire overflow");
	ck_assert_msg(e->oversize == 0, "%lu segments larger than the MTU",
		      (unsigned long)e->oversize);
	ck_assert_msg(e->a.closed && e->b.closed,
		      "transfer did not finish: a tx %lu rx %lu, b rx %lu, t=%lu s, wire %u",
		      (unsigned long)e->a.tx_bytes, (unsigned long)e->a.rx_bytes,
		      (unsigned long)e->b.rx_bytes, (unsigned long)(e->now_us / 1000000), e->nwire);
	ck_assert_msg(!e->a.rx_bad && !e->b.rx_bad, "corrupted data");
	ck_assert_uint_eq(e->b.rx_bytes, bytes);
	ck_assert_uint_eq(e->a.rx_bytes, bytes);
	ck_assert_int_eq(e->a.closed_err, 0);
	ck_assert_int_eq(e->b.closed_err, 0);
	res.a_rexmit = dp_tcp_counter(e->a.t, DP_TCP_CNT_REXMIT_BYTES);
	res.b_rexmit = dp_tcp_counter(e->b.t, DP_TCP_CNT_REXMIT_BYTES);
	if (f.loss_ppm > 0)
		ck_assert_msg(res.a_rexmit > 0 && res.b_rexmit > 0,
			      "loss injected (%lu) but no retransmissions: %lu %lu",
			      (unsigned long)e->dropped, (unsigned long)res.a_rexmit,
			      (unsigned long)res.b_rexmit);
	if (f.dup_ppm > 0)
		ck_assert_uint_gt(e->duplicated, 0);
	if (f.reorder_ppm > 0)
		ck_assert_uint_gt(e->reordered, 0);
	fprintf(stderr,
		"  %lu bytes each way in %.3f virtual s: wire dropped %lu reordered %lu "
		"duplicated %lu; rexmit bytes A %lu B %lu (rto %lu/%lu fast %lu/%lu sack "
		"%lu/%lu)\n",
		(unsigned long)bytes, (double)(e->a.done_us - 1000000) / 1e6,
		(unsigned long)e->dropped, (unsigned long)e->reordered,
		(unsigned long)e->duplicated, (unsigned long)res.a_rexmit,
		(unsigned long)res.b_rexmit,
		(unsigned long)dp_tcp_counter(e->a.t, DP_TCP_CNT_REXMIT_RTO),
		(unsigned long)dp_tcp_counter(e->b.t, DP_TCP_CNT_REXMIT_RTO),
		(unsigned long)dp_tcp_counter(e->a.t, DP_TCP_CNT_REXMIT_FAST),
		(unsigned long)dp_tcp_counter(e->b.t, DP_TCP_CNT_REXMIT_FAST),
		(unsigned long)dp_tcp_counter(e->a.t, DP_TCP_CNT_REXMIT_SACK),
		(unsigned long)dp_tcp_counter(e->b.t, DP_TCP_CNT_REXMIT_SACK));
	if (getenv("P_VERBOSE") != NULL) {
		unsigned k;

		fprintf(stderr, "    data done at %.6f, A closed %.6f, B closed %.6f\n",
			(double)(e->a.done_us - 1000000) / 1e6,
			(double)(e->a.closed_us - 1000000) / 1e6,
			(double)(e->b.closed_us - 1000000) / 1e6);

		for (k = 0; k < DP_TCP_CNT_MAX; k++)
			if (dp_tcp_counter(e->a.t, k) || dp_tcp_counter(e->b.t, k))
				fprintf(stderr, "    %-24s %10lu %10lu\n", dp_tcp_cnt_name(k),
					(unsigned long)dp_tcp_counter(e->a.t, k),
					(unsigned long)dp_tcp_counter(e->b.t, k));
	}
	/* drain: TIME-WAIT expires, nothing else left */
	e->now_us += 2000000;
	p_side_iter(e, &e->a);
	p_side_iter(e, &e->b);
	ck_assert_uint_eq(dp_tcp_conn_count(e->a.t), 0);
	ck_assert_uint_eq(dp_tcp_conn_count(e->b.t), 0);
	while (e->nwire > 0)
		rte_pktmbuf_free(e->wire[--e->nwire].m);
	dp_tcp_fini(e->a.t);
	dp_tcp_fini(e->b.t);
	ck_assert_uint_eq(rte_mempool_avail_count(p_mp), baseline);
	free(e->a.tmem);
	free(e->a.wmem);
	free(e->b.tmem);
	free(e->b.wmem);
	p_cur = NULL;
	free(e);
	return res;
}

#define MB (1024ull * 1024ull)

START_TEST(clean_echo)
{
	struct p_result r = p_run(8 * MB, (struct p_fault){0, 0, 0}, 1, NULL);

	ck_assert_uint_eq(r.a_rexmit, 0);
	ck_assert_uint_eq(r.b_rexmit, 0);
}
END_TEST

START_TEST(loss_1pct)
{
	p_run(4 * MB, (struct p_fault){10000, 0, 0}, 2, NULL);
}
END_TEST

START_TEST(loss_5pct)
{
	p_run(2 * MB, (struct p_fault){50000, 0, 0}, 3, NULL);
}
END_TEST

START_TEST(reorder_1pct)
{
	p_run(4 * MB, (struct p_fault){0, 10000, 0}, 4, NULL);
}
END_TEST

START_TEST(dup_1pct)
{
	p_run(4 * MB, (struct p_fault){0, 0, 10000}, 5, NULL);
}
END_TEST

START_TEST(mixed_faults)
{
	p_run(2 * MB, (struct p_fault){20000, 20000, 10000}, 6, NULL);
}
END_TEST

static void
p_no_sack_ts(struct dp_tcp_conf *c)
{
	c->sack = false;
	c->timestamps = false;
}

START_TEST(loss_newreno_no_ts)
{
	p_run(2 * MB, (struct p_fault){20000, 5000, 0}, 7, p_no_sack_ts);
}
END_TEST

static void
p_small_bufs(struct dp_tcp_conf *c)
{
	c->rcv_buf_bytes = 8192;
	c->snd_buf_bytes = 16384;
	c->nagle = true;
}

START_TEST(small_windows_nagle)
{
	p_run(1 * MB, (struct p_fault){10000, 0, 0}, 8, p_small_bufs);
}
END_TEST

int
main(void)
{
	char pfx[64];
	char *argv[] = {"test_tcp_pair",
			"-l",
			"0",
			"--no-huge",
			"-m",
			"256",
			"--no-pci",
			"--no-shconf",
			"--no-telemetry",
			"--log-level",
			"lib.*:error",
			"--file-prefix",
			pfx,
			NULL};
	Suite *s = suite_create("tcp_pair");
	TCase *tc = tcase_create("pair");
	SRunner *sr;
	int failed;

	snprintf(pfx, sizeof(pfx), "tp%d", (int)getpid());
	if (rte_eal_init(13, argv) < 0)
		return 1;
	p_mp = rte_pktmbuf_pool_create("p_pool", 32767, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (p_mp == NULL)
		return 1;
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, clean_echo);
	tcase_add_test(tc, loss_1pct);
	tcase_add_test(tc, loss_5pct);
	tcase_add_test(tc, reorder_1pct);
	tcase_add_test(tc, dup_1pct);
	tcase_add_test(tc, mixed_faults);
	tcase_add_test(tc, loss_newreno_no_ts);
	tcase_add_test(tc, small_windows_nagle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(p_mp);
	{
		/* rte_eal_cleanup() leaves the empty runtime directory: remove it too. */
		char rundir[256];

		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		rmdir(rundir);
	}
	return failed == 0 ? 0 : 1;
}
