/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Router benchmark: ns per match for an exact hit, a pattern hit and a miss, with 1000 exact
 * routes and 50 pattern routes declared after them (so exact hits skip the Hyperscan scan and
 * misses pay for it). Also the cost of pulling the tag out of composite metadata. Figures are
 * provisional (shared machine). --json prints one JSON object.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sk/router.h>

static uint64_t
b_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double
b_match(const struct sk_router *r, struct sk_router_scratch *s, const char *tag, int want)
{
	size_t len = strlen(tag);
	unsigned n = 2000000;
	uint64_t t0 = b_ns();

	for (unsigned i = 0; i < n; i++)
		if (sk_router_match(r, s, tag, len) != want)
			return -1;
	return (double)(b_ns() - t0) / n;
}

int
main(int argc, char **argv)
{
	enum { NE = 1000, NP = 50 };
	static struct sk_router_route rt[NE + NP];
	static char names[NE + NP][16], texts[NE + NP][32];
	struct sk_router_conf conf = {rt, NE + NP, NULL};
	struct sk_router *r;
	struct sk_router_scratch *s;
	uint8_t md[64] = {0xfe, 0, 0, 11, 10};
	double exact, pattern, miss, tag_ns;
	const char *tag;
	size_t tl;
	char err[256];
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;

	for (int i = 0; i < NE; i++) {
		snprintf(names[i], sizeof(names[i]), "e%d", i);
		snprintf(texts[i], sizeof(texts[i]), "svc.method%d", i);
		rt[i] = (struct sk_router_route){names[i], texts[i], SK_ROUTER_EXACT};
	}
	for (int i = 0; i < NP; i++) {
		snprintf(names[NE + i], sizeof(names[0]), "p%d", i);
		snprintf(texts[NE + i], sizeof(texts[0]), "^/api/v%d/[a-z]+/[0-9]+$", i);
		rt[NE + i] =
			(struct sk_router_route){names[NE + i], texts[NE + i], SK_ROUTER_PATTERN};
	}
	if (sk_router_create(&conf, &r, err, sizeof(err)) != 0 || sk_router_scratch_alloc(r, &s)) {
		fprintf(stderr, "router: %s\n", err);
		return 1;
	}
	exact = b_match(r, s, "svc.method777", 777);
	pattern = b_match(r, s, "/api/v42/users/12345", NE + 42);
	miss = b_match(r, s, "/nothing/here", SK_ROUTER_NO_ROUTE);
	memcpy(md + 5, "svc.method", 10);
	{
		unsigned n = 5000000;
		uint64_t t0 = b_ns();

		for (unsigned i = 0; i < n; i++)
			if (sk_router_tag_from_metadata(md, 15, &tag, &tl) != 0)
				return 1;
		tag_ns = (double)(b_ns() - t0) / n;
	}
	if (exact < 0 || pattern < 0 || miss < 0) {
		fprintf(stderr, "router: wrong match result\n");
		return 1;
	}
	if (json)
		printf("{\"bench\":\"router\",\"exact_ns\":%.1f,\"pattern_ns\":%.1f,\"miss_ns\":%."
		       "1f,"
		       "\"tag_from_metadata_ns\":%.1f,\"exact_routes\":%d,\"pattern_routes\":%d,"
		       "\"provisional\":true}\n",
		       exact, pattern, miss, tag_ns, NE, NP);
	else
		printf("router (%d exact, %d pattern routes; provisional):\n"
		       "  exact hit   %6.1f ns\n  pattern hit %6.1f ns\n  miss        %6.1f ns\n"
		       "  tag from composite metadata %.1f ns\n",
		       NE, NP, exact, pattern, miss, tag_ns);
	sk_router_scratch_free(s);
	sk_router_free(r);
	return 0;
}
