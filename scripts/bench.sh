#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Native vs posix, side by side, in one run on this machine: skiff-echo on each stack, driven by
# skiff-load (posix stack, i.e. the Linux kernel's TCP as the client) with request-response, plus
# a native-to-native column (skiff-load on the native stack too, joined by net_memif):
#   - 1 connection, 1 in flight: latency p50 / p99 / p999
#   - N connections x 4 in flight (N in --conns, default "4 16"): requests/s
# and a table with the native/posix and memif/posix ratios.
#
# Topology (needs root): a namespace made here. native: skiff-echo on a net_tap port (198.18.0.2)
# with the kernel side of the tap at 198.18.0.1; posix: skiff-echo on kernel sockets at 127.0.0.1
# in the same namespace. The client is the same in both. The paths differ (tap + PMD vs loopback),
# which is the honest one-machine comparison; a NIC or memif setup is the real one. Servers run
# [workers] idle = poll on CPU 0, the client on CPU 1.
#
#   scripts/bench.sh [--duration S] [--conns "4 16"] [--json]
#   SKIFF_NO_HUGE=1   run without hugepages even when they are available
# Figures on a shared 2-core machine are provisional.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

duration=3
conns="4 16"
json=0
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--json) json=1; shift ;;
	-h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ "$duration" =~ ^[1-9][0-9]*$ ]] && [ "$duration" -le 600 ] || { echo "bench: --duration 1..600" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespace + tap)" >&2; exit 1; }
log() { [ "$json" -eq 1 ] && echo "bench: $*" >&2 || echo "bench: $*"; }

if [ ! -f build/build.ninja ]; then meson setup build >/dev/null; fi
ninja -C build >/dev/null

ns=skbench$$
spid=""
tmp=$(mktemp -d /tmp/skiff-bench.XXXXXX)
pids=""
cleanup() {
	trap - EXIT INT TERM
	[ -n "$spid" ] && { skiff_stop "$spid" 5 || true; }
	# A process that crashed (see the memif note) cannot remove its runtime directory.
	for p in $pids; do rm -rf /var/run/dpdk/skiff-echo*_"$p" /var/run/dpdk/skiff-load*_"$p"; done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
read -r -a eal <<<"$(skiff_eal_sets)"

start_server() { # kind
	local conf ip more=()
	case "$1" in
	native) conf=conf/echo-tap.conf ip=198.18.0.2 ;;
	memif) conf=conf/echo-memif.conf ip=198.18.0.2
		more=(--set "port.0.dev=net_memif0,role=server,socket=$tmp/memif.sock") ;;
	*) conf=conf/echo.conf ip=127.0.0.1 ;;
	esac
	ip netns exec "$ns" build/apps/echo/skiff-echo -c "$conf" "${eal[@]}" "${more[@]}" --lcores 0 \
		--set workers.idle=poll >"$tmp/srv-$1.log" 2>&1 &
	spid=$!
	pids="$pids $spid"
	if [ "$1" = native ]; then
		skiff_wait_link "$ns" sktap0 20 && skiff_tap_up "$ns" sktap0 198.18.0.1/24 ||
			{ cat "$tmp/srv-$1.log" >&2; exit 1; }
	fi
	if [ "$1" = memif ]; then
		for _ in $(seq 1 200); do grep -q listening "$tmp/srv-$1.log" && break; sleep 0.1; done
	else
		skiff_wait_tcp "$ns" "$ip" 7878 20 || { cat "$tmp/srv-$1.log" >&2; exit 1; }
	fi
	target=$ip:7878
	lconf=conf/load.conf
	lmore=()
	if [ "$1" = memif ]; then
		lconf=conf/load-memif.conf
		lmore=(--set "port.0.dev=net_memif0,role=client,socket=$tmp/memif.sock" --set workers.idle=poll)
	fi
}

stop_server() {
	skiff_stop "$spid" 10 || log "$1 server exit status $?"
	spid=""
	[ "${1:-}" = native ] && ip netns exec "$ns" ip link del sktap0 2>/dev/null || true
}

run_load() { # out-file, args
	local out=$1; shift
	ip netns exec "$ns" build/apps/load/skiff-load -c "$lconf" "${eal[@]}" "${lmore[@]}" --lcores 1 \
		--target "$target" --duration "$duration" --json "$@" >"$out" 2>"$out.err" ||
		{ log "skiff-load failed: $(grep -v '^EAL\|^TELEMETRY' "$out.err" | head -3)"; }
}

# memif: a fresh server per run. A memif client that disconnects can crash the server inside the
# PMD's rx burst (DPDK 22.11: the control thread unmaps the rings while the worker polls them;
# seen with --in-memory hugepages), so no server outlives its client here.
for kind in native posix memif; do
	log "$kind: skiff-echo, latency run (1 connection, 1 in flight, ${duration}s)"
	start_server "$kind"
	run_load "$tmp/$kind-lat.json" --connections 1 --inflight 1
	for c in $conns; do
		log "$kind: throughput run ($c connections x 4 in flight, ${duration}s)"
		if [ "$kind" = memif ]; then
			stop_server "$kind"
			start_server "$kind"
		fi
		run_load "$tmp/$kind-c$c.json" --connections "$c" --inflight 4
	done
	stop_server "$kind"
done

python3 - "$tmp" "$json" "$duration" $conns <<'EOF'
import json, os, sys
tmp, as_json, duration, conns = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4:]
def load(name):
    try:
        with open(os.path.join(tmp, name)) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None
res = {"tool": "skiff-bench", "provisional": True, "duration_s": duration,
       "client": "skiff-load, posix stack (Linux TCP)", "server": "skiff-echo, idle=poll", "runs": {}}
rows = []
def ratio(a, b):
    return (a / b) if a and b else None
for kind in ("native", "posix", "memif"):
    lat = load(kind + "-lat.json")
    res["runs"][kind + "_latency"] = lat
    for c in conns:
        res["runs"]["%s_c%s" % (kind, c)] = load("%s-c%s.json" % (kind, c))
def g(run, key):
    r = res["runs"].get(run)
    return r.get(key) if r and r.get("pass") else None
for key, label in (("p50_us", "latency p50 (us), 1 conn x 1"), ("p99_us", "latency p99 (us), 1 conn x 1"),
                   ("p999_us", "latency p999 (us), 1 conn x 1"), ("requests_per_s", "req/s, 1 conn x 1")):
    n, p, m = g("native_latency", key), g("posix_latency", key), g("memif_latency", key)
    rows.append((label, n, p, ratio(n, p), m, ratio(m, p)))
for c in conns:
    n, p, m = (g("native_c" + c, "requests_per_s"), g("posix_c" + c, "requests_per_s"),
               g("memif_c" + c, "requests_per_s"))
    rows.append(("req/s, %s conns x 4" % c, n, p, ratio(n, p), m, ratio(m, p)))
res["table"] = [{"metric": r[0], "native": r[1], "posix": r[2], "native_over_posix": r[3],
                 "memif_native_both": r[4], "memif_over_posix": r[5]} for r in rows]
res["pass"] = all(v is not None and v.get("pass") for v in res["runs"].values())
if as_json:
    print(json.dumps(res))
else:
    fmt = lambda v: "-" if v is None else ("%.1f" % v if v < 1000 else "%.0f" % v)
    rf = lambda v: "-" if v is None else "%.2f" % v
    print("%-32s %10s %10s %8s %10s %8s" % ("metric", "native", "posix", "nat/pos", "memif", "mem/pos"))
    for r in rows:
        print("%-32s %10s %10s %8s %10s %8s" % (r[0], fmt(r[1]), fmt(r[2]), rf(r[3]), fmt(r[4]), rf(r[5])))
    print("(provisional, shared machine. native: skiff-echo on net_tap + Skiff TCP; posix: on kernel\n"
          " loopback; both against skiff-load on the kernel TCP. memif: skiff-echo and skiff-load both\n"
          " on the native stack, joined by net_memif.)")
sys.exit(0 if res["pass"] else 1)
EOF
