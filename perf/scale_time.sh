#!/bin/bash
# scale_time.sh — time to verdict (issue 19): the wall time of a whole te_bench run at N
# ranks with the old defaults (exact pairs, --duration 2 --warmup 0.2), the exact pairs with
# --duration auto, and --mode quick, side by side in one run, on loopback TCP with one link
# made slow by the fault-injecting transport (TE_FAULT_INJECT rate:1->2, 8 MiB/s per worker).
# For each run: wall seconds, phases, the per-phase time beyond the windows (control,
# warm-up, drain, start-up and reports spread over the phases), the median window and
# precision reached, and the verdict (suspects and unexplained slow links).
#
#   perf/scale_time.sh [BUILD_DIR]              (default build/dev; prints a markdown table)
#   TE_SIZES="8 16 32 64" perf/scale_time.sh build/dev
#   TE_RUNS="quick" TE_SIZES=32 perf/scale_time.sh build/dev     (runs: old auto quick)
#
# Every rank shares this machine's cores: the windows of a 2-core machine are noisy, so
# --duration auto mostly runs to its cap here (the table says the precision reached).
set -u -f
# shellcheck source=perf_lib.sh
. "$(dirname "$0")/perf_lib.sh"
perf_prologue scale_time.sh "${1:-}"
common=(--transport tcp --operation write --block-size 64K --buffer-size 16M --threads 1 --progress off)
export TE_FAULT_INJECT="rate:1->2:8M"

run() {  # run N NAME FLAGS...: one line of the table
    local n=$1 name=$2 start end rc=0
    shift 2
    start=$(date +%s.%N)
    timeout 1800 mpirun -np "$n" --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp \
        --mca mpi_yield_when_idle 1 "$bench" "${common[@]}" "$@" --json "$work/r.json" >"$work/out" 2>&1 || rc=$?
    end=$(date +%s.%N)
    python3 - "$work/r.json" "$n" "$name" "$start" "$end" "$rc" "$*" <<'EOF'
import json, statistics, sys
path, n, name, start, end, rc, flags = sys.argv[1:]
wall = float(end) - float(start)
try:
    r = json.load(open(path))
except Exception:
    print("| %s | %s | `%s` | exit %s | | | | | |" % (n, name, flags, rc)); sys.exit()
b = r["results"][0]
links = b["links"]
phases = {}
for l in links:
    phases[l["phase"]] = max(phases.get(l["phase"], 0), l["seconds"])
warm = r["options"]["warmup"]
windows = sum(phases.values())
overhead = (wall - windows - warm * len(phases)) / max(len(phases), 1)
prec = [l["precision"] for l in links if l.get("precision") is not None]
hosts = {w["rank"]: w["host"] for w in r["world"]["ranks"]}
a = b["analysis"]
verdict = ["suspect " + (s["host"] if s["kind"] == "host" else "rank %d" % s["rank"]) for s in a["suspects"]]
verdict += ["slow %d->%d" % (i, t) for i, t in a["slow_links"]]
if len(verdict) > 4:  # a noisy machine: say how many, and whether the injected link is one
    verdict = ["%d named (1->2 %s)" % (len(verdict), "among them" if "slow 1->2" in verdict else "not")]
print("| %s | %s | `%s` | %.1f | %d | %.3f | %.2f | %.1f%% | %s |" % (
    n, name, flags, wall, len(phases), overhead, statistics.median(l["seconds"] for l in links),
    100 * statistics.median(prec) if prec else float("nan"), ", ".join(verdict) or "none"))
EOF
}

echo "| ranks | run | flags | wall s | phases | s/phase beyond windows (start-up, retests, reports spread) | median window s | median precision | verdict |"
echo "|---|---|---|---|---|---|---|---|---|"
runs=" ${TE_RUNS:-old auto quick} "
for n in $sizes; do
    [[ $runs != *" old "* ]] || run "$n" "old defaults" --duration 2 --warmup 0.2
    [[ $runs != *" auto "* ]] || run "$n" "exact, auto windows" --duration auto
    [[ $runs != *" quick "* ]] || run "$n" "quick" --mode quick
done
