#!/usr/bin/env bash
# te_bench --metric latency side by side with the peers' latency tests, in one run (issue 21):
#   verbs: ib_write_lat / ib_read_lat on the same Soft-RoCE device (rxe0) in one QEMU guest boot;
#   ucx:   ucx_perftest -t ucp_put_lat / ucp_get over UCX's tcp on loopback, on this machine.
# One pair, 8-byte requests (SIZE), one outstanding; rounds interleaved (REPEAT), ratios of
# medians. What each figure is:
#   te_bench:     a request's post to its completion, p50 over the window (READ and WRITE alike:
#                 a WRITE completes when the target's ACK is back, a round trip).
#   ib_read_lat:  the same for a READ (t_typical): like for like.
#   ib_write_lat, ucp_put_lat: a ping-pong of WRITEs / puts, half its round trip; te_bench's
#                 WRITE is compared with twice it ("2x" in the table), a round trip each.
#   ucp_get:      the get's round trip; over UCX's tcp the server makes no progress between
#                 gets (its thread sleeps), so it is shown but not taken as a reference.
# Markdown table on stdout. Under TCG (the guest) figures test overhead, not hardware speed.
# Usage: perf/latency_vs_peers.sh [BUILD_DIR] (default build/dev)
# Env: SIZE (8), DURATION (te_bench window, 3 s), ITERS (perftest / ucx_perftest, 20000),
#   REPEAT (rounds, 3), PARTS ("ucx verbs"), TIMEOUT (guest boot, 900 s).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build/dev}" && pwd)
SIZE=${SIZE:-8}
DURATION=${DURATION:-3}
ITERS=${ITERS:-20000}
REPEAT=${REPEAT:-3}
PARTS=${PARTS:-ucx verbs}
BENCH=$BUILD/src/bench/te_bench
FIELD=$PWD/perf/json_field.py
OUT=$(mktemp -d "$BUILD/latency_perf.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# te_bench_line TRANSPORT OP [BIND]: the command that prints "te_bench TRANSPORT OP P50_US".
# BIND (mpirun --bind-to, default none): verbs binds each rank to a core (Open MPI's own
# default at np 2), so the spinning initiator and the idle target do not share a vCPU's
# turns; ucx keeps none (each rank's service thread needs a core of its own to move).
te_bench_line() {
  cat <<EOF
mpirun --allow-run-as-root -np 2 --bind-to ${3:-none} --mca pml ob1 --mca btl self,vader,tcp $BENCH --transport $1 \\
  --metric latency --operation $2 --block-size $SIZE --buffer-size 16M --duration $DURATION --warmup 0.5 \\
  --schedule sequential --pairs 0:1 --no-retest --progress off --json $OUT/l.json >$OUT/l.log 2>&1 \\
  && echo "te_bench $1 $2 \$($FIELD $OUT/l.json results.0.links.0.latency_us.p50)" \\
  || { echo "te_bench $1 $2 FAILED"; tail -3 $OUT/l.log; }
rm -f $OUT/l.json
EOF
}

ucx_part() {
  export UCX_NET_DEVICES=lo UCX_TLS=tcp
  local port=13400 round test
  for round in $(seq "$REPEAT"); do
    for test in ucp_put_lat ucp_get; do
      port=$((port + 1))
      timeout 120 ucx_perftest -p "$port" >"$OUT/ups.log" 2>&1 &
      sleep 1
      # "Final: iterations typical average overall ...": typical is the median.
      timeout 120 ucx_perftest -p "$port" -t "$test" -s "$SIZE" -n "$ITERS" -w 2000 127.0.0.1 2>&1 |
        awk -v t="$test" '$1 == "Final:" { v = $3 } END { print "peer ucx", t, (v == "" ? "FAILED" : v) }'
      wait || true
    done
    for op in write read; do bash -c "$(te_bench_line ucx "$op")"; done
  done
}

verbs_part() {
  {
    echo 'set -u; export LC_ALL=C OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1'
    for round in $(seq "$REPEAT"); do
      for op in write read; do
        local a="-d rxe0 -i 1 -x 1 -F -s $SIZE -n $ITERS -p 18515"
        # Row "#bytes #iterations t_min t_max t_typical ...": t_typical is the median.
        cat <<EOF
timeout 300 ib_${op}_lat $a >$OUT/pt_s.log 2>&1 &
for _ in \$(seq 300); do ss -Hltn "sport = :18515" | grep -q . && break; sleep 0.1; done
timeout 300 ib_${op}_lat $a \$TE_VM_DATA_IP >$OUT/pt_c.log 2>&1
wait
awk '\$1 == $SIZE && NF >= 5 { v = \$5 } END { print "peer verbs ib_${op}_lat", (v == "" ? "FAILED" : v) }' $OUT/pt_c.log
EOF
        te_bench_line verbs "$op" core
      done
    done
  } >"$OUT/inner.sh"
  tests/vm/run_in_guest.sh --timeout "${TIMEOUT:-900}" --share "$BUILD" -- bash "$OUT/inner.sh"
}

for part in $PARTS; do "${part}_part"; done | tee "$OUT/all.txt"

echo
echo "| transport | op | te_bench p50 us (runs) | peer | peer us (runs) | reference us | te_bench / reference |"
echo "|---|---|---|---|---|---|---|"
python3 - "$OUT/all.txt" <<'PY'
import statistics, sys
te, peer = {}, {}
for line in open(sys.argv[1]):
    w = line.split()
    if len(w) == 4 and w[0] == "te_bench" and w[3] != "FAILED":
        te.setdefault((w[1], w[2]), []).append(float(w[3]))
    elif len(w) == 4 and w[0] == "peer" and w[3] != "FAILED":
        peer.setdefault((w[1], w[2]), []).append(float(w[3]))
# (transport, op) -> (peer test, factor to a round trip, a reference?)
pairs = {("ucx", "write"): ("ucp_put_lat", 2, True), ("ucx", "read"): ("ucp_get", 1, False),
         ("verbs", "write"): ("ib_write_lat", 2, True), ("verbs", "read"): ("ib_read_lat", 1, True)}
fmt = lambda xs: ", ".join(f"{x:g}" for x in xs) or "-"
for (t, op), (test, factor, ref) in pairs.items():
    mine, theirs = te.get((t, op), []), peer.get((t, test), [])
    if not mine and not theirs:
        continue
    if not theirs:
        print(f"| {t} | {op} | {fmt(mine)} | {test} | - | - | - |")
        continue
    reference = factor * statistics.median(theirs)
    label = f"{reference:.4g} ({factor}x median)" if factor > 1 else f"{reference:.4g} (median)"
    if not ref:
        label = "not comparable (see the header)"
    ratio = f"{statistics.median(mine) / reference:.2f}" if mine and ref else "-"
    print(f"| {t} | {op} | {fmt(mine)} | {test} | {fmt(theirs)} | {label} | {ratio} |")
PY
