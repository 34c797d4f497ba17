#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# DPDK to DPDK over net_memif: our stack on both ends. One skiff-tcp-test is the echo server
# (memif role=server, 198.18.0.2), another the client (role=client, 198.18.0.1) that opens several
# connections, sends a byte pattern on each and checks every echoed byte. The two processes run on
# different lcores with the adaptive idle sleep. No namespace is needed (memif is a unix socket in
# this test's own directory); the socket and DPDK runtime files are removed on any exit.
#
#   memif_tcp.sh path/to/skiff-tcp-test
set -u
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

stop_pid() {
	local p=$1
	[ -n "$p" ] || return 0
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null
}
cleanup() {
	stop_pid "$cpid"
	stop_pid "$spid"
	rm -rf "$dir" /var/run/dpdk/skmif$$s /var/run/dpdk/skmif$$c
}
trap cleanup EXIT
check() {
	local name=$1; shift
	if "$@"; then echo "ok: $name"; passed=$((passed + 1));
	else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
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
stop_pid "$spid"; spid=""
grep '^result' "$dir/cout" | sed 's/^/    client /'
grep '^result' "$dir/sout" | sed 's/^/    server /'
check "client: $conns connections x $bytes bytes echoed, every byte checked" [ "$crc" -eq 0 ]
check "server accepted $conns connections" [ "$(awk '$1=="result" && $2=="accepted" {print $3}' "$dir/sout")" = "$conns" ]
check "client connected $conns times" [ "$(counter "$dir/cout" ACTIVE_OPENS)" = "$conns" ]
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
