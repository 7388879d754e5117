#!/bin/bash
# two_nics_checks.sh BUILD_DIR [--no-delay | --netem ARGS] [--vm0-devices LIST] — ctest label `rdma`: a slow NIC named among
# several on one host. Two Soft-RoCE guests (run_in_guest.sh --nic2): vm0 has two data NICs
# (rxe0, rxe1), vm1 one (rxe0), all on one L2; vm0's second NIC gets netem delay 50ms (20 ms
# leaves it ~0.75x of rxe0 alone under emulation, too near the 0.8 threshold). One
# te_bench rank per guest (guest_two_nics.sh), verbs, 2 QPs per peer and device, so that
# lanes run through both of vm0's NICs and vm1's one NIC carries fast and slow lanes: the
# slow part belongs to vm0's rxe1 alone. Checks:
#   - both ranks exit 0; rank 0 used rxe0 and rxe1 (transport.details, memory.ranks);
#   - every link between rank 0 and rank 1 in results[*].links has `nics`: objects
#     {local, remote, bytes, slices, share} whose shares sum to ~1, with rxe0 and rxe1 among
#     rank 0's ends (local where rank 0 initiates, remote where rank 1 does);
#   - on each link vm0's rxe1 carries a share below 0.8 x rxe0's;
#   - results[*].analysis.suspects has {"kind": "nic", "host": "vm0", "name": "rxe1",
#     "ratio" < 0.8}, and no nic suspect names rxe0 or vm1;
#   - rank 0's stdout has "SUSPECT NIC rxe1 on host vm0".
# By hand (not in ctest): --no-delay, the same run without netem: prints the shares and
# checks that both ranks exit 0, both of vm0's NICs carried bytes and no NIC is named; --netem ARGS, other
# netem arguments than "delay 50ms" (e.g. "delay 20ms rate 20mbit"); --vm0-devices LIST,
# vm0's --devices (e.g. rxe1, to measure one NIC alone: the checks on shares then fail).
# Exit: 0 pass, 1 fail, 77 cannot run here (reason printed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: two_nics_checks.sh BUILD_DIR [--no-delay | --netem ARGS] [--vm0-devices LIST]}" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
shift
NETEM="delay 50ms"
DEVICES=""
while [ $# -gt 0 ]; do
  case $1 in
    --no-delay) NETEM=""; shift ;;
    --netem) NETEM=${2:?--netem ARGS}; shift 2 ;;
    --vm0-devices) DEVICES=${2:?--vm0-devices LIST}; shift 2 ;;
    *) echo "two_nics_checks.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
DELAY=1; [ -z "$NETEM" ] && DELAY=0
echo "# vm0's second data NIC: netem ${NETEM:-(none)}; vm0's devices: ${DEVICES:-all active (te_bench default)}"
command -v tc >/dev/null || { echo "SKIP: no tc (iproute2) for netem in the guest"; exit 77; }
WORK_NAME=two_nics
# shellcheck source=guest_pair_redis.sh
. "$HERE/guest_pair_redis.sh"
rc=0
start=$SECONDS
"$HERE/run_in_guest.sh" --guests 2 --nic2 --timeout 400 "${shares[@]}" -- \
  bash "$HERE/guest_two_nics.sh" "$BUILD" "$WORK" "$PORT" "$NETEM" "$DEVICES" || rc=$?
echo "# guests done in $((SECONDS - start)) s (exit $rc)"
[ $rc = 77 ] && { echo "SKIP: guests cannot run here"; exit 77; }
python3 - "$WORK" "$rc" "$DELAY" <<'PY'
import csv, json, os, re, sys
work, harness_rc, delay = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
def text(name):
    p = os.path.join(work, name)
    return open(p, errors="replace").read() if os.path.exists(p) else ""
fails = 0
def check(cond, what, detail=""):
    global fails
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        fails += 1
        if detail:
            print("#   " + detail.strip().replace("\n", "\n#   "))
def dump(what, obj):
    return what + ": " + json.dumps(obj, indent=1, sort_keys=True)

for i in (0, 1):
    print("# vm%d:" % i)
    for l in text("vm%d.info" % i).splitlines():
        print("#   " + l)
for r in (0, 1):
    code = text("rank%d.rc" % r).strip()
    check(code == "0", "rank %d (vm%d) exits 0 (exit %s)" % (r, r, code or "none"),
          text("rank%d.err" % r)[-1500:] + "\n" + text("rank%d.out" % r)[-1500:])
check(harness_rc == 0, "run_in_guest.sh exits 0 (exit %d)" % harness_rc)
# The kernel's view, whatever te_bench reports: rxe packets sent + received per device.
def counters(i, when):
    c = {}
    for l in text("vm%d.counters.%s" % (i, when)).splitlines():
        f = l.split()
        if len(f) == 3 and f[2].isdigit():
            c[(f[0], f[1])] = int(f[2])
    return c
pkts = {}
for i in (0, 1):
    before, after = counters(i, "before"), counters(i, "after")
    for (dev, what), v in after.items():
        pkts.setdefault((i, dev), {})[what] = v - before.get((dev, what), 0)
print("# rxe packets during the run: " + ", ".join(
    "vm%d %s sent %d rcvd %d" % (i, d, p.get("sent_pkts", 0), p.get("rcvd_pkts", 0)) for (i, d), p in sorted(pkts.items())))
check(all(pkts.get((0, d), {}).get(w, 0) > 100 for d in ("rxe0", "rxe1") for w in ("sent_pkts", "rcvd_pkts")),
      "vm0's rxe0 and rxe1 both sent and received packets during the run (hw_counters)")
try:
    rep = json.load(open(os.path.join(work, "report.json")))
except (OSError, ValueError) as e:
    check(False, "rank 0 wrote report.json (%s)" % e)
    sys.exit(1)

details = rep.get("transport", {}).get("details")
print("# " + dump("transport.details", details).replace("\n", "\n# "))
ports = [m.get("ports") for m in rep.get("memory", {}).get("ranks", [])]
nics = [m.get("nics") for m in rep.get("memory", {}).get("ranks", [])]
print("# memory.ranks[].nics: %s" % json.dumps(nics))
print("# memory.ranks[].ports: %s" % json.dumps([[(p.get("device"), p.get("gid_index"), p.get("gid_choice"))
                                                  for p in (ps or [])] for ps in ports]))
dev0 = {p.get("device") for p in (ports[0] if ports and ports[0] else [])}
check({"rxe0", "rxe1"} <= dev0, "rank 0 (vm0) used rxe0 and rxe1 (memory.ranks[0].ports: %s)" % sorted(dev0))

out0 = text("rank0.out")
blocks = rep.get("results", [])
for b, block in enumerate(blocks):
    links = [l for l in block.get("links", []) if {l.get("initiator"), l.get("target")} == {0, 1}]
    check(len(links) == 2, "block %d: the links 0->1 and 1->0 were measured (%d)" % (b, len(links)))
    for l in links:
        i, t = l["initiator"], l["target"]
        name = "block %d link %d->%d" % (b, i, t)
        ns = l.get("nics")
        print("# %s: %.1f MB/s, nics %s" % (name, l.get("bytes_per_second", 0) / 1e6, json.dumps(ns)))
        shape = isinstance(ns, list) and ns and all(
            isinstance(n, dict) and isinstance(n.get("local"), str) and isinstance(n.get("remote"), str)
            and isinstance(n.get("bytes"), int) and isinstance(n.get("slices"), int)
            and isinstance(n.get("share"), (int, float)) for n in ns)
        check(bool(shape), name + ": nics is a list of {local, remote, bytes, slices, share}", dump("link", l))
        if not shape:
            continue
        total = sum(n["share"] for n in ns)
        check(abs(total - 1) < 0.02, name + ": shares sum to ~1 (%.3f)" % total, dump("nics", ns))
        side = "local" if i == 0 else "remote"   # rank 0's (vm0's) end of each lane
        vm0 = {}
        for n in ns:
            vm0[n[side]] = vm0.get(n[side], 0) + n["share"]
        check({"rxe0", "rxe1"} <= set(vm0), name + ": vm0's %s ends include rxe0 and rxe1 (%s)" % (side, sorted(vm0)),
              dump("nics", ns))
        s0, s1 = vm0.get("rxe0", 0), vm0.get("rxe1", 0)
        print("# %s: share through vm0's rxe0 %.3f, rxe1 %.3f" % (name, s0, s1))
        if delay:
            check(s0 > 0 and s1 < 0.8 * s0, name + ": vm0's delayed rxe1 carries below 0.8 x rxe0's share "
                  "(%.3f vs %.3f)" % (s1, s0), dump("nics", ns))
        else:
            check(s0 > 0 and s1 > 0, name + ": without delay both of vm0's NICs carry bytes", dump("nics", ns))
    sus = block.get("analysis", {}).get("suspects", [])
    nic_sus = [s for s in sus if isinstance(s, dict) and s.get("kind") == "nic"]
    if not delay:
        check(not nic_sus, "block %d: without delay no NIC is named" % b, dump("suspects", sus))
        continue
    hit = [s for s in nic_sus if s.get("host") == "vm0" and s.get("name") == "rxe1"
           and isinstance(s.get("ratio"), (int, float)) and s["ratio"] < 0.8]
    check(bool(hit), "block %d: a suspect {kind nic, host vm0, name rxe1, ratio < 0.8}" % b, dump("suspects", sus))
    wrong = [s for s in nic_sus if s.get("name") == "rxe0" or s.get("host") == "vm1"]
    check(not wrong, "block %d: no nic suspect names rxe0 or vm1" % b, dump("suspects", sus))
if delay:
    lines = [l for l in out0.splitlines() if "SUSPECT" in l]
    check(any("SUSPECT NIC rxe1 on host vm0" in l for l in lines),
          "rank 0's stdout: SUSPECT NIC rxe1 on host vm0 (%s)" % ("; ".join(lines) or "no SUSPECT line"),
          out0[-2500:])
check(bool(blocks), "the report has result blocks (%d)" % len(blocks))
# The CSV's last column, `nics`: the same split as the JSON, LOCAL>REMOTE:SHARE joined by ';'.
try:
    rows = list(csv.DictReader(open(os.path.join(work, "report.csv"))))
except OSError as e:
    rows = []
    check(False, "rank 0 wrote report.csv (%s)" % e)
for b, block in enumerate(blocks):
    for l in block.get("links", []):
        row = [r for r in rows if r.get("block_size") == str(block.get("block_size"))
               and (r.get("initiator"), r.get("target")) == (str(l["initiator"]), str(l["target"]))]
        want = [(n["local"], n["remote"], n["share"]) for n in (l.get("nics") or [])]
        got = []
        for part in filter(None, (row[0].get("nics") or "").split(";") if len(row) == 1 else []):
            pair, _, share = part.rpartition(":")
            local, _, remote = pair.partition(">")
            got.append((local, remote, float(share or "nan")))
        check(len(row) == 1 and len(got) == len(want) and all(
                  g[:2] == w[:2] and abs(g[2] - w[2]) < 1e-3 for g, w in zip(got, want)),
              "block %d link %d->%d: the CSV's nics column is the JSON's split (%s)" % (
                  b, l["initiator"], l["target"], row[0].get("nics") if len(row) == 1 else "%d rows" % len(row)))
sys.exit(1 if fails else 0)
PY
