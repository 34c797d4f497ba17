#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop: skiff_peer (RSocket engine over the posix stack) against rsocket-js 0.0.27, both ways,
# on 127.0.0.1. Exit 77 when node or tests/interop/node_modules are missing. Every wait is bounded
# and every process started here is ended by its pid. Last line: "N passed, N failed".
set -u
peer=$1
src=$2
nm=${SKIFF_INTEROP_NODE_MODULES:-$src/tests/interop/node_modules}
here=$src/tests/interop/engine
if ! command -v node >/dev/null 2>&1; then echo "skip: no node"; exit 77; fi
if [ ! -d "$nm/rsocket-core" ] || [ ! -d "$nm/rsocket-tcp-client" ] || [ ! -d "$nm/rsocket-tcp-server" ]; then
	echo "skip: rsocket-js not installed in $nm (npm ci in tests/interop)"; exit 77
fi
export NODE_PATH=$nm
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_ready() { # file, seconds
	for _ in $(seq 1 $(( $2 * 10 ))); do grep -q READY "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
pass=0; fail=0
add_counts() { # file
	local l; l=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
	if [ -z "$l" ]; then fail=$((fail + 1)); return; fi
	pass=$((pass + $(echo "$l" | cut -d' ' -f1))); fail=$((fail + $(echo "$l" | cut -d' ' -f3)))
}

# 1. rsocket-js client -> skiff server: whole frames, then everything fragmented at 1024 bytes
# (rsocket-js reassembles: the 200000-byte response arrives in ~200 fragments).
for frag in 0 1024; do
	port=$(free_port)
	"$peer" server "$port" 25 "$frag" >"$tmp/srv.out" 2>"$tmp/srv.err" &
	spid=$!; pids+=("$spid")
	if wait_ready "$tmp/srv.out" 10; then
		echo "== rsocket-js client -> skiff server (fragment_size $frag)"
		timeout 30 node "$here/js_client.js" "$port" >"$tmp/jsc.out" 2>&1
		cat "$tmp/jsc.out"
		add_counts "$tmp/jsc.out"
		# The client's last FNF ("quit") stops the server: it must exit 0 on its own.
		for _ in $(seq 1 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
		if wait "$spid"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: skiff server exit"; cat "$tmp/srv.err"; fi
		# With fragmentation on, the server really sent fragments.
		if [ "$frag" -gt 0 ]; then
			if grep -Eq 'fragments_tx=[1-9]' "$tmp/srv.err"; then pass=$((pass + 1)); else
				fail=$((fail + 1)); echo "FAIL: no fragments sent"; cat "$tmp/srv.err"; fi
		fi
	else
		echo "FAIL: skiff server not ready"; cat "$tmp/srv.err"; fail=$((fail + 1))
	fi
done

# 2. skiff client -> rsocket-js server.
port=$(free_port)
timeout 40 node "$here/js_server.js" "$port" 30 >"$tmp/jss.out" 2>&1 &
jpid=$!; pids+=("$jpid")
if wait_ready "$tmp/jss.out" 10; then
	echo "== skiff client -> rsocket-js server"
	timeout 30 "$peer" client "$port" 20 >"$tmp/cli.out" 2>"$tmp/cli.err"
	cat "$tmp/cli.out"
	grep FAIL "$tmp/cli.err"
	add_counts "$tmp/cli.out"
else
	echo "FAIL: rsocket-js server not ready"; cat "$tmp/jss.out"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
