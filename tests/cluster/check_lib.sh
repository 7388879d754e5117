# check_lib.sh — sourced by run_cluster_tests.sh and run_fabric_tests.sh (bash): a work dir,
# a cluster torn down on exit (Slurm too once SLURM_UP=1), TAP-like ok / fail lines.
# Needs HERE (tests/cluster) and the TE_CLUSTER_* variables exported first; WORK_STEM names
# the work dir (/tmp/WORK_STEM.XXXXXX). TE_CLUSTER_KEEP=1 leaves it for inspection.
# shellcheck shell=bash
WORK=$(mktemp -d "/tmp/${WORK_STEM:-te_cluster_tests}.XXXXXX")
SLURM_UP=0
cleanup() {
    [ $SLURM_UP = 0 ] || "$HERE/slurm_cluster.sh" down
    "$HERE/netns_cluster.sh" down
    if [ "${TE_CLUSTER_KEEP:-0}" = 1 ]; then echo "# work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAILS=0
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
show() { tail -"${2:-20}" "$1" | sed 's/^/#   /'; }
# shellcheck disable=SC2034  # the callers print the time taken
T0=$SECONDS
