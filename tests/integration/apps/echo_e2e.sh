#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end: skiff-echo served to real clients, data checked.
#
#   echo_e2e.sh native-load ECHO LOAD SRC   skiff-echo on the native stack (net_tap in a namespace
#                                           made here, 198.18.0.2), skiff-load on the posix stack
#                                           (Linux TCP) in the same namespace: rr, stream, fnf
#   echo_e2e.sh native-js   ECHO LOAD SRC   the same server, rsocket-js 0.0.27 as the client
#   echo_e2e.sh posix-load  ECHO LOAD SRC   both on the posix stack over 127.0.0.1 (no root)
#   echo_e2e.sh memif-load  ECHO LOAD SRC   native to native: skiff-load on the native stack too,
#                                           joined to skiff-echo by net_memif (adaptive idle)
#
# Native modes need root (else exit 77); native-js needs node and tests/interop/node_modules (else
# exit 77). Every wait is bounded; the namespace, processes and files made here are removed on any
# exit. Last line: "N passed, N failed".
set -u
mode=$1 echo_bin=$2 load_bin=$3 src=$4
. "$src/scripts/lib.sh"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]; exit $?; }

case "$mode" in
native-*)
	[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (namespace + tap)"; exit 77; } ;;
esac
if [ "$mode" = native-js ]; then
	nm=${SKIFF_INTEROP_NODE_MODULES:-$src/tests/interop/node_modules}
	command -v node >/dev/null 2>&1 || { echo "skip: no node"; exit 77; }
	[ -d "$nm/rsocket-core" ] && [ -d "$nm/rsocket-tcp-client" ] ||
		{ echo "skip: rsocket-js not installed in $nm (scripts/setup.sh)"; exit 77; }
	export NODE_PATH=$nm
fi

tmp=$(mktemp -d /tmp/skiff-e2e.XXXXXX)
ns="" spid="" started=""
cleanup() {
	[ -n "$spid" ] && { skiff_stop "$spid" 5 || true; }
	[ -n "$started" ] && rm -rf /var/run/dpdk/skiff-echo*_"$started" 2>/dev/null
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# memif without hugepages, as before. The memif PMD can crash the server when a client disconnects
# (DPDK 22.11 unmaps the rings in its interrupt thread during a worker's rx burst) in either memory
# mode; it needs the worker descheduled inside the burst (docs/apps.md, known problems).
[ "$mode" = memif-load ] && export SKIFF_NO_HUGE=1
read -r -a eal <<<"$(skiff_eal_sets)"

lconf=$src/conf/load.conf
lsets=()
if [ "$mode" = memif-load ]; then
	ip=198.18.0.2 port=7878
	pre=()
	lconf=$src/conf/load-memif.conf
	lsets=(--set "port.0.dev=net_memif0,role=client,socket=$tmp/m.sock" --set workers.idle=adaptive)
	"$echo_bin" -c "$src/conf/echo-memif.conf" "${eal[@]}" --set workers.idle=adaptive \
		--set "port.0.dev=net_memif0,role=server,socket=$tmp/m.sock" >"$tmp/srv.log" 2>&1 &
	spid=$!
elif [ "$mode" = posix-load ]; then
	ip=127.0.0.1
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	pre=()
	"$echo_bin" -c "$src/conf/echo.conf" "${eal[@]}" --set listen.port="$port" >"$tmp/srv.log" 2>&1 &
	spid=$!
else
	ip=198.18.0.2 port=7878
	ns=skap$$
	ip netns add "$ns" || { bad "ip netns add"; finish; }
	pre=(ip netns exec "$ns")
	"${pre[@]}" "$echo_bin" -c "$src/conf/echo-tap.conf" "${eal[@]}" >"$tmp/srv.log" 2>&1 &
	spid=$!
	skiff_wait_link "$ns" sktap0 20 || { cat "$tmp/srv.log"; bad "tap sktap0 appeared"; finish; }
	skiff_tap_up "$ns" sktap0 198.18.0.1/24 || bad "tap addressed"
fi
if [ "$mode" = memif-load ]; then
	for _ in $(seq 1 200); do grep -q listening "$tmp/srv.log" && break; sleep 0.1; done
	if grep -q listening "$tmp/srv.log"; then ok "skiff-echo listening on the memif port"; else
		cat "$tmp/srv.log"; bad "skiff-echo listening on the memif port"; finish; fi
elif skiff_wait_tcp "$ns" "$ip" "$port" 20; then ok "skiff-echo accepts on $ip:$port"; else
	cat "$tmp/srv.log"; bad "skiff-echo accepts on $ip:$port"; finish; fi

# One skiff-load run; its JSON line must say pass. Prints the JSON; sets $fnf_sent for fnf runs.
fnf_sent=0
load() { # what, args...
	local what=$1 out; shift
	out=$(timeout 60 "${pre[@]}" "$load_bin" -c "$lconf" "${eal[@]}" "${lsets[@]}" \
		--target "$ip:$port" --json "$@" 2>"$tmp/load.err")
	local rc=$?
	echo "$out"
	if [ $rc -eq 0 ] && echo "$out" | grep -q '"pass":true' &&
		echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["ok"]>0 and d["bad"]==0 else 1)'; then
		ok "$what"
	else
		grep -v '^EAL\|^TELEMETRY' "$tmp/load.err" | head -5; bad "$what (exit $rc)"
	fi
	if echo "$out" | grep -q '"model":"fnf"'; then
		fnf_sent=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ok"])')
	fi
}

case "$mode" in
*-load)
	load "request-response, 2 connections x 4 in flight, 64 B" --connections 2 --inflight 4 --duration 2
	load "request-response, 1 connection, 20000 B (many segments)" --size 20000 --inflight 2 --duration 1
	load "request-stream, 10 items each checked" --model stream --connections 2 --duration 2
	load "fire-and-forget" --model fnf --duration 2 --size 32 ;;
native-js)
	timeout 60 "${pre[@]}" node "$src/tests/integration/apps/echo_js.js" "$ip" "$port" >"$tmp/js.out" 2>&1
	cat "$tmp/js.out"
	l=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/js.out" | tail -1)
	if [ -n "$l" ]; then
		pass=$((pass + $(echo "$l" | cut -d' ' -f1))); fail=$((fail + $(echo "$l" | cut -d' ' -f3)))
	else
		bad "rsocket-js client finished"
	fi ;;
esac

# The server's telemetry saw the traffic (rx/tx moving).
case "$mode" in
native-*) prefix=skiff-echo-tap_$spid ;;
memif-*) prefix=skiff-echo-memif_$spid ;;
*) prefix=skiff-echo_$spid ;;
esac
if python3 "$src/scripts/telemetry.py" "$prefix" /skiff/stats >"$tmp/stats.json" 2>&1 &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["/skiff/stats"]; sys.exit(0 if d["rx_pkts"]>0 and d["tx_pkts"]>0 and d["rx_bytes"]>0 else 1)' "$tmp/stats.json"; then
	ok "/skiff/stats shows rx and tx"
else
	cat "$tmp/stats.json"; bad "/skiff/stats shows rx and tx"
fi

started=$spid
# Graceful stop: exit 0 within the bound, and (load modes) every fire-and-forget arrived.
if skiff_stop "$spid" 10; then ok "skiff-echo stopped cleanly"; else bad "skiff-echo stopped cleanly"; fi
spid=""
grep '^skiff-echo:' "$tmp/srv.log"
if [ "$fnf_sent" -gt 0 ]; then
	got=$(sed -n 's/.*fire-and-forget \([0-9]*\),.*/\1/p' "$tmp/srv.log")
	if [ "${got:-x}" = "$fnf_sent" ]; then ok "server counted all $fnf_sent fire-and-forget"; else
		bad "server counted ${got:-none} fire-and-forget of $fnf_sent sent"; fi
fi
finish
