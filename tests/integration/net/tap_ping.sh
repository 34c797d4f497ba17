#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Linux as peer of the native L2/L3 layer through a tap device in a namespace this test creates:
# skiff-net-test runs inside the namespace with a net_tap port (the tap interface is created in the
# process's netns, DPDK.md 4.1) as 198.18.0.2; the kernel side gets 198.18.0.1/24. Checks: the kernel
# pings the stack, the kernel's neighbour entry holds the stack's MAC, a kernel TCP SYN reaches the
# TCP input hook with a valid checksum, and the stack's own counters agree. Cleans up on any exit.
# With an lcore list of two (e.g. 0-1) the tap port gets two queues, one per lcore: the kernel's
# tun driver picks the queue by its own flow hash, so TCP segments of flows another core owns must
# be forwarded there (software steering, the wrong-core hook), and ARP is copied to every core.
#
#   tap_ping.sh path/to/skiff-net-test [lcores]
set -u
. "$(dirname "$0")/../lib.sh"
bin=$1
lcores=${2:-0}
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (network namespaces, tap)"; exit 77; fi
if ! command -v ping >/dev/null 2>&1; then echo "skip: ping not installed (iputils-ping)"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "skip: no /dev/net/tun"; exit 77; fi

ns=sknet$$
iface=skt$$
prefix=sknt$$
dir=$(mktemp -d /tmp/sknet.XXXXXX)
pid=""
passed=0
failed=0

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

counter() {  # kind name -> value from the program's exit report
	awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3 }' "$dir/out"
}

ip netns add "$ns" || { echo "FAIL: ip netns add"; exit 1; }
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" -l "$lcores" --no-huge -m 256 --no-pci --no-shconf \
	--file-prefix "$prefix" --log-level=lib.eal:error \
	-- --dev "net_tap0,iface=$iface" --ip 198.18.0.2 --prefix 24 --seconds 60 \
	--ready "$dir/ready" >"$dir/out" 2>"$dir/err" &
pid=$!

for _ in $(seq 100); do
	[ -s "$dir/ready" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ ! -s "$dir/ready" ]; then
	echo "FAIL: skiff-net-test did not come up"; cat "$dir/err"; exit 1
fi
mac=$(head -n1 "$dir/ready")
echo "stack MAC $mac"

ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$iface.disable_ipv6=1"
ip -n "$ns" addr add 198.18.0.1/24 dev "$iface"
ip -n "$ns" link set "$iface" up

check "kernel pings the stack (5/5)" ip netns exec "$ns" ping -c 5 -W 1 -i 0.2 -q 198.18.0.2
check "kernel neighbour entry has the stack's MAC" \
	bash -c "ip -n $ns neigh show 198.18.0.2 dev $iface | grep -qi '$mac'"
# 16 SYNs from the kernel, each from its own port: the connects cannot complete (no TCP linked),
# the segments just have to arrive, on the core that owns their flow.
syns=()
for _ in $(seq 16); do
	ip netns exec "$ns" timeout 0.5 bash -c 'exec 3<>/dev/tcp/198.18.0.2/7' 2>/dev/null &
	syns+=($!)
done
wait "${syns[@]}"

# The same counters through DPDK telemetry while the stack runs (/skiff/net, dp_net_telemetry).
tel_echo=$(python3 - "/var/run/dpdk/$prefix/dpdk_telemetry.v2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
s.send(b"/skiff/net")
r = json.loads(s.recv(16384).decode())["/skiff/net"]
print(r["icmp_echo"], r["drop_ip_cksum"])
PY
)
check "telemetry /skiff/net reports the echoes" ge "${tel_echo%% *}" 5

kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?
pid=""
check "skiff-net-test exited cleanly" [ "$rc" -eq 0 ]
cat "$dir/out" | grep -v ' 0$'

check "stack answered >= 5 echo requests" ge "$(counter stat icmp_echo)" 5
check "stack answered an ARP request" ge "$(counter stat arp_tx_reply)" 1
check "stack sent its gratuitous ARP" ge "$(counter stat arp_tx_request)" 1
check "kernel SYNs reached dp_tcp_input (>= 16)" ge "$(counter stat tcp_seen)" 16
check "every segment was handled by its flow's owner" [ "$(counter stat tcp_misrouted)" = 0 ]
if [ "$lcores" != 0 ]; then
	# P(the kernel put all 16 flows on their owner's queue by chance) = 2^-16
	check "segments on the wrong queue were forwarded" ge "$(counter stat fwd_out)" 1
	check "every forwarded frame was delivered" \
		[ "$(counter stat fwd_out)" = "$(counter stat fwd_in)" ]
	arp_everywhere() { ! awk '$1 == "core" && $13 < 1 { bad = 1 } END { exit !bad }' "$dir/out"; }
	check "every core learned the kernel's MAC (ARP copies)" arp_everywhere
fi
no_cksum_drops() {
	[ "$(counter drop ip_cksum)" = 0 ] && [ "$(counter drop tcp_cksum)" = 0 ] &&
		[ "$(counter drop icmp_cksum)" = 0 ]
}
check "no checksum drops" no_cksum_drops
check "everything received was accounted" ge "$(counter stat rx_pkts)" 7

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
