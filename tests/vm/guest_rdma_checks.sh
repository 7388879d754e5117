#!/bin/bash
# guest_rdma_checks.sh BUILD_DIR — runs INSIDE a Soft-RoCE guest (see rdma_checks.sh): the
# verbs engine on a real kernel RDMA stack. One boot, several checks; exit 1 if any failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=guest_common.sh
. "$HERE/guest_common.sh"
CHECK=$HERE/../support/check_report.py
# rxe under TCG moves ~10-40 MB/s: small buffers, short windows, few requests in flight.
QUICK=(--transport verbs --buffer-size 8M --threads 1 --batch-size 8 --duration 0.5 --warmup 0.1 --progress off
       --timeout 60)

# 1. The conformance suite over verbs: must run, not skip.
step "conformance over verbs"
if out=$(timeout -k 10 300 "$BUILD/tests/conformance/te_conformance_tests" --gtest_filter='*/verbs' 2>&1) \
    && n=$(sed -n 's/.*PASSED  \] \([0-9]*\) tests.*/\1/p' <<<"$out") && [ "${n:-0}" -ge 7 ] \
    && ! grep -q SKIPPED <<<"$out"; then
  ok "conformance over verbs: $n tests passed"
else
  bad "conformance over verbs"; echo "$out" | tail -20
fi

# 2-3. te_bench over verbs: full matrices with every byte verified. NCCL's NCCL_TOPO_FILE is
# set as a cloud image would: verbs loads it (it only pairs NICs with GPUs) and reports it.
TOPO=$HERE/../unit/fixtures/nccl_topo/dump_like.xml
export NCCL_TOPO_FILE=$TOPO
for spec in "2 write 64K" "4 read 64K" "2 mix 4K,256K"; do
  set -- $spec
  step "te_bench -np $1 $2 $3"
  blocks=$(tr ',' '\n' <<<"$3" | wc -l)
  if timeout -k 10 300 "${MPI[@]}" -np "$1" "$BENCH" "${QUICK[@]}" --operation "$2" --block-size "$3" --integrity-check \
       --json "$OUT/r.json" > "$OUT/run.log" 2>&1 && python3 "$CHECK" "$OUT/r.json" "$1" verbs --blocks "$blocks"; then
    ok "te_bench -np $1 --transport verbs --operation $2 --block-size $3 --integrity-check"
  else
    bad "te_bench -np $1 verbs $2 $3"; tail -20 "$OUT/run.log"
  fi
done
unset NCCL_TOPO_FILE
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["transport"]["details"]; sys.exit(d.get("topo_file") != "NCCL_TOPO_FILE " + sys.argv[2])' \
     "$OUT/r.json" "$TOPO"; then
  ok "NCCL_TOPO_FILE loaded by verbs and reported"
else
  bad "NCCL_TOPO_FILE not reported in transport.details.topo_file"
fi
if grep -q "^NICs: 0=rxe0 1=rxe0  (rank 0: " "$OUT/run.log"; then
  ok "terminal names each rank's NICs"
else
  bad "no 'NICs: 0=rxe0 1=rxe0' line"; grep -m3 -i nic "$OUT/run.log"
fi

# 3b. Connections on demand (--max-connected-peers, issue 26): at -np 4 with a cap of one
# peer, the pairs schedule still gives a full matrix with every byte verified, while each rank
# holds one peer's QPs at a time and creates QPs for all three peers in turn; all-to-all at
# -np 3 connects both peers for its phase (the cap yields to what a phase needs). The eager
# run before (-np 2, no cap) made every QP once, up front.
python3 - "$OUT/r.json" <<'EOF' && ok "no cap at -np 2: every QP made up front" || bad "eager connection facts"
import json, sys
c = json.load(open(sys.argv[1]))["transport"]["details"]["connection"]
assert c["on_demand"] is False and c["max_connected_peers"] == 0, c
assert c["qps_created"] == c["qps_live_max"] == c["qps_live"] > 0, c
assert c["queue_bytes_pinned"] > 0 and c["connect_seconds"] > 0, c
# Lean queues: no lane deeper than a worker can fill (8 x 2 batches of up to 4 slices over 2 lanes).
assert 0 < c["lane_depth"] <= 32 and isinstance(c["lean_ops"], bool), c
print("# eager: %d QPs, lane depth %d, inline %d B, lean ops %s, WQE %d B, ~%d KiB queues, %.3f s connecting" %
      (c["qps_created"], c["lane_depth"], c["max_inline_data"], c["lean_ops"], c["wqe_bytes"],
       c["queue_bytes_pinned"] // 1024, c["connect_seconds"]))
EOF
# With --integrity-check the phases hand off at rank 0; without, they follow by pair handshakes
# and each new pair exchanges its QP numbers point to point.
for sync in --integrity-check --phase-sync=pairs; do
step "te_bench -np 4 --max-connected-peers 1 (pairs, $sync)"
if timeout -k 10 300 "${MPI[@]}" -np 4 "$BENCH" "${QUICK[@]}" --operation write --block-size 64K $sync \
     --max-connected-peers 1 --json "$OUT/lazy.json" > "$OUT/lazy.log" 2>&1 \
   && python3 "$CHECK" "$OUT/lazy.json" 4 verbs --blocks 1 && python3 - "$OUT/lazy.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["transport"]["details"]["connection"]
assert c["on_demand"] is True and c["max_connected_peers"] == 1, c
per_peer = c["qps_live_max"]
assert per_peer > 0 and c["peers_live_max"] == 1, c
# Three peers, one at a time (retests of flagged links may connect a pair again); a round's
# reversed phase reuses its connection: one exchange per round, plus retests'.
assert c["qps_created"] >= 3 * per_peer and c["qps_created"] % per_peer == 0, c
assert c["exchanges"] >= 3, c
assert 0 < c["queue_bytes_pinned"] and c["connect_seconds"] > 0, c
# Every rank's, from the plan they all run: rank 0's matches what its QPs did.
assert len(c["by_rank"]) == 4 and c["by_rank"][0]["qps_created"] == c["qps_created"], c
for r, b in enumerate(c["by_rank"]):
    assert b["peers_live_max"] == 1 and b["qps_live_max"] == per_peer and b["qps_created"] >= 3 * per_peer, (r, b)
print("# on demand: %d QPs created, at most %d live, %.3f s connecting, ~%d KiB queues" %
      (c["qps_created"], per_peer, c["connect_seconds"], c["queue_bytes_pinned"] // 1024))
EOF
then
  ok "--max-connected-peers 1 at -np 4 ($sync): full matrix, QPs of one peer live at a time"
else
  bad "--max-connected-peers 1 at -np 4 ($sync)"; tail -20 "$OUT/lazy.log"
fi
done
step "te_bench -np 3 --schedule all-to-all --max-connected-peers 1"
if timeout -k 10 300 "${MPI[@]}" -np 3 "$BENCH" "${QUICK[@]}" --schedule all-to-all --operation write --block-size 64K \
     --max-connected-peers 1 --json "$OUT/lazy3.json" > "$OUT/lazy3.log" 2>&1 \
   && python3 "$CHECK" "$OUT/lazy3.json" 3 verbs --blocks 1 && python3 - "$OUT/lazy3.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))["transport"]["details"]["connection"]
assert c["on_demand"] is True and c["peers_live_max"] == 2, c
assert c["qps_created"] >= c["qps_live_max"] > 0, c  # retests of flagged links may connect a pair again
assert all(b["peers_live_max"] == 2 for b in c["by_rank"]), c
EOF
then
  ok "--max-connected-peers 1, all-to-all at -np 3: both peers connected for the phase"
else
  bad "all-to-all with --max-connected-peers 1"; tail -20 "$OUT/lazy3.log"
fi

# 4. An unknown device: the user's mistake, exit 2, the devices found listed.
step "--devices mlx5_9"
rc=0
timeout -k 10 60 "${MPI[@]}" -np 2 "$BENCH" "${QUICK[@]}" --devices mlx5_9 > "$OUT/dev.log" 2>&1 || rc=$?
if [ $rc = 2 ] && grep -q "rxe0" "$OUT/dev.log"; then
  ok "--devices mlx5_9: exit 2, lists rxe0"
else
  bad "--devices mlx5_9: exit $rc"; cat "$OUT/dev.log"
fi

# 5. A peer killed mid-run: the job ends non-zero, in bounded time, naming it.
step "rank 1 killed mid-run"
start=$SECONDS
( timeout -k 10 120 "${MPI[@]}" -np 2 "$BENCH" "${QUICK[@]}" --duration 60 --warmup 0 --timeout 20 \
    > "$OUT/kill.log" 2>&1; echo $? > "$OUT/kill.rc" ) &
runner=$!
victim=""
for _ in $(seq 150); do
  sleep 0.2
  for pid in $(pgrep -x te_bench); do
    if tr '\0' '\n' < /proc/$pid/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then victim=$pid; fi
  done
  [ -n "$victim" ] && break
done
[ -n "$victim" ] && { sleep 3; kill -9 "$victim"; }
wait $runner
rc=$(cat "$OUT/kill.rc" 2>/dev/null || echo missing)
if [ -n "$victim" ] && [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q "rank 1" "$OUT/kill.log"; then
  ok "rank 1 killed: exit $rc after $((SECONDS - start)) s, rank 1 named"
else
  bad "rank 1 killed (victim '$victim', exit $rc)"; tail -20 "$OUT/kill.log"
fi

# 6-7. A wrong rkey / a remote address past the peer's MR (test-only TE_FAULT_INJECT rules the
# verbs transport applies to its keys): the device's remote access error ends the job with
# exit 1 in bounded time, one line naming the peer and ibv_wc_status_str; no rank hangs
# (with -np 3 a bystander rank must leave too).
for spec in "2 write badrkey:0->1" "3 read oob:0->1"; do
  set -- $spec
  step "TE_FAULT_INJECT=$3 -np $1 $2"
  start=$SECONDS rc=0
  timeout -k 10 120 "${MPI[@]}" -np "$1" -x TE_FAULT_INJECT="$3" "$BENCH" "${QUICK[@]}" --operation "$2" --block-size 64K \
    --timeout 30 > "$OUT/fault.log" 2>&1 || rc=$?
  if [ $rc = 1 ] && grep -q "rank 1 (vm0).*remote access error" "$OUT/fault.log"; then
    ok "TE_FAULT_INJECT=$3, -np $1 $2: exit 1 after $((SECONDS - start)) s, names rank 1 (vm0) and the wc status"
    grep -m1 "remote access error" "$OUT/fault.log" | sed 's/^/#   /'
  else
    bad "TE_FAULT_INJECT=$3 -np $1 $2: exit $rc after $((SECONDS - start)) s"; tail -20 "$OUT/fault.log"
  fi
done

# 8. The fabric under load over verbs (issue 23): three ranks on one rxe device, every link
# measured alone (pairs) and all at once (all-to-all). All six share the device, so each one's
# congestion impact (loaded / idle) is below 1 and the report carries the figure.
step "te_bench -np 3 --schedule pairs,all-to-all"
if timeout -k 10 300 "${MPI[@]}" -np 3 "$BENCH" "${QUICK[@]}" --threads 2 --schedule pairs,all-to-all --block-size 64K \
     --json "$OUT/load.json" > "$OUT/load.log" 2>&1 \
   && summary=$(python3 - "$OUT/load.json" <<'PY'
import json, sys
blocks = {b["schedule"]: b for b in json.load(open(sys.argv[1]))["results"]}
c = blocks["all-to-all"]["congestion"]
impacts = [l["congestion"]["impact"] for l in blocks["all-to-all"]["links"] if "congestion" in l]
assert c["idle_schedule"] == "pairs" and c["links"] == 6 == len(impacts), c
assert all(0 < v < 1.5 for v in impacts) and c["median"] < 0.9, impacts
print("median %.2f, worst %.2f, latency median %sx" % (c["median"], c["worst"], c["latency_median"]))
PY
); then
  ok "verbs all-to-all against pairs: congestion impact $summary"
  grep -E '^(congestion impact|  median)' "$OUT/load.log" | sed 's/^/#   /'
else
  bad "verbs --schedule pairs,all-to-all"; tail -30 "$OUT/load.log"
fi

echo "# guest checks: $FAILS failed"
[ $FAILS = 0 ]
