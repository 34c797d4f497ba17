/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-load: an RSocket load generator that is itself a Skiff application (skiff.h requester
 * calls, skiff_main.h for the process), on the posix or the native stack like any other app.
 *
 * Each worker core opens its share of --connections (connection j on core j % cores) to --target,
 * and keeps --inflight requests outstanding on each: request-response (rr) or request-stream
 * (stream) on --route with --size bytes of data, the next request leaving from the completion
 * callback of the previous one; or fire-and-forget (fnf), up to --inflight per connection per loop
 * iteration. Every answer is checked byte for byte against what was sent (the echo service's
 * contract). Latency is taken with rte_rdtsc() from just before the request call to its
 * completion callback, into a per-core log-linear histogram (16 sub-buckets per power of two,
 * about 6 % wide): no allocation per request.
 *
 * The run is bounded: each core loads for --duration seconds from its first ready connection
 * (so slow connection set-up, e.g. a memif link coming up, does not eat the measurement); when
 * every core is done the app asks for the stop, in-flight requests drain within [limits]
 * stop_timeout_ms. The runtime's own --duration (load duration + 10 s) bounds connection set-up.
 * Exit status: 0 if every answer was right and no connection failed; 1 otherwise (or if nothing
 * completed); 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include <skiff.h>
#include <skiff_main.h>

#define LOAD_MAX_CORES 64
#define LOAD_HIST 1024
#define LOAD_MD_MAX 300

enum load_model { LOAD_RR, LOAD_STREAM, LOAD_FNF };

struct load_opts {
	unsigned connections, inflight, duration_s, size;
	const char *route;
	enum load_model model;
	uint32_t ip;
	uint16_t port;
	bool json;
};

struct load_core;

/** One outstanding request: the stream callbacks' context. */
struct load_slot {
	struct load_conn *conn;
	struct sk_stream s;
	uint64_t t0;
	uint32_t items;
	bool used, bad;
};

struct load_conn {
	struct load_core *lc;
	struct sk_conn c;
	bool ready, closed;
	bool barrier; /**< fnf at stop: a request-response sent after the last fnf, not answered yet
		       */
	uint32_t inflight;
	struct load_slot *slots; /**< inflight slots */
};

struct load_core {
	unsigned id;
	bool started, stopping;
	bool done;	    /**< this core's load time is over (or it has no connection) */
	bool barriers_sent; /**< load_stop ran */
	uint64_t end_tsc;   /**< first ready + duration (0: no connection ready yet) */
	unsigned n_conns;
	struct load_conn *conns;
	uint8_t md[LOAD_MD_MAX];
	uint32_t md_len;
	uint64_t sent, ok, bad, errors, conn_errors, send_fail, items;
	uint64_t first_tsc, last_tsc; /**< first request sent, last completion */
	uint64_t hist[LOAD_HIST];
};

static struct load_opts load_o = {
	.connections = 1,
	.inflight = 1,
	.duration_s = 5,
	.size = 64,
	.route = NULL, /* echo, stream or fnf after the model */
	.model = LOAD_RR,
	.ip = 0x7f000001,
	.port = 7878,
};
static struct load_core load_cores[LOAD_MAX_CORES];
static uint8_t *load_payload;
static unsigned load_cores_done; /**< atomic: cores whose load time is over */

static inline unsigned
load_hist_index(uint64_t v)
{
	unsigned msb;

	if (v < 16)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	return 16 + (msb - 4) * 16 + (unsigned)((v >> (msb - 4)) & 15);
}

/* Midpoint of bucket @p i, in cycles. */
static double
load_hist_value(unsigned i)
{
	unsigned msb, sub;
	double low, width;

	if (i < 16)
		return (double)i;
	msb = (i - 16) / 16 + 4;
	sub = (i - 16) % 16;
	low = (double)((1ull << msb) | ((uint64_t)sub << (msb - 4)));
	width = (double)(1ull << (msb - 4));
	return low + width / 2;
}

static void load_issue(struct sk_ctx *cx, struct load_conn *lc, struct load_slot *sl);
static void load_stop(struct sk_ctx *cx, void *state);

static void
load_slot_done(struct sk_ctx *cx, struct load_slot *sl, bool ok)
{
	struct load_conn *conn = sl->conn;
	struct load_core *c = conn->lc;
	uint64_t now = rte_rdtsc();

	sl->used = false;
	conn->inflight--;
	if (ok && !sl->bad) {
		c->ok++;
		c->hist[load_hist_index(now - sl->t0)]++;
		c->last_tsc = now;
	} else if (ok) {
		c->bad++;
	}
	if (!c->stopping && conn->ready && !conn->closed)
		load_issue(cx, conn, sl);
}

static bool
load_same(struct sk_stream a, struct sk_stream b)
{
	return a.idx == b.idx && a.gen == b.gen;
}

static void
load_on_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	struct load_slot *sl = ctx;

	(void)cx;
	if (!sl->used || !load_same(sl->s, s))
		return;
	sl->items++;
	if (p->data_len != load_o.size || memcmp(p->data, load_payload, load_o.size) != 0)
		sl->bad = true;
}

static void
load_on_complete(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	struct load_slot *sl = ctx;

	if (!sl->used || !load_same(sl->s, s))
		return;
	if (sl->items == 0)
		sl->bad = true; /* an echo always answers with data */
	load_slot_done(cx, sl, true);
}

static void
load_on_error(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint32_t code, const char *msg,
	      size_t len)
{
	struct load_slot *sl = ctx;
	struct load_core *c;

	if (!sl->used || !load_same(sl->s, s))
		return;
	c = sl->conn->lc;
	if (c->errors == 0)
		fprintf(stderr, "skiff-load: core %u: stream error 0x%x: %.*s\n", c->id, code,
			(int)len, msg);
	c->errors++;
	load_slot_done(cx, sl, false);
}

static void
load_on_cancel(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	load_on_error(cx, s, ctx, SK_ERR_CANCELED, "cancelled", 9);
}

/* fnf at stop: the answer to a request sent after the last fire-and-forget (a response or an
 * ERROR, both fine) proves the server has processed every fire-and-forget before it, since frames
 * of a connection are handled in order; only then may the connection close (the engine drops TX
 * frames still queued at close). */
static void
load_barrier_done(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	(void)cx;
	(void)s;
	((struct load_conn *)ctx)->barrier = false;
}

static void
load_barrier_error(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint32_t code, const char *msg,
		   size_t len)
{
	(void)code;
	(void)msg;
	(void)len;
	load_barrier_done(cx, s, ctx);
}

static const struct sk_stream_cbs load_barrier_cbs = {
	.on_complete = load_barrier_done,
	.on_error = load_barrier_error,
	.on_cancel = load_barrier_done,
};

static const struct sk_stream_cbs load_stream_cbs = {
	.on_next = load_on_next,
	.on_complete = load_on_complete,
	.on_error = load_on_error,
	.on_cancel = load_on_cancel,
};

static void
load_issue(struct sk_ctx *cx, struct load_conn *conn, struct load_slot *sl)
{
	struct load_core *c = conn->lc;
	struct sk_payload p = {.metadata = c->md,
			       .metadata_len = c->md_len,
			       .has_metadata = true,
			       .data = load_payload,
			       .data_len = load_o.size};
	int rc;

	sl->conn = conn;
	sl->items = 0;
	sl->bad = false;
	sl->t0 = rte_rdtsc();
	if (c->first_tsc == 0)
		c->first_tsc = sl->t0;
	if (load_o.model == LOAD_STREAM)
		rc = sk_request_stream(cx, conn->c, &p, 1u << 20, &load_stream_cbs, sl, &sl->s);
	else
		rc = sk_request_response(cx, conn->c, &p, &load_stream_cbs, sl, &sl->s);
	if (rc != 0) {
		c->send_fail++; /* retried from the poll hook */
		return;
	}
	sl->used = true;
	conn->inflight++;
	c->sent++;
}

/* Fill every free slot of the ready connections; fnf: send up to inflight per connection. */
static unsigned
load_fill(struct sk_ctx *cx, struct load_core *c)
{
	unsigned work = 0;

	for (unsigned i = 0; i < c->n_conns; i++) {
		struct load_conn *conn = &c->conns[i];

		if (!conn->ready || conn->closed)
			continue;
		if (load_o.model == LOAD_FNF) {
			struct sk_payload p = {.metadata = c->md,
					       .metadata_len = c->md_len,
					       .has_metadata = true,
					       .data = load_payload,
					       .data_len = load_o.size};

			for (unsigned k = 0; k < load_o.inflight; k++) {
				if (sk_fire_and_forget(cx, conn->c, &p) != 0) {
					c->send_fail++;
					break;
				}
				if (c->first_tsc == 0)
					c->first_tsc = rte_rdtsc();
				c->sent++;
				c->ok++;
				work++;
			}
			c->last_tsc = rte_rdtsc();
			continue;
		}
		for (unsigned k = 0; k < load_o.inflight && conn->inflight < load_o.inflight; k++)
			if (!conn->slots[k].used) {
				load_issue(cx, conn, &conn->slots[k]);
				work++;
			}
	}
	return work;
}

static void
load_on_ready(struct sk_ctx *cx, struct sk_conn h, void *ctx)
{
	struct load_conn *conn = ctx;

	(void)h;
	conn->ready = true;
	if (conn->lc->end_tsc == 0)
		conn->lc->end_tsc = rte_rdtsc() + (uint64_t)load_o.duration_s * rte_get_tsc_hz();
	if (!conn->lc->stopping && load_o.model != LOAD_FNF)
		for (unsigned k = 0; k < load_o.inflight; k++)
			load_issue(cx, conn, &conn->slots[k]);
}

static void
load_on_closed(struct sk_ctx *cx, struct sk_conn h, void *ctx, uint32_t code, const char *msg,
	       size_t len)
{
	struct load_conn *conn = ctx;
	struct load_core *c = conn->lc;

	(void)cx;
	(void)h;
	conn->closed = true;
	conn->inflight = 0;
	conn->barrier = false;
	if (!c->stopping || code != 0) {
		if (c->conn_errors == 0)
			fprintf(stderr, "skiff-load: core %u: connection closed (0x%x) %.*s\n",
				c->id, code, (int)len, msg);
		c->conn_errors++;
	}
}

static const struct sk_conn_cbs load_conn_cbs = {
	.on_ready = load_on_ready,
	.on_closed = load_on_closed,
};

static void *
load_core_init(struct sk_ctx *cx, unsigned core_id)
{
	struct load_core *c;
	unsigned cores;
	int n;

	(void)cx;
	if (core_id >= LOAD_MAX_CORES)
		return NULL;
	c = &load_cores[core_id];
	c->id = core_id;
	/* Connection j runs on core j % cores; slots are made now, never per request. */
	cores = sk_main_cores() ? sk_main_cores() : 1;
	c->n_conns = load_o.connections / cores + (core_id < load_o.connections % cores);
	c->conns = calloc(c->n_conns ? c->n_conns : 1, sizeof(*c->conns));
	if (c->conns == NULL)
		return NULL;
	for (unsigned i = 0; i < c->n_conns; i++) {
		c->conns[i].lc = c;
		c->conns[i].slots = calloc(load_o.inflight, sizeof(struct load_slot));
		if (c->conns[i].slots == NULL) {
			c->n_conns = i;
			return NULL;
		}
	}
	n = sk_route_metadata(c->md, sizeof(c->md), load_o.route);
	c->md_len = n > 0 ? (uint32_t)n : 0;
	return c;
}

static unsigned
load_poll(struct sk_ctx *cx, void *state)
{
	struct load_core *c = state;
	unsigned work = 0;

	if (c == NULL || c->stopping)
		return 0;
	/* This core's load time is over: no new requests; the last core done stops the run. */
	if (!c->done && (c->n_conns == 0 || (c->end_tsc != 0 && rte_rdtsc() >= c->end_tsc))) {
		c->done = true;
		c->stopping = true;
		load_stop(cx, c);
		if (__atomic_add_fetch(&load_cores_done, 1, __ATOMIC_ACQ_REL) == sk_main_cores())
			sk_main_request_stop();
		return 1;
	}
	if (!c->started) {
		c->started = true;
		for (unsigned i = 0; i < c->n_conns; i++) {
			struct load_conn *conn = &c->conns[i];
			int rc = sk_connect(cx, load_o.ip, load_o.port, &load_conn_cbs, conn,
					    &conn->c);

			if (rc != 0) {
				fprintf(stderr, "skiff-load: core %u: connect: %s\n", c->id,
					strerror(-rc));
				conn->closed = true;
				c->conn_errors++;
			}
		}
		return c->n_conns;
	}
	/* Requests refused for a moment (send queue full) are retried here. */
	if (c->send_fail != 0 || load_o.model == LOAD_FNF)
		work = load_fill(cx, c);
	return work;
}

static void
load_stop(struct sk_ctx *cx, void *state)
{
	struct load_core *c = state;

	if (c == NULL || c->barriers_sent)
		return;
	c->stopping = true;
	c->barriers_sent = true;
	if (load_o.model != LOAD_FNF)
		return;
	for (unsigned i = 0; i < c->n_conns; i++) {
		struct load_conn *conn = &c->conns[i];
		struct sk_payload p = {.metadata = c->md,
				       .metadata_len = c->md_len,
				       .has_metadata = true,
				       .data = load_payload,
				       .data_len = 0};
		struct sk_stream h;

		if (conn->ready && !conn->closed &&
		    sk_request_response(cx, conn->c, &p, &load_barrier_cbs, conn, &h) == 0)
			conn->barrier = true;
	}
}

static bool
load_drained(struct sk_ctx *cx, void *state)
{
	struct load_core *c = state;

	(void)cx;
	if (c == NULL)
		return true;
	for (unsigned i = 0; i < c->n_conns; i++)
		if (!c->conns[i].closed && (c->conns[i].inflight != 0 || c->conns[i].barrier))
			return false;
	return true;
}

static const struct sk_app load_app = {
	.name = "skiff-load",
	.core_init = load_core_init,
};

static const struct sk_main_hooks load_hooks = {
	.poll = load_poll,
	.stop = load_stop,
	.drained = load_drained,
};

/* ---- options and report --------------------------------------------------------------------- */

static const char load_usage[] =
	"An RSocket load generator (a Skiff app: posix or native stack). Load options:\n"
	"  --target IP:PORT      server (default 127.0.0.1:7878)\n"
	"  --connections N       connections, spread over the worker cores (default 1)\n"
	"  --inflight K          requests outstanding per connection (default 1)\n"
	"  --duration S          seconds of load, then drain (default 5, at most 3600)\n"
	"  --size B              request data bytes (default 64)\n"
	"  --route R             route tag (default: echo, stream or fnf after the model)\n"
	"  --model rr|stream|fnf request-response, request-stream, fire-and-forget (default rr)\n"
	"  --json                print one JSON object instead of the text report\n"
	"Every answer must equal the request's data (skiff-echo's echo and stream routes); the\n"
	"exit status is 1 if one did not, if a connection failed, or if nothing completed.\n"
	"\n"
	"  skiff-load --connections 4 --inflight 8 --duration 5\n"
	"  skiff-load -c conf/load.conf --target 198.18.0.2:7878 --json\n";

static int
load_parse_uint(const char *name, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0' || x < lo || x > hi) {
		fprintf(stderr, "skiff-load: %s %s: expected an integer in %u..%u\n", name, v, lo,
			hi);
		return -1;
	}
	*out = (unsigned)x;
	return 0;
}

static int
load_parse_target(const char *v)
{
	unsigned a, b, c, d, port;
	char tail;

	if (sscanf(v, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &port, &tail) != 5 || a > 255 ||
	    b > 255 || c > 255 || d > 255 || port == 0 || port > 65535) {
		fprintf(stderr, "skiff-load: --target %s: expected IPv4:PORT\n", v);
		return -1;
	}
	load_o.ip = a << 24 | b << 16 | c << 8 | d;
	load_o.port = (uint16_t)port;
	return 0;
}

/* Take our options out of argv; the rest (and all after "--") goes to sk_main. @return new argc,
 * -1 on error, -2 for --help. */
static int
load_parse(int argc, char **argv, char **out)
{
	int n = 0;

	out[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;

		if (strcmp(a, "--") == 0) {
			while (i < argc)
				out[n++] = argv[i++];
			break;
		}
		if (strcmp(a, "--json") == 0) {
			load_o.json = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			out[n++] = argv[i];
			return -2 - n;
		}
		if (strcmp(a, "--connections") && strcmp(a, "--inflight") &&
		    strcmp(a, "--duration") && strcmp(a, "--size") && strcmp(a, "--route") &&
		    strcmp(a, "--model") && strcmp(a, "--target")) {
			out[n++] = argv[i];
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "skiff-load: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--connections"))
			rc = load_parse_uint(a, v, 1, 65536, &load_o.connections);
		else if (!strcmp(a, "--inflight"))
			rc = load_parse_uint(a, v, 1, 1024, &load_o.inflight);
		else if (!strcmp(a, "--duration"))
			rc = load_parse_uint(a, v, 1, 3600, &load_o.duration_s);
		else if (!strcmp(a, "--size"))
			rc = load_parse_uint(a, v, 0, 1 << 20, &load_o.size);
		else if (!strcmp(a, "--route"))
			load_o.route = v;
		else if (!strcmp(a, "--target"))
			rc = load_parse_target(v);
		else if (!strcmp(v, "rr"))
			load_o.model = LOAD_RR;
		else if (!strcmp(v, "stream"))
			load_o.model = LOAD_STREAM;
		else if (!strcmp(v, "fnf"))
			load_o.model = LOAD_FNF;
		else {
			fprintf(stderr, "skiff-load: --model %s: expected rr, stream or fnf\n", v);
			rc = -1;
		}
		if (rc != 0)
			return -1;
	}
	return n;
}

/* The request data: printable, not a decimal number (skiff-echo's stream route then repeats it). */
static int
load_setup(void)
{
	load_payload = malloc(load_o.size ? load_o.size : 1);
	if (load_payload == NULL)
		return -1;
	for (unsigned i = 0; i < load_o.size; i++)
		load_payload[i] = (uint8_t)('a' + (i * 7 + i / 26) % 26);
	return 0;
}

/* Everything load_setup() and load_core_init() allocated (LeakSanitizer checks the process). */
static void
load_free(char **av)
{
	for (unsigned k = 0; k < LOAD_MAX_CORES; k++) {
		struct load_core *c = &load_cores[k];

		for (unsigned i = 0; c->conns != NULL && i < c->n_conns; i++)
			free(c->conns[i].slots);
		free(c->conns);
		c->conns = NULL;
		c->n_conns = 0;
	}
	free(load_payload);
	load_payload = NULL;
	free(av);
}

static double
load_percentile(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	if (total == 0)
		return 0;
	if (want >= total)
		want = total - 1;
	for (unsigned i = 0; i < LOAD_HIST; i++) {
		seen += h[i];
		if (seen > want)
			return load_hist_value(i);
	}
	return 0;
}

static int
load_report(int rc_main, unsigned cores)
{
	static const char *const models[] = {"rr", "stream", "fnf"};
	uint64_t hist[LOAD_HIST] = {0};
	uint64_t sent = 0, ok = 0, bad = 0, errors = 0, conn_errors = 0, first = UINT64_MAX,
		 last = 0;
	double us = 1e6 / (double)rte_get_tsc_hz(), secs, rps, p50, p99, p999;
	bool pass;

	for (unsigned k = 0; k < cores; k++) {
		const struct load_core *c = &load_cores[k];

		sent += c->sent;
		ok += c->ok;
		bad += c->bad;
		errors += c->errors;
		conn_errors += c->conn_errors;
		if (c->first_tsc != 0 && c->first_tsc < first)
			first = c->first_tsc;
		if (c->last_tsc > last)
			last = c->last_tsc;
		for (unsigned i = 0; i < LOAD_HIST; i++)
			hist[i] += c->hist[i];
	}
	secs = last > first && first != UINT64_MAX ? (double)(last - first) / rte_get_tsc_hz() : 0;
	rps = secs > 0 ? (double)ok / secs : 0;
	p50 = load_percentile(hist, load_o.model == LOAD_FNF ? 0 : ok, 0.50) * us;
	p99 = load_percentile(hist, load_o.model == LOAD_FNF ? 0 : ok, 0.99) * us;
	p999 = load_percentile(hist, load_o.model == LOAD_FNF ? 0 : ok, 0.999) * us;
	pass = rc_main == 0 && ok > 0 && bad == 0 && errors == 0 && conn_errors == 0;
	if (load_o.json) {
		printf("{\"tool\":\"skiff-load\",\"stack\":\"%s\",\"model\":\"%s\",\"route\":\"%"
		       "s\","
		       "\"size\":%u,\"connections\":%u,\"inflight\":%u,\"duration_s\":%u,"
		       "\"cores\":%u,\"sent\":%llu,\"ok\":%llu,\"bad\":%llu,\"errors\":%llu,"
		       "\"conn_errors\":%llu,\"seconds\":%.3f,\"requests_per_s\":%.1f,"
		       "\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,\"pass\":%s}\n",
		       sk_main_stack_kind()[0] ? sk_main_stack_kind() : "unknown",
		       models[load_o.model], load_o.route, load_o.size, load_o.connections,
		       load_o.inflight, load_o.duration_s, cores, (unsigned long long)sent,
		       (unsigned long long)ok, (unsigned long long)bad, (unsigned long long)errors,
		       (unsigned long long)conn_errors, secs, rps, p50, p99, p999,
		       pass ? "true" : "false");
	} else {
		printf("skiff-load: %s route=%s size=%u connections=%u inflight=%u over %.2f s on "
		       "%u "
		       "core%s\n",
		       models[load_o.model], load_o.route, load_o.size, load_o.connections,
		       load_o.inflight, secs, cores, cores == 1 ? "" : "s");
		printf("  %.0f %s/s", rps,
		       load_o.model == LOAD_FNF ? "fire-and-forget" : "requests");
		if (load_o.model != LOAD_FNF)
			printf("   latency p50 %.1f us  p99 %.1f us  p999 %.1f us", p50, p99, p999);
		printf("\n  sent %llu, ok %llu, wrong answers %llu, stream errors %llu, connection "
		       "errors %llu: %s\n",
		       (unsigned long long)sent, (unsigned long long)ok, (unsigned long long)bad,
		       (unsigned long long)errors, (unsigned long long)conn_errors,
		       pass ? "PASS" : "FAIL");
	}
	fflush(stdout);
	return pass ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct sk_main_conf mc = {
		.app = &load_app,
		.hooks = &load_hooks,
		.usage = load_usage,
		.default_config = "conf/load.conf",
		.quiet = true,
	};
	char **av = calloc((size_t)argc + 4, sizeof(char *));
	char dur[16];
	unsigned cores;
	int n, rc;

	if (av == NULL)
		return 1;
	n = load_parse(argc, argv, av);
	if (n == -1) {
		free(av);
		return 2;
	}
	if (n <= -3) { /* --help: sk_main prints the common part and our usage */
		rc = sk_main(&mc, -2 - n, av);
		free(av);
		return rc;
	}
	/* The runtime's --duration is only the bound (connection set-up included): the cores stop
	 * the run themselves after --duration seconds of load. */
	snprintf(dur, sizeof(dur), "%u", load_o.duration_s + 10);
	memmove(av + 3, av + 1, (size_t)(n - 1) * sizeof(char *));
	av[1] = "--duration";
	av[2] = dur;
	n += 2;
	if (load_o.route == NULL)
		load_o.route = load_o.model == LOAD_RR	     ? "echo"
			       : load_o.model == LOAD_STREAM ? "stream"
							     : "fnf";
	if (load_setup() != 0) {
		load_free(av);
		return 1;
	}
	rc = sk_main(&mc, n, av);
	if (sk_main_cores() == 0) {
		load_free(av);
		return rc; /* --check-config, or nothing started: no report */
	}
	cores = sk_main_cores();
	rc = load_report(rc, cores) != 0 || rc != 0 ? 1 : 0;
	load_free(av);
	return rc;
}
