#!/bin/bash
# selftest.sh — proves the VM harness works on this machine (≈2 min under TCG, 2 cores).
#
# Usage: tests/vm/selftest.sh [CHECK]...
#   CHECKS: devinfo_mpi  perftest  pingpong2  redis2  exitcode2   (default: all)
# Exit: 0 all passed, 1 one failed, 77 guests cannot run here (ctest SKIP_RETURN_CODE).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG=$HERE/run_in_guest.sh
FAILED=()

# run_check NAME CMD...: runs, times and judges one check; 77 from the harness skips all.
run_check() {
  local name=$1 t0 rc=0 out
  shift
  t0=$(date +%s.%N)
  out=$("$@" 2>&1) || rc=$?
  [[ -z $out ]] || printf '%s\n' "$out" | sed "s/^/  [$name] /"
  if [[ $rc == 77 ]]; then echo "selftest: SKIP ($name: guests cannot run here)"; exit 77; fi
  printf 'selftest: %s %s (%.1f s)\n' "$name" "$([[ $rc == 0 ]] && echo PASS || echo "FAIL rc=$rc")" \
    "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
  [[ $rc == 0 ]] || FAILED+=("$name")
}

# One guest: rxe0 is up and mpirun works (needs the vm0 host name).
check_devinfo_mpi() {
  "$RIG" --timeout 240 -- bash -c '
    ibv_devinfo -d rxe0 | grep -q PORT_ACTIVE || { echo "rxe0 not active"; exit 1; }
    out=$(mpirun --allow-run-as-root -np 2 --mca pml ob1 --mca btl self,vader,tcp hostname)
    echo "$out"; [ "$(echo "$out" | grep -c "^vm0$")" = 2 ]'
}

# One guest: ib_write_bw server + client over rxe0 (client retries until the server listens).
check_perftest() {
  "$RIG" --timeout 240 -- bash -c '
    ib_write_bw -d rxe0 -x 1 -F -s 65536 -D 3 >/tmp/srv.log 2>&1 & srv=$!
    for i in $(seq 50); do
      ib_write_bw -d rxe0 -x 1 -F -s 65536 -D 3 "$TE_VM_DATA_IP" >/tmp/cli.log 2>&1 && break
      sleep 0.3
    done
    wait $srv || { cat /tmp/srv.log; exit 1; }
    grep -E "^ *65536 " /tmp/cli.log || { cat /tmp/cli.log; exit 1; }'
}

# Two guests: RC ping-pong vm1 -> vm0 over the UDP-socket L2.
check_pingpong2() {
  "$RIG" --guests 2 --timeout 240 -- bash -c '
    if [ "$TE_VM_INDEX" = 0 ]; then
      exec timeout 120 ibv_rc_pingpong -d rxe0 -g 1 -s 65536 -n 100
    fi
    for i in $(seq 100); do
      timeout 120 ibv_rc_pingpong -d rxe0 -g 1 -s 65536 -n 100 10.0.3.1 && exit 0
      sleep 0.3
    done
    exit 1'
}

# Two guests reach a redis-server bound to the host's 127.0.0.1 through 10.0.2.2.
check_redis2() {
  command -v redis-server >/dev/null || { echo "no redis-server"; return 1; }
  local port dir rc=0
  port=$(( 30000 + RANDOM % 20000 ))
  dir=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/pid" --logfile "$dir/log" --dir "$dir"
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  "$RIG" --guests 2 --timeout 240 -- bash -c \
    "redis-cli -h \$TE_VM_HOST_IP -p $port ping && redis-cli -h \$TE_VM_HOST_IP -p $port incr hits" \
    || rc=$?
  [[ $(redis-cli -p "$port" get hits) == 2 ]] || { echo "host saw hits != 2"; rc=1; }
  kill "$(cat "$dir/pid")" 2>/dev/null || true
  rm -rf "$dir"
  return "$rc"
}

# Exit-code contract: the first non-zero status in guest order comes back (vm1's 3 here).
check_exitcode2() {
  local rc=0
  "$RIG" --guests 2 --timeout 240 -- bash -c 'exit $((TE_VM_INDEX * 3))' || rc=$?
  [[ $rc == 3 ]] || { echo "expected 3, got $rc"; return 1; }
}

CHECKS=("$@")
[[ ${#CHECKS[@]} -gt 0 ]] || CHECKS=(devinfo_mpi perftest pingpong2 redis2 exitcode2)
for c in "${CHECKS[@]}"; do
  declare -F "check_$c" >/dev/null || { echo "selftest: unknown check $c" >&2; exit 2; }
  run_check "$c" "check_$c"
done
if [[ ${#FAILED[@]} -gt 0 ]]; then echo "selftest: FAILED: ${FAILED[*]}"; exit 1; fi
echo "selftest: all passed"
