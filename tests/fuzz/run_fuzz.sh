#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run one libFuzzer target for a bounded time: run_fuzz.sh EXE SEED_CORPUS WORK_CORPUS SECONDS.
# New inputs land in WORK_CORPUS (never in the shipped seed corpus); a crash input is written
# under WORK_CORPUS/.. and fails the run.
set -euo pipefail
exe=$1; seeds=$2; work=$3; secs=$4
mkdir -p "$work"
cd "$(dirname "$work")"
exec "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	"$work" "$seeds"
