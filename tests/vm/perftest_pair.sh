#!/bin/bash
# perftest_pair.sh — perftest reference numbers on Soft-RoCE, in one guest boot, optionally
# followed by another command in the same boot (so te_bench numbers can be compared with
# perftest's under identical conditions).
#
# Usage: tests/vm/perftest_pair.sh [--duration S] [--tests "write read"]
#                                  [run_in_guest options...] SIZE [-- CMD [ARG]...]
#   SIZE        message size in bytes (e.g. 65536)
#   --duration  seconds per test (perftest -D), default 5
#   --tests     which of write / read to run, default "write read"
#   --perftest-args "ARGS"  extra perftest options for server and client (word-split).
#               Default: "-t 8" when SIZE >= 256 KiB, else none. Measured under TCG: at
#               1 MiB the default TX depth (128) completes no iteration in 5 s (0.00 MB/s);
#               -t 1 / -t 8 give ≈7–29 MB/s (host-load dependent).
#   run_in_guest options (--smp, --mem, --timeout, --share DIR) are passed through;
#   always one guest. CMD runs in the same guest after perftest, cwd/env as run_in_guest.
#
# Output (stdout): a "# perftest_pair: <options>" line, one line per test, then CMD's
# output ("# ..." lines are comments; a 0.00 result adds a "# note" line):
#   # perftest_pair: -d rxe0 -i 1 -x 1 -F -D 5
#   perftest write 65536 21.96
#   perftest read 65536 16.98
# The figure is perftest's "BW average[MB/sec]" (server and client both on rxe0, -x 1,
# loopback through the data NIC's Soft-RoCE device). Raw perftest output is printed only
# when a test fails.
# Exit status: CMD's status if it fails, else 1 if a perftest failed, else 0
# (run_in_guest.sh codes 77 / 124 / 125 pass through).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DURATION=5
TESTS="write read"
PERFTEST_ARGS="unset"

# ---- guest side ------------------------------------------------------------------------
# in_guest DURATION "TESTS" SIZE "EXTRA_ARGS" [-- CMD...] is shipped to the guest as text (declare -f),
# so it works even when this checkout is not visible inside the guest.
in_guest() {
  local duration=$1 tests=$2 size=$3 extra=$4 t port=18515 failed=0 srv bw
  shift 4
  # shellcheck disable=SC2206  # word-splitting the extra options is intended
  local xargs=($extra)
  echo "# perftest_pair: -d rxe0 -i 1 -x 1 -F -D $duration${extra:+ $extra}"
  [[ ${1:-} == -- ]] && shift
  for t in $tests; do
    port=$((port + 1))
    local log_s=/tmp/perftest_${t}_server.log log_c=/tmp/perftest_${t}_client.log
    local args=(-d rxe0 -i 1 -x 1 -F -s "$size" -D "$duration" -p "$port" ${xargs[@]+"${xargs[@]}"})
    # Server in the background; a hung server is bounded by timeout.
    timeout $((duration + 60)) "ib_${t}_bw" "${args[@]}" >"$log_s" 2>&1 &
    srv=$!
    # Start the client only once the server listens (a client that starts too early
    # fails with "Couldn't connect"): poll its TCP port, bounded to 30 s.
    local i=0
    until ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do
      i=$((i + 1))
      if (( i > 300 )) || ! kill -0 "$srv" 2>/dev/null; then break; fi
      sleep 0.1
    done
    if timeout $((duration + 60)) "ib_${t}_bw" "${args[@]}" "$TE_VM_DATA_IP" >"$log_c" 2>&1 \
       && wait "$srv"; then
      # Result row: "#bytes #iterations BW-peak BW-average MsgRate"; take BW average.
      bw=$(awk -v s="$size" '$1 == s && NF >= 5 { v = $4 } END { print v }' "$log_c")
    else
      wait "$srv" 2>/dev/null || true
      bw=""
    fi
    if [[ -n $bw ]]; then
      echo "perftest $t $size $bw"
      [[ $bw =~ ^0(\.0*)?$ ]] && echo "# note: no $t iteration completed in $duration s (raise --duration or lower TX depth with --perftest-args -t N)"
    else
      echo "perftest $t $size FAILED"
      sed "s/^/  server: /" "$log_s"
      sed "s/^/  client: /" "$log_c"
      failed=1
    fi
  done
  if [[ $# -gt 0 ]]; then
    local rc=0
    "$@" || rc=$?
    [[ $rc != 0 ]] && return "$rc"
  fi
  return "$failed"
}

# ---- host side -------------------------------------------------------------------------
PASS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) DURATION=${2:?}; shift 2 ;;
    --tests) TESTS=${2:?}; shift 2 ;;
    --perftest-args) PERFTEST_ARGS=${2?}; shift 2 ;;
    --smp|--mem|--timeout|--share) PASS+=("$1" "${2:?}"); shift 2 ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "perftest_pair.sh: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
done
SIZE=${1:-}
[[ $SIZE =~ ^[0-9]+$ ]] || { echo "perftest_pair.sh: SIZE (bytes) required" >&2; exit 2; }
shift
[[ $DURATION =~ ^[0-9]+$ ]] || { echo "perftest_pair.sh: bad --duration" >&2; exit 2; }
for t in $TESTS; do
  [[ $t == write || $t == read ]] || { echo "perftest_pair.sh: --tests: write|read" >&2; exit 2; }
done
if [[ $PERFTEST_ARGS == unset ]]; then
  PERFTEST_ARGS=""
  (( SIZE >= 262144 )) && PERFTEST_ARGS="-t 8"
fi
if [[ $# -gt 0 ]]; then
  [[ $1 == -- ]] || { echo "perftest_pair.sh: extra command must follow --" >&2; exit 2; }
fi

exec "$HERE/run_in_guest.sh" --guests 1 ${PASS[@]+"${PASS[@]}"} -- \
  bash -c "set -uo pipefail; $(declare -f in_guest); in_guest \"\$@\"" perftest_pair \
  "$DURATION" "$TESTS" "$SIZE" "$PERFTEST_ARGS" "$@"
