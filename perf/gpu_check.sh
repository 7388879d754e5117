#!/usr/bin/env bash
# perf/gpu_check.sh — the VRAM checks on a GPU node (H100 / H200), in one run:
#   1. build with -DTE_WITH_CUDA=ON (release + tests) into build/gpu;
#   2. the VRAM unit tests, which must run (a skip is a failure here);
#   3. the limits beside it: cudaMemcpy D2D, pinned H2D / D2H (te_cuda_copy_bw);
#   4. mpirun -np 2 te_bench on one GPU, over tcp (staged through pinned memory) and ucx:
#      DRAM->DRAM, VRAM->VRAM and DRAM->VRAM, 64 KiB and 1 MiB, with --integrity-check;
#   5. a markdown table (te_bench GB/s, and the ratio to the copy limit that bounds it);
#   and the node's PCIe layout (pci_layout.txt), a recorded fixture for the affinity tests.
# Everything lands in $OUT (default build/gpu_check). What could not run is said, not hidden.
# Usage: perf/gpu_check.sh [--skip-build | --bundle DIR]
#   --bundle DIR: the programs of perf/gpu_bundle.sh, built elsewhere (the lent GPU machines
#   have no MPI, UCX or verbs libraries): no build, ranks started by jobs/launch_local.sh
#   with the bundled redis-server as the bootstrap instead of mpirun. On the device tool
#   (at most 8 files come back, so pack them): build the bundle here, then run, carrying
#   build/gpu_bundle:  OUT=/tmp/gc perf/gpu_check.sh --bundle build/gpu_bundle;
#                      tar -C /tmp -czf $OUT/gpu_check.tgz gc
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/build/gpu_check}
BUILD=${BUILD:-$PWD/build/gpu}
BUNDLE=
[[ ${1:-} == --bundle ]] && { BUNDLE=$(cd "${2:?--bundle DIR}" && pwd) || exit 2; }
mkdir -p "$OUT"
log() { echo "gpu_check: $*" | tee -a "$OUT/summary.txt"; }
needed="cmake mpirun nvidia-smi"
[[ -n $BUNDLE ]] && needed="nvidia-smi python3"
for tool in $needed; do
  command -v "$tool" >/dev/null || { log "cannot run: $tool not found"; exit 77; }
done
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,memory.total --format=csv > "$OUT/nvidia-smi.csv" 2>&1
nvidia-smi topo -m > "$OUT/topo.txt" 2>&1 || true
# This node's PCIe layout in the format of tests/unit/fixtures/pci (name, NUMA node, resolved
# sysfs path), so it can become a recorded fixture for the GPU-NIC affinity tests.
{
  echo "# $(hostname): $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | sort | uniq -c | xargs), recorded by perf/gpu_check.sh on $(date -u +%F)"
  i=0
  for bus in $(nvidia-smi --query-gpu=pci.bus_id --format=csv,noheader 2>/dev/null); do
    bus=$(tr 'A-F' 'a-f' <<<"${bus: -12}")  # 00000000:18:00.0 -> 0000:18:00.0
    dev=$(readlink -f "/sys/bus/pci/devices/$bus")
    echo "gpu$i $(cat "$dev/numa_node" 2>/dev/null || echo -1) $dev"
    i=$((i + 1))
  done
  for link in /sys/class/infiniband/*/device /sys/class/net/*/device; do
    [[ -e $link ]] || continue
    dev=$(readlink -f "$link")
    name=$(basename "$(dirname "$link")")
    echo "$name $(cat "$dev/numa_node" 2>/dev/null || echo -1) $dev"
  done
} > "$OUT/pci_layout.txt" 2>&1
if [[ -z $BUNDLE && ${1:-} != --skip-build ]]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTE_BUILD_TESTS=ON -DTE_WITH_CUDA=ON \
    > "$OUT/configure.log" 2>&1 || { log "configure failed (see configure.log)"; exit 1; }
  cmake --build "$BUILD" -j"$(nproc)" > "$OUT/build.log" 2>&1 || { log "build failed (see build.log)"; exit 1; }
fi
# How a program is started: from the build, or through the bundle's loader (the host's driver
# libraries after the bundle's own, for libcuda).
if [[ -n $BUNDLE ]]; then
  cat "$BUNDLE/MANIFEST" >> "$OUT/summary.txt"
  export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/nvidia/lib64:/usr/lib/x86_64-linux-gnu:/usr/lib64
  UNIT="$BUNDLE/run te_unit_tests"; COPY_BW="$BUNDLE/run te_cuda_copy_bw"; BENCH="$BUNDLE/run te_bench"
else
  UNIT=$BUILD/tests/unit/te_unit_tests; COPY_BW=$BUILD/src/engine/cuda/te_cuda_copy_bw; BENCH=$BUILD/src/bench/te_bench
fi

$UNIT --gtest_filter='Vram*:Memory*' > "$OUT/unit.txt" 2>&1
unit_rc=$?
if grep -q '\[  SKIPPED \]' "$OUT/unit.txt"; then log "VRAM unit tests SKIPPED on a GPU node: $(grep -m1 'no GPU' "$OUT/unit.txt")"; unit_rc=1; fi
log "VRAM unit tests: $( [[ $unit_rc == 0 ]] && echo passed || echo FAILED ) ($(grep -c '\[       OK \]' "$OUT/unit.txt") ok)"

$COPY_BW 0 > "$OUT/limits.txt" 2>&1 || log "te_cuda_copy_bw failed: $(tail -1 "$OUT/limits.txt")"
limit() { awk -v k="$1" -v b="$2" '$1=="copy" && $2==k && $3==b {print $4}' "$OUT/limits.txt"; }

MPI="mpirun --allow-run-as-root -np 2 --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp"
if [[ -n $BUNDLE ]]; then
  PORT=${REDIS_PORT:-6399}
  PIDFILE=/tmp/te_gpu_check_redis_$PORT.pid
  $BUNDLE/run redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$PIDFILE" --logfile "$OUT/redis.log" || { log "cannot run: the bundled redis-server did not start"; exit 1; }
  stop_redis() {
    local pid; pid=$(cat "$PIDFILE" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  }
  trap stop_redis EXIT
  sleep 1
  MPI="jobs/launch_local.sh 2 --"
  BENCH="$BENCH --bootstrap redis://127.0.0.1:$PORT"
fi
echo "| transport | initiator | target | op | size | te_bench GB/s | bound by | limit GB/s | ratio |" > "$OUT/table.md"
echo "|---|---|---|---|---|---:|---|---:|---:|" >> "$OUT/table.md"
for transport in tcp ucx; do
  for sides in dram:dram vram:vram dram:vram; do
    im=${sides%:*}; tm=${sides#*:}
    for op in write read; do
      for size in 65536 1048576; do
        name="$transport-$im-$tm-$op-$size"
        timeout 300 $MPI $BENCH --transport "$transport" --initiator-memory "$im" --target-memory "$tm" --gpu-id 0 \
          --operation "$op" --block-size "$size" --buffer-size 1G --threads 2 --batch-size 64 --duration 3 \
          --integrity-check --schedule sequential --pairs 0:1 --no-retest --progress off \
          --json "$OUT/$name.json" > "$OUT/$name.log" 2>&1
        rc=$?
        if [[ $rc != 0 ]]; then
          log "$name: exit $rc: $(grep -m1 'te_bench:' "$OUT/$name.log")"
          echo "| $transport | $im | $tm | $op | $size | failed (exit $rc) | | | |" >> "$OUT/table.md"
          continue
        fi
        gbs=$(perf/json_field.py "$OUT/$name.json" results.0.links.0.bytes_per_second --scale 1e-9 --format .3f)
        # The copy that bounds a staged transfer: H2D into VRAM, D2H out of it.
        bound=d2d; [[ $im != $tm ]] && bound=$([[ $op == write ]] && echo h2d || echo d2h)
        [[ $im == dram && $tm == dram ]] && bound=-
        lim=$([[ $bound == - ]] && echo "" || limit "$bound" "$size")
        ratio=$([[ -n $lim ]] && python3 -c "print(f'{$gbs/$lim:.2f}')" || echo "")
        echo "| $transport | $im | $tm | $op | $size | $gbs | $bound | $lim | $ratio |" >> "$OUT/table.md"
      done
    done
  done
done
cat "$OUT/table.md"
log "results in $OUT"
[[ $unit_rc == 0 ]]
