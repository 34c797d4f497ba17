/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in configuration schema: [eal], [workers], [limits], [stats] and [port.N], as tables of
 * keys (type, range, required, default, help, where the value is stored), their custom value
 * parsers (CPU lists, device strings) and their cross-key checks. Later layers add sections the
 * same way through sk_config_add_section(). Control path only.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

/* ---- custom value parsers ------------------------------------------------------------------ */

int
sk_config_parse_cpus(const char *v, void *dst, char *why, size_t why_len)
{
	uint64_t set[2] = {0, 0};
	const char *p = v;

	while (*p != '\0') {
		unsigned a = 0, b, digits = 0;

		while (isdigit((unsigned char)*p) && digits < 4) {
			a = a * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3)
			goto bad;
		b = a;
		if (*p == '-') {
			p++;
			b = 0;
			digits = 0;
			while (isdigit((unsigned char)*p) && digits < 4) {
				b = b * 10 + (unsigned)(*p++ - '0');
				digits++;
			}
			if (digits == 0 || digits > 3 || b < a)
				goto bad;
		}
		if (b >= 128)
			goto bad;
		for (unsigned c = a; c <= b; c++) {
			/* Strict: "0,0" or "0-3,2" is a typo, not silently one worker less. */
			if (set[c / 64] >> (c % 64) & 1) {
				snprintf(why, why_len, "each CPU once (CPU %u is listed twice)", c);
				return -EINVAL;
			}
			set[c / 64] |= 1ULL << (c % 64);
		}
		if (*p == ',')
			p++;
		else if (*p != '\0')
			goto bad;
		else
			break;
		if (*p == '\0')
			goto bad;
	}
	if (set[0] == 0 && set[1] == 0)
		goto bad;
	memcpy(dst, set, sizeof(set));
	return 0;
bad:
	snprintf(why, why_len, "a CPU list like 0-1 or 0,2,4 (CPUs 0..127)");
	return -EINVAL;
}

unsigned
sk_config_cpus_count(const uint64_t cpus[2])
{
	return (unsigned)(__builtin_popcountll(cpus[0]) + __builtin_popcountll(cpus[1]));
}

static bool
sk_config_is_hex(const char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!isxdigit((unsigned char)p[i]))
			return false;
	return true;
}

/* PCI address: [DDDD:]BB:DD.F (hex domain, bus, device; function 0..7). */
static bool
sk_config_is_pci(const char *v)
{
	size_t n = strlen(v);

	if (n == 12) {
		if (!sk_config_is_hex(v, 4) || v[4] != ':')
			return false;
		v += 5;
		n -= 5;
	}
	return n == 7 && sk_config_is_hex(v, 2) && v[2] == ':' && sk_config_is_hex(v + 3, 2) &&
	       v[5] == '.' && v[6] >= '0' && v[6] <= '7';
}

/* vdev: net_<name>[,key=value...], no spaces. */
static bool
sk_config_is_vdev(const char *v)
{
	const char *p = v + 4;

	if (strncmp(v, "net_", 4) != 0 || !isalnum((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ',')
		return false;
	for (p++; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || *p == '"' || *p == '\'')
			return false;
	return p[-1] != ',';
}

static int
sk_config_parse_dev(const char *v, void *dst, char *why, size_t why_len)
{
	if (strlen(v) >= DP_PORT_DEV_MAX || (!sk_config_is_pci(v) && !sk_config_is_vdev(v))) {
		snprintf(why, why_len,
			 "a PCI address like 0000:03:00.0 or a vdev like "
			 "net_tap0,iface=sk0 (no spaces)");
		return -EINVAL;
	}
	snprintf(dst, DP_PORT_DEV_MAX, "%s", v);
	return 0;
}

/* ---- [eal] --------------------------------------------------------------------------------- */

#define SK_KEY_UINT(st, f, lo, hi, req, d, h)                                                      \
	{                                                                                          \
		.name = #f, .type = SK_CFG_UINT, .min = (lo), .max = (hi),                         \
		.offset = offsetof(st, f), .size = sizeof(((st *)0)->f), .required = (req),        \
		.def = (d), .help = (h)                                                            \
	}
#define SK_KEY_BOOL(st, f, d, h)                                                                   \
	{                                                                                          \
		.name = #f, .type = SK_CFG_BOOL, .offset = offsetof(st, f), .size = sizeof(bool),  \
		.def = (d), .help = (h)                                                            \
	}
#define SK_KEY_STR(st, f, d, h)                                                                    \
	{                                                                                          \
		.name = #f, .type = SK_CFG_STR, .offset = offsetof(st, f),                         \
		.size = sizeof(((st *)0)->f), .def = (d), .help = (h)                              \
	}

static int
sk_config_check_eal(void *obj, unsigned index, const char **bad, char *why, size_t len)
{
	struct sk_eal_conf *e = obj;

	(void)index;
	for (const char *p = e->file_prefix; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
			*bad = "file_prefix";
			snprintf(why, len, "\"%s\" has '%c'; letters, digits, '_' and '-' only",
				 e->file_prefix, *p);
			return -EINVAL;
		}
	}
	if (e->file_prefix[0] == '\0') {
		*bad = "file_prefix";
		snprintf(why, len, "must not be empty");
		return -EINVAL;
	}
	return 0;
}

static const struct sk_config_key sk_config_eal_keys[] = {
	SK_KEY_BOOL(struct sk_eal_conf, no_huge, "no",
		    "run without hugepages (--no-huge --no-shconf); for machines without them"),
	SK_KEY_BOOL(struct sk_eal_conf, in_memory, "yes",
		    "with hugepages: --in-memory, so no hugepage files are left behind"),
	SK_KEY_UINT(struct sk_eal_conf, memory_mb, 0, 1048576, false, "0",
		    "memory to preallocate in MB (-m); 0: the EAL default (64 with no_huge)"),
	SK_KEY_STR(struct sk_eal_conf, file_prefix, "skiffd",
		   "EAL --file-prefix (runtime directory and telemetry socket name)"),
	SK_KEY_BOOL(struct sk_eal_conf, unique_prefix, "yes",
		    "append _<pid> to file_prefix so several instances never collide"),
	SK_KEY_BOOL(struct sk_eal_conf, telemetry, "yes",
		    "serve DPDK telemetry (/skiff/stats, /skiff/cores) on the runtime socket"),
	SK_KEY_STR(struct sk_eal_conf, log_level, NULL,
		   "EAL --log-level, e.g. notice or skiff.*:debug"),
	SK_KEY_STR(struct sk_eal_conf, args, NULL,
		   "extra EAL arguments, separated by spaces (e.g. --iova-mode va)"),
};

static const struct sk_config_section sk_config_eal_section = {
	.name = "eal",
	.keys = sk_config_eal_keys,
	.n_keys = RTE_DIM(sk_config_eal_keys),
	.check = sk_config_check_eal,
	.help = "DPDK EAL start-up (command-line arguments after -- override and add to these)",
};

/* ---- [workers] ----------------------------------------------------------------------------- */

static const char *const sk_config_idle_names[] = {"poll", "adaptive", NULL};

static int
sk_config_check_workers(void *obj, unsigned index, const char **bad, char *why, size_t len)
{
	struct sk_workers_conf *w = obj;

	(void)index;
	w->n_cpus = sk_config_cpus_count(w->cpus);
	if (w->n_cpus > SK_CONFIG_MAX_WORKERS) {
		*bad = "lcores";
		snprintf(why, len, "%u CPUs; at most %u workers", w->n_cpus, SK_CONFIG_MAX_WORKERS);
		return -ERANGE;
	}
	if (w->mailbox_ring & (w->mailbox_ring - 1)) {
		*bad = "mailbox_ring";
		snprintf(why, len, "%u is not a power of two", w->mailbox_ring);
		return -EINVAL;
	}
	return 0;
}

static const struct sk_config_key sk_config_workers_keys[] = {
	{.name = "lcores",
	 .type = SK_CFG_CUSTOM,
	 .parse = sk_config_parse_cpus,
	 .offset = offsetof(struct sk_workers_conf, cpus),
	 .size = sizeof(uint64_t[2]),
	 .required = true,
	 .help = "CPUs to run one worker each on: a list like 0-1 or 0,2,4"},
	SK_KEY_UINT(struct sk_workers_conf, main_cpu, 0, 127, false, NULL,
		    "CPU of the control thread (signals, stats); default: the first worker's"),
	{.name = "idle",
	 .type = SK_CFG_ENUM,
	 .choices = sk_config_idle_names,
	 .offset = offsetof(struct sk_workers_conf, idle),
	 .size = sizeof(unsigned),
	 .def = "adaptive",
	 .help = "poll spins; adaptive sleeps briefly after idle_spin_polls empty polls"},
	SK_KEY_UINT(struct sk_workers_conf, idle_spin_polls, 0, 1000000, false, "256",
		    "adaptive: empty loop iterations before the first sleep"),
	SK_KEY_UINT(struct sk_workers_conf, idle_max_sleep_us, 1, 1000000, false, "100",
		    "adaptive: longest single sleep in microseconds (bounds wake-up latency)"),
	SK_KEY_UINT(struct sk_workers_conf, mailbox_ring, 64, 65536, false, "1024",
		    "entries of each core-to-core mailbox ring (a power of two)"),
	SK_KEY_UINT(struct sk_workers_conf, timer_tick_us, 1, 100000, false, "100",
		    "timer wheel resolution in microseconds"),
};

static const struct sk_config_section sk_config_workers_section = {
	.name = "workers",
	.required = true,
	.keys = sk_config_workers_keys,
	.n_keys = RTE_DIM(sk_config_workers_keys),
	.check = sk_config_check_workers,
	.help = "worker cores and their idle policy",
};

/* ---- [limits], [stats] --------------------------------------------------------------------- */

static const struct sk_config_key sk_config_limits_keys[] = {
	SK_KEY_UINT(struct sk_limits_conf, stop_timeout_ms, 0, 600000, false, "2000",
		    "on SIGINT/SIGTERM, wait at most this long for in-flight work"),
	SK_KEY_UINT(struct sk_limits_conf, mbufs_per_core, 0, 1048576, false, "2048",
		    "mbufs per core for in-flight data beyond the RX/TX rings (pool sizing)"),
	SK_KEY_UINT(struct sk_limits_conf, mbuf_cache, 0, 512, false, "256",
		    "per-core mempool cache size"),
	SK_KEY_UINT(struct sk_limits_conf, max_connections, 1, 1048576, false, "1024",
		    "connections per core"),
};

static const struct sk_config_section sk_config_limits_section = {
	.name = "limits",
	.keys = sk_config_limits_keys,
	.n_keys = RTE_DIM(sk_config_limits_keys),
	.help = "bounds on time and memory",
};

static const struct sk_config_key sk_config_stats_keys[] = {
	SK_KEY_UINT(struct sk_stats_conf, interval_ms, 100, 60000, false, "1000",
		    "period of the live summary line"),
	SK_KEY_BOOL(struct sk_stats_conf, live, "no",
		    "print a one-line live summary every interval (also: --stats)"),
};

static const struct sk_config_section sk_config_stats_section = {
	.name = "stats",
	.keys = sk_config_stats_keys,
	.n_keys = RTE_DIM(sk_config_stats_keys),
	.help = "observability (telemetry is always served unless [eal] telemetry = no)",
};

/* ---- [port.N] ------------------------------------------------------------------------------ */

static int
sk_config_parse_mac(const char *v, void *dst, char *why, size_t why_len)
{
	struct rte_ether_addr *mac = dst;
	unsigned b[6];
	char tail;

	if (strlen(v) != 17 ||
	    sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    (b[0] & 1) != 0) {
		snprintf(why, why_len, "a unicast MAC address like 02:00:00:00:00:01");
		return -EINVAL;
	}
	for (unsigned i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)b[i];
	return 0;
}

bool
sk_config_port_is_pci(const struct dp_port_conf *p)
{
	return sk_config_is_pci(p->dev);
}

static int
sk_config_check_fault(const struct dp_fault_dir_conf *d, const char *dir, const char **bad,
		      char *why, size_t len)
{
	uint64_t sum = (uint64_t)d->drop_ppm + d->dup_ppm + d->reorder_ppm + d->corrupt_ppm;

	if (sum > 1000000) {
		*bad = dir[0] == 'r' ? "rx_drop_ppm" : "tx_drop_ppm";
		snprintf(why, len, "the %s fault rates add up to %llu ppm; at most 1000000", dir,
			 (unsigned long long)sum);
		return -ERANGE;
	}
	return 0;
}

static int
sk_config_check_port(void *obj, unsigned index, const char **bad, char *why, size_t len)
{
	struct dp_port_conf *p = obj;
	uint32_t mask = p->prefix_len == 32 ? UINT32_MAX : ~(UINT32_MAX >> p->prefix_len);

	(void)index;
	if (p->ipv4 == 0 || (p->ipv4 >> 24) == 127 || (p->ipv4 >> 28) >= 14) {
		*bad = "ipv4";
		snprintf(why, len, "%u.%u.%u.%u is not a unicast host address", p->ipv4 >> 24,
			 p->ipv4 >> 16 & 255, p->ipv4 >> 8 & 255, p->ipv4 & 255);
		return -EINVAL;
	}
	if (p->gateway != 0 && ((p->gateway & mask) != (p->ipv4 & mask) || p->gateway == p->ipv4)) {
		*bad = "gateway";
		snprintf(why, len, "%u.%u.%u.%u is not another address inside %u.%u.%u.%u/%u",
			 p->gateway >> 24, p->gateway >> 16 & 255, p->gateway >> 8 & 255,
			 p->gateway & 255, p->ipv4 >> 24, p->ipv4 >> 16 & 255, p->ipv4 >> 8 & 255,
			 p->ipv4 & 255, p->prefix_len);
		return -EINVAL;
	}
	if (p->rxd & (p->rxd - 1)) {
		*bad = "rxd";
		snprintf(why, len, "%u is not a power of two", p->rxd);
		return -EINVAL;
	}
	if (p->txd & (p->txd - 1)) {
		*bad = "txd";
		snprintf(why, len, "%u is not a power of two", p->txd);
		return -EINVAL;
	}
	if (sk_config_check_fault(&p->fault.rx, "rx", bad, why, len) != 0 ||
	    sk_config_check_fault(&p->fault.tx, "tx", bad, why, len) != 0)
		return -ERANGE;
	return 0;
}

#define SK_KEY_FAULT(dir, f, h)                                                                    \
	{                                                                                          \
		.name = #dir "_" #f, .type = SK_CFG_UINT, .min = 0, .max = 1000000,                \
		.offset = offsetof(struct dp_port_conf, fault.dir.f), .size = sizeof(uint32_t),    \
		.def = "0", .help = h                                                              \
	}

static const struct sk_config_key sk_config_port_keys[] = {
	{.name = "dev",
	 .type = SK_CFG_CUSTOM,
	 .parse = sk_config_parse_dev,
	 .offset = offsetof(struct dp_port_conf, dev),
	 .size = DP_PORT_DEV_MAX,
	 .required = true,
	 .help = "a PCI address (0000:03:00.0) or a vdev (net_tap0,iface=sk0; net_null0)"},
	{.name = "mac",
	 .type = SK_CFG_CUSTOM,
	 .parse = sk_config_parse_mac,
	 .offset = offsetof(struct dp_port_conf, mac),
	 .size = sizeof(struct rte_ether_addr),
	 .help = "our MAC, a unicast address like 02:00:00:00:00:01 (default: the port's)"},
	{.name = "ipv4",
	 .type = SK_CFG_IPV4,
	 .offset = offsetof(struct dp_port_conf, ipv4),
	 .size = 4,
	 .required = true,
	 .help = "the stack's IPv4 address on this port"},
	SK_KEY_UINT(struct dp_port_conf, prefix_len, 1, 32, false, "24",
		    "length of the on-link prefix"),
	{.name = "gateway",
	 .type = SK_CFG_IPV4,
	 .offset = offsetof(struct dp_port_conf, gateway),
	 .size = 4,
	 .help = "next hop for off-link addresses (none: on-link only)"},
	SK_KEY_UINT(struct dp_port_conf, queues, 0, DP_PORT_MAX_QUEUES, false, "0",
		    "RX/TX queue pairs, one per worker using the port; 0: one per worker"),
	SK_KEY_UINT(struct dp_port_conf, rxd, 64, 16384, false, "1024",
		    "RX descriptors per queue (a power of two)"),
	SK_KEY_UINT(struct dp_port_conf, txd, 64, 16384, false, "1024",
		    "TX descriptors per queue (a power of two)"),
	SK_KEY_UINT(struct dp_port_conf, mtu, 576, 9000, false, "1500", "IP MTU"),
	{.name = "fault_seed",
	 .type = SK_CFG_UINT,
	 .min = 0,
	 .max = UINT64_MAX,
	 .offset = offsetof(struct dp_port_conf, fault.seed),
	 .size = sizeof(uint64_t),
	 .def = "1",
	 .help = "seed of the fault injection streams"},
	SK_KEY_FAULT(rx, drop_ppm, "fault injection: received packets dropped, per million"),
	SK_KEY_FAULT(rx, dup_ppm, "fault injection: received packets duplicated, per million"),
	SK_KEY_FAULT(rx, reorder_ppm, "fault injection: received packets reordered, per million"),
	SK_KEY_FAULT(rx, corrupt_ppm, "fault injection: received packets corrupted, per million"),
	SK_KEY_FAULT(tx, drop_ppm, "fault injection: sent packets dropped, per million"),
	SK_KEY_FAULT(tx, dup_ppm, "fault injection: sent packets duplicated, per million"),
	SK_KEY_FAULT(tx, reorder_ppm, "fault injection: sent packets reordered, per million"),
	SK_KEY_FAULT(tx, corrupt_ppm, "fault injection: sent packets corrupted, per million"),
};

static const struct sk_config_section sk_config_port_section = {
	.name = "port",
	.indexed = true,
	.max_index = SK_CONFIG_MAX_PORTS - 1,
	.keys = sk_config_port_keys,
	.n_keys = RTE_DIM(sk_config_port_keys),
	.stride = sizeof(struct dp_port_conf),
	.check = sk_config_check_port,
	.help = "a network port, numbered from 0 without gaps (none: the runtime runs portless)",
};

/* ---- init and cross-section checks --------------------------------------------------------- */

void
sk_config_init(struct sk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers.main_cpu = UINT32_MAX;
	/* The built-in defaults parse by construction; a failure here is a bug caught by the
	 * config unit tests (every field would read zero). */
	(void)sk_config_add_section(cfg, &sk_config_eal_section, &cfg->eal);
	(void)sk_config_add_section(cfg, &sk_config_workers_section, &cfg->workers);
	(void)sk_config_add_section(cfg, &sk_config_limits_section, &cfg->limits);
	(void)sk_config_add_section(cfg, &sk_config_stats_section, &cfg->stats);
	(void)sk_config_add_section(cfg, &sk_config_port_section, &cfg->ports[0]);
}

/* "file:line" of a section, or "file" alone when it was set through sk_config_set(). */
static const char *
sk_config_where(const struct sk_config *cfg, unsigned line, char *buf, size_t len)
{
	if (line == 0 || line == UINT32_MAX)
		snprintf(buf, len, "%s", cfg->path[0] != '\0' ? cfg->path : "(config)");
	else
		snprintf(buf, len, "%s:%u", cfg->path, line);
	return buf;
}

void
sk_config_finish(struct sk_config *cfg, struct sk_config_err *err)
{
	char where[300];
	unsigned slot;

	for (slot = 0; slot < cfg->n_schema; slot++)
		if (cfg->schema[slot].sec == &sk_config_port_section)
			break;
	cfg->n_ports = 0;
	for (unsigned n = 0; n < SK_CONFIG_MAX_PORTS; n++) {
		if (!cfg->schema[slot].seen[n])
			continue;
		if (n != cfg->n_ports) {
			sk_config_errf(err,
				       "%s: [port.%u] without [port.%u]; number ports from 0 "
				       "without gaps",
				       sk_config_where(cfg, cfg->schema[slot].seen[n], where,
						       sizeof(where)),
				       n, cfg->n_ports);
			return;
		}
		cfg->n_ports++;
	}
	cfg->workers.n_cpus = sk_config_cpus_count(cfg->workers.cpus);
	for (unsigned n = 0; n < cfg->n_ports; n++) {
		struct dp_port_conf *p = &cfg->ports[n];

		/* One queue per worker using the port; each queue needs a worker to poll it. */
		if (p->queues == 0 || cfg->queues_auto[n]) {
			cfg->queues_auto[n] = true;
			p->queues = (uint16_t)RTE_MIN(cfg->workers.n_cpus,
						      (unsigned)DP_PORT_MAX_QUEUES);
		}
		if (p->queues > cfg->workers.n_cpus) {
			sk_config_errf(err,
				       "%s: [port.%u] queues = %u: more queues than the %u "
				       "workers that would poll them",
				       sk_config_where(cfg, cfg->schema[slot].seen[n], where,
						       sizeof(where)),
				       n, p->queues, cfg->workers.n_cpus);
			return;
		}
	}
	/* Not configured (or still the value we chose last time): the first worker CPU. */
	if (cfg->workers.main_cpu == UINT32_MAX ||
	    (cfg->main_cpu_auto && cfg->workers.main_cpu == cfg->main_cpu_chosen)) {
		unsigned c = 0;

		while (c < 128 && !(cfg->workers.cpus[c / 64] >> (c % 64) & 1))
			c++;
		cfg->workers.main_cpu = c;
		cfg->main_cpu_chosen = c;
		cfg->main_cpu_auto = true;
	}
}
