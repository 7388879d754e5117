"""One row of perf/phase_control.sh's table from a te_bench JSON report."""
import json
import sys

path, n, sync, start, end, rc = sys.argv[1:]
wall = float(end) - float(start)
try:
    r = json.load(open(path))
except Exception:
    print("| %s | %s | exit %s | | | |" % (n, sync, rc))
    sys.exit()
links = r["results"][0]["links"]
slowest = {}
for l in links:
    slowest[l["phase"]] = max(slowest.get(l["phase"], 0), l["seconds"] or 0)
phases = len(slowest)
warm = r["options"]["warmup"]
# Start-up (MPI, connect) and reports are not recorded apart: they are spread over the phases.
control = (wall - sum(slowest.values()) - warm * phases) / max(phases, 1)
print("| %s | %s | %.1f | %d | %.3f | %.3f |" % (n, sync, wall, phases, wall / max(phases, 1), control))
