#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up, build when needed, start the demo service and show it working.
#
# Today the demo is the per-core runtime itself: skiffd with the shipped conf/skiffd.conf (no NIC,
# no hugepages needed), its cores pinging each other through the mailboxes, and a one-line live
# summary every second. Later issues turn this into echo on the native stack, in a namespace with a
# tap port, with a short load run against it: add a step function and call it from main below.
#
#   scripts/run.sh                 run until Ctrl-C (stops cleanly: drains, frees, exits 0)
#   scripts/run.sh --duration 10   run 10 seconds, then stop by itself (CI smoke test)
#   scripts/run.sh -- ARGS         extra skiffd arguments (e.g. -- --lcores 0)
#   SKIFF_NO_SETUP=1               skip scripts/setup.sh (packages, hugepages)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
say() { printf 'run: %s\n' "$*"; }

duration=""
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--duration)
		[ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "run: --duration needs seconds" >&2; exit 2; }
		duration=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	-h|--help)
		# The comment block under the SPDX line, up to the first line of code.
		awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
	*) echo "run: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
done

# --- what this script made, removed on any exit -------------------------------------------------
daemon_pid=""
cleanup() {
	local rc=$?
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		# Still running (the script itself was stopped): one SIGTERM, bounded wait, then kill.
		kill -TERM "$daemon_pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$daemon_pid" ]; then
		# skiffd removes its runtime directory itself; after a crash or kill -9 it cannot.
		rm -rf "/var/run/dpdk/skiffd_${daemon_pid}" "${XDG_RUNTIME_DIR:-/tmp}/dpdk/skiffd_${daemon_pid}" \
			2>/dev/null || true
	fi
	exit $rc
}
trap cleanup EXIT

setup() {
	if [ -z "${SKIFF_NO_SETUP:-}" ]; then
		bash scripts/setup.sh
	fi
}

build() {
	if [ ! -f build/build.ninja ]; then
		say "configuring build/"
		meson setup build >/dev/null
	fi
	say "building"
	ninja -C build >/dev/null
}

# Runs skiffd in the background so this script can pass on a SIGTERM it receives; a Ctrl-C from the
# terminal reaches skiffd directly (same process group) and starts its graceful stop.
run_demo() {
	local args=(-c conf/skiffd.conf --stats)
	[ -n "$duration" ] && args+=(--duration "$duration")
	args+=("${extra[@]}")
	say "starting: build/apps/skiffd/skiffd ${args[*]}"
	build/apps/skiffd/skiffd "${args[@]}" &
	daemon_pid=$!
	trap 'kill -TERM "$daemon_pid" 2>/dev/null || true' TERM
	trap ':' INT
	local rc=0
	# wait returns early when a trapped signal arrives; wait again until skiffd is gone.
	while kill -0 "$daemon_pid" 2>/dev/null; do
		wait "$daemon_pid" && rc=0 || rc=$?
	done
	trap - TERM INT
	if [ "$rc" -eq 0 ]; then say "skiffd exited 0"; else say "skiffd exited $rc"; fi
	return "$rc"
}

main() {
	setup
	build
	run_demo
}

main
