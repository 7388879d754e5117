#!/usr/bin/env bash
# README command 2: install, build (dev preset, with tests) and run the whole test suite:
# unit, conformance, mpi, cli (the fuzzed command line), services (real etcd / redis), metrics
# (promtool, node_exporter and a Prometheus server on a run's --metrics), cluster
# (network namespaces, Slurm), rdma (Soft-RoCE in QEMU guests) and bundle (the GPU-machine
# bundle, built with CUDA).
# Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake --preset dev >/dev/null
cmake --build build/dev -j"$(nproc)"
cd build/dev
exec ctest --output-on-failure --timeout 900 "$@"
