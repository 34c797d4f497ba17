#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# DPDK to DPDK over net_memif: our stack on both ends. One skiff-tcp-test is the echo server
# (memif role=server, 198.18.0.2), another the client (role=client, 198.18.0.1) that opens several
# connections, sends a byte pattern on each and checks every echoed byte. The two processes run on
# different lcores with the adaptive idle sleep. No namespace is needed (memif is a unix socket in
# this test's own directory); the socket and DPDK runtime files are removed on any exit.
# Two more client processes follow against the same server: 16 connections opened at once (the
# SYN burst must wait for ARP, none lost), then a connection-rate run (2,000 short connections, 16
# in flight: open, 64-byte echo checked, client close) on an ephemeral range of 1,100 ports, so
# that tuples evicted from the client's bounded TIME-WAIT table (1,024) are opened again.
#
#   memif_tcp.sh path/to/skiff-tcp-test
set -u
. "$(dirname "$0")/../lib.sh"
bin=$1
bytes=${SKIFF_MEMIF_BYTES:-67108864}
conns=${SKIFF_MEMIF_CONNS:-4}
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (memif socket and vdev hot-plug as in CI)"; exit 77; fi
dir=$(mktemp -d /tmp/skmif.XXXXXX)
sock=$dir/memif.sock
spid=""
cpid=""
passed=0
failed=0

cleanup() {
	stop_pid "$cpid"
	stop_pid "$spid"
	rm -rf "$dir" /var/run/dpdk/skmif$$s /var/run/dpdk/skmif$$c
}
trap cleanup EXIT
counter() { awk -v k="$2" '$1 == "tcp" && $2 == k { print $3 }' "$1"; }

lc_server=0
lc_client=$(( $(nproc) > 1 ? 1 : 0 ))
"$bin" -l "$lc_server" --no-huge -m 512 --no-pci --no-shconf --no-telemetry \
	--file-prefix "skmif$$s" --log-level=lib.eal:error \
	-- --dev "net_memif0,role=server,socket=$sock,id=0" --ip 198.18.0.2 --prefix 24 \
	--echo 7 --seconds 300 --ready "$dir/sready" >"$dir/sout" 2>"$dir/serr" &
spid=$!
for _ in $(seq 100); do [ -s "$dir/sready" ] && break; kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
if [ ! -s "$dir/sready" ]; then
	echo "skip: memif server did not start (net_memif missing?)"; cat "$dir/serr"; exit 77
fi
"$bin" -l "$lc_client" --no-huge -m 512 --no-pci --no-shconf --no-telemetry \
	--file-prefix "skmif$$c" --log-level=lib.eal:error \
	-- --dev "net_memif0,role=client,socket=$sock,id=0" --ip 198.18.0.1 --prefix 24 \
	--connect 198.18.0.2:7 --bytes "$bytes" --conns "$conns" --seconds 240 \
	>"$dir/cout" 2>"$dir/cerr" &
cpid=$!
wait "$cpid"; crc=$?
cpid=""
grep '^result' "$dir/cout" | sed 's/^/    client /'
check "client: $conns connections x $bytes bytes echoed, every byte checked" [ "$crc" -eq 0 ]
check "client connected $conns times" [ "$(counter "$dir/cout" ACTIVE_OPENS)" = "$conns" ]

client() {  # out-file args...: one more client process against the same server
	local out=$1; shift
	"$bin" -l "$lc_client" --no-huge -m 512 --no-pci --no-shconf --no-telemetry \
		--file-prefix "skmif$$c" --log-level=lib.eal:error \
		-- --dev "net_memif0,role=client,socket=$sock,id=0" --ip 198.18.0.1 --prefix 24 \
		--connect 198.18.0.2:7 --seconds 30 "$@" >"$out" 2>"$out.err" &
	cpid=$!
	wait "$cpid"; local rc=$?
	cpid=""
	rm -rf /var/run/dpdk/skmif$$c
	return $rc
}
netdrop() { awk -v k="$2" '$1 == "net" && $2 == "drop" && $3 == k { print $4 }' "$1"; }

# A new process: empty ARP cache, 16 SYNs at once. Every SYN must survive the wait for ARP
# (it used to hold 8: the other 8 waited for the 1 s initial RTO).
client "$dir/burst" --bytes 65536 --conns 16; brc=$?
check "burst: 16 connections opened at once, every byte echoed" [ "$brc" -eq 0 ]
check "burst: no SYN lost waiting for ARP (arp_queue_full 0, SYN retransmits 0)" \
	[ "$(netdrop "$dir/burst" arp_queue_full)" = 0 ] && [ "$(counter "$dir/burst" REXMIT_SYN)" = 0 ]

cr_n=2000
client "$dir/cr" --connrate $cr_n --inflight 16 --eph 50000-51099; crrc=$?
grep -E '^connrate' "$dir/cr" | sed 's/^/    /'
check "connrate: $cr_n connections opened, echoed (64 bytes checked) and closed" \
	[ "$crrc" -eq 0 ] && grep -q "^connrate n $cr_n started $cr_n ok $cr_n failed 0 " "$dir/cr"
check "connrate: TIME-WAIT table evicted >= $((cr_n - 1024)), evicted tuples reused (1,100 ports)" \
	[ "$(counter "$dir/cr" TW_EVICTED)" -ge $((cr_n - 1024)) ] && [ "$(counter "$dir/cr" ACTIVE_OPENS)" = $cr_n ]
# A reused tuple that met stale state on the server would cost a SYN retransmission (1 s). RSTs and
# RTO retransmissions are printed, not checked: a process stalled for longer than the 50 ms minimum
# RTO on a busy machine can cause them without anything being wrong.
echo "    client rexmit_rto $(counter "$dir/cr" REXMIT_RTO) out_rst $(counter "$dir/cr" OUT_RST)"
check "connrate: no SYN retransmitted (no reused tuple met stale state)" \
	[ "$(counter "$dir/cr" REXMIT_SYN)" = 0 ]

stop_pid "$spid"; spid=""
grep '^result' "$dir/sout" | sed 's/^/    server /'
total=$((conns + 16 + cr_n))
check "server accepted and closed $total connections" \
	[ "$(awk '$1=="result" && $2=="accepted" {print $3 " " $5}' "$dir/sout")" = "$total $total" ]
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
