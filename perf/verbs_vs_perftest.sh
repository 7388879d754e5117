#!/usr/bin/env bash
# te_bench --transport verbs side by side with perftest (ib_write_bw / ib_read_bw) on the same
# Soft-RoCE device in the same QEMU guest boot: one pair, 64 KiB, same queue depth (perftest's
# default tx depth 128 = te_bench --batch-size 128, one thread, one QP). Prints a markdown table.
# Under TCG these figures test function and relative overhead only, not hardware speed, and
# they drift with the host's load: perftest runs interleaved with te_bench (REPEAT rounds),
# and ratios are of medians within the boot.
# Usage: perf/verbs_vs_perftest.sh [BUILD_DIR] (default build/dev)
# Env: SIZE (65536), DURATION (5 s per run), OPS ("write read"), REPEAT (rounds, default 1),
#   TIMEOUT (whole boot, default 600 s; a te_bench run takes ~30-40 s under TCG, perftest ~10 s),
#   VARIANTS: '|'-separated te_bench variants, each "[NAME=VALUE]... [te_bench options]"
#   (NAME=VALUE words go to mpirun's environment, except bin=PATH, another te_bench binary
#   (under BUILD_DIR, which the guest sees); the options are appended to the base command
#   line); default: one variant, the base command. Every round runs perftest, then each variant.
#   PERFTEST_VARIANTS: '|'-separated extra perftest options, each also run every round, e.g.
#   "-l 128 -Q 1" (te_bench's pattern: chains of 128 WRs, every WR signalled); reported as
#   "perftest [OPTIONS]" lines, outside the table.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build/dev}" && pwd)
SIZE=${SIZE:-65536}
DURATION=${DURATION:-5}
OPS=${OPS:-write read}
REPEAT=${REPEAT:-1}
VARIANTS=${VARIANTS:-}
OUT=$(mktemp -d "$BUILD/verbs_perf.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
IFS='|' read -r -a variants <<<"$VARIANTS"
[ ${#variants[@]} = 0 ] && variants=("")
IFS='|' read -r -a perftest_variants <<<"${PERFTEST_VARIANTS:-}"

perftest_run() {  # OP [EXTRA]: server and client on rxe0 (GID 1), as tests/vm/perftest_pair.sh does
  local a="-d rxe0 -i 1 -x 1 -F -s $SIZE -D $DURATION -p 18515${2:+ $2}" tag=${2:+ [$2]}
  cat <<EOF
timeout $((DURATION + 60)) ib_$1_bw $a >$OUT/pt_s.log 2>&1 &
for _ in \$(seq 300); do ss -Hltn "sport = :18515" | grep -q . && break; sleep 0.1; done
timeout $((DURATION + 60)) ib_$1_bw $a \$TE_VM_DATA_IP >$OUT/pt_c.log 2>&1
wait
awk '\$1 == $SIZE && NF >= 5 { v = \$4 } END { print "perftest$tag", "$1", $SIZE, (v == "" ? "FAILED" : v) }' $OUT/pt_c.log
delta "perftest$tag $1"
EOF
}

te_bench_run() {  # OP VARIANT_INDEX
  local envs=() args=() w bin=$BUILD/src/bench/te_bench field=$PWD/perf/json_field.py
  for w in ${variants[$2]}; do
    if [[ ${#args[@]} = 0 && $w == bin=* ]]; then bin=${w#bin=}
    elif [[ ${#args[@]} = 0 && $w =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then envs+=("$w"); else args+=("$w"); fi
  done
  cat <<EOF
env ${envs[*]} mpirun --allow-run-as-root -np 2 --bind-to none --mca pml ob1 --mca btl self,vader,tcp \\
  $bin --transport verbs --operation $1 --block-size $SIZE --batch-size 128 \\
  --threads 1 --qps-per-peer 1 --buffer-size 64M --duration $DURATION --warmup 1 --schedule sequential \\
  --pairs 0:1 --no-retest --progress off ${args[*]} --json $OUT/r.json >$OUT/r.log 2>&1 \\
  || { echo "# te_bench $1 failed (variant $2)"; tail -5 $OUT/r.log; }
if mbs=\$($field $OUT/r.json results.0.links.0.bytes_per_second --scale 1e-6 --format .2f 2>/dev/null); then
  echo "te_bench $1 $SIZE \$mbs v$2"
  echo "# samples MB/s: \$($field $OUT/r.json 'results.0.links.0.samples.bytes_per_second.*' --scale 1e-6 --format .1f)" \
       "p99 us: \$($field $OUT/r.json results.0.links.0.latency_us.p99)"
fi
delta "te_bench $1 v$2"
rm -f $OUT/r.json
EOF
}

{
  echo 'set -u; export LC_ALL=C'
  echo 'echo "# guest: $(nproc) vCPUs"'
  # rxe's hw counters around every run: retransmissions (completer_retry_err, duplicate_request,
  # out_of_sequence) show where a run lost its time.
  cat <<'GUEST'
HWC=/sys/class/infiniband/rxe0/ports/1/hw_counters
snap() {  # the counters, and the guest's CPU time (ticks of 10 ms, both vCPUs) by kind
  { for f in $HWC/*; do echo "${f##*/} $(cat $f)"; done
    awk '$1 == "cpu" {print "cpu_user", $2 + $3; print "cpu_sys", $4; print "cpu_idle", $5;
                      print "cpu_softirq", $8}' /proc/stat; } | sort
}
delta() {  # LABEL: the counters that moved since the last snapshot
  snap > /tmp/hwc.new
  echo "# counters $1: $(join /tmp/hwc.old /tmp/hwc.new | awk '$3 != $2 {printf "%s=%d ", $1, $3 - $2}')"
  mv /tmp/hwc.new /tmp/hwc.old
}
snap > /tmp/hwc.old
GUEST
  for round in $(seq "$REPEAT"); do
    echo "echo '# round $round'"
    for op in $OPS; do
      perftest_run "$op"
      for a in ${perftest_variants[@]+"${perftest_variants[@]}"}; do perftest_run "$op" "$a"; done
      for i in "${!variants[@]}"; do te_bench_run "$op" "$i"; done
    done
  done
} > "$OUT/inner.sh"
tests/vm/run_in_guest.sh --timeout "${TIMEOUT:-600}" --share "$BUILD" -- bash "$OUT/inner.sh" | tee "$OUT/all.txt"

echo
echo "| variant | op | size | te_bench MB/s (runs) | perftest MB/s (runs) | ratio of medians |"
echo "|---|---|---|---|---|---|"
for i in "${!variants[@]}"; do
  for op in $OPS; do
    te=$(awk -v o="$op" -v v="v$i" '$1=="te_bench" && $2==o && $5==v {printf "%s ", $4}' "$OUT/all.txt")
    pt=$(awk -v o="$op" '$1=="perftest" && $2==o && $4!="FAILED" {printf "%s ", $4}' "$OUT/all.txt")
    python3 - "${variants[$i]}" "$op" "$SIZE" "$te" "$pt" <<'PY'
import statistics, sys
v, op, s, te, pt = sys.argv[1:]
te, pt = [float(x) for x in te.split()], [float(x) for x in pt.split()]
med = lambda xs: statistics.median(xs) if xs else None
r = f"{med(te) / med(pt):.2f}" if te and pt else "-"
fmt = lambda xs: ", ".join(f"{x:g}" for x in xs) or "-"
print(f"| {v or '-'} | {op} | {s} | {fmt(te)} | {fmt(pt)} | {r} |")
PY
  done
done
