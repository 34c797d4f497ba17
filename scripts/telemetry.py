#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Ask a running Skiff process one DPDK telemetry question and print the JSON answer.

    scripts/telemetry.py FILE_PREFIX [/skiff/stats]

FILE_PREFIX is the --file-prefix the process printed at start (e.g. skiff-echo-tap_1234). Waits up
to 5 s for the socket. The same as `echo /skiff/stats | dpdk-telemetry.py -f FILE_PREFIX`, without
the interactive prompt.
"""
import json
import os
import socket
import sys
import time


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    prefix, cmd = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "/skiff/stats")
    base = "/var/run/dpdk" if os.getuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp") + "/dpdk"
    path = os.path.join(base, prefix, "dpdk_telemetry.v2")
    deadline = time.time() + 5
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.1)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    try:
        s.connect(path)
        s.recv(16384)  # the greeting
        s.send(cmd.encode())
        reply = json.loads(s.recv(1 << 20).decode())
    except (OSError, ValueError) as e:
        print("telemetry: %s: %s" % (path, e), file=sys.stderr)
        return 1
    finally:
        s.close()
    print(json.dumps(reply, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
