#!/usr/bin/env bash
# te_bench --transport ucx side by side with ucx_perftest, in one run, on this machine:
# same UCX, same TLS (loopback tcp, then shared memory), 64 KiB and 1 MiB, put and get.
# Prints a markdown table with the ratio te_bench / ucx_perftest (goal >= 0.9). Put rows also
# run te_bench --ucx-write-completion local, which counts a put as ucx_perftest does (when its
# source buffer is free) rather than once a flush shows the data at the target.
#
#   perf/ucx_vs_ucx_perftest.sh [BUILD_DIR]        (default build/dev)
#
# Knobs (environment): SIZES="64K 1M", TLS_SETS="tcp sm", DURATION=2 (te_bench seconds per
# link), PERF_MB=768 (MiB moved per ucx_perftest run), GET_DEPTH=64 (ucx_perftest -O for
# get), BATCH=128 (te_bench --batch-size), DEPTH=auto (te_bench --batches-in-flight, its
# "enough operations outstanding": auto keeps 64 MiB in flight, 8 batches at 64K and the default
# 2 at 1M; put rows also run the default depth, 2), REPEAT=5 (rounds per cell, each one ucx_perftest run
# then one te_bench run, so both tools see the same minutes of a machine whose speed drifts; the
# table gives each tool's median and range, the ratio of the medians (the figure to judge) and
# the ratio of the bests), and any
# te_bench flags in TE_FLAGS (e.g. "--ucx-max-inflight 32M"), TE_BUFFER (te_bench --buffer-size;
# default `footprint`: one block per side, like ucx_perftest's single buffer of the message size,
# so both tools copy from the same cache level; a size such as 64M walks a buffer beyond the
# caches, which ucx_perftest cannot do).
#
# TE_DRIVER=alloc_bw measures te_ucx_alloc_bw (perf/ucx_alloc_bw.cc) instead of te_bench: the
# UCX transport alone, rank 0 -> rank 1 (mpirun -np 2), buffers from the transport's
# allocateBuffer (MEMORY=alloc, ucp_mem_map ALLOCATE) or registered DramBuffers
# (MEMORY=registered), BUFFER bytes each (default: the block size, as ucx_perftest uses).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build/dev}"
te_bench="$build/src/bench/te_bench"
SIZES="${SIZES:-64K 1M}"
TLS_SETS="${TLS_SETS:-tcp sm}"
DURATION="${DURATION:-2}"
PERF_MB="${PERF_MB:-768}"
GET_DEPTH="${GET_DEPTH:-64}"
BATCH="${BATCH:-128}"
DEPTH="${DEPTH:-auto}"
REPEAT="${REPEAT:-5}"
TE_FLAGS="${TE_FLAGS:-}"
TE_DRIVER="${TE_DRIVER:-te_bench}"
MEMORY="${MEMORY:-alloc}"
BUFFER="${BUFFER:-}"

# te_bench's --buffer-size: TE_BUFFER=footprint (the default) for one block
# per side (2 x the block size), the footprint ucx_perftest measures in.
te_buffer() {
  if [[ "${TE_BUFFER:-footprint}" == footprint ]]; then
    python3 -c 'import sys; s=sys.argv[1]; m={"K":1<<10,"M":1<<20,"G":1<<30}; print(2*int(s[:-1])*m[s[-1]] if s[-1] in m else 2*int(s))' "$1"
  else
    echo "$TE_BUFFER"
  fi
}

for tool in ucx_perftest mpirun python3; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
alloc_bw="$build/src/engine/ucx/te_ucx_alloc_bw"
if [[ "$TE_DRIVER" == alloc_bw ]]; then
  [[ -x "$alloc_bw" ]] || { echo "$0: $alloc_bw not built" >&2; exit 1; }
else
  [[ -x "$te_bench" ]] || { echo "$0: $te_bench not built" >&2; exit 1; }
fi
mpi_flags=(--allow-run-as-root -np 2 --mca pml ob1 --mca btl self,vader,tcp --bind-to none)

work="$(mktemp -d /tmp/ucx_vs_perftest.XXXXXX)"
trap 'rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))

bytes_of() {  # 64K -> 65536
  local v="${1%[KkMm]}"
  case "$1" in *[Kk]) echo $((v * 1024)) ;; *[Mm]) echo $((v * 1024 * 1024)) ;; *) echo "$v" ;; esac
}

tls_env() {  # the UCX environment of one TLS set, for both tools
  case "$1" in
    tcp) echo "UCX_TLS=tcp UCX_NET_DEVICES=lo" ;;
    sm) echo "UCX_TLS=sm,self" ;;
    *) echo "UCX_TLS=$1" ;;
  esac
}

# ucx_perftest server + client on loopback; prints MiB/s (its "overall" bandwidth column).
perftest_mibs() {
  local tls="$1" op="$2" size="$3"
  local bytes n test extra=()
  bytes="$(bytes_of "$size")"
  n=$((PERF_MB * 1024 * 1024 / bytes))
  if [[ "$op" == write ]]; then test=ucp_put_bw; else test=ucp_get; extra=(-O "$GET_DEPTH"); fi
  port=$((port + 1))
  local args=(-t "$test" -s "$bytes" -n "$n" -w $((n / 10 + 1)) -p "$port" "${extra[@]}")
  env $(tls_env "$tls") ucx_perftest "${args[@]}" >"$work/server.log" 2>&1 &
  local server=$!
  local out=""
  for _ in $(seq 50); do  # the server needs a moment to listen
    if out="$(env $(tls_env "$tls") timeout 300 ucx_perftest 127.0.0.1 "${args[@]}" 2>&1)"; then break; fi
    sleep 0.2
  done
  wait "$server" || true
  # "Final: iters p50 avg overall bw_avg bw_overall rate_avg rate_overall"
  echo "$out" | awk '/^Final:/ {print $7}'
}

# te_bench, one pair (-np 2), one thread, DEPTH batches in flight; prints MiB/s (mean of the
# two directions).
te_bench_mibs() {
  local tls="$1" op="$2" size="$3" depth="$DEPTH"
  if [[ "$depth" == auto ]]; then  # 64 MiB in flight, within te_bench's 2..16
    depth=$(((64 << 20) / (BATCH * $(bytes_of "$size"))))
    depth=$((depth < 2 ? 2 : depth > 16 ? 16 : depth))
  fi
  local extra="--batches-in-flight $depth ${4:-}"
  local json="$work/te.json"
  rm -f "$json"
  # shellcheck disable=SC2086
  env $(tls_env "$tls") timeout 300 mpirun "${mpi_flags[@]}" \
    "$te_bench" --transport ucx --threads 1 --operation "$op" --block-size "$size" \
    --batch-size "$BATCH" --buffer-size "$(te_buffer "$size")" --duration "$DURATION" --warmup 0.5 \
    --json "$json" $TE_FLAGS $extra >"$work/te.log" 2>&1 || { tail -5 "$work/te.log" >&2; echo 0; return; }
  python3 - "$json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
links = [l["bytes_per_second"] for b in d["results"] for l in b["links"]]
print(f"{sum(links) / len(links) / 2**20:.1f}" if links else 0)
EOF
}

# te_ucx_alloc_bw, rank 0 -> rank 1; prints MiB/s.
alloc_bw_mibs() {
  local tls="$1" op="$2" size="$3" out
  out="$(env $(tls_env "$tls") timeout 300 mpirun "${mpi_flags[@]}" "$alloc_bw" --op "$op" \
    --block-size "$size" --buffer-size "${BUFFER:-$size}" --batch "$BATCH" --duration "$DURATION" \
    --warmup 0.5 --memory "$MEMORY" 2>"$work/alloc_bw.log")" || { tail -5 "$work/alloc_bw.log" >&2; echo 0; return; }
  echo "$out" >>"$work/alloc_bw.json"
  echo "$out" | "$here/perf/json_field.py" - mib_per_s --format .1f
}

# te_bench counting a WRITE when UCX frees its source buffer, as ucx_perftest's put_bw does.
te_bench_local_mibs() { te_bench_mibs "$1" "$2" "$3" "--ucx-write-completion local"; }
# te_bench at its default depth (--batches-in-flight 2), for the record: a WRITE's flush then
# waits behind everything the kernel's socket buffers hold, and two batches do not cover that.
te_bench_depth2_mibs() { DEPTH=2 te_bench_mibs "$1" "$2" "$3"; }

# REPEAT interleaved rounds of a reference command and measured commands (each prints MiB/s),
# so all see the same minutes of the machine. Prints the reference's "median min max", then per
# measured command "median min max ratio_of_medians ratio_of_bests".
rounds() {
  local -a cmds=("$@") values=()
  local i
  for _ in $(seq "$REPEAT"); do
    for i in "${!cmds[@]}"; do values[i]+=" $(${cmds[i]})"; done
  done
  python3 - "${values[@]}" <<'EOF'
import statistics, sys
runs = [[float(v or 0) for v in arg.split()] for arg in sys.argv[1:]]
ref = runs[0]
out = [f"{statistics.median(ref):.0f} {min(ref):.0f} {max(ref):.0f}"]
for mine in runs[1:]:
    ratio = lambda a, b: f"{a / b:.2f}" if b else "n/a"
    out.append(f"{statistics.median(mine):.0f} {min(mine):.0f} {max(mine):.0f} "
               f"{ratio(statistics.median(mine), statistics.median(ref))} {ratio(max(mine), max(ref))}")
print(" ".join(out))
EOF
}

if [[ "$TE_DRIVER" == alloc_bw ]]; then
  echo "# te_ucx_alloc_bw (memory $MEMORY, buffer ${BUFFER:-= block}, batch $BATCH) vs ucx_perftest on $(hostname), $(date -u +%Y-%m-%dT%H:%MZ)"
else
  echo "# te_bench (ucx, 1 thread, batch $BATCH, batches in flight $DEPTH (auto: 64 MiB), buffer ${TE_BUFFER:-footprint}) vs ucx_perftest on $(hostname), $(date -u +%Y-%m-%dT%H:%MZ)"
fi
echo "# $(ucx_info -v | head -1 | sed 's/^# *//'); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
tool="$([[ "$TE_DRIVER" == alloc_bw ]] && echo te_ucx_alloc_bw || echo te_bench)"
echo "$REPEAT interleaved rounds per cell; MiB/s as median (min-max); ratios: of the medians (the"
echo "figure to judge) and of the bests. \"local\": te_bench --ucx-write-completion local (a put counts"
echo "when its source buffer is free, as ucx_perftest counts); by default a WRITE counts once a flush"
echo "shows it reached the target. \"depth 2\": te_bench --batches-in-flight 2 (its default). The last"
echo "two columns give te_bench's median and, in brackets, its ratio to ucx_perftest's."
echo
if [[ "$TE_DRIVER" == alloc_bw ]]; then
  echo "| TLS | op | size | ucx_perftest MiB/s | $tool MiB/s | ratio of medians | ratio of bests |"
  echo "|---|---|---|---:|---:|---:|---:|"
else
  echo "| TLS | op | size | ucx_perftest MiB/s | te_bench MiB/s | ratio of medians | ratio of bests | te_bench depth 2 | te_bench local |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
fi
for tls in $TLS_SETS; do
  for op in write read; do
    for size in $SIZES; do
      name="$([[ $op == write ]] && echo "put (ucp_put_bw)" || echo "get (ucp_get -O $GET_DEPTH)")"
      row="| $(tls_env "$tls" | sed 's/UCX_//g') | $name | $size |"
      if [[ "$TE_DRIVER" == alloc_bw ]]; then
        read -r rm rlo rhi mm mlo mhi ratio best <<<"$(rounds "perftest_mibs $tls $op $size" "alloc_bw_mibs $tls $op $size")"
        echo "$row $rm ($rlo-$rhi) | $mm ($mlo-$mhi) | $ratio | $best |"
      elif [[ "$op" == write ]]; then
        read -r rm rlo rhi mm mlo mhi ratio best dm _ _ dratio _ lm _ _ lratio _ <<<"$(rounds \
          "perftest_mibs $tls $op $size" "te_bench_mibs $tls $op $size" "te_bench_depth2_mibs $tls $op $size" \
          "te_bench_local_mibs $tls $op $size")"
        echo "$row $rm ($rlo-$rhi) | $mm ($mlo-$mhi) | $ratio | $best | $dm ($dratio) | $lm ($lratio) |"
      else  # a READ is complete when its data is here: no flush, nothing to count differently
        read -r rm rlo rhi mm mlo mhi ratio best <<<"$(rounds "perftest_mibs $tls $op $size" "te_bench_mibs $tls $op $size")"
        echo "$row $rm ($rlo-$rhi) | $mm ($mlo-$mhi) | $ratio | $best | - | - |"
      fi
    done
  done
done
