#!/usr/bin/env bash
# te_bench TCP (mpirun -np 2: one pair, both directions averaged) side by side with iperf3's
# single-stream loopback rate, measured in the same run. Prints a markdown table of ratios.
# Usage: perf/tcp_vs_iperf3.sh [BUILD_DIR] (default build/release, else build/dev)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-}
if [[ -z $BUILD ]]; then
  for d in build/release build/dev build/lead; do [[ -x $d/src/bench/te_bench ]] && { BUILD=$d; break; }; done
fi
BENCH=$BUILD/src/bench/te_bench
[[ -x $BENCH ]] || { echo "tcp_vs_iperf3.sh: no te_bench under ${BUILD:-build/*} (build first)" >&2; exit 1; }
DURATION=${DURATION:-5}
THREADS_LIST=${THREADS_LIST:-"1 4"}
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

iperf3_rate() {  # bytes/s, single stream, loopback
  local port
  port=$(free_port)
  timeout $((DURATION + 30)) iperf3 -s -1 -p "$port" -B 127.0.0.1 >/dev/null 2>&1 &
  local server=$!
  for _ in $(seq 50); do
    timeout $((DURATION + 20)) iperf3 -c 127.0.0.1 -p "$port" -t "$DURATION" -J >"$TMP/iperf.json" 2>/dev/null && break
    sleep 0.2
  done
  wait "$server" 2>/dev/null || true
  perf/json_field.py "$TMP/iperf.json" end.sum_received.bits_per_second --scale 0.125
}

te_bench_rate() {  # operation block threads -> mean bytes/s of the two links
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout $((DURATION * 4 + 60)) mpirun -np 2 --bind-to none \
    --mca pml ob1 --mca btl self,vader,tcp "$BENCH" --transport tcp --operation "$1" --block-size "$2" \
    --threads "$3" --buffer-size 256M --duration "$DURATION" --warmup 0.5 --json "$TMP/te.json" >/dev/null
  perf/json_field.py "$TMP/te.json" 'results.0.links.*.bytes_per_second' --mean
}

echo "# te_bench TCP vs iperf3 (loopback, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $("$BENCH" --version))"
echo
echo "| test | block | threads | te_bench GB/s | iperf3 GB/s | ratio |"
echo "|---|---|---|---|---|---|"
for threads in $THREADS_LIST; do
  for op in write read; do
    for block in 64K 1M; do
      ip=$(iperf3_rate)   # interleaved, so both see the same machine state
      te=$(te_bench_rate "$op" "$block" "$threads")
      python3 -c 'import sys; op,b,t,te,ip=sys.argv[1:]; te=float(te); ip=float(ip); print(f"| {op} | {b} | {t} | {te/1e9:.2f} | {ip/1e9:.2f} | {te/ip:.2f} |")' \
        "$op" "$block" "$threads" "$te" "$ip"
    done
  done
done

# Resident memory: the buffer plus what the engine adds (target: under 64 MiB on top).
rss_kb=$( { OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 /usr/bin/time -f '%M' mpirun -np 2 --bind-to none \
  --mca pml ob1 --mca btl self,vader,tcp "$BENCH" --transport tcp --buffer-size 256M --duration 1 --threads 4 \
  >/dev/null 2>"$TMP/err"; } 2>&1; tail -1 "$TMP/err")
echo
echo "peak resident memory of the largest process, --buffer-size 256M, 4 threads: $((rss_kb / 1024)) MiB" \
  "($(( rss_kb / 1024 - 256 )) MiB over the buffer)"
