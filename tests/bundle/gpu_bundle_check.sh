#!/bin/bash
# gpu_bundle_check.sh BUILD_DIR — ctest label `bundle`: perf/gpu_bundle.sh builds the bundle a
# lent GPU machine runs (it has none of te_bench's libraries), then perf/gpu_check.sh
# --bundle runs through it here with a stand-in nvidia-smi and a bare environment: the DRAM
# rows must be measured over tcp and ucx through the bundled loader, libraries and
# redis-server, and every VRAM row must fail with the one-line no-driver error (no GPU here).
# Exit: 0 pass, 1 fail, 77 no CUDA Toolkit here (the bundle needs nvcc).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:?usage: gpu_bundle_check.sh BUILD_DIR}" && pwd)
command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]] || { echo "SKIP: no nvcc (CUDA Toolkit) here"; exit 77; }
WORK=$BUILD/bundle_check
rm -rf "$WORK/gpu_bundle" "$WORK/out"; mkdir -p "$WORK/fakebin"  # the build tree stays: reruns are incremental
fail() { echo "FAIL: $*"; exit 1; }

BUILD="$WORK/build" DEST="$WORK/gpu_bundle" bash "$SRC/perf/gpu_bundle.sh" || fail "perf/gpu_bundle.sh"
B=$WORK/gpu_bundle
size=$(du -sm "$B" | cut -f1)
[[ $size -lt 60 ]] || fail "bundle is $size MiB: the device tool carries at most 64 MiB with the tree"

printf '#!/bin/sh\necho "stand-in nvidia-smi: no GPU here" >&2\nexit 9\n' > "$WORK/fakebin/nvidia-smi"
chmod +x "$WORK/fakebin/nvidia-smi"
# A bare environment: nothing of this machine's build or MPI set-up leaks in.
env -i PATH="$WORK/fakebin:/usr/bin:/bin" HOME=/tmp OUT="$WORK/out" REDIS_PORT=6397 \
  bash "$SRC/perf/gpu_check.sh" --bundle "$B" > "$WORK/check.log" 2>&1
table=$WORK/out/table.md
[[ -f $table ]] || { tail -20 "$WORK/check.log"; fail "gpu_check.sh --bundle wrote no table"; }
for t in tcp ucx; do
  n=$(grep -cE "^\| $t \| dram \| dram \| (write|read) \| [0-9]+ \| [0-9.]+ \|" "$table")
  [[ $n == 4 ]] || { cat "$table"; fail "$t DRAM rows measured through the bundle: $n of 4"; }
done
nvram=$(grep -c "vram .*failed (exit 1)" "$table")
[[ $nvram == 16 ]] || { cat "$table"; fail "VRAM rows failing with exit 1 (no GPU): $nvram of 16"; }
grep -q "no usable NVIDIA driver" "$WORK/out/summary.txt" || fail "the no-driver error is not in summary.txt"
pgrep -f "redis-server.*:6397" >/dev/null && fail "the bundled redis-server was left running"
echo "ok: bundle of $size MiB; tcp and ucx DRAM rows measured through it; 16 VRAM rows exit 1 without a GPU"
