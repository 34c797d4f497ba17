/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request router: maps the route tag of an RSocket request (the first tag of the
 * `message/x.rsocket.routing.v0` entry in its composite metadata, RSOCKET.md 8.1 and 8.3) to one of
 * the routes declared in config. Exact routes live in an open-addressing hash table built once at
 * start; pattern routes (regular expressions) are compiled once into one Hyperscan block-mode
 * database (hs_compile_multi, HS_FLAG_SINGLEMATCH, expression id = declared index). Among all
 * routes that match, the one declared first wins. A request without routing metadata goes to the
 * configured fallback route, if any.
 *
 * The router is built on the control core and is read-only afterwards, so every worker shares it.
 * Hyperscan needs mutable scratch per scan: each worker gets its own struct sk_router_scratch (a
 * clone of the prototype scratch) at start. Matching never allocates.
 */
#ifndef SK_ROUTER_H
#define SK_ROUTER_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct sk_router;
struct sk_router_scratch;

/** How a route matches a tag. */
enum sk_router_kind {
	SK_ROUTER_EXACT,   /**< the tag equals the route's text byte for byte */
	SK_ROUTER_PATTERN, /**< the route's text is a regular expression (Hyperscan/PCRE syntax),
			    *   matched anywhere in the tag unless anchored with ^ and $ */
};

/** One declared route. The router copies the strings. */
struct sk_router_route {
	const char *name; /**< route name (config key); handlers are registered by name */
	const char *text; /**< the exact tag or the regular expression */
	enum sk_router_kind kind;
};

/** Router configuration: routes in declared order, plus the fallback. */
struct sk_router_conf {
	const struct sk_router_route *routes;
	uint32_t nb_routes;
	/** Name of the route that takes requests carrying no routing metadata; NULL: none (such a
	 * request is refused with ERROR[INVALID]). Must name a declared route. */
	const char *fallback;
};

/** sk_router_match() and sk_router_match_metadata() results other than a route index. */
#define SK_ROUTER_NO_ROUTE (-ENOENT) /**< a tag was given but no route matched it */
#define SK_ROUTER_NO_TAG (-ENODATA)  /**< no routing metadata and no fallback route */

/**
 * Build a router from @p conf: exact table and one Hyperscan database for all pattern routes.
 * Control core only (allocates).
 * @param conf   routes and fallback
 * @param out    the router on success
 * @param err    buffer for a human-readable reason on failure (e.g.
 *               "route 'users': pattern '([a-z': Missing close parenthesis for group ..."); may be
 * NULL
 * @param err_len size of @p err
 * @return 0; -EINVAL: bad conf (empty name or text, duplicate name, unknown fallback) or a pattern
 *         that does not compile (reported in @p err with route name, pattern and Hyperscan's
 * message); -ENOMEM: out of memory.
 */
int sk_router_create(const struct sk_router_conf *conf, struct sk_router **out, char *err,
		     size_t err_len);

/** Free a router (and its database). Every scratch made from it must be freed first. NULL is a
 * no-op. Control core only. */
void sk_router_free(struct sk_router *r);

/**
 * Allocate one core's scratch (hs_clone_scratch of the prototype). Call once per worker at start.
 * @return 0; -ENOMEM.
 */
int sk_router_scratch_alloc(const struct sk_router *r, struct sk_router_scratch **out);

/** Free a scratch from sk_router_scratch_alloc(). NULL is a no-op. */
void sk_router_scratch_free(struct sk_router_scratch *s);

/**
 * Match one route tag. Any worker, with its own scratch.
 * @return the index (declared order) of the first route that matches; SK_ROUTER_NO_ROUTE;
 *         -EIO if Hyperscan fails the scan (counted by the caller).
 */
int sk_router_match(const struct sk_router *r, struct sk_router_scratch *s, const char *tag,
		    size_t tag_len);

/**
 * Find the route tag in composite metadata: the first tag of the first routing entry
 * (well-known id 0x7E, or the MIME string "message/x.rsocket.routing.v0").
 * @param md,md_len  the request's metadata (composite)
 * @param tag,tag_len  the tag on success (a view into @p md)
 * @return 0; -ENODATA: no routing entry (or an empty one); -EBADMSG: malformed composite metadata.
 */
int sk_router_tag_from_metadata(const uint8_t *md, size_t md_len, const char **tag,
				size_t *tag_len);

/**
 * Route a request by its metadata: the routing tag if present, else the fallback route.
 * @p md may be NULL (no metadata).
 * @param tag,tag_len  the tag that was matched (NULL/0 when none), for error messages
 * @return route index; SK_ROUTER_NO_ROUTE; SK_ROUTER_NO_TAG; -EBADMSG (malformed metadata); -EIO.
 */
int sk_router_match_metadata(const struct sk_router *r, struct sk_router_scratch *s,
			     const uint8_t *md, size_t md_len, const char **tag, size_t *tag_len);

/** Number of declared routes. */
uint32_t sk_router_count(const struct sk_router *r);

/** Name of route @p idx (declared order), or NULL when out of range. */
const char *sk_router_name(const struct sk_router *r, uint32_t idx);

/** Index of the route called @p name, or -ENOENT. Control core (linear). */
int sk_router_find(const struct sk_router *r, const char *name);

#endif /* SK_ROUTER_H */
