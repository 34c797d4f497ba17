/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIGINT/SIGTERM for applications on the runtime. The first signal only asks the runtime to stop
 * (one atomic store; the main thread notices and drains within the stop bound); a second signal
 * restores the default action and re-raises itself, so the process ends at once, killed by that
 * signal. No exit or _exit here: that is the default action's job (STYLE: nothing under framework/
 * calls exit).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "runtime_priv.h"

/* Handlers carry no context: the runtime they stop, and how many signals came. */
static struct sk_runtime *sk_signal_rt;
static volatile sig_atomic_t sk_signal_count;

static void
sk_signal_on(int sig)
{
	struct sk_runtime *rt = __atomic_load_n(&sk_signal_rt, __ATOMIC_ACQUIRE);

	if (++sk_signal_count >= 2) {
		/* Async-signal-safe: sigaction and raise. */
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		sigaction(sig, &dfl, NULL);
		raise(sig);
		return;
	}
	if (rt != NULL)
		sk_runtime_request_stop(rt);
}

int
sk_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sk_signal_on;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	return 0;
}

void
sk_signals_attach(struct sk_runtime *rt)
{
	__atomic_store_n(&sk_signal_rt, rt, __ATOMIC_RELEASE);
	/* A signal that came during start-up, before there was a runtime to stop. */
	if (rt != NULL && sk_signal_count > 0)
		sk_runtime_request_stop(rt);
}

unsigned
sk_signals_received(void)
{
	return (unsigned)sk_signal_count;
}
