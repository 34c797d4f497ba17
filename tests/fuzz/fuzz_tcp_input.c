/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for TCP input (dataplane/tcp): each input is a conversation. A fresh TCP
 * instance listens on 8080 (SYN cookies per the first byte: off, on overflow, always); then each
 * record is one step:
 *   ctrl (1 byte), len (1 byte), then len bytes of TCP header + payload.
 *   ctrl bit 0: the ack field is relative to the ISS we last used towards that peer port (so the
 *               fuzzer can complete handshakes and acknowledge data); bit 1: before the segment,
 *               advance the clock by (ctrl >> 4) * 40 ms and run the timers; bit 2: the
 *               application queues ctrl>>4 * 100 bytes on the accepted stream; bit 3: the
 *               application closes (or with bit 2, shuts down writing) the accepted stream.
 * The destination port is forced to 8080 and the source to one of four ports, so records reach
 * the listener and the connections they create. Segments the stack emits are parsed and freed by
 * this file's dp_ip4_output(). Properties: no crash or out-of-bounds access (ASan/UBSan), and
 * after dp_tcp_fini() every mbuf is back in the pool (a leak aborts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp/ip4.h"
#include "dp/stream.h"
#include "dp/tcp.h"
#include "dp/timer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FT_POOL 1023
#define FT_LIP 0xC6120002u
#define FT_RIP 0xC6120001u

static struct rte_mempool *ft_pool;
static void *ft_tmem, *ft_wmem;
static uint32_t ft_iss[4];
static struct dp_stream *ft_s[4];

static unsigned
ft_slot(uint16_t rport)
{
	return rport & 3;
}

unsigned
dp_ip4_tx_room(struct dp_net *n)
{
	(void)n;
	return 1u << 20; /* no TX buffer here: the output is consumed at once */
}

int
dp_ip4_output(struct dp_net *n, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip, uint8_t proto)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);

	(void)n;
	(void)src_ip;
	(void)dst_ip;
	(void)proto;
	if (m->data_len >= 20 && (b[13] & 0x02)) { /* SYN: remember our ISS for that port */
		uint16_t dport = (uint16_t)(b[2] << 8 | b[3]);

		ft_iss[ft_slot(dport)] =
			(uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	}
	rte_pktmbuf_free(m);
	return 0;
}

static void *
ft_accept(void *lctx, struct dp_stream *s)
{
	(void)lctx;
	ft_s[ft_slot(s->remote.port)] = s;
	return &ft_s[ft_slot(s->remote.port)];
}

static void
ft_data(void *ctx, struct dp_stream *s, struct rte_mbuf *chain)
{
	(void)ctx;
	(void)s;
	rte_pktmbuf_free(chain);
}

static void
ft_closed(void *ctx, struct dp_stream *s, int err)
{
	struct dp_stream **slot = ctx;

	(void)s;
	(void)err;
	*slot = NULL;
}

static const struct dp_stream_cbs ft_cbs = {
	.accept = ft_accept,
	.data = ft_data,
	.closed = ft_closed,
};

/* libFuzzer ends the process itself: remove EAL's (empty) runtime directory at exit. */
static char fuzz_rundir[256];

static void
fuzz_rundir_remove(void)
{
	if (fuzz_rundir[0] != '\0')
		rmdir(fuzz_rundir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = {(*argv)[0],
		       "-l",
		       "0",
		       "--no-huge",
		       "-m",
		       "64",
		       "--no-pci",
		       "--no-shconf",
		       "--no-telemetry",
		       "--log-level=*:crit",
		       "--file-prefix",
		       prefix,
		       NULL};
	struct dp_timer_wheel_conf wc = {.tick_us = 100, .start_us = 1000000};
	struct dp_tcp_conf c;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "fztcp%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		abort();
	snprintf(fuzz_rundir, sizeof(fuzz_rundir), "%s", rte_eal_get_runtime_dir());
	atexit(fuzz_rundir_remove);
	ft_pool = rte_pktmbuf_pool_create("ft_pool", FT_POOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	if (ft_pool == NULL)
		abort();
	dp_tcp_conf_defaults(&c);
	c.max_conns = 8;
	c.hdr_pool = ft_pool;
	c.clone_pool = ft_pool;
	c.wheel = (struct dp_timer_wheel *)1; /* only for the size */
	if (posix_memalign(&ft_tmem, 64, dp_tcp_memsize(&c)) != 0 ||
	    posix_memalign(&ft_wmem, 64, dp_timer_wheel_memsize(&wc)) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_timer_wheel_conf wc = {.tick_us = 100, .start_us = 1000000};
	struct dp_addr4 l = {.ip = 0, .port = 8080};
	unsigned baseline = rte_mempool_avail_count(ft_pool);
	struct dp_timer_wheel *w;
	struct dp_tcp_conf c;
	struct dp_tcp *t;
	uint64_t now = 1000000;
	size_t off = 1;

	if (size < 1)
		return 0;
	memset(ft_iss, 0, sizeof(ft_iss));
	memset(ft_s, 0, sizeof(ft_s));
	w = dp_timer_wheel_init(ft_wmem, &wc);
	dp_tcp_conf_defaults(&c);
	c.local_ip = FT_LIP;
	c.max_conns = 8;
	c.max_time_wait = 2;
	c.syn_backlog = 2;
	c.syncookies = data[0] % 3;
	c.hdr_pool = ft_pool;
	c.clone_pool = ft_pool;
	c.wheel = w;
	c.ooo_max_segs = 8;
	c.rcv_buf_bytes = 8192;
	c.snd_buf_bytes = 8192;
	c.keepalive_idle_us = (data[0] & 0x80) ? 200000 : 0;
	c.secret[0] = 1;
	c.secret[2] = 2;
	t = dp_tcp_init(ft_tmem, &c);
	if (w == NULL || t == NULL)
		abort();
	dp_tcp_set_now(t, now);
	if (dp_stack_listen(dp_tcp_stack(t), &l, &ft_cbs, NULL) != 0)
		abort();
	while (off + 2 <= size) {
		uint8_t ctrl = data[off], len = data[off + 1];
		struct dp_stream **sp;
		struct rte_mbuf *m;
		uint8_t *p;
		uint16_t sport;

		off += 2;
		if (len > size - off)
			len = (uint8_t)(size - off);
		if (ctrl & 0x02) {
			now += (uint64_t)(ctrl >> 4) * 40000;
			dp_tcp_set_now(t, now);
			dp_timer_wheel_advance(w, now);
		}
		if (len >= 4) {
			m = rte_pktmbuf_alloc(ft_pool);
			if (m == NULL)
				abort();
			p = (uint8_t *)rte_pktmbuf_append(m, len < 20 ? 20 : len);
			memset(p, 0, 20);
			memcpy(p, data + off, len);
			sport = (uint16_t)(40000 + (p[1] & 3));
			p[0] = (uint8_t)(sport >> 8);
			p[1] = (uint8_t)sport;
			p[2] = 8080 >> 8;
			p[3] = 8080 & 0xff;
			if (ctrl & 0x01) {
				uint32_t a = ((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
					      (uint32_t)p[10] << 8 | p[11]) +
					     ft_iss[ft_slot(sport)];

				p[8] = (uint8_t)(a >> 24);
				p[9] = (uint8_t)(a >> 16);
				p[10] = (uint8_t)(a >> 8);
				p[11] = (uint8_t)a;
			}
			dp_tcp_input(t, m, FT_RIP, FT_LIP);
			sp = &ft_s[ft_slot(sport)];
			dp_stack_poll(dp_tcp_stack(t), now);
			if (*sp != NULL && (ctrl & 0x04)) {
				struct rte_mbuf *d = rte_pktmbuf_alloc(ft_pool);
				uint16_t n = (uint16_t)((ctrl >> 4) * 100 + 1);

				if (d == NULL)
					abort();
				memset(rte_pktmbuf_append(d, n), 0xab, n);
				if (dp_stream_send(*sp, d) != 0)
					rte_pktmbuf_free(d);
				if (ctrl & 0x08)
					(void)dp_stream_shutdown_wr(*sp);
			} else if (*sp != NULL && (ctrl & 0x08)) {
				dp_stream_close(*sp);
			}
			dp_stack_flush(dp_tcp_stack(t));
		}
		off += len;
	}
	dp_tcp_fini(t);
	if (rte_mempool_avail_count(ft_pool) != baseline) {
		fprintf(stderr, "mbuf leak: %u of %u\n", rte_mempool_avail_count(ft_pool),
			baseline);
		abort();
	}
	return 0;
}
