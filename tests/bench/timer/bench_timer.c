/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-bench-timer: nanoseconds per arm, re-arm (move), cancel and expire of the per-core timer
 * wheel (dataplane/timer), with N timers spread over a TCP-like range of delays (1 ms .. 60 s,
 * 100 us tick). Figures from a busy shared machine are provisional.
 *
 *   skiff-bench-timer [--json] [--timers N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp/timer.h"

static uint64_t bt_fired;

static void
bt_cb(struct dp_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	bt_fired++;
}

static uint64_t
bt_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
bt_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int
main(int argc, char **argv)
{
	struct dp_timer_wheel_conf conf = {.tick_us = 100, .start_us = 0};
	size_t n = 1000000;
	int json = 0, i;
	struct dp_timer *t;
	uint64_t *exp, seed = 88172645463325252ull, t0, now;
	struct dp_timer_wheel *w;
	double arm_ns, rearm_ns, cancel_ns, expire_ns;
	void *mem = NULL;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--timers") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--json] [--timers N]\n", argv[0]);
			return 2;
		}
	}
	t = calloc(n, sizeof(*t));
	exp = calloc(n, sizeof(*exp));
	if (t == NULL || exp == NULL || posix_memalign(&mem, 64, dp_timer_wheel_memsize(&conf)))
		return 1;
	w = dp_timer_wheel_init(mem, &conf);
	for (k = 0; k < n; k++) {
		dp_timer_init(&t[k], bt_cb, NULL);
		exp[k] = 1000 + bt_rand(&seed) % 60000000;
	}

	t0 = bt_ns();
	for (k = 0; k < n; k++)
		dp_timer_arm(w, &t[k], exp[k]);
	arm_ns = (double)(bt_ns() - t0) / (double)n;

	/* RTO-style re-arm: move every timer a little later */
	t0 = bt_ns();
	for (k = 0; k < n; k++)
		dp_timer_arm(w, &t[k], exp[k] + 200000);
	rearm_ns = (double)(bt_ns() - t0) / (double)n;

	t0 = bt_ns();
	for (k = 0; k < n; k++)
		dp_timer_cancel(w, &t[k]);
	cancel_ns = (double)(bt_ns() - t0) / (double)n;

	for (k = 0; k < n; k++)
		dp_timer_arm(w, &t[k], exp[k]);
	t0 = bt_ns();
	for (now = 0; now <= 60001000; now += 100) /* one advance per 100 us tick */
		dp_timer_wheel_advance(w, now);
	expire_ns = (double)(bt_ns() - t0) / (double)n;

	if (bt_fired != n) {
		fprintf(stderr, "fired %lu of %zu\n", (unsigned long)bt_fired, n);
		return 1;
	}
	if (json)
		printf("{\"bench\":\"timer\",\"timers\":%zu,\"tick_us\":%u,\"arm_ns\":%.1f,"
		       "\"rearm_ns\":%.1f,\"cancel_ns\":%.1f,\"expire_ns\":%.1f}\n",
		       n, conf.tick_us, arm_ns, rearm_ns, cancel_ns, expire_ns);
	else
		printf("timers %zu, tick %u us: arm %.1f ns, re-arm %.1f ns, cancel %.1f ns, "
		       "expire %.1f ns (incl. advancing 600k ticks)\n",
		       n, conf.tick_us, arm_ns, rearm_ns, cancel_ns, expire_ns);
	free(t);
	free(exp);
	free(mem);
	return 0;
}
