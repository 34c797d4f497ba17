/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * skiff-bench-codec: frames per second per core for the codec's small-frame fast paths, measured
 * with rte_rdtsc() around tight loops on one core (no EAL: the TSC rate is calibrated against
 * CLOCK_MONOTONIC). Every result feeds a volatile sink so the compiler cannot drop the work.
 *
 *   encode/decode REQUEST_RESPONSE, composite metadata with one 8-byte routing tag, 16 bytes data
 *   encode/decode PAYLOAD(NEXT|COMPLETE), 16 bytes data
 *   encode/decode REQUEST_N
 *   decode through the segmented reader, 1,460-byte segments of back-to-back REQUEST_RESPONSE
 *   PAYLOAD(NEXT|COMPLETE) 16 bytes appended to an mbuf chain (the engine's TX path, in place)
 *
 * Usage: skiff-bench-codec [--json] [--iters N] [--only NAME] [--no-warmup]
 * Each benchmark is its own noinline function (bench_<fn>) so that
 *   valgrind --tool=callgrind --toggle-collect=bench_<fn> skiff-bench-codec --only <name> \
 *       --no-warmup --iters N
 * gives instructions per frame as Ir / N (N a multiple of 4096); tests/bench/codec/callgrind.sh
 * does this for every figure.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <rs/frame.h>
#include <rs/metadata.h>

#define RING 256u /* distinct frames per benchmark, cycled */
#define SLOT 64u  /* bytes per encoded small frame slot */

static volatile uint64_t bench_sink;

static uint8_t in_rr[RING * SLOT], in_pl[RING * SLOT], in_rn[RING * SLOT];
static uint32_t len_rr, len_pl, len_rn;
uint8_t bench_out[RING * SLOT];
static const uint8_t data16[16] = "0123456789abcdef";
static const char tag8[8] = "svc.echo";
static uint8_t md_rr[32];
static int md_rr_len;

static double
bench_tsc_hz(void)
{
	struct timespec a, b;
	uint64_t t0, t1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = rte_rdtsc_precise();
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	} while (ns < 50e6);
	t1 = rte_rdtsc_precise();
	return (double)(t1 - t0) * 1e9 / ns;
}

/*
 * Hide what a pointer points to from the optimiser, once per frame: the bytes behind it are
 * unknown on every iteration, as a handler's metadata and data would be. Without this the
 * constant tag and data let the compiler fold the routing entry and the payload copy into
 * constant stores hoisted out of the measured work.
 */
static inline const void *
bench_opaque(const void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

/* --- encoders --- */

__attribute__((noinline)) static uint64_t
bench_rr_encode(uint64_t iters)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		uint8_t *b = bench_out + (i % RING) * SLOT;
		int n = rs_frame_encode_request_response(b, SLOT, (uint32_t)(2 * i + 1), 0,
							 bench_opaque(md_rr), (uint32_t)md_rr_len,
							 bench_opaque(data16), 16);

		acc += (uint64_t)n + b[5];
	}
	return acc;
}

/** Same, with the composite routing entry written into the frame for every request. */
__attribute__((noinline)) static uint64_t
bench_rr_encode_md(uint64_t iters)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		uint8_t *b = bench_out + (i % RING) * SLOT;
		uint8_t md[16];
		int m = rs_frame_md_routing_entry1(md, sizeof(md), bench_opaque(tag8), 8);
		int n = rs_frame_encode_request_response(b, SLOT, (uint32_t)(2 * i + 1), 0, md,
							 (uint32_t)m, bench_opaque(data16), 16);

		acc += (uint64_t)n + b[5];
	}
	return acc;
}

__attribute__((noinline)) static uint64_t
bench_payload_encode(uint64_t iters)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		uint8_t *b = bench_out + (i % RING) * SLOT;
		int n = rs_frame_encode_payload(b, SLOT, (uint32_t)(2 * i + 1),
						RS_FRAME_FLAG_N | RS_FRAME_FLAG_C, NULL, 0,
						bench_opaque(data16), 16);

		acc += (uint64_t)n + b[5];
	}
	return acc;
}

__attribute__((noinline)) static uint64_t
bench_request_n_encode(uint64_t iters)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		uint8_t *b = bench_out + (i % RING) * SLOT;
		int n = rs_frame_encode_request_n(b, SLOT, (uint32_t)(2 * i + 1),
						  (uint32_t)(i & 0xffff) + 1);

		acc += (uint64_t)n + b[5];
	}
	return acc;
}

/* --- decoders --- */

static const struct rs_frame_limits bench_lim = {RS_FRAME_LEN_MAX};

/** Decode one small frame from each ring slot; fold the fields into the accumulator. */
#define BENCH_DECODE_LOOP(in_, flen_)                                                              \
	do {                                                                                       \
		for (uint64_t i = 0; i < iters; i++) {                                             \
			struct rs_frame f;                                                         \
			int n = rs_frame_decode((in_) + (i % RING) * SLOT, (flen_), &bench_lim,    \
						&f);                                               \
                                                                                                   \
			acc += (uint64_t)n;                                                        \
			if (n > 0)                                                                 \
				acc += f.stream_id + f.data.len + f.metadata.len;                  \
		}                                                                                  \
	} while (0)

__attribute__((noinline)) static uint64_t
bench_rr_decode(uint64_t iters)
{
	uint64_t acc = 0;

	BENCH_DECODE_LOOP(in_rr, len_rr);
	return acc;
}

/** Decode plus finding the routing tag in the composite metadata, as a router would. */
__attribute__((noinline)) static uint64_t
bench_rr_decode_route(uint64_t iters)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		struct rs_frame f;
		const char *tag = NULL;
		uint8_t tl = 0;
		int n = rs_frame_decode(in_rr + (i % RING) * SLOT, len_rr, &bench_lim, &f);

		if (n > 0 && rs_frame_slice_is_contig(&f.metadata))
			rs_frame_md_route_first(f.metadata.ptr, f.metadata.len, &tag, &tl);
		acc += (uint64_t)n + tl + (tag ? (uint8_t)tag[0] : 0);
	}
	return acc;
}

__attribute__((noinline)) static uint64_t
bench_payload_decode(uint64_t iters)
{
	uint64_t acc = 0;

	BENCH_DECODE_LOOP(in_pl, len_pl);
	return acc;
}

__attribute__((noinline)) static uint64_t
bench_request_n_decode(uint64_t iters)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < iters; i++) {
		struct rs_frame f;
		int n = rs_frame_decode(in_rn + (i % RING) * SLOT, len_rn, &bench_lim, &f);

		acc += (uint64_t)n;
		if (n > 0)
			acc += f.stream_id + (f.type == RS_FRAME_REQUEST_N ? f.request_n : 0);
	}
	return acc;
}

/* --- encode into an mbuf chain --- */

/** A fake 64,000-byte tail segment (DPDK.md 5.6; no pool: the fast path never spills here). */
static struct rte_mbuf *chain_seg;

__attribute__((noinline)) static uint64_t
bench_chain_payload(uint64_t iters)
{
	struct rs_frame_chain c = {chain_seg, chain_seg, 0};
	uint64_t acc = 0;

	chain_seg->data_len = 0;
	chain_seg->pkt_len = 0;
	for (uint64_t i = 0; i < iters; i++) {
		int n = rs_frame_chain_append_payload(&c, NULL, (uint32_t)(2 * i + 1),
						      RS_FRAME_FLAG_N | RS_FRAME_FLAG_C, NULL, 0,
						      bench_opaque(data16), 16);

		acc += (uint64_t)n;
		/* The engine hands the chain to TCP once per loop; here: start over when full. */
		if (chain_seg->data_len > 64000 - 64) {
			chain_seg->data_len = 0;
			chain_seg->pkt_len = 0;
		}
	}
	return acc;
}

/* --- segmented reader --- */

#define SEG_BYTES 1460u
#define STREAM_FRAMES 4096u
static uint8_t *seg_stream;
static struct rte_mbuf *seg_m[STREAM_FRAMES];
static unsigned seg_n;

/** Fake mbufs (DPDK.md 5.6) over a stream of back-to-back REQUEST_RESPONSE frames. */
static void
bench_segments_init(void)
{
	size_t total = (size_t)STREAM_FRAMES * len_rr, k;

	seg_stream = malloc(total);
	for (k = 0; k < STREAM_FRAMES; k++)
		memcpy(seg_stream + k * len_rr, in_rr + (k % RING) * SLOT, len_rr);
	for (k = 0; k * SEG_BYTES < total; k++) {
		size_t len = total - k * SEG_BYTES < SEG_BYTES ? total - k * SEG_BYTES : SEG_BYTES;
		struct rte_mbuf *m = aligned_alloc(64, sizeof(*m));

		memset(m, 0, sizeof(*m));
		m->buf_addr = seg_stream + k * SEG_BYTES;
		m->buf_len = (uint16_t)len;
		m->data_len = (uint16_t)len;
		m->pkt_len = (uint32_t)len;
		m->nb_segs = 1;
		rte_mbuf_refcnt_set(m, 1);
		seg_m[seg_n++] = m;
	}
}

/** @p iters is rounded up to whole streams of STREAM_FRAMES frames. */
__attribute__((noinline)) static uint64_t
bench_reader_decode(uint64_t iters)
{
	struct rs_frame_reader r;
	uint64_t acc = 0, done = 0;

	while (done < iters) {
		struct rs_frame f;
		unsigned s;
		int n;

		rs_frame_reader_init(&r, RS_FRAME_LEN_MAX);
		for (s = 0; s < seg_n; s++) {
			seg_m[s]->next = NULL;
			rs_frame_reader_push(&r, seg_m[s]);
			while ((n = rs_frame_reader_next(&r, &f)) > 0) {
				acc += (uint64_t)n + f.stream_id + f.data.len + f.metadata.len;
				done++;
			}
			/* Segments handed back are fake: nothing to free. */
			(void)rs_frame_reader_release(&r);
		}
	}
	return acc;
}

/* --- driver --- */

struct bench {
	const char *name;
	uint64_t (*fn)(uint64_t iters);
	double fps;
	double cycles;
	uint64_t frames;
};

static struct bench benches[] = {
	{"rr_encode", bench_rr_encode, 0, 0, 0},
	{"rr_encode_md", bench_rr_encode_md, 0, 0, 0},
	{"rr_decode", bench_rr_decode, 0, 0, 0},
	{"rr_decode_route", bench_rr_decode_route, 0, 0, 0},
	{"payload_encode", bench_payload_encode, 0, 0, 0},
	{"payload_decode", bench_payload_decode, 0, 0, 0},
	{"request_n_encode", bench_request_n_encode, 0, 0, 0},
	{"request_n_decode", bench_request_n_decode, 0, 0, 0},
	{"reader_decode_1460", bench_reader_decode, 0, 0, 0},
	{"chain_payload_encode", bench_chain_payload, 0, 0, 0},
};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))

static void
bench_inputs(void)
{
	md_rr_len = rs_frame_md_routing_entry1(md_rr, sizeof(md_rr), tag8, 8);
	for (uint32_t i = 0; i < RING; i++) {
		int a = rs_frame_encode_request_response(in_rr + i * SLOT, SLOT, 2 * i + 1, 0,
							 md_rr, (uint32_t)md_rr_len, data16, 16);
		int b = rs_frame_encode_payload(in_pl + i * SLOT, SLOT, 2 * i + 1,
						RS_FRAME_FLAG_N | RS_FRAME_FLAG_C, NULL, 0, data16,
						16);
		int c = rs_frame_encode_request_n(in_rn + i * SLOT, SLOT, 2 * i + 1, i + 1);

		if (a <= 0 || b <= 0 || c <= 0) {
			fprintf(stderr, "bench: input encoding failed\n");
			exit(1);
		}
		len_rr = (uint32_t)a;
		len_pl = (uint32_t)b;
		len_rn = (uint32_t)c;
	}
}

int
main(int argc, char **argv)
{
	uint64_t iters = 50000000;
	const char *only = NULL;
	int json = 0, warmup = 1;
	double hz;
	unsigned i;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[a], "--iters") == 0 && a + 1 < argc) {
			iters = strtoull(argv[++a], NULL, 0);
		} else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc) {
			only = argv[++a];
		} else if (strcmp(argv[a], "--no-warmup") == 0) {
			warmup = 0;
		} else {
			fprintf(stderr,
				"usage: %s [--json] [--iters N] [--only NAME] [--no-warmup]\n",
				argv[0]);
			return 2;
		}
	}
	bench_inputs();
	bench_segments_init();
	chain_seg = aligned_alloc(64, sizeof(*chain_seg));
	memset(chain_seg, 0, sizeof(*chain_seg));
	chain_seg->buf_addr = malloc(64000);
	chain_seg->buf_len = 64000;
	chain_seg->nb_segs = 1;
	rte_mbuf_refcnt_set(chain_seg, 1);
	hz = bench_tsc_hz();
	for (i = 0; i < NBENCH; i++) {
		struct bench *b = &benches[i];
		uint64_t t0, t1, n = iters;

		if (only != NULL && strcmp(only, b->name) != 0)
			continue;
		if (b->fn == bench_reader_decode)
			n = (iters + STREAM_FRAMES - 1) / STREAM_FRAMES * STREAM_FRAMES;
		if (warmup)
			bench_sink += b->fn(n / 100 + 1);
		t0 = rte_rdtsc_precise();
		bench_sink += b->fn(n);
		t1 = rte_rdtsc_precise();
		b->frames = n;
		b->cycles = (double)(t1 - t0) / (double)n;
		b->fps = (double)n * hz / (double)(t1 - t0);
	}
	if (json) {
		int first = 1;

		printf("{\"bench\":\"codec\",\"tsc_hz\":%.0f,\"iters\":%llu,\"provisional\":true",
		       hz, (unsigned long long)iters);
		for (i = 0; i < NBENCH; i++) {
			if (benches[i].frames == 0)
				continue;
			printf(",\"%s_fps\":%.0f,\"%s_cycles\":%.2f", benches[i].name,
			       benches[i].fps, benches[i].name, benches[i].cycles);
			first = 0;
		}
		(void)first;
		printf("}\n");
	} else {
		printf("skiff-bench-codec: one core, TSC %.3f GHz, %llu frames per figure\n",
		       hz / 1e9, (unsigned long long)iters);
		printf("%-22s %16s %12s\n", "benchmark", "frames/s", "cycles/frame");
		for (i = 0; i < NBENCH; i++) {
			if (benches[i].frames == 0)
				continue;
			printf("%-22s %16.0f %12.2f\n", benches[i].name, benches[i].fps,
			       benches[i].cycles);
		}
	}
	return 0;
}
