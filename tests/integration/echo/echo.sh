#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The echo service on the posix stack, two workers sharing a loopback port (SO_REUSEPORT), driven by
# echo_client.py (sha256 of every stream, 1,000 streams at once), then a graceful SIGTERM: the
# process must exit 0, close every stream in order and report that it echoed exactly the bytes the
# clients sent. No root needed.
# Usage: echo.sh <binary> <dir of echo_client.py> [echo|echod]
#   echo:  skiff-echo, the minimal main (EAL arguments, then -- --port ...)
#   echod: skiff-echod, the service in the per-core runtime ([stack] kind = posix, a generated conf)
# Ends with "N passed, N failed".
set -u
bin=$1
dir=$2
mode=${3:-echo}
pass=0 fail=0
out=$(mktemp) ; cout=$(mktemp) ; conf=$(mktemp --suffix=.conf)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -f "$out" "$cout" "$conf"
	rm -rf "/var/run/dpdk/echo$$"   # the EAL runtime directory of the standalone echo (if run)
}
trap cleanup EXIT
ok()  { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "$mode" = echod ]; then
	cat >"$conf" <<EOF
[eal]
no_huge = yes
memory_mb = 256
file_prefix = echod$$
[workers]
lcores = 0-1
idle = adaptive
[limits]
stop_timeout_ms = 3000
mbufs_per_core = 8192
[stack]
kind = posix
max_conns = 2048
[app.echo]
ip = 127.0.0.1
port = $port
EOF
	"$bin" -c "$conf" --duration 120 -- --log-level lib.eal:error >"$out" 2>&1 &
else
	"$bin" -l 0-1 --no-huge -m 256 --no-pci --no-shconf --no-telemetry --log-level lib.eal:error \
		--file-prefix echo$$ -- --ip 127.0.0.1 --port "$port" --idle adaptive --seconds 120 \
		>"$out" 2>&1 &
fi
pid=$!
up=0
for _ in $(seq 100); do
	if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2).close()" 2>/dev/null; then
		up=1; break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ $up -eq 1 ]; then ok "$mode listening on 127.0.0.1:$port"; else bad "$mode did not come up"; cat "$out"; echo "$pass passed, $((fail)) failed"; exit 1; fi

timeout 200 python3 "$dir/echo_client.py" "$port" >"$cout" 2>&1
cat "$cout"
pass=$((pass + $(grep -c '^PASS' "$cout")))
fail=$((fail + $(grep -c '^FAIL' "$cout")))
grep -q '^BYTES' "$cout" || bad "client did not finish"
sent=$(sed -n 's/^BYTES //p' "$cout")

# skiff-echod: the posix counters of both cores through telemetry (/echod/posix,N).
if [ "$mode" = echod ]; then
	if command -v dpdk-telemetry.py >/dev/null 2>&1; then
		tel=$(printf '/echod/posix,0\n/echod/posix,1\n' |
			timeout 10 dpdk-telemetry.py -f "echod$$_$pid" 2>&1)
		acc_tel=$(grep -o '"accepts": [0-9]*' <<< "$tel" | grep -o '[0-9]*$' | awk '{ s += $1 } END { print s + 0 }')
		rd_tel=$(grep -o '"read_bytes": [0-9]*' <<< "$tel" | grep -o '[0-9]*$' | awk '{ s += $1 } END { print s + 0 }')
		# The 1,201 client streams and the probe, and every byte the clients sent.
		[ "${acc_tel:-0}" = 1202 ] && [ "${rd_tel:-0}" = "$sent" ] &&
			ok "telemetry /echod/posix: accepts $acc_tel, read_bytes $rd_tel" ||
			bad "telemetry /echod/posix: accepts '${acc_tel:-}', read_bytes '${rd_tel:-}' (sent $sent): $tel"
	else
		echo "skip telemetry: dpdk-telemetry.py not installed"
	fi
fi

# A client still connected at stop: it gets its echo, then an orderly FIN (not a reset) at stop.
idle_out=$(mktemp)
python3 - "$port" >"$idle_out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5)
s.sendall(b'x')
s.settimeout(10)
assert s.recv(1) == b'x'
print('READY', flush=True)
try:
    print('EOF' if s.recv(1) == b'' else 'DATA')
except ConnectionResetError:
    print('RST')
except socket.timeout:
    print('TIMEOUT')
PY
idle_pid=$!
for _ in $(seq 50); do grep -q READY "$idle_out" && break; sleep 0.1; done
kill -TERM "$pid"
rc=0
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then bad "$mode still running 10 s after SIGTERM"; kill -KILL "$pid"; fi
wait "$pid"; rc=$?
pid=
cat "$out"
[ $rc -eq 0 ] && ok "graceful exit on SIGTERM" || bad "exit status $rc"
wait "$idle_pid"
grep -q '^EOF' "$idle_out" && ok "an open stream was closed in order at stop" ||
	bad "open stream at stop: $(tr '\n' ' ' <"$idle_out")"
rm -f "$idle_out"
# The probe connection above is accepted too, with 0 bytes; the idle client adds 1 byte.
echoed=$(sed -n 's/^echod\{0,1\}: total .* echoed \([0-9]*\) .*/\1/p' "$out")
[ -n "$sent" ] && [ "$echoed" = "$((sent + 1))" ] && ok "server echoed exactly the $((sent + 1)) bytes sent" ||
	bad "server echoed '$echoed' bytes, clients sent '$sent' + 1"
# Every stream ended in order: the clients' closes, and the idle one closed by the graceful stop
# (a stream left to the stack's fini would end with -ESHUTDOWN and count in closed_err).
acc=$(sed -n 's/^echod\{0,1\}: total .* accepted \([0-9]*\) .*/\1/p' "$out")
cls=$(sed -n 's/^echod\{0,1\}: total .* closed \([0-9]*\) closed_err \([0-9]*\)$/\1 \2/p' "$out")
[ -n "$acc" ] && [ "$cls" = "$acc 0" ] && ok "all $acc streams closed in order" ||
	bad "accepted '$acc', closed and closed_err '$cls'"
if [ "$mode" = echo ]; then  # skiff-echo checks its own pools at exit
	grep -q 'not returned' "$out" && bad "mbufs leaked" || ok "every mbuf back in its pool"
fi
w1=$(grep -Ec '^echod?: l?core [01]: (ok )?accepted' "$out")
[ "$w1" = 2 ] && ok "both workers ran" || bad "workers ok: $w1 of 2"
# SO_REUSEPORT: the kernel spread the 1,201 connections over both workers' listeners.
busy=$(grep -Ec '^echod?: l?core [01]: (ok )?accepted [1-9]' "$out")
[ "$busy" = 2 ] && ok "both workers accepted connections" || bad "workers that accepted: $busy of 2"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
