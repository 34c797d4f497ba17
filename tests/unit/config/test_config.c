/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration loader (framework/runtime/config*.c): the shipped files load with
 * the values they say; defaults apply; a registered section works like a built-in one; command-line
 * style overrides go through the same checks; and every file in tests/unit/config/bad fails with
 * the message its first line announces ("# expect: <file>:<line>: <text>"), one class of error
 * each. No EAL: rte_cfgfile needs none.
 *
 * Usage: test_config <repo root>
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sk/config.h>

static const char *tc_root;

/* The [demo] section of skiffd (the shipped skiffd.conf has one); same shape, our own storage. */
struct tc_demo {
	uint32_t ping_interval_us;
	uint32_t drain_delay_ms;
};

static const struct sk_config_key tc_demo_keys[] = {
	{.name = "ping_interval_us",
	 .type = SK_CFG_UINT,
	 .min = 10,
	 .max = 10000000,
	 .offset = offsetof(struct tc_demo, ping_interval_us),
	 .size = 4,
	 .def = "1000",
	 .help = "x"},
	{.name = "drain_delay_ms",
	 .type = SK_CFG_UINT,
	 .min = 0,
	 .max = 600000,
	 .offset = offsetof(struct tc_demo, drain_delay_ms),
	 .size = 4,
	 .def = "0",
	 .help = "x"},
};

static const struct sk_config_section tc_demo_section = {
	.name = "demo",
	.keys = tc_demo_keys,
	.n_keys = 2,
	.help = "demo",
};

static struct sk_config tc_cfg;
static struct tc_demo tc_demo;
static struct sk_config_err tc_err;

static int
tc_load(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tc_root, rel);
	sk_config_init(&tc_cfg);
	ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_demo_section, &tc_demo), 0);
	return sk_config_load(&tc_cfg, path, &tc_err);
}

static char *
tc_write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/sk_tc_%d.conf", (int)getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(shipped_skiffd_conf)
{
	int rc = tc_load("conf/skiffd.conf");

	ck_assert_msg(rc == 0, "%s", tc_err.msg);
	ck_assert_uint_eq(tc_err.count, 0);
	ck_assert(tc_cfg.eal.no_huge);
	ck_assert_uint_eq(tc_cfg.eal.memory_mb, 256);
	ck_assert_str_eq(tc_cfg.eal.file_prefix, "skiffd");
	ck_assert(tc_cfg.eal.unique_prefix);
	ck_assert_uint_eq(tc_cfg.workers.n_cpus, 2);
	ck_assert_uint_eq(tc_cfg.workers.cpus[0], 3);
	ck_assert_uint_eq(tc_cfg.workers.main_cpu, 0);
	ck_assert_uint_eq(tc_cfg.workers.idle, SK_IDLE_ADAPTIVE);
	ck_assert_uint_eq(tc_cfg.workers.idle_max_sleep_us, 200);
	ck_assert_uint_eq(tc_cfg.limits.stop_timeout_ms, 2000);
	ck_assert_uint_eq(tc_cfg.n_ports, 0);
	ck_assert_uint_eq(tc_demo.ping_interval_us, 1000);
}
END_TEST

START_TEST(example_nic_conf)
{
	const struct dp_port_conf *p = &tc_cfg.ports[0];
	int rc = tc_load("conf/examples/nic.conf");

	ck_assert_msg(rc == 0, "%s", tc_err.msg);
	ck_assert_uint_eq(tc_cfg.n_ports, 1);
	ck_assert_str_eq(p->dev, "0000:03:00.0");
	ck_assert(sk_config_port_is_pci(p));
	ck_assert_uint_eq(p->ipv4, 0xC6120002u);
	ck_assert_uint_eq(p->gateway, 0xC6120001u);
	ck_assert_uint_eq(p->prefix_len, 24);
	ck_assert_uint_eq(p->queues, 4);
	ck_assert_uint_eq(p->rxd, 2048);
	ck_assert_uint_eq(p->mtu, 1500);
	ck_assert_uint_eq(tc_cfg.workers.n_cpus, 4);
	ck_assert_uint_eq(tc_cfg.workers.cpus[0], 0x3c);
	ck_assert_uint_eq(tc_cfg.workers.idle, SK_IDLE_POLL);
	ck_assert(!tc_cfg.eal.no_huge);
	ck_assert_str_eq(tc_cfg.eal.log_level, "notice");
}
END_TEST

START_TEST(example_tap_conf)
{
	int rc = tc_load("conf/examples/tap.conf");

	ck_assert_msg(rc == 0, "%s", tc_err.msg);
	ck_assert_uint_eq(tc_cfg.n_ports, 1);
	ck_assert(!sk_config_port_is_pci(&tc_cfg.ports[0]));
	ck_assert_str_eq(tc_cfg.ports[0].dev, "net_tap0,iface=sktap0");
	ck_assert_uint_eq(tc_cfg.ports[0].queues, 2);
	/* queues = 2 was explicit: one worker cannot poll two queues */
	ck_assert_int_eq(sk_config_set(&tc_cfg, "workers", "lcores", "3", &tc_err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(tc_err.msg, "queues = 2: more queues than the 1 workers"));
}
END_TEST

START_TEST(example_null_conf)
{
	int rc = tc_load("conf/examples/null.conf");

	ck_assert_msg(rc == 0, "%s", tc_err.msg);
	ck_assert_uint_eq(tc_cfg.n_ports, 1);
	ck_assert_str_eq(tc_cfg.ports[0].dev, "net_null0,no-rx=1");
	ck_assert_uint_eq(tc_cfg.ports[0].queues, 2); /* not set: one per worker */
	/* ... and it follows a later --lcores override */
	ck_assert_int_eq(sk_config_set(&tc_cfg, "workers", "lcores", "3", &tc_err), 0);
	ck_assert_uint_eq(tc_cfg.ports[0].queues, 1);
}
END_TEST

START_TEST(defaults_apply)
{
	sk_config_init(&tc_cfg);
	ck_assert_int_eq(sk_config_load(&tc_cfg,
					tc_write_tmp("[workers]\nlcores = 1\n[port.0]\n"
						     "dev = net_null0\nipv4 = 10.0.0.1\n"),
					&tc_err),
			 0);
	ck_assert_uint_eq(tc_cfg.workers.main_cpu, 1);
	ck_assert_uint_eq(tc_cfg.workers.idle, SK_IDLE_ADAPTIVE);
	ck_assert_uint_eq(tc_cfg.workers.idle_spin_polls, 256);
	ck_assert_uint_eq(tc_cfg.workers.mailbox_ring, 1024);
	ck_assert_uint_eq(tc_cfg.limits.stop_timeout_ms, 2000);
	ck_assert_uint_eq(tc_cfg.limits.mbuf_cache, 256);
	ck_assert_uint_eq(tc_cfg.stats.interval_ms, 1000);
	ck_assert(!tc_cfg.eal.no_huge);
	ck_assert(tc_cfg.eal.in_memory);
	ck_assert_str_eq(tc_cfg.eal.file_prefix, "skiffd");
	ck_assert_uint_eq(tc_cfg.ports[0].prefix_len, 24);
	ck_assert_uint_eq(tc_cfg.ports[0].gateway, 0);
	ck_assert_uint_eq(tc_cfg.ports[0].rxd, 1024);
	ck_assert_uint_eq(tc_cfg.ports[0].mtu, 1500);
	unlink(tc_write_tmp(""));
}
END_TEST

START_TEST(missing_file)
{
	ck_assert_int_eq(tc_load("conf/does-not-exist.conf"), -ENOENT);
	ck_assert_ptr_nonnull(strstr(tc_err.msg, "does-not-exist.conf: cannot open"));
}
END_TEST

/* A later layer's section, registered before load, indexed and not. */
struct tc_app {
	unsigned kind;
	uint16_t port;
	char name[16];
	bool verbose;
};

static const char *const tc_kinds[] = {"native", "posix", NULL};

static const struct sk_config_key tc_app_keys[] = {
	{.name = "kind",
	 .type = SK_CFG_ENUM,
	 .choices = tc_kinds,
	 .offset = offsetof(struct tc_app, kind),
	 .size = sizeof(unsigned),
	 .def = "native",
	 .help = "stack"},
	{.name = "port",
	 .type = SK_CFG_UINT,
	 .min = 1,
	 .max = 65535,
	 .offset = offsetof(struct tc_app, port),
	 .size = 2,
	 .required = true,
	 .help = "TCP port"},
	{.name = "name",
	 .type = SK_CFG_STR,
	 .offset = offsetof(struct tc_app, name),
	 .size = 16,
	 .def = "echo",
	 .help = "name"},
	{.name = "verbose",
	 .type = SK_CFG_BOOL,
	 .offset = offsetof(struct tc_app, verbose),
	 .size = 1,
	 .def = "off",
	 .help = "chatty"},
};

static const struct sk_config_section tc_app_section = {
	.name = "app.echo",
	.keys = tc_app_keys,
	.n_keys = 4,
	.help = "echo service",
};

START_TEST(registered_section)
{
	struct tc_app app;
	const char *p;

	sk_config_init(&tc_cfg);
	ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_app_section, &app), 0);
	ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_app_section, &app), -EEXIST);
	ck_assert_uint_eq(app.kind, 0);
	ck_assert_str_eq(app.name, "echo");
	p = tc_write_tmp("[workers]\nlcores = 0\n[app.echo]\nkind = posix\nport = 7878\n"
			 "verbose = yes\n");
	ck_assert_msg(sk_config_load(&tc_cfg, p, &tc_err) == 0, "%s", tc_err.msg);
	ck_assert_uint_eq(app.kind, 1);
	ck_assert_uint_eq(app.port, 7878);
	ck_assert(app.verbose);

	sk_config_init(&tc_cfg);
	ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_app_section, &app), 0);
	p = tc_write_tmp(
		"[workers]\nlcores = 0\n[app.echo]\nkind = dpdk\nport = 0\ncolour = red\n");
	ck_assert_int_eq(sk_config_load(&tc_cfg, p, &tc_err), -EINVAL);
	ck_assert_uint_eq(tc_err.count, 3);
	ck_assert_ptr_nonnull(strstr(tc_err.msg, ":4: [app.echo] kind = \"dpdk\": expected one of "
						 "native, posix"));
	ck_assert_ptr_nonnull(strstr(tc_err.msg, ":5: [app.echo] port = \"0\": out of range"));
	ck_assert_ptr_nonnull(strstr(tc_err.msg, ":6: unknown key \"colour\" in [app.echo]; "
						 "allowed: kind, port, name, verbose"));
	unlink(p);
}
END_TEST

/* A section with free-form keys (like [routes]): the entry parser takes the keys the table does
 * not name, in file order; its errors carry file:line; sk_config_set() reaches it too. */
struct tc_free {
	unsigned n;
	char key[4][16], val[4][16];
	char fixed[16];
};

static int
tc_free_entry(void *obj, const char *key, const char *value, char *why, size_t why_len)
{
	struct tc_free *f = obj;

	if (value[0] == '!') {
		snprintf(why, why_len, "no bangs allowed");
		return -EINVAL;
	}
	if (f->n == 4)
		return -ENOSPC;
	snprintf(f->key[f->n], sizeof(f->key[0]), "%s", key);
	snprintf(f->val[f->n], sizeof(f->val[0]), "%s", value);
	f->n++;
	return 0;
}

static const struct sk_config_key tc_free_keys[] = {
	{.name = "fixed",
	 .type = SK_CFG_STR,
	 .offset = offsetof(struct tc_free, fixed),
	 .size = 16,
	 .help = "a fixed key"},
};

static const struct sk_config_section tc_free_section = {
	.name = "free",
	.keys = tc_free_keys,
	.n_keys = 1,
	.entry = tc_free_entry,
	.help = "free-form keys",
};

START_TEST(free_form_keys)
{
	struct tc_free f;
	const char *p;

	memset(&f, 0, sizeof(f));
	sk_config_init(&tc_cfg);
	ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_free_section, &f), 0);
	p = tc_write_tmp("[workers]\nlcores = 0\n[free]\nalpha = one\nfixed = yes\nbeta = two\n");
	ck_assert_msg(sk_config_load(&tc_cfg, p, &tc_err) == 0, "%s", tc_err.msg);
	ck_assert_uint_eq(f.n, 2);
	ck_assert_str_eq(f.key[0], "alpha");
	ck_assert_str_eq(f.val[0], "one");
	ck_assert_str_eq(f.key[1], "beta");
	ck_assert_str_eq(f.val[1], "two");
	ck_assert_str_eq(f.fixed, "yes");
	ck_assert_int_eq(sk_config_set(&tc_cfg, "free", "gamma", "three", &tc_err), 0);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_int_eq(sk_config_set(&tc_cfg, "free", "delta", "!x", &tc_err), -EINVAL);
	unlink(p);

	memset(&f, 0, sizeof(f));
	sk_config_init(&tc_cfg);
	ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_free_section, &f), 0);
	p = tc_write_tmp("[workers]\nlcores = 0\n[free]\nalpha = one\nbeta = !two\n");
	ck_assert_int_eq(sk_config_load(&tc_cfg, p, &tc_err), -EINVAL);
	ck_assert_uint_eq(tc_err.count, 1);
	ck_assert_ptr_nonnull(strstr(tc_err.msg, ":5: [free] beta = \"!two\": no bangs allowed"));
	unlink(p);
}
END_TEST

START_TEST(set_override)
{
	ck_assert_int_eq(tc_load("conf/skiffd.conf"), 0);
	tc_err.count = 0;
	tc_err.msg[0] = '\0';
	ck_assert_int_eq(sk_config_set(&tc_cfg, "workers", "lcores", "1", &tc_err), 0);
	ck_assert_uint_eq(tc_cfg.workers.n_cpus, 1);
	ck_assert_uint_eq(tc_cfg.workers.cpus[0], 2);
	ck_assert_uint_eq(tc_cfg.workers.main_cpu, 1); /* follows the first worker CPU */
	ck_assert_int_eq(sk_config_set(&tc_cfg, "workers", "main_cpu", "0", &tc_err), 0);
	ck_assert_int_eq(sk_config_set(&tc_cfg, "workers", "lcores", "1", &tc_err), 0);
	ck_assert_uint_eq(tc_cfg.workers.main_cpu, 0); /* explicit: kept */
	ck_assert_int_eq(sk_config_set(&tc_cfg, "workers", "lcores", "x", &tc_err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(tc_err.msg, "[workers] lcores = \"x\": expected a CPU list"));
	ck_assert_int_eq(sk_config_set(&tc_cfg, "workers", "nope", "1", &tc_err), -EINVAL);
	ck_assert_int_eq(sk_config_set(&tc_cfg, "nope", "x", "1", &tc_err), -EINVAL);
}
END_TEST

START_TEST(cpu_lists)
{
	uint64_t s[2];
	char why[128];

	ck_assert_int_eq(sk_config_parse_cpus("0", s, why, sizeof(why)), 0);
	ck_assert(s[0] == 1 && s[1] == 0);
	ck_assert_int_eq(sk_config_parse_cpus("0-3,6", s, why, sizeof(why)), 0);
	ck_assert(s[0] == 0x4f && sk_config_cpus_count(s) == 5);
	ck_assert_int_eq(sk_config_parse_cpus("127,64", s, why, sizeof(why)), 0);
	ck_assert(s[0] == 0 && s[1] == (1ULL << 63 | 1));
	ck_assert_int_eq(sk_config_parse_cpus("3-1", s, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(sk_config_parse_cpus("1,", s, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(sk_config_parse_cpus(",1", s, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(sk_config_parse_cpus("128", s, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(sk_config_parse_cpus("1 2", s, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(sk_config_parse_cpus("", s, why, sizeof(why)), -EINVAL);
	/* A CPU named twice is a typo, not one worker less: refused, naming the CPU. */
	ck_assert_int_eq(sk_config_parse_cpus("0,0", s, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "CPU 0 is listed twice"));
	ck_assert_int_eq(sk_config_parse_cpus("0-3,2-5", s, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "CPU 2 is listed twice"));
}
END_TEST

START_TEST(describe_lists_everything)
{
	size_t n;
	char *buf;

	sk_config_init(&tc_cfg);
	ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_app_section, &(struct tc_app){0}), 0);
	n = sk_config_describe(&tc_cfg, NULL, 0);
	ck_assert_uint_gt(n, 500);
	buf = malloc(n + 1);
	ck_assert_uint_eq(sk_config_describe(&tc_cfg, buf, n + 1), n);
	ck_assert_uint_eq(strlen(buf), n);
	for (const char *w = "[eal]\0[workers]\0[limits]\0[stats]\0[port.N]\0[app.echo]\0lcores\0"
			     "idle_max_sleep_us\0stop_timeout_ms\0gateway\0no_huge\0";
	     *w; w += strlen(w) + 1)
		ck_assert_msg(strstr(buf, w) != NULL, "describe lacks %s", w);
	free(buf);
}
END_TEST

/* Every bad file fails, and its message is the one announced on its first line. */
START_TEST(bad_files)
{
	char dir[512], path[1024], first[512];
	struct dirent *de;
	unsigned files = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/unit/config/bad", tc_root);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		const char *expect;
		FILE *f;
		size_t n;

		if (strstr(de->d_name, ".conf") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(first, sizeof(first), f));
		fclose(f);
		n = strlen(first);
		if (n > 0 && first[n - 1] == '\n')
			first[n - 1] = '\0';
		ck_assert_msg(strncmp(first, "# expect: ", 10) == 0, "%s: no expect line", path);
		expect = first + 10;
		sk_config_init(&tc_cfg);
		ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_demo_section, &tc_demo), 0);
		ck_assert_msg(sk_config_load(&tc_cfg, path, &tc_err) == -EINVAL,
			      "%s loaded without error", de->d_name);
		ck_assert_uint_ge(tc_err.count, 1);
		ck_assert_msg(strstr(tc_err.msg, expect) != NULL, "%s:\n  expected: %s\n  got: %s",
			      de->d_name, expect, tc_err.msg);
		files++;
	}
	closedir(d);
	ck_assert_uint_ge(files, 25);
}
END_TEST

/* Seeded random edits of the shipped files (byte flips, deletions, duplicated lines, inserted
 * junk): the loader never crashes (ASan/UBSan in the sanitizer build), and every failure comes
 * with messages that start with the file name. */
START_TEST(random_edits_never_crash)
{
	static const char *const srcs[] = {"conf/skiffd.conf", "conf/examples/nic.conf",
					   "conf/examples/tap.conf", "conf/examples/null.conf"};
	static const char junk[] = "[]=#\\ \t\n\r.0123456789abcdefxyz-_,:;\"'\xff";
	char path[512], *tmp;
	unsigned seed = 12345, loaded = 0, failed = 0;

	if (getenv("SK_TEST_SEED") != NULL) /* longer hunts: SK_TEST_SEED=n test_config ROOT */
		seed = (unsigned)strtoul(getenv("SK_TEST_SEED"), NULL, 10);
	for (unsigned iter = 0; iter < 3000; iter++) {
		char buf[8192];
		size_t n;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", tc_root, srcs[iter % 4]);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		n = fread(buf, 1, sizeof(buf) - 1024, f);
		fclose(f);
		for (unsigned e = 0, edits = 1 + rand_r(&seed) % 4; e < edits && n > 1; e++) {
			size_t at = (size_t)rand_r(&seed) % n;

			switch (rand_r(&seed) % 4) {
			case 0: /* replace a byte */
				buf[at] = junk[rand_r(&seed) % (sizeof(junk) - 1)];
				break;
			case 1: /* delete a run */
			{
				size_t len = 1 + (size_t)rand_r(&seed) % 16;

				if (at + len > n)
					len = n - at;
				memmove(buf + at, buf + at + len, n - at - len);
				n -= len;
			} break;
			case 2: /* insert a byte */
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = junk[rand_r(&seed) % (sizeof(junk) - 1)];
				n++;
				break;
			default: /* duplicate the first 64 bytes at a random place */
				if (n + 64 < sizeof(buf) && n > 64) {
					memmove(buf + at + 64, buf + at, n - at);
					memmove(buf + at, buf, 64);
					n += 64;
				}
				break;
			}
		}
		buf[n] = '\0';
		tmp = tc_write_tmp(buf);
		sk_config_init(&tc_cfg);
		ck_assert_int_eq(sk_config_add_section(&tc_cfg, &tc_demo_section, &tc_demo), 0);
		if (sk_config_load(&tc_cfg, tmp, &tc_err) == 0) {
			loaded++;
			ck_assert_uint_eq(tc_err.count, 0);
			ck_assert_uint_ge(tc_cfg.workers.n_cpus, 1);
		} else {
			failed++;
			ck_assert_uint_ge(tc_err.count, 1);
			ck_assert_msg(strncmp(tc_err.msg, tmp, strlen(tmp)) == 0, "%s", tc_err.msg);
			/* Our line index and rte_cfgfile always agree on what the file holds. */
			ck_assert_msg(strstr(tc_err.msg, "rte_cfgfile") == NULL, "%s", tc_err.msg);
		}
	}
	unlink(tmp);
	ck_assert_uint_gt(loaded, 0);
	ck_assert_uint_gt(failed, 0);
}
END_TEST

static Suite *
tc_suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("config");

	tcase_set_timeout(t, 60);

	tcase_add_test(t, shipped_skiffd_conf);
	tcase_add_test(t, example_nic_conf);
	tcase_add_test(t, example_tap_conf);
	tcase_add_test(t, example_null_conf);
	tcase_add_test(t, defaults_apply);
	tcase_add_test(t, missing_file);
	tcase_add_test(t, registered_section);
	tcase_add_test(t, free_form_keys);
	tcase_add_test(t, set_override);
	tcase_add_test(t, cpu_lists);
	tcase_add_test(t, describe_lists_everything);
	tcase_add_test(t, bad_files);
	tcase_add_test(t, random_edits_never_crash);
	suite_add_tcase(s, t);
	return s;
}

int
main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	tc_root = argc > 1 ? argv[1] : ".";
	sr = srunner_create(tc_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
