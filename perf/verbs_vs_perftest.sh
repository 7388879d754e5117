#!/usr/bin/env bash
# te_bench --transport verbs side by side with perftest (ib_write_bw / ib_read_bw) on the same
# Soft-RoCE device in the same QEMU guest boot: one pair, 64 KiB, same queue depth (perftest's
# default tx depth 128 = te_bench --batch-size 128, one thread, one QP). Prints a markdown table.
# Under TCG these figures test function and relative overhead only, not hardware speed.
# Usage: perf/verbs_vs_perftest.sh [BUILD_DIR] (default build/dev)
# Env: SIZE (65536), DURATION (5 s per run), OPS ("write read"), PERFTEST=0 skips perftest,
#   TIMEOUT (whole boot, default 600 s; each te_bench run takes ~40 s under TCG),
#   VARIANTS: '|'-separated te_bench variants run one after the other in the same boot, each
#   "[NAME=VALUE]... [te_bench options]" (NAME=VALUE words go to mpirun's environment, the
#   options are appended to the base command line); default: one variant, the base command.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build/dev}" && pwd)
SIZE=${SIZE:-65536}
DURATION=${DURATION:-5}
OPS=${OPS:-write read}
VARIANTS=${VARIANTS:-}
OUT=$(mktemp -d "$BUILD/verbs_perf.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
IFS='|' read -r -a variants <<<"$VARIANTS"
[ ${#variants[@]} = 0 ] && variants=("")
{
  echo 'set -u; export LC_ALL=C'
  echo 'echo "# guest: $(nproc) vCPUs, load $(cut -d" " -f1-3 /proc/loadavg)"'
  for i in "${!variants[@]}"; do
    envs=() args=()
    for w in ${variants[$i]}; do
      if [[ ${#args[@]} = 0 && $w =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then envs+=("$w"); else args+=("$w"); fi
    done
    for op in $OPS; do
      cat <<EOF
env ${envs[*]} mpirun --allow-run-as-root -np 2 --bind-to none --mca pml ob1 --mca btl self,vader,tcp \\
  $BUILD/src/bench/te_bench --transport verbs --operation $op --block-size $SIZE --batch-size 128 \\
  --threads 1 --qps-per-peer 1 --buffer-size 64M --duration $DURATION --warmup 1 --schedule sequential \\
  --pairs 0:1 --no-retest --progress off ${args[*]} --json $OUT/$op.$i.json >$OUT/$op.$i.log 2>&1 \\
  || { echo "te_bench $op failed (variant $i)"; tail -5 $OUT/$op.$i.log; }
python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["results"][0]["links"][0]; print("te_bench", "$op", $SIZE, round(l["bytes_per_second"]/1e6, 2), "v$i")' $OUT/$op.$i.json 2>/dev/null || true
EOF
    done
  done
} > "$OUT/inner.sh"
if [ "${PERFTEST:-1}" = 0 ]; then
  tests/vm/run_in_guest.sh --timeout "${TIMEOUT:-600}" --share "$BUILD" -- bash "$OUT/inner.sh" | tee "$OUT/all.txt"
else
  tests/vm/perftest_pair.sh --timeout "${TIMEOUT:-600}" --duration "$DURATION" --tests "$OPS" --share "$BUILD" "$SIZE" -- bash "$OUT/inner.sh" \
    | tee "$OUT/all.txt"
fi
echo
echo "| variant | op | size | te_bench MB/s | perftest MB/s | ratio |"
echo "|---|---|---|---|---|---|"
for i in "${!variants[@]}"; do
  for op in $OPS; do
    te=$(awk -v o="$op" -v v="v$i" '$1=="te_bench" && $2==o && $5==v {print $4}' "$OUT/all.txt")
    pt=$(awk -v o="$op" '$1=="perftest" && $2==o {print $4}' "$OUT/all.txt")
    python3 -c 'import sys; v,op,s,te,pt=sys.argv[1:]; r=f"{float(te)/float(pt):.2f}" if te and pt else "-"
print(f"| {v or chr(45)} | {op} | {s} | {te or chr(45)} | {pt or chr(45)} | {r} |")' \
      "${variants[$i]}" "$op" "$SIZE" "$te" "$pt"
  done
done
