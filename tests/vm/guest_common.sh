# guest_common.sh — sourced by the scripts that run INSIDE a Soft-RoCE guest: BUILD_DIR as
# $1, the binary under test, a scratch folder, TAP-style ok / not ok lines with a count of
# failures, and mpirun's flags for a guest (MPI's own traffic on TCP, never on rxe).
BUILD=$1
BENCH=$BUILD/src/bench/te_bench
OUT=$(mktemp -d)
FAILS=0
ok() { echo "ok - $*"; }
# Each step announces itself, so a guest that runs out of time shows where it was.
step() { echo "# [$SECONDS s] $*"; }
bad() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
MPI=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp
     --mca mpi_yield_when_idle 1)
