#!/usr/bin/env python3
"""check_report.py REPORT.json RANKS TRANSPORT [--blocks N] — a te_bench report is complete.

Every result block has RANKS x (RANKS-1) links, each with bytes_per_second > 0 and status ok,
a RANKS x RANKS matrix with an empty diagonal, and the transport named TRANSPORT; over verbs,
every rank's chosen NICs in memory.ranks.
Exit 0 pass, 1 fail (reason on stderr).
"""
import json
import sys


def fail(msg):
    print("check_report: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, n, transport = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    blocks = int(sys.argv[sys.argv.index("--blocks") + 1]) if "--blocks" in sys.argv else None
    with open(path) as f:
        report = json.load(f)
    if report["world"]["size"] != n:
        fail("world size %s, want %d" % (report["world"]["size"], n))
    # Where the transport chooses NICs (verbs), every rank says which and why (its GPU-NIC
    # pairing with VRAM), in the JSON and on the terminal's NICs line.
    if transport == "verbs":
        ranks = report["memory"]["ranks"]
        if len(ranks) != n:
            fail("memory.ranks has %d entries, want %d" % (len(ranks), n))
        for r, m in enumerate(ranks):
            if not m.get("nics") or not m.get("nic_selection"):
                fail("memory.ranks[%d]: no nics / nic_selection: %s" % (r, m))
    results = report["results"]
    if blocks is not None and len(results) != blocks:
        fail("%d result blocks, want %d" % (len(results), blocks))
    for b in results:
        label = "%s %s %s" % (b["transport"], b["operation"], b["block_size"])
        if b["transport"] != transport:
            fail("%s: transport %s, want %s" % (label, b["transport"], transport))
        links = b["links"]
        if len(links) != n * (n - 1):
            fail("%s: %d links, want %d" % (label, len(links), n * (n - 1)))
        for l in links:
            if not l["bytes_per_second"] > 0 or l["status"] != "ok":
                fail("%s: link %d->%d: %s" % (label, l["initiator"], l["target"], l))
        m = b["matrix_bytes_per_second"]
        for i in range(n):
            for t in range(n):
                if (m[i][t] is None) != (i == t):
                    fail("%s: matrix[%d][%d] = %s" % (label, i, t, m[i][t]))
        print("check_report: ok: %s: %d links, median %.1f MB/s" %
              (label, len(links), b["summary"]["median_bytes_per_second"] / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
