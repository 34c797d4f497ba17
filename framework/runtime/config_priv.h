/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the config loader: the pieces config.c (generic loader) and config_schema.c (the
 * built-in tables and their cross-section checks) share.
 */
#ifndef SK_CONFIG_PRIV_H
#define SK_CONFIG_PRIV_H

#include <rte_common.h>

#include <sk/config.h>

/** Append one formatted error line to @p err and count it. */
void sk_config_errf(struct sk_config_err *err, const char *fmt, ...) __rte_format_printf(2, 3);

/* Line of the plain section [name] in the loaded file, 0 when absent: for messages about values
 * that came from defaults or from several keys. */
unsigned sk_config_section_line(const struct sk_config *cfg, const char *name);

/** Parse @p v for key @p k into @p obj; on error fill @p why with what is allowed. */
int sk_config_parse_value(const struct sk_config_key *k, const char *v, void *obj, char *why,
			  size_t why_len);

/** Apply every default of @p sec to @p obj (all indices of an indexed section). */
int sk_config_apply_defaults(const struct sk_config_section *sec, void *obj);

/** Checks across sections once every section parsed cleanly (ports numbered without gaps ...). */
void sk_config_finish(struct sk_config *cfg, struct sk_config_err *err);

#endif /* SK_CONFIG_PRIV_H */
