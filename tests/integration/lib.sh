# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by the integration test scripts (sourced: . "$(dirname "$0")/../lib.sh").
# A script keeps its own counters passed=0 failed=0 and prints "N passed, N failed" last.

# check NAME CMD...: run CMD; count and print ok/FAIL with NAME.
check() {
	local name=$1; shift
	if "$@"; then echo "ok: $name"; passed=$((passed + 1));
	else echo "FAIL: $name"; failed=$((failed + 1)); fi
}

# ge A B: A (empty counts as 0) >= B.
ge() { [ "${1:-0}" -ge "$2" ]; }

# stop_pid PID: SIGTERM, up to 5 s for it to end, then SIGKILL; reaps it. Empty PID: nothing.
stop_pid() {
	local p=$1
	[ -n "$p" ] || return 0
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null
}
