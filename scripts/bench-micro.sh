#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run the micro-benchmarks (release build) and print their figures; --json prints one JSON object
# per benchmark, one a line. scripts/bench.sh is the native vs posix run of the apps. Figures from
# a shared or busy machine are provisional.
#
#   scripts/bench-micro.sh [--json] [--runs N] [name...]
#     names: tcp, tcp-memif, tcp-memif-bulk, tcp-memif-pingpong, tcp-memif-connrate (and any
#     skiff-bench-<name>). --runs N (tcp-memif-connrate): N runs per setting, medians reported.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
json=""
runs=1
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--json) json="--json" ;;
	--runs) runs=$2; shift ;;
	--runs=*) runs=${1#--runs=} ;;
	*) names+=("$1") ;;
	esac
	shift
done
case "$runs" in '' | *[!0-9]* | 0) echo "bench-micro: --runs needs a positive number" >&2; exit 2 ;; esac
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
	grep -E '^(bulk|pingpong|conn|connrate|connrate_fail|tcp) ' "$dir/c" || true
	grep -E '^tcp ' "$dir/s" | sed 's/^/server /' || true
	[ "$rc" -eq 0 ] || echo "memif client failed rc $rc" >&2
	rm -rf "$dir" /var/run/dpdk/skb$$s /var/run/dpdk/skb$$c
}

linux_pair() {  # server-args client-args (after the port): skiff-linux-tcp pinned to CPUs 0 and 1
	local lt=build/tests/bench/tcp/skiff-linux-tcp port=$((20000 + $$ % 20000)) spid
	taskset -c 0 "$lt" $1 "$port" >/dev/null &
	spid=$!
	sleep 0.2
	timeout 150 taskset -c 1 "$lt" ${2/PORT/$port} || echo "linux client failed" >&2
	kill -TERM "$spid" 2>/dev/null || true # cecho runs until told; the others have ended
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

# Connection rate: N short connections (open, 64-byte request, echo checked, close), K in flight.
# The client closes first on both sides, so TIME-WAIT sits on the client: ours keeps a bounded
# table (oldest evicted, then the tuple may be reused); Linux keeps every one for 60 s and reuses
# a loopback tuple after 1 s (net.ipv4.tcp_tw_reuse=2). N above the 28232 ephemeral ports makes
# both reuse tuples. Ours: skiff-tcp-test --echo / --connrate over memif, busy polling, CPUs 0/1.
# Linux: skiff-linux-tcp cecho / connrate over 127.0.0.1, pinned the same way, one thread each.
# Kernel counters are /proc/net deltas of the whole network namespace (other traffic included).
tcp_memif_connrate() {
	local n=${SKIFF_CONNRATE_N:-50000} ks=${SKIFF_CONNRATE_INFLIGHT:-"1 16"} k r d
	d=$(mktemp -d /tmp/skbench.XXXXXX)
	for k in $ks; do
		for r in $(seq "$runs"); do
			memif_pair "--echo 7" "--connect 198.18.0.2:7 --connrate $n --inflight $k" |
				sed "s/^/ours $k $r /" >>"$d/out"
			cat /proc/net/snmp /proc/net/netstat >"$d/k0"
			linux_pair cecho "connrate 127.0.0.1 PORT $n $k" | sed "s/^/linux $k $r /" >>"$d/out"
			cat /proc/net/snmp /proc/net/netstat >"$d/k1"
			python3 - "$d/k0" "$d/k1" <<'PY' | sed "s/^/linux $k $r /" >>"$d/out"
import sys
def snap(p):
    v, lines = {}, open(p).read().split("\n")
    for a, b in zip(lines, lines[1:]):
        ka, kb = a.split(), b.split()
        if ka and kb and ka[0] == kb[0] and not kb[1].lstrip("-").isalpha():
            for x, y in zip(ka[1:], kb[1:]):
                v[ka[0] + x] = int(y)
    return v
a, b = snap(sys.argv[1]), snap(sys.argv[2])
for key in ("Tcp:OutRsts", "Tcp:RetransSegs", "Tcp:AttemptFails", "Tcp:EstabResets",
            "TcpExt:TW", "TcpExt:TWRecycled", "TcpExt:TWKilled", "TcpExt:TCPTimeWaitOverflow",
            "TcpExt:ListenOverflows", "TcpExt:ListenDrops"):
    if key in b:
        print("kernel %s %d" % (key, b[key] - a.get(key, 0)))
PY
		done
	done
	python3 - "$d/out" "$n" "$runs" "$json" <<'PY'
import json, statistics, sys
path, n, runs, js = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
# rows: side k run kind ...
data = {}
for line in open(path):
    f = line.split()
    if len(f) < 4:
        continue
    side, k, r, kind = f[0], int(f[1]), int(f[2]), f[3]
    d = data.setdefault(k, {}).setdefault(side, {}).setdefault(r, {"fail": {}, "cnt": {}})
    if kind == "connrate":
        d["cr"] = {f[i]: float(f[i + 1]) for i in range(4, len(f) - 1, 2)}
    elif kind == "connrate_fail":
        d["fail"][" ".join(f[9:]) + " (errno " + f[5] + ")"] = int(f[7])
    elif kind == "tcp" or kind == "kernel":
        d["cnt"][f[4]] = int(f[5])
    elif kind == "server" and f[4] == "tcp":
        d["cnt"]["server_" + f[5]] = int(f[6])
OURS = ("TW_ENTERED", "TW_EVICTED", "TW_REUSED", "OUT_RST", "REXMIT_SYN", "REXMIT_SYNACK",
        "REXMIT_RTO", "CONN_TIMEOUTS", "ESTAB_RESETS", "DROP_SYNSENT_RST", "DROP_TW_SEG",
        "server_OUT_RST", "server_REXMIT_SYNACK", "server_REXMIT_RTO", "server_DROP_NO_LISTENER",
        "server_DROP_SYN_QUEUE_FULL", "server_TW_REUSED")
def med(runs_, key):
    v = [x["cr"][key] for x in runs_.values() if "cr" in x and key in x["cr"]]
    return statistics.median(v) if v else None
def side(runs_, counters):
    ok = all("cr" in x and x["cr"].get("ok") == n for x in runs_.values()) and len(runs_) == runs
    fails = {}
    cnt = {}
    for x in runs_.values():
        for e, c in x["fail"].items():
            fails[e] = fails.get(e, 0) + c
        for c in counters if counters else x["cnt"]:
            if c in x["cnt"]:
                cnt[c] = cnt.get(c, 0) + x["cnt"][c]
    return {"all_ok": ok, "cps": med(runs_, "cps"), "p50_us": med(runs_, "p50_us"),
            "p99_us": med(runs_, "p99_us"), "ok_total": int(sum(x["cr"].get("ok", 0) for x in runs_.values() if "cr" in x)),
            "failed_total": int(sum(x["cr"].get("failed", 0) for x in runs_.values() if "cr" in x)),
            "failures": fails, "counters_summed": cnt}
out = {"bench": "tcp-memif-connrate", "provisional": True, "conns_per_run": n, "runs": runs,
       "request_bytes": 64, "close": "client first (TIME-WAIT on the client)", "inflight": {}}
txt = ["tcp-memif-connrate (provisional): %d connections a run (open, 64-byte echo checked, client "
       "closes), median of %d run(s)" % (n, runs)]
allok = True
for k in sorted(data):
    o = side(data[k].get("ours", {}), OURS)
    l = side(data[k].get("linux", {}), None)
    ratio = round(o["cps"] / l["cps"], 2) if o["cps"] and l["cps"] else None
    allok = allok and o["all_ok"] and l["all_ok"]
    out["inflight"][str(k)] = {"skiff_memif": o, "linux_loopback": l, "ratio_skiff_over_linux": ratio}
    txt.append("  inflight %-3d skiff/memif %9.0f conns/s (p50 %7.1f us, p99 %7.1f us)  "
               "Linux/loopback %9.0f conns/s (p50 %7.1f us, p99 %7.1f us)  ratio %.2f"
               % (k, o["cps"] or 0, o["p50_us"] or 0, o["p99_us"] or 0, l["cps"] or 0,
                  l["p50_us"] or 0, l["p99_us"] or 0, ratio or 0))
    for name, s in (("skiff", o), ("linux", l)):
        txt.append("    %-5s ok %d failed %d%s; %s" % (
            name, s["ok_total"], s["failed_total"],
            "".join(" [%s: %d]" % kv for kv in s["failures"].items()),
            " ".join("%s %d" % kv for kv in s["counters_summed"].items() if kv[1] or name == "skiff")))
out["ok"] = allok and bool(data)
print(json.dumps(out) if js else "\n".join(txt))
PY
	rm -rf "$d"
}

[ ${#names[@]} -gt 0 ] || names=(tcp tcp-memif tcp-memif-bulk tcp-memif-pingpong tcp-memif-connrate)
for n in "${names[@]}"; do
	case "$n" in
	tcp-memif) tcp_memif ;;
	tcp-memif-bulk) tcp_memif_bulk ;;
	tcp-memif-pingpong) tcp_memif_pingpong ;;
	tcp-memif-connrate) tcp_memif_connrate ;;
	*) run_bin "$n" ;;
	esac
done
