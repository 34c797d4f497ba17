#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two native stacks joined by net_memif (DPDK to DPDK, no kernel in the path): a server process
# (role=server, 198.18.1.1) and a client process (role=client, 198.18.1.2), each on its own CPU
# where there are two, with their own --file-prefix. The client resolves the server by ARP and
# sends 10 echo requests through dp_ip4_output(); the server answers them. Both sides compute
# checksums in software (memif has no offloads). Checks both processes' counters.
#
#   memif_ping.sh path/to/skiff-net-test
set -u
. "$(dirname "$0")/../lib.sh"
bin=$1
dir=$(mktemp -d /tmp/skmemif.XXXXXX)
sock="$dir/memif.sock"
spid=""
cpid=""
passed=0
failed=0
if [ "$(nproc)" -ge 2 ]; then score=0; ccore=1; else score=0; ccore=0; fi

cleanup() {
	for p in $cpid $spid; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null
		fi
	done
	rm -rf "$dir" "/var/run/dpdk/skms$$" "/var/run/dpdk/skmc$$"
	[ -n "${XDG_RUNTIME_DIR:-}" ] && rm -rf "$XDG_RUNTIME_DIR/dpdk/skms$$" "$XDG_RUNTIME_DIR/dpdk/skmc$$"
}
trap cleanup EXIT

counter() {  # file kind name
	awk -v k="$2" -v n="$3" '$1 == k && $2 == n { print $3 }' "$1"
}
eq() { [ "${1:--1}" -eq "$2" ]; }

eal="--no-huge -m 256 --no-pci --no-shconf --no-telemetry --log-level=lib.eal:error"
"$bin" -l "$score" $eal --file-prefix "skms$$" -- \
	--dev "net_memif0,role=server,id=7,socket=$sock,socket-abstract=no" \
	--ip 198.18.1.1 --prefix 24 --seconds 40 --ready "$dir/sready" >"$dir/sout" 2>"$dir/serr" &
spid=$!
for _ in $(seq 100); do [ -s "$dir/sready" ] && break; kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
if [ ! -s "$dir/sready" ]; then echo "FAIL: memif server did not come up"; cat "$dir/serr"; exit 1; fi

"$bin" -l "$ccore" $eal --file-prefix "skmc$$" -- \
	--dev "net_memif1,role=client,id=7,socket=$sock,socket-abstract=no" \
	--ip 198.18.1.2 --prefix 24 --seconds 30 --ping 198.18.1.1 --count 10 \
	--ping-interval-ms 20 >"$dir/cout" 2>"$dir/cerr" &
cpid=$!
wait "$cpid"; crc=$?
cpid=""
kill -TERM "$spid"
wait "$spid"; src=$?
spid=""

echo "--- client"; grep -v ' 0$' "$dir/cout"
echo "--- server"; grep -v ' 0$' "$dir/sout"
check "client exited cleanly" [ "$crc" -eq 0 ]
check "server exited cleanly" [ "$src" -eq 0 ]
check "client sent 10 echo requests" eq "$(counter "$dir/cout" stat echo_sent)" 10
check "client got 10 echo replies" eq "$(counter "$dir/cout" stat icmp_echo_reply)" 10
check "server answered 10 echo requests" eq "$(counter "$dir/sout" stat icmp_echo)" 10
check "client resolved the server by ARP" ge "$(counter "$dir/cout" stat arp_rx_reply)" 1
check "server answered ARP" ge "$(counter "$dir/sout" stat arp_tx_reply)" 1
nock() {  # no checksum drops in file
	[ "$(counter "$1" drop ip_cksum)" = 0 ] && [ "$(counter "$1" drop icmp_cksum)" = 0 ]
}
check "no checksum drops (software checksums both ways)" nock "$dir/cout"
check "no checksum drops on the server" nock "$dir/sout"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
