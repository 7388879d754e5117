#!/bin/bash
# run_cluster_tests.sh BUILD_DIR — multi-"host" checks on one machine (netns + Slurm).
#
# Exit: 0 all checks passed; 1 a check failed; 77 skipped (one-line reason): not root,
# no ip / mpirun, or the infrastructure checks passed but te_bench is not built
# (BUILD_DIR/src/bench/te_bench, or TE_BENCH_BIN).
#
# Checks (≈5 min on 2 cores; every launch under `timeout`):
#   infra  netns cluster of 4 hosts; mpirun through rsh_agent.sh prints h0..h3;
#          slow_link.sh h1 h2 200mbit: iperf3 h1->h2 throttled, h0->h3 not;
#          Slurm (when installed): sbatch of srun --mpi=pmix / mpirun hostname
#   bench  jobs/mpirun_hostfile.sh, 4 hosts, TCP, pairs schedule, slow link h1<->h2:
#          report links[] h1->h2 and h2->h1 are the two lowest bytes_per_second;
#          h1<->h2 at 20 Mbit/s, 1 MiB blocks, 256 MiB buffers, WRITE and READ: exit 0, the
#          link named, wall time at most TE_SLOW_EXTRA_S (30) s above the run without it;
#          jobs/te_bench_prolog.sh on h0: pass, and bad flag -> exit 2;
#          Slurm with Prolog=te_bench_prolog.sh (so every job below is gated by it):
#          jobs/te_bench.sbatch with srun and with TE_LAUNCHER=mpirun (exit 0 + report),
#          bad flag -> exit 2 through sbatch, missing binary -> exit 1;
#          a failing prolog drains the node.
#
# Environment: TE_BENCH_BIN (binary to test), TE_CLUSTER_KEEP=1 (leave the work dir for inspection).
set -u
BUILD=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JOBS=$ROOT/jobs

skip() { echo "SKIP: $*"; exit 77; }
[ -n "$BUILD" ] || { echo "usage: run_cluster_tests.sh BUILD_DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "no ip command (iproute2)"
command -v mpirun >/dev/null || skip "no mpirun (openmpi-bin)"

# Unique names per run: concurrent runs do not meet.
export TE_CLUSTER_PREFIX=tc$$-
export TE_CLUSTER_HOSTS=4
export TE_CLUSTER_STATE=/tmp/te_cluster.tc$$
# shellcheck source=check_lib.sh
. "$HERE/check_lib.sh"
on() { "$HERE/netns_cluster.sh" exec "$@"; }    # on HOST CMD...
# Short and light: 2 shared cores, 4 ranks (12 links, measured in rounds of disjoint pairs).
LIGHT="--duration 1 --warmup 0.2 --buffer-size 64M --threads 1"
# A 400x slower link may cost this much more wall time than none: it is measured, retested
# alone (2 links) and its windows run to their cap (2 x --duration), each with its hand-offs;
# see docs/RELIABILITY.md, "Slow is not dead". Seconds, not a ratio: the extra is a number of
# phases, and a ratio to a fast run's wall time fails on the faster host (CI measured 12.8 and
# 15.2 s extra, 1.80x and 2.05x). Without the adaptive budget a phase would drain the 256 MiB
# it has in flight through 20 Mbit/s: ~107 s per phase, caught far below this bound.
TE_SLOW_EXTRA_S=${TE_SLOW_EXTRA_S:-30}

# The binary under test (resolved first: the Slurm prolog needs it).
BENCH=${TE_BENCH_BIN:-$BUILD/src/bench/te_bench}
HAVE_BENCH=0
if [ -x "$BENCH" ]; then
    HAVE_BENCH=1
    BENCH=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")
    export TE_BENCH_BIN=$BENCH
    echo "# bench: $BENCH"
    # The prolog as an admin installs it: script + te_bench_prolog.conf beside it.
    mkdir -p "$WORK/gate"
    cp "$JOBS/te_bench_prolog.sh" "$WORK/gate/"
    GATE_CONF=$WORK/gate/te_bench_prolog.conf
    printf 'TE_BENCH_BIN=%s\nTE_PROLOG_FLAGS="--transport tcp --threads 1"\nTE_PROLOG_LOG=%s\n' \
        "$BENCH" "$WORK/gate/log" > "$GATE_CONF"
    export TE_SLURM_PROLOG=$WORK/gate/te_bench_prolog.sh
fi

# ---------------------------------------------------------------- infra
"$HERE/netns_cluster.sh" up || { echo "not ok - netns cluster up"; exit 1; }
HF=$TE_CLUSTER_STATE/hostfile
# shellcheck disable=SC2054  # commas are part of the MCA values
MPI_NETNS=(--allow-run-as-root --hostfile "$HF" --mca plm_rsh_agent "$HERE/rsh_agent.sh"
    --mca oob_tcp_if_include 10.77.0.0/24 --mca btl_tcp_if_include 10.77.0.0/24
    --mca btl self,tcp --mca pml ob1 --mca mpi_yield_when_idle 1)
# The host names on stdout; mpirun's own warnings (a setpgid race of the rsh launcher under
# load: "plm:rsh: Warning: setpgid(...) failed in parent") go to stderr, shown on failure.
out=$(on head timeout 60 mpirun "${MPI_NETNS[@]}" -np 4 hostname 2>"$TE_CLUSTER_STATE/mpirun_hostname.err" | sort | tr '\n' ' ')
[ "$out" = "h0 h1 h2 h3 " ] && ok "mpirun over 4 netns hosts: $out" ||
  fail "mpirun hostname: '$out' $(tr '\n' ' ' < "$TE_CLUSTER_STATE/mpirun_hostname.err")"

"$HERE/slow_link.sh" h1 h2 200mbit >/dev/null || fail "slow_link.sh h1 h2 200mbit"
iperf() {   # iperf FROM TO -> Mbit/s received (retries until the server listens)
    local from=$1 to=$2 n r
    on "$to" iperf3 -s -1 -D -B "10.77.0.1${to#h}" >/dev/null 2>&1
    for n in 1 2 3 4 5 6 7 8 9 10; do
        r=$(on "$from" timeout 10 iperf3 -c "10.77.0.1${to#h}" -t 1 -f m 2>/dev/null \
            | awk '/receiver/ {print int($(NF-2))}') && [ -n "$r" ] && { echo "$r"; return; }
        sleep 0.2
    done
    echo 0
}
if command -v iperf3 >/dev/null; then
    slow=$(iperf h1 h2); fast=$(iperf h0 h3)
    if [ "$slow" -gt 100 ] && [ "$slow" -lt 260 ] && [ "$fast" -gt $((4 * slow)) ]; then
        ok "slow link h1->h2 ${slow} Mbit/s, h0->h3 ${fast} Mbit/s"
    else
        fail "slow link: h1->h2 ${slow} Mbit/s (want 100..260), h0->h3 ${fast} Mbit/s"
    fi
else
    echo "# iperf3 not installed: slow-link iperf check skipped"
fi

HAVE_SLURM=1
for b in munged mungekey slurmctld slurmd sbatch srun; do command -v $b >/dev/null || HAVE_SLURM=0; done
[ $HAVE_SLURM = 1 ] || echo "# Slurm not installed (slurmctld slurmd slurm-client munge): Slurm checks skipped"
slurm_job() {   # slurm_job EXPECTED_RC [sbatch args] SCRIPT — one retry: pmix rarely crashes
    local want=$1 rc try; shift
    for try in 1 2; do
        TE_SLURM_TIMEOUT=120 "$HERE/slurm_cluster.sh" run "$@" > "$WORK/job.out" 2>&1
        rc=$?
        [ $rc != "$want" ] || return 0
        echo "# job exit $rc, want $want (try $try):"; show "$WORK/job.out" 15
    done
    return 1
}
if [ $HAVE_SLURM = 1 ]; then
    if "$HERE/slurm_cluster.sh" up > "$WORK/slurm_up.out" 2>&1; then
        SLURM_UP=1; ok "slurm cluster up (4 slurmd$([ $HAVE_BENCH = 1 ] && echo ', Prolog=te_bench_prolog.sh'))"
    else
        fail "slurm cluster up"; show "$WORK/slurm_up.out"
    fi
fi
if [ $SLURM_UP = 1 ]; then
    "$HERE/slurm_cluster.sh" exec srun --mpi=list 2>&1 | grep -qw pmix \
        && ok "srun --mpi=list has pmix" || fail "srun --mpi=list has no pmix"
    cat > "$WORK/hostname.sbatch" <<'EOF'
#!/bin/bash
timeout 60 srun --mpi=pmix hostname | sort | tr '\n' ' '; echo
timeout 60 mpirun --allow-run-as-root --mca btl self,tcp --mca pml ob1 hostname | sort | tr '\n' ' '; echo
EOF
    if slurm_job 0 --nodes=4 --ntasks-per-node=1 "$WORK/hostname.sbatch" \
        && [ "$(grep -c '^h0 h1 h2 h3 $' "$WORK/job.out")" = 2 ]; then
        ok "sbatch: srun --mpi=pmix and mpirun hostname on h0..h3"
    else
        fail "sbatch hostname job"; show "$WORK/job.out"
    fi
fi

if [ $HAVE_BENCH = 0 ]; then
    [ $FAILS = 0 ] || { echo "FAILED: $FAILS check(s) ($((SECONDS - T0)) s)"; exit 1; }
    skip "infrastructure checks passed; te_bench not built ($BENCH)"
fi

# ---------------------------------------------------------------- bench
# All pairs over 4 hosts through plain mpirun; h1<->h2 is still at 200mbit.
rc=0
TE_RSH_AGENT=$HERE/rsh_agent.sh TE_IF_INCLUDE=10.77.0.0/24 TE_MPI_BTL=self,tcp \
    on head timeout 120 "$JOBS/mpirun_hostfile.sh" "$HF" --transport tcp --schedule pairs \
    --block-size 64K $LIGHT --json "$WORK/report.json" > "$WORK/bench.out" 2>&1 || rc=$?
if [ $rc = 0 ] && command -v python3 >/dev/null; then
    if python3 "$HERE/check_links.py" "$WORK/report.json" h1 h2 > "$WORK/check.out" 2>&1; then
        ok "4-host TCP run: $(tail -1 "$WORK/check.out")"
    else
        fail "4-host TCP run: slow link not the slowest"; show "$WORK/check.out"
    fi
elif [ $rc = 0 ]; then
    echo "# python3 missing: report not checked"; ok "4-host TCP run exit 0"
else
    fail "4-host TCP run exit $rc"; show "$WORK/bench.out"
fi
# Slow is not dead (issue 18): h1<->h2 at 20 Mbit/s, ~400x below the others, with the
# command that used to end in "no completion from rank 2 for 60 s": 1 MiB blocks, 256 MiB
# buffers, 4 threads. Each operation must exit 0 with that link named, in bounded time:
# its wall time against the same run with no slow link.
big_run() {   # big_run NAME OP: report $WORK/NAME.json, wall seconds $WORK/NAME.s
    local start rc=0
    start=$(date +%s.%N)
    TE_RSH_AGENT=$HERE/rsh_agent.sh TE_IF_INCLUDE=10.77.0.0/24 TE_MPI_BTL=self,tcp \
        on head timeout 300 "$JOBS/mpirun_hostfile.sh" "$HF" --transport tcp --operation "$2" \
        --block-size 1M --buffer-size 256M --duration 1 --progress off --json "$WORK/$1.json" \
        > "$WORK/$1.out" 2>&1 || rc=$?
    awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }' > "$WORK/$1.s"
    return $rc
}
"$HERE/slow_link.sh" h1 h2 20mbit >/dev/null || fail "slow_link.sh h1 h2 20mbit"
for op in write read; do
    rc=0; big_run "slow_$op" "$op" || rc=$?
    if [ $rc = 0 ] && python3 "$HERE/check_links.py" "$WORK/slow_$op.json" h1 h2 > "$WORK/check.out" 2>&1; then
        ok "20 Mbit/s link, 1 MiB $op: exit 0 in $(cat "$WORK/slow_$op.s") s, $(tail -1 "$WORK/check.out")"
    else
        fail "20 Mbit/s link, 1 MiB $op: exit $rc"; show "$WORK/slow_$op.out"; show "$WORK/check.out" 5
    fi
done
"$HERE/slow_link.sh" h1 h2 off >/dev/null
for op in write read; do
    rc=0; big_run "fast_$op" "$op" || rc=$?
    slow_s=$(cat "$WORK/slow_$op.s"); fast_s=$(cat "$WORK/fast_$op.s")
    extra=$(awk -v s="$slow_s" -v f="$fast_s" 'BEGIN { printf "%.1f", s - f }')
    what="wall time with the slow link $slow_s s, without it $fast_s s: +$extra s"
    grep -E "^(SLOW|SUSPECT|LOWER|RETEST)" "$WORK/slow_$op.out" | sed 's/^/#   /'
    if [ $rc = 0 ] && awk -v e="$extra" -v m="$TE_SLOW_EXTRA_S" 'BEGIN { exit !(e <= m) }'; then
        ok "1 MiB $op: $what (limit +$TE_SLOW_EXTRA_S s)"
    else
        fail "1 MiB $op: $what (exit $rc, limit +$TE_SLOW_EXTRA_S s)"
    fi
done
: the job must end non-zero, in bounded time, naming it.
rc=0
start=$SECONDS
( TE_RSH_AGENT=$HERE/rsh_agent.sh TE_IF_INCLUDE=10.77.0.0/24 TE_MPI_BTL=self,tcp \
    on head timeout 120 "$JOBS/mpirun_hostfile.sh" "$HF" --transport tcp --duration 30 --warmup 0 \
    --buffer-size 16M --threads 1 --timeout 20 > "$WORK/kill.out" 2>&1; echo $? > "$WORK/kill.rc" ) &
killer=$!
victim=""
for _ in $(seq 100); do
    sleep 0.2
    for pid in $(ip netns pids "${TE_CLUSTER_PREFIX}h2" 2>/dev/null); do
        [ "$(cat /proc/$pid/comm 2>/dev/null)" = te_bench ] && { victim=$pid; break; }
    done
    [ -n "$victim" ] && break
done
[ -n "$victim" ] && { sleep 2; kill -9 "$victim"; }
wait $killer
rc=$(cat "$WORK/kill.rc" 2>/dev/null || echo missing)
if [ -n "$victim" ] && [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q "h2" "$WORK/kill.out"; then
    ok "te_bench killed on h2: job exit $rc after $((SECONDS - start)) s, h2 named"
else
    fail "te_bench killed on h2 (victim '${victim}', exit $rc)"; show "$WORK/kill.out"
fi

# Health gate by hand on one node: two local ranks.
if on h0 "$JOBS/te_bench_prolog.sh" --transport tcp --threads 1 > "$WORK/prolog.out" 2>&1; then
    ok "te_bench_prolog.sh on h0: pass"
else
    fail "te_bench_prolog.sh on h0"; show "$WORK/prolog.out"
fi
rc=0; on h0 "$JOBS/te_bench_prolog.sh" --no-such-flag 1 > "$WORK/prolog.out" 2>&1 || rc=$?
[ $rc = 2 ] && ok "te_bench_prolog.sh bad flag -> exit 2" || fail "te_bench_prolog.sh bad flag -> exit $rc"

if [ $SLURM_UP = 1 ]; then
    # te_bench ranks wait in MPI on 2 cores: yield instead of spinning.
    export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,tcp
    for launcher in srun mpirun; do
        rm -rf "$WORK/rep"
        if TE_LAUNCHER=$launcher TE_REPORT_DIR=$WORK/rep TE_BENCH_FLAGS="--transport tcp $LIGHT" \
            slurm_job 0 --nodes=4 "$JOBS/te_bench.sbatch" && [ -s "$WORK/rep/report.json" ]; then
            ok "te_bench.sbatch TE_LAUNCHER=$launcher: exit 0, report.json"
        else
            fail "te_bench.sbatch TE_LAUNCHER=$launcher"; show "$WORK/job.out"
        fi
    done
    printf '%s\n' '# flags file' '--transport tcp   # comment' '--no-such-flag 1' > "$WORK/bad.flags"
    TE_BENCH_FLAGS_FILE=$WORK/bad.flags TE_REPORT_DIR=$WORK/rep slurm_job 2 --nodes=4 "$JOBS/te_bench.sbatch" \
        && ok "te_bench.sbatch: bad flag from flags file -> exit 2" || fail "te_bench.sbatch: bad flag exit"
    # A failing expectation is a failed job (exit 4), with the reports still written.
    rm -rf "$WORK/rep"
    if TE_REPORT_DIR=$WORK/rep TE_BENCH_FLAGS="--transport tcp $LIGHT --expect 100TB/s" \
        slurm_job 4 --nodes=4 "$JOBS/te_bench.sbatch" && [ -s "$WORK/rep/report.html" ] && [ -s "$WORK/rep/report.csv" ]; then
        ok "te_bench.sbatch --expect 100TB/s: job exit 4, JSON / CSV / HTML written"
    else
        fail "te_bench.sbatch failing expectation"; show "$WORK/job.out"
    fi
    if TE_BENCH_BIN=/nonexistent/te_bench slurm_job 1 --nodes=4 "$JOBS/te_bench.sbatch" \
        && grep -q "not found" "$WORK/job.out"; then
        ok "te_bench.sbatch: missing binary -> exit 1"
    else
        fail "te_bench.sbatch: missing binary"
    fi
    unset OMPI_MCA_mpi_yield_when_idle OMPI_MCA_pml OMPI_MCA_btl
    n=$(grep -c PASS "$WORK/gate/log" 2>/dev/null)
    # A failing gate: Slurm drains the node ("Prolog error") and requeues the job.
    echo 'TE_PROLOG_FLAGS="--no-such-flag 1"' >> "$GATE_CONF"
    id=$("$HERE/slurm_cluster.sh" exec sbatch --parsable --nodes=1 -w h3 --output=/dev/null --wrap true)
    for _ in $(seq 50); do
        "$HERE/slurm_cluster.sh" exec sinfo -h -R -o '%N %E' | grep -q '^h3 Prolog error' && break
        sleep 0.2
    done
    "$HERE/slurm_cluster.sh" exec scancel "$id" 2>/dev/null
    if "$HERE/slurm_cluster.sh" exec sinfo -h -R -o '%N %E' | grep -q '^h3 Prolog error'; then
        ok "Slurm Prolog=te_bench_prolog.sh: gated the jobs above ($n node runs), failing gate drained h3"
    else
        fail "failing prolog did not drain h3"
    fi
fi

echo "# $((SECONDS - T0)) s"
[ $FAILS = 0 ] || { echo "FAILED: $FAILS check(s)"; exit 1; }
exit 0
