#!/bin/bash
# guest_rate_checks.sh BUILD_DIR — runs INSIDE a Soft-RoCE guest (rdma_checks.sh BUILD_DIR
# guest_rate_checks.sh): every rate te_bench prints over verbs is one the link achieved.
#  1. issue 25's run (np 4, 0.5 s windows, 2 threads of 8 MiB batches) against the same
#     links measured alone with long windows, in the same boot: none above 2x its rate alone
#     (the old accounting printed up to 100x), none below a fifth of it unless a lower bound
#     (four links share this guest's two vCPUs in each phase of the pairs schedule, so each
#     gets a half to a quarter of its rate alone), no measurement error; and the short
#     windows one link at a time: within 2x of the long ones either way (the low side of the
#     accounting is checked there, where nothing shares the link's CPU; once more, long and
#     short back to back, when a busy host made the two runs differ);
#  2. the fault-injecting transport caps a link and hands its completions over in bursts:
#     the link's rate stays under the cap.
set -u
# shellcheck source=guest_common.sh
. "$(cd "$(dirname "$0")" && pwd)/guest_common.sh"
ISSUE=(--transport verbs --operation write --block-size 64K --buffer-size 8M --threads 2 --progress off --timeout 60)

step "issue 25: np 4, --duration 0.5"
if timeout -k 10 200 "${MPI[@]}" -np 4 "$BENCH" "${ISSUE[@]}" --duration 0.5 --warmup 0.1 --no-retest \
     --json "$OUT/short.json" > "$OUT/short.log" 2>&1; then
  ok "np 4, 0.5 s windows: exit 0"
else
  bad "np 4, 0.5 s windows"; tail -20 "$OUT/short.log"
fi
sed -n '/throughput/,/^links/p' "$OUT/short.log" | sed 's/^/#   /'
grep -E "^(LOWER BOUND|MEASUREMENT)" "$OUT/short.log" | sed 's/^/#   /'
step "the same links alone, --schedule sequential --duration 2"
if timeout -k 10 300 "${MPI[@]}" -np 4 "$BENCH" "${ISSUE[@]}" --schedule sequential --duration 2 --warmup 0.2 \
     --no-retest --json "$OUT/alone.json" > "$OUT/alone.log" 2>&1; then
  ok "np 4, links alone, 2 s windows: exit 0"
else
  bad "np 4, links alone"; tail -20 "$OUT/alone.log"
fi
# Short windows with the links of a phase sharing this guest's CPU (pairs: four at once)
# must never read above what the link does alone (the old accounting printed 100x that), and
# a link far below its share rests on few batches: it must say so (a lower bound).
# compare SHORT.json ALONE.json LOW [strict]: every link <= 2 x alone; below LOW x alone only
# as a lower bound (never, with strict)
compare() {
  python3 - "$@" <<'PY'
import json, sys
short, alone = (json.load(open(p))["results"][0] for p in sys.argv[1:3])
low, strict = float(sys.argv[3]), sys.argv[4:] == ["strict"]
rate = lambda b: {(l["initiator"], l["target"]): l for l in b["links"]}
s, a = rate(short), rate(alone)
bad = 0
for k in sorted(a):
    x, y = s[k]["bytes_per_second"], a[k]["bytes_per_second"]
    note = ("lower bound, " if s[k]["lower_bound"] else "") + "%d batches" % s[k]["batches"]
    ok = s[k]["status"] == "ok" and x <= 2 * y and (x >= low * y or (s[k]["lower_bound"] and not strict))
    print("#   %d->%d: %.1f MB/s (%s), alone %.1f MB/s: x%.2f%s" % (k[0], k[1], x / 1e6, note, y / 1e6, x / y,
                                                                 "" if ok else "  <-- bad"))
    bad += not ok
print("#   measurement errors:", short["analysis"]["measurement_errors"])
sys.exit(1 if bad or short["analysis"]["measurement_errors"] or len(s) != 12 else 0)
PY
}
if compare "$OUT/short.json" "$OUT/alone.json" 0.2; then
  ok "np 4 pairs, 0.5 s windows: no link above 2x its rate alone; those below a fifth of it are lower bounds"
else
  bad "np 4 pairs, 0.5 s windows against the links alone"
fi
# The same short windows one link at a time: within 2x of the long windows either way.
# short_alone TAG ALONE_JSON: the 0.5 s windows one link at a time against ALONE_JSON.
short_alone() {
  timeout -k 10 300 "${MPI[@]}" -np 4 "$BENCH" "${ISSUE[@]}" --schedule sequential --duration 0.5 --warmup 0.1 \
     --no-retest --json "$OUT/short_alone$1.json" > "$OUT/short_alone$1.log" 2>&1 \
   && compare "$OUT/short_alone$1.json" "$2" 0.5 strict && python3 - "$OUT/short_alone$1.json" <<'PY'
import json, sys
links = json.load(open(sys.argv[1]))["results"][0]["links"]
sys.exit(0 if all(l["bytes_per_second"] > 0 for l in links) else 1)
PY
}
step "the same links alone, --schedule sequential --duration 0.5"
if short_alone "" "$OUT/alone.json"; then
  ok "links alone, 0.5 s windows: every link within 2x of its 2 s rate"
else
  tail -5 "$OUT/short_alone.log"
  # Two runs a minute apart in an emulated guest can differ by 2x when the host is busy (CI
  # once measured 55-86 MB/s alone, then 34-51 MB/s with short windows; here both read
  # 50-64): once more, the long and the short windows back to back. Broken accounting fails
  # both times.
  step "once more, back to back: the links alone over 2 s, then over 0.5 s"
  if timeout -k 10 300 "${MPI[@]}" -np 4 "$BENCH" "${ISSUE[@]}" --schedule sequential --duration 2 --warmup 0.2 \
       --no-retest --json "$OUT/alone2.json" > "$OUT/alone2.log" 2>&1 && short_alone 2 "$OUT/alone2.json"; then
    ok "links alone, 0.5 s windows: every link within 2x of its 2 s rate (second try)"
  else
    bad "links alone, 0.5 s windows against 2 s windows, twice"; tail -5 "$OUT/short_alone2.log"
  fi
fi

# 2 MiB/s on one worker, completions held 200 ms: a handful of batches, never over the cap.
step "TE_FAULT_INJECT=rate:0->1:2M;burst:0->1:200 over verbs"
if timeout -k 10 120 "${MPI[@]}" -np 2 -x TE_FAULT_INJECT="rate:0->1:2M;burst:0->1:200" "$BENCH" \
     --transport verbs --operation write --block-size 64K --buffer-size 8M --threads 1 --batch-size 8 \
     --duration 0.5 --warmup 0.1 --progress off --no-retest --json "$OUT/burst.json" > "$OUT/burst.log" 2>&1 \
   && python3 - "$OUT/burst.json" <<'PY'
import json, sys
links = {(l["initiator"], l["target"]): l for l in json.load(open(sys.argv[1]))["results"][0]["links"]}
l = links[(0, 1)]
print("#   0->1: %.2f MB/s over %.3f s, %d batches, lower bound %s" % (
    l["bytes_per_second"] / 1e6, l["seconds"], l["batches"], l["lower_bound"]))
sys.exit(0 if 0 < l["bytes_per_second"] <= 2 * 1024 * 1024 * 1.05 and l["status"] == "ok" else 1)
PY
then
  ok "a capped link whose completions come in bursts stays under its cap over verbs"
else
  bad "capped link over verbs"; tail -20 "$OUT/burst.log"
fi

echo "# guest rate checks: $FAILS failed"
[ $FAILS = 0 ]
