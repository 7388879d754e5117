#!/bin/bash
# launch_local.sh — N ranks of a program on this machine without MPI, for the etcd / redis
# bootstrap:
#
#   launch_local.sh N -- te_bench --bootstrap etcd://127.0.0.1:2379 [te_bench flags...]
#   TE_JOB_ID=myjob TE_LAUNCH_TIMEOUT=120 launch_local.sh 4 -- build/dev/src/bench/te_bench --bootstrap redis://127.0.0.1:6379
#
# Rank i runs `PROGRAM ARGS... --rank i --size N --job-id JOB` (JOB: $TE_JOB_ID, or a fresh
# "local-<host>-<pid>-<time>") with LOCAL_RANK=i and LOCAL_WORLD_SIZE=N, so that --gpu-id
# auto gives rank i GPU i modulo the GPUs. Waits for all ranks; when one fails the others get TERM, then
# KILL after $TE_LAUNCH_GRACE seconds. Exit code: the first non-zero exit code of a rank (in
# time order), 124 when $TE_LAUNCH_TIMEOUT seconds passed first, else 0.
set -u -f

usage() {
    echo "usage: launch_local.sh N -- PROGRAM [ARGS...]   (env: TE_JOB_ID, TE_LAUNCH_TIMEOUT=600, TE_LAUNCH_GRACE=3)" >&2
    exit 2
}
[ $# -ge 3 ] && [ "$2" = "--" ] || usage
n=$1
shift 2
case "$n" in '' | *[!0-9]*) usage ;; esac
[ "$n" -ge 1 ] && [ "$n" -le 4096 ] || { echo "launch_local.sh: N=$n: allowed 1..4096" >&2; exit 2; }
command -v "$1" >/dev/null 2>&1 || { echo "launch_local.sh: program '$1' not found" >&2; exit 2; }

job=${TE_JOB_ID:-local-$(hostname -s 2>/dev/null || echo host)-$$-$(date +%s)}
timeout_s=${TE_LAUNCH_TIMEOUT:-600}
grace_s=${TE_LAUNCH_GRACE:-3}

declare -A running  # pid -> rank, until reaped (a pid we have not reaped cannot be reused)

signal_running() {
    local p
    for p in "${!running[@]}"; do kill "-$1" "$p" 2>/dev/null; done
}

# An alarm: USR1 to this script after $1 seconds. It checks every second that we still
# live, and holds no terminal or pipe open (a test harness waits for those to close).
alarm_pid=
set_alarm() {
    [ -z "$alarm_pid" ] || kill "$alarm_pid" 2>/dev/null
    local me=$$ secs=$1
    ( end=$((SECONDS + secs)); while [ "$SECONDS" -lt "$end" ]; do sleep 1; kill -0 "$me" 2>/dev/null || exit 0; done
      kill -USR1 "$me" 2>/dev/null ) </dev/null >/dev/null 2>&1 &
    alarm_pid=$!
}

first_rc=0
stopping=0
on_alarm() {
    if [ "$stopping" = 0 ]; then
        echo "launch_local.sh: job $job: timeout after ${timeout_s} s; stopping ${#running[@]} rank(s)" >&2
        [ "$first_rc" != 0 ] || first_rc=124
        stop_ranks
    else
        signal_running KILL
    fi
}
stop_ranks() {
    stopping=1
    signal_running TERM
    set_alarm "$grace_s"
}
trap on_alarm USR1
trap 'signal_running TERM; exit 130' INT TERM

for ((i = 0; i < n; i++)); do
    LOCAL_RANK=$i LOCAL_WORLD_SIZE=$n "$@" --rank "$i" --size "$n" --job-id "$job" &
    running[$!]=$i
done
set_alarm "$timeout_s"

reap() {  # $1: pid, $2: its exit code
    local rank=${running[$1]}
    unset "running[$1]"
    if [ "$2" != 0 ] && [ "$first_rc" = 0 ]; then
        first_rc=$2
        echo "launch_local.sh: job $job: rank $rank (pid $1) exited with $2; stopping the others" >&2
        stop_ranks
    fi
}

# Poll rather than `wait -n PIDS`: bash 5.2 loses the exit status of ranks that end together
# there. A rank that is gone from the process table is collected with `wait PID`, which
# returns its own exit code.
while [ "${#running[@]}" -gt 0 ]; do
    for p in "${!running[@]}"; do
        if ! kill -0 "$p" 2>/dev/null; then
            wait "$p"
            reap "$p" $?
        fi
    done
    [ "${#running[@]}" = 0 ] || sleep 0.1
done
kill "$alarm_pid" 2>/dev/null
exit "$first_rc"
