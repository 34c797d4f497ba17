/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict configuration loader. Two passes over the file: our own line index (so every error can
 * name file:line, and so lines rte_cfgfile would silently skip, truncate or shadow are rejected),
 * then rte_cfgfile for the values, cross-checked against the index. Each section and key is then
 * matched against the schema tables (config_schema.c for the built-in ones, sk_config_add_section()
 * for the rest), parsed, range-checked and stored. Control path only: runs once at start-up, before
 * EAL.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>

#include "config_priv.h"

/* rte_cfgfile reads lines into a CFG_NAME_LEN + CFG_VALUE_LEN + 4 byte buffer (DPDK.md 8.2). */
#define SK_CONFIG_LINE_MAX (CFG_NAME_LEN + CFG_VALUE_LEN)
#define SK_CONFIG_COMMENT '#'

struct sk_config_ix_key {
	char name[CFG_NAME_LEN];
	unsigned line;
};

struct sk_config_ix_sec {
	char name[CFG_NAME_LEN];
	unsigned line;
	struct sk_config_ix_key *keys;
	unsigned n_keys, cap;
};

struct sk_config_ix {
	struct sk_config_ix_sec *secs;
	unsigned n, cap;
};

void
sk_config_errf(struct sk_config_err *err, const char *fmt, ...)
{
	size_t used = strlen(err->msg);
	va_list ap;

	err->count++;
	if (used + 2 >= sizeof(err->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg + used, sizeof(err->msg) - used - 1, fmt, ap);
	va_end(ap);
	used = strlen(err->msg);
	err->msg[used] = '\n';
	err->msg[used + 1] = '\0';
}

unsigned
sk_config_section_line(const struct sk_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_schema; i++)
		if (strcmp(cfg->schema[i].sec->name, name) == 0)
			return cfg->schema[i].seen[0] == UINT32_MAX ? 0 : cfg->schema[i].seen[0];
	return 0;
}

static char *
sk_config_strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void
sk_config_ix_free(struct sk_config_ix *ix)
{
	for (unsigned i = 0; i < ix->n; i++)
		free(ix->secs[i].keys);
	free(ix->secs);
	memset(ix, 0, sizeof(*ix));
}

static int
sk_config_ix_add_sec(struct sk_config_ix *ix, const char *name, unsigned line)
{
	if (ix->n == ix->cap) {
		unsigned cap = ix->cap ? ix->cap * 2 : 8;
		void *p = realloc(ix->secs, cap * sizeof(*ix->secs));

		if (p == NULL)
			return -ENOMEM;
		ix->secs = p;
		ix->cap = cap;
	}
	memset(&ix->secs[ix->n], 0, sizeof(ix->secs[0]));
	snprintf(ix->secs[ix->n].name, CFG_NAME_LEN, "%s", name);
	ix->secs[ix->n].line = line;
	ix->n++;
	return 0;
}

static int
sk_config_ix_add_key(struct sk_config_ix_sec *s, const char *name, unsigned line)
{
	if (s->n_keys == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->keys, cap * sizeof(*s->keys));

		if (p == NULL)
			return -ENOMEM;
		s->keys = p;
		s->cap = cap;
	}
	snprintf(s->keys[s->n_keys].name, CFG_NAME_LEN, "%s", name);
	s->keys[s->n_keys].line = line;
	s->n_keys++;
	return 0;
}

/* One line of the index pass; @p raw has its newline removed. Returns -ENOMEM or 0 (syntax
 * errors are recorded in @p err and the pass continues so the user sees all of them). */
static int
sk_config_ix_line(struct sk_config_ix *ix, const char *path, unsigned line, char *raw, size_t len,
		  struct sk_config_err *err)
{
	char *hash, *s, *eq;

	if (len > SK_CONFIG_LINE_MAX) {
		sk_config_errf(err, "%s:%u: line is %zu bytes long; at most %u are allowed", path,
			       line, len, SK_CONFIG_LINE_MAX);
		return 0;
	}
	if (memchr(raw, '\0', len) != NULL) {
		sk_config_errf(err, "%s:%u: NUL byte in line; the file must be text", path, line);
		return 0;
	}
	/* rte_cfgfile treats "\#" as an escape only sometimes (first '#' only); refuse backslashes
	 * outright so both readers see the same text. */
	if (strchr(raw, '\\') != NULL) {
		sk_config_errf(err, "%s:%u: backslash found; escapes are not supported", path,
			       line);
		return 0;
	}
	hash = strchr(raw, SK_CONFIG_COMMENT);
	if (hash != NULL)
		*hash = '\0';
	s = sk_config_strip(raw);
	if (*s == '\0')
		return 0;

	if (*s == '[') {
		size_t n = strlen(s);
		char *name;

		if (s[n - 1] != ']' || memchr(s, ']', n - 1) != NULL) {
			sk_config_errf(
				err,
				"%s:%u: found \"%s\"; a section header is \"[name]\" alone on "
				"its line",
				path, line, s);
			return 0;
		}
		s[n - 1] = '\0';
		name = sk_config_strip(s + 1);
		if (*name == '\0' || strlen(name) >= CFG_NAME_LEN) {
			sk_config_errf(err, "%s:%u: section name \"%s\" must be 1..%u characters",
				       path, line, name, CFG_NAME_LEN - 1);
			return 0;
		}
		for (unsigned i = 0; i < ix->n; i++) {
			if (strcmp(ix->secs[i].name, name) == 0) {
				sk_config_errf(
					err,
					"%s:%u: duplicate section [%s] (first at line %u); each "
					"section may appear once",
					path, line, name, ix->secs[i].line);
				return 0;
			}
		}
		return sk_config_ix_add_sec(ix, name, line);
	}

	eq = strchr(s, '=');
	if (eq == NULL) {
		sk_config_errf(err,
			       "%s:%u: found \"%s\"; expected \"key = value\", \"[section]\", a "
			       "comment (#) or a blank line",
			       path, line, s);
		return 0;
	}
	*eq = '\0';
	{
		char *key = sk_config_strip(s);
		char *val = sk_config_strip(eq + 1);
		struct sk_config_ix_sec *sec;

		if (*key == '\0') {
			sk_config_errf(err, "%s:%u: empty key before '='; expected \"key = value\"",
				       path, line);
			return 0;
		}
		if (strlen(key) >= CFG_NAME_LEN) {
			sk_config_errf(err, "%s:%u: key \"%.20s...\" is %zu characters; at most %u",
				       path, line, key, strlen(key), CFG_NAME_LEN - 1);
			return 0;
		}
		if (*val == '\0') {
			sk_config_errf(err,
				       "%s:%u: key \"%s\" has an empty value; give a value or "
				       "remove the line to use the default",
				       path, line, key);
			return 0;
		}
		if (strlen(val) >= CFG_VALUE_LEN) {
			sk_config_errf(err, "%s:%u: value of \"%s\" is %zu characters; at most %u",
				       path, line, key, strlen(val), CFG_VALUE_LEN - 1);
			return 0;
		}
		if (ix->n == 0) {
			sk_config_errf(err, "%s:%u: key \"%s\" comes before any [section]", path,
				       line, key);
			return 0;
		}
		sec = &ix->secs[ix->n - 1];
		for (unsigned i = 0; i < sec->n_keys; i++) {
			if (strcmp(sec->keys[i].name, key) == 0) {
				sk_config_errf(err,
					       "%s:%u: duplicate key \"%s\" in [%s] (first at line "
					       "%u); each key may appear once",
					       path, line, key, sec->name, sec->keys[i].line);
				return 0;
			}
		}
		return sk_config_ix_add_key(sec, key, line);
	}
}

static int
sk_config_index(struct sk_config_ix *ix, const char *path, struct sk_config_err *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned line = 0;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		sk_config_errf(err, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	while ((n = getline(&buf, &cap, f)) >= 0) {
		line++;
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		rc = sk_config_ix_line(ix, path, line, buf, (size_t)n, err);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f)) {
		rc = -EIO;
		sk_config_errf(err, "%s: read error", path);
	}
	free(buf);
	fclose(f);
	return rc;
}

/* ---- values -------------------------------------------------------------------------------- */

static int
sk_config_parse_uint(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*out = x;
	return 0;
}

static int
sk_config_parse_ipv4(const char *v, uint32_t *out)
{
	uint32_t ip = 0;
	const char *p = v;

	for (int i = 0; i < 4; i++) {
		unsigned part = 0, digits = 0;

		while (isdigit((unsigned char)*p) && digits < 4) {
			part = part * 10 + (unsigned)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3 || part > 255)
			return -EINVAL;
		ip = ip << 8 | part;
		if (i < 3 && *p++ != '.')
			return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	*out = ip;
	return 0;
}

static void
sk_config_store_uint(void *dst, size_t size, uint64_t x)
{
	switch (size) {
	case 1:
		*(uint8_t *)dst = (uint8_t)x;
		break;
	case 2:
		*(uint16_t *)dst = (uint16_t)x;
		break;
	case 4:
		*(uint32_t *)dst = (uint32_t)x;
		break;
	default:
		*(uint64_t *)dst = x;
		break;
	}
}

static void
sk_config_expect(const struct sk_config_key *k, char *why, size_t len)
{
	size_t used;

	switch (k->type) {
	case SK_CFG_UINT:
		snprintf(why, len, "an integer in %llu..%llu", (unsigned long long)k->min,
			 (unsigned long long)k->max);
		break;
	case SK_CFG_BOOL:
		snprintf(why, len, "yes or no (also true/false, on/off, 1/0)");
		break;
	case SK_CFG_STR:
		snprintf(why, len, "text of at most %zu characters", k->size - 1);
		break;
	case SK_CFG_ENUM:
		snprintf(why, len, "one of ");
		for (unsigned i = 0; k->choices[i] != NULL; i++) {
			used = strlen(why);
			snprintf(why + used, len - used, "%s%s", i ? ", " : "", k->choices[i]);
		}
		break;
	case SK_CFG_IPV4:
		snprintf(why, len, "an IPv4 address like 198.18.0.2");
		break;
	case SK_CFG_CUSTOM:
		snprintf(why, len, "see --help");
		break;
	}
}

int
sk_config_parse_value(const struct sk_config_key *k, const char *v, void *obj, char *why,
		      size_t why_len)
{
	void *dst = (char *)obj + k->offset;
	uint64_t x;
	uint32_t ip;

	why[0] = '\0';
	switch (k->type) {
	case SK_CFG_UINT:
		if (sk_config_parse_uint(v, &x) != 0) {
			sk_config_expect(k, why, why_len);
			return -EINVAL;
		}
		if (x < k->min || x > k->max) {
			char e[128];

			sk_config_expect(k, e, sizeof(e));
			snprintf(why, why_len, "out of range; expected %s", e);
			return -ERANGE;
		}
		sk_config_store_uint(dst, k->size, x);
		return 0;
	case SK_CFG_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
		    !strcmp(v, "1")) {
			*(bool *)dst = true;
			return 0;
		}
		if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
		    !strcmp(v, "0")) {
			*(bool *)dst = false;
			return 0;
		}
		sk_config_expect(k, why, why_len);
		return -EINVAL;
	case SK_CFG_STR:
		if (strlen(v) >= k->size) {
			sk_config_expect(k, why, why_len);
			return -EINVAL;
		}
		snprintf(dst, k->size, "%s", v);
		return 0;
	case SK_CFG_ENUM:
		for (unsigned i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(v, k->choices[i]) == 0) {
				*(unsigned *)dst = i;
				return 0;
			}
		}
		sk_config_expect(k, why, why_len);
		return -EINVAL;
	case SK_CFG_IPV4:
		if (sk_config_parse_ipv4(v, &ip) != 0) {
			sk_config_expect(k, why, why_len);
			return -EINVAL;
		}
		*(uint32_t *)dst = ip;
		return 0;
	case SK_CFG_CUSTOM:
		return k->parse(v, dst, why, why_len) < 0 ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* Apply every default of @p sec to the object at @p obj. */
int
sk_config_apply_defaults(const struct sk_config_section *sec, void *obj)
{
	char why[160];
	unsigned n = sec->indexed ? sec->max_index + 1 : 1;

	for (unsigned i = 0; i < n; i++) {
		void *o = (char *)obj + (size_t)i * sec->stride;

		for (unsigned k = 0; k < sec->n_keys; k++) {
			const struct sk_config_key *key = &sec->keys[k];

			if (key->def != NULL &&
			    sk_config_parse_value(key, key->def, o, why, sizeof(why)) != 0)
				return -EINVAL;
		}
	}
	return 0;
}

int
sk_config_add_section(struct sk_config *cfg, const struct sk_config_section *sec, void *obj)
{
	if (sec == NULL || obj == NULL || sec->name == NULL ||
	    (sec->indexed && (sec->max_index >= SK_CONFIG_MAX_PORTS || sec->stride == 0)))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->n_schema; i++)
		if (strcmp(cfg->schema[i].sec->name, sec->name) == 0)
			return -EEXIST;
	if (cfg->n_schema == RTE_DIM(cfg->schema))
		return -ENOSPC;
	if (sk_config_apply_defaults(sec, obj) != 0)
		return -EINVAL;
	memset(&cfg->schema[cfg->n_schema], 0, sizeof(cfg->schema[0]));
	cfg->schema[cfg->n_schema].sec = sec;
	cfg->schema[cfg->n_schema].obj = obj;
	cfg->n_schema++;
	return 0;
}

/* ---- schema matching ----------------------------------------------------------------------- */

/* Find the schema slot for a section name; *index gets N of [name.N]. -1: unknown, -2: bad N. */
static int
sk_config_match_section(const struct sk_config *cfg, const char *name, unsigned *index)
{
	for (unsigned i = 0; i < cfg->n_schema; i++) {
		const struct sk_config_section *s = cfg->schema[i].sec;
		size_t pl = strlen(s->name);
		uint64_t n;

		if (!s->indexed) {
			if (strcmp(name, s->name) == 0) {
				*index = 0;
				return (int)i;
			}
			continue;
		}
		if (strncmp(name, s->name, pl) != 0 || name[pl] != '.')
			continue;
		if (sk_config_parse_uint(name + pl + 1, &n) != 0 ||
		    (name[pl + 1] == '0' && name[pl + 2] != '\0') || n > s->max_index)
			return -2 - (int)i;
		*index = (unsigned)n;
		return (int)i;
	}
	return -1;
}

static void
sk_config_list_sections(const struct sk_config *cfg, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->n_schema; i++) {
		const struct sk_config_section *s = cfg->schema[i].sec;
		size_t used = strlen(buf);

		if (s->indexed)
			snprintf(buf + used, len - used, "%s[%s.0]..[%s.%u]", i ? ", " : "",
				 s->name, s->name, s->max_index);
		else
			snprintf(buf + used, len - used, "%s[%s]", i ? ", " : "", s->name);
	}
}

static void
sk_config_list_keys(const struct sk_config_section *s, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < s->n_keys; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", i ? ", " : "", s->keys[i].name);
	}
}

static const struct sk_config_key *
sk_config_find_key(const struct sk_config_section *s, const char *name)
{
	for (unsigned i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

static unsigned
sk_config_key_line(const struct sk_config_ix_sec *xs, const char *key)
{
	if (key != NULL)
		for (unsigned i = 0; i < xs->n_keys; i++)
			if (strcmp(xs->keys[i].name, key) == 0)
				return xs->keys[i].line;
	return xs->line;
}

/* Parse one section instance: rte_cfgfile entries against the schema, then required keys, then
 * the section's own cross-key check. */
static void
sk_config_apply_section(struct sk_config *cfg, struct rte_cfgfile *cf, int cf_index,
			const struct sk_config_ix_sec *xs, unsigned slot, unsigned index,
			struct sk_config_err *err)
{
	const struct sk_config_section *s = cfg->schema[slot].sec;
	void *obj = (char *)cfg->schema[slot].obj + (size_t)index * s->stride;
	struct rte_cfgfile_entry *ents;
	char secname[CFG_NAME_LEN];
	char why[512], list[1024];
	unsigned errs = err->count;
	int n;

	ents = calloc(xs->n_keys ? xs->n_keys : 1, sizeof(*ents));
	if (ents == NULL) {
		sk_config_errf(err, "%s: out of memory", cfg->path);
		return;
	}
	n = rte_cfgfile_section_entries_by_index(cf, cf_index, secname, ents, (int)xs->n_keys);
	if (n != (int)xs->n_keys || strcmp(secname, xs->name) != 0) {
		sk_config_errf(err,
			       "%s:%u: [%s]: rte_cfgfile read %d keys, the line index %u; the "
			       "file changed while it was read?",
			       cfg->path, xs->line, xs->name, n, xs->n_keys);
		free(ents);
		return;
	}
	for (int e = 0; e < n; e++) {
		const struct sk_config_key *k = sk_config_find_key(s, ents[e].name);
		unsigned line = sk_config_key_line(xs, ents[e].name);

		if (strcmp(ents[e].name, xs->keys[e].name) != 0) {
			sk_config_errf(err,
				       "%s:%u: rte_cfgfile and the line index disagree on key "
				       "\"%s\"",
				       cfg->path, line, ents[e].name);
			continue;
		}
		if (k == NULL && s->entry != NULL) {
			why[0] = '\0';
			if (s->entry(obj, ents[e].name, ents[e].value, why, sizeof(why)) != 0)
				sk_config_errf(err, "%s:%u: [%s] %s = \"%s\": %s", cfg->path, line,
					       xs->name, ents[e].name, ents[e].value, why);
			continue;
		}
		if (k == NULL) {
			sk_config_list_keys(s, list, sizeof(list));
			sk_config_errf(err, "%s:%u: unknown key \"%s\" in [%s]; allowed: %s",
				       cfg->path, line, ents[e].name, xs->name, list);
			continue;
		}
		if (sk_config_parse_value(k, ents[e].value, obj, why, sizeof(why)) != 0)
			sk_config_errf(err, "%s:%u: [%s] %s = \"%s\": %s%s", cfg->path, line,
				       xs->name, k->name, ents[e].value,
				       strncmp(why, "out of range", 12) == 0 ? "" : "expected ",
				       why);
	}
	for (unsigned k = 0; k < s->n_keys; k++) {
		bool found = false;

		if (!s->keys[k].required)
			continue;
		for (int e = 0; e < n && !found; e++)
			found = strcmp(ents[e].name, s->keys[k].name) == 0;
		if (!found)
			sk_config_errf(err, "%s:%u: [%s]: missing required key \"%s\" (%s)",
				       cfg->path, xs->line, xs->name, s->keys[k].name,
				       s->keys[k].help);
	}
	free(ents);
	if (err->count == errs && s->check != NULL) {
		const char *bad = NULL;

		why[0] = '\0';
		if (s->check(obj, index, &bad, why, sizeof(why)) != 0)
			sk_config_errf(err, "%s:%u: [%s]%s%s: %s", cfg->path,
				       sk_config_key_line(xs, bad), xs->name, bad ? " " : "",
				       bad ? bad : "", why);
	}
}

int
sk_config_load(struct sk_config *cfg, const char *path, struct sk_config_err *err)
{
	struct rte_cfgfile_parameters params = {.comment_character = SK_CONFIG_COMMENT};
	struct sk_config_ix ix = {0};
	struct rte_cfgfile *cf = NULL;
	char list[1024];
	int rc;

	err->count = 0;
	err->msg[0] = '\0';
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	rc = sk_config_index(&ix, path, err);
	if (rc < 0)
		goto out;
	if (err->count > 0) {
		rc = -EINVAL;
		goto out;
	}
	cf = rte_cfgfile_load_with_params(path, 0, &params);
	if (cf == NULL) {
		sk_config_errf(err, "%s: rte_cfgfile could not read the file", path);
		rc = -EIO;
		goto out;
	}
	if (rte_cfgfile_num_sections(cf, NULL, 0) != (int)ix.n) {
		sk_config_errf(err, "%s: rte_cfgfile found %d sections, the line index %u", path,
			       rte_cfgfile_num_sections(cf, NULL, 0), ix.n);
		rc = -EIO;
		goto out;
	}
	for (unsigned i = 0; i < ix.n; i++) {
		unsigned index = 0;
		int slot = sk_config_match_section(cfg, ix.secs[i].name, &index);

		if (slot <= -2) {
			const struct sk_config_section *s = cfg->schema[-2 - slot].sec;

			sk_config_errf(err, "%s:%u: section [%s]: expected [%s.N] with N in 0..%u",
				       path, ix.secs[i].line, ix.secs[i].name, s->name,
				       s->max_index);
			continue;
		}
		if (slot < 0) {
			sk_config_list_sections(cfg, list, sizeof(list));
			sk_config_errf(err, "%s:%u: unknown section [%s]; allowed: %s", path,
				       ix.secs[i].line, ix.secs[i].name, list);
			continue;
		}
		cfg->schema[slot].seen[index] = ix.secs[i].line;
		sk_config_apply_section(cfg, cf, (int)i, &ix.secs[i], (unsigned)slot, index, err);
	}
	for (unsigned i = 0; i < cfg->n_schema; i++) {
		const struct sk_config_section *s = cfg->schema[i].sec;
		bool any = false;

		for (unsigned n = 0; n <= (s->indexed ? s->max_index : 0); n++)
			any |= cfg->schema[i].seen[n] != 0;
		if (s->required && !any)
			sk_config_errf(err, "%s: missing required section [%s%s] (%s)", path,
				       s->name, s->indexed ? ".0" : "", s->help);
	}
	if (err->count == 0)
		sk_config_finish(cfg, err);
	rc = err->count > 0 ? -EINVAL : 0;
out:
	if (cf != NULL)
		rte_cfgfile_close(cf);
	sk_config_ix_free(&ix);
	return rc;
}

size_t
sk_config_describe(const struct sk_config *cfg, char *buf, size_t len)
{
	size_t used = 0;
	char why[512];

#define SK_CONFIG_PUT(...)                                                                         \
	do {                                                                                       \
		int w_ = snprintf(buf != NULL && used < len ? buf + used : NULL,                   \
				  buf != NULL && used < len ? len - used : 0, __VA_ARGS__);        \
		used += w_ > 0 ? (size_t)w_ : 0;                                                   \
	} while (0)

	for (unsigned i = 0; i < cfg->n_schema; i++) {
		const struct sk_config_section *s = cfg->schema[i].sec;

		if (s->indexed)
			SK_CONFIG_PUT("  [%s.N] (N = 0..%u)%s: %s\n", s->name, s->max_index,
				      s->required ? ", required" : "", s->help);
		else
			SK_CONFIG_PUT("  [%s]%s: %s\n", s->name, s->required ? ", required" : "",
				      s->help);
		for (unsigned k = 0; k < s->n_keys; k++) {
			const struct sk_config_key *key = &s->keys[k];

			sk_config_expect(key, why, sizeof(why));
			SK_CONFIG_PUT("      %s%s%s\n          %s%s%s\n", key->name,
				      key->def != NULL ? " = "
				      : key->required  ? " (required)"
						       : "",
				      key->def != NULL ? key->def : "", key->help,
				      key->type == SK_CFG_CUSTOM ? "" : "; ",
				      key->type == SK_CFG_CUSTOM ? "" : why);
		}
	}
#undef SK_CONFIG_PUT
	return used;
}

int
sk_config_set(struct sk_config *cfg, const char *section, const char *key, const char *value,
	      struct sk_config_err *err)
{
	const struct sk_config_section *s;
	const struct sk_config_key *k;
	unsigned index = 0, before = err->count;
	int slot = sk_config_match_section(cfg, section, &index);
	char why[512];
	void *obj;

	if (slot < 0) {
		sk_config_errf(err, "unknown section [%s]", section);
		return -EINVAL;
	}
	s = cfg->schema[slot].sec;
	obj = (char *)cfg->schema[slot].obj + (size_t)index * s->stride;
	k = sk_config_find_key(s, key);
	if (k == NULL && s->entry != NULL) {
		why[0] = '\0';
		if (s->entry(obj, key, value, why, sizeof(why)) != 0) {
			sk_config_errf(err, "[%s] %s = \"%s\": %s", section, key, value, why);
			return -EINVAL;
		}
		if (cfg->schema[slot].seen[index] == 0)
			cfg->schema[slot].seen[index] = UINT32_MAX;
		return 0;
	}
	if (k == NULL) {
		sk_config_errf(err, "unknown key \"%s\" in [%s]", key, section);
		return -EINVAL;
	}
	if (sk_config_parse_value(k, value, obj, why, sizeof(why)) != 0) {
		sk_config_errf(err, "[%s] %s = \"%s\": %s%s", section, key, value,
			       strncmp(why, "out of range", 12) == 0 ? "" : "expected ", why);
		return -EINVAL;
	}
	if (cfg->schema[slot].seen[index] == 0)
		cfg->schema[slot].seen[index] = UINT32_MAX;
	if (s->check != NULL) {
		const char *bad = NULL;

		if (s->check(obj, index, &bad, why, sizeof(why)) != 0) {
			sk_config_errf(err, "[%s]%s%s: %s", section, bad ? " " : "", bad ? bad : "",
				       why);
			return -EINVAL;
		}
	}
	sk_config_finish(cfg, err);
	return err->count > before ? -EINVAL : 0;
}
