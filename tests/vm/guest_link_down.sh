#!/bin/bash
# guest_link_down.sh BUILD_DIR WORK PORT — runs INSIDE each of two Soft-RoCE guests (see
# link_down_checks.sh); one te_bench rank per guest over verbs, meeting through redis on the
# host. Writes WORK/<run>.rank<i>.{log,rc,json} for the host to judge:
#   memlock   `ulimit -l 64` without CAP_IPC_LOCK (root keeps the limit only without it)
#   linkdown  a long write run; vm0 takes its data NIC (rxe0's netdev) down once the writes
#             flow, and records when (WORK/linkdown.down_at).
BUILD=$1
WORK=$2
PORT=$3
I=$TE_VM_INDEX
BENCH=$BUILD/src/bench/te_bench
COMMON=(--bootstrap "redis://$TE_VM_HOST_IP:$PORT" --rank "$I" --size 2 --transport verbs --operation write
        --block-size 64K --threads 1 --batch-size 8 --warmup 0.1 --no-retest --progress off --timeout 60)

# memlock: the limit applies to a root process only without CAP_IPC_LOCK: drop it from the
# bounding set, so te_bench starts without it.
( ulimit -l 64 && exec setpriv --bounding-set=-ipc_lock "$BENCH" "${COMMON[@]}" --job-id "memlock-$PORT" \
    --buffer-size 64M --duration 0.5 ) > "$WORK/memlock.rank$I.log" 2>&1
echo $? > "$WORK/memlock.rank$I.rc"

# linkdown: 20 s of writes; the link of the writing side (rank 0 in the first phase of the
# pairs schedule) goes down under them: vm0 waits for the writes to flow (rxe's packet counter
# moving by 500; 10 s where it has none), then 1 s more.
if [ "$I" = 0 ]; then
  (
    sent=/sys/class/infiniband/rxe0/ports/1/hw_counters/sent_pkts
    if [ -r $sent ]; then
      base=$(cat $sent)
      for _ in $(seq 600); do
        [ $(( $(cat $sent) - base )) -gt 500 ] && break
        sleep 0.1
      done
    else
      sleep 10
    fi
    sleep 1
    date +%s.%N > "$WORK/linkdown.down_at"
    ip link set "$TE_VM_DATA_IF" down
  ) &
fi
start=$(date +%s.%N)
timeout -k 5 180 "$BENCH" "${COMMON[@]}" --job-id "linkdown-$PORT" --buffer-size 8M --duration 20 \
  --json "$WORK/linkdown.rank$I.json" > "$WORK/linkdown.rank$I.log" 2>&1
echo $? > "$WORK/linkdown.rank$I.rc"
date +%s.%N > "$WORK/linkdown.rank$I.end"
echo "$start" > "$WORK/linkdown.rank$I.start"
wait
exit 0
