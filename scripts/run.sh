#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up, build when needed, and show Skiff serving RSocket on its own TCP/IP stack.
#
# As root: makes a network namespace, starts skiff-echo inside it on the native stack (DPDK
# net_tap port sktap0 at 198.18.0.2, Skiff's TCP; the kernel side of the tap is 198.18.0.1), runs
# skiff-load against it from the same namespace on the posix stack (the Linux kernel's TCP as the
# client) for a few seconds, prints the load figures and the server's /skiff/stats (DPDK
# telemetry), stops the server gracefully and removes everything it made (also on Ctrl-C).
# Not root: the same on loopback with both ends on the posix stack.
#
#   scripts/run.sh                   5 s of load (4 connections x 4 in flight)
#   scripts/run.sh --duration 10     10 s of load
#   scripts/run.sh --posix           both ends on the posix stack over loopback (no root needed)
#   scripts/run.sh --memif           native to native: skiff-load on the native stack too, the two
#                                    processes joined by net_memif (CPU 0 and CPU 1, busy polling)
#   scripts/run.sh --demo            the runtime-only demo (skiffd: cores pinging each other)
#   scripts/run.sh -- ARGS           extra skiff-load arguments (e.g. -- --model stream)
#   SKIFF_NO_SETUP=1                 skip scripts/setup.sh (packages, hugepages)
#   SKIFF_NO_HUGE=1                  run without hugepages even when they are available
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
say() { printf 'run: %s\n' "$*"; }

duration=5
mode=native
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--duration)
		[ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] && [ "$2" -le 3600 ] ||
			{ echo "run: --duration needs seconds (1..3600)" >&2; exit 2; }
		duration=$2; shift 2 ;;
	--posix) mode=posix; shift ;;
	--memif) mode=memif; shift ;;
	--demo) mode=demo; shift ;;
	--) shift; extra=("$@"); break ;;
	-h|--help)
		# The comment block under the SPDX line, up to the first line of code.
		awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
	*) echo "run: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
done
if [ "$mode" = native ] && [ "$(id -u)" -ne 0 ]; then
	say "not root: no namespace or tap possible; running both ends on the posix stack instead"
	mode=posix
fi

# --- what this script made, removed on any exit -------------------------------------------------
ns=""
server_pid=""
load_pid=""
tmp=$(mktemp -d /tmp/skiff-run.XXXXXX)
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	# A Ctrl-C reached the whole process group: give the apps a moment to stop on their own
	# (graceful), then stop what is left.
	for _ in $(seq 1 30); do
		{ [ -n "$load_pid" ] && kill -0 "$load_pid" 2>/dev/null; } ||
			{ [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; } || break
		sleep 0.1
	done
	[ -n "$load_pid" ] && { skiff_stop "$load_pid" 5 || true; }
	[ -n "$server_pid" ] && { skiff_stop "$server_pid" 5 || true; }
	for p in $server_pid $load_pid; do
		rm -rf /var/run/dpdk/skiff-echo-tap_"$p" /var/run/dpdk/skiff-echo_"$p" \
			/var/run/dpdk/skiff-load_"$p" /var/run/dpdk/skiff-echo-memif_"$p" \
			/var/run/dpdk/skiff-load-memif_"$p" 2>/dev/null || true
	done
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

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

# The runtime-only demo of the previous milestone: skiffd with its cores pinging each other.
run_demo() {
	local args=(-c conf/skiffd.conf --stats --duration "$duration")
	say "starting: build/apps/skiffd/skiffd ${args[*]}"
	build/apps/skiffd/skiffd "${args[@]}" &
	server_pid=$!
	wait "$server_pid"
	server_pid=""
}

# Start skiff-echo (in $ns when set) and wait until it accepts TCP on $1:7878.
start_server() {
	local ip=$1 conf=$2 pre=()
	local -a eal
	read -r -a eal <<<"$(skiff_eal_sets)"
	[ -n "$ns" ] && pre=(ip netns exec "$ns")
	say "starting: ${pre[*]} build/apps/echo/skiff-echo -c $conf ${eal[*]}"
	[ "$mode" = memif ] && eal+=(--set "port.0.dev=net_memif0,role=server,socket=$tmp/memif.sock")
	"${pre[@]}" build/apps/echo/skiff-echo -c "$conf" "${eal[@]}" >"$tmp/server.log" 2>&1 &
	server_pid=$!
	if [ -n "$ns" ]; then
		skiff_wait_link "$ns" sktap0 20 || { cat "$tmp/server.log"; say "tap never appeared"; exit 1; }
		skiff_tap_up "$ns" sktap0 198.18.0.1/24
	fi
	if [ "$mode" = memif ]; then
		# No kernel path to probe: wait for the server's banner (it listens before printing it).
		for _ in $(seq 1 200); do grep -q 'listening' "$tmp/server.log" && break; sleep 0.1; done
	else
		skiff_wait_tcp "$ns" "$ip" 7878 20 ||
			{ cat "$tmp/server.log"; say "skiff-echo does not accept on $ip:7878"; exit 1; }
	fi
	grep '^skiff-echo:' "$tmp/server.log" | sed 's/^/  /'
}

run_load() {
	local ip=$1 pre=() rc=0
	local -a eal
	read -r -a eal <<<"$(skiff_eal_sets)"
	[ -n "$ns" ] && pre=(ip netns exec "$ns")
	local conf=conf/load.conf
	if [ "$mode" = memif ]; then
		conf=conf/load-memif.conf
		eal+=(--set "port.0.dev=net_memif0,role=client,socket=$tmp/memif.sock")
	fi
	local args=(-c "$conf" "${eal[@]}" --target "$ip:7878" --connections 4 --inflight 4
		--duration "$duration" "${extra[@]}")
	say "load: ${pre[*]} build/apps/load/skiff-load ${args[*]}"
	"${pre[@]}" build/apps/load/skiff-load "${args[@]}" >"$tmp/load.out" 2>"$tmp/load.err" &
	load_pid=$!
	wait "$load_pid" || rc=$?
	load_pid=""
	sed 's/^/  /' "$tmp/load.out"
	if [ "$rc" -ne 0 ]; then
		grep -v '^EAL\|^TELEMETRY\|^SKIFF_RT' "$tmp/load.err" | sed 's/^/  /' || true
		say "skiff-load failed ($rc)"
	fi
	return "$rc"
}

show_stats() {
	local prefix=$1
	say "server telemetry /skiff/stats (dpdk-telemetry.py -f $prefix):"
	local js
	js=$(python3 scripts/telemetry.py "$prefix" /skiff/stats 2>/dev/null) ||
		{ say "telemetry not available (server already stopping?)"; return 0; }
	printf '%s\n' "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)["/skiff/stats"]
keys = ["rx_pkts", "rx_bytes", "tx_pkts", "tx_bytes", "drops", "drop_stack", "loops", "busy_loops",
        "timers_fired", "app_work", "pool_in_use", "uptime_ms"]
print("  " + "  ".join("%s=%s" % (k, d[k]) for k in keys if k in d))
' || say "telemetry not available"
}

stop_server() {
	local rc=0
	skiff_stop "$server_pid" 10 || rc=$?
	server_pid=""
	grep '^skiff-echo:' "$tmp/server.log" | tail -n +2 | sed 's/^/  /'
	say "skiff-echo exited $rc"
	return "$rc"
}

main() {
	local rc=0 ip
	setup
	build
	case "$mode" in
	demo)
		run_demo
		return ;;
	native)
		ns=skrun$$
		ip netns add "$ns"
		say "namespace $ns: skiff-echo on the native stack (net_tap sktap0, 198.18.0.2), kernel side 198.18.0.1"
		ip=198.18.0.2
		start_server "$ip" conf/echo-tap.conf ;;
	memif)
		say "native to native: skiff-echo (198.18.0.2) and skiff-load (198.18.0.1) over net_memif"
		ip=198.18.0.2
		start_server "$ip" conf/echo-memif.conf ;;
	posix)
		say "loopback: skiff-echo and skiff-load on the posix stack"
		ip=127.0.0.1
		start_server "$ip" conf/echo.conf ;;
	esac
	run_load "$ip" || rc=$?
	if [ "$mode" = native ]; then
		show_stats "skiff-echo-tap_$server_pid"
	elif [ "$mode" = memif ]; then
		show_stats "skiff-echo-memif_$server_pid"
	else
		show_stats "skiff-echo_$server_pid"
	fi
	stop_server || rc=$?
	return "$rc"
}

main
