#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel-socket client for skiff-echo over loopback: many connections at once through one
selector, each sending its own random bytes and half-closing, each checking by sha256 that exactly
its bytes came back before the server's FIN. Prints one 'PASS name' / 'FAIL name: why' line per
check; exit status 0 when all passed. Every wait is bounded."""
import hashlib, os, selectors, socket, sys, time

def run(port, n_conns, size, deadline_s):
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(n_conns):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(('127.0.0.1', port))
        data = os.urandom(size)
        c = {'s': s, 'data': data, 'off': 0, 'h': hashlib.sha256(), 'got': 0, 'eof': False,
             'shut': False}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    end = time.monotonic() + deadline_s
    open_ = n_conns
    while open_ and time.monotonic() < end:
        for key, ev in sel.select(timeout=0.2):
            c = key.data
            s = c['s']
            if ev & selectors.EVENT_WRITE and not c['shut']:
                try:
                    n = s.send(c['data'][c['off']:c['off'] + 262144])
                    c['off'] += n
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass  # not connected yet
                if c['off'] == len(c['data']):
                    s.shutdown(socket.SHUT_WR)
                    c['shut'] = True
                    sel.modify(s, selectors.EVENT_READ, c)
            if ev & selectors.EVENT_READ:
                try:
                    b = s.recv(262144)
                except (BlockingIOError, InterruptedError):
                    continue
                if not b:
                    c['eof'] = True
                    sel.unregister(s)
                    s.close()
                    open_ -= 1
                else:
                    c['h'].update(b)
                    c['got'] += len(b)
    ok = all(c['eof'] and c['got'] == len(c['data']) and
             c['h'].digest() == hashlib.sha256(c['data']).digest() for c in conns)
    bad = [i for i, c in enumerate(conns) if not (c['eof'] and c['got'] == len(c['data']))]
    for c in conns:
        if not c['eof']:
            c['s'].close()
    return ok, bad, sum(len(c['data']) for c in conns)

def main():
    port = int(sys.argv[1])
    checks = [('one stream 64 MiB', 1, 64 << 20, 60),
              ('200 streams x 256 KiB', 200, 256 << 10, 60),
              ('1000 streams x 1 KiB', 1000, 1 << 10, 60)]
    total = 0
    failed = 0
    for name, n, size, dl in checks:
        ok, bad, sent = run(port, n, size, dl)
        total += sent
        if ok:
            print('PASS %s' % name)
        else:
            failed += 1
            print('FAIL %s: %d streams incomplete or corrupt (first %s)' % (name, len(bad), bad[:5]))
    print('BYTES %d' % total)
    sys.exit(1 if failed else 0)

main()
