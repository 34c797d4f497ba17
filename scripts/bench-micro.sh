#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run the micro-benchmarks (release build) and print their figures; --json prints one JSON object
# per benchmark, one a line. scripts/bench.sh is the native vs posix run of the apps. Figures from
# a shared or busy machine are provisional.
#
#   scripts/bench-micro.sh [--json] [name...]
#     names: tcp, tcp-memif, tcp-memif-bulk, tcp-memif-pingpong (and any skiff-bench-<name>)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
json=""
names=()
for a in "$@"; do
	case "$a" in
	--json) json="--json" ;;
	*) names+=("$a") ;;
	esac
done
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

run_bin() {  # name: build/tests/bench/*/skiff-bench-<name>
	local b
	b=$(ls build/tests/bench/*/skiff-bench-"$1" 2>/dev/null | head -n1)
	if [ -z "$b" ]; then echo "bench: no skiff-bench-$1" >&2; return 1; fi
	"$b" $json
}

# TCP bulk over net_memif between two skiff-tcp-test processes (our stack on both ends, real
# port and L2/L3 path, one core each): 4 connections x 256 MiB echoed, wall time -> Gbit/s.
tcp_memif() {
	local dir bin=build/tests/integration/tcp/skiff-tcp-test bytes=268435456 conns=4 t0 t1 rc
	dir=$(mktemp -d /tmp/skbench.XXXXXX)
	"$bin" -l 0 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --file-prefix skb$$s \
		--log-level=lib.eal:error -- --dev "net_memif0,role=server,socket=$dir/m.sock" \
		--ip 198.18.0.2 --prefix 24 --echo 7 --seconds 300 --ready "$dir/r" >/dev/null 2>&1 &
	local spid=$!
	for _ in $(seq 100); do [ -s "$dir/r" ] && break; sleep 0.1; done
	t0=$(date +%s.%N)
	"$bin" -l 1 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --file-prefix skb$$c \
		--log-level=lib.eal:error -- --dev "net_memif0,role=client,socket=$dir/m.sock" \
		--ip 198.18.0.1 --prefix 24 --connect 198.18.0.2:7 --bytes $bytes --conns $conns \
		--seconds 300 >"$dir/c" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
	rm -rf "$dir" /var/run/dpdk/skb$$s /var/run/dpdk/skb$$c
	# the client's wall time includes EAL start and the 0.3 s connect delay: a lower bound
	python3 - "$t0" "$t1" "$bytes" "$conns" "$rc" "$json" <<'PY'
import json, sys
t0, t1, n, k, rc, js = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
g = n * k * 8 / (t1 - t0) / 1e9
if js:
    print(json.dumps({"bench": "tcp-memif", "provisional": True, "ok": rc == 0, "conns": k,
                      "bytes_each_way_per_conn": n, "echo_gbps_each_way_lower_bound": round(g, 2)}))
else:
    print("tcp-memif (provisional): %d x %d MiB echoed %s, %.2f Gbit/s each way (lower bound, incl. start-up)"
          % (k, n >> 20, "ok" if rc == 0 else "FAILED", g))
PY
}

# Our stack over net_memif against Linux TCP over loopback, side by side. Ours: two skiff-tcp-test
# processes, server -l 0 and client -l 1, busy polling (--busy: each owns its CPU). Linux:
# skiff-linux-tcp, server pinned to CPU 0 and client to CPU 1 (taskset). Each side prints one
# line ("bulk ..." or "pingpong ..."); the timings are taken inside the programs, so EAL start-up
# and connection set-up are not counted.
memif_pair() {  # server-args client-args: run our two processes, print the client's output
	local dir bin=build/tests/integration/tcp/skiff-tcp-test spid rc=0
	dir=$(mktemp -d /tmp/skbench.XXXXXX)
	"$bin" -l 0 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry --file-prefix skb$$s \
		--log-level=lib.eal:error -- --dev "net_memif0,role=server,socket=$dir/m.sock" \
		--ip 198.18.0.2 --prefix 24 --seconds 120 --busy --ready "$dir/r" $1 >"$dir/s" 2>&1 &
	spid=$!
	for _ in $(seq 100); do [ -s "$dir/r" ] && break; sleep 0.1; done
	timeout 150 "$bin" -l 1 --no-huge -m 1024 --no-pci --no-shconf --no-telemetry \
		--file-prefix skb$$c --log-level=lib.eal:error \
		-- --dev "net_memif0,role=client,socket=$dir/m.sock" --ip 198.18.0.1 --prefix 24 \
		--seconds 120 --busy $2 >"$dir/c" 2>&1 || rc=$?
	kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
	grep -E '^(bulk|pingpong|conn) ' "$dir/c" || true
	[ "$rc" -eq 0 ] || echo "memif client failed rc $rc" >&2
	rm -rf "$dir" /var/run/dpdk/skb$$s /var/run/dpdk/skb$$c
}

linux_pair() {  # server-args client-args (after the port): skiff-linux-tcp pinned to CPUs 0 and 1
	local lt=build/tests/bench/tcp/skiff-linux-tcp port=$((20000 + $$ % 20000)) spid
	taskset -c 0 "$lt" $1 "$port" >/dev/null &
	spid=$!
	sleep 0.2
	timeout 150 taskset -c 1 "$lt" ${2/PORT/$port} || echo "linux client failed" >&2
	wait "$spid" 2>/dev/null || true
}

side_by_side() {  # name ours-line linux-line: one figure per side and the ratio
	python3 - "$1" "$2" "$3" "$json" <<'PY'
import json, sys
name, ours, lin, js = sys.argv[1:5]
def kv(line):
    f = line.split()
    return {f[i]: float(f[i + 1]) for i in range(1, len(f) - 1, 2)} if f else {}
o, l = kv(ours), kv(lin)
out = {"bench": name, "provisional": True, "ok": bool(o) and bool(l)}
if name == "tcp-memif-bulk":
    out.update({"bytes": int(o.get("bytes", 0)), "skiff_memif_gbps": o.get("gbps"),
                "linux_loopback_gbps": l.get("gbps"),
                "ratio_skiff_over_linux": round(o["gbps"] / l["gbps"], 2) if o and l else None})
    txt = "%s (provisional): 1 flow, %d MiB one way: skiff/memif %.2f Gbit/s, Linux/loopback %.2f Gbit/s, ratio %.2f" % (
        name, out["bytes"] >> 20, o.get("gbps", 0), l.get("gbps", 0), out["ratio_skiff_over_linux"] or 0)
else:
    for k in ("p50_ns", "p99_ns", "p999_ns", "max_ns"):
        out["skiff_memif_" + k] = o.get(k)
        out["linux_loopback_" + k] = l.get(k)
    out["round_trips"] = int(o.get("n", 0))
    out["p99_ratio_linux_over_skiff"] = round(l["p99_ns"] / o["p99_ns"], 2) if o and l else None
    txt = "%s (provisional): %d x 1-byte round trips, 1 connection\n" % (name, out["round_trips"])
    txt += "  skiff/memif     p50 %8.0f ns  p99 %8.0f ns  p999 %8.0f ns\n" % (o.get("p50_ns", 0), o.get("p99_ns", 0), o.get("p999_ns", 0))
    txt += "  Linux/loopback  p50 %8.0f ns  p99 %8.0f ns  p999 %8.0f ns\n" % (l.get("p50_ns", 0), l.get("p99_ns", 0), l.get("p999_ns", 0))
    txt += "  p99 Linux/skiff %.2f" % (out["p99_ratio_linux_over_skiff"] or 0)
print(json.dumps(out) if js else txt)
PY
}

tcp_memif_bulk() {
	local bytes=${SKIFF_BULK_BYTES:-1073741824} ours lin
	ours=$(memif_pair "--sink 9" "--connect 198.18.0.2:9 --send-only --bytes $bytes")
	[ -n "$json" ] || echo "$ours" | grep '^conn' | sed 's/^/  /'
	lin=$(linux_pair sink "send 127.0.0.1 PORT $bytes" | grep '^bulk' || true)
	side_by_side tcp-memif-bulk "$(echo "$ours" | grep '^bulk' || true)" "$lin"
}

tcp_memif_pingpong() {
	local n=${SKIFF_PINGPONG_N:-100000} ours lin
	ours=$(memif_pair "--echo 7" "--connect 198.18.0.2:7 --pingpong $n" | grep '^pingpong' || true)
	lin=$(linux_pair echo "pingpong 127.0.0.1 PORT $n" | grep '^pingpong' || true)
	side_by_side tcp-memif-pingpong "$ours" "$lin"
}

[ ${#names[@]} -gt 0 ] || names=(tcp tcp-memif tcp-memif-bulk tcp-memif-pingpong)
for n in "${names[@]}"; do
	case "$n" in
	tcp-memif) tcp_memif ;;
	tcp-memif-bulk) tcp_memif_bulk ;;
	tcp-memif-pingpong) tcp_memif_pingpong ;;
	*) run_bin "$n" ;;
	esac
done
