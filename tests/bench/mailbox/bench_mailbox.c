/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-bench-mailbox: core-to-core mailbox figures between two worker cores of the runtime.
 *  - one-way: core 0 streams N messages without reply to core 1 (the last one with a reply, which
 *    by per-pair ordering means all ran); messages per second;
 *  - request/reply: N messages each with a reply back on core 0; messages per second;
 *  - round trip: one message at a time, flushed at once, the next sent when its reply has run;
 *    median and p99 latency in nanoseconds (TSC).
 * Workers use the poll idle policy. Not a test: prints figures (--json: one JSON object).
 *
 *   skiff-bench-mailbox [--json] [--messages N] [--rtt N] [--lcores 0-1]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include <sk/config.h>
#include <sk/mbox.h>
#include <sk/runtime.h>

enum bm_phase { BM_ONEWAY, BM_REPLY, BM_RTT, BM_DONE };

struct bm_state {
	uint64_t n_msgs, n_rtt;
	enum bm_phase phase;
	uint64_t sent, replies;
	uint64_t t0, oneway_cycles, reply_cycles;
	bool waiting; /* rtt: a message is in flight */
	uint64_t rtt_sent_tsc;
	uint64_t *rtt;	      /* cycles per round trip */
	uint64_t ran_on_peer; /* written by core 1 */
};

static struct bm_state bm;

static uint64_t
bm_fn(struct sk_core *c, void *arg)
{
	(void)c;
	bm.ran_on_peer++;
	return (uint64_t)(uintptr_t)arg;
}

static void
bm_reply(struct sk_core *c, void *arg, uint64_t result)
{
	(void)c;
	(void)arg;
	(void)result;
	bm.replies++;
	if (bm.phase == BM_RTT) {
		bm.rtt[bm.replies - 1] = rte_rdtsc() - bm.rtt_sent_tsc;
		bm.waiting = false;
	}
}

/* Submit up to the rest of @p n; the last message of a one-way run carries a reply. */
static unsigned
bm_stream(struct sk_core *c, uint64_t n, bool with_reply)
{
	unsigned k = 0;

	while (bm.sent < n) {
		bool last = bm.sent == n - 1;

		if (sk_mbox_submit(c, 1, bm_fn, NULL, with_reply || last ? bm_reply : NULL) != 0)
			break;
		bm.sent++;
		k++;
	}
	return k;
}

static void
bm_next_phase(struct sk_core *c, enum bm_phase p)
{
	bm.phase = p;
	bm.sent = 0;
	bm.replies = 0;
	bm.t0 = rte_rdtsc();
	if (p == BM_DONE)
		sk_runtime_request_stop(c->rt);
}

static unsigned
bm_poll(struct sk_core *c)
{
	if (c->id != 0)
		return 0;
	switch (bm.phase) {
	case BM_ONEWAY:
		if (bm.replies == 1) {
			bm.oneway_cycles = rte_rdtsc() - bm.t0;
			bm_next_phase(c, BM_REPLY);
			return 1;
		}
		if (bm.sent == 0)
			bm.t0 = rte_rdtsc(); /* start of the run, not of the launch */
		return bm_stream(c, bm.n_msgs, false);
	case BM_REPLY:
		if (bm.replies == bm.n_msgs) {
			bm.reply_cycles = rte_rdtsc() - bm.t0;
			bm_next_phase(c, BM_RTT);
			return 1;
		}
		return bm_stream(c, bm.n_msgs, true);
	case BM_RTT:
		if (bm.waiting)
			return 0;
		if (bm.replies == bm.n_rtt) {
			bm_next_phase(c, BM_DONE);
			return 1;
		}
		bm.rtt_sent_tsc = rte_rdtsc();
		if (sk_mbox_submit(c, 1, bm_fn, NULL, bm_reply) == 0) {
			bm.waiting = true;
			sk_mbox_flush(c);
		}
		return 1;
	case BM_DONE:
		return 0;
	}
	return 0;
}

static int
bm_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
		{"json", no_argument, NULL, 'j'},      {"messages", required_argument, NULL, 'm'},
		{"rtt", required_argument, NULL, 'r'}, {"lcores", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
	};
	static struct sk_config cfg;
	const struct sk_app app = {.name = "bench", .poll = bm_poll};
	struct sk_config_err err = {0};
	struct sk_runtime *rt;
	const char *lcores = "0-1";
	bool json = false;
	double hz, ow, rr, med, p99;
	int ch, rc;

	bm.n_msgs = 10000000;
	bm.n_rtt = 200000;
	while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'm':
			bm.n_msgs = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			bm.n_rtt = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			lcores = optarg;
			break;
		default:
			printf("usage: skiff-bench-mailbox [--json] [--messages N] [--rtt N] "
			       "[--lcores 0-1]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (bm.n_msgs == 0 || bm.n_rtt == 0)
		return 2;
	bm.rtt = calloc(bm.n_rtt, sizeof(*bm.rtt));
	if (bm.rtt == NULL)
		return 1;
	sk_config_init(&cfg);
	if (sk_config_set(&cfg, "workers", "lcores", lcores, &err) != 0 ||
	    sk_config_set(&cfg, "workers", "idle", "poll", &err) != 0 ||
	    sk_config_set(&cfg, "eal", "no_huge", "yes", &err) != 0 ||
	    sk_config_set(&cfg, "eal", "memory_mb", "128", &err) != 0 ||
	    sk_config_set(&cfg, "eal", "telemetry", "no", &err) != 0 ||
	    sk_config_set(&cfg, "eal", "log_level", "error", &err) != 0 ||
	    sk_config_set(&cfg, "eal", "file_prefix", "skbench", &err) != 0 ||
	    sk_config_set(&cfg, "limits", "mbufs_per_core", "256", &err) != 0) {
		fprintf(stderr, "%s", err.msg);
		return 1;
	}
	if (cfg.workers.n_cpus != 2) {
		fprintf(stderr, "skiff-bench-mailbox: --lcores must name two CPUs\n");
		return 2;
	}
	rc = sk_eal_start(&cfg, 0, NULL, NULL, 0);
	if (rc == 0)
		rc = sk_runtime_create(&cfg, &rt);
	if (rc != 0) {
		fprintf(stderr, "skiff-bench-mailbox: start failed: %s\n", strerror(-rc));
		return 1;
	}
	sk_runtime_set_app(rt, &app);
	rc = sk_runtime_run(rt, NULL);
	hz = (double)rte_get_tsc_hz();
	sk_runtime_destroy(rt);
	sk_eal_stop();
	if (rc != 0 || bm.phase != BM_DONE || bm.ran_on_peer != 2 * bm.n_msgs + bm.n_rtt) {
		fprintf(stderr, "skiff-bench-mailbox: run failed (%d, %llu messages ran)\n", rc,
			(unsigned long long)bm.ran_on_peer);
		return 1;
	}
	qsort(bm.rtt, bm.n_rtt, sizeof(*bm.rtt), bm_cmp);
	ow = (double)bm.n_msgs / ((double)bm.oneway_cycles / hz);
	rr = (double)bm.n_msgs / ((double)bm.reply_cycles / hz);
	med = (double)bm.rtt[bm.n_rtt / 2] * 1e9 / hz;
	p99 = (double)bm.rtt[bm.n_rtt * 99 / 100] * 1e9 / hz;
	if (json)
		printf("{\"bench\": \"mailbox\", \"lcores\": \"%s\", \"messages\": %llu, "
		       "\"oneway_msgs_per_s\": %.0f, \"reply_msgs_per_s\": %.0f, "
		       "\"rtt_samples\": %llu, \"rtt_ns_median\": %.0f, \"rtt_ns_p99\": %.0f}\n",
		       lcores, (unsigned long long)bm.n_msgs, ow, rr, (unsigned long long)bm.n_rtt,
		       med, p99);
	else
		printf("mailbox between 2 cores (CPUs %s, idle poll):\n"
		       "  one-way          %12.0f msgs/s  (%llu messages)\n"
		       "  request + reply  %12.0f msgs/s  (%llu messages)\n"
		       "  round trip       median %.0f ns, p99 %.0f ns  (%llu samples)\n",
		       lcores, ow, (unsigned long long)bm.n_msgs, rr, (unsigned long long)bm.n_msgs,
		       med, p99, (unsigned long long)bm.n_rtt);
	free(bm.rtt);
	return 0;
}
