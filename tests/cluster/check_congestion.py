#!/usr/bin/env python3
"""check_congestion.py RUN.json RUN.csv — congestion.sh's checks on a run of
--schedule sequential,shift,all-to-all over 4 hosts, h0,h1 | h2,h3 behind a shaped uplink.
Exit 0 with one summary line, or 1 naming the first check that failed."""
import csv
import json
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def impacts(block):
    out = {}
    for link in block["links"]:
        c = link.get("congestion")
        if c is not None:
            out[(link["initiator"], link["target"])] = c
    return out


def main():
    report = json.load(open(sys.argv[1]))
    if not report["complete"]:
        fail("the run is incomplete: " + report.get("failure", ""))
    blocks = {b["schedule"]: b for b in report["results"]}
    if sorted(blocks) != ["all-to-all", "sequential", "shift"]:
        fail("blocks by schedule: %s" % sorted(blocks))
    if "congestion" in blocks["sequential"]:
        fail("the idle block has a congestion figure")
    cross = lambda i, t: (i < 2) != (t < 2)
    lines = []
    # TCP flows through one FIFO share it unevenly over a window (one may take most of it), so
    # the checks are on the means of each kind of link, and on most of the flags.
    for name, shared, shared_max in (("shift", lambda i, t: (i + 2) % 4 == t, 0.75),
                                      ("all-to-all", cross, 0.5)):
        block = blocks[name]
        c = block.get("congestion")
        if not c or c["idle_schedule"] != "sequential" or c["links"] != 12:
            fail("%s: congestion %s" % (name, c))
        per = impacts(block)
        if len(per) != 12:
            fail("%s: %d links with an impact" % (name, len(per)))
        through = [v["impact"] for (i, t), v in per.items() if shared(i, t)]
        others = [v["impact"] for (i, t), v in per.items() if not shared(i, t)]
        mean = lambda v: sum(v) / len(v)
        if not mean(through) < shared_max:
            fail("%s: the links through the uplink have a mean impact of %.2f (want < %.1f): %s" % (
                name, mean(through), shared_max, sorted(per.items())))
        if not mean(others) > 0.8 or not mean(others) - mean(through) > 0.2:
            fail("%s: the other links have a mean impact of %.2f (want > 0.8, and 0.2 above the %.2f of "
                 "those through the uplink): %s" % (name, mean(others), mean(through), sorted(per.items())))
        flagged = [tuple(x) for x in c["flagged_links"]]
        if name == "shift":
            # The links between the leaves that do not share a direction still meet the other
            # direction's ACKs in the uplink's queues and may be flagged; a link inside a leaf
            # shares nothing and must not be.
            right = sum(shared(i, t) for i, t in flagged)
            inside = [(i, t) for i, t in flagged if not cross(i, t)]
            if right < 2 or inside:
                fail("shift flagged %s: want at least 2 of the 4 links through the uplink, none inside a leaf" % flagged)
        lines.append("%s: through the uplink %.2f, others %.2f (mean impact), median %.2f, worst %.2f (%d->%d), %d flagged" % (
            name, mean(through), mean(others), c["median"], c["worst"], c["worst_link"][0], c["worst_link"][1],
            len(flagged)))
    rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["schedule"] == "shift"]
    flags = sum(r["impact_flagged"] == "true" for r in rows)
    if len(rows) != 12 or flags != len(blocks["shift"]["congestion"]["flagged_links"]):
        fail("CSV: %d shift rows, %d flagged" % (len(rows), flags))
    print("; ".join(lines))


main()
