#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sum meson test logs into one closing line: 'N passed, N failed, N skipped'.

A test program that prints Check's summary ("NN%: Checks: X, Failures: F, Errors: E") counts as X
cases; one that prints its own 'N passed, N failed[, N skipped]' line counts as its last such line; any other test
counts as one case. A program that failed (crash, timeout, non-zero exit) with no failure in its
counts adds one failed case, so a crash can never hide behind earlier passes. Each '--fail WHAT'
argument adds one failed case named WHAT (a step that failed before its tests could run, such as a
build). Exit status: 1 if anything failed, else 0."""
import json, re, sys

CHECK = re.compile(r'^\d+%: Checks: (\d+), Failures: (\d+), Errors: (\d+)', re.M)
PLAIN = re.compile(r'^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$', re.M)

def main(args):
    tp = tf = ts = 0
    bad = []
    paths = []
    while args:
        a = args.pop(0)
        if a == '--fail' and args:
            bad.append(args.pop(0))
            tf += 1
        else:
            paths.append(a)
    for path in paths:
        with open(path) as f:
            for line in f:
                t = json.loads(line)
                out = (t.get('stdout') or '') + (t.get('stderr') or '')
                res = t['result']
                p = fl = s = 0
                m = CHECK.findall(out)
                q = PLAIN.findall(out)
                if m:
                    for c, fa, er in m:
                        p += int(c) - int(fa) - int(er); fl += int(fa) + int(er)
                elif q:
                    # The program's final tally only: a script may echo a sub-tool's line
                    # (e.g. a node client's) before its own total, which already includes it.
                    a, b, c = q[-1]
                    p, fl, s = int(a), int(b), int(c or 0)
                elif res == 'OK':
                    p = 1
                elif res == 'SKIP':
                    s = 1
                if res not in ('OK', 'SKIP', 'EXPECTEDFAIL') and fl == 0:
                    fl = 1
                if fl:
                    bad.append('%s (%s)' % (t['name'], res))
                tp += p; tf += fl; ts += s
    for b in bad:
        print('failed: ' + b)
    print('%d passed, %d failed, %d skipped' % (tp, tf, ts))
    return 1 if tf or not (tp or tf) else 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
