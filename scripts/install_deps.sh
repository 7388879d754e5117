#!/usr/bin/env bash
# Installs every Debian package te_bench needs to build, run and test (Debian 12, as root).
# Idempotent: packages already installed are not fetched again.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev
  libibverbs-dev rdma-core ibverbs-utils ibverbs-providers
  libucx-dev ucx-utils
  libnuma-dev libcli11-dev nlohmann-json3-dev libpugixml-dev libgtest-dev libgmock-dev
  libcurl4-openssl-dev libhiredis-dev
  # tests and benchmarks: real servers, peers, launchers
  etcd-server etcd-client redis-server redis-tools curl prometheus prometheus-node-exporter iperf3 perftest hwloc iproute2 procps python3 time
  slurmctld slurmd slurm-client munge
  # Soft-RoCE in QEMU guests (tests/vm)
  qemu-system-x86 busybox-static cpio kmod xz-utils
  # RoCE v2 packets on a guest NIC (tests/vm/qos_wire_checks.sh)
  tcpdump
  # the HTML report rendered in a real browser (tests/report)
  chromium
)

if [[ $(id -u) -ne 0 ]]; then
  echo "install_deps.sh: run as root (apt-get install needs it)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps.sh: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install_deps.sh: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Package scripts must not start daemons here (no systemd; tests start their own).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
