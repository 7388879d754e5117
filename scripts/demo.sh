#!/usr/bin/env bash
# README command 1: install, build (release) and run te_bench with 4 ranks on this machine
# (TCP over loopback, small buffers: well under a minute). Extra arguments go to te_bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j"$(nproc)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
exec mpirun -np 4 --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp \
  --mca mpi_yield_when_idle 1 \
  build/release/src/bench/te_bench --transport tcp --buffer-size 64M --threads 2 --duration 1 --json te_bench_demo.json "$@"
