#!/bin/bash
# shellcheck disable=SC2206,SC2046,SC1090  # intended: split flag strings (no glob), source the conf
# te_bench_prolog.sh — node-health gate: a short te_bench run on THIS node (two ranks,
# loopback through the node's own transport), non-zero exit when it fails.
#
#   te_bench_prolog.sh [te_bench flags...]        e.g.  te_bench_prolog.sh --transport auto --expect...
#
# As a Slurm Prolog (slurm.conf: Prolog=/path/te_bench_prolog.sh, PrologFlags=Alloc to
# run it at allocation time): non-zero -> Slurm drains the node and requeues the job.
# As HealthCheckProgram= Slurm does not drain by itself: set TE_PROLOG_DRAIN=1 and the
# script drains the node on failure. Slurm runs both with no arguments and a bare
# environment (SLURM_* only, no PATH), so settings also come from a shell file:
#   TE_PROLOG_CONF   (default: te_bench_prolog.conf next to this script, if it exists),
#                    sourced; sets any variable below, e.g.
#                      TE_BENCH_BIN=/opt/te_bench/bin/te_bench
#                      TE_PROLOG_FLAGS="--transport auto --duration 2"
#
# Environment (or TE_PROLOG_CONF):
#   TE_BENCH_BIN          te_bench binary (default: te_bench on PATH)
#   TE_PROLOG_FLAGS       te_bench flags; command-line flags follow (a flag must not
#                         appear in both: te_bench rejects repeated flags). Where
#                         absent, --duration 1 --warmup 0.2 --buffer-size 64M are added.
#   TE_PROLOG_LAUNCHER    default "mpirun -np 2 --host localhost:2 --bind-to none
#                         --mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1"
#   TE_PROLOG_TIMEOUT     seconds before the run counts as failed (default 60; exit 124)
#   TE_PROLOG_LOG         append te_bench's output here (default: this script's stdout)
#   TE_PROLOG_DRAIN       1: on failure, scontrol update the node to DRAIN with the reason
# Exit status: te_bench's (0 healthy; 1 environment, 2 bad flag, 3 integrity,
# 4 expectation failed), 124 on timeout.
set -u -f
export PATH=${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
conf=${TE_PROLOG_CONF:-$(dirname "$0")/te_bench_prolog.conf}
if [ -r "$conf" ]; then . "$conf"; fi
node=${SLURMD_NODENAME:-$(hostname -s)}

bin=$(command -v "${TE_BENCH_BIN:-te_bench}") \
    || { echo "te_bench_prolog: $node: te_bench binary '${TE_BENCH_BIN:-te_bench}' not found" >&2; exit 1; }
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac   # absolute

flags=(${TE_PROLOG_FLAGS:-} "$@")
# A short, light run unless the flags say otherwise (defaults added only where missing).
has() { local f; for f in "${flags[@]}"; do [ "${f%%=*}" != "$1" ] || return 0; done; return 1; }
has --duration || flags+=(--duration 1)
has --warmup || flags+=(--warmup 0.2)
has --buffer-size || has --buffer_size || flags+=(--buffer-size 64M)

launch=(${TE_PROLOG_LAUNCHER:-mpirun -np 2 --host localhost:2 --bind-to none --mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1})
[ "${launch[0]##*/}" != mpirun ] || [ "$(id -u)" != 0 ] || launch+=(--allow-run-as-root)

# A prolog runs with the job's SLURM_* variables: mpirun would take them for an
# allocation and launch through srun. This is a node-local run: drop them.
unset $(compgen -e | grep -E '^(SLURM_|PMIX_|OMPI_)' | grep -vx SLURM_CONF)

if [ -n "${TE_PROLOG_LOG:-}" ]; then exec 3>>"$TE_PROLOG_LOG"; else exec 3>&1; fi
timeout "${TE_PROLOG_TIMEOUT:-60}" "${launch[@]}" "$bin" "${flags[@]}" >&3 2>&1
rc=$?

say() {   # result line: stderr (Slurm logs it on failure) and the log file
    echo "te_bench_prolog: $node: $*" >&2
    [ -z "${TE_PROLOG_LOG:-}" ] || echo "$(date '+%F %T') te_bench_prolog: $node: $*" >&3
}
if [ $rc = 0 ]; then
    say PASS
else
    say "FAIL (te_bench exit $rc)"
    if [ "${TE_PROLOG_DRAIN:-0}" = 1 ]; then
        scontrol update NodeName="$node" State=DRAIN Reason="te_bench_prolog: exit $rc" >&2 || true
    fi
fi
exit $rc
