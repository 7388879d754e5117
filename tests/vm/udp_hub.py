#!/usr/bin/env python3
"""udp_hub.py — a learning Ethernet switch between QEMU `-netdev socket,udp=` NICs on loopback.

Usage: udp_hub.py --ports-file FILE [--parent PID] NICPORT [NICPORT]...

For each guest NIC k (QEMU bound to 127.0.0.1:NICPORT_k) the hub binds one UDP socket on
127.0.0.1 (an ephemeral port, HUBPORT_k), writes "HUBPORT_0 HUBPORT_1 ..." to FILE (atomically,
once every socket is bound), and QEMU's NIC k is started with
  -netdev socket,id=...,udp=127.0.0.1:HUBPORT_k,localaddr=127.0.0.1:NICPORT_k
A frame (one datagram) that NIC k sends to HUBPORT_k goes to the NIC that last sent from its
destination MAC, or to every other NIC (broadcast, multicast, a MAC not seen yet), sent from
that NIC's own hub socket. Frames are never sent back to the NIC they came from.
The hub exits on SIGTERM / SIGINT, or within 1 s of PID (run_in_guest.sh) being gone, so
nothing is left behind if its parent dies without its traps. On its way out it prints one
line per NIC (frames received, frames sent to it, frames dropped for it) and its CPU time.
"""
import argparse
import os
import select
import signal
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ports-file", required=True)
    p.add_argument("--parent", type=int, default=0)
    p.add_argument("nic_ports", type=int, nargs="+")
    a = p.parse_args()

    socks = []
    for _ in a.nic_ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A burst of Soft-RoCE frames must not overflow the default (~200 KiB) buffers.
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            s.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        socks.append(s)
    tmp = a.ports_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join(str(s.getsockname()[1]) for s in socks) + "\n")
    os.rename(tmp, a.ports_file)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    n = len(socks)
    rx, tx, dropped = [0] * n, [0] * n, [0] * n
    def summary():
        for k in range(n):
            print("udp_hub: NIC %d (port %d): %d frames in, %d out, %d dropped"
                  % (k, a.nic_ports[k], rx[k], tx[k], dropped[k]), file=sys.stderr)
        t = os.times()
        print("udp_hub: CPU %.1f s" % (t.user + t.system), file=sys.stderr)
    try:
        forward(a, socks, rx, tx, dropped)
    finally:
        summary()
    return 0


def forward(a, socks, rx, tx, dropped):
    dests = [("127.0.0.1", port) for port in a.nic_ports]
    index = {s.fileno(): k for k, s in enumerate(socks)}
    others = [[j for j in range(len(socks)) if j != k] for k in range(len(socks))]
    where = {}  # source MAC -> NIC index it was last seen on
    checked = time.monotonic()
    while True:
        ready, _, _ = select.select(socks, [], [], 1.0)
        if a.parent and time.monotonic() - checked >= 1.0:
            if not os.path.exists("/proc/%d" % a.parent):
                return
            checked = time.monotonic()
        for s in ready:
            k = index[s.fileno()]
            while True:
                try:
                    frame = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except ConnectionRefusedError:  # an ICMP error from an earlier send
                    continue
                if len(frame) < 14:
                    continue
                rx[k] += 1
                where[frame[6:12]] = k
                out = where.get(frame[0:6])
                targets = others[k] if frame[0] & 1 or out is None else ([out] if out != k else [])
                for j in targets:
                    try:
                        socks[j].sendto(frame, dests[j])
                        tx[j] += 1
                    except (BlockingIOError, ConnectionRefusedError):
                        dropped[j] += 1  # the NIC is not up yet, or its socket is full


if __name__ == "__main__":
    sys.exit(main())
