#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# skiffd as a process: graceful stop on SIGTERM and SIGINT (exit 0 within the bound, nothing left
# behind), the stop bound when in-flight work never finishes, a second signal exiting at once,
# --duration, --check-config on good and bad files, --help, and telemetry (/skiff/stats,
# /skiff/cores read with dpdk-telemetry.py). No root, NIC or hugepages needed; every wait bounded.
#
#   stop.sh <skiffd binary> <source root>
# Ends with "N passed, N failed"; exits 1 on any failure.
set -uo pipefail
skiffd=$1
root=$2
tmp=$(mktemp -d /tmp/sk_stop.XXXXXX)
pass=0; fail=0
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do rm -rf "/var/run/dpdk/skstop_$p" "${XDG_RUNTIME_DIR:-/tmp}/dpdk/skstop_$p"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# conf <name> <stop_timeout_ms> <drain_delay_ms>
conf() {
	cat > "$tmp/$1.conf" <<EOF
[eal]
no_huge = yes
memory_mb = 128
file_prefix = skstop
[workers]
lcores = 0-1
idle = adaptive
idle_max_sleep_us = 500
[limits]
stop_timeout_ms = $2
mbufs_per_core = 256
[demo]
ping_interval_us = 2000
drain_delay_ms = $3
EOF
	echo "$tmp/$1.conf"
}

# start <conf> [args...]: sets $pid and $out; waits (bounded) until skiffd says it is running.
start() {
	local c=$1; shift
	out="$tmp/out.$RANDOM"
	"$skiffd" -c "$c" "$@" > "$out" 2>&1 &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 1 100); do
		grep -q "skiffd: running" "$out" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "skiffd did not start:"; cat "$out"
	return 1
}

# wait_exit <pid> <max seconds>: sets $rc and $took_ms; rc=999 if still running at the bound.
wait_exit() {
	local p=$1 max_ms=$(($2 * 1000)) t0
	t0=$(date +%s%N)
	while kill -0 "$p" 2>/dev/null; do
		if [ $((($(date +%s%N) - t0) / 1000000)) -gt "$max_ms" ]; then rc=999; took_ms=$max_ms; return; fi
		sleep 0.05
	done
	wait "$p"; rc=$?
	took_ms=$((($(date +%s%N) - t0) / 1000000))
}

gone() { [ ! -e "/var/run/dpdk/skstop_$1" ] && [ ! -e "${XDG_RUNTIME_DIR:-/tmp}/dpdk/skstop_$1" ]; }

# 1, 2: SIGTERM and SIGINT stop cleanly within the 2000 ms bound.
for sig in TERM INT; do
	if start "$(conf clean 2000 0)"; then
		sleep 0.5
		kill -"$sig" "$pid"
		wait_exit "$pid" 5
		check "SIG$sig: exit 0 (got $rc)" [ "$rc" -eq 0 ]
		check "SIG$sig: within the bound (${took_ms} ms <= 2000 + 1000 slack)" [ "$took_ms" -le 3000 ]
		check "SIG$sig: drained cleanly" grep -q "stopped cleanly" "$out"
		check "SIG$sig: runtime directory removed" gone "$pid"
	else
		bad "SIG$sig: start"
	fi
done

# 3: in-flight work that never finishes: the stop bound (500 ms) applies, still exit 0.
if start "$(conf bound 500 600000)"; then
	sleep 0.3
	kill -TERM "$pid"
	wait_exit "$pid" 10
	check "bound: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "bound: stopped after >= 500 ms (${took_ms} ms)" [ "$took_ms" -ge 450 ]
	check "bound: stopped within 500 ms + 1500 slack (${took_ms} ms)" [ "$took_ms" -le 2000 ]
	check "bound: says it hit the bound" grep -q "stopped at the 500 ms bound" "$out"
else
	bad "bound: start"
fi

# 4: a second signal while draining exits at once (128 + SIGTERM), not after the 60 s bound.
if start "$(conf second 60000 600000)"; then
	sleep 0.3
	kill -TERM "$pid"
	for _ in $(seq 1 50); do grep -q "stopping: draining" "$out" && break; sleep 0.1; done
	check "second: draining after the first signal" grep -q "stopping: draining" "$out"
	kill -TERM "$pid"
	wait_exit "$pid" 3
	check "second: exited at once with 143 (got $rc after ${took_ms} ms)" [ "$rc" -eq 143 ]
	rm -rf "/var/run/dpdk/skstop_$pid" "${XDG_RUNTIME_DIR:-/tmp}/dpdk/skstop_$pid"
else
	bad "second: start"
fi

# 5: --duration stops by itself.
if start "$(conf duration 2000 0)" --duration 1; then
	wait_exit "$pid" 6
	check "--duration 1: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "--duration 1: said so" grep -q "duration reached" "$out"
else
	bad "--duration: start"
fi

# 5b: --duration holds even when the live summary comes less often than the duration.
c=$(conf durlive 2000 0)
printf '[stats]\ninterval_ms = 5000\n' >> "$c"
if start "$c" --stats --duration 1; then
	wait_exit "$pid" 10
	check "--duration 1, 5 s stats interval: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "--duration 1, 5 s stats interval: stopped within 3 s (${took_ms} ms)" \
		[ "$took_ms" -le 3000 ]
else
	bad "--duration with --stats: start"
fi

# 6: telemetry, read with dpdk-telemetry.py from the process's own prefix.
if command -v dpdk-telemetry.py >/dev/null 2>&1; then
	if start "$(conf tel 2000 0)"; then
		sleep 1
		tel=$(printf '/skiff/stats\n/skiff/cores\n/skiff/cores,1\n' |
			timeout 10 dpdk-telemetry.py -f "skstop_$pid" 2>&1)
		stats=$(echo "$tel" | grep '"/skiff/stats"' || true)
		cores=$(echo "$tel" | grep '"/skiff/cores"' | head -1 || true)
		core1=$(echo "$tel" | grep '"/skiff/cores"' | sed -n 2p || true)
		check "telemetry: /skiff/stats has 2 cores" grep -q '"cores": 2' <<< "$stats"
		loops=$(grep -o '"loops": [0-9]*' <<< "$stats" | grep -o '[0-9]*$' || echo 0)
		check "telemetry: loops counted (${loops:-0})" [ "${loops:-0}" -gt 0 ]
		sent=$(grep -o '"mbox_sent": [0-9]*' <<< "$stats" | grep -o '[0-9]*$' || echo 0)
		check "telemetry: mailbox messages counted (${sent:-0})" [ "${sent:-0}" -gt 0 ]
		check "telemetry: pool counts exported" grep -q '"pool_avail": [1-9]' <<< "$stats"
		check "telemetry: /skiff/cores lists core0 and core1" \
			bash -c 'grep -q "\"core0\"" <<< "$1" && grep -q "\"core1\"" <<< "$1"' _ "$cores"
		check "telemetry: per-core mailbox gauges" grep -q '"mbox_pending": [0-9]' <<< "$core1"
		check "telemetry: /skiff/cores,1 is core 1 on lcore 2" \
			bash -c 'grep -q "\"core\": 1, \"lcore\": 2" <<< "$1"' _ "$core1"
		kill -TERM "$pid"
		wait_exit "$pid" 5
		check "telemetry: exit 0 after" [ "$rc" -eq 0 ]
		check "telemetry: socket and runtime directory removed" gone "$pid"
	else
		bad "telemetry: start"
	fi
else
	echo "skip telemetry: dpdk-telemetry.py not installed"
fi

# 7: the shipped examples that need no NIC and no root run as they are.
for f in "$root/conf/skiffd.conf" "$root/conf/examples/null.conf"; do
	o="$tmp/ex.$RANDOM"
	timeout 20 "$skiffd" -c "$f" --duration 1 > "$o" 2>&1; rc=$?
	check "$(basename "$f") runs as shipped and stops by itself (exit $rc)" [ "$rc" -eq 0 ]
	check "$(basename "$f") drained cleanly" grep -q "stopped cleanly" "$o"
done

# 7b: pools that do not fit the EAL memory: exit 1 before anything starts (the configuration
# check, sk_config_check_memory), saying how much the pools need and what to change.
c=$(conf nomem 2000 0)
sed -i 's/^mbufs_per_core = .*/mbufs_per_core = 1048576/' "$c"
msg=$(timeout 30 "$skiffd" -c "$c" 2>&1); rc=$?
check "pools too big for memory_mb: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "pools too big for memory_mb: names the sizes and the keys to change" \
	grep -q "memory_mb = .*the worker pools alone need .* MB.*raise memory_mb, or lower \[limits\] mbufs_per_core" <<< "$msg"
check "pools too big for memory_mb: nothing started" grep -q "nothing started" <<< "$msg"

# 8: --check-config and --help.
for f in "$root/conf/skiffd.conf" "$root"/conf/examples/*.conf; do  # the apps check their own
	check "--check-config accepts $(basename "$f")" "$skiffd" -c "$f" --check-config
done
msg=$("$skiffd" -c "$root/tests/unit/config/bad/unknown_key.conf" --check-config 2>&1); rc=$?
check "--check-config rejects a bad file with exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "--check-config names file:line" grep -q 'unknown_key.conf:4: unknown key "idel"' <<< "$msg"
msg=$(timeout 20 "$skiffd" -c "$root/conf/examples/nic.conf" 2>&1); rc=$?
if [ "$(nproc --all)" -lt 6 ]; then
	check "a config for a bigger machine fails before EAL (exit $rc)" [ "$rc" -eq 1 ]
	check "... naming the CPU" grep -q "lcores: CPU [2-5] is not available" <<< "$msg"
fi
help=$("$skiffd" --help); rc=$?
check "--help exits 0" [ "$rc" -eq 0 ]
for w in --check-config --stats --lcores --duration '\[eal\]' '\[workers\]' '\[limits\]' \
	'\[stats\]' '\[port.N\]' '\[demo\]' Examples; do
	check "--help mentions $w" grep -q -- "$w" <<< "$help"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
