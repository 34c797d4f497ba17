/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP scenario tests (TCP.md 7.2), packetdrill style: each test is a script of rows run by
 * tcp_harness.c against the TCP library with a fake IPv4 layer and a fake clock. Fixtures fail on
 * mbuf leaks. Covers handshakes both ways, options, RST rules (RFC 5961), out-of-order and SACK,
 * RTO backoff and Karn, fast retransmit (NewReno and SACK), zero window and persist, delayed and
 * quick ACK, FIN/half-close, simultaneous open and close, TIME-WAIT, keepalive and SYN cookies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <dp/ip4.h>
#include <dp/proto/tcp.h>
#include <dp/tcp.h>

#include "tcp_harness.h"

static struct h_env *
env_new(void)
{
	struct h_env *e = calloc(1, sizeof(*e));

	ck_assert_ptr_nonnull(e);
	h_env_conf(e);
	return e;
}

#define START(e)                                                                                   \
	do {                                                                                       \
		h_env_start(e);                                                                    \
		ck_assert_msg(!(e)->failed, "%s", (e)->fail);                                      \
	} while (0)
#define RUN(e, rows) ck_assert_msg(h_run((e), (rows)), "%s", (e)->fail)
#define STOP(e)                                                                                    \
	do {                                                                                       \
		bool ok_ = h_env_stop(e);                                                          \
		ck_assert_msg(ok_, "%s", (e)->fail);                                               \
		free(e);                                                                           \
	} while (0)
#define CNT(e, n) dp_tcp_counter((e)->t, DP_TCP_CNT_##n)

static struct dp_tcp_info
info_of(struct h_env *e, uint16_t rport)
{
	struct dp_tcp_info i;
	struct h_app *a = h_app_for(e, rport);

	memset(&i, 0, sizeof(i));
	if (a->s == NULL)
		h_failf(e, "no stream for port %u", rport);
	else
		dp_tcp_get_info(a->s, &i);
	return i;
}

static void
do_listen(struct h_env *e)
{
	h_listen(e, H_LPORT);
}

static void
do_connect(struct h_env *e)
{
	h_connect(e, H_RPORT);
}

static void
send_1000(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 1000) != 0)
		h_failf(e, "send failed");
}

static void
send_100(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 100) != 0)
		h_failf(e, "send failed");
}

static void
do_close(struct h_env *e)
{
	dp_stream_close(h_app_for(e, 0)->s);
}

static void
do_shutdown(struct h_env *e)
{
	if (dp_stream_shutdown_wr(h_app_for(e, 0)->s) != 0)
		h_failf(e, "shutdown_wr failed");
}

/* The passive handshake with Linux's SYN options (TS, SACK, wscale 7). */
#define PASSIVE_OPEN                                                                               \
	CALL(0, do_listen), IN(0, "S", 0, 0, 65535, "mss=1460 sackok ts=100:0 ws=7", 0),           \
		OUT(0, "S.", 0, 1, 65535, "layout=020405b40402080atttttttt0000006401030303", 0),   \
		IN(H_MS(10), ".", 1, 1, 1000, "ts=110", 0)

/* The same without timestamps and SACK (NewReno paths, 1460-byte segments). */
#define PASSIVE_OPEN_PLAIN                                                                         \
	CALL(0, do_listen), IN(0, "S", 0, 0, 65535, "mss=1460 ws=7", 0),                           \
		OUT(0, "S.", 0, 1, 65535, "layout=020405b401030303", 0),                           \
		IN(H_MS(10), ".", 1, 1, 1000, "", 0)

/* ---- handshakes ---- */

static void
chk_passive(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);
	struct dp_tcp_info i = info_of(e, 0);

	if (a->accepted != 1 || i.state != DP_TCP_ESTABLISHED)
		h_failf(e, "not accepted/established (%u, %d)", a->accepted, i.state);
	if (i.snd_wnd != 1000u << 7 || i.snd_wscale != 7 || i.rcv_wscale != 3 || !i.ts_ok ||
	    !i.sack_ok || i.smss != 1448)
		h_failf(e, "negotiation: wnd %u ws %u/%u ts %d sack %d smss %u", i.snd_wnd,
			i.snd_wscale, i.rcv_wscale, i.ts_ok, i.sack_ok, i.smss);
	if (i.srtt_us != 10000 || i.rto_us != 200000)
		h_failf(e, "rtt from the handshake: srtt %u rto %u", i.srtt_us, i.rto_us);
}

static void
chk_rx_100(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->rx_bytes != 100 || a->rx_bad)
		h_failf(e, "app got %lu bytes (bad %d)", (unsigned long)a->rx_bytes, a->rx_bad);
}

START_TEST(passive_3whs)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(10), chk_passive),
		IN(H_MS(20), "P.", 1, 1, 1000, "ts=120", 100),
		OUT(H_MS(20), ".", 1, 101, -1, "ts=*:120", 0),
		CALL(H_MS(21), chk_rx_100),
		CALL(H_MS(30), send_100),
		OUT(H_MS(30), "P.", 1, 101, -1, "ts=*:120", 100),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_connected(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);
	struct dp_tcp_info i = info_of(e, 0);

	if (a->connected_calls != 1 || a->connected_err != 0 || i.state != DP_TCP_ESTABLISHED)
		h_failf(e, "connected %u err %d state %d", a->connected_calls, a->connected_err,
			i.state);
	if (i.snd_wscale != 7 || i.snd_wnd != 65535 || i.smss != 1448)
		h_failf(e, "synack window must not be scaled: wnd %u ws %u smss %u", i.snd_wnd,
			i.snd_wscale, i.smss);
}

START_TEST(active_3whs)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_connect),
		OUT(0, "S", 0, 0, 65535, "layout=020405b40402080atttttttt0000000001030303", 0),
		IN(H_MS(5), "S.", 0, 1, 65535, "mss=1460 sackok ts=500 ws=7", 0),
		OUT(H_MS(5), ".", 1, 1, -1, "ts=*:500", 0),
		CALL(H_MS(6), chk_connected),
		CALL(H_MS(10), send_1000),
		OUT(H_MS(10), "P.", 1, 1, -1, "ts=*:500", 1000),
		IN(H_MS(15), ".", 1, 1001, 1000, "ts=510", 0),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_plain(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (i.ts_ok || i.sack_ok || i.snd_wscale != 0 || i.rcv_wscale != 0 || i.smss != 536)
		h_failf(e, "bare SYN: ts %d sack %d ws %u/%u smss %u", i.ts_ok, i.sack_ok,
			i.snd_wscale, i.rcv_wscale, i.smss);
}

START_TEST(syn_no_opts)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 8192, "", 0),
		OUT(0, "S.", 0, 1, 65535, "layout=020405b4", 0),
		IN(H_MS(1), ".", 1, 1, 8192, "", 0),
		CALL(H_MS(1), chk_plain),
		CALL(H_MS(2), send_1000),
		OUT(H_MS(2), ".", 1, 1, 65535, "nots", 536),
		OUT(H_MS(2), "P.", 537, 1, 65535, "nots", 464),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_ws14(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (i.snd_wscale != 14 || i.snd_wnd != 2u << 14)
		h_failf(e, "ws 15 must be treated as 14: ws %u wnd %u", i.snd_wscale, i.snd_wnd);
}

START_TEST(ws_15)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 ws=15", 0),
		OUT(0, "S.", 0, 1, 65535, "ws=3", 0),
		IN(H_MS(1), ".", 1, 1, 2, "", 0),
		CALL(H_MS(1), chk_ws14),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_cwnd_1seg(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (i.cwnd != i.smss || i.rto_us != 3000000)
		h_failf(e, "after a SYN-ACK retransmit: cwnd %u (smss %u) rto %u", i.cwnd, i.smss,
			i.rto_us);
	if (dp_tcp_counter(e->t, DP_TCP_CNT_REXMIT_SYNACK) != 2)
		h_failf(e, "synack rexmits %lu",
			(unsigned long)dp_tcp_counter(e->t, DP_TCP_CNT_REXMIT_SYNACK));
}

START_TEST(synack_rexmit)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 sackok ts=100:0 ws=7", 0),
		OUT(0, "S.", 0, 1, 65535, "", 0),
		OUT(H_MS(1000), "S.", 0, 1, 65535, "", 0),
		OUT(H_MS(3000), "S.", 0, 1, 65535, "", 0),
		IN(H_MS(3100), ".", 1, 1, 1000, "ts=110", 0),
		CALL(H_MS(3100), chk_cwnd_1seg),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_timedout(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->connected_calls != 1 || a->connected_err != -ETIMEDOUT || a->closed_calls != 0)
		h_failf(e, "connect timeout: calls %u err %d closed %u", a->connected_calls,
			a->connected_err, a->closed_calls);
	if (dp_tcp_conn_count(e->t) != 0)
		h_failf(e, "connection left");
}

START_TEST(syn_timeout)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_connect),
		OUT(0, "S", 0, 0, 65535, "", 0),
		OUT(H_MS(1000), "S", 0, 0, 65535, "", 0),
		OUT(H_MS(3000), "S", 0, 0, 65535, "", 0),
		OUT(H_MS(7000), "S", 0, 0, 65535, "", 0),
		NOTHING(H_MS(14900)),
		CALL(H_MS(15100), chk_timedout),
		END,
	};

	e->conf.syn_retries = 3;
	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_estab(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (i.state != DP_TCP_ESTABLISHED || h_app_for(e, 0)->connected_calls != 1)
		h_failf(e, "state %d connected %u", i.state, h_app_for(e, 0)->connected_calls);
}

START_TEST(simul_open)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_connect),
		OUT(0, "S", 0, 0, 65535, "", 0),
		IN(H_MS(5), "S", 0, 0, 65535, "mss=1460 sackok ts=200:0 ws=7", 0),
		OUT(H_MS(5), "S.", 0, 1, 65535, "ts=*:200 ws=3 sackok", 0),
		IN(H_MS(10), "S.", 0, 1, 65535, "mss=1460 sackok ts=210 ws=7", 0),
		CALL(H_MS(10), chk_estab),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
set_refuse(struct h_env *e)
{
	h_app_for(e, 0)->refuse = true;
}

static void
chk_refused_gone(struct h_env *e)
{
	if (dp_tcp_conn_count(e->t) != 0 || h_app_for(e, 0)->accepted != 0)
		h_failf(e, "refused stream must be gone");
}

START_TEST(accept_refused)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, set_refuse),
		PASSIVE_OPEN,
		OUT(H_MS(10), "R.", 1, 1, 0, "", 0), /* accept() said no: reset */
		CALL(H_MS(11), chk_refused_gone),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

/* dp_tcp_fini: open streams get closed(-ESHUTDOWN), a pending connect connected(-ESHUTDOWN);
 * queued data is released (the pool check in h_env_stop). */
START_TEST(fini_shutdown)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(20), send_1000),
		OUT(H_MS(20), "P.", 1, 1, -1, "", 1000),
		END,
	};
	struct h_app *a, *c;
	bool ok;

	START(e);
	RUN(e, rows);
	h_connect(e, 40001);
	e->rd = e->ncap;
	a = h_app_for(e, 0);
	c = h_app_for(e, 40001);
	ok = h_env_stop(e);
	ck_assert_msg(ok, "%s", e->fail);
	ck_assert_uint_eq(a->closed_calls, 1);
	ck_assert_int_eq(a->closed_err, -ESHUTDOWN);
	ck_assert_uint_eq(c->connected_calls, 1);
	ck_assert_int_eq(c->connected_err, -ESHUTDOWN);
	ck_assert_uint_eq(c->closed_calls, 0);
	free(e);
}
END_TEST

/* ---- RST rules ---- */

static void
chk_refused(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->connected_err != -ECONNREFUSED || dp_tcp_conn_count(e->t) != 0)
		h_failf(e, "want ECONNREFUSED, got %d", a->connected_err);
}

static void
chk_still_synsent(struct h_env *e)
{
	if (h_app_for(e, 0)->connected_calls != 0 || dp_tcp_conn_count(e->t) != 1)
		h_failf(e, "a RST with a bad ACK must be ignored in SYN-SENT");
}

START_TEST(rst_synsent)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_connect),
		OUT(0, "S", 0, 0, 65535, "", 0),
		IN(H_MS(1), "R.", 0, 5, 0, "", 0),
		CALL(H_MS(1), chk_still_synsent),
		IN(H_MS(2), "R.", 0, 1, 0, "", 0),
		CALL(H_MS(2), chk_refused),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

START_TEST(closed_port)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		IN(0, "S", 0, 0, 65535, "mss=1460", 0),
		OUT(0, "R.", 0, 1, 0, "", 0),
		IN(H_MS(1), ".", 1, 777, 65535, "", 0),
		OUT(H_MS(1), "R", 777, H_ANY, 0, "", 0),
		IN(H_MS(2), "R", 1, 0, 0, "", 0),
		NOTHING(H_MS(3)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, DROP_NO_LISTENER), 2);
	ck_assert_uint_eq(CNT(e, DROP_CLOSED_RST), 1);
	STOP(e);
}
END_TEST

static void
chk_alive(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->s == NULL || a->closed_calls != 0)
		h_failf(e, "connection should still be alive");
}

static void
chk_reset(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->closed_calls != 1 || a->closed_err != -ECONNRESET || dp_tcp_conn_count(e->t) != 0)
		h_failf(e, "want closed(-ECONNRESET): calls %u err %d", a->closed_calls,
			a->closed_err);
}

START_TEST(rst_inwindow)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "R", 11, 0, 0, "", 0),
		OUT(H_MS(20), ".", 1, 1, -1, "", 0), /* challenge ACK (RFC 5961 3.2) */
		CALL(H_MS(21), chk_alive),
		IN(H_MS(30), "R", 1000000, 0, 0, "", 0), /* out of window: silently dropped */
		NOTHING(H_MS(31)),
		CALL(H_MS(31), chk_alive),
		IN(H_MS(40), "S", 500, 0, 65535, "mss=1460", 0),
		OUT(H_MS(40), ".", 1, 1, -1, "", 0), /* SYN: challenge ACK (RFC 5961 4.2) */
		CALL(H_MS(41), chk_alive),
		IN(H_MS(50), "R", 1, 0, 0, "", 0), /* exact: reset */
		CALL(H_MS(51), chk_reset),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, DROP_RST_CHALLENGED), 1);
	ck_assert_uint_eq(CNT(e, DROP_RST_OUT_OF_WINDOW), 1);
	ck_assert_uint_eq(CNT(e, DROP_SYN_CHALLENGED), 1);
	ck_assert_uint_eq(CNT(e, ESTAB_RESETS), 1);
	STOP(e);
}
END_TEST

START_TEST(chack_ratelimit)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {PASSIVE_OPEN, END};
	struct h_row rst = IN(H_MS(20), "R", 11, 0, 0, "", 0);
	unsigned i;

	START(e);
	RUN(e, rows);
	h_advance(e, e->t0 + H_MS(20));
	for (i = 0; i < 100; i++)
		h_inject(e, &rst);
	ck_assert_uint_eq(e->ncap - e->rd, 10); /* conf.chack_per_sec */
	ck_assert_uint_eq(CNT(e, CHALLENGE_ACKS_LIMITED), 90);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

static void
chk_rx_0(struct h_env *e)
{
	if (h_app_for(e, 0)->rx_bytes != 0)
		h_failf(e, "data must not be delivered");
}

START_TEST(ack_unsent)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "P.", 1, 1000, 1000, "ts=120", 100),
		OUT(H_MS(20), ".", 1, 1, -1, "", 0),
		CALL(H_MS(21), chk_rx_0),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, DROP_ACK_UNSENT), 1);
	STOP(e);
}
END_TEST

START_TEST(seq_outwindow)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "P.", 300001, 1, 1000, "ts=120", 100),
		OUT(H_MS(20), ".", 1, 1, -1, "", 0),
		CALL(H_MS(21), chk_rx_0),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, DROP_SEQ_OUT_OF_WINDOW), 1);
	STOP(e);
}
END_TEST

START_TEST(paws)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "P.", 1, 1, 1000, "ts=50", 100), /* older than TS.Recent 110 */
		OUT(H_MS(20), ".", 1, 1, -1, "ts=*:110", 0),
		CALL(H_MS(21), chk_rx_0),
		IN(H_MS(30), "R", 1, 0, 0, "ts=40", 0), /* RSTs are exempt */
		CALL(H_MS(31), chk_reset),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, DROP_PAWS), 1);
	STOP(e);
}
END_TEST

/* ---- out of order, SACK ---- */

static void
chk_rx_2000(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->rx_bytes != 2000 || a->rx_bad)
		h_failf(e, "app got %lu bytes (bad %d)", (unsigned long)a->rx_bytes, a->rx_bad);
}

START_TEST(ooo_sack)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "P.", 1001, 1, 1000, "ts=120", 1000),
		OUT(H_MS(20), ".", 1, 1, -1, "sack=1001:2001", 0),
		CALL(H_MS(21), chk_rx_0),
		IN(H_MS(30), "P.", 1, 1, 1000, "ts=130", 1000),
		OUT(H_MS(30), ".", 1, 2001, -1, "nosack", 0),
		CALL(H_MS(31), chk_rx_2000),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

START_TEST(sack_order)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "P.", 1001, 1, 1000, "ts=120", 100),
		OUT(H_MS(20), ".", 1, 1, -1, "sack=1001:1101", 0),
		IN(H_MS(21), "P.", 2001, 1, 1000, "ts=121", 100),
		OUT(H_MS(21), ".", 1, 1, -1, "sack=2001:2101/1001:1101", 0),
		IN(H_MS(22), "P.", 3001, 1, 1000, "ts=122", 100),
		OUT(H_MS(22), ".", 1, 1, -1, "sack=3001:3101/2001:2101/1001:1101", 0),
		IN(H_MS(23), "P.", 5001, 1, 1000, "ts=123", 100),
		OUT(H_MS(23), ".", 1, 1, -1, "sack=5001:5101/3001:3101/2001:2101", 0),
		IN(H_MS(24), "P.", 1101, 1, 1000, "ts=124", 100), /* extends block 1001 */
		OUT(H_MS(24), ".", 1, 1, -1, "sack=1001:1201/5001:5101/3001:3101", 0),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_rx_1500(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->rx_bytes != 1500 || a->rx_bad)
		h_failf(e, "app got %lu bytes (bad %d)", (unsigned long)a->rx_bytes, a->rx_bad);
}

START_TEST(overlap_trim)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "P.", 1, 1, 1000, "ts=120", 1000),
		OUT(H_MS(20), ".", 1, 1001, -1, "", 0),
		IN(H_MS(30), "P.", 501, 1, 1000, "ts=130", 1000),
		OUT(H_MS(30), ".", 1, 1501, -1, "", 0),
		CALL(H_MS(31), chk_rx_1500),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_no_eof(struct h_env *e)
{
	if (h_app_for(e, 0)->peer_closed != 0)
		h_failf(e, "EOF before the gap was filled");
}

static void
chk_eof(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->peer_closed != 1 || a->rx_bytes != 1000 || a->rx_bad ||
	    info_of(e, 0).state != DP_TCP_CLOSE_WAIT)
		h_failf(e, "want EOF after 1000 bytes: eof %u rx %lu", a->peer_closed,
			(unsigned long)a->rx_bytes);
}

START_TEST(ooo_fin)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "F.", 501, 1, 1000, "ts=120", 500),
		OUT(H_MS(20), ".", 1, 1, -1, "sack=501:1001", 0),
		CALL(H_MS(21), chk_no_eof),
		IN(H_MS(30), "P.", 1, 1, 1000, "ts=130", 500),
		OUT(H_MS(30), ".", 1, 1002, -1, "nosack", 0),
		CALL(H_MS(31), chk_eof),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

START_TEST(ooo_cap)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {PASSIVE_OPEN, END};
	unsigned i, base;

	e->conf.ooo_max_segs = 32;
	START(e);
	RUN(e, rows);
	base = rte_mempool_avail_count(h_pool());
	/* 10,000 one-byte segments, each leaving a hole below it. */
	for (i = 0; i < 10000; i++) {
		struct h_row r = IN(H_MS(20), "P.", 3 + 2 * i, 1, 1000, "ts=120", 1);

		if (i == 0)
			h_advance(e, e->t0 + H_MS(20));
		h_inject(e, &r);
		ck_assert_uint_le(info_of(e, 0).ooo_segs, 32);
		e->ncap = e->rd = 0; /* each one drew a dup ACK; not of interest here */
	}
	ck_assert_uint_ge(rte_mempool_avail_count(h_pool()) + 40, base);
	ck_assert_uint_ge(CNT(e, DROP_OOO_FULL), 10000 - 32);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

/* ---- retransmission ---- */

static void
chk_rto(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (dp_tcp_counter(e->t, DP_TCP_CNT_REXMIT_RTO) != 3)
		h_failf(e, "rto count %lu",
			(unsigned long)dp_tcp_counter(e->t, DP_TCP_CNT_REXMIT_RTO));
	if (i.ssthresh != 2 * i.smss || i.cwnd != i.smss + 1000)
		h_failf(e, "after RTO: ssthresh %u cwnd %u smss %u", i.ssthresh, i.cwnd, i.smss);
}

START_TEST(rto_backoff)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_1000),
		OUT(H_MS(100), "P.", 1, 1, -1, "", 1000),
		OUT(H_MS(300), "P.", 1, 1, -1, "", 1000),  /* RTO 200 ms */
		OUT(H_MS(700), "P.", 1, 1, -1, "", 1000),  /* 400 ms */
		OUT(H_MS(1500), "P.", 1, 1, -1, "", 1000), /* 800 ms */
		IN(H_MS(1510), ".", 1, 1001, 1000, "ts=200", 0),
		CALL(H_MS(1511), chk_rto),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
send_3000(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 3000) != 0)
		h_failf(e, "send failed");
}

/* send_3000 at 100 ms: two full segments and a 104-byte tail leave at once (timestamps on). */
#define SEND_3000_AT_100                                                                           \
	CALL(H_MS(100), send_3000), OUT(H_MS(100), ".", 1, 1, -1, "", 1448),                         \
		OUT(H_MS(100), ".", 1449, 1, -1, "", 1448), OUT(H_MS(100), "P.", 2897, 1, -1, "", 104)

/* After a timeout SND.NXT goes back to SND.UNA; a pure ACK sent then must still carry the highest
 * sequence sent, or Linux drops it as below its window (and never sees the acknowledgment). */
START_TEST(ack_seq_after_rto)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		SEND_3000_AT_100,
		/* Tail loss probe at 2 * SRTT (RFC 8985 7.3): no new data, so the last full
		 * segment's worth of bytes again. */
		OUT(H_MS(120), "P.", 1553, 1, -1, "", 1448),
		OUT(H_MS(320), ".", 1, 1, -1, "", 1448), /* RTO: back to SND.UNA, cwnd 1 */
		IN(H_MS(330), "P.", 1, 1, 1000, "ts=300", 100),
		OUT(H_MS(330), ".", 3001, 101, -1, "", 0), /* SEQ = SND.MAX, not 1449 */
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_karn(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (i.srtt_us != 10000 || i.rto_us != 800000)
		h_failf(e, "Karn: srtt %u (want 10000) rto %u (want the backed-off 800000)",
			i.srtt_us, i.rto_us);
}

START_TEST(karn)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN_PLAIN,
		CALL(H_MS(100), send_1000),
		OUT(H_MS(100), "P.", 1, 1, -1, "nots", 1000),
		OUT(H_MS(300), "P.", 1, 1, -1, "", 1000),
		OUT(H_MS(700), "P.", 1, 1, -1, "", 1000),
		IN(H_MS(750), ".", 1, 1001, 1000, "", 0),
		CALL(H_MS(751), chk_karn),
		CALL(H_MS(800), send_1000),
		OUT(H_MS(800), "P.", 1001, 1, -1, "", 1000),
		IN(H_MS(810), ".", 1, 2001, 1000, "", 0), /* clean sample: RTO recomputed */
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(info_of(e, 0).rto_us, 200000);
	STOP(e);
}
END_TEST

static void
send_5seg(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 5 * 1460) != 0)
		h_failf(e, "send failed");
}

START_TEST(newreno_fr)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN_PLAIN,
		CALL(H_MS(100), send_5seg),
		OUT(H_MS(100), ".", 1, 1, -1, "", 1460),
		OUT(H_MS(100), ".", 1461, 1, -1, "", 1460),
		OUT(H_MS(100), ".", 2921, 1, -1, "", 1460),
		OUT(H_MS(100), ".", 4381, 1, -1, "", 1460),
		OUT(H_MS(100), "P.", 5841, 1, -1, "", 1460),
		IN(H_MS(110), ".", 1, 1, 1000, "", 0),
		IN(H_MS(111), ".", 1, 1, 1000, "", 0),
		NOTHING(H_MS(111)),
		IN(H_MS(112), ".", 1, 1, 1000, "", 0),
		OUT(H_MS(112), ".", 1, 1, -1, "", 1460),    /* fast retransmit */
		IN(H_MS(120), ".", 1, 2921, 1000, "", 0),   /* partial ACK */
		OUT(H_MS(120), ".", 2921, 1, -1, "", 1460), /* next hole (RFC 6582) */
		IN(H_MS(130), ".", 1, 7301, 1000, "", 0),   /* full ACK */
		NOTHING(H_MS(500)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_FAST), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_PARTIAL), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert(!info_of(e, 0).in_recovery);
	STOP(e);
}
END_TEST

static void
send_12seg(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 12 * 1460) != 0)
		h_failf(e, "send failed");
}

static void
chk_cwnd_iw(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (i.cwnd != 10 * 1460 || i.in_recovery)
		h_failf(e, "limited transmit must leave cwnd alone: %u (recovery %d)", i.cwnd,
			i.in_recovery);
}

/* RFC 3042: with cwnd full (IW10), dup ACKs 1 and 2 each release one new segment; the third
 * starts fast retransmit. */
START_TEST(limited_xmit)
{
	struct h_env *e = env_new();
	struct h_row rows[32] = { PASSIVE_OPEN_PLAIN, CALL(H_MS(100), send_12seg) };
	unsigned i, n = 5;

	for (i = 0; i < 10; i++)
		rows[n++] = (struct h_row)OUT(H_MS(100), ".", 1 + 1460 * i, 1, -1, "", 1460);
	rows[n++] = (struct h_row)NOTHING(H_MS(105));
	rows[n++] = (struct h_row)IN(H_MS(110), ".", 1, 1, 1000, "", 0);
	rows[n++] = (struct h_row)OUT(H_MS(110), ".", 1 + 1460 * 10, 1, -1, "", 1460);
	rows[n++] = (struct h_row)CALL(H_MS(110), chk_cwnd_iw);
	rows[n++] = (struct h_row)IN(H_MS(111), ".", 1, 1, 1000, "", 0);
	rows[n++] = (struct h_row)OUT(H_MS(111), ".", 1 + 1460 * 11, 1, -1, "", 1460);
	rows[n++] = (struct h_row)IN(H_MS(112), ".", 1, 1, 1000, "", 0);
	rows[n++] = (struct h_row)OUT(H_MS(112), ".", 1, 1, -1, "", 1460);
	rows[n++] = (struct h_row)END;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_FAST), 1);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

/* send_8seg at 100 ms with IW10: the 8 segments leave at once (timestamps on: 1448 bytes each). */
#define OUT_8SEG_AT_100                                                                            \
	OUT(H_MS(100), ".", 1, 1, -1, "", 1448), OUT(H_MS(100), ".", 1449, 1, -1, "", 1448),        \
		OUT(H_MS(100), ".", 2897, 1, -1, "", 1448),                                        \
		OUT(H_MS(100), ".", 4345, 1, -1, "", 1448),                                        \
		OUT(H_MS(100), ".", 5793, 1, -1, "", 1448),                                        \
		OUT(H_MS(100), ".", 7241, 1, -1, "", 1448),                                        \
		OUT(H_MS(100), ".", 8689, 1, -1, "", 1448),                                        \
		OUT(H_MS(100), "P.", 10137, 1, -1, "", 1448)

static void
send_8seg(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 8 * 1448) != 0)
		h_failf(e, "send failed");
}

START_TEST(sack_recovery)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_8seg),
		OUT_8SEG_AT_100,
		/* segments 1 and 4 lost */
		IN(H_MS(110), ".", 1, 1, 1000, "ts=200 sack=1449:4345", 0),
		IN(H_MS(111), ".", 1, 1, 1000, "ts=201 sack=5793:7241/1449:4345", 0),
		IN(H_MS(112), ".", 1, 1, 1000, "ts=202 sack=5793:8689/1449:4345", 0),
		OUT(H_MS(112), ".", 1, 1, -1, "", 1448),    /* first hole */
		OUT(H_MS(112), ".", 4345, 1, -1, "", 1448), /* second hole, within pipe */
		IN(H_MS(120), ".", 1, 11585, 1000, "ts=210", 0),
		NOTHING(H_MS(500)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_FAST), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_SACK), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert(!info_of(e, 0).in_recovery);
	STOP(e);
}
END_TEST

static void
send_2seg(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 2 * 1448) != 0)
		h_failf(e, "send failed");
}

static void
send_10seg(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 10 * 1448) != 0)
		h_failf(e, "send failed");
}

/* Traffic both ways: the peer's ACKs ride on its data, so none is a duplicate by RFC 5681's five
 * conditions. ACKs that SACK new data count all the same (RFC 6675), or a loss waits for the RTO. */
START_TEST(sack_on_data_acks)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_8seg),
		OUT_8SEG_AT_100,
		/* segment 1 lost; every ACK carries 100 bytes of the peer's data */
		IN(H_MS(110), "P.", 1, 1, 1000, "ts=200 sack=1449:2897", 100),
		OUT(H_MS(110), ".", 11585, 101, -1, "", 0),
		IN(H_MS(111), "P.", 101, 1, 1000, "ts=201 sack=1449:4345", 100),
		OUT(H_MS(111), ".", 11585, 201, -1, "", 0),
		IN(H_MS(112), "P.", 201, 1, 1000, "ts=202 sack=1449:5793", 100),
		OUT(H_MS(112), ".", 1, 301, -1, "", 1448), /* fast retransmit, ACK riding on it */
		IN(H_MS(120), ".", 301, 11585, 1000, "ts=210", 0),
		NOTHING(H_MS(500)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_FAST), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 0);
	ck_assert(!info_of(e, 0).in_recovery);
	STOP(e);
}
END_TEST

/* A retransmission lost in recovery: once data first sent after it is SACKed, the hole is resent
 * at once (REXMIT_LOST), not at the RTO. cwnd is ssthresh = 5 segments after the 10-segment
 * flight halves; new data goes out as SACKs drain the pipe. */
START_TEST(lost_rexmit)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_10seg),
		OUT(H_MS(100), ".", 1, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 1449, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 2897, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 4345, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 5793, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 7241, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 8689, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 10137, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 11585, 1, -1, "", 1448),
		OUT(H_MS(100), "P.", 13033, 1, -1, "", 1448),
		IN(H_MS(110), ".", 1, 1, 1000, "ts=200 sack=1449:2897", 0),
		IN(H_MS(111), ".", 1, 1, 1000, "ts=201 sack=1449:4345", 0),
		IN(H_MS(112), ".", 1, 1, 1000, "ts=202 sack=1449:5793", 0),
		OUT(H_MS(112), ".", 1, 1, -1, "", 1448), /* fast retransmit: lost as well */
		CALL(H_MS(113), send_2seg),
		NOTHING(H_MS(113)), /* pipe 7 segments > cwnd 5 */
		IN(H_MS(114), ".", 1, 1, 1000, "ts=204 sack=1449:10137", 0),
		OUT(H_MS(114), ".", 14481, 1, -1, "", 1448),
		IN(H_MS(115), ".", 1, 1, 1000, "ts=205 sack=1449:11585", 0),
		OUT(H_MS(115), "P.", 15929, 1, -1, "", 1448),
		IN(H_MS(116), ".", 1, 1, 1000, "ts=206 sack=1449:14481", 0),
		NOTHING(H_MS(116)),
		/* 14481 was first sent after the retransmission and arrived: that one is lost */
		IN(H_MS(117), ".", 1, 1, 1000, "ts=207 sack=1449:15929", 0),
		OUT(H_MS(117), ".", 1, 1, -1, "", 1448),
		IN(H_MS(125), ".", 1, 17377, 1000, "ts=215", 0),
		NOTHING(H_MS(500)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_FAST), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_LOST), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert(!info_of(e, 0).in_recovery);
	STOP(e);
}
END_TEST

/* One ACK both covers the fast retransmission (it arrived) and SACKs data first sent after it
 * (segment 9 was lost too): no retransmission was lost, so REXMIT_LOST must not count one. The
 * check has to look at SND.UNA after this ACK, not before it. */
START_TEST(lost_rexmit_acked)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_10seg),
		OUT(H_MS(100), ".", 1, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 1449, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 2897, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 4345, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 5793, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 7241, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 8689, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 10137, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 11585, 1, -1, "", 1448),
		OUT(H_MS(100), "P.", 13033, 1, -1, "", 1448),
		IN(H_MS(110), ".", 1, 1, 1000, "ts=200 sack=1449:2897", 0),
		IN(H_MS(111), ".", 1, 1, 1000, "ts=201 sack=1449:4345", 0),
		IN(H_MS(112), ".", 1, 1, 1000, "ts=202 sack=1449:5793", 0),
		OUT(H_MS(112), ".", 1, 1, -1, "", 1448), /* fast retransmit */
		CALL(H_MS(113), send_2seg),
		NOTHING(H_MS(113)),
		IN(H_MS(114), ".", 1, 1, 1000, "ts=204 sack=1449:10137", 0),
		OUT(H_MS(114), ".", 14481, 1, -1, "", 1448),
		IN(H_MS(115), ".", 1, 1, 1000, "ts=205 sack=1449:11585", 0),
		OUT(H_MS(115), "P.", 15929, 1, -1, "", 1448),
		/* the retransmission arrived; segment 9 is missing, 10 and the first new one not */
		IN(H_MS(116), ".", 1, 11585, 1000, "ts=206 sack=13033:15929", 0),
		OUT(H_MS(116), ".", 11585, 1, -1, "", 1448), /* partial ACK: the next hole */
		IN(H_MS(125), ".", 1, 17377, 1000, "ts=215", 0),
		NOTHING(H_MS(500)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_FAST), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_LOST), 0);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert(!info_of(e, 0).in_recovery);
	STOP(e);
}
END_TEST

/* The retransmission is lost and nothing is sent after it, so SACK cannot show it: the probe
 * timeout (2 * SRTT = 20 ms) resends the first hole long before the 200 ms RTO. */
START_TEST(recovery_probe)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_8seg),
		OUT_8SEG_AT_100,
		IN(H_MS(110), ".", 1, 1, 1000, "ts=200 sack=1449:2897", 0),
		IN(H_MS(111), ".", 1, 1, 1000, "ts=201 sack=1449:4345", 0),
		IN(H_MS(112), ".", 1, 1, 1000, "ts=202 sack=1449:11585", 0),
		OUT(H_MS(112), ".", 1, 1, -1, "", 1448),
		NOTHING(H_MS(131)),
		OUT(H_MS(132), ".", 1, 1, -1, "", 1448), /* the probe */
		IN(H_MS(140), ".", 1, 11585, 1000, "ts=230", 0),
		NOTHING(H_MS(600)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_FAST), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert(!info_of(e, 0).in_recovery);
	STOP(e);
}
END_TEST

/* A tail loss of two segments with no new data to send: the probe resends the last bytes and the
 * peer SACKs them, SND.UNA unmoved. That one SACK is all the peer will send (no more data goes
 * out to draw duplicate ACKs), so it must start fast recovery by itself: the probe was sent 2 *
 * SRTT after everything before it, and what is still missing below it is lost (RFC 8985 7.4,
 * RACK's time rule). Waiting for DupThresh would leave the hole to the RTO. */
START_TEST(tlp_tail_loss)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		SEND_3000_AT_100,
		/* the first segment arrives, the other two are lost */
		IN(H_MS(110), ".", 1, 1449, 1000, "ts=210", 0),
		NOTHING(H_MS(129)),
		OUT(H_MS(130), "P.", 1553, 1, -1, "", 1448), /* the probe at 2 * SRTT */
		IN(H_MS(140), ".", 1, 1449, 1000, "ts=230 sack=1553:3001", 0),
		OUT(H_MS(140), ".", 1449, 1, -1, "", 1448), /* the hole, at once */
		IN(H_MS(150), ".", 1, 3001, 1000, "ts=240", 0),
		NOTHING(H_MS(600)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 1);
	ck_assert_uint_eq(CNT(e, RECOVERY_ENTERED), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert(!info_of(e, 0).in_recovery);
	STOP(e);
}
END_TEST

/* Segment 7 of 8 lost, 8 SACKed, nothing new to send: the probe resends the hole. The last
 * segment, RFC 8985's default probe, is already SACKed: resending it draws only a duplicate
 * SACK, and the hole would wait for the RTO. */
START_TEST(tlp_sacked_tail)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_8seg),
		OUT_8SEG_AT_100,
		IN(H_MS(110), ".", 1, 8689, 1000, "ts=200 sack=10137:11585", 0),
		NOTHING(H_MS(129)),
		OUT(H_MS(130), ".", 8689, 1, -1, "", 1448), /* the probe: the hole */
		IN(H_MS(140), ".", 1, 11585, 1000, "ts=230", 0),
		NOTHING(H_MS(600)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	STOP(e);
}
END_TEST

/* Only our FIN is out and the probe timeout (2 * SRTT + the peer's delayed ACK allowance, 220
 * ms) comes before the RTO (1 s here): the probe is the FIN again. A probe that sends nothing
 * would only push the RTO back by 220 ms. */
START_TEST(tlp_fin_only)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), do_close),
		OUT(H_MS(100), "F.", 1, 1, -1, "", 0),
		NOTHING(H_MS(319)),
		OUT(H_MS(320), "F.", 1, 1, -1, "", 0), /* the probe */
		IN(H_MS(330), ".", 1, 2, 1000, "ts=230", 0),
		NOTHING(H_MS(3000)),
		END,
	};

	e->conf.rto_min_us = 1000000;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	STOP(e);
}
END_TEST

/* After a probe, a SACK that does not reach the probe's data (segment 2 SACKed, 1 not yet: late,
 * reordered ACKs) is no loss signal by itself: only the probe's own SACK is (RACK's rule: what was
 * sent before a delivered segment by more than the reordering window). No recovery. */
START_TEST(tlp_sack_below_probe)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_8seg),
		OUT_8SEG_AT_100,
		NOTHING(H_MS(119)),
		OUT(H_MS(120), "P.", 10137, 1, -1, "", 1448), /* the probe: the last segment */
		IN(H_MS(125), ".", 1, 1, 1000, "ts=225 sack=1449:2897", 0),
		NOTHING(H_MS(125)),
		IN(H_MS(126), ".", 1, 11585, 1000, "ts=226", 0),
		NOTHING(H_MS(600)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 1);
	ck_assert_uint_eq(CNT(e, RECOVERY_ENTERED), 0);
	STOP(e);
}
END_TEST

/* New data sent while the probe timer runs restarts it (RFC 8985 7.2): the probe is due 2 * SRTT
 * after the last transmission, not after the first one (here 135 ms, not 120 ms). */
START_TEST(tlp_restart_on_send)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), send_2seg),
		OUT(H_MS(100), ".", 1, 1, -1, "", 1448),
		OUT(H_MS(100), "P.", 1449, 1, -1, "", 1448),
		CALL(H_MS(115), send_2seg),
		OUT(H_MS(115), ".", 2897, 1, -1, "", 1448),
		OUT(H_MS(115), "P.", 4345, 1, -1, "", 1448),
		NOTHING(H_MS(134)),
		OUT(H_MS(135), "P.", 4345, 1, -1, "", 1448), /* the probe */
		IN(H_MS(140), ".", 1, 5793, 1000, "ts=240", 0),
		NOTHING(H_MS(600)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	STOP(e);
}
END_TEST

/* The probe is off when configured off: the same tail loss waits for the RTO. */
START_TEST(tlp_off)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		SEND_3000_AT_100,
		NOTHING(H_MS(299)),
		OUT(H_MS(300), ".", 1, 1, -1, "", 1448),
		IN(H_MS(310), ".", 1, 3001, 1000, "ts=300", 0),
		END,
	};

	e->conf.tlp = false;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_TLP), 0);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 1);
	STOP(e);
}
END_TEST

static void
tx_room_5(struct h_env *e)
{
	e->tx_room = 5;
}

/* A TX buffer of 5 entries per loop iteration, 2 kept for ACKs: the send loop stops after 3 data
 * segments and resumes in the next iteration, instead of building segments the TX path drops. */
START_TEST(tx_room)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(99), tx_room_5),
		CALL(H_MS(100), send_8seg),
		OUT(H_MS(100), ".", 1, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 1449, 1, -1, "", 1448),
		OUT(H_MS(100), ".", 2897, 1, -1, "", 1448),
		/* the next loop iterations (the harness steps the clock 1 ms) */
		OUT(H_MS(101), ".", 4345, 1, -1, "", 1448),
		OUT(H_MS(101), ".", 5793, 1, -1, "", 1448),
		OUT(H_MS(101), ".", 7241, 1, -1, "", 1448),
		OUT(H_MS(102), ".", 8689, 1, -1, "", 1448),
		OUT(H_MS(102), "P.", 10137, 1, -1, "", 1448),
		IN(H_MS(110), ".", 1, 11585, 1000, "ts=200", 0),
		NOTHING(H_MS(500)),
		END,
	};

	START(e);
	RUN(e, rows);
	/* 8 segments over at least 3 iterations (3 + 3 + 2) */
	ck_assert_uint_ge(CNT(e, SND_LIM_TX), 2);
	ck_assert_uint_eq(CNT(e, DROP_OUTPUT), 0);
	ck_assert_uint_eq(CNT(e, REXMIT_BYTES), 0);
	STOP(e);
}
END_TEST

static void
hold_on(struct h_env *e)
{
	dp_stream_rx_hold(h_app_for(e, 0)->s, true);
}

static void
release_2896(struct h_env *e)
{
	dp_stream_rx_release(h_app_for(e, 0)->s, 2896);
}

/* TCP.md 5.4: with receive accounting on, bytes the user still holds close the window (4 x 1448
 * held of a 5,792-byte buffer: zero window). Releasing them announces the window at once when it
 * at least doubles by an MSS or more; the user freeing its chains early does not matter, only what
 * it declares. */
START_TEST(rx_hold_window)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 sackok ts=100:0 ws=7", 0),
		OUT(0, "S.", 0, 1, 5792, "", 0),
		IN(H_MS(10), ".", 1, 1, 1000, "ts=110", 0),
		CALL(H_MS(20), hold_on),
		IN(H_MS(30), "P.", 1, 1, 1000, "ts=130", 1448),
		OUT(H_MS(30), ".", 1, 1449, 4344, "", 0),
		IN(H_MS(31), "P.", 1449, 1, 1000, "ts=131", 1448),
		OUT(H_MS(31), ".", 1, 2897, 2896, "", 0),
		IN(H_MS(32), "P.", 2897, 1, 1000, "ts=132", 1448),
		OUT(H_MS(32), ".", 1, 4345, 1448, "", 0),
		IN(H_MS(33), "P.", 4345, 1, 1000, "ts=133", 1448),
		OUT(H_MS(33), ".", 1, 5793, 0, "", 0), /* all held: zero window */
		CALL(H_MS(40), release_2896),
		OUT(H_MS(40), ".", 1, 5793, 2896, "", 0), /* window update */
		CALL(H_MS(50), release_2896),
		OUT(H_MS(50), ".", 1, 5793, 5792, "", 0),
		NOTHING(H_MS(100)),
		END,
	};

	e->conf.rcv_buf_bytes = 5792;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, WND_UPDATES), 2);
	ck_assert_uint_eq(h_app_for(e, 0)->s->rx_held, 0);
	STOP(e);
}
END_TEST

static void
frag_needed_1280(struct h_env *e)
{
	uint32_t iss = h_iss(e, H_RPORT);

	/* outside [SND.UNA, SND.MAX): ignored (RFC 5927) */
	dp_tcp_icmp_frag_needed(e->t, H_LOCAL_IP, H_LPORT, H_REMOTE_IP, H_RPORT, iss + 1 + 5000,
				1280);
	/* no such connection */
	dp_tcp_icmp_frag_needed(e->t, H_LOCAL_IP, H_LPORT, H_REMOTE_IP, H_RPORT + 1, iss + 1, 1280);
	/* in flight: the MSS drops to 1280 - 40 - 12 */
	dp_tcp_icmp_frag_needed(e->t, H_LOCAL_IP, H_LPORT, H_REMOTE_IP, H_RPORT, iss + 1 + 1448,
				1280);
	/* not lower than what is in use now */
	dp_tcp_icmp_frag_needed(e->t, H_LOCAL_IP, H_LPORT, H_REMOTE_IP, H_RPORT, iss + 1, 1400);
}

/* PMTUD (RFC 1191): a router cannot forward our 1500-byte packets and says so; every segment in
 * flight is lost, so all goes again at once in 1228-byte segments, with no congestion response. */
START_TEST(pmtud)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		SEND_3000_AT_100,
		CALL(H_MS(105), frag_needed_1280),
		OUT(H_MS(105), ".", 1, 1, -1, "", 1228),
		OUT(H_MS(105), ".", 1229, 1, -1, "", 1228),
		OUT(H_MS(105), "P.", 2457, 1, -1, "", 544),
		IN(H_MS(115), ".", 1, 3001, 1000, "ts=215", 0),
		NOTHING(H_MS(500)),
		END,
	};
	struct dp_tcp_info i;

	START(e);
	RUN(e, rows);
	i = info_of(e, 0);
	ck_assert_uint_eq(i.smss, 1228);
	ck_assert_uint_ge(i.cwnd, 10 * 1448); /* no congestion response */
	ck_assert_uint_eq(CNT(e, PMTU_UPDATES), 1);
	ck_assert_uint_eq(CNT(e, DROP_ICMP_SEQ), 2);
	ck_assert_uint_eq(CNT(e, DROP_ICMP_MTU), 1);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	STOP(e);
}
END_TEST

/* The ACK of the first original segment, arriving after the RTO resent it: its TSecr is the
 * originals' TSval (captured), older than the retransmission's. */
static void
ack_original_late(struct h_env *e)
{
	uint32_t iss = h_iss(e, H_RPORT), ecr = 0;
	static char opts[32];
	unsigned i;

	for (i = 0; i < e->ncap; i++)
		if (e->cap[i].seq == iss + 1 && e->cap[i].len > 0) {
			ecr = e->cap[i].tsval; /* the first transmission */
			break;
		}
	if (ecr == 0) {
		h_failf(e, "original segment not captured");
		return;
	}
	snprintf(opts, sizeof(opts), "ts=300:%u", ecr);
	{
		const struct h_row r = IN(H_MS(310), ".", 1, 1449, 1000, opts, 0);

		h_inject(e, &r);
	}
}

/* Eifel detection (RFC 3522): the RTO fired (the ACKs were only late), and the first ACK after it
 * echoes the originals' timestamp: the timeout is undone (cwnd and ssthresh back) and the rest,
 * still in flight, is not resent (go-back-N would resend 1449 and 2897 at once). */
START_TEST(spurious_rto)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		SEND_3000_AT_100,
		OUT(H_MS(300), ".", 1, 1, -1, "", 1448), /* RTO */
		CALL(H_MS(310), ack_original_late),
		NOTHING(H_MS(319)),
		IN(H_MS(320), ".", 1, 3001, 1000, "ts=310", 0),
		NOTHING(H_MS(600)),
		END,
	};
	struct dp_tcp_info i;

	e->conf.tlp = false;
	START(e);
	RUN(e, rows);
	i = info_of(e, 0);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 1);
	ck_assert_uint_eq(CNT(e, SPURIOUS_RTO), 1);
	ck_assert_uint_ge(i.cwnd, 10 * 1448); /* IW10 again, not 1 segment */
	ck_assert_uint_eq(i.snd_una, i.snd_max);
	STOP(e);
}
END_TEST

/* The same timeout when the retransmission is what arrived (TSecr = its TSval): a real loss, the
 * collapse stands. */
START_TEST(real_rto_kept)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		SEND_3000_AT_100,
		OUT(H_MS(300), ".", 1, 1, -1, "", 1448), /* RTO */
		IN(H_MS(310), ".", 1, 1449, 1000, "ts=300", 0), /* echoes the retransmission */
		OUT(H_MS(310), ".", 1449, 1, -1, "", 1448),	/* go-back-N goes on */
		OUT(H_MS(310), "P.", 2897, 1, -1, "", 104),
		IN(H_MS(320), ".", 1, 3001, 1000, "ts=310", 0),
		NOTHING(H_MS(600)),
		END,
	};

	e->conf.tlp = false;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 1);
	ck_assert_uint_eq(CNT(e, SPURIOUS_RTO), 0);
	ck_assert_uint_lt(info_of(e, 0).cwnd, 10 * 1448);
	STOP(e);
}
END_TEST

static void
send_1000_at_20(struct h_env *e)
{
	send_1000(e);
}

/* The peer filled our 4-segment window past a hole (segment 1 lost), then acknowledges our data
 * with a pure ACK whose sequence is its SND.NXT: the right edge of our window itself. That ACK
 * must count (Linux and BSD accept it; RFC 9293's strict table would drop it and with it every
 * acknowledgment until the hole is repaired): no retransmission of our 1000 bytes follows. */
START_TEST(ack_at_right_edge)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 sackok ts=100:0 ws=7", 0),
		OUT(0, "S.", 0, 1, 5792, "", 0),
		IN(H_MS(10), ".", 1, 1, 1000, "ts=110", 0),
		CALL(H_MS(20), send_1000_at_20),
		OUT(H_MS(20), "P.", 1, 1, -1, "", 1000),
		IN(H_MS(30), "P.", 1449, 1, 1000, "ts=130", 1448), /* 1..1448 lost */
		OUT(H_MS(30), ".", 1001, 1, -1, "sack=1449:2897", 0),
		IN(H_MS(31), "P.", 2897, 1, 1000, "ts=131", 1448),
		OUT(H_MS(31), ".", 1001, 1, -1, "sack=1449:4345", 0),
		IN(H_MS(32), "P.", 4345, 1, 1000, "ts=132", 1448),
		OUT(H_MS(32), ".", 1001, 1, -1, "sack=1449:5793", 0),
		IN(H_MS(40), ".", 5793, 1001, 1000, "ts=140", 0), /* at the right edge */
		NOTHING(H_MS(400)),
		END,
	};
	struct dp_tcp_info i;

	e->conf.rcv_buf_bytes = 5792;
	START(e);
	RUN(e, rows);
	i = info_of(e, 0);
	ck_assert_uint_eq(i.snd_una, i.snd_max); /* the 1000 bytes are acknowledged */
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert_uint_eq(CNT(e, DROP_SEQ_OUT_OF_WINDOW), 0);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

/* A zero window (everything held) and a segment at RCV.NXT that carries data and acknowledges
 * ours: the ACK is taken (RFC 9293 3.10.7.4, "special allowance ... for valid ACKs"), the data is
 * beyond the window and dropped, and the peer hears the window is still zero. */
START_TEST(ack_in_zero_window)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 sackok ts=100:0 ws=7", 0),
		OUT(0, "S.", 0, 1, 5792, "", 0),
		IN(H_MS(10), ".", 1, 1, 1000, "ts=110", 0),
		CALL(H_MS(15), hold_on),
		CALL(H_MS(20), send_1000_at_20),
		OUT(H_MS(20), "P.", 1, 1, -1, "", 1000),
		IN(H_MS(30), "P.", 1, 1, 1000, "ts=130", 1448),
		OUT(H_MS(30), ".", 1001, 1449, 4344, "", 0),
		IN(H_MS(31), "P.", 1449, 1, 1000, "ts=131", 1448),
		OUT(H_MS(31), ".", 1001, 2897, 2896, "", 0),
		IN(H_MS(32), "P.", 2897, 1, 1000, "ts=132", 1448),
		OUT(H_MS(32), ".", 1001, 4345, 1448, "", 0),
		IN(H_MS(33), "P.", 4345, 1, 1000, "ts=133", 1448),
		OUT(H_MS(33), ".", 1001, 5793, 0, "", 0), /* all held: zero window */
		IN(H_MS(40), "P.", 5793, 1001, 1000, "ts=140", 100), /* acks our data */
		OUT(H_MS(40), ".", 1001, 5793, 0, "", 0),
		NOTHING(H_MS(400)),
		END,
	};
	struct dp_tcp_info i;

	e->conf.rcv_buf_bytes = 5792;
	START(e);
	RUN(e, rows);
	i = info_of(e, 0);
	ck_assert_uint_eq(i.snd_una, i.snd_max);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 0);
	ck_assert_uint_eq(CNT(e, DROP_SEQ_OUT_OF_WINDOW), 1);
	ck_assert_uint_eq(h_app_for(e, 0)->rx_bytes, 5792);
	STOP(e);
}
END_TEST

static void
send_100k(struct h_env *e)
{
	if (h_send(e, h_app_for(e, 0), 100000) != 0)
		h_failf(e, "send failed");
}

START_TEST(iw10)
{
	struct h_env *e = env_new();
	struct h_row rows[20] = {PASSIVE_OPEN, CALL(H_MS(100), send_100k)};
	unsigned i, n = 5;

	for (i = 0; i < 10; i++) {
		struct h_row r = OUT(H_MS(100), ".", 1 + 1448 * i, 1, -1, "", 1448);

		rows[n++] = r;
	}
	/* No ACK: at 2 * SRTT the tail loss probe sends one new segment past cwnd (RFC 8985 7.3). */
	rows[n++] = (struct h_row)NOTHING(H_MS(119));
	rows[n++] = (struct h_row)OUT(H_MS(120), ".", 1 + 1448 * 10, 1, -1, "", 1448);
	rows[n++] = (struct h_row)NOTHING(H_MS(150));
	rows[n++] = (struct h_row)END;
	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

/* ---- windows ---- */

START_TEST(persist)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 sackok ts=100:0 ws=7", 0),
		OUT(0, "S.", 0, 1, 65535, "", 0),
		IN(H_MS(10), ".", 1, 1, 0, "ts=110", 0), /* zero window */
		CALL(H_MS(100), send_1000),
		NOTHING(H_MS(299)),
		OUT(H_MS(300), ".", 0, 1, -1, "", 0), /* probe at RTO */
		IN(H_MS(301), ".", 1, 1, 0, "ts=120", 0),
		OUT(H_MS(700), ".", 0, 1, -1, "", 0), /* backed off: 400 ms */
		IN(H_MS(701), ".", 1, 1, 0, "ts=130", 0),
		OUT(H_MS(1500), ".", 0, 1, -1, "", 0),	      /* 800 ms */
		IN(H_MS(1600), ".", 1, 1, 1000, "ts=140", 0), /* window opens */
		OUT(H_MS(1600), "P.", 1, 1, -1, "", 1000),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, PERSIST_PROBES), 3);
	STOP(e);
}
END_TEST

START_TEST(mss_opts)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1000 sackok ts=100:0 ws=7", 0),
		OUT(0, "S.", 0, 1, 65535, "mss=1460", 0),
		IN(H_MS(10), ".", 1, 1, 1000, "ts=110", 0),
		CALL(H_MS(20), send_1000),
		CALL(H_MS(20), send_1000),
		OUT(H_MS(20), "P.", 1, 1, -1, "", 988),
		OUT(H_MS(20), "P.", 989, 1, -1, "", 12),
		OUT(H_MS(20), "P.", 1001, 1, -1, "", 988),
		OUT(H_MS(20), "P.", 1989, 1, -1, "", 12),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

/* TCP.md 5.4: while the mbuf pool is short, windows close (right edge kept, never pulled back);
 * when it recovers, a window update goes out without waiting for the peer's probe. */
START_TEST(pool_low_window)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460", 0),
		OUT(0, "S.", 0, 1, 4096, "", 0),
		IN(H_MS(10), ".", 1, 1, 65535, "", 0),
		IN(H_MS(20), "P.", 1, 1, 65535, "", 1000),
		OUT(H_MS(20), ".", 1, 1001, 4096, "", 0),
		END,
	};
	struct rte_mbuf *held[16384];
	unsigned n = 0, i;

	e->conf.rcv_buf_bytes = 4096;
	e->conf.timestamps = false;
	START(e);
	RUN(e, rows);
	/* Take the pool below its reserve (an eighth of it). */
	while (rte_mempool_avail_count(h_pool()) > 1000 && n < RTE_DIM(held))
		held[n++] = rte_pktmbuf_alloc(h_pool());
	h_loop_once(e);
	for (i = 0; i < 3; i++) {
		struct h_row d = IN(H_MS(30), "P.", 1001 + 1000 * i, 1, 65535, "", 1000);

		h_inject(e, &d);
		ck_assert_uint_eq(e->ncap - e->rd, 1);
		ck_assert_uint_eq(e->cap[e->rd].ack - e->peer_isn, 2001 + 1000 * i);
		/* same right edge: 1001 + 4096 */
		ck_assert_uint_eq(e->cap[e->rd].ack - e->peer_isn + e->cap[e->rd].win, 5097);
		e->rd++;
	}
	{
		struct h_row d = IN(H_MS(30), "P.", 4001, 1, 65535, "", 1096);

		h_inject(e, &d);
		ck_assert_uint_eq(e->cap[e->rd].win, 0);
		e->rd++;
	}
	ck_assert_uint_ge(CNT(e, POOL_LOW), 1);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(held[i]);
	h_advance(e, e->t0 + H_MS(31));
	ck_assert_uint_eq(e->ncap - e->rd, 1); /* the update, unprompted */
	ck_assert_uint_eq(e->cap[e->rd].ack - e->peer_isn, 5097);
	ck_assert_uint_eq(e->cap[e->rd].win, 4096);
	e->rd++;
	ck_assert_uint_eq(h_app_for(e, 0)->rx_bytes, 5096);
	ck_assert(!h_app_for(e, 0)->rx_bad);
	STOP(e);
}
END_TEST

/* ---- delayed and quick ACK ---- */

START_TEST(delack)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(20), "P.", 1, 1, 1000, "ts=120", 1000),
		NOTHING(H_MS(24)),
		OUT(H_MS(25), ".", 1, 1001, -1, "", 0), /* delack_us = 5 ms */
		IN(H_MS(40), "P.", 1001, 1, 1000, "ts=130", 1448),
		IN(H_MS(40), "P.", 2449, 1, 1000, "ts=130", 1448),
		OUT(H_MS(40), ".", 1, 3897, -1, "", 0), /* every second segment */
		NOTHING(H_MS(60)),
		END,
	};

	e->conf.quick_start_segs = 0;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, DELACK_FIRED), 1);
	STOP(e);
}
END_TEST

static void
set_quick(struct h_env *e)
{
	dp_tcp_set_quickack(h_app_for(e, 0)->s, true);
}

static void
set_reply(struct h_env *e)
{
	h_app_for(e, 0)->reply_len = 100;
}

START_TEST(quickack_piggyback)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(15), set_quick),
		IN(H_MS(20), "P.", 1, 1, 1000, "ts=120", 100),
		OUT(H_MS(20), ".", 1, 101, -1, "", 0), /* quick-ACK: at once */
		CALL(H_MS(25), set_reply),
		IN(H_MS(30), "P.", 101, 1, 1000, "ts=130", 100),
		OUT(H_MS(30), "P.", 1, 201, -1, "", 100), /* the ACK rides on the reply */
		NOTHING(H_MS(100)),
		END,
	};

	e->conf.quick_start_segs = 0;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, OUT_ACK_PURE), 1);
	STOP(e);
}
END_TEST

/* ---- closing ---- */

static void
chk_tw(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (dp_tcp_time_wait_count(e->t) != 1 || a->closed_calls != 1 || a->closed_err != 0)
		h_failf(e, "want TIME-WAIT and closed(0): tw %u closed %u err %d",
			dp_tcp_time_wait_count(e->t), a->closed_calls, a->closed_err);
}

static void
chk_gone(struct h_env *e)
{
	if (dp_tcp_conn_count(e->t) != 0 || dp_tcp_time_wait_count(e->t) != 0)
		h_failf(e, "entry should be gone: conns %u tw %u", dp_tcp_conn_count(e->t),
			dp_tcp_time_wait_count(e->t));
}

static void
chk_fw2_closed(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->closed_calls != 1 || a->closed_err != 0)
		h_failf(e, "close completes when our FIN is acked: %u %d", a->closed_calls,
			a->closed_err);
}

START_TEST(active_close_time_wait)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), do_close),
		OUT(H_MS(100), "F.", 1, 1, -1, "", 0),
		IN(H_MS(110), ".", 1, 2, 1000, "ts=120", 0),
		CALL(H_MS(111), chk_fw2_closed),
		IN(H_MS(120), "F.", 1, 2, 1000, "ts=130", 0),
		OUT(H_MS(120), ".", 2, 2, -1, "", 0),
		CALL(H_MS(121), chk_tw),
		IN(H_MS(500), "F.", 1, 2, 1000, "ts=140", 0), /* FIN again: re-ACK, restart 2MSL */
		OUT(H_MS(500), ".", 2, 2, -1, "", 0),
		IN(H_MS(600), "R", 2, 0, 0, "", 0), /* RFC 1337: ignored */
		CALL(H_MS(2400), chk_tw),
		CALL(H_MS(2600), chk_gone),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_closing(struct h_env *e)
{
	struct dp_tcp_info i;
	struct h_app *a = h_app_for(e, 0);

	if (a->s == NULL) {
		h_failf(e, "stream gone in CLOSING");
		return;
	}
	dp_tcp_get_info(a->s, &i);
	if (i.state != DP_TCP_CLOSING)
		h_failf(e, "want CLOSING, state %d", i.state);
}

START_TEST(simul_close)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), do_close),
		OUT(H_MS(100), "F.", 1, 1, -1, "", 0),
		IN(H_MS(101), "F.", 1, 1, 1000, "ts=120", 0), /* does not ACK our FIN */
		OUT(H_MS(101), ".", 2, 2, -1, "", 0),
		CALL(H_MS(102), chk_closing),
		IN(H_MS(110), ".", 2, 2, 1000, "ts=130", 0),
		CALL(H_MS(111), chk_tw),
		CALL(H_MS(2200), chk_gone),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_close_wait(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->peer_closed != 1 || info_of(e, 0).state != DP_TCP_CLOSE_WAIT)
		h_failf(e, "want CLOSE-WAIT and peer_closed");
}

static void
chk_closed0_gone(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->closed_calls != 1 || a->closed_err != 0 || dp_tcp_conn_count(e->t) != 0)
		h_failf(e, "want closed(0) and no entry: %u %d %u", a->closed_calls, a->closed_err,
			dp_tcp_conn_count(e->t));
}

START_TEST(half_close_peer)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		IN(H_MS(100), "F.", 1, 1, 1000, "ts=120", 0),
		OUT(H_MS(100), ".", 1, 2, -1, "", 0),
		CALL(H_MS(101), chk_close_wait),
		CALL(H_MS(110), send_100), /* we keep sending */
		OUT(H_MS(110), "P.", 1, 2, -1, "", 100),
		IN(H_MS(120), ".", 2, 101, 1000, "ts=130", 0),
		CALL(H_MS(130), do_close),
		OUT(H_MS(130), "F.", 101, 2, -1, "", 0), /* LAST-ACK */
		IN(H_MS(140), ".", 2, 102, 1000, "ts=140", 0),
		CALL(H_MS(141), chk_closed0_gone),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

static void
chk_rx_100_open(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->rx_bytes != 100 || a->rx_bad || a->closed_calls != 0)
		h_failf(e, "half-closed stream must still receive: rx %lu closed %u",
			(unsigned long)a->rx_bytes, a->closed_calls);
}

START_TEST(half_close_ours)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), do_shutdown),
		OUT(H_MS(100), "F.", 1, 1, -1, "", 0),
		IN(H_MS(110), ".", 1, 2, 1000, "ts=120", 0),
		IN(H_MS(120), "P.", 1, 2, 1000, "ts=130", 100), /* FIN-WAIT-2 still receives */
		OUT(H_MS(120), ".", 2, 101, -1, "", 0),
		CALL(H_MS(121), chk_rx_100_open),
		IN(H_MS(130), "F.", 101, 2, 1000, "ts=140", 0),
		OUT(H_MS(130), ".", 2, 102, -1, "", 0),
		CALL(H_MS(131), chk_tw),
		END,
	};

	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

START_TEST(fin_rexmit)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		CALL(H_MS(100), do_close),
		OUT(H_MS(100), "F.", 1, 1, -1, "", 0),
		OUT(H_MS(300), "F.", 1, 1, -1, "", 0), /* FIN retransmitted at RTO */
		OUT(H_MS(700), "F.", 1, 1, -1, "", 0), /* backed off */
		IN(H_MS(710), ".", 1, 2, 1000, "ts=120", 0),
		NOTHING(H_MS(2000)),
		END,
	};

	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, REXMIT_RTO), 2);
	STOP(e);
}
END_TEST

/* A second connection from another peer port, closed by us, for the TIME-WAIT table tests. */
static void
open_and_close(struct h_env *e, uint16_t rport, uint64_t t)
{
	struct h_row r1 = INP(rport, t, "S", 0, 0, 65535, "mss=1460", 0);
	struct h_row r2 = INP(rport, t + 10, ".", 1, 1, 1000, "", 0);
	struct h_row r3 = INP(rport, t + 30, ".", 1, 2, 1000, "", 0);
	struct h_row r4 = INP(rport, t + 40, "F.", 1, 2, 1000, "", 0);

	h_advance(e, e->t0 + t);
	h_inject(e, &r1);
	h_advance(e, e->t0 + t + 10);
	h_inject(e, &r2);
	h_advance(e, e->t0 + t + 20);
	dp_stream_close(h_app_for(e, rport)->s);
	h_loop_once(e);
	h_advance(e, e->t0 + t + 30);
	h_inject(e, &r3);
	h_advance(e, e->t0 + t + 40);
	h_inject(e, &r4);
}

START_TEST(time_wait_bounded)
{
	struct h_env *e = env_new();
	unsigned i;

	e->conf.max_time_wait = 2;
	START(e);
	h_listen(e, H_LPORT);
	for (i = 0; i < 5; i++) {
		open_and_close(e, (uint16_t)(41000 + i), H_MS(10 * i));
		ck_assert_uint_le(dp_tcp_time_wait_count(e->t), 2);
	}
	ck_assert_uint_eq(dp_tcp_time_wait_count(e->t), 2);
	ck_assert_uint_eq(CNT(e, TW_ENTERED), 5);
	ck_assert_uint_eq(CNT(e, TW_EVICTED), 3);
	ck_assert_uint_eq(dp_tcp_conn_count(e->t), 2);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

/* Our active open to @p rport, the peer's SYN-ACK (no options but MSS), our close, the peer's ACK
 * of our FIN and its own FIN: this side ends in TIME-WAIT (the connrate client's pattern). */
static void
connect_and_close(struct h_env *e, uint16_t rport, uint64_t t)
{
	struct h_row synack = INP(rport, t + 10, "S.", 0, 1, 65535, "mss=1460", 0);
	struct h_row ack = INP(rport, t + 30, ".", 1, 2, 1000, "", 0);
	struct h_row fin = INP(rport, t + 40, "F.", 1, 2, 1000, "", 0);

	h_advance(e, e->t0 + t);
	h_connect(e, rport);
	h_loop_once(e);
	h_advance(e, e->t0 + t + 10);
	h_inject(e, &synack);
	h_advance(e, e->t0 + t + 20);
	dp_stream_close(h_app_for(e, rport)->s);
	h_loop_once(e);
	h_advance(e, e->t0 + t + 30);
	h_inject(e, &ack);
	h_advance(e, e->t0 + t + 40);
	h_inject(e, &fin);
}

/* A client's tuple whose TIME-WAIT entry was evicted from the bounded table is opened again:
 * the one ephemeral port is not picked while its tuple is in TIME-WAIT, is picked once the entry
 * is evicted, and the new SYN's ISS lies above the old connection's sequence space (RFC 6528:
 * the clock part of the ISN has moved on), so the peer can tell the incarnations apart. */
START_TEST(tw_evicted_tuple_reopened)
{
	struct h_env *e = env_new();
	struct h_row synack = INP(40000, H_MS(30), "S.", 0, 1, 65535, "mss=1460", 0);
	static const struct dp_stream_cbs none; /* never called: the open must fail */
	struct dp_addr4 r = {.ip = H_REMOTE_IP, .port = 40001};
	struct dp_stream *s;
	uint32_t old_iss;
	struct h_cap *c;

	e->conf.eph_lo = e->conf.eph_hi = 41000;
	e->conf.max_time_wait = 1;
	START(e);
	connect_and_close(e, 40000, 0);
	ck_assert_uint_eq(dp_tcp_time_wait_count(e->t), 1);
	ck_assert_uint_eq(h_app_for(e, 40000)->closed_calls, 1);
	old_iss = h_iss(e, 40000);
	/* Same port to another peer port: its TIME-WAIT evicts the first (table of 1). */
	connect_and_close(e, 40001, H_MS(10));
	ck_assert_uint_eq(CNT(e, TW_EVICTED), 1);
	ck_assert_uint_eq(dp_tcp_time_wait_count(e->t), 1);
	/* The tuple still in TIME-WAIT is not reused: no port left for it. */
	ck_assert_int_eq(dp_stack_connect(e->st, &r, &none, NULL, &s), -EADDRNOTAVAIL);
	e->rd = e->ncap;
	h_advance(e, e->t0 + H_MS(20));
	h_connect(e, 40000);
	ck_assert_uint_eq(e->ncap - e->rd, 1);
	c = &e->cap[e->rd];
	ck_assert_uint_eq(c->flags, DP_TCP_SYN);
	ck_assert_uint_eq(c->sport, 41000);
	ck_assert_uint_eq(c->dport, 40000);
	ck_assert_msg((int32_t)(c->seq - (old_iss + 2)) > 0, "new ISS %u not above old SND.NXT %u",
		      c->seq, old_iss + 2);
	e->rd = e->ncap;
	h_advance(e, e->t0 + H_MS(30));
	h_inject(e, &synack);
	ck_assert_uint_eq(h_app_for(e, 40000)->connected_calls, 2);
	ck_assert_int_eq(h_app_for(e, 40000)->connected_err, 0);
	ck_assert_uint_eq(info_of(e, 40000).state, DP_TCP_ESTABLISHED);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

START_TEST(tw_new_syn)
{
	struct h_env *e = env_new();
	struct h_row syn = INP(41000, H_MS(100), "S", 5000, 0, 65535, "mss=1460", 0);
	struct h_row old = INP(41000, H_MS(100), "S", 0, 0, 65535, "mss=1460", 0);
	uint32_t old_iss;
	struct h_cap *c;

	START(e);
	h_listen(e, H_LPORT);
	open_and_close(e, 41000, 0);
	ck_assert_uint_eq(dp_tcp_time_wait_count(e->t), 1);
	old_iss = h_iss(e, 41000);
	e->rd = e->ncap;
	h_advance(e, e->t0 + H_MS(100));
	h_inject(e, &old); /* not above the old RCV.NXT: re-ACK, no new connection */
	ck_assert_uint_eq(e->ncap - e->rd, 1);
	ck_assert_uint_eq(e->cap[e->rd].flags, DP_TCP_ACK);
	e->rd = e->ncap;
	h_inject(e, &syn); /* above: a new incarnation */
	ck_assert_uint_eq(e->ncap - e->rd, 1);
	c = &e->cap[e->rd];
	ck_assert_uint_eq(c->flags, DP_TCP_SYN | DP_TCP_ACK);
	ck_assert_uint_eq(c->seq - old_iss, 2 + 65537);
	ck_assert_uint_eq(CNT(e, TW_REUSED), 1);
	ck_assert_uint_eq(dp_tcp_time_wait_count(e->t), 0);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

/* ---- keepalive ---- */

static void
chk_ka_dead(struct h_env *e)
{
	struct h_app *a = h_app_for(e, 0);

	if (a->closed_calls != 1 || a->closed_err != -ETIMEDOUT)
		h_failf(e, "keepalive: closed %u err %d", a->closed_calls, a->closed_err);
}

START_TEST(keepalive)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		PASSIVE_OPEN,
		OUT(H_MS(10010), ".", 0, 1, -1, "", 0),	       /* idle 10 s: probe SND.UNA-1 */
		IN(H_MS(10020), ".", 1, 1, 1000, "ts=200", 0), /* answered: idle again */
		OUT(H_MS(20020), ".", 0, 1, -1, "", 0),
		OUT(H_MS(21020), ".", 0, 1, -1, "", 0),	 /* unanswered: every 1 s */
		OUT(H_MS(22020), "R.", 1, 1, -1, "", 0), /* 2 probes lost: give up */
		CALL(H_MS(22021), chk_ka_dead),
		END,
	};

	e->conf.keepalive_idle_us = 10000000;
	e->conf.keepalive_intvl_us = 1000000;
	e->conf.keepalive_probes = 2;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, KEEPALIVE_PROBES), 3);
	STOP(e);
}
END_TEST

/* ---- SYN cookies ---- */

static void
chk_cookie_ts(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (h_app_for(e, 0)->accepted != 1 || i.state != DP_TCP_ESTABLISHED || !i.ts_ok ||
	    !i.sack_ok || i.snd_wscale != 7 || i.rcv_wscale != 3 || i.snd_wnd != 1000u << 7 ||
	    i.smss != 1448)
		h_failf(e,
			"cookie with TS must restore ws/SACK: st %d ts %d sack %d ws %u/%u "
			"wnd %u smss %u",
			i.state, i.ts_ok, i.sack_ok, i.snd_wscale, i.rcv_wscale, i.snd_wnd, i.smss);
	if (dp_tcp_conn_count(e->t) != 1)
		h_failf(e, "conns %u", dp_tcp_conn_count(e->t));
}

START_TEST(syncookie_ts)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 sackok ts=100:0 ws=7", 0),
		OUT(0, "S.", 0, 1, 65535, "layout=020405b40402080atttttttt0000006401030303", 0),
		IN(H_MS(10), ".", 1, 1, 1000, "ts=110", 0),
		CALL(H_MS(10), chk_cookie_ts),
		IN(H_MS(20), "P.", 1, 1, 1000, "ts=120", 100),
		OUT(H_MS(20), ".", 1, 101, -1, "", 0),
		CALL(H_MS(21), chk_rx_100),
		END,
	};

	e->conf.syncookies = 2;
	START(e);
	ck_assert_uint_eq(dp_tcp_conn_count(e->t), 0);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, SYNCOOKIES_SENT), 1);
	ck_assert_uint_eq(CNT(e, SYNCOOKIES_OK), 1);
	STOP(e);
}
END_TEST

static void
chk_cookie_plain(struct h_env *e)
{
	struct dp_tcp_info i = info_of(e, 0);

	if (i.state != DP_TCP_ESTABLISHED || i.ts_ok || i.sack_ok || i.snd_wscale != 0 ||
	    i.smss != 1460)
		h_failf(e, "cookie without TS: st %d ts %d sack %d ws %u smss %u", i.state, i.ts_ok,
			i.sack_ok, i.snd_wscale, i.smss);
}

START_TEST(syncookie_plain)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(0, "S", 0, 0, 65535, "mss=1460 sackok ws=7", 0),
		OUT(0, "S.", 0, 1, 65535, "layout=020405b4", 0),
		IN(H_MS(10), ".", 1, 1, 1000, "", 0),
		CALL(H_MS(10), chk_cookie_plain),
		IN(H_MS(20), ".", 1, 12345, 1000, "", 0), /* ACK of unsent data after accept */
		OUT(H_MS(20), ".", 1, 1, -1, "", 0),
		END,
	};

	e->conf.syncookies = 2;
	START(e);
	RUN(e, rows);
	STOP(e);
}
END_TEST

START_TEST(syncookie_bad)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {
		CALL(0, do_listen),
		IN(H_MS(1), ".", 1, 12345, 1000, "", 0),
		OUT(H_MS(1), "R", 12345, H_ANY, 0, "", 0),
		END,
	};

	e->conf.syncookies = 1;
	START(e);
	RUN(e, rows);
	ck_assert_uint_eq(CNT(e, DROP_COOKIE_BAD), 1);
	ck_assert_uint_eq(dp_tcp_conn_count(e->t), 0);
	STOP(e);
}
END_TEST

/* SYN flood: the per-listener SYN queue holds 4; beyond it SYN cookies keep no state, and an
 * established connection keeps being served throughout. */
START_TEST(syn_flood)
{
	struct h_env *e = env_new();
	static const struct h_row rows[] = {PASSIVE_OPEN, END};
	unsigned i;

	e->conf.syn_backlog = 4;
	e->conf.max_conns = 16;
	START(e);
	RUN(e, rows);
	for (i = 0; i < 200; i++) {
		struct h_row syn =
			INP((uint16_t)(50000 + i), H_MS(20), "S", 0, 0, 65535, "mss=1460", 0);
		h_inject(e, &syn);
		if (i % 20 == 0) {
			struct h_row d =
				IN(H_MS(20), "P.", 1 + 10 * (i / 20), 1, 1000, "ts=120", 10);
			unsigned before = e->ncap;

			h_inject(e, &d);
			ck_assert_uint_gt(e->ncap, before); /* ACKed at once (quick start) */
		}
	}
	ck_assert_uint_eq(dp_tcp_conn_count(e->t), 1 + 4);
	ck_assert_uint_eq(CNT(e, SYNCOOKIES_SENT), 200 - 4);
	ck_assert_uint_eq(h_app_for(e, 0)->rx_bytes, 100);
	ck_assert(!h_app_for(e, 0)->rx_bad);
	e->rd = e->ncap;
	STOP(e);
}
END_TEST

static Suite *
tcp_suite(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc = tcase_create("scenarios");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, passive_3whs);
	tcase_add_test(tc, active_3whs);
	tcase_add_test(tc, syn_no_opts);
	tcase_add_test(tc, ws_15);
	tcase_add_test(tc, synack_rexmit);
	tcase_add_test(tc, syn_timeout);
	tcase_add_test(tc, simul_open);
	tcase_add_test(tc, accept_refused);
	tcase_add_test(tc, fini_shutdown);
	tcase_add_test(tc, rst_synsent);
	tcase_add_test(tc, closed_port);
	tcase_add_test(tc, rst_inwindow);
	tcase_add_test(tc, chack_ratelimit);
	tcase_add_test(tc, ack_unsent);
	tcase_add_test(tc, seq_outwindow);
	tcase_add_test(tc, paws);
	tcase_add_test(tc, ooo_sack);
	tcase_add_test(tc, sack_order);
	tcase_add_test(tc, overlap_trim);
	tcase_add_test(tc, ooo_fin);
	tcase_add_test(tc, ooo_cap);
	tcase_add_test(tc, rto_backoff);
	tcase_add_test(tc, karn);
	tcase_add_test(tc, ack_seq_after_rto);
	tcase_add_test(tc, newreno_fr);
	tcase_add_test(tc, sack_recovery);
	tcase_add_test(tc, sack_on_data_acks);
	tcase_add_test(tc, lost_rexmit);
	tcase_add_test(tc, lost_rexmit_acked);
	tcase_add_test(tc, recovery_probe);
	tcase_add_test(tc, tlp_off);
	tcase_add_test(tc, tlp_tail_loss);
	tcase_add_test(tc, tlp_sacked_tail);
	tcase_add_test(tc, tlp_fin_only);
	tcase_add_test(tc, tlp_sack_below_probe);
	tcase_add_test(tc, tlp_restart_on_send);
	tcase_add_test(tc, tx_room);
	tcase_add_test(tc, rx_hold_window);
	tcase_add_test(tc, pmtud);
	tcase_add_test(tc, spurious_rto);
	tcase_add_test(tc, real_rto_kept);
	tcase_add_test(tc, ack_at_right_edge);
	tcase_add_test(tc, ack_in_zero_window);
	tcase_add_test(tc, limited_xmit);
	tcase_add_test(tc, iw10);
	tcase_add_test(tc, persist);
	tcase_add_test(tc, mss_opts);
	tcase_add_test(tc, pool_low_window);
	tcase_add_test(tc, delack);
	tcase_add_test(tc, quickack_piggyback);
	tcase_add_test(tc, active_close_time_wait);
	tcase_add_test(tc, simul_close);
	tcase_add_test(tc, half_close_peer);
	tcase_add_test(tc, half_close_ours);
	tcase_add_test(tc, fin_rexmit);
	tcase_add_test(tc, time_wait_bounded);
	tcase_add_test(tc, tw_new_syn);
	tcase_add_test(tc, tw_evicted_tuple_reopened);
	tcase_add_test(tc, keepalive);
	tcase_add_test(tc, syncookie_ts);
	tcase_add_test(tc, syncookie_plain);
	tcase_add_test(tc, syncookie_bad);
	tcase_add_test(tc, syn_flood);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	h_global_init();
	sr = srunner_create(tcp_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	h_global_fini();
	return failed == 0 ? 0 : 1;
}
