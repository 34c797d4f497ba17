#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Path MTU discovery against real routers: the Linux kernel forwarding between three namespaces
# this test creates, with a 1280-byte link in the middle.
#
#   [ns r1: skiff-tcp-test 198.18.0.2 --tap-- 198.18.0.1]
#        r1 198.18.1.1 ==(veth, MTU 1280)== 198.18.1.2 r2
#        r2 198.18.2.1 --(veth, MTU 1500)-- 198.18.2.2 [ns c: kernel client]
#
# Both ends see a 1500-byte link and agree on MSS 1460. Skiff's full segments (DF set) cannot
# cross r1's 1280-byte link: r1 answers with ICMP fragmentation-needed, MTU 1280. Checks:
#   1. the kernel client in c sends 16 MiB to the Skiff echo port; sha256 of what comes back
#      matches (without PMTUD every full segment Skiff sends is dropped: a black hole)
#   2. Skiff received the ICMP (net stat icmp_frag_needed) and lowered the MSS (tcp
#      PMTU_UPDATES)
#   3. the kernel client's own direction did the same at r2 (its route cache learned MTU 1280)
#
#   tap_pmtu.sh path/to/skiff-tcp-test path/to/peer.py
set -u
. "$(dirname "$0")/../lib.sh"
bin=$1
peer=$2
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (network namespaces, tap)"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "skip: no /dev/net/tun"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "skip: python3 missing"; exit 77; fi

bytes=${SKIFF_PMTU_BYTES:-16777216}
r1=skpm1$$
r2=skpm2$$
cn=skpmc$$
tap=skpt$$
dir=$(mktemp -d /tmp/skpmtu.XXXXXX)
pid=""
passed=0
failed=0

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	fi
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	ip netns del "$r1" 2>/dev/null
	ip netns del "$r2" 2>/dev/null
	ip netns del "$cn" 2>/dev/null
	rm -rf "$dir" /var/run/dpdk/skpm$$
}
trap cleanup EXIT

counter() {  # "tcp NAME" or "net stat NAME" -> value from the report
	awk -v k="$*" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' "$dir/out"
}

for n in "$r1" "$r2" "$cn"; do
	ip netns add "$n" || { echo "FAIL: ip netns add $n"; exit 1; }
	ip -n "$n" link set lo up
done
# r1 == r2: the 1280-byte link (both ends agree)
ip link add "v1$$" netns "$r1" type veth peer name "v2$$" netns "$r2"
ip -n "$r1" link set "v1$$" mtu 1280 up
ip -n "$r2" link set "v2$$" mtu 1280 up
ip -n "$r1" addr add 198.18.1.1/24 dev "v1$$"
ip -n "$r2" addr add 198.18.1.2/24 dev "v2$$"
# r2 -- c: 1500
ip link add "v3$$" netns "$r2" type veth peer name "v4$$" netns "$cn"
ip -n "$r2" link set "v3$$" up
ip -n "$cn" link set "v4$$" up
ip -n "$r2" addr add 198.18.2.1/24 dev "v3$$"
ip -n "$cn" addr add 198.18.2.2/24 dev "v4$$"
ip -n "$cn" route add default via 198.18.2.1
ip -n "$r2" route add 198.18.0.0/24 via 198.18.1.1
ip -n "$r1" route add 198.18.2.0/24 via 198.18.1.2
for n in "$r1" "$r2"; do
	ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$n" sysctl -qw net.ipv4.icmp_ratelimit=0 # every fragmentation-needed goes out
done
ip netns exec "$cn" sysctl -qw net.ipv4.tcp_no_metrics_save=1

# Skiff in r1 behind the tap, gateway r1
ip netns exec "$r1" "$bin" -l 0 --no-huge -m 512 --no-pci --no-shconf --no-telemetry \
	--file-prefix "skpm$$" --log-level=lib.eal:error \
	-- --dev "net_tap0,iface=$tap" --ip 198.18.0.2 --prefix 24 --gateway 198.18.0.1 \
	--echo 7 --seconds 300 --ready "$dir/ready" >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do
	[ -s "$dir/ready" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ ! -s "$dir/ready" ]; then
	echo "FAIL: skiff-tcp-test did not come up"; cat "$dir/err"; exit 1
fi
ip netns exec "$r1" sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1"
ip -n "$r1" addr add 198.18.0.1/24 dev "$tap"
ip -n "$r1" link set "$tap" up
for _ in $(seq 50); do
	ip netns exec "$cn" ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && break
	sleep 0.1
done
check "the client reaches Skiff through two routers" \
	ip netns exec "$cn" ping -c 1 -W 2 198.18.0.2

check "kernel client through a 1280-byte link: $bytes bytes echoed, sha256 matches" \
	ip netns exec "$cn" env PEER_TIMEOUT=30 timeout 300 python3 "$peer" echo-client 198.18.0.2 7 "$bytes"
pmtu_c=$(ip -n "$cn" route get 198.18.0.2 | grep -o 'mtu [0-9]*' | awk '{ print $2 }')

kill -TERM "$pid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?
pid=""
check "skiff-tcp-test exited cleanly" [ "$rc" -eq 0 ]
grep -E '^(tcp|net) .*(PMTU|ICMP|icmp|REXMIT|frag)' "$dir/out" | grep -v ' 0$' | sed 's/^/    /'
check "Skiff received fragmentation-needed" ge "$(counter net stat icmp_frag_needed)" 1
check "Skiff lowered the MSS (PMTU_UPDATES)" ge "$(counter tcp PMTU_UPDATES)" 1
echo "    Skiff's RTO retransmissions: $(counter tcp REXMIT_RTO) (the lost segments go again at once," \
	"not at the RTO; a stalled CPU can still cause some)"
check "the kernel client learned MTU 1280 towards Skiff (route mtu ${pmtu_c:-none})" \
	[ "${pmtu_c:-0}" = 1280 ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
