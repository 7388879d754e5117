#!/bin/bash
# two_guest_checks.sh BUILD_DIR — ctest label `rdma`: two QEMU guests ("two hosts") with
# Soft-RoCE on a private virtual L2, 2 te_bench ranks in each (4 in all) over verbs, ranks
# meeting through a redis server on the host's loopback (the guests reach it at 10.0.2.2).
# Checks the full 4 x 4 matrix, that inter-guest links are seen as inter-host, the bytes, and
# that every rank matched its peers' RoCE GIDs in one subnet.
# With --slow, guest vm1's data NIC gets 20 ms of netem delay (the guest kernel has it): the
# inter-guest links must then be clearly the slow ones in the matrix.
# With --gid-subnets, vm0's data NIC gets 10.0.9.1/24 before its 10.0.3.1/24, so that each
# guest's own GID choice (the lowest index) lies in another subnet than the other's, and vm1
# filters sources it has no route to: the ranks must match their GIDs in 10.0.3.0/24 to
# connect across the guests.
# With --gid-mismatch, vm0's ranks pin --gid-index 0 (IPv6 link-local), vm1's 1 (IPv4): no
# pair matches across the guests, and the run must fail with one line naming both ends.
# Exit: 0 pass, 1 fail, 77 cannot run here (reason printed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: two_guest_checks.sh BUILD_DIR}" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SLOW=0; [ "${2:-}" = --slow ] && SLOW=1
SUBNETS=0; [ "${2:-}" = --gid-subnets ] && SUBNETS=1
MISMATCH=0; [ "${2:-}" = --gid-mismatch ] && MISMATCH=1
WORK_NAME=two_guests
# shellcheck source=guest_pair_redis.sh
. "$HERE/guest_pair_redis.sh"
JOB=two-guests-$$
# shellcheck disable=SC2016  # expanded in the guest
inner='if [ '"$SLOW"' = 1 ] && [ $TE_VM_INDEX = 1 ]; then tc qdisc add dev $TE_VM_DATA_IF root netem delay 20ms || exit 1; fi
if [ '"$SUBNETS"' = 1 ] && [ $TE_VM_INDEX = 0 ]; then
  ip -4 addr flush dev $TE_VM_DATA_IF && ip addr add 10.0.9.1/24 dev $TE_VM_DATA_IF &&
    ip addr add $TE_VM_DATA_IP/24 dev $TE_VM_DATA_IF || exit 1
  sleep 1  # rxe0 GID table follows the addresses
fi
# vm1 drops what comes from a source it has no route back to (strict reverse-path filter):
# a QP at vm0 sending from its own choice, 10.0.9.1, would not get through.
if [ '"$SUBNETS"' = 1 ] && [ $TE_VM_INDEX = 1 ]; then
  for c in all $TE_VM_DATA_IF; do echo 1 > /proc/sys/net/ipv4/conf/$c/rp_filter || exit 1; done
fi
gid=(); [ '"$MISMATCH"' = 1 ] && gid=(--gid-index $TE_VM_INDEX)
for i in 0 1; do
  r=$((TE_VM_INDEX * 2 + i))
  extra=(); [ $r = 0 ] && extra=(--json '"$WORK"'/report.json)
  '"$BUILD"'/src/bench/te_bench --bootstrap redis://$TE_VM_HOST_IP:'"$PORT"' --rank $r --size 4 --job-id '"$JOB"' \
    --transport verbs --buffer-size 8M --threads 1 --batch-size 8 --duration 0.5 --warmup 0.1 --progress off \
    --integrity-check --timeout 90 "${gid[@]}" "${extra[@]}" > '"$WORK"'/rank$r.log 2>&1 &
done
rc=0; for p in $(jobs -p); do wait $p || rc=$?; done; exit $rc'
rc=0
"$HERE/run_in_guest.sh" --guests 2 --timeout 400 "${shares[@]}" -- bash -c "$inner" || rc=$?
if [ $MISMATCH = 1 ]; then
  want='verbs: no RoCE GID pair between rank 0 (vm0) rxe0 \[0 v2 fe80::'
  if [ $rc != 0 ] && grep -q "$want" "$WORK"/rank0.log; then
    echo "ok - GIDs pinned to different families: the run failed, saying so: $(grep -o 'verbs: no RoCE GID.*' "$WORK"/rank0.log | head -1)"
    exit 0
  fi
  echo "not ok - GIDs that cannot pair: exit $rc, no clear error"; tail -n 5 "$WORK"/rank*.log; exit 1
fi
if [ $rc != 0 ]; then
  echo "not ok - two guests: exit $rc"; tail -n 15 "$WORK"/rank*.log 2>/dev/null; exit 1
fi
python3 "$SRC/tests/support/check_report.py" "$WORK/report.json" 4 verbs --blocks 1
python3 - "$WORK/report.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
hosts = [r["host"] for r in j["world"]["ranks"]]
assert hosts == ["vm0", "vm0", "vm1", "vm1"], hosts
loc = {(l["initiator"], l["target"]): l["analysis"]["locality"] for l in j["results"][0]["links"]}
for (i, t), v in loc.items():
    want = "intra-host" if hosts[i] == hosts[t] else "inter-host"
    assert v == want, ((i, t), v)
print("ok - two guests, 2 ranks each, verbs over rxe, bootstrap redis: 12 links, localities right, bytes verified")
# RoCE GIDs matched per peer: every rank's port pairs with its 3 peers in the data subnet.
for r, m in enumerate(j["memory"]["ranks"]):
    g = m["ports"][0]["gid_match"]
    assert g["pairs"] == 3 and g["by_reason"] == {"same_subnet": 3}, (r, g)
    assert all(c["reason"] in ("RoCE v2, IPv4 10.0.3.0/24 on both ends", "RoCE v2, IPv4 10.0.9.0/24 on both ends")
               for c in g["choices"]), (r, g)
print("ok - every rank's GID pairs: RoCE v2, IPv4, same subnet on both ends: " + g["choices"][0]["reason"])
PY
if [ $SUBNETS = 1 ]; then
  python3 - "$WORK/report.json" <<'PY'
import json, sys
ranks = json.load(open(sys.argv[1]))["memory"]["ranks"]
for r in (0, 1):  # vm0: its own choice is 10.0.9.1; vm1's ranks are only in 10.0.3.0/24
    g = ranks[r]["ports"][0]["gid_match"]
    assert g["other_than_default"] == 2, (r, g)
    reasons = {c["reason"] for c in g["choices"]}
    assert reasons == {"RoCE v2, IPv4 10.0.9.0/24 on both ends", "RoCE v2, IPv4 10.0.3.0/24 on both ends"}, (r, g)
print("ok - vm0's own GID in 10.0.9.0/24, vm1's in 10.0.3.0/24: the ranks matched 10.0.3.0/24 and the bytes crossed")
PY
fi
if [ $SLOW = 1 ]; then
  python3 - "$WORK/report.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["results"][0]["analysis"]
intra, inter = a["intra_host"]["median_bytes_per_second"], a["inter_host"]["median_bytes_per_second"]
print("intra-host median %.1f MB/s, inter-host median %.1f MB/s" % (intra / 1e6, inter / 1e6))
assert inter < 0.5 * intra, "the delayed inter-guest links do not stand out"
print("ok - netem delay on vm1 shows up: inter-host links below half the intra-host ones")
PY
fi
