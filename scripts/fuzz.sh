#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Longer libFuzzer run of one target: scripts/fuzz.sh TARGET SECONDS
#   TARGET: fuzz_frame_reader | fuzz_composite
# Configures build-fuzz/ with clang (ASan+UBSan+libFuzzer) if needed, builds, then fuzzes from the
# shipped seed corpus (tests/fuzz/corpus/TARGET) into build-fuzz/tests/fuzz/corpus-work/TARGET.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ $# -eq 2 ] || { echo "usage: $0 TARGET SECONDS" >&2; exit 2; }
t=$1; secs=$2
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dbuildtype=debugoptimized -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz "tests/fuzz/$t"
exec tests/fuzz/run_fuzz.sh "$top/build-fuzz/tests/fuzz/$t" "$top/tests/fuzz/corpus/$t" \
	"$top/build-fuzz/tests/fuzz/corpus-work/$t" "$secs"
