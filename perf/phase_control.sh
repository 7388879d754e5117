#!/bin/bash
# phase_control.sh — what a phase transition costs (issue 19, item 3): whole te_bench runs
# at N ranks with short fixed windows, phases following each other by a hand-off at rank 0
# (--phase-sync global) and by pair handshakes (--phase-sync pairs), side by side in one run
# (global then pairs at each N, so both see the same machine). Loopback TCP, every rank on
# this machine's cores.
# Per run: wall seconds, phases, wall per phase, and the time per phase beyond the windows:
# the wall time less the windows and warm-ups (per phase, its slowest link's), spread over
# the phases, start-up and reports included. With handshakes phases overlap, so this is
# what a phase costs beyond its slowest link, and can go below zero.
#
#   perf/phase_control.sh [BUILD_DIR]           (default build/dev; prints a markdown table)
#   TE_SIZES="8 16 64 128" perf/phase_control.sh build/dev
set -u -f
# shellcheck source=perf_lib.sh
. "$(dirname "$0")/perf_lib.sh"
perf_prologue phase_control.sh "${1:-}"
common=(--transport tcp --operation write --block-size 64K --buffer-size 4M --threads 1 --batch-size 16
        --duration 0.05 --warmup 0.01 --no-retest --progress off)

run() {  # run N SYNC: one line of the table
    local n=$1 sync=$2 start end rc=0
    start=$(date +%s.%N)
    timeout 1800 mpirun -np "$n" --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp \
        --mca mpi_yield_when_idle 1 "$bench" "${common[@]}" --phase-sync "$sync" --json "$work/r.json" \
        >"$work/out" 2>&1 || rc=$?
    end=$(date +%s.%N)
    python3 "$root/perf/phase_control_row.py" "$work/r.json" "$n" "$sync" "$start" "$end" "$rc"
}

echo "| ranks | --phase-sync | wall s | phases | wall s / phase | control s / phase |"
echo "|---|---|---|---|---|---|"
for n in $sizes; do
    run "$n" global
    run "$n" pairs
done
