#!/bin/bash
# guest_two_nics.sh BUILD_DIR WORK PORT NETEM [DEVICES] — runs INSIDE each of two Soft-RoCE guests
# started with run_in_guest.sh --nic2 (see two_nics_checks.sh): vm0 has rxe0 and rxe1, vm1
# rxe0 only, one L2. One te_bench rank per guest over verbs, meeting through redis on the
# host. NETEM (e.g. "delay 20ms"; "" for none): vm0's second data NIC (rxe1's netdev) gets
# `tc qdisc add ... root netem NETEM` first. DEVICES: vm0's --devices (default: te_bench's).
# Writes WORK/vm<i>.info (rdma link, ibv_devices, GID tables, addresses, qdiscs) and
# WORK/vm<i>.counters.{before,after} (rxe packet counters), WORK/rank<i>.{out,err,rc}; rank 0
# also WORK/report.json and WORK/report.csv.
BUILD=$1
WORK=$2
PORT=$3
NETEM=$4
DEVICES=${5:-}
I=$TE_VM_INDEX
BENCH=$BUILD/src/bench/te_bench

[ -n "$TE_VM_DATA2_IF" ] || [ "$I" != 0 ] || { echo "no second data NIC (run_in_guest.sh --nic2?)"; exit 1; }
if [ "$I" = 0 ] && [ -n "$NETEM" ]; then
  # shellcheck disable=SC2086  # netem's arguments, word-split
  tc qdisc add dev "$TE_VM_DATA2_IF" root netem $NETEM || exit 1
fi
{
  echo "# rdma link"; rdma link
  echo "# ibv_devices"; ibv_devices
  # Builtins only, the first 8 entries: a process per sysfs file costs ~0.3 s under TCG.
  echo "# GIDs (device port index gid type ndev)"
  for d in /sys/class/infiniband/*/ports/1; do
    dev=${d#/sys/class/infiniband/}; dev=${dev%%/*}
    for idx in 0 1 2 3 4 5 6 7; do
      read -r g < "$d/gids/$idx" 2>/dev/null || continue
      [ "$g" = 0000:0000:0000:0000:0000:0000:0000:0000 ] && continue
      t=""; n=""
      read -r t < "$d/gid_attrs/types/$idx" 2>/dev/null
      read -r n < "$d/gid_attrs/ndevs/$idx" 2>/dev/null
      echo "$dev 1 $idx $g $t $n"
    done
  done
  echo "# addresses"; ip -br addr
  echo "# qdiscs"; tc qdisc show
} > "$WORK/vm$I.info" 2>&1

# Soft-RoCE's own packet counters around the run: each device's share, seen by the kernel.
counters() {
  local d c v
  for d in /sys/class/infiniband/*; do
    for c in sent_pkts rcvd_pkts; do
      v=""; read -r v < "$d/ports/1/hw_counters/$c" 2>/dev/null
      echo "${d##*/} $c ${v:-?}"
    done
  done
}
counters > "$WORK/vm$I.counters.before"
extra=()
[ "$I" = 0 ] && extra=(--json "$WORK/report.json" --csv "$WORK/report.csv")
[ "$I" = 0 ] && [ -n "$DEVICES" ] && extra+=(--devices "$DEVICES")
timeout -k 5 240 "$BENCH" --bootstrap "redis://$TE_VM_HOST_IP:$PORT" --rank "$I" --size 2 --job-id "two-nics-$PORT" \
  --transport verbs --operation write --threads 1 --qps-per-peer 2 --buffer-size 8M --batch-size 8 \
  --duration 2 --warmup 0.2 --progress off --timeout 90 "${extra[@]}" \
  > "$WORK/rank$I.out" 2> "$WORK/rank$I.err"
rc=$?
counters > "$WORK/vm$I.counters.after"
echo $rc > "$WORK/rank$I.rc"
exit $rc
