#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per frame for every skiff-bench-codec figure, counted by callgrind (loop overhead of
# the benchmark included). Usage: tests/bench/codec/callgrind.sh [BUILD_DIR] [--json]
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$top/build}
bench=$build/tests/bench/codec/skiff-bench-codec
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
iters=1048576   # a multiple of the reader benchmark's 4096-frame stream
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json=""
for pair in rr_encode:rr_encode rr_encode_md:rr_encode_md rr_decode:rr_decode \
	    rr_decode_route:rr_decode_route payload_encode:payload_encode \
	    payload_decode:payload_decode request_n_encode:request_n_encode \
	    request_n_decode:request_n_decode reader_decode_1460:reader_decode \
	    chain_payload_encode:chain_payload; do
	name=${pair%%:*}; fn=${pair##*:}
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" --toggle-collect="bench_$fn" \
		"$bench" --only "$name" --no-warmup --iters $iters >/dev/null 2>"$tmp/err"
	ir=$(awk '/^summary:/ {print $2}' "$tmp/cg")
	per=$(awk -v a="$ir" -v b=$iters 'BEGIN {printf "%.1f", a / b}')
	printf '%-22s %8s instructions/frame\n' "$name" "$per"
	json="$json,\"${name}_instr\":$per"
done
[ "${2:-}" = "--json" ] && echo "{\"bench\":\"codec_callgrind\"$json}"
exit 0
