#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Configuration errors of the sections sk_main() adds ([stack], [rsocket], [routes], [listen]) name
# file:line and say what is allowed. Each file in bad/ starts with "# expect: TEXT"; the line blamed
# is the last line of the file (its offending key) unless a "# line: N" comment says otherwise. skiff-echo
# --check-config must exit 2 with "FILE:LINE: ...TEXT" on stderr. The shipped configurations must
# pass --check-config. No root, no EAL. Last line: "N passed, N failed".
set -u
echo_bin=$1 src=$2
pass=0 fail=0
for f in "$src"/tests/integration/apps/bad/*.conf; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	line=$(sed -n 's/^# line: \([0-9]*\).*/\1/p' "$f")
	[ -n "$line" ] || line=$(wc -l <"$f")
	out=$("$echo_bin" -c "$f" --check-config 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 2 ] && printf '%s\n' "$out" | grep -qF "$f:$line: $want"; then
		pass=$((pass + 1)); echo "ok: $(basename "$f"): $f:$line: $want"
	else
		fail=$((fail + 1)); echo "FAIL: $(basename "$f") (exit $rc), wanted \"$f:$line: $want\", got:"
		printf '%s\n' "$out"
	fi
done
for f in echo.conf echo-tap.conf; do
	if "$echo_bin" -c "$src/conf/$f" --check-config >/dev/null 2>&1; then
		pass=$((pass + 1)); echo "ok: conf/$f passes --check-config"
	else
		fail=$((fail + 1)); echo "FAIL: conf/$f --check-config"
	fi
done
load_bin=$(dirname "$echo_bin")/../load/skiff-load
if "$load_bin" -c "$src/conf/load.conf" --check-config >/dev/null 2>&1; then
	pass=$((pass + 1)); echo "ok: conf/load.conf passes skiff-load --check-config"
else
	fail=$((fail + 1)); echo "FAIL: conf/load.conf --check-config"
fi
if "$echo_bin" --help | grep -q '\[routes\]'; then pass=$((pass + 1)); echo "ok: --help lists [routes]"; else
	fail=$((fail + 1)); echo "FAIL: --help"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
