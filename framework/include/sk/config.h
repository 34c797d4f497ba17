/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Skiff configuration: strict INI files read with DPDK's rte_cfgfile, checked against a schema.
 *
 * A schema is a table of sections, each a table of keys (name, type, range, required, default,
 * help, and where the parsed value is stored). The built-in sections ([eal], [workers], [limits],
 * [stats], [port.N]) fill struct sk_config; later layers register their own sections ([stack],
 * [app.echo], ...) with sk_config_add_section() before loading, storing into their own structs.
 * Loading is strict: an unknown section or key, a duplicate, a line rte_cfgfile would silently skip
 * or truncate, a missing required key or section, and a value of the wrong form or out of range are
 * all errors naming file:line, what was found and what is allowed. Nothing here needs EAL; it runs
 * before it.
 *
 * Everything in this header is control path, called from the main thread before the runtime starts.
 */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dp/port.h>

/** Most [port.N] sections (N in 0..SK_CONFIG_MAX_PORTS-1). */
#define SK_CONFIG_MAX_PORTS 8
/** Most sections registered with sk_config_add_section() on top of the built-in ones. */
#define SK_CONFIG_MAX_EXTRA 16
/** Longest string value the built-in schema stores (rte_cfgfile's limit is 255). */
#define SK_CONFIG_STR_MAX 256
/** Most worker lcores. */
#define SK_CONFIG_MAX_WORKERS 64

/** Value types a schema key may have. */
enum sk_config_type {
	SK_CFG_UINT,   /**< unsigned integer in [min, max]; stored in 1, 2, 4 or 8 bytes (size) */
	SK_CFG_BOOL,   /**< yes|no|true|false|on|off|1|0; stored as bool */
	SK_CFG_STR,    /**< text, at most size-1 bytes; stored as char[size] */
	SK_CFG_ENUM,   /**< one of choices[]; stored as unsigned int (the index in choices) */
	SK_CFG_IPV4,   /**< dotted quad; stored as uint32_t, host order */
	SK_CFG_CUSTOM, /**< parsed by parse(); stored however parse() likes */
};

/**
 * Parser for SK_CFG_CUSTOM keys. Writes the value to @p dst. On a bad value returns a negative
 * errno and writes what is allowed into @p why (a short phrase, e.g. "a CPU list like 0-3,6").
 */
typedef int sk_config_parse_fn(const char *value, void *dst, char *why, size_t why_len);

/** One key of a section schema. */
struct sk_config_key {
	const char *name; /**< key name, [a-z0-9_] */
	enum sk_config_type type;
	uint64_t min, max;	    /**< SK_CFG_UINT range (inclusive) */
	const char *const *choices; /**< SK_CFG_ENUM: NULL-terminated list */
	sk_config_parse_fn *parse;  /**< SK_CFG_CUSTOM */
	size_t offset;		    /**< where the value goes in the section's object */
	size_t size;		    /**< bytes at offset (UINT width, STR buffer size) */
	bool required;		    /**< missing => error */
	const char *def;	    /**< default as text, parsed like a file value; NULL: none */
	const char *help;	    /**< one line for --help and error messages */
};

/**
 * Cross-key check of one section after its keys are parsed. Return 0, or a negative errno with
 * @p *bad_key set to the key to blame (NULL: the section header) and @p why describing the problem
 * and what is allowed.
 */
typedef int sk_config_check_fn(void *obj, unsigned index, const char **bad_key, char *why,
			       size_t why_len);

/**
 * Parser for the free-form keys of a section (keys its table does not name, e.g. the route names
 * of [routes]). Called once per such key in file order. Return 0, or a negative errno with @p why
 * saying what is allowed (the loader prefixes file:line and the key).
 */
typedef int sk_config_entry_fn(void *obj, const char *key, const char *value, char *why,
			       size_t why_len);

/** A section schema. */
struct sk_config_section {
	const char *name;   /**< "workers", or the prefix of an indexed section ("port") */
	bool indexed;	    /**< [name.N], N in 0..max_index */
	unsigned max_index; /**< indexed: most N (inclusive) */
	bool required;	    /**< at least one instance must be present */
	const struct sk_config_key *keys;
	unsigned n_keys;
	size_t stride;		   /**< indexed: bytes between the objects of N and N+1 */
	sk_config_check_fn *check; /**< may be NULL */
	const char *help;	   /**< one line */
	sk_config_entry_fn *entry; /**< keys not in keys[]; NULL: such keys are errors */
};

/** [eal]: how the runtime builds the EAL command line. */
struct sk_eal_conf {
	bool no_huge;	      /**< --no-huge --no-shconf (no hugepages needed) */
	bool in_memory;	      /**< with hugepages: --in-memory (no rtemap files left) */
	uint32_t memory_mb;   /**< -m; 0: EAL default */
	char file_prefix[64]; /**< --file-prefix; "_<pid>" appended when unique_prefix */
	bool unique_prefix;
	bool telemetry;		      /**< false: --no-telemetry */
	char log_level[64];	      /**< --log-level (e.g. "notice", "skiff.*:debug"); "" none */
	char args[SK_CONFIG_STR_MAX]; /**< extra EAL arguments, split on spaces */
};

enum sk_idle_policy {
	SK_IDLE_POLL = 0, /**< spin: lowest latency, burns the core */
	SK_IDLE_ADAPTIVE, /**< pause, then short sleeps after idle_spin_polls empty polls */
};

/** [workers]: one worker per CPU in lcores. */
struct sk_workers_conf {
	uint64_t cpus[2]; /**< CPU set (bit i = CPU i), from "0-1,3" */
	unsigned n_cpus;
	unsigned main_cpu; /**< CPU of the control (main) thread; UINT32_MAX: first worker's */
	unsigned idle;	   /**< enum sk_idle_policy */
	uint32_t idle_spin_polls;   /**< empty polls before sleeping (adaptive) */
	uint32_t idle_max_sleep_us; /**< longest single sleep (adaptive) */
	uint32_t mailbox_ring;	    /**< entries per mailbox ring (power of two) */
	uint32_t timer_tick_us;	    /**< timer wheel resolution */
};

/** [limits] */
struct sk_limits_conf {
	uint32_t stop_timeout_ms; /**< bound on draining in-flight work at stop */
	uint32_t mbufs_per_core;  /**< in-flight mbufs per core beyond the rings (pool sizing) */
	uint32_t mbuf_cache;	  /**< per-lcore mempool cache */
	uint32_t max_connections; /**< per core */
};

/** [stats] */
struct sk_stats_conf {
	uint32_t interval_ms; /**< live summary period */
	bool live;	      /**< print the live summary (also --stats) */
};

/** A loaded configuration: built-in sections, plus registered ones. */
struct sk_config {
	char path[256];
	struct sk_eal_conf eal;
	struct sk_workers_conf workers;
	struct sk_limits_conf limits;
	struct sk_stats_conf stats;
	struct dp_port_conf ports[SK_CONFIG_MAX_PORTS];
	unsigned n_ports; /**< ports[0..n_ports-1] are configured (indices are contiguous) */
	bool queues_auto[SK_CONFIG_MAX_PORTS]; /**< queues was 0: follows the number of workers */
	bool main_cpu_auto;	  /**< main_cpu not given: follows the first worker CPU */
	unsigned main_cpu_chosen; /**< the value chosen then */

	/* Schema: built-in sections first, then registered ones. */
	struct {
		const struct sk_config_section *sec;
		void *obj;
		unsigned seen[SK_CONFIG_MAX_PORTS]; /**< line of [sec.N] (0: absent; index 0 if
						       plain) */
	} schema[5 + SK_CONFIG_MAX_EXTRA];
	unsigned n_schema;
};

/** Errors of one load: one line each, "file:line: ...". */
struct sk_config_err {
	unsigned count;
	char msg[4096];
};

/**
 * Reset @p cfg to the built-in schema with every default applied. No registered sections.
 * Any thread, before sk_config_load().
 */
void sk_config_init(struct sk_config *cfg);

/**
 * Register an extra section (e.g. [app.echo]) whose keys are stored into @p obj (for an indexed
 * section, obj is the first object and sec->stride the distance to the next). Defaults are applied
 * to @p obj now.
 * @return 0; -EEXIST a section of that name exists; -ENOSPC too many sections; -EINVAL bad schema
 *   (a default that does not parse).
 */
int sk_config_add_section(struct sk_config *cfg, const struct sk_config_section *sec, void *obj);

/**
 * Load and validate @p path into @p cfg (after sk_config_init() and any sk_config_add_section()).
 * Every error found is appended to @p err (which is reset first).
 * @return 0; -ENOENT/-EACCES/-EIO the file could not be read; -EINVAL the file is invalid.
 */
int sk_config_load(struct sk_config *cfg, const char *path, struct sk_config_err *err);

/**
 * Set one key as if it were read from a file (command-line overrides such as --lcores, and
 * programmatic configurations in tests and benchmarks), then re-run the section's check.
 * Errors are appended to @p err (not reset).
 * @return 0, or -EINVAL (unknown section or key, bad value, failed check).
 */
int sk_config_set(struct sk_config *cfg, const char *section, const char *key, const char *value,
		  struct sk_config_err *err);

/**
 * Write a description of every section and key (type, range, default, help) to @p buf, for --help.
 * @return bytes that the full text needs (like snprintf).
 */
size_t sk_config_describe(const struct sk_config *cfg, char *buf, size_t len);

/**
 * Parse a CPU list ("0-3,6") into a 128-bit set. Also the parser of [workers] lcores, exposed for
 * command-line overrides.
 * @return 0, or -EINVAL with @p why filled (also for a CPU listed twice).
 */
int sk_config_parse_cpus(const char *value, void *dst, char *why, size_t why_len);

/** True if @p p names a PCI device (else a vdev). Any thread. */
bool sk_config_port_is_pci(const struct dp_port_conf *p);

/** Number of CPUs in a set from sk_config_parse_cpus(). */
unsigned sk_config_cpus_count(const uint64_t cpus[2]);

#endif /* SK_CONFIG_H */
