#!/usr/bin/env python3
"""check_fabric.py REPORT.json KIND NAME [--only] | --no-fabric — te_bench's suspects.

KIND NAME: some result block names suspect KIND NAME (uplink leaf2, rail 1); with --only it
is every block's only suspect, and for an uplink no slow link through it is left
unexplained (other slow links, which a loaded 2-core machine makes now and then, are
listed, not failed). --no-fabric: no switch, uplink or rail is named (no topology).
Exit 0 pass, 1 fail (reason on stderr); the last line of stdout says what was found.
"""
import json
import sys


def name_of(s):
    if s["kind"] in ("switch", "uplink", "rail"):
        return "%s %s" % (s["kind"], s["name"])
    if s["kind"] == "rank":
        return "rank %d (%s)" % (s["rank"], s["host"])
    return "host " + s["host"]


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    report = json.load(open(sys.argv[1]))
    blocks = report["results"]
    found = [[name_of(s) for s in b["analysis"]["suspects"]] for b in blocks]
    slow = [b["analysis"]["slow_links"] for b in blocks]
    print("suspects %s, unexplained slow links %s" % (found, slow))
    if sys.argv[2] == "--no-fabric":
        bad = [n for f in found for n in f if n.split()[0] in ("switch", "uplink", "rail")]
        if bad:
            print("check_fabric: no topology, yet named %s" % bad, file=sys.stderr)
            return 1
        return 0
    want = "%s %s" % (sys.argv[2], sys.argv[3])
    if not any(want in f for f in found):
        print("check_fabric: %s not named: %s" % (want, found), file=sys.stderr)
        return 1
    if "--only" in sys.argv and any(f != [want] for f in found):
        print("check_fabric: more than %s: suspects %s" % (want, found), file=sys.stderr)
        return 1
    if "--only" in sys.argv and sys.argv[2] == "uplink":
        for b in blocks:
            ends = {(l["initiator"], l["target"]): l["analysis"] for l in b["links"]}
            for i, t in b["analysis"]["slow_links"]:
                a = ends[(i, t)]
                if (a["initiator_switch"] == sys.argv[3]) != (a["target_switch"] == sys.argv[3]):
                    print("check_fabric: %d->%d goes through %s's uplink, yet is left unexplained" % (i, t, sys.argv[3]),
                          file=sys.stderr)
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
