#!/usr/bin/env bash
# te_bench --transport verbs side by side with perftest (ib_write_bw / ib_read_bw) on the same
# Soft-RoCE device in the same QEMU guest boot: one pair, 64 KiB, same queue depth (perftest's
# default tx depth 128 = te_bench --batch-size 128, one thread, one QP). Prints a markdown table.
# Under TCG these figures test function and relative overhead only, not hardware speed.
# Usage: perf/verbs_vs_perftest.sh [BUILD_DIR] (default build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build/dev}" && pwd)
SIZE=${SIZE:-65536}
DURATION=${DURATION:-5}
OUT=$(mktemp -d "$BUILD/verbs_perf.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
inner="for op in write read; do
  mpirun --allow-run-as-root -np 2 --bind-to none --mca pml ob1 --mca btl self,vader,tcp \
    $BUILD/src/bench/te_bench --transport verbs --operation \$op --block-size $SIZE --batch-size 128 \
    --threads 1 --qps-per-peer 1 --buffer-size 64M --duration $DURATION --warmup 1 --schedule sequential \
    --pairs 0:1 --no-retest --progress off --json $OUT/\$op.json >/dev/null 2>&1 || echo \"te_bench \$op failed\"
  python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))[\"results\"][0][\"links\"][0]; print(\"te_bench\", sys.argv[2], $SIZE, round(l[\"bytes_per_second\"]/1e6, 2))' $OUT/\$op.json \$op
done"
tests/vm/perftest_pair.sh --duration "$DURATION" --share "$BUILD" "$SIZE" -- bash -c "$inner" | tee "$OUT/all.txt"
echo
echo "| op | size | te_bench MB/s | perftest MB/s | ratio |"
echo "|---|---|---|---|---|"
for op in write read; do
  te=$(awk -v o="$op" '$1=="te_bench" && $2==o {print $4}' "$OUT/all.txt")
  pt=$(awk -v o="$op" '$1=="perftest" && $2==o {print $4}' "$OUT/all.txt")
  python3 -c 'import sys; op,s,te,pt=sys.argv[1:]; print(f"| {op} | {s} | {te} | {pt} | {float(te)/float(pt):.2f} |")' "$op" "$SIZE" "${te:-0}" "${pt:-1}"
done
