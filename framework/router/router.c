/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route matching: exact routes through an open-addressing hash table (FNV-1a, linear probing, built
 * once), pattern routes through one Hyperscan block database with per-core scratch. The engine
 * calls sk_router_match_metadata() for every request frame it accepts, on the connection's core;
 * nothing here allocates or locks on that path. Construction (sk_router_create) is control-path
 * code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include <sk/router.h>

/* Well-known MIME id of the routing extension, RSOCKET.md 8.2. */
#define SK_ROUTER_MIME_ROUTING 0x7E
static const char sk_router_routing_mime[] = "message/x.rsocket.routing.v0";

struct sk_router_entry {
	char *name;
	char *text;
	size_t text_len;
	enum sk_router_kind kind;
};

struct sk_router {
	struct sk_router_entry *routes;
	uint32_t nb_routes;
	int fallback; /**< route index or -1 */
	/* Exact table: slot holds route index + 1, 0 = empty. */
	uint32_t *slots;
	uint32_t slot_mask;
	uint32_t first_pattern; /**< lowest index of a pattern route, UINT32_MAX if none */
	hs_database_t *db;	/**< NULL when there is no pattern route */
	hs_scratch_t *proto;	/**< prototype scratch, cloned per core */
};

struct sk_router_scratch {
	hs_scratch_t *hs;
};

static uint32_t
sk_router_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

static void __attribute__((format(printf, 3, 4)))
sk_router_errf(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

static int
sk_router_build_exact(struct sk_router *r)
{
	uint32_t n = 8;

	while (n < 2 * r->nb_routes + 2)
		n <<= 1;
	r->slots = calloc(n, sizeof(*r->slots));
	if (r->slots == NULL)
		return -ENOMEM;
	r->slot_mask = n - 1;
	for (uint32_t i = 0; i < r->nb_routes; i++) {
		const struct sk_router_entry *e = &r->routes[i];
		uint32_t h;

		if (e->kind != SK_ROUTER_EXACT)
			continue;
		h = sk_router_hash(e->text, e->text_len) & r->slot_mask;
		for (;;) {
			uint32_t v = r->slots[h];

			if (v == 0) {
				r->slots[h] = i + 1;
				break;
			}
			/* A duplicate exact text: the first declared keeps the slot. */
			if (r->routes[v - 1].text_len == e->text_len &&
			    memcmp(r->routes[v - 1].text, e->text, e->text_len) == 0)
				break;
			h = (h + 1) & r->slot_mask;
		}
	}
	return 0;
}

static int
sk_router_build_patterns(struct sk_router *r, char *err, size_t err_len)
{
	const char **exprs;
	unsigned int *flags, *ids;
	unsigned int n = 0;
	hs_compile_error_t *cerr = NULL;
	int rc = 0;

	for (uint32_t i = 0; i < r->nb_routes; i++)
		if (r->routes[i].kind == SK_ROUTER_PATTERN)
			n++;
	if (n == 0)
		return 0;
	exprs = calloc(n, sizeof(*exprs));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	if (exprs == NULL || flags == NULL || ids == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	n = 0;
	for (uint32_t i = 0; i < r->nb_routes; i++) {
		if (r->routes[i].kind != SK_ROUTER_PATTERN)
			continue;
		/* Compile each pattern alone first so an error names its own route even when
		 * Hyperscan reports a database-wide failure for the multi compile. */
		hs_database_t *one = NULL;

		if (hs_compile(r->routes[i].text, HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, NULL, &one,
			       &cerr) != HS_SUCCESS) {
			sk_router_errf(err, err_len, "route '%s': pattern '%s': %s",
				       r->routes[i].name, r->routes[i].text,
				       cerr != NULL ? cerr->message : "?");
			hs_free_compile_error(cerr);
			rc = -EINVAL;
			goto out;
		}
		hs_free_database(one);
		if (r->first_pattern == UINT32_MAX)
			r->first_pattern = i;
		exprs[n] = r->routes[i].text;
		flags[n] = HS_FLAG_SINGLEMATCH;
		ids[n] = i;
		n++;
	}
	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &r->db, &cerr) !=
	    HS_SUCCESS) {
		int at = cerr != NULL ? cerr->expression : -1;

		if (at >= 0 && (unsigned)at < n)
			sk_router_errf(err, err_len, "route '%s': pattern '%s': %s",
				       r->routes[ids[at]].name, exprs[at], cerr->message);
		else
			sk_router_errf(err, err_len, "routes: %s",
				       cerr != NULL ? cerr->message : "hs_compile_multi failed");
		hs_free_compile_error(cerr);
		r->db = NULL;
		rc = -EINVAL;
		goto out;
	}
	if (hs_alloc_scratch(r->db, &r->proto) != HS_SUCCESS)
		rc = -ENOMEM;
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

static int
sk_router_check_conf(const struct sk_router_conf *conf, char *err, size_t err_len)
{
	if (conf == NULL || (conf->nb_routes > 0 && conf->routes == NULL) ||
	    conf->nb_routes > INT32_MAX) {
		sk_router_errf(err, err_len, "routes: invalid configuration");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < conf->nb_routes; i++) {
		const struct sk_router_route *rt = &conf->routes[i];

		if (rt->name == NULL || rt->name[0] == '\0') {
			sk_router_errf(err, err_len, "routes: route with an empty name");
			return -EINVAL;
		}
		if (rt->text == NULL || rt->text[0] == '\0' ||
		    (rt->kind != SK_ROUTER_EXACT && rt->kind != SK_ROUTER_PATTERN)) {
			sk_router_errf(err, err_len, "route '%s': empty or invalid match",
				       rt->name);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(conf->routes[j].name, rt->name) == 0) {
				sk_router_errf(err, err_len, "route '%s': declared twice",
					       rt->name);
				return -EINVAL;
			}
	}
	return 0;
}

int
sk_router_create(const struct sk_router_conf *conf, struct sk_router **out, char *err,
		 size_t err_len)
{
	struct sk_router *r;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	rc = sk_router_check_conf(conf, err, err_len);
	if (rc != 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->fallback = -1;
	r->first_pattern = UINT32_MAX;
	r->routes = calloc(conf->nb_routes + 1, sizeof(*r->routes));
	if (r->routes == NULL) {
		free(r);
		return -ENOMEM;
	}
	r->nb_routes = conf->nb_routes;
	for (uint32_t i = 0; i < conf->nb_routes; i++) {
		r->routes[i].name = strdup(conf->routes[i].name);
		r->routes[i].text = strdup(conf->routes[i].text);
		r->routes[i].kind = conf->routes[i].kind;
		if (r->routes[i].name == NULL || r->routes[i].text == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		r->routes[i].text_len = strlen(r->routes[i].text);
	}
	if (conf->fallback != NULL) {
		r->fallback = sk_router_find(r, conf->fallback);
		if (r->fallback < 0) {
			sk_router_errf(err, err_len,
				       "routes: fallback '%s' is not a declared route",
				       conf->fallback);
			rc = -EINVAL;
			goto fail;
		}
	}
	rc = sk_router_build_exact(r);
	if (rc == 0)
		rc = sk_router_build_patterns(r, err, err_len);
	if (rc != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	sk_router_free(r);
	return rc;
}

void
sk_router_free(struct sk_router *r)
{
	if (r == NULL)
		return;
	if (r->proto != NULL)
		hs_free_scratch(r->proto);
	if (r->db != NULL)
		hs_free_database(r->db);
	for (uint32_t i = 0; i < r->nb_routes; i++) {
		free(r->routes[i].name);
		free(r->routes[i].text);
	}
	free(r->routes);
	free(r->slots);
	free(r);
}

int
sk_router_scratch_alloc(const struct sk_router *r, struct sk_router_scratch **out)
{
	struct sk_router_scratch *s;

	if (r == NULL || out == NULL)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	if (r->proto != NULL && hs_clone_scratch(r->proto, &s->hs) != HS_SUCCESS) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void
sk_router_scratch_free(struct sk_router_scratch *s)
{
	if (s == NULL)
		return;
	if (s->hs != NULL)
		hs_free_scratch(s->hs);
	free(s);
}

static int
sk_router_on_match(unsigned int id, unsigned long long from, unsigned long long to,
		   unsigned int flags, void *ctx)
{
	uint32_t *best = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (id < *best)
		*best = id;
	return 0;
}

static int
sk_router_exact(const struct sk_router *r, const char *tag, size_t tag_len)
{
	uint32_t h = sk_router_hash(tag, tag_len) & r->slot_mask;

	for (;;) {
		uint32_t v = r->slots[h];
		const struct sk_router_entry *e;

		if (v == 0)
			return -1;
		e = &r->routes[v - 1];
		if (e->text_len == tag_len && memcmp(e->text, tag, tag_len) == 0)
			return (int)(v - 1);
		h = (h + 1) & r->slot_mask;
	}
}

int
sk_router_match(const struct sk_router *r, struct sk_router_scratch *s, const char *tag,
		size_t tag_len)
{
	int exact = sk_router_exact(r, tag, tag_len);
	uint32_t best = exact >= 0 ? (uint32_t)exact : UINT32_MAX;

	/* First match by declared order: a pattern declared before the exact hit may still win, so
	 * scan unless the exact hit precedes every pattern route. */
	if (r->db != NULL && best > r->first_pattern) {
		if (s == NULL || s->hs == NULL || tag_len > UINT32_MAX)
			return -EIO;
		if (hs_scan(r->db, tag, (unsigned int)tag_len, 0, s->hs, sk_router_on_match,
			    &best) != HS_SUCCESS)
			return -EIO;
	}
	return best == UINT32_MAX ? SK_ROUTER_NO_ROUTE : (int)best;
}

static uint32_t
sk_router_u24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

int
sk_router_tag_from_metadata(const uint8_t *md, size_t md_len, const char **tag, size_t *tag_len)
{
	size_t off = 0;

	/* Composite metadata, RSOCKET.md 8.1: entries run to the end of the metadata. */
	while (off < md_len) {
		uint8_t b = md[off++];
		bool routing;
		uint32_t len;

		if (b & 0x80) {
			routing = (b & 0x7F) == SK_ROUTER_MIME_ROUTING;
		} else {
			size_t mlen = (size_t)(b & 0x7F) + 1; /* length-1 convention, 10.2 */

			if (md_len - off < mlen)
				return -EBADMSG;
			routing = mlen == sizeof(sk_router_routing_mime) - 1 &&
				  memcmp(md + off, sk_router_routing_mime, mlen) == 0;
			off += mlen;
		}
		if (md_len - off < 3)
			return -EBADMSG;
		len = sk_router_u24(md + off);
		off += 3;
		if (md_len - off < len)
			return -EBADMSG;
		if (routing) {
			/* Routing entry, 8.3: u8 tag_len + tag, repeated; we route on the first. */
			if (len < 1 || md[off] == 0)
				return -ENODATA;
			if ((size_t)md[off] + 1 > len)
				return -EBADMSG;
			*tag = (const char *)md + off + 1;
			*tag_len = md[off];
			return 0;
		}
		off += len;
	}
	return -ENODATA;
}

int
sk_router_match_metadata(const struct sk_router *r, struct sk_router_scratch *s, const uint8_t *md,
			 size_t md_len, const char **tag, size_t *tag_len)
{
	const char *t = NULL;
	size_t tl = 0;
	int rc = md != NULL ? sk_router_tag_from_metadata(md, md_len, &t, &tl) : -ENODATA;

	if (tag != NULL) {
		*tag = rc == 0 ? t : NULL;
		*tag_len = rc == 0 ? tl : 0;
	}
	if (rc == -ENODATA)
		return r->fallback >= 0 ? r->fallback : SK_ROUTER_NO_TAG;
	if (rc < 0)
		return rc;
	return sk_router_match(r, s, t, tl);
}

uint32_t
sk_router_count(const struct sk_router *r)
{
	return r->nb_routes;
}

const char *
sk_router_name(const struct sk_router *r, uint32_t idx)
{
	return idx < r->nb_routes ? r->routes[idx].name : NULL;
}

int
sk_router_find(const struct sk_router *r, const char *name)
{
	for (uint32_t i = 0; i < r->nb_routes; i++)
		if (strcmp(r->routes[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}
