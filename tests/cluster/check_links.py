#!/usr/bin/env python3
"""check_links.py REPORT.json SLOW_A SLOW_B — the slow link must be the slowest.

REPORT.json has links[] with initiator, target, bytes_per_second. SLOW_A / SLOW_B are
host names (h1, h2): initiator/target may be host names, ranks (rank N runs on hN
in the netns cluster: one slot per host, by-slot mapping), or objects with a
host/hostname/rank field. Passes when A->B and B->A are the two lowest
bytes_per_second of all links. Exit 0 pass, 1 fail (reason on stderr).
"""
import json
import re
import sys


def host(v):
    if isinstance(v, dict):
        for k in ("host", "hostname", "node", "name", "rank"):
            if k in v:
                return host(v[k])
        return str(v)
    if isinstance(v, int):
        return "h%d" % v
    s = str(v)
    if s.isdigit():
        return "h" + s
    m = re.search(r"\bh\d+\b", s)
    return m.group(0) if m else s


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, a, b = sys.argv[1:]
    try:
        with open(path) as f:
            links = json.load(f)["links"]
        rows = [(host(l["initiator"]), host(l["target"]), float(l["bytes_per_second"]))
                for l in links]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("check_links: %s: bad report: %r" % (path, e), file=sys.stderr)
        return 1
    rows.sort(key=lambda r: r[2])
    for i, t, bps in rows:
        print("  %-4s -> %-4s %10.1f MB/s" % (i, t, bps / 1e6))
    want = {(a, b), (b, a)}
    if len(rows) < 3 or {(r[0], r[1]) for r in rows[:2]} != want:
        print("check_links: slowest two are %s, want %s" %
              ([r[:2] for r in rows[:2]], sorted(want)), file=sys.stderr)
        return 1
    others = rows[2][2]
    print("check_links: ok: %s<->%s slowest (%.1f, %.1f MB/s); next %.1f MB/s (x%.1f)" %
          (a, b, rows[0][2] / 1e6, rows[1][2] / 1e6, others / 1e6,
           others / rows[1][2] if rows[1][2] else float("inf")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
