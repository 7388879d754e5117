#!/bin/bash
# link_down_checks.sh BUILD_DIR — ctest label `rdma`: loud failures of the verbs engine
# (issue 26 item 5) in two Soft-RoCE guests, one te_bench rank in each (guest_link_down.sh):
#   A  `ulimit -l 64` (no CAP_IPC_LOCK): every rank exits 1 before registering anything, with
#      one line that gives the limit, what the run pins and `ulimit -l unlimited`;
#   B  vm0's data NIC taken down under a 20 s write run (rank 0 writes in the first phase):
#      vm0 logs the async event (IBV_EVENT_PORT_ERR) once, the run ends with the failure of
#      the link to rank 1 naming the port that went down and the event, not a bare
#      retry-exceeded, and both ranks exit non-zero well before the run's 20 s end.
# Exit: 0 pass, 1 fail, 77 cannot run here (reason printed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: link_down_checks.sh BUILD_DIR}" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
command -v setpriv >/dev/null || { echo "SKIP: no setpriv (util-linux)"; exit 77; }
WORK_NAME=link_down
# shellcheck source=guest_pair_redis.sh
. "$HERE/guest_pair_redis.sh"
rc=0
"$HERE/run_in_guest.sh" --guests 2 --timeout 400 "${shares[@]}" -- bash "$HERE/guest_link_down.sh" "$BUILD" "$WORK" "$PORT" \
  || rc=$?
if [ $rc != 0 ]; then
  echo "not ok - two guests: exit $rc"; tail -n 15 "$WORK"/*.log 2>/dev/null; exit 1
fi
python3 - "$WORK" <<'PY'
import os, re, sys
work = sys.argv[1]
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

for r in (0, 1):
    log, code = text("memlock.rank%d.log" % r), text("memlock.rank%d.rc" % r).strip()
    lines = [l for l in log.splitlines() if "RLIMIT_MEMLOCK" in l]
    print("# A rank %d: %s" % (r, lines[0] if lines else "(no RLIMIT_MEMLOCK line)"))
    check(code == "1" and len(lines) == 1 and re.search(
        r"RLIMIT_MEMLOCK is 64 KiB but this run pins ~\d+ MiB \(buffers 64 MiB x 1 NIC \+ queues ~\d+ [KM]iB\); "
        r"raise it: ulimit -l unlimited", lines[0]) is not None,
        "A rank %d: ulimit -l 64 -> exit 1 with one RLIMIT_MEMLOCK line (exit %s)" % (r, code), log[-1500:])
    check("ibv_reg_mr" not in log, "A rank %d: refused before any registration" % r, log[-800:])

down_at = float(text("linkdown.down_at") or 0)
for r in (0, 1):
    print("# B rank %d (exit %s):" % (r, text("linkdown.rank%d.rc" % r).strip()))
    for l in text("linkdown.rank%d.log" % r).splitlines()[-12:]:
        print("#   " + l)
check(down_at > 0, "B: vm0 took its data NIC down")
log0 = text("linkdown.rank0.log")
check(re.search(r"rxe0 port 1: IBV_EVENT_PORT_ERR \(port down\)", log0) is not None,
      "B: vm0 logged the async event: rxe0 port 1: IBV_EVENT_PORT_ERR (port down)", log0[-1500:])
check(log0.count("IBV_EVENT_PORT_ERR (port down)") == 1, "B: the event is logged once", log0[-1500:])
last = [l for l in log0.splitlines() if l.startswith("te_bench: ")]
check(bool(last) and re.search(r"rank 1 \(vm1\).*rxe0 port 1 went down \(IBV_EVENT_PORT_ERR\)", last[-1]) is not None,
      "B: the run ends with the link to rank 1 (vm1) failed because rxe0 port 1 went down (IBV_EVENT_PORT_ERR)",
      log0[-1500:])
for r in (0, 1):
    code = text("linkdown.rank%d.rc" % r).strip()
    end = float(text("linkdown.rank%d.end" % r) or 0)
    after = end - down_at if down_at else -1
    print("# B rank %d: exit %s, %.1f s after the link went down" % (r, code, after))
    check(code not in ("0", "124", "137", ""), "B rank %d: exits non-zero on its own (exit %s)" % (r, code))
    check(0 < after < 60, "B rank %d: done %.1f s after the link went down (< 60 s)" % (r, after))
# The report of the stopped run says which port each rank used and why (issue 26 item 4).
try:
    import json
    rep = json.load(open(os.path.join(work, "linkdown.rank0.json")))
    ports = [r.get("ports") for r in rep["memory"]["ranks"]]
    print("# B ports: %s" % json.dumps(ports))
    check(all(p and p[0]["device"] == "rxe0" and p[0]["port"] == 1 and p[0]["link_layer"] == "Ethernet"
              and p[0]["port_choice"] == "active, Ethernet" and p[0]["gid_index"] >= 0 and p[0]["gid_choice"]
              and p[0]["pkey_index"] == 0 and p[0]["pkey_choice"].startswith("auto") for p in ports),
          "B report: every rank's port, link layer, GID index and P_Key, with the reasons")
    check(rep["options"]["verbs"]["ib_timeout"] == 14 and rep["options"]["verbs"]["pkey_index"] == -1,
          "B report: options.verbs.ib_timeout 14, pkey_index -1 (auto)")
except (OSError, KeyError, ValueError, TypeError, IndexError) as e:
    check(False, "B report: readable with memory.ranks[].ports (%s)" % e)
sys.exit(1 if fails else 0)
PY
