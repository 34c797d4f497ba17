/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-echo: an RSocket echo service written against skiff.h alone (plus skiff_main.h for the
 * process). Routes:
 *
 *   echo     request-response: answers with the request's data
 *   stream   request-stream: N items. If the request's data is a decimal number, N is that number
 *            and item i is "item-<i>"; otherwise N is [echo] stream_items and every item is a copy
 *            of the request's data. Sends within the requester's credit, resumes on REQUEST_N.
 *   channel  request-channel: echoes every inbound item (granting one more item per echo), and
 *            completes when the requester completes
 *   fnf      fire-and-forget: counted
 *   stats    request-response: "fnf=<n> md=<n> rr=<n>" of the answering core
 *   metadata push: counted (any route or none)
 *
 * [routes] fallback = echo (conf/echo.conf) sends requests without routing metadata to echo.
 * Counters are per core; the totals are printed at exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skiff.h>
#include <skiff_main.h>

#define ECHO_MAX_CORES 64
#define ECHO_MAX_STREAMS 256

/* A request-stream in progress on this core. */
struct echo_stream {
	struct sk_stream s;
	uint32_t next, total;
	bool numbered;	     /**< items are "item-<i>" */
	struct sk_held held; /**< the request's data, when items copy it */
};

struct echo_core {
	uint64_t rr, fnf, md, streams, channels, items_out, refused;
	struct echo_stream st[ECHO_MAX_STREAMS];
};

static struct echo_core echo_cores[ECHO_MAX_CORES];
static uint32_t echo_stream_items = 10;

static struct echo_core *
echo_core(struct sk_ctx *cx)
{
	return sk_state(cx);
}

static void
echo_rr(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	echo_core(cx)->rr++;
	(void)sk_respond(cx, s, &out);
}

static void
echo_fnf(struct sk_ctx *cx, const struct sk_payload *p)
{
	(void)p;
	echo_core(cx)->fnf++;
}

static void
echo_stats(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p)
{
	struct echo_core *ec = echo_core(cx);
	char b[96];
	struct sk_payload out = {.data = (const uint8_t *)b};

	(void)p;
	out.data_len = (uint32_t)snprintf(b, sizeof(b), "fnf=%llu md=%llu rr=%llu",
					  (unsigned long long)ec->fnf, (unsigned long long)ec->md,
					  (unsigned long long)ec->rr);
	(void)sk_respond(cx, s, &out);
}

static void
echo_md_push(struct sk_ctx *cx, struct sk_conn c, const uint8_t *md, size_t len)
{
	(void)c;
	(void)md;
	(void)len;
	echo_core(cx)->md++;
}

/* Send what credit allows; complete after the last item. */
static void
echo_stream_run(struct sk_ctx *cx, struct echo_core *ec, struct echo_stream *es)
{
	char b[32];

	while (es->next < es->total) {
		struct sk_payload out = {0};

		if (es->numbered) {
			out.data = (const uint8_t *)b;
			out.data_len = (uint32_t)snprintf(b, sizeof(b), "item-%u", es->next);
		} else {
			out.data = es->held.p.data;
			out.data_len = es->held.p.data_len;
		}
		if (sk_next(cx, es->s, &out) != 0)
			return; /* no credit (on_request_n resumes) or the stream ended */
		es->next++;
		ec->items_out++;
	}
	(void)sk_complete(cx, es->s);
	sk_payload_release(cx, &es->held);
	es->s = (struct sk_stream){0, 0};
}

static bool
echo_parse_n(const struct sk_payload *p, uint32_t *n)
{
	uint64_t v = 0;

	if (p->data_len == 0 || p->data_len > 9)
		return false;
	for (uint32_t i = 0; i < p->data_len; i++) {
		if (p->data[i] < '0' || p->data[i] > '9')
			return false;
		v = v * 10 + (p->data[i] - '0');
	}
	*n = (uint32_t)v;
	return true;
}

static void
echo_stream(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n)
{
	struct echo_core *ec = echo_core(cx);
	struct echo_stream *es = NULL;

	(void)n;
	for (unsigned i = 0; i < ECHO_MAX_STREAMS && es == NULL; i++)
		if (!sk_stream_live(cx, ec->st[i].s))
			es = &ec->st[i];
	if (es == NULL) {
		ec->refused++;
		(void)sk_error(cx, s, SK_ERR_REJECTED, "too many streams on this core");
		return;
	}
	sk_payload_release(cx, &es->held); /* a stream that ended without completing */
	memset(es, 0, sizeof(*es));
	es->s = s;
	es->numbered = echo_parse_n(p, &es->total);
	if (!es->numbered) {
		es->total = echo_stream_items;
		if (sk_payload_retain(cx, p, &es->held) != 0) {
			(void)sk_error(cx, s, SK_ERR_APPLICATION, "out of memory");
			es->s = (struct sk_stream){0, 0};
			return;
		}
	}
	ec->streams++;
	echo_stream_run(cx, ec, es);
}

static void
echo_stream_request_n(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint64_t n)
{
	struct echo_core *ec = ctx;

	(void)n;
	for (unsigned i = 0; i < ECHO_MAX_STREAMS; i++)
		if (ec->st[i].s.idx == s.idx && ec->st[i].s.gen == s.gen) {
			echo_stream_run(cx, ec, &ec->st[i]);
			return;
		}
}

static void
echo_stream_end(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	struct echo_core *ec = ctx;

	for (unsigned i = 0; i < ECHO_MAX_STREAMS; i++)
		if (ec->st[i].s.idx == s.idx && ec->st[i].s.gen == s.gen) {
			sk_payload_release(cx, &ec->st[i].held);
			ec->st[i].s = (struct sk_stream){0, 0};
		}
}

static void
echo_stream_error(struct sk_ctx *cx, struct sk_stream s, void *ctx, uint32_t code, const char *msg,
		  size_t len)
{
	(void)code;
	(void)msg;
	(void)len;
	echo_stream_end(cx, s, ctx);
}

/* Channel: echo the item; grant one more inbound item per echo (RSOCKET.md 4.6). */
static void
echo_chan_next(struct sk_ctx *cx, struct sk_stream s, void *ctx, const struct sk_payload *p)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};
	int rc = sk_next(cx, s, &out);

	(void)ctx;
	if (rc == -EAGAIN) {
		(void)sk_error(cx, s, SK_ERR_APPLICATION, "no credit to echo the item");
		return;
	}
	if (rc == 0) {
		echo_core(cx)->items_out++;
		(void)sk_request_n(cx, s, 1);
	}
}

static void
echo_chan_complete(struct sk_ctx *cx, struct sk_stream s, void *ctx)
{
	(void)ctx;
	(void)sk_complete(cx, s);
}

static void
echo_channel(struct sk_ctx *cx, struct sk_stream s, const struct sk_payload *p, uint64_t n,
	     bool in_complete)
{
	struct sk_payload out = {.data = p->data, .data_len = p->data_len};

	(void)n;
	echo_core(cx)->channels++;
	if (sk_next(cx, s, &out) == 0)
		echo_core(cx)->items_out++;
	if (in_complete)
		(void)sk_complete(cx, s);
	else
		(void)sk_request_n(cx, s, 16);
}

static void *
echo_core_init(struct sk_ctx *cx, unsigned core_id)
{
	(void)cx;
	return core_id < ECHO_MAX_CORES ? &echo_cores[core_id] : NULL;
}

static void
echo_core_teardown(struct sk_ctx *cx, void *state)
{
	struct echo_core *ec = state;

	if (ec == NULL)
		return;
	for (unsigned i = 0; i < ECHO_MAX_STREAMS; i++)
		sk_payload_release(cx, &ec->st[i].held);
}

static const char *const echo_route_names[] = {"echo", "stream", "channel", "fnf", "stats"};

static const struct sk_route_handlers echo_routes[] = {
	{.request_response = echo_rr},
	{.request_stream = echo_stream,
	 .cbs = {.on_request_n = echo_stream_request_n,
		 .on_cancel = echo_stream_end,
		 .on_error = echo_stream_error}},
	{.request_channel = echo_channel,
	 .cbs = {.on_next = echo_chan_next, .on_complete = echo_chan_complete}},
	{.fire_and_forget = echo_fnf},
	{.request_response = echo_stats},
};

static const struct sk_app echo_app = {
	.name = "skiff-echo",
	.core_init = echo_core_init,
	.core_teardown = echo_core_teardown,
	.route_names = echo_route_names,
	.routes = echo_routes,
	.nb_routes = 5,
	.metadata_push = echo_md_push,
};

int
main(int argc, char **argv)
{
	static const struct sk_main_conf mc = {
		.app = &echo_app,
		.default_config = "conf/echo.conf",
		.usage = "An RSocket echo service. Routes: echo (request-response: the request's "
			 "data),\n"
			 "stream (request-stream: N items; data \"N\" gives item-0..item-N-1, "
			 "other\n"
			 "data is repeated 10 times), channel (echoes every item), fnf\n"
			 "(fire-and-forget, counted), stats (request-response: \"fnf=.. md=.. "
			 "rr=..\"\n"
			 "of the answering core); metadata push is counted. Requests without "
			 "routing\n"
			 "metadata go to [routes] fallback (echo in conf/echo.conf).\n"
			 "\n"
			 "  skiff-echo -c conf/echo.conf                 posix stack on "
			 "127.0.0.1:7878\n"
			 "  skiff-echo -c conf/echo-tap.conf             native stack on a net_tap "
			 "port\n"
			 "  skiff-echo --set stack.kind=posix --set listen.port=9000\n",
	};
	uint64_t t[6] = {0};
	int rc = sk_main(&mc, argc, argv);

	for (unsigned i = 0; i < ECHO_MAX_CORES; i++) {
		t[0] += echo_cores[i].rr;
		t[1] += echo_cores[i].streams;
		t[2] += echo_cores[i].channels;
		t[3] += echo_cores[i].fnf;
		t[4] += echo_cores[i].md;
		t[5] += echo_cores[i].items_out;
	}
	if (t[0] + t[1] + t[2] + t[3] + t[4] != 0)
		printf("skiff-echo: served request-response %llu, streams %llu, channels %llu, "
		       "fire-and-forget %llu, metadata push %llu, items sent %llu\n",
		       (unsigned long long)t[0], (unsigned long long)t[1], (unsigned long long)t[2],
		       (unsigned long long)t[3], (unsigned long long)t[4],
		       (unsigned long long)t[5]);
	return rc;
}
