#!/bin/bash
# congestion_vs_iperf3.sh [BUILD_DIR] — te_bench's congestion impact beside iperf3's, in one run
# (issue 23). Four netns hosts on two leaves (h0,h1 | h2,h3), leaf1's uplink shaped to RATE
# both ways (tests/cluster/slow_uplink.sh), the links inside each leaf to RATE too. The same
# two flows, h0 -> h2 and h1 -> h3, first alone, then together through the uplink:
#   iperf3:   each flow alone (-t SECONDS), then both at once; impact = together / alone;
#   te_bench: --schedule sequential,shift over TCP (shift's phase 2 runs 0->2 and 1->3 at
#             once, with 2->0 and 3->1 the other way); impact as the report gives it.
# Prints one table row per flow and the ratio te_bench / iperf3 of the mean impact.
# Needs root, iproute2 (tc), mpirun, iperf3, python3. Env: RATE (200mbit), SECONDS_EACH (5).
set -eu
BUILD=${1:-build/dev}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CL=$ROOT/tests/cluster
BENCH=$(cd "$BUILD/src/bench" && pwd)/te_bench
RATE=${RATE:-200mbit}
T=${SECONDS_EACH:-5}
for c in ip tc mpirun iperf3 python3; do command -v $c >/dev/null || { echo "needs $c" >&2; exit 1; }; done
[ -x "$BENCH" ] || { echo "te_bench not built in $BUILD" >&2; exit 1; }

export TE_CLUSTER_PREFIX=pc$$- TE_CLUSTER_HOSTS=4 TE_CLUSTER_LEAVES=2 TE_CLUSTER_STATE=/tmp/te_cluster.pc$$
WORK=$(mktemp -d /tmp/te_congestion_perf.XXXXXX)
trap 'for f in "$WORK"/iperf3_*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
      "$CL/netns_cluster.sh" down >/dev/null 2>&1; rm -rf "$WORK"' EXIT
"$CL/netns_cluster.sh" up >/dev/null
"$CL/slow_uplink.sh" leaf1 "$RATE" >/dev/null
"$CL/slow_link.sh" h0 h1 "$RATE" >/dev/null
"$CL/slow_link.sh" h2 h3 "$RATE" >/dev/null
on() { local h=$1; shift; "$CL/netns_cluster.sh" exec "$h" "$@"; }

for h in h2 h3; do on $h iperf3 -s -D -p 5201 -I "$WORK/iperf3_$h.pid" >/dev/null; done
sleep 0.5
rate() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 8)' "$1"; }
on h0 iperf3 -c 10.77.0.12 -p 5201 -t "$T" -J > "$WORK/a02.json"
on h1 iperf3 -c 10.77.0.13 -p 5201 -t "$T" -J > "$WORK/a13.json"
on h0 iperf3 -c 10.77.0.12 -p 5201 -t "$T" -J > "$WORK/b02.json" &
on h1 iperf3 -c 10.77.0.13 -p 5201 -t "$T" -J > "$WORK/b13.json"
wait
TE_BENCH_BIN=$BENCH TE_RSH_AGENT=$CL/rsh_agent.sh TE_IF_INCLUDE=10.77.0.0/24 TE_MPI_BTL=self,tcp \
    "$CL/netns_cluster.sh" exec head timeout 600 "$ROOT/jobs/mpirun_hostfile.sh" "$TE_CLUSTER_STATE/hostfile" \
    --transport tcp --schedule sequential,shift --block-size 64K --duration "$T" --warmup 0.5 --buffer-size 64M \
    --threads 1 --progress off --json "$WORK/te.json" > "$WORK/te.out" 2>&1

python3 - "$WORK" "$RATE" <<'PY'
import json, sys
w, rate = sys.argv[1], sys.argv[2]
def iperf(name):
    return json.load(open("%s/%s.json" % (w, name)))["end"]["sum_received"]["bits_per_second"] / 8
blocks = {b["schedule"]: b for b in json.load(open(w + "/te.json"))["results"]}
te = {(l["initiator"], l["target"]): l for l in blocks["shift"]["links"]}
print("| flow | iperf3 alone | iperf3 together | iperf3 impact | te_bench idle | te_bench loaded | te_bench impact |")
print("|---|---|---|---|---|---|---|")
mi, mt = [], []
for (i, t), a, b in (((0, 2), "a02", "b02"), ((1, 3), "a13", "b13")):
    ia, ib = iperf(a), iperf(b)
    c = te[(i, t)]["congestion"]
    mi.append(ib / ia)
    mt.append(c["impact"])
    print("| %d->%d | %.1f MB/s | %.1f MB/s | %.2f | %.1f MB/s | %.1f MB/s | %.2f |" % (
        i, t, ia / 1e6, ib / 1e6, ib / ia, c["idle_bytes_per_second"] / 1e6, te[(i, t)]["bytes_per_second"] / 1e6, c["impact"]))
print("uplink %s: mean impact iperf3 %.2f, te_bench %.2f, ratio te_bench / iperf3 %.2f; te_bench median over 12 links %.2f, %d flagged" % (
    rate, sum(mi) / 2, sum(mt) / 2, (sum(mt) / 2) / (sum(mi) / 2), blocks["shift"]["congestion"]["median"],
    len(blocks["shift"]["congestion"]["flagged_links"])))
PY
