#!/bin/bash
# run_fabric_tests.sh BUILD_DIR — a two-level fabric on one machine (issue 20).
#
# Six netns hosts on three leaf bridges under a spine bridge (netns_cluster.sh with
# TE_CLUSTER_LEAVES=3: h0,h1 | h2,h3 | h4,h5), leaf2's uplink shaped to 100mbit
# (slow_uplink.sh), te_bench over TCP through mpirun:
#   with the cluster's topology.conf  -> the only suspect is "uplink leaf2", no slow link
#                                        left unexplained;
#   without it                        -> exit 0 and no switch / uplink named;
#   Slurm (when installed) with TopologyPlugin=topology/tree and the same topology.conf:
#   jobs/te_bench.sbatch with no --topology reads `scontrol show topology` and names the
#   uplink;
#   rails: 4 hosts with two NICs each (TE_CLUSTER_RAILS=2: eth0, eth1 on their own bridges),
#   two ranks per host, local rank i advertising ethi, rail 1 shaped on every host
#   (slow_rail.sh)                    -> the only suspect is "rail 1".
# Exit: 0 passed; 1 a check failed; 77 skipped (one-line reason): not root, no ip / mpirun /
# python3, or te_bench not built (BUILD_DIR/src/bench/te_bench or TE_BENCH_BIN).
# Environment: TE_CLUSTER_KEEP=1 leaves the work dir; TE_FABRIC_RATE (100mbit).
set -u
BUILD=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

skip() { echo "SKIP: $*"; exit 77; }
[ -n "$BUILD" ] || { echo "usage: run_fabric_tests.sh BUILD_DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "no ip command (iproute2)"
command -v mpirun >/dev/null || skip "no mpirun (openmpi-bin)"
command -v python3 >/dev/null || skip "no python3 (the reports are checked with it)"
BENCH=${TE_BENCH_BIN:-$BUILD/src/bench/te_bench}
[ -x "$BENCH" ] || skip "te_bench not built ($BENCH)"
BENCH=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")

export TE_CLUSTER_PREFIX=tf$$-
export TE_CLUSTER_HOSTS=6
export TE_CLUSTER_LEAVES=3
export TE_CLUSTER_STATE=/tmp/te_cluster.tf$$
# shellcheck disable=SC2034  # read by check_lib.sh
WORK_STEM=te_fabric_tests
# shellcheck source=check_lib.sh
. "$HERE/check_lib.sh"

"$HERE/netns_cluster.sh" up >/dev/null || { echo "not ok - netns cluster up (3 leaves)"; exit 1; }
TOPO=$TE_CLUSTER_STATE/topology.conf
grep -q '^SwitchName=leaf2 Nodes=h2,h3$' "$TOPO" && ok "3 leaves under a spine: $(tr '\n' ';' < "$TOPO")" \
    || fail "topology.conf: $(cat "$TOPO")"
"$HERE/slow_uplink.sh" leaf2 "${TE_FABRIC_RATE:-100mbit}" >/dev/null || fail "slow_uplink.sh leaf2"

bench() {   # bench NAME [flags]: report $WORK/NAME.json, output $WORK/NAME.out (HOSTFILE, RANK_BIN)
    local name=$1 rc=0; shift
    TE_BENCH_BIN=${RANK_BIN:-$BENCH} TE_RSH_AGENT=$HERE/rsh_agent.sh TE_IF_INCLUDE=10.77.0.0/24 TE_MPI_BTL=self,tcp \
        "$HERE/netns_cluster.sh" exec head timeout 300 "$ROOT/jobs/mpirun_hostfile.sh" \
        "${HOSTFILE:-$TE_CLUSTER_STATE/hostfile}" --transport tcp --block-size 64K --duration 1 --warmup 0.2 \
        --buffer-size 64M --threads 1 --progress off --json "$WORK/$name.json" "$@" > "$WORK/$name.out" 2>&1 || rc=$?
    return $rc
}

rc=0; bench topo --topology "$TOPO" || rc=$?
if [ $rc = 0 ] && python3 "$HERE/check_fabric.py" "$WORK/topo.json" uplink leaf2 --only > "$WORK/check.out" 2>&1; then
    ok "6 hosts, leaf2's uplink shaped, --topology: $(tail -1 "$WORK/check.out")"
    grep -E '^(SUSPECT|by path|by switch)' "$WORK/topo.out" | sed 's/^/#   /'
else
    fail "--topology: exit $rc, uplink leaf2 not the only suspect"; show "$WORK/topo.out" 30; show "$WORK/check.out" 5
fi
rc=0; bench plain || rc=$?
if [ $rc = 0 ] && python3 "$HERE/check_fabric.py" "$WORK/plain.json" --no-fabric > "$WORK/check.out" 2>&1; then
    ok "the same without a topology: exit 0, $(tail -1 "$WORK/check.out")"
else
    fail "without a topology: exit $rc"; show "$WORK/plain.out" 30; show "$WORK/check.out" 5
fi

HAVE_SLURM=1
for b in munged mungekey slurmctld slurmd sbatch srun scontrol; do command -v $b >/dev/null || HAVE_SLURM=0; done
if [ $HAVE_SLURM = 0 ]; then
    echo "# Slurm not installed: the scontrol show topology check skipped"
elif "$HERE/slurm_cluster.sh" up > "$WORK/slurm_up.out" 2>&1; then
    # shellcheck disable=SC2034  # check_lib.sh takes Slurm down on exit
    SLURM_UP=1
    rc=0
    TE_BENCH_BIN=$BENCH TE_REPORT_DIR=$WORK/rep OMPI_MCA_mpi_yield_when_idle=1 TE_SLURM_TIMEOUT=240 \
        TE_BENCH_FLAGS="--transport tcp --block-size 64K --duration 1 --warmup 0.2 --buffer-size 64M --threads 1 --progress off" \
        "$HERE/slurm_cluster.sh" run --nodes=6 --ntasks-per-node=1 "$ROOT/jobs/te_bench.sbatch" > "$WORK/job.out" 2>&1 || rc=$?
    source=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["topology"]; print(t and t["source"])' \
        "$WORK/rep/report.json" 2>/dev/null)
    if [ $rc = 0 ] && [ "$source" = "scontrol show topology" ] \
        && python3 "$HERE/check_fabric.py" "$WORK/rep/report.json" uplink leaf2 > "$WORK/check.out" 2>&1; then
        ok "te_bench.sbatch, no flag, topology/tree: from $source, $(tail -1 "$WORK/check.out")"
    else
        fail "te_bench.sbatch with topology/tree: exit $rc, topology from '$source'"; show "$WORK/job.out" 30
        show "$WORK/check.out" 5
    fi
else
    fail "slurm cluster up"; show "$WORK/slurm_up.out"
fi

# ---------------------------------------------------------------- rails
[ $SLURM_UP = 0 ] || "$HERE/slurm_cluster.sh" down >/dev/null 2>&1
SLURM_UP=0
"$HERE/netns_cluster.sh" down
export TE_CLUSTER_HOSTS=4 TE_CLUSTER_LEAVES=0 TE_CLUSTER_RAILS=2
if "$HERE/netns_cluster.sh" up >/dev/null; then
    HOSTFILE=$WORK/hostfile2
    "$HERE/netns_cluster.sh" hostfile 2 > "$HOSTFILE"
    # One rank per NIC: local rank i advertises ethi (the NIC of its GPU on a real node).
    RANK_BIN=$WORK/rail_rank.sh
    printf '#!/bin/sh\nexec %s --tcp-interface "eth${OMPI_COMM_WORLD_LOCAL_RANK:-0}" "$@"\n' "$BENCH" > "$RANK_BIN"
    chmod +x "$RANK_BIN"
    "$HERE/slow_rail.sh" 1 "${TE_FABRIC_RATE:-100mbit}" >/dev/null || fail "slow_rail.sh 1"
    rc=0; bench rails --duration 0.5 || rc=$?
    if [ $rc = 0 ] && python3 "$HERE/check_fabric.py" "$WORK/rails.json" rail 1 --only > "$WORK/check.out" 2>&1; then
        ok "4 hosts x 2 rails, rail 1 shaped: $(tail -1 "$WORK/check.out")"
        grep -E '^(SUSPECT|by path|  rail)' "$WORK/rails.out" | sed 's/^/#   /'
    else
        fail "rails: exit $rc, rail 1 not the only suspect"; show "$WORK/rails.out" 30; show "$WORK/check.out" 5
    fi
else
    fail "netns cluster up (4 hosts x 2 rails)"
fi

echo "# $((SECONDS - T0)) s"
[ $FAILS = 0 ] || { echo "FAILED: $FAILS check(s)"; exit 1; }
echo "PASSED"
