#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run the benchmarks (release build) and print their figures; --json prints one JSON object per
# benchmark, one a line. Figures from a shared or busy machine are provisional.
#
#   scripts/bench.sh [--json] [name...]     names: tcp, tcp-memif (and any skiff-bench-<name>)
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

[ ${#names[@]} -gt 0 ] || names=(tcp tcp-memif)
for n in "${names[@]}"; do
	case "$n" in
	tcp-memif) tcp_memif ;;
	*) run_bin "$n" ;;
	esac
done
