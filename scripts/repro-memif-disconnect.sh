#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Reproduces the memif disconnect crash (docs/apps.md, known problems): skiff-echo (memif server,
# CPU 0, idle = poll) is cycled against N short skiff-load runs (memif client, CPU 1) with the
# same EAL memory mode as the tests. A server that dies is counted, its signal printed, and a new
# one started for the remaining cycles. This is a diagnosis tool, not a test: it prints
# "N cycles, N server crashes" and exits 0 either way (1 on a setup error).
#
#   scripts/repro-memif-disconnect.sh [--cycles N] [--duration S] [--connections C] [--contend]
#                                     [--sink] [--keep]
#
# --sink runs bench-micro.sh's tcp-memif-bulk pair instead: skiff-tcp-test --sink 9 --busy as the
# server (--no-huge, as there), skiff-tcp-test --send-only 32 MiB as each client.
#
# --contend pins the server (worker and EAL control threads) to CPU 0 and runs one bounded
# busy loop there at nice 5, so the worker is descheduled often, as on a loaded machine: that is
# what opens the race (the EAL interrupt thread runs memif_disconnect -> munmap while the worker
# is preempted inside eth_memif_rx). Without it, 0 crashes in 80 cycles on a quiet-ish machine.
# Core files land in the work directory when `ulimit -c` allows; --keep keeps that directory.
# Every wait is bounded; only processes started here are ended, by pid.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh
cycles=20 duration=1 conns=4 contend=0 keep=0 sink=0
tt=build/tests/integration/tcp/skiff-tcp-test
while [ $# -gt 0 ]; do
	case "$1" in
	--cycles) cycles=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--connections) conns=$2; shift 2 ;;
	--contend) contend=1; shift ;;
	--keep) keep=1; shift ;;
	--sink) sink=1; shift ;;
	*) echo "usage: $0 [--cycles N] [--duration S] [--connections C] [--contend] [--sink] [--keep]" >&2
		exit 1 ;;
	esac
done
if [ ! -x build/apps/echo/skiff-echo ] || [ ! -x build/apps/load/skiff-load ] || [ ! -x $tt ]; then
	echo "build first (meson setup build && ninja -C build)" >&2
	exit 1
fi
tmp=$(mktemp -d /tmp/skiff-memif-repro.XXXXXX)
spid="" hog="" pids=""
cleanup() {
	trap - EXIT INT TERM
	[ -n "$hog" ] && kill "$hog" 2>/dev/null
	[ -n "$spid" ] && { skiff_stop "$spid" 5 || true; }
	# A crashed server cannot remove its runtime directory (only ours, by pid).
	for p in $pids; do rm -rf /var/run/dpdk/skiff-echo-memif_"$p"; done
	rm -rf /var/run/dpdk/skrs$$_* /var/run/dpdk/skrc$$_*
	if [ "$keep" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
read -r -a eal <<<"$(skiff_eal_sets)"
[ "$sink" = 1 ] && echo "skiff-tcp-test sink pair, --no-huge" || echo "EAL memory: ${eal[*]}"
pin=()
if [ "$contend" = 1 ]; then
	pin=(taskset -c 0)
	timeout $((cycles * (duration + 6) + 30)) taskset -c 0 nice -n 5 sh -c 'while :; do :; done' &
	hog=$!
fi

start_server() {
	local before
	touch "$tmp/srv.log"
	before=$(grep -c listening "$tmp/srv.log")
	if [ "$sink" = 1 ]; then
		rm -f "$tmp/ready"
		"${pin[@]}" $tt -l 0 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry \
			--file-prefix "skrs$$_$(date +%s%N)" --log-level=lib.eal:error -- \
			--dev "net_memif0,role=server,socket=$tmp/m.sock" --ip 198.18.0.2 --prefix 24 \
			--seconds $((cycles * (duration + 25) + 30)) --busy --ready "$tmp/ready" --sink 9 \
			>>"$tmp/srv.log" 2>&1 &
	else
		(cd "$tmp" && exec "${pin[@]}" "$OLDPWD/build/apps/echo/skiff-echo" \
			-c "$OLDPWD/conf/echo-memif.conf" "${eal[@]}" --set workers.idle=poll \
			--set "port.0.dev=net_memif0,role=server,socket=$tmp/m.sock") >>"$tmp/srv.log" 2>&1 &
	fi
	spid=$!
	pids="$pids $spid"
	for _ in $(seq 1 100); do
		[ "$sink" = 1 ] && [ -s "$tmp/ready" ] && break
		[ "$(grep -c listening "$tmp/srv.log")" -gt "${before:-0}" ] && break
		sleep 0.1
	done
}

client() { # cycle
	if [ "$sink" = 1 ]; then
		timeout $((duration + 20)) $tt -l 1 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry \
			--file-prefix "skrc$$_$1" --log-level=lib.eal:error -- \
			--dev "net_memif0,role=client,socket=$tmp/m.sock" --ip 198.18.0.1 --prefix 24 \
			--seconds $((duration + 15)) --busy --connect 198.18.0.2:9 --send-only \
			--bytes 33554432 >"$tmp/load.$1.out" 2>&1
		return
	fi
	timeout $((duration + 20)) build/apps/load/skiff-load -c conf/load-memif.conf "${eal[@]}" \
		--set "port.0.dev=net_memif0,role=client,socket=$tmp/m.sock" --set workers.idle=poll \
		--target 198.18.0.2:7878 --duration "$duration" --connections "$conns" --inflight 4 \
		--json >"$tmp/load.$1.out" 2>"$tmp/load.$1.err"
}

crashes=0
start_server
for i in $(seq 1 "$cycles"); do
	client "$i"
	sleep 0.3
	if ! kill -0 "$spid" 2>/dev/null; then
		wait "$spid"
		rc=$?
		crashes=$((crashes + 1))
		echo "cycle $i: server $spid died, exit status $rc$([ $rc -gt 128 ] && echo " (signal $((rc - 128)))")"
		spid=""
		rm -f "$tmp/m.sock"
		start_server
	fi
done
echo "$cycles cycles, $crashes server crashes"
exit 0
