#!/usr/bin/env python3
"""check_links.py REPORT.json SLOW_A SLOW_B — the slow link must be the slowest.

REPORT.json is te_bench's: links[] with initiator_host, target_host and
bytes_per_second in every results[] entry (one per operation / block size; each is
checked). SLOW_A / SLOW_B are host names (h1, h2). Passes when
A->B and B->A are the two lowest bytes_per_second of all links of every result, and,
where te_bench's analysis is present, when exactly those two links are confirmed slow
(and no rank or host is named a suspect).
Exit 0 pass, 1 fail (reason on stderr).
"""
import json
import sys


def end(link, side):
    return link[side + "_host"]


def check(rows, a, b, label):
    rows.sort(key=lambda r: r[2])
    for i, t, bps in rows:
        print("  %s%-4s -> %-4s %10.1f MB/s" % (label, i, t, bps / 1e6))
    want = {(a, b), (b, a)}
    if len(rows) < 3 or {(r[0], r[1]) for r in rows[:2]} != want:
        print("check_links: %sslowest two are %s, want %s" %
              (label, [r[:2] for r in rows[:2]], sorted(want)), file=sys.stderr)
        return False
    others = rows[2][2]
    print("check_links: ok: %s%s<->%s slowest (%.1f, %.1f MB/s); next %.1f MB/s (x%.1f)" %
          (label, a, b, rows[0][2] / 1e6, rows[1][2] / 1e6, others / 1e6,
           others / rows[1][2] if rows[1][2] else float("inf")))
    return True


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, a, b = sys.argv[1:]
    try:
        with open(path) as f:
            report = json.load(f)
        groups = [("%s %s: " % (r.get("operation", "?"), r.get("block_size", "?")), r["links"])
                  for r in report["results"]]
        tables = [(label, [(end(l, "initiator"), end(l, "target"), float(l["bytes_per_second"]))
                           for l in links]) for label, links in groups]
        verdicts = [(label, {(end(l, "initiator"), end(l, "target")) for l in links
                             if l.get("analysis", {}).get("confirmed")},
                     any("analysis" in l for l in links)) for label, links in groups]
        suspects = [s for r in report.get("results", []) for s in r.get("analysis", {}).get("suspects", [])]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("check_links: %s: bad report: %r" % (path, e), file=sys.stderr)
        return 1
    if not tables:
        print("check_links: %s: no results" % path, file=sys.stderr)
        return 1
    good = [check(rows, a, b, label) for label, rows in tables]
    for label, confirmed, analysed in verdicts:
        if analysed and confirmed != {(a, b), (b, a)}:
            print("check_links: %sconfirmed slow links %s, want exactly %s" %
                  (label, sorted(confirmed), sorted({(a, b), (b, a)})), file=sys.stderr)
            good.append(False)
        elif analysed:
            print("check_links: %sanalysis flags exactly %s<->%s" % (label, a, b))
    if suspects:
        print("check_links: unexpected suspects %s" % suspects, file=sys.stderr)
        good.append(False)
    return 0 if all(good) else 1


if __name__ == "__main__":
    sys.exit(main())
