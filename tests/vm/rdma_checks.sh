#!/bin/bash
# rdma_checks.sh BUILD_DIR [GUEST_SCRIPT] — ctest label `rdma`: boots one Soft-RoCE guest
# (QEMU, rdma_rxe) and runs GUEST_SCRIPT (default guest_rdma_checks.sh, beside this file)
# there against the te_bench just built.
# Exit: 0 pass, 1 a check failed, 77 guests cannot run here (reason printed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: rdma_checks.sh BUILD_DIR [GUEST_SCRIPT]}" && pwd)
GUEST_SCRIPT=${2:-guest_rdma_checks.sh}
SRC=$(cd "$HERE/../.." && pwd)
[ -x "$BUILD/src/bench/te_bench" ] || { echo "SKIP: $BUILD/src/bench/te_bench not built"; exit 77; }
grep -q '"verbs"' "$BUILD/src/engine/generated/transport_list.inc" 2>/dev/null \
  || { echo "SKIP: this build has no verbs transport (TE_WITH_VERBS off or libibverbs missing)"; exit 77; }
"$HERE/prepare.sh" --quiet >/dev/null || { echo "SKIP: guest kernel / initramfs could not be prepared"; exit 77; }
# The source tree (scripts) and the build tree (binaries, reports) must both be reachable,
# and writable where reports go: a clone under /tmp is not visible in the guest otherwise.
shares=(--share "$SRC")
case $BUILD/ in "$SRC"/*) ;; *) shares+=(--share "$BUILD") ;; esac
exec "$HERE/run_in_guest.sh" --timeout 560 --mem 1536 "${shares[@]}" -- bash "$HERE/$GUEST_SCRIPT" "$BUILD"
