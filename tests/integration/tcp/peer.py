#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Kernel-side peers for the native TCP integration tests (run inside the test's namespace).
#   peer.py echo-client HOST PORT BYTES [SPORT]  send BYTES random bytes, read the echo back,
#                                              compare sha256 of what went out and what came back
#                                              (from local port SPORT when given)
#   peer.py many HOST PORT CONNS BYTES         CONNS concurrent connections (all open at once), each
#                                              sends BYTES and checks its echo byte for byte
#   peer.py half-close HOST PORT BYTES         send, shutdown(SHUT_WR), the echo and EOF still come
#   peer.py refused HOST PORT                  connect to a port without listener: must get RST
#   peer.py echo-server PORT BYTES READYFILE   accept one connection, check that the BYTES received
#                                              follow skiff-tcp-test's pattern, echo them back
#   peer.py echo-server-many PORT CONNS BYTES READYFILE PORTSFILE
#                                              the same for CONNS connections at once; writes the
#                                              clients' source ports to PORTSFILE, one a line
#   peer.py flow-queue SRC DST SPORT DPORT QUEUES  the queue dp_port_flow_queue() gives the flow
#                                              (Toeplitz, key 0x6d,0x5a repeated, no RETA)
#   peer.py steer-port SRC DST DPORT QUEUES Q  a source port >= 20000 whose flow SRC:p -> DST:DPORT
#                                              hashes to queue Q (for a kernel client)
# Every wait is bounded. Prints one line and exits 0 on success, 1 on failure.
import hashlib
import os
import selectors
import socket
import sys
import threading
import time

TIMEOUT = float(os.environ.get("PEER_TIMEOUT", "300"))


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def echo_client(host, port, nbytes, sport=0):
    s = socket.create_connection((host, port), timeout=10,
                                 source_address=("0.0.0.0", sport) if sport else None)
    s.settimeout(TIMEOUT)
    chunk = os.urandom(1 << 20)
    tx_hash = hashlib.sha256()
    rx_hash = hashlib.sha256()
    got = [0]
    err = []

    def reader():
        try:
            while got[0] < nbytes:
                b = s.recv(1 << 20)
                if not b:
                    break
                rx_hash.update(b)
                got[0] += len(b)
        except Exception as e:  # noqa: BLE001
            err.append(e)

    t = threading.Thread(target=reader)
    t.start()
    t0 = time.time()
    sent = 0
    while sent < nbytes:
        piece = chunk[: min(len(chunk), nbytes - sent)]
        s.sendall(piece)
        tx_hash.update(piece)
        sent += len(piece)
    s.shutdown(socket.SHUT_WR)
    t.join(TIMEOUT)
    dt = time.time() - t0
    if t.is_alive() or err:
        fail("echo-client: reader stuck or failed (%s), got %d of %d" % (err, got[0], nbytes))
    # after the echo, the stack closes: EOF
    s.settimeout(10)
    if s.recv(1) != b"":
        fail("echo-client: data after the echo")
    s.close()
    if got[0] != nbytes or tx_hash.digest() != rx_hash.digest():
        fail("echo-client: %d bytes back of %d, sha256 %s" % (got[0], nbytes,
             "equal" if tx_hash.digest() == rx_hash.digest() else "differs"))
    print("ok: echo-client %d bytes, sha256 %s, %.1f MB/s each way" %
          (nbytes, tx_hash.hexdigest()[:16], nbytes / dt / 1e6), flush=True)


def many(host, port, conns, nbytes):
    sel = selectors.DefaultSelector()
    state = {}
    for i in range(conns):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        payload = os.urandom(nbytes)
        state[s] = {"out": payload, "sent": 0, "back": bytearray(), "want": payload,
                    "connected": False}
        sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ)
    deadline = time.time() + TIMEOUT
    done = 0
    peak_open = 0
    while done < conns and time.time() < deadline:
        peak_open = max(peak_open, len(state) - done)
        for key, ev in sel.select(timeout=1):
            s = key.fileobj
            st = state[s]
            if ev & selectors.EVENT_WRITE and st["sent"] < len(st["out"]):
                e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e != 0:
                    fail("many: connect error %d" % e)
                st["sent"] += s.send(st["out"][st["sent"]:])
                if st["sent"] == len(st["out"]):
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    b = s.recv(65536)
                except BlockingIOError:
                    continue
                st["back"] += b
                if len(st["back"]) >= nbytes or not b:
                    if bytes(st["back"]) != st["want"]:
                        fail("many: echo mismatch (%d bytes back)" % len(st["back"]))
                    sel.unregister(s)
                    done += 1
    if done != conns:
        fail("many: %d of %d connections done" % (done, conns))
    for s in state:
        s.close()
    print("ok: many %d concurrent connections, %d bytes each echoed" % (conns, nbytes), flush=True)


def half_close(host, port, nbytes):
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(30)
    data = os.urandom(nbytes)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)          # our FIN: the stack's side stays open for sending
    back = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        back += b
    s.close()
    if bytes(back) != data:
        fail("half-close: %d bytes back of %d" % (len(back), nbytes))
    print("ok: half-close, %d bytes echoed after our FIN, then EOF" % nbytes, flush=True)


def refused(host, port):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((host, port))
    except ConnectionRefusedError:
        print("ok: refused (RST)", flush=True)
        return
    except Exception as e:  # noqa: BLE001
        fail("refused: %r" % e)
    fail("refused: connected")


def pattern_block(off, n, base, tables):
    # skiff-tcp-test's pattern: byte(off) = (off*131 + (off >> 11) + 17) & 0xff, built per
    # 2048-byte block (off >> 11 constant inside) from a precomputed base and a translate table.
    out = bytearray()
    while n > 0:
        k = off >> 11
        start = off & 2047
        take = min(n, 2048 - start)
        out += base[start:start + take].translate(tables[(k + 17) & 0xff])
        off += take
        n -= take
    return bytes(out)


def echo_server(port, nbytes, ready):
    base = bytes((i * 131) & 0xff for i in range(2048))
    tables = [bytes((i + a) & 0xff for i in range(256)) for a in range(256)]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    with open(ready, "w") as f:
        f.write("up\n")
    ls.settimeout(60)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    got = 0
    t0 = time.time()
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        if b != pattern_block(got, len(b), base, tables):
            fail("echo-server: pattern mismatch at offset %d" % got)
        got += len(b)
        c.sendall(b)
    dt = time.time() - t0
    c.shutdown(socket.SHUT_WR)
    c.close()
    ls.close()
    if got != nbytes:
        fail("echo-server: received %d of %d" % (got, nbytes))
    print("ok: echo-server %d bytes checked and echoed, %.1f MB/s each way" %
          (got, got / dt / 1e6), flush=True)


def echo_server_many(port, conns, nbytes, ready, ports_file):
    base = bytes((i * 131) & 0xff for i in range(2048))
    tables = [bytes((i + a) & 0xff for i in range(256)) for a in range(256)]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1024)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    with open(ready, "w") as f:
        f.write("up\n")
    deadline = time.time() + TIMEOUT
    accepted = 0
    done = 0
    ports = []
    while done < conns and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            if key.data is None:
                c, addr = ls.accept()
                c.setblocking(False)
                ports.append(addr[1])
                accepted += 1
                sel.register(c, selectors.EVENT_READ, {"got": 0, "out": bytearray()})
                continue
            c = key.fileobj
            st = key.data
            try:
                b = c.recv(1 << 16)
            except BlockingIOError:
                continue
            if b:
                if b != pattern_block(st["got"], len(b), base, tables):
                    fail("echo-server-many: pattern mismatch at offset %d" % st["got"])
                st["got"] += len(b)
                c.setblocking(True)
                c.settimeout(TIMEOUT)
                c.sendall(b)
                c.setblocking(False)
                continue
            sel.unregister(c)
            c.setblocking(True)
            c.shutdown(socket.SHUT_WR)
            c.close()
            if st["got"] != nbytes:
                fail("echo-server-many: received %d of %d" % (st["got"], nbytes))
            done += 1
    with open(ports_file, "w") as f:
        f.write("".join("%d\n" % p for p in ports))
    if done != conns:
        fail("echo-server-many: %d of %d connections done (%d accepted)" % (done, conns, accepted))
    print("ok: echo-server-many %d connections, %d bytes each checked and echoed" %
          (conns, nbytes), flush=True)


# The symmetric Toeplitz hash of dataplane/net (dp_port_flow_hash: rte_softrss over the host-order
# words src, dst, sport << 16 | dport, key 0x6d,0x5a repeated) and the queue rule without a RETA.
RSS_KEY = bytes([0x6d, 0x5a] * 20)


def toeplitz(data, key=RSS_KEY):
    k = int.from_bytes(key, "big")
    kbits = len(key) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                pos = i * 8 + b
                h ^= (k >> (kbits - 32 - pos)) & 0xffffffff
    return h


def flow_queue(src, dst, sport, dport, queues):
    words = [int.from_bytes(socket.inet_aton(src), "big"),
             int.from_bytes(socket.inet_aton(dst), "big"),
             (sport << 16) | dport]
    return toeplitz(b"".join(w.to_bytes(4, "big") for w in words)) % queues


def main():
    a = sys.argv[1:]
    if not a:
        fail("usage")
    if a[0] == "echo-client":
        echo_client(a[1], int(a[2]), int(a[3]), int(a[4]) if len(a) > 4 else 0)
    elif a[0] == "many":
        many(a[1], int(a[2]), int(a[3]), int(a[4]))
    elif a[0] == "half-close":
        half_close(a[1], int(a[2]), int(a[3]))
    elif a[0] == "refused":
        refused(a[1], int(a[2]))
    elif a[0] == "echo-server":
        echo_server(int(a[1]), int(a[2]), a[3])
    elif a[0] == "echo-server-many":
        echo_server_many(int(a[1]), int(a[2]), int(a[3]), a[4], a[5])
    elif a[0] == "flow-queue":
        print(flow_queue(a[1], a[2], int(a[3]), int(a[4]), int(a[5])))
    elif a[0] == "steer-port":
        want = int(a[5])
        for p in range(20000, 30000):
            if flow_queue(a[1], a[2], p, int(a[3]), int(a[4])) == want:
                print(p)
                return
        fail("steer-port: none found")
    else:
        fail("unknown mode " + a[0])


if __name__ == "__main__":
    main()
