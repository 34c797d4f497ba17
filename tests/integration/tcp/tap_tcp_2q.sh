#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2016,SC2013  # check()'s eval strings expand when the check runs
# Flow affinity of the native TCP stack on 2 workers sharing one net_tap port with 2 queues (queue q
# polled by worker q), Linux as the peer, in a namespace this test creates (kernel 198.18.0.1/24,
# stack 198.18.0.2). skiff-tcp-mc runs the per-core runtime with [stack] kind = native, so this is
# the product's path: dp_net + dp_tcp per worker, wrong-core frames through the mailboxes,
# active opens choosing their local port through dp_net_lport_ok.
#
# What "steering" means on net_tap here. Flow ownership is defined in software: the flow belongs
# to queue toeplitz(tuple, key 0x6d,0x5a repeated) % 2 (dp_port_flow_queue, no RETA). DPDK 22.11's
# tap PMD does no RSS on its own: it accepts rss_hf, reports reta_size 0 and cannot take our key
# (rte_flow RSS needs its eBPF program), so dp_port_start() leaves hardware steering off (p->rss
# false) and every TCP segment's owner is checked in software. The kernel's tun driver picks the
# queue of each frame it hands us: a flow it has seen us send on goes to the queue we last sent it
# on (tun's flow table, entries age out after ~3 s idle); an unknown flow goes to queue
# (its own symmetric flow hash * 2) >> 32, with a per-boot random seed we cannot predict. And
# tun_get_user() records the flow only *after* the frame we wrote went through the kernel's stack,
# so the kernel's immediate answer to it (the SYN-ACK to our SYN, the handshake ACK to our
# SYN-ACK) is still spread by that hash. Hence:
#   - a kernel client's SYN, and the ACK answering our SYN-ACK, land on either queue; on the wrong
#     one they are forwarded to the owner (fwd_tcp_out); everything after, the data included,
#     arrives on the owner's queue: at most 2 forwarded segments per connection;
#   - an active open from worker w picks a local port whose flow hashes to w; its SYN leaves on
#     queue w; the SYN-ACK may land on the other queue (forwarded), everything after it arrives on
#     queue w: at most 1 forwarded segment per connection.
# Hardware RSS with our key and a programmed RETA (the path a real NIC takes, p->rss true, no
# per-segment check) has never run here: no such NIC on this machine.
#
# Checks:
#   1. 1,000 concurrent kernel connections to the Skiff echo port, each echoed byte for byte
#   2. both workers accepted connections; segments that arrived on the wrong queue were forwarded
#      and every forwarded frame was delivered (fwd_out = fwd_in, no wrong_core drops); at most 2
#      forwarded segments per connection (the handshake), so the data followed the owner's queue
#   3. 64 MiB from a kernel source port whose flow belongs to worker 1 (the non-default worker),
#      sha256 of the echo matches, and worker 1 is the one that echoed it
#   4. per-core counters through telemetry (/skiff/cores,N) while it runs: both cores received
#   5. active opens: each worker opens 50 connections to a kernel echo server and moves 100,000
#      pattern bytes each way; every connection succeeds, every chosen source port hashes to the
#      worker that chose it, the server saw exactly those ports, and at most the first reply of
#      each connection needed forwarding (of about 140 segments each), all delivered
#   6. a port that cannot steer (1 queue, 2 workers): worker 0 owns it and serves 200 concurrent
#      connections; worker 1 has no stack and receives nothing; nothing is forwarded
#
#   tap_tcp_2q.sh path/to/skiff-tcp-mc path/to/peer.py
set -u
. "$(dirname "$0")/../lib.sh"
bin=$1
peer=$2
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (network namespaces, tap)"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "skip: no /dev/net/tun"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "skip: python3 missing"; exit 77; fi
if [ "$(nproc)" -lt 2 ]; then echo "skip: needs 2 CPUs for 2 workers"; exit 77; fi

bulk=${SKIFF_TCP_2Q_BYTES:-67108864}
per_core=50
cbytes=100000
ns=sk2q$$
dir=$(mktemp -d /tmp/sk2q.XXXXXX)
pid=""
spid=""
passed=0
failed=0
run=0

cleanup() {
	stop_pid "$pid"
	stop_pid "$spid"
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir" /var/run/dpdk/sk2q$$*
}
trap cleanup EXIT

core() {  # core id, counter ("net stat NAME", "net drop NAME", "tcp NAME") -> value
	local id=$1; shift
	awk -v k="core $id $*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' "$dir/out"
}

sum() {  # counter summed over both cores
	echo $(( $(core 0 "$@") + $(core 1 "$@") ))
}

field() {  # core id, name -> value from the "core N lcore ..." summary line
	awk -v id="$1" -v f="$2" '$1 == "core" && $2 == id && $3 == "lcore" {
		for (i = 3; i < NF; i++) if ($i == f) print $(i + 1) }' "$dir/out"
}

# Start skiff-tcp-mc (2 workers) in the namespace with a port of $1 queues on its own tap ($2),
# program args after; wait until its workers run, give the kernel side its address and wait until
# the stack answers.
start_stack() {
	local queues=$1 iface=$2; shift 2
	run=$((run + 1))
	rm -f "$dir/ready"
	cat >"$dir/conf" <<EOF
[eal]
no_huge = yes
memory_mb = 512
file_prefix = sk2q$$r$run

[workers]
lcores = 0-1
idle = adaptive
idle_spin_polls = 256
idle_max_sleep_us = 200

[limits]
stop_timeout_ms = 2000
mbufs_per_core = 16384

[stack]
kind = native
max_conns = 2048

[port.0]
dev = net_tap0,iface=$iface
ipv4 = 198.18.0.2
prefix_len = 24
queues = $queues
EOF
	ip netns exec "$ns" "$bin" -c "$dir/conf" --ready "$dir/ready" "$@" \
		-- --log-level=lib.eal:error >"$dir/out" 2>"$dir/err" &
	pid=$!
	for _ in $(seq 150); do
		[ -s "$dir/ready" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$dir/ready" ]; then
		echo "FAIL: skiff-tcp-mc did not come up"; cat "$dir/err"; failed=$((failed + 1))
		stop_pid "$pid"; pid=""
		return 1
	fi
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$iface.disable_ipv6=1"
	ip -n "$ns" addr add 198.18.0.1/24 dev "$iface"
	ip -n "$ns" link set "$iface" up
	for _ in $(seq 50); do
		ip netns exec "$ns" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && break
		sleep 0.1
	done
	return 0
}

wait_stack() {  # bounded wait (deciseconds) for the program to exit by itself -> its status
	local n=$1
	for _ in $(seq "$n"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$pid" >/dev/null 2>&1
	wait "$pid" 2>/dev/null; local rc=$?
	pid=""
	return $rc
}

stop_stack() {
	kill -TERM "$pid" 2>/dev/null
	wait_stack 100
}

errs() {  # the program's stderr when it failed (sanitizer reports, failed connections)
	grep -v '^EAL\|^TELEMETRY' "$dir/err" | tail -20 | sed 's/^/    err: /'
}

py() { ip netns exec "$ns" env PEER_TIMEOUT=120 timeout 300 python3 "$peer" "$@"; }

telemetry() {  # "/cmd,params" key -> value
	ip netns exec "$ns" python3 - "/var/run/dpdk/$(sed -n 2p "$dir/ready")/dpdk_telemetry.v2" \
		"$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
s.send(sys.argv[2].encode())
r = json.loads(s.recv(65536).decode())
print(list(r.values())[0][sys.argv[3]])
PY
}

summary() {
	for id in 0 1; do
		[ "$(field $id stack)" = 1 ] || { echo "    core $id: no port queue, no stack"; continue; }
		echo "    core $id (queue $(field $id queue)): accepted $(field $id accepted)," \
			"clients ok $(field $id ok), tcp_in $(core $id net stat tcp_in)," \
			"fwd_tcp_out $(core $id net stat fwd_tcp_out), fwd_out $(core $id net stat fwd_out)," \
			"fwd_in $(core $id net stat fwd_in), wrong_core drops $(core $id net drop wrong_core)"
	done
}

ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ip netns add "$ns" || { echo "FAIL: ip netns add"; exit 1; }
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_no_metrics_save=1

# --- 1-4: kernel clients, Skiff echo on both workers -----------------------------------------
if start_stack 2 sk2qa$$ --echo 7 --seconds 300; then
	check "1,000 concurrent kernel connections, each echoed byte for byte" \
		py many 198.18.0.2 7 1000 1000
	sport=$(python3 "$peer" steer-port 198.18.0.1 198.18.0.2 7 2 1)
	check "kernel sends $bulk bytes from port $sport (flow of worker 1), sha256 matches" \
		py echo-client 198.18.0.2 7 "$bulk" "$sport"
	rx0=$(telemetry "/skiff/cores,0" rx_pkts 2>/dev/null)
	rx1=$(telemetry "/skiff/cores,1" rx_pkts 2>/dev/null)
	echo "    telemetry: core 0 rx_pkts ${rx0:-?}, core 1 rx_pkts ${rx1:-?}"
	check "telemetry /skiff/cores,N: both workers received packets" \
		eval 'ge "${rx0:-0}" 1 && ge "${rx1:-0}" 1'
	sleep 0.5
	stop_stack; rc=$?
	check "skiff-tcp-mc (echo) exited cleanly" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || errs
	summary
	grep ' bulk ' "$dir/out" | sed 's/^/    /'
	check "both workers accepted connections" \
		eval 'ge "$(field 0 accepted)" 1 && ge "$(field 1 accepted)" 1'
	check "every connection was accepted (1,001)" \
		[ "$(( $(field 0 accepted) + $(field 1 accepted) ))" -eq 1001 ]
	check "kernel SYNs that landed on the wrong queue were forwarded" \
		ge "$(sum net stat fwd_tcp_out)" 1
	check "at most 2 forwarded segments per connection (the handshake; data followed the owner)" \
		[ "$(sum net stat fwd_tcp_out)" -le 2002 ]
	check "every forwarded frame was delivered (fwd_out = fwd_in)" \
		[ "$(sum net stat fwd_out)" -eq "$(sum net stat fwd_in)" ]
	check "no steering drops (wrong_core = 0)" [ "$(sum net drop wrong_core)" -eq 0 ]
	check "worker 1 echoed the $bulk-byte flow" \
		grep -qx "core 1 bulk rport $sport bytes $bulk" "$dir/out"
	check "no TCP checksum drops" [ "$(sum net drop tcp_cksum)" -eq 0 ]
	ip -n "$ns" link del sk2qa$$ 2>/dev/null
fi

# --- 5: active opens from both workers to a kernel echo server -------------------------------
rm -f "$dir/sready"
total=$((2 * per_core))
ip netns exec "$ns" env PEER_TIMEOUT=120 timeout 300 python3 "$peer" echo-server-many 9000 \
	"$total" "$cbytes" "$dir/sready" "$dir/ports" >"$dir/sout" 2>&1 &
spid=$!
for _ in $(seq 50); do [ -s "$dir/sready" ] && break; sleep 0.1; done
if start_stack 2 sk2qb$$ --connect 198.18.0.1:9000 --conns "$per_core" --bytes "$cbytes" \
	--seconds 120; then
	wait_stack 1200; rc=$?
	wait "$spid"; src=$?
	spid=""
	cat "$dir/sout"
	check "active opens: every connection from both workers succeeded (skiff-tcp-mc)" \
		[ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || errs
	check "... and the kernel server checked and echoed them all" [ "$src" -eq 0 ]
	summary
	check "each worker opened $per_core connections, all ok" \
		eval '[ "$(field 0 ok)" = "$per_core" ] && [ "$(field 1 ok)" = "$per_core" ]'
	steer_ok() {
		local id q p bad=0 n=0
		for id in 0 1; do
			q=$(field $id queue)
			for p in $(awk -v id=$id '$1 == "core" && $2 == id && $3 == "client" {
					print $5 }' "$dir/out"); do
				n=$((n + 1))
				[ "$(python3 "$peer" flow-queue 198.18.0.1 198.18.0.2 9000 "$p" 2)" = "$q" ] ||
					{ echo "    core $id port $p hashes to another queue"; bad=1; }
			done
		done
		[ "$n" -eq "$total" ] && [ "$bad" -eq 0 ]
	}
	check "every source port a worker chose hashes to that worker's queue" steer_ok
	same_ports() {
		diff <(sort -n "$dir/ports") \
			<(awk '$1 == "core" && $3 == "client" { print $5 }' "$dir/out" | sort -n) >/dev/null
	}
	check "the kernel server saw exactly those source ports" same_ports
	check "both workers handled their own flows' segments" \
		eval 'ge "$(core 0 net stat tcp_in)" 1 && ge "$(core 1 net stat tcp_in)" 1'
	check "at most the first reply of each active open was forwarded (fwd_tcp_out <= $total)" \
		[ "$(sum net stat fwd_tcp_out)" -le "$total" ]
	check "every forwarded frame was delivered (fwd_out = fwd_in)" \
		[ "$(sum net stat fwd_out)" -eq "$(sum net stat fwd_in)" ]
	check "no steering drops (wrong_core = 0)" [ "$(sum net drop wrong_core)" -eq 0 ]
fi
stop_pid "$spid"; spid=""

# --- 6: a port that cannot steer (one queue, 2 workers) is owned by one worker ----------------
if start_stack 1 sk2qc$$ --echo 7 --seconds 120; then
	check "one-queue port: 200 concurrent kernel connections echoed" \
		py many 198.18.0.2 7 200 1000
	rx1=$(telemetry "/skiff/cores,1" rx_pkts 2>/dev/null)
	stop_stack; rc=$?
	check "skiff-tcp-mc (one queue) exited cleanly" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || errs
	summary
	check "worker 0 owns the port and accepted all 200" \
		eval '[ "$(field 0 stack)" = 1 ] && [ "$(field 0 accepted)" = 200 ]'
	check "worker 1 has no queue, no stack, received nothing (/skiff/cores,1 rx_pkts ${rx1:-?})" \
		eval '[ "$(field 1 stack)" = 0 ] && [ "$(field 1 accepted)" = 0 ] && [ "${rx1:-x}" = 0 ]'
	check "nothing was forwarded and nothing dropped for steering" \
		eval '[ "$(sum net stat fwd_out)" -eq 0 ] && [ "$(sum net drop wrong_core)" -eq 0 ]'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
