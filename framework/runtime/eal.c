/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL start-up from the configuration: builds the EAL command line from [eal] (memory mode, file
 * prefix, telemetry, log level, extra arguments), [workers] (lcore 0 = the main/control thread on
 * main_cpu, lcores 1..n = one worker per configured CPU) and [port.N] (the PCI allow-list),
 * appends the command-line overrides, and calls rte_eal_init(). Control path, once per process.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_* */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "runtime_priv.h"

RTE_LOG_REGISTER(sk_runtime_logtype, skiff.runtime, NOTICE);

#define SK_EAL_MAX_ARGS 128

struct sk_eal_args {
	int argc;
	char *argv[SK_EAL_MAX_ARGS + 1];
};

/* The EAL keeps pointers into argv for some options (vdev arguments, file prefix): the strings live
 * from sk_eal_start() to sk_eal_stop(). Process-wide like the EAL itself. */
static struct sk_eal_args sk_eal_saved;

static int
sk_eal_push(struct sk_eal_args *a, const char *fmt, const char *s)
{
	char buf[1024];

	if (a->argc >= SK_EAL_MAX_ARGS)
		return -E2BIG;
	snprintf(buf, sizeof(buf), fmt, s);
	a->argv[a->argc] = strdup(buf);
	if (a->argv[a->argc] == NULL)
		return -ENOMEM;
	a->argc++;
	return 0;
}

static void
sk_eal_args_free(struct sk_eal_args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
}

/* "--lcores=0@M,1@C1,2@C2,...": worker i is lcore i+1, pinned to the i-th configured CPU. */
static int
sk_eal_lcores(const struct sk_config *cfg, char *buf, size_t len)
{
	const struct sk_workers_conf *w = &cfg->workers;
	unsigned lcore = 1;
	size_t used;

	used = (size_t)snprintf(buf, len, "--lcores=0@%u", w->main_cpu);
	for (unsigned cpu = 0; cpu < 128; cpu++) {
		if (!(w->cpus[cpu / 64] >> (cpu % 64) & 1))
			continue;
		if (used >= len)
			return -E2BIG;
		used += (size_t)snprintf(buf + used, len - used, ",%u@%u", lcore++, cpu);
	}
	return used < len ? 0 : -E2BIG;
}

static int
sk_eal_build(const struct sk_config *cfg, int argc, char **argv, struct sk_eal_args *a,
	     char *prefix, size_t prefix_len)
{
	const struct sk_eal_conf *e = &cfg->eal;
	char buf[1024];
	bool any_pci = false;
	int rc = 0;

	rc |= sk_eal_push(a, "%s", "skiff");
	if (sk_eal_lcores(cfg, buf, sizeof(buf)) != 0)
		return -E2BIG;
	rc |= sk_eal_push(a, "%s", buf);
	rc |= sk_eal_push(a, "%s", "--main-lcore=0");
	if (e->unique_prefix)
		snprintf(prefix, prefix_len, "%s_%d", e->file_prefix, (int)getpid());
	else
		snprintf(prefix, prefix_len, "%s", e->file_prefix);
	rc |= sk_eal_push(a, "--file-prefix=%s", prefix);
	if (e->no_huge) {
		rc |= sk_eal_push(a, "%s", "--no-huge");
		rc |= sk_eal_push(a, "%s", "--no-shconf");
	} else if (e->in_memory) {
		rc |= sk_eal_push(a, "%s", "--in-memory");
	}
	if (e->memory_mb != 0) {
		snprintf(buf, sizeof(buf), "-m%u", e->memory_mb);
		rc |= sk_eal_push(a, "%s", buf);
	}
	if (!e->telemetry)
		rc |= sk_eal_push(a, "%s", "--no-telemetry");
	if (e->log_level[0] != '\0')
		rc |= sk_eal_push(a, "--log-level=%s", e->log_level);
	/* PCI ports go on the allow-list so EAL probes them; vdevs are hot-plugged when the port
	 * is opened (dp_port_open), so they exist only while a port uses them. */
	for (unsigned p = 0; p < cfg->n_ports; p++) {
		if (sk_config_port_is_pci(&cfg->ports[p])) {
			any_pci = true;
			rc |= sk_eal_push(a, "%s", "-a");
			rc |= sk_eal_push(a, "%s", cfg->ports[p].dev);
		}
	}
	if (!any_pci)
		rc |= sk_eal_push(a, "%s", "--no-pci");
	if (e->args[0] != '\0') {
		char tmp[SK_CONFIG_STR_MAX], *save = NULL;

		snprintf(tmp, sizeof(tmp), "%s", e->args);
		for (char *t = strtok_r(tmp, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			rc |= sk_eal_push(a, "%s", t);
	}
	for (int i = 0; i < argc; i++)
		rc |= sk_eal_push(a, "%s", argv[i]);
	return rc;
}

int
sk_eal_check_cpus(const struct sk_config *cfg, char *why, size_t len)
{
	const struct sk_workers_conf *w = &cfg->workers;
	cpu_set_t avail;

	if (sched_getaffinity(0, sizeof(avail), &avail) != 0)
		return 0; /* cannot tell: let EAL decide */
	for (unsigned cpu = 0; cpu < 128; cpu++) {
		bool want = (w->cpus[cpu / 64] >> (cpu % 64) & 1) || cpu == w->main_cpu;

		if (want && !CPU_ISSET(cpu, &avail)) {
			snprintf(why, len,
				 "%s CPU %u is not available to this process (%d CPUs are)",
				 cpu == w->main_cpu ? "[workers] main_cpu:" : "[workers] lcores:",
				 cpu, CPU_COUNT(&avail));
			return -ENODEV;
		}
	}
	return 0;
}

int
sk_eal_start(const struct sk_config *cfg, int argc, char **argv, char *prefix_out,
	     size_t prefix_len)
{
	struct sk_eal_args a = {0};
	char *copy[SK_EAL_MAX_ARGS + 1];
	char prefix[128];
	int rc;

	rc = sk_eal_build(cfg, argc, argv, &a, prefix, sizeof(prefix));
	if (rc != 0) {
		sk_eal_args_free(&a);
		return rc < 0 ? rc : -E2BIG;
	}
	/* rte_eal_init may permute argv; hand it a copy of the pointers and keep the strings. */
	memcpy(copy, a.argv, sizeof(char *) * (size_t)a.argc);
	copy[a.argc] = NULL;
	rc = rte_eal_init(a.argc, copy);
	if (rc < 0) {
		rc = rte_errno ? -rte_errno : -EINVAL;
		sk_eal_args_free(&a);
		return rc;
	}
	if (prefix_out != NULL)
		snprintf(prefix_out, prefix_len, "%s", prefix);
	SK_RT_LOG(INFO, "EAL started, file prefix %s\n", prefix);
	sk_eal_saved = a;
	return 0;
}

void
sk_eal_stop(void)
{
	char dir[PATH_MAX];

	/* The runtime directory (/var/run/dpdk/<prefix>) outlives rte_eal_cleanup(), empty once the
	 * telemetry socket is gone: remove it so a stopped process leaves nothing behind. rmdir
	 * fails harmlessly if something else still lives there. */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (dir[0] != '\0') {
		DIR *d = opendir(dir);
		struct dirent *de;
		char path[PATH_MAX + 256];

		/* The telemetry library unlinks its socket only at exit; ours is unique to this
		 * process (the prefix is), so remove it now. */
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "dpdk_telemetry.", 15) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			(void)unlink(path);
		}
		if (d != NULL)
			closedir(d);
		(void)rmdir(dir);
	}
	sk_eal_args_free(&sk_eal_saved);
}
