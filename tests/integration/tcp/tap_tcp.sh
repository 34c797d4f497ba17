#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The native TCP stack with Linux as peer through a tap device in a namespace this test creates
# (kernel 198.18.0.1/24, stack 198.18.0.2). skiff-tcp-test runs the whole native loop (port, net,
# TCP, timers) inside the namespace. Checks:
#   1. a kernel client sends 256 MiB to the Skiff echo port; sha256 of what comes back matches
#   2. a port with no listener answers RST (connection refused)
#   3. half-close: the kernel shuts down writing, the echo still arrives, then EOF
#   4. 1,000 concurrent connections, each echoed byte for byte
#   5. Skiff connects out to a kernel echo server and moves 256 MiB each way, both sides checking
#      every byte
#   6. transfer 1 again with fault injection in the stack on both directions: 1% and 5% loss, 1%
#      reorder, 1% duplication, 0.1% corruption; integrity as in 1, and the retransmission counters
#      (ours and the kernel's) show the recovery
# Sizes: SKIFF_TCP_BYTES (default 256 MiB) for 1 and 5; SKIFF_TCP_FAULT_BYTES (default 256 MiB)
# for 6, and SKIFF_TCP_LOSS5_BYTES (default 256 MiB) for the 5% loss run alone, the slowest (about
# 8 MB/s each way here: a cwnd of a few segments, with SACK recovery and tail loss probes).
#
#   tap_tcp.sh path/to/skiff-tcp-test path/to/peer.py
set -u
. "$(dirname "$0")/../lib.sh"
bin=$1
peer=$2
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (network namespaces, tap)"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "skip: no /dev/net/tun"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "skip: python3 missing"; exit 77; fi

bytes=${SKIFF_TCP_BYTES:-268435456}
fbytes=${SKIFF_TCP_FAULT_BYTES:-268435456}
l5bytes=${SKIFF_TCP_LOSS5_BYTES:-268435456}
ns=sktcp$$
dir=$(mktemp -d /tmp/sktcp.XXXXXX)
pid=""
ppid_=""
passed=0
failed=0
run=0

cleanup() {
	stop_pid "$pid"
	stop_pid "$ppid_"
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir" /var/run/dpdk/sktcp$$*
}
trap cleanup EXIT

counter() {  # "tcp NAME" or "net drop NAME" -> value from the last run's report
	awk -v k="$*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' "$dir/out"
}

kernel_retrans() {
	ip netns exec "$ns" nstat -az TcpRetransSegs 2>/dev/null | awk '$1 == "TcpRetransSegs" { print $2 }'
}

# Start skiff-tcp-test in the namespace with its own tap ($1), extra args after; wait until ready,
# give the kernel side its address.
start_stack() {
	local iface=$1; shift
	run=$((run + 1))
	rm -f "$dir/ready"
	ip netns exec "$ns" "$bin" -l 0 --no-huge -m 512 --no-pci --no-shconf --no-telemetry \
		--file-prefix "sktcp$$r$run" --log-level=lib.eal:error \
		-- --dev "net_tap0,iface=$iface" --ip 198.18.0.2 --prefix 24 --ready "$dir/ready" "$@" \
		>"$dir/out" 2>"$dir/err" &
	pid=$!
	for _ in $(seq 100); do
		[ -s "$dir/ready" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$dir/ready" ]; then
		echo "FAIL: skiff-tcp-test did not come up"; cat "$dir/err"; failed=$((failed + 1))
		return 1
	fi
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$iface.disable_ipv6=1"
	ip -n "$ns" addr add 198.18.0.1/24 dev "$iface"
	ip -n "$ns" link set "$iface" up
	# the stack answers ARP once the link is up
	for _ in $(seq 50); do
		ip netns exec "$ns" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && break
		sleep 0.1
	done
	return 0
}

stop_stack() {
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid"; local rc=$?
	pid=""
	return $rc
}

py() { ip netns exec "$ns" env PEER_TIMEOUT=60 timeout 600 python3 "$peer" "$@"; }

ip netns add "$ns" || { echo "FAIL: ip netns add"; exit 1; }
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_no_metrics_save=1

# --- 1-4: Skiff echo server, kernel clients -------------------------------------------------
if start_stack skta$$ --echo 7 --seconds 900; then
	check "kernel sends $bytes bytes to the Skiff echo port, sha256 matches" \
		py echo-client 198.18.0.2 7 "$bytes"
	check "a port with no listener answers RST" py refused 198.18.0.2 9
	check "half-close: echo and EOF after the kernel's FIN" py half-close 198.18.0.2 7 200000
	check "1,000 concurrent connections echoed" py many 198.18.0.2 7 1000 1000
	sleep 0.5
	stop_stack; rc=$?
	check "skiff-tcp-test (echo) exited cleanly" [ "$rc" -eq 0 ]
	grep -E '^(tcp|net)' "$dir/out" | grep -v ' 0$' | sed 's/^/    /'
	check "every connection was accepted (1,002)" ge "$(counter tcp PASSIVE_OPENS)" 1002
	check "the closed port counted its RST" ge "$(counter tcp DROP_NO_LISTENER)" 1
	check "no TCP checksum drops" [ "$(counter net drop tcp_cksum)" = 0 ]
	ip -n "$ns" link del skta$$ 2>/dev/null
fi

# --- 5: Skiff connects out to a kernel server -------------------------------------------------
rm -f "$dir/pready"
ip netns exec "$ns" timeout 600 python3 "$peer" echo-server 9000 "$bytes" "$dir/pready" \
	>"$dir/pout" 2>&1 &
ppid_=$!
for _ in $(seq 50); do [ -s "$dir/pready" ] && break; sleep 0.1; done
if start_stack sktb$$ --connect 198.18.0.1:9000 --bytes "$bytes" --seconds 600; then
	for _ in $(seq 6000); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid"; rc=$?
	pid=""
	wait "$ppid_"; prc=$?
	ppid_=""
	cat "$dir/pout"
	check "Skiff connects out and moves $bytes bytes each way, checked by Skiff" [ "$rc" -eq 0 ]
	check "... and checked by the kernel-side server" [ "$prc" -eq 0 ]
	grep -E '^result' "$dir/out" | sed 's/^/    /'
	ip -n "$ns" link del sktb$$ 2>/dev/null
fi
stop_pid "$ppid_"; ppid_=""

# --- 6: fault injection on both directions ----------------------------------------------------
fault_run() {  # name, ppm spec drop,dup,reorder,corrupt, bytes, expect-retransmissions (0/1)
	local name=$1 spec=$2 n=$3 want_rexmit=$4 iface=sktf$run$$
	local kr0 kr1
	iface=${iface:0:15}
	if ! start_stack "$iface" --echo 7 --seconds 900 --fault "$spec" --seed 42; then return; fi
	kr0=$(kernel_retrans)
	check "fault $name: $n bytes echoed, sha256 matches" py echo-client 198.18.0.2 7 "$n"
	kr1=$(kernel_retrans)
	stop_stack
	echo "    stack: rexmit bytes $(counter tcp REXMIT_BYTES), rto $(counter tcp REXMIT_RTO)," \
		"fast $(counter tcp REXMIT_FAST), sack $(counter tcp REXMIT_SACK);" \
		"injected drop rx $(counter net drop fault_rx) tx $(counter net drop fault_tx), dup $(counter net stat fault_dup)," \
		"reorder $(counter net stat fault_reorder), corrupt $(counter net stat fault_corrupt);" \
		"kernel retransmitted $((${kr1:-0} - ${kr0:-0})) segments"
	if [ "$want_rexmit" = 1 ]; then
		check "fault $name: faults were injected" ge "$(( $(counter net drop fault_rx) + $(counter net drop fault_tx) + $(counter net stat fault_corrupt) ))" 1
		check "fault $name: the stack retransmitted" ge "$(counter tcp REXMIT_BYTES)" 1
		check "fault $name: the kernel retransmitted" ge "$((${kr1:-0} - ${kr0:-0}))" 1
	fi
	ip -n "$ns" link del "$iface" 2>/dev/null
}
fault_run "1% loss" 10000,0,0,0 "$fbytes" 1
fault_run "5% loss" 50000,0,0,0 "$l5bytes" 1
fault_run "1% reorder" 0,0,10000,0 "$fbytes" 0
fault_run "1% duplication" 0,10000,0,0 "$fbytes" 0
fault_run "0.1% corruption" 0,0,0,1000 "$fbytes" 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
