#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop suite entry: run_interop.sh SCRIPT.js TOOL. Skips (exit 77) with the reason when node or
# the rsocket-js packages (tests/interop/node_modules, installed by scripts/setup.sh) are absent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node is not installed (needed for the rsocket-js interop suite)"
	exit 77
fi
if [ ! -d "$here/node_modules/rsocket-core" ]; then
	echo "SKIP: $here/node_modules/rsocket-core missing: run scripts/setup.sh (npm ci in tests/interop)"
	exit 77
fi
exec node "$1" "$2"
