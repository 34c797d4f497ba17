#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Idempotent machine setup for Skiff on Debian 12: packages, hugepages, node peers for interop tests.
# Safe to run again and again; prints what it did and what it could not do.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'setup: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
		say "not root and no sudo: packages and hugepages are left as they are"; fi
fi

# --- Debian packages -------------------------------------------------------------------------
pkgs=(libdpdk-dev dpdk dpdk-dev libhyperscan-dev libjemalloc-dev check meson ninja-build pkg-config
      iproute2 iputils-ping python3 clang libclang-rt-14-dev libnuma-dev procps psmisc)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm: this machine may carry its own build (not Debian's); only install when absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
		say "installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		$SUDO apt-get update -qq
		$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		say "missing packages (install them as root): ${missing[*]}"; exit 1
	fi
else
	say "packages: all present"
fi

# --- Hugepages ---------------------------------------------------------------------------------
want_pages=${SKIFF_HUGEPAGES:-512}   # 2 MB pages: 1 GiB by default
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ "$(id -u)" -eq 0 ]; then
	if ! grep -q '^nodev /dev/hugepages hugetlbfs\|hugetlbfs /dev/hugepages' /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages 2>/dev/null ||
			say "could not mount hugetlbfs on /dev/hugepages: everything runs with --no-huge"
	fi
	if [ -w "$hp" ] && [ "$(cat "$hp")" -lt "$want_pages" ]; then
		echo "$want_pages" > "$hp" 2>/dev/null || true
	fi
	got=$(cat "$hp" 2>/dev/null || echo 0)
	if [ "$got" -ge 64 ] && grep -q ' /dev/hugepages hugetlbfs' /proc/mounts; then
		say "hugepages: $got x 2 MB reserved, mounted on /dev/hugepages"
	else
		say "hugepages: not available ($got pages): everything runs with --no-huge"
	fi
else
	say "hugepages: not root, left as they are; tests run with --no-huge"
fi

# --- Node peers for interop tests ---------------------------------------------------------------
if [ -f "$top/tests/interop/package.json" ]; then
	if [ ! -d "$top/tests/interop/node_modules/rsocket-core" ]; then
		say "npm: installing rsocket-js peers in tests/interop"
		(cd "$top/tests/interop" && npm ci --no-audit --no-fund --silent 2>/dev/null ||
			npm install --no-audit --no-fund --silent) || say "npm install failed: interop suite will be skipped"
	else
		say "npm: rsocket-js peers present"
	fi
fi
exit 0
