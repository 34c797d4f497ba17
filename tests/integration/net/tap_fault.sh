#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fault injection against a real peer (the kernel here has no netem): skiff-net-test runs in a
# namespace with a net_tap port and drops 30% of what it receives and 30% of what it sends (seeded),
# and the kernel sends 40 pings. Some must get through and some must be lost, the stack must count
# its deliberate drops in both directions, and every reply the kernel saw must be one the stack
# sent. Cleans up on any exit.
#
#   tap_fault.sh path/to/skiff-net-test
set -u
. "$(dirname "$0")/../lib.sh"
bin=$1
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (network namespaces, tap)"; exit 77; fi
if ! command -v ping >/dev/null 2>&1; then echo "skip: ping not installed (iputils-ping)"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "skip: no /dev/net/tun"; exit 77; fi

ns=skflt$$
iface=skf$$
prefix=skft$$
dir=$(mktemp -d /tmp/skflt.XXXXXX)
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

counter() { awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3 }' "$dir/out"; }
between() { [ "${1:-0}" -gt "$2" ] && [ "${1:-0}" -lt "$3" ]; }

ip netns add "$ns" || { echo "FAIL: ip netns add"; exit 1; }
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" -l 0 --no-huge -m 256 --no-pci --no-shconf --no-telemetry \
	--file-prefix "$prefix" --log-level=lib.eal:error \
	-- --dev "net_tap0,iface=$iface" --ip 198.18.0.2 --prefix 24 --seconds 60 \
	--fault-rx-drop 300000 --fault-tx-drop 300000 --seed 7 \
	--ready "$dir/ready" >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do
	[ -s "$dir/ready" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ ! -s "$dir/ready" ]; then echo "FAIL: skiff-net-test did not come up"; cat "$dir/err"; exit 1; fi
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$iface.disable_ipv6=1"
ip -n "$ns" addr add 198.18.0.1/24 dev "$iface"
ip -n "$ns" link set "$iface" up

ip netns exec "$ns" ping -c 40 -i 0.05 -W 1 -q 198.18.0.2 >"$dir/ping" 2>&1
cat "$dir/ping"
got=$(awk '/packets transmitted/ { print $4 }' "$dir/ping")

kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?
pid=""
grep -v ' 0$' "$dir/out"
check "skiff-net-test exited cleanly" [ "$rc" -eq 0 ]
check "some pings got through and some were lost (0 < $got < 40)" between "$got" 0 40
check "the stack dropped on receive on purpose" ge "$(counter drop fault_rx)" 1
check "the stack dropped on transmit on purpose" ge "$(counter drop fault_tx)" 1
check "every reply the kernel saw was one the stack sent" ge "$(counter stat icmp_echo)" "${got:-0}"
check "the stack answered fewer than it was sent" [ "$(counter stat icmp_echo)" -lt 40 ]
nock() { [ "$(counter drop ip_cksum)" = 0 ] && [ "$(counter drop icmp_cksum)" = 0 ]; }
check "no checksum drops" nock

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
