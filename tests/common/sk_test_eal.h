/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL clean-up shared by the test programs. rte_eal_cleanup() leaves the process's (empty) runtime
 * directory /var/run/dpdk/<file-prefix> behind; a test leaves nothing, so it removes that too.
 * Header-only: tests include it by relative path ("../../common/sk_test_eal.h").
 */
#ifndef SK_TEST_EAL_H
#define SK_TEST_EAL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>

/* rte_eal_cleanup(), then remove the runtime directory it leaves. End of main, after every pool
 * is freed. */
static inline void
sk_test_eal_cleanup(void)
{
	char rundir[PATH_MAX];

	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);
}

static inline char *
sk_test_rundir_buf(void)
{
	static char rundir[PATH_MAX];

	return rundir;
}

static inline void
sk_test_rundir_remove(void)
{
	const char *d = sk_test_rundir_buf();

	if (d[0] != '\0')
		rmdir(d);
}

/* For programs that never return from main (libFuzzer ends the process itself): remove the
 * runtime directory at exit. Call once, right after rte_eal_init(). */
static inline void
sk_test_eal_rmdir_at_exit(void)
{
	snprintf(sk_test_rundir_buf(), PATH_MAX, "%s", rte_eal_get_runtime_dir());
	atexit(sk_test_rundir_remove);
}

#endif /* SK_TEST_EAL_H */
