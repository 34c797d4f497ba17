/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the per-core timer wheel (dataplane/timer) with a fake clock: ordering, cancel,
 * re-arm, callbacks that re-arm and cancel, far-future timers on every level and beyond the top
 * level's span, next_us, past-due arming, and one million random timers fired exactly once each,
 * in order, within one tick of their expiry.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/timer.h"

#define TT_MAX_LOG 64

struct tt_rec {
	struct dp_timer_wheel *w;
	uint64_t now_us; /* the fake clock, set before each advance */
	unsigned n;
	int ids[TT_MAX_LOG];
	uint64_t at_us[TT_MAX_LOG];
};

struct tt_timer {
	struct dp_timer t;
	struct tt_rec *rec;
	int id;
	/* optional behaviour in the callback */
	uint64_t rearm_delta_us; /* re-arm self by this much (0: no) */
	unsigned rearm_left;
	struct dp_timer *cancel_other;
	struct dp_timer *arm_other;
	uint64_t arm_other_at_us;
	unsigned fired;
};

static struct dp_timer_wheel *
tt_wheel(uint32_t tick_us, uint64_t start_us)
{
	struct dp_timer_wheel_conf conf = {.tick_us = tick_us, .start_us = start_us};
	void *mem = NULL;

	ck_assert_int_eq(posix_memalign(&mem, 64, dp_timer_wheel_memsize(&conf)), 0);
	ck_assert_ptr_nonnull(dp_timer_wheel_init(mem, &conf));
	return mem;
}

static void
tt_cb(struct dp_timer *t, void *arg)
{
	struct tt_timer *x = arg;
	struct tt_rec *r = x->rec;

	ck_assert_ptr_eq(&x->t, t);
	ck_assert(!dp_timer_pending(t));
	x->fired++;
	if (r->n < TT_MAX_LOG) {
		r->ids[r->n] = x->id;
		r->at_us[r->n] = r->now_us;
	}
	r->n++;
	if (x->rearm_delta_us && x->rearm_left) {
		x->rearm_left--;
		dp_timer_arm(r->w, t, t->expire_us + x->rearm_delta_us);
	}
	if (x->cancel_other)
		dp_timer_cancel(r->w, x->cancel_other);
	if (x->arm_other)
		dp_timer_arm(r->w, x->arm_other, x->arm_other_at_us);
}

static void
tt_setup(struct tt_timer *x, struct tt_rec *r, int id)
{
	memset(x, 0, sizeof(*x));
	x->rec = r;
	x->id = id;
	dp_timer_init(&x->t, tt_cb, x);
}

static unsigned
tt_advance(struct tt_rec *r, uint64_t now_us)
{
	r->now_us = now_us;
	return dp_timer_wheel_advance(r->w, now_us);
}

START_TEST(test_init_invalid)
{
	struct dp_timer_wheel_conf bad = {.tick_us = 0};
	struct dp_timer_wheel_conf good = {.tick_us = 10};
	static char mem[1 << 16] __attribute__((aligned(64)));

	ck_assert_uint_le(dp_timer_wheel_memsize(&good), sizeof(mem));
	ck_assert_ptr_null(dp_timer_wheel_init(mem, &bad));
	ck_assert_ptr_null(dp_timer_wheel_init(NULL, &good));
	ck_assert_ptr_null(dp_timer_wheel_init(mem, NULL));
	ck_assert_ptr_nonnull(dp_timer_wheel_init(mem, &good));
	ck_assert_uint_eq(dp_timer_wheel_count((struct dp_timer_wheel *)mem), 0);
	ck_assert_uint_eq(dp_timer_wheel_next_us((struct dp_timer_wheel *)mem), UINT64_MAX);
}
END_TEST

START_TEST(test_order_fake_clock)
{
	/* Expiries given out of order, several in one tick, equal ones in arm order. */
	static const uint64_t exp[] = {530, 120, 125, 121, 999, 125, 64, 7000, 121, 100000, 0, 640};
	static const int want[] = {10, 6, 1, 3, 8, 2, 5, 0, 11, 4, 7, 9};
	enum { N = sizeof(exp) / sizeof(exp[0]) };
	struct tt_rec r = {0};
	struct tt_timer x[N];
	uint64_t now;
	unsigned i;

	r.w = tt_wheel(10, 0);
	for (i = 0; i < N; i++) {
		tt_setup(&x[i], &r, (int)i);
		dp_timer_arm(r.w, &x[i].t, exp[i]);
	}
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), N);
	for (now = 0; now <= 100000; now += 1)
		tt_advance(&r, now);
	ck_assert_uint_eq(r.n, N);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(r.ids[i], want[i]);
		/* with 1 us steps, each fires exactly at its expiry */
		ck_assert_uint_eq(r.at_us[i], exp[r.ids[i]]);
	}
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 0);
	ck_assert_uint_eq(dp_timer_wheel_next_us(r.w), UINT64_MAX);
	free(r.w);
}
END_TEST

START_TEST(test_one_big_advance_orders)
{
	/* One advance across many ticks and levels still fires in expiry order. */
	static const uint64_t exp[] = {5000000, 3, 700, 64000, 1, 300000, 64000, 2};
	static const int want[] = {4, 7, 1, 2, 3, 6, 5, 0};
	enum { N = sizeof(exp) / sizeof(exp[0]) };
	struct tt_rec r = {0};
	struct tt_timer x[N];
	unsigned i;

	r.w = tt_wheel(1, 0);
	for (i = 0; i < N; i++) {
		tt_setup(&x[i], &r, (int)i);
		dp_timer_arm(r.w, &x[i].t, exp[i]);
	}
	ck_assert_uint_eq(tt_advance(&r, 4999999), N - 1);
	ck_assert_uint_eq(tt_advance(&r, 5000000), 1);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(r.ids[i], want[i]);
	free(r.w);
}
END_TEST

START_TEST(test_cancel)
{
	struct tt_rec r = {0};
	struct tt_timer a, b, c;

	r.w = tt_wheel(100, 1000);
	tt_setup(&a, &r, 1);
	tt_setup(&b, &r, 2);
	tt_setup(&c, &r, 3);
	dp_timer_cancel(r.w, &a.t); /* not armed: no-op */
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 0);
	dp_timer_arm(r.w, &a.t, 1500);
	dp_timer_arm(r.w, &b.t, 1500);
	dp_timer_arm(r.w, &c.t, 900000);
	ck_assert(dp_timer_pending(&a.t));
	dp_timer_cancel(r.w, &a.t);
	dp_timer_cancel(r.w, &a.t);
	dp_timer_cancel(r.w, &c.t);
	ck_assert(!dp_timer_pending(&a.t));
	ck_assert(!dp_timer_pending(&c.t));
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 1);
	ck_assert_uint_eq(tt_advance(&r, 2000000), 1);
	ck_assert_uint_eq(a.fired, 0);
	ck_assert_uint_eq(b.fired, 1);
	ck_assert_uint_eq(c.fired, 0);
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 0);
	ck_assert_uint_eq(dp_timer_wheel_next_us(r.w), UINT64_MAX);
	free(r.w);
}
END_TEST

START_TEST(test_rearm_moves)
{
	struct tt_rec r = {0};
	struct tt_timer a;

	r.w = tt_wheel(100, 0);
	tt_setup(&a, &r, 1);
	dp_timer_arm(r.w, &a.t, 50000);
	dp_timer_arm(r.w, &a.t, 300); /* earlier */
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 1);
	ck_assert_uint_eq(tt_advance(&r, 299), 0);
	ck_assert_uint_eq(tt_advance(&r, 300), 1);
	dp_timer_arm(r.w, &a.t, 1000);
	dp_timer_arm(r.w, &a.t, 9000000); /* later, other level */
	ck_assert_uint_eq(tt_advance(&r, 8999999), 0);
	ck_assert_uint_eq(dp_timer_wheel_next_us(r.w) <= 9000000, 1);
	ck_assert_uint_eq(tt_advance(&r, 9000000), 1);
	ck_assert_uint_eq(a.fired, 2);
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 0);
	free(r.w);
}
END_TEST

START_TEST(test_callback_rearm_and_cancel)
{
	struct tt_rec r = {0};
	struct tt_timer per, victim, late, spawned;
	uint64_t now;

	r.w = tt_wheel(10, 0);
	tt_setup(&per, &r, 1);
	tt_setup(&victim, &r, 2);
	tt_setup(&late, &r, 3);
	tt_setup(&spawned, &r, 4);
	/* periodic: fires at 100, 350, 600, 850, 1100 */
	per.rearm_delta_us = 250;
	per.rearm_left = 4;
	dp_timer_arm(r.w, &per.t, 100);
	/* victim is due in the same tick as per's third firing, later in it: per cancels it then */
	dp_timer_arm(r.w, &victim.t, 605);
	/* late arms another timer from its callback */
	late.arm_other = &spawned.t;
	late.arm_other_at_us = 2000;
	dp_timer_arm(r.w, &late.t, 1500);
	for (now = 0; now < 3000; now += 7) {
		if (now >= 590 && !per.cancel_other && per.fired == 2)
			per.cancel_other = &victim.t;
		tt_advance(&r, now);
	}
	ck_assert_uint_eq(per.fired, 5);
	ck_assert_uint_eq(victim.fired, 0);
	ck_assert_uint_eq(late.fired, 1);
	ck_assert_uint_eq(spawned.fired, 1);
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 0);
	/* firing times respect expiry and the 7 us step */
	ck_assert_int_eq(r.ids[0], 1);
	ck_assert_uint_ge(r.at_us[0], 100);
	ck_assert_uint_lt(r.at_us[0], 107);
	free(r.w);
}
END_TEST

START_TEST(test_callback_cancels_rest_of_batch)
{
	/* Timers due in one advance: the first cancels the third and re-arms the second later. */
	struct tt_rec r = {0};
	struct tt_timer a, b, c;

	r.w = tt_wheel(1, 0);
	tt_setup(&a, &r, 1);
	tt_setup(&b, &r, 2);
	tt_setup(&c, &r, 3);
	a.cancel_other = &c.t;
	a.arm_other = &b.t;
	a.arm_other_at_us = 500;
	dp_timer_arm(r.w, &a.t, 10);
	dp_timer_arm(r.w, &b.t, 11);
	dp_timer_arm(r.w, &c.t, 12);
	ck_assert_uint_eq(tt_advance(&r, 100), 1);
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 1);
	ck_assert_uint_eq(tt_advance(&r, 499), 0);
	ck_assert_uint_eq(tt_advance(&r, 500), 1);
	ck_assert_uint_eq(b.fired, 1);
	ck_assert_uint_eq(c.fired, 0);
	free(r.w);
}
END_TEST

START_TEST(test_past_due_and_no_livelock)
{
	struct tt_rec r = {0};
	struct tt_timer a, self;

	r.w = tt_wheel(100, 0);
	tt_setup(&a, &r, 1);
	tt_setup(&self, &r, 2);
	tt_advance(&r, 10000);
	/* armed in the past outside advance: fires on the next advance */
	dp_timer_arm(r.w, &a.t, 50);
	ck_assert_uint_le(dp_timer_wheel_next_us(r.w), 10000);
	ck_assert_uint_eq(tt_advance(&r, 10000), 1);
	/* a callback re-arming itself in the past forever: once per advance, no livelock */
	self.arm_other = &self.t;
	self.arm_other_at_us = 0;
	dp_timer_arm(r.w, &self.t, 10050);
	ck_assert_uint_eq(tt_advance(&r, 10050), 1);
	ck_assert_uint_eq(tt_advance(&r, 10050), 1);
	ck_assert_uint_eq(tt_advance(&r, 11050), 1);
	ck_assert(dp_timer_pending(&self.t));
	dp_timer_cancel(r.w, &self.t);
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), 0);
	/* time never goes backwards */
	dp_timer_arm(r.w, &a.t, 11060);
	ck_assert_uint_eq(tt_advance(&r, 5), 0);
	ck_assert_uint_eq(tt_advance(&r, 11060), 1);
	free(r.w);
}
END_TEST

START_TEST(test_far_future_levels)
{
	/* One timer per level (delay 64^l ticks and a bit) and some beyond the top level's span
	 * (64^8 ticks), found by jumps, each firing exactly at its expiry, not before. */
	enum { N = DP_TIMER_LEVELS + 3 };
	const uint64_t tick = 3, start = 12345;
	struct tt_rec r = {0};
	struct tt_timer x[N];
	uint64_t exp[N];
	unsigned i;

	r.w = tt_wheel(tick, start);
	r.now_us = start;
	for (i = 0; i < N; i++) {
		uint64_t d = 1;

		for (unsigned k = 0; k < i && k < DP_TIMER_LEVELS + 1; k++)
			d *= 64;
		if (i == N - 1)
			d = d * 100 + 17; /* many top-level spans away */
		exp[i] = start + d * tick + i;
		tt_setup(&x[i], &r, (int)i);
		dp_timer_arm(r.w, &x[i].t, exp[i]);
	}
	ck_assert_uint_eq(dp_timer_wheel_count(r.w), N);
	for (i = 0; i < N; i++) {
		uint64_t nx = dp_timer_wheel_next_us(r.w);

		ck_assert_uint_le(nx, exp[i]);
		ck_assert_uint_eq(tt_advance(&r, exp[i] - 1), 0);
		ck_assert_uint_eq(x[i].fired, 0);
		ck_assert_uint_eq(tt_advance(&r, exp[i]), 1);
		ck_assert_uint_eq(x[i].fired, 1);
		ck_assert_uint_eq(dp_timer_wheel_count(r.w), N - 1 - i);
	}
	ck_assert_uint_eq(dp_timer_wheel_next_us(r.w), UINT64_MAX);
	free(r.w);
}
END_TEST

START_TEST(test_far_future_arm_after_jump)
{
	/* After the clock has moved far, arming relative to it still lands on the right tick. */
	struct tt_rec r = {0};
	struct tt_timer a, b;
	const uint64_t base = (1ull << 50) + 777;

	r.w = tt_wheel(1, 0);
	tt_setup(&a, &r, 1);
	tt_setup(&b, &r, 2);
	ck_assert_uint_eq(tt_advance(&r, base), 0);
	dp_timer_arm(r.w, &a.t, base + 64 * 64 * 64 + 5);
	dp_timer_arm(r.w, &b.t, base + (1ull << 49));
	ck_assert_uint_eq(tt_advance(&r, base + 64 * 64 * 64 + 4), 0);
	ck_assert_uint_eq(tt_advance(&r, base + 64 * 64 * 64 + 5), 1);
	ck_assert_uint_eq(tt_advance(&r, base + (1ull << 49) - 1), 0);
	ck_assert_uint_eq(tt_advance(&r, base + (1ull << 49)), 1);
	free(r.w);
}
END_TEST

static uint64_t
tt_rand64(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

START_TEST(test_next_us)
{
	/* next_us is never later than the earliest expiry, exact when it is within 64 ticks;
	 * driving the wheel only by next_us fires every timer at exactly its expiry. */
	enum { N = 2000 };
	static struct tt_timer x[N];
	struct tt_rec r = {0};
	uint64_t seed = 42, min = UINT64_MAX, now = 0;
	unsigned i, fired = 0, steps = 0;

	r.w = tt_wheel(50, 0);
	for (i = 0; i < N; i++) {
		uint64_t e = tt_rand64(&seed) % (i % 3 ? 100000 : 50000000);

		tt_setup(&x[i], &r, (int)i);
		dp_timer_arm(r.w, &x[i].t, e);
		if (e < min)
			min = e;
	}
	ck_assert_uint_le(dp_timer_wheel_next_us(r.w), min);
	while (dp_timer_wheel_count(r.w) > 0) {
		uint64_t nx = dp_timer_wheel_next_us(r.w), truemin = UINT64_MAX;

		for (i = 0; i < N; i++)
			if (dp_timer_pending(&x[i].t) && x[i].t.expire_us < truemin)
				truemin = x[i].t.expire_us;
		ck_assert_uint_le(nx, truemin);
		/* exact when due within the current 64-tick window (level 0) */
		if ((truemin / 50) >> 6 == (now / 50) >> 6)
			ck_assert_uint_eq(nx, truemin);
		ck_assert_uint_ge(nx, now);
		now = nx;
		r.now_us = now;
		fired += dp_timer_wheel_advance(r.w, now);
		ck_assert_uint_lt(++steps, 4 * N);
	}
	ck_assert_uint_eq(fired, N);
	for (i = 0; i < N; i++)
		if (x[i].fired != 1)
			ck_abort_msg("timer %u fired %u times", i, x[i].fired);
	free(r.w);
}
END_TEST

/* Random operations against a reference model (a plain array scanned in full): after every advance
 * the wheel must have fired exactly the model's due timers, in (expiry, arm sequence) order. */
enum { TT_MODEL_N = 512 };

/* Check's ck_assert writes to a pipe on every call: too slow for millions of checks. */
#define TT_REQUIRE(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			ck_abort_msg("op %u: %s", op, #c);                                         \
	} while (0)
#define TT_REQUIRE_EQ(a, b) TT_REQUIRE((a) == (b))
#define TT_REQUIRE_LE(a, b) TT_REQUIRE((a) <= (b))

struct tt_mt {
	struct dp_timer t;
	uint64_t seq; /* arm sequence of the current arming */
	int pending;
};

static struct tt_mt tt_mv[TT_MODEL_N];
static int tt_mfired[TT_MODEL_N];
static unsigned tt_mnfired;

static void
tt_model_cb(struct dp_timer *t, void *arg)
{
	struct tt_mt *m = arg;

	(void)t;
	ck_assert_uint_lt(tt_mnfired, TT_MODEL_N);
	tt_mfired[tt_mnfired++] = (int)(m - tt_mv);
}

START_TEST(test_random_vs_model)
{
	struct dp_timer_wheel *w = tt_wheel(7, 1000);
	uint64_t seed = 0xabcdef12345ull, now = 1000, seq = 0;
	unsigned i, op;

	for (i = 0; i < TT_MODEL_N; i++) {
		memset(&tt_mv[i], 0, sizeof(tt_mv[i]));
		dp_timer_init(&tt_mv[i].t, tt_model_cb, &tt_mv[i]);
	}
	for (op = 0; op < 200000; op++) {
		uint64_t r = tt_rand64(&seed);
		unsigned k = (unsigned)(r >> 40) % TT_MODEL_N;

		switch (r % 8) {
		case 0:
		case 1:
		case 2: {
			/* arm at a delay of a random scale, sometimes in the past */
			static const uint64_t scale[] = {1, 10, 500, 40000, 3000000, 1ull << 40};
			uint64_t d = tt_rand64(&seed) % scale[(r >> 8) % 6];
			uint64_t e = ((r >> 16) % 16 == 0) ? (now > d ? now - d : 0) : now + d;

			dp_timer_arm(w, &tt_mv[k].t, e);
			tt_mv[k].pending = 1;
			tt_mv[k].seq = ++seq;
			break;
		}
		case 3:
			dp_timer_cancel(w, &tt_mv[k].t);
			tt_mv[k].pending = 0;
			break;
		default: {
			/* advance: mostly small steps, sometimes huge jumps */
			uint64_t step = (r >> 8) % 64 == 0 ? tt_rand64(&seed) % (1ull << 42)
							   : tt_rand64(&seed) % 3000;
			uint64_t truemin = UINT64_MAX;
			unsigned want = 0, j;

			now += step;
			for (i = 0; i < TT_MODEL_N; i++)
				if (tt_mv[i].pending && tt_mv[i].t.expire_us <= now)
					want++;
			tt_mnfired = 0;
			TT_REQUIRE_EQ(dp_timer_wheel_advance(w, now), want);
			TT_REQUIRE_EQ(tt_mnfired, want);
			for (j = 0; j < tt_mnfired; j++) {
				struct tt_mt *a = &tt_mv[tt_mfired[j]];

				TT_REQUIRE(a->pending);
				a->pending = 0;
				if (j > 0) {
					struct tt_mt *b = &tt_mv[tt_mfired[j - 1]];

					TT_REQUIRE(b->t.expire_us < a->t.expire_us ||
						   (b->t.expire_us == a->t.expire_us &&
						    b->seq < a->seq));
				}
			}
			for (i = 0; i < TT_MODEL_N; i++) {
				TT_REQUIRE_EQ(tt_mv[i].pending, dp_timer_pending(&tt_mv[i].t));
				if (tt_mv[i].pending && tt_mv[i].t.expire_us < truemin)
					truemin = tt_mv[i].t.expire_us;
			}
			TT_REQUIRE_LE(dp_timer_wheel_next_us(w), truemin);
			if (truemin == UINT64_MAX)
				TT_REQUIRE_EQ(dp_timer_wheel_next_us(w), UINT64_MAX);
			break;
		}
		}
	}
	free(w);
}
END_TEST

/* The million: compact records, checked in the callback. */
struct tt_big {
	struct dp_timer t;
	uint32_t fired;
};

struct tt_big_state {
	uint64_t now_us;
	uint64_t last_exp;
	uint64_t tick_us;
	uint64_t fired;
	uint64_t bad_order, bad_early, bad_late;
};

static struct tt_big_state tt_bs;

static void
tt_big_cb(struct dp_timer *t, void *arg)
{
	struct tt_big *b = arg;
	uint64_t e = t->expire_us;

	b->fired++;
	tt_bs.fired++;
	if (e < tt_bs.last_exp)
		tt_bs.bad_order++;
	if (tt_bs.now_us < e)
		tt_bs.bad_early++;
	if (tt_bs.now_us >= e + tt_bs.tick_us)
		tt_bs.bad_late++;
	tt_bs.last_exp = e;
}

START_TEST(test_million)
{
	enum { N = 1000000 };
	const uint64_t tick = 100, range = 20000000; /* 20 s of expiries, 200k ticks */
	struct tt_big *v = calloc(N, sizeof(*v));
	struct dp_timer_wheel *w = tt_wheel(tick, 0);
	uint64_t seed = 0x5eed, now = 0;
	unsigned i;

	ck_assert_ptr_nonnull(v);
	memset(&tt_bs, 0, sizeof(tt_bs));
	tt_bs.tick_us = tick;
	for (i = 0; i < N; i++) {
		dp_timer_init(&v[i].t, tt_big_cb, &v[i]);
		dp_timer_arm(w, &v[i].t, 1 + tt_rand64(&seed) % range);
	}
	ck_assert_uint_eq(dp_timer_wheel_count(w), N);
	while (now <= range) {
		now += 1 + tt_rand64(&seed) % tick; /* steps of 1..tick us */
		tt_bs.now_us = now;
		dp_timer_wheel_advance(w, now);
	}
	ck_assert_uint_eq(tt_bs.fired, N);
	ck_assert_uint_eq(tt_bs.bad_order, 0);
	ck_assert_uint_eq(tt_bs.bad_early, 0);
	ck_assert_uint_eq(tt_bs.bad_late, 0);
	ck_assert_uint_eq(dp_timer_wheel_count(w), 0);
	for (i = 0; i < N; i++)
		if (v[i].fired != 1)
			ck_abort_msg("timer %u fired %u times", i, v[i].fired);
	free(v);
	free(w);
}
END_TEST

static Suite *
tt_suite(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("wheel");
	TCase *big = tcase_create("million");

	tcase_add_test(tc, test_init_invalid);
	tcase_add_test(tc, test_order_fake_clock);
	tcase_add_test(tc, test_one_big_advance_orders);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_rearm_moves);
	tcase_add_test(tc, test_callback_rearm_and_cancel);
	tcase_add_test(tc, test_callback_cancels_rest_of_batch);
	tcase_add_test(tc, test_past_due_and_no_livelock);
	tcase_add_test(tc, test_far_future_levels);
	tcase_add_test(tc, test_far_future_arm_after_jump);
	tcase_add_test(tc, test_next_us);
	tcase_add_test(tc, test_random_vs_model);
	suite_add_tcase(s, tc);
	tcase_set_timeout(big, 120);
	tcase_add_test(big, test_million);
	suite_add_tcase(s, big);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
