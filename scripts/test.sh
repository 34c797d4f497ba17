#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Setup, build, and run every test suite. Ends with one "N passed, N failed" line (Check cases and
# scripted checks counted one by one) and exits non-zero on any failure.
#
#   scripts/test.sh                 everything: release build (unit, integration, interop),
#                                   ASan+UBSan build (unit), clang libFuzzer build (fuzz, bounded)
#   scripts/test.sh unit interop    only the named suites (of the release build)
#   SKIFF_NO_ASAN=1 / SKIFF_NO_FUZZ=1  leave out those builds
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log() { printf '== %s\n' "$*"; }

# A step that fails before its tests report (setup, configure, a build) still ends the run with
# the closing "N passed, N failed" line, counted as one failure named after the step.
logs=()
step="setup (scripts/setup.sh)"
summarised=0
finish() {
	local rc=$?
	if [ "$summarised" -eq 0 ]; then
		python3 scripts/test_summary.py --fail "$step: exit status $rc" "${logs[@]}" || true
		[ "$rc" -ne 0 ] || rc=1
	fi
	exit "$rc"
}
trap finish EXIT

bash scripts/setup.sh

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration interop)
all=0; [ $# -eq 0 ] && all=1

configure() {   # dir, then meson args
	local d=$1; shift
	if [ ! -f "$d/build.ninja" ]; then meson setup "$d" "$@" >/dev/null; fi
}

run_suites() {  # dir, suites...
	local d=$1; shift
	local args=()
	for s in "$@"; do args+=(--suite "$s"); done
	# Failures are counted from the log below; keep going so every suite reports.
	meson test -C "$d" --no-rebuild --print-errorlogs "${args[@]}" || true
	# A suite with no tests writes no log: then there is nothing to count for it.
	if [ -f "$d/meson-logs/testlog.json" ]; then
		cp "$d/meson-logs/testlog.json" "$d/meson-logs/testlog.$$.json"
		logs+=("$d/meson-logs/testlog.$$.json")
	fi
	return 0
}

log "release build (build/)"
step="release build (build/)"
configure build
ninja -C build
run_suites build "${suites[@]}"

if [ $all -eq 1 ] && [ -z "${SKIFF_NO_ASAN:-}" ]; then
	log "ASan+UBSan build (build-asan/): unit suite"
	step="ASan+UBSan build (build-asan/)"
	configure build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_suites build-asan unit
fi

if [ $all -eq 1 ] && [ -z "${SKIFF_NO_FUZZ:-}" ] && command -v clang >/dev/null 2>&1; then
	log "libFuzzer build (build-fuzz/): bounded fuzz runs"
	step="libFuzzer build (build-fuzz/)"
	CC=clang configure build-fuzz -Dbuildtype=debugoptimized -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-fuzz
	run_suites build-fuzz fuzz
fi

summarised=1
python3 scripts/test_summary.py "${logs[@]}"
