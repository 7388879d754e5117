#!/bin/bash
# shellcheck disable=SC2206  # word splitting of flag strings is intended (globbing off)
# mpirun_hostfile.sh — te_bench with plain mpirun over a hostfile (no Slurm).
#
#   mpirun_hostfile.sh HOSTFILE [te_bench flags...]
#   TE_IF_INCLUDE=10.1.0.0/16 mpirun_hostfile.sh hosts.txt --transport auto --json out.json
#
# HOSTFILE is Open MPI's ("node1 slots=1" per line); without TE_NP every slot gets a
# rank: one slot per host = one te_bench rank per host. Needs password-less ssh to
# the hosts (or TE_RSH_AGENT) and te_bench at the same path everywhere.
#
# Every setting below is an environment variable; TE_MPIRUN_ARGS adds anything else.
set -u -f
[ $# -ge 1 ] && [ -r "$1" ] || { echo "usage: mpirun_hostfile.sh HOSTFILE [te_bench flags...] (hostfile '${1:-}' not readable)" >&2; exit 1; }
hostfile=$1; shift

bin=$(command -v "${TE_BENCH_BIN:-te_bench}") \
    || { echo "mpirun_hostfile.sh: te_bench binary '${TE_BENCH_BIN:-te_bench}' not found (set TE_BENCH_BIN)" >&2; exit 1; }
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac   # same path on every node

args=(--hostfile "$hostfile")
[ -z "${TE_NP:-}" ] || args+=(-np "$TE_NP")
# Progress threads + polling: do not pin each rank to one core.
args+=(--bind-to "${TE_BIND_TO:-none}")
# MPI only bootstraps te_bench (exchange of addresses / keys, barriers): ob1 over
# self/vader/tcp works everywhere and keeps MPI off the NICs under test (no UCX /
# openib opening the RDMA devices te_bench measures). TE_MPI_BTL=self,tcp when
# "hosts" share /dev/shm but are not one host (network namespaces on one machine).
args+=(--mca pml "${TE_MPI_PML:-ob1}" --mca btl "${TE_MPI_BTL:-self,vader,tcp}")
# Which interfaces MPI's own control (oob) and data (btl tcp) traffic may use:
# a CIDR or interface list, e.g. 10.77.0.0/24 or eth0. Unset: Open MPI's choice
# (all non-loopback interfaces; set it when nodes have interfaces that do not route
# to each other, such as docker0 or a second unreachable subnet).
if [ -n "${TE_IF_INCLUDE:-}" ]; then
    args+=(--mca oob_tcp_if_include "$TE_IF_INCLUDE" --mca btl_tcp_if_include "$TE_IF_INCLUDE")
fi
# A rank that dies makes mpirun end the others: SIGCONT, this many seconds, SIGTERM, as many
# again, SIGKILL. Rank 0 writes the reports of what was measured between SIGTERM and SIGKILL:
# Open MPI's 1 s default is short for thousands of ranks; each second costs two of the
# job's end after a death (docs/RELIABILITY.md).
args+=(--mca odls_base_sigkill_timeout "${TE_SIGKILL_TIMEOUT:-5}")
# Ranks that wait in MPI yield the core (oversubscribed nodes, 1-2 core VMs).
args+=(--mca mpi_yield_when_idle "${TE_YIELD_WHEN_IDLE:-1}")
# Remote launcher instead of ssh (tests/cluster/rsh_agent.sh for netns "hosts").
[ -z "${TE_RSH_AGENT:-}" ] || args+=(--mca plm_rsh_agent "$TE_RSH_AGENT")
[ "$(id -u)" != 0 ] || args+=(--allow-run-as-root)
args+=(${TE_MPIRUN_ARGS:-})

echo "mpirun_hostfile.sh: mpirun ${args[*]} $bin $*" >&2
exec mpirun "${args[@]}" "$bin" "$@"
