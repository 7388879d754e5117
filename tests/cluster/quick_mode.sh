#!/bin/bash
# quick_mode.sh BUILD_DIR — `--mode quick` reaches the exact schedule's verdict (issue 19).
#
# On a 4-host netns cluster, three fault cases, each run twice through
# jobs/mpirun_hostfile.sh: the exact pairs schedule with fixed windows (the reference) and
# --mode quick (the bidir screen with auto windows, what it flags re-measured alone):
#   link     h1 <-> h2 at 100 Mbit/s, both directions
#   oneway   h1 -> h2 at 500 Mbit/s only (WRITE: the data of link 1->2)
#   host     every link of h3 at 100 Mbit/s
# The verdict of a run is its suspects and its slow links not explained by a suspect
# (report analysis); both runs must give the same one, and it must name the fault. The
# wall time of each run is printed (the record is perf/scale_time.sh's, not this one's).
#
# TE_QUICK_CASES: the cases to run (default all three).
# Exit: 0 passed; 1 a check failed; 77 skipped (one-line reason).
set -u
BUILD=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }
[ -n "$BUILD" ] || { echo "usage: quick_mode.sh BUILD_DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "no ip command (iproute2)"
command -v mpirun >/dev/null || skip "no mpirun (openmpi-bin)"
command -v python3 >/dev/null || skip "no python3 (reads the reports)"
BENCH=${TE_BENCH_BIN:-$BUILD/src/bench/te_bench}
[ -x "$BENCH" ] || skip "te_bench not built ($BENCH)"
BENCH=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")

export TE_CLUSTER_PREFIX=qm$$- TE_CLUSTER_HOSTS=4 TE_CLUSTER_STATE=/tmp/te_cluster.qm$$
WORK_STEM=te_quick_mode
# shellcheck source=check_lib.sh
. "$HERE/check_lib.sh"   # WORK, the cluster torn down on exit, ok / fail
"$HERE/netns_cluster.sh" up >/dev/null || { echo "not ok - netns cluster up"; exit 1; }
HF=$TE_CLUSTER_STATE/hostfile
# Light for 2 shared cores; the same for both modes except the mode and its windows.
COMMON="--transport tcp --operation write --block-size 64K --buffer-size 64M --threads 1 --progress off"

run() {   # run NAME MODE-FLAGS...: report $WORK/NAME.json, wall seconds $WORK/NAME.s
    local name=$1 start rc=0
    shift
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    TE_BENCH_BIN=$BENCH TE_RSH_AGENT=$HERE/rsh_agent.sh TE_IF_INCLUDE=10.77.0.0/24 TE_MPI_BTL=self,tcp \
        "$HERE/netns_cluster.sh" exec head timeout 300 "$ROOT/jobs/mpirun_hostfile.sh" "$HF" $COMMON "$@" \
        --json "$WORK/$name.json" > "$WORK/$name.out" 2>&1 || rc=$?
    awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }' > "$WORK/$name.s"
    return $rc
}

# The verdict of a report, one line: suspects, then unexplained slow links, by host name.
verdict() {
    python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
hosts = {w["rank"]: w["host"] for w in r["world"]["ranks"]}
a = r["results"][0]["analysis"]
out = sorted("suspect " + (s["host"] if s["kind"] == "host" else "rank " + str(s["rank"])) for s in a["suspects"])
out += sorted("slow %s->%s" % (hosts[i], hosts[t]) for i, t in a["slow_links"])
print(", ".join(out) or "none")
EOF
}

check() {   # check CASE EXPECTED: exact and quick agree, and say EXPECTED
    local e q
    run "$1.exact" --duration 1 --warmup 0.2 || { fail "$1: exact run exit $?"; tail -5 "$WORK/$1.exact.out"; return; }
    run "$1.quick" --mode quick || { fail "$1: quick run exit $?"; tail -5 "$WORK/$1.quick.out"; return; }
    e=$(verdict "$WORK/$1.exact.json"); q=$(verdict "$WORK/$1.quick.json")
    if [ "$e" = "$q" ] && [ "$q" = "$2" ]; then
        ok "$1: quick and exact both say '$q' (wall $(cat "$WORK/$1.quick.s") s against $(cat "$WORK/$1.exact.s") s)"
    else
        fail "$1: exact says '$e', quick says '$q', expected '$2'"
        grep -E "^SLOW|^SUSPECT|^ +[0-9]" "$WORK/$1.quick.out" | head -12 | sed 's/^/#   /'
    fi
}

CASES=${TE_QUICK_CASES:-link oneway host}
case " $CASES " in *" link "*)
    "$HERE/slow_link.sh" h1 h2 100mbit >/dev/null
    check link "slow h1->h2, slow h2->h1"
    "$HERE/slow_link.sh" h1 h2 off >/dev/null ;;
esac
# 500 Mbit/s, still well below the others' 2-3 Gbit/s: at 100 and 200 Mbit/s the shaper on
# h1's egress also slowed h2 -> h1 (0.07-0.08 GB/s against 0.3; its acknowledgements and
# replies queue there), and exact and quick then disagreed on that borderline link.
case " $CASES " in *" oneway "*)
    "$HERE/slow_link.sh" h1 h2 "${TE_ONEWAY_RATE:-500mbit}" oneway >/dev/null
    check oneway "slow h1->h2"
    "$HERE/slow_link.sh" h1 h2 off >/dev/null ;;
esac
case " $CASES " in *" host "*)
    for h in h0 h1 h2; do "$HERE/slow_link.sh" h3 "$h" 100mbit >/dev/null; done
    check host "suspect h3" ;;
esac

[ $FAILS = 0 ] || exit 1
exit 0
