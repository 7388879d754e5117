#!/bin/bash
# qos_wire_checks.sh BUILD_DIR — ctest label `rdma`: --traffic-class and --mtu seen on the
# wire. Two QEMU guests with Soft-RoCE (rxe loops a guest's own traffic inside its kernel, so
# one guest shows nothing on its NIC), one te_bench rank in each over verbs, meeting through
# redis on the host. The data NICs get a 9000-byte MTU, so rxe's active MTU is 4096. vm0
# captures RoCE v2 (UDP 4791) with tcpdump during two runs:
#   A  --traffic-class 106: every packet's IP DS field (tos) is 0x6a, and payloads above
#      1024 bytes appear (the ports' 4096 decides: nothing caps it);
#   B  --mtu 1024: no RDMA payload above 1024 bytes (IB payload: UDP length less the UDP,
#      BTH, RETH / AETH, pad and ICRC bytes), tos back to 0x00;
#   C  no flags, NCCL_IB_TC=96 and MC_MTU=512 in the environment: tos 0x60, payloads <= 512;
#   D  MC_MTU=512 on vm1's rank only: both ends of each QP agree on 512 (no payload above it).
# Each run's JSON report must say the same (traffic class, who set it, the path MTU).
# The load is light (16 KiB blocks, 4 per batch) and the ack timeout long (--ib-timeout 18,
# 1 s): at MTU 512 in emulated guests on a loaded host, 64 KiB x 16 in flight lost packets
# until rxe's retries ran out (a CI run measured 0.01 GB/s with a 56 ms p50 there).
# Exit: 0 pass, 1 fail, 77 cannot run here (reason printed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: qos_wire_checks.sh BUILD_DIR}" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump (scripts/install_deps.sh installs it)"; exit 77; }
WORK_NAME=qos_wire
# shellcheck source=guest_pair_redis.sh
. "$HERE/guest_pair_redis.sh"
# In each guest: the 9000-byte MTU, then per run vm0 starts tcpdump before its rank (the
# ranks wait for each other in the bootstrap, so no packet goes before the capture).
# shellcheck disable=SC2016  # expanded in the guest
inner='ip link set $TE_VM_DATA_IF mtu 9000 || exit 1
run() {
  name=$1; shift
  if [ $TE_VM_INDEX = 0 ]; then
    tcpdump -Z root -U -n -s 128 -i $TE_VM_DATA_IF -w '"$WORK"'/$name.pcap udp port 4791 2> '"$WORK"'/$name.tcpdump.log &
    dump=$!
    for i in $(seq 50); do [ -s '"$WORK"'/$name.pcap ] && break; sleep 0.1; done
  fi
  env ${QOS_ENV:-} '"$BUILD"'/src/bench/te_bench --bootstrap redis://$TE_VM_HOST_IP:'"$PORT"' --rank $TE_VM_INDEX --size 2 \
    --job-id qos-$name-'"$$"' --transport verbs --operation mix --block-size 16K --buffer-size 8M --threads 1 \
    --batch-size 4 --ib-timeout 18 --duration 0.5 --warmup 0.1 --no-retest --progress off --timeout 90 \
    --json '"$WORK"'/$name.rank$TE_VM_INDEX.json "$@" > '"$WORK"'/$name.rank$TE_VM_INDEX.log 2>&1
  rc=$?
  if [ $TE_VM_INDEX = 0 ]; then sleep 0.5; kill -INT $dump; wait $dump; fi
  return $rc
}
run tc106 --traffic-class 106 && run mtu1024 --mtu 1024 && QOS_ENV="NCCL_IB_TC=96 MC_MTU=512" run env96 &&
if [ $TE_VM_INDEX = 1 ]; then QOS_ENV=MC_MTU=512 run oneside; else QOS_ENV= run oneside; fi'
rc=0
"$HERE/run_in_guest.sh" --guests 2 --timeout 400 "${shares[@]}" -- bash -c "$inner" || rc=$?
if [ $rc != 0 ]; then
  # The run that failed is the last one that left logs (they run in order, each after the last).
  last=; for n in tc106 mtu1024 env96 oneside; do [ -e "$WORK/$n.rank0.log" ] && last=$n; done
  echo "not ok - two guests: exit $rc, in run ${last:-none}"; tail -n 25 "$WORK/$last".*.log 2>/dev/null; exit 1
fi
python3 - "$WORK" <<'PY'
import json, struct, sys
work = sys.argv[1]

# BTH opcodes (RC) whose packets carry a RETH (16 bytes) or an AETH (4 bytes) after the BTH.
RETH = {0x06, 0x0A, 0x0C}            # RDMA WRITE FIRST, WRITE ONLY, READ REQUEST
AETH = {0x0D, 0x0F, 0x10, 0x11}      # READ RESPONSE FIRST / LAST / ONLY, ACKNOWLEDGE
def packets(path):
    """(tos, udp_length, ib_payload) of every RoCE v2 packet of a pcap (Ethernet, IPv4)."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    at, out = 24, []
    while at + 16 <= len(data):
        incl = struct.unpack(end + "I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + incl]
        at += 16 + incl
        if len(frame) < 14 + 20 + 8 + 12 or struct.unpack(">H", frame[12:14])[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:
            continue
        udp = ip[ihl:]
        dport, ulen = struct.unpack(">H", udp[2:4])[0], struct.unpack(">H", udp[4:6])[0]
        if dport != 4791:
            continue
        bth = udp[8:20]
        opcode, pad = bth[0], (bth[1] >> 4) & 3
        ext = 16 if opcode in RETH else 4 if opcode in AETH else 0
        out.append((ip[1], ulen, ulen - 8 - 12 - ext - pad - 4))
    return out

def report(name, rank):
    return json.load(open("%s/%s.rank%d.json" % (work, name, rank))) if rank == 0 else None

fails = 0
def check(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + what)
    fails += 0 if cond else 1

a, b, c, d = (packets(work + "/%s.pcap" % n) for n in ("tc106", "mtu1024", "env96", "oneside"))
for name, run in (("A (--traffic-class 106)", a), ("B (--mtu 1024)", b), ("C (NCCL_IB_TC=96 MC_MTU=512)", c),
                  ("D (MC_MTU=512 on vm1 only)", d)):
    print("# run %s: %d packets, tos %s, largest IB payload %d bytes (UDP length %d)"
          % (name, len(run), sorted({"0x%02x" % p[0] for p in run}), max((p[2] for p in run), default=0),
             max((p[1] for p in run), default=0)))
check(min(len(a), len(b), len(c), len(d)) > 100, "RoCE v2 packets captured on vm0's NIC in every run")
check(all(p[0] == 0x6a for p in a), "--traffic-class 106: every packet's IP DS field is 0x6a")
check(all(p[0] == 0x00 for p in b), "without --traffic-class: every packet's IP DS field is 0x00")
check(max(p[2] for p in a) > 1024, "without --mtu: payloads above 1024 bytes (active MTU 4096 on a 9000-byte NIC)")
check(max(p[2] for p in b) <= 1024, "--mtu 1024: no RDMA payload above 1024 bytes")
check(max(p[1] for p in b) <= 1024 + 8 + 12 + 16 + 4, "--mtu 1024: no UDP datagram above 1064 bytes")
check(all(p[0] == 0x60 for p in c) and max(p[2] for p in c) <= 512,
      "NCCL_IB_TC=96, MC_MTU=512: every packet's DS field is 0x60, no payload above 512 bytes")
qc = report("env96", 0)["transport"]["details"]["qos"]
check(qc["traffic_class_from"] == "NCCL_IB_TC" and qc["mtu_cap_from"] == "MC_MTU" and qc["path_mtu"] == [512],
      "report C: the traffic class from NCCL_IB_TC, the MTU cap from MC_MTU: %s" % json.dumps(qc))
qd = report("oneside", 0)["transport"]["details"]["qos"]
check(max(p[2] for p in d) <= 512 and qd["mtu_cap_from"] == "default" and qd["path_mtu"] == [512],
      "MC_MTU=512 on the peer only: rank 0's QPs take the peer's 512 too, no payload above it: %s" % json.dumps(qd))
qa = report("tc106", 0)["transport"]["details"]["qos"]
qb = report("mtu1024", 0)["transport"]["details"]["qos"]
check(qa["traffic_class"] == 106 and qa["traffic_class_from"] == "flag" and qa["path_mtu"] == [4096],
      "report A: traffic_class 106 from the flag, path_mtu [4096]: %s" % json.dumps(qa))
check(qb["traffic_class"] == 0 and qb["mtu_cap"] == 1024 and qb["mtu_cap_from"] == "flag" and qb["path_mtu"] == [1024],
      "report B: mtu_cap 1024 from the flag, path_mtu [1024]: %s" % json.dumps(qb))
ranks = report("tc106", 0)["memory"]["ranks"]
check(all(r.get("qos", {}).get("traffic_class") == 106 for r in ranks), "report A: every rank's QPs used traffic class 106")
sys.exit(1 if fails else 0)
PY
