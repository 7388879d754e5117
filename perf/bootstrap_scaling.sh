#!/bin/bash
# bootstrap_scaling.sh — how long a full endpoint exchange takes through each bootstrap
# (allGather of 4 KiB per rank + allToAll of 64 B per pair, as the engine's connect does),
# for 4, 16 and 64 ranks (processes on this machine), over MPI, etcd and redis, and how many
# server round trips each rank makes (it must not grow faster than O(N) per rank).
#
#   perf/bootstrap_scaling.sh [BUILD_DIR]        (default build/dev; prints a markdown table)
#   TE_SIZES="4 16" TE_ITERATIONS=5 perf/bootstrap_scaling.sh build/dev
#
# Starts its own etcd and redis on free loopback ports and stops them at the end. The tool
# is te_bootstrap_exchange (tests/services/CMakeLists.txt builds it with the tests).
set -u -f
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/dev}
tool=$build/tests/services/te_bootstrap_exchange
[ -x "$tool" ] || { echo "bootstrap_scaling.sh: $tool not built (cmake --build $build --target te_bootstrap_exchange)" >&2; exit 1; }
sizes=${TE_SIZES:-4 16 64}
iterations=${TE_ITERATIONS:-5}
work=$(mktemp -d /tmp/te_bootstrap_scaling.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {  # a port nothing listens on (the server's own bind is the final check)
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

ep=$(free_port) pp=$(free_port) rp=$(free_port)
etcd --name n0 --data-dir "$work/etcd" --log-level error \
    --listen-client-urls "http://127.0.0.1:$ep" --advertise-client-urls "http://127.0.0.1:$ep" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "n0=http://127.0.0.1:$pp" >"$work/etcd.log" 2>&1 &
pids+=($!)
redis-server --port "$rp" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$ep/health" >/dev/null 2>&1 && redis-cli -p "$rp" ping >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$ep/health" >/dev/null || { echo "etcd did not start:" >&2; cat "$work/etcd.log" >&2; exit 1; }

mpi_args=(--oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1)
[ "$(id -u)" != 0 ] || mpi_args+=(--allow-run-as-root)

run() {  # kind n -> one JSON line on stdout
    local kind=$1 n=$2 out
    case $kind in
        mpi) out=$(timeout 600 mpirun "${mpi_args[@]}" -np "$n" "$tool" --bootstrap mpi --iterations "$iterations" 2>"$work/err") ;;
        etcd) out=$(TE_JOB_ID=scale-etcd-$n-$$ TE_LAUNCH_TIMEOUT=600 "$root/jobs/launch_local.sh" "$n" -- \
                    "$tool" --bootstrap "etcd://127.0.0.1:$ep" --iterations "$iterations" 2>"$work/err") ;;
        redis) out=$(TE_JOB_ID=scale-redis-$n-$$ TE_LAUNCH_TIMEOUT=600 "$root/jobs/launch_local.sh" "$n" -- \
                     "$tool" --bootstrap "redis://127.0.0.1:$rp" --iterations "$iterations" 2>"$work/err") ;;
    esac
    local rc=$?
    if [ $rc != 0 ] || [ -z "$out" ]; then
        echo "bootstrap_scaling.sh: $kind with $n ranks failed (exit $rc):" >&2
        head -5 "$work/err" >&2
        return 1
    fi
    echo "$out" | grep '^{' | tail -1
}

field() { sed -n "s/.*\"$1\": \\([^,}]*\\).*/\\1/p" <<<"$2"; }

echo "| bootstrap | ranks | join (s) | exchange median (ms) | exchange max (ms) | round trips / rank | of which polls | KiB sent / rank | KiB received / rank |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $sizes; do
    for kind in mpi etcd redis; do
        line=$(run "$kind" "$n") || continue
        echo "$line" >>"$work/results.jsonl"
        rt=$(field round_trips_per_rank "$line") polls=$(field polls_per_rank "$line")
        total=n/a
        [ "$rt" = null ] || total=$(awk -v a="$rt" -v b="$polls" 'BEGIN { printf "%.1f", a + b }')
        [ "$polls" = null ] && polls=n/a || polls=$(printf '%.1f' "$polls")
        sent=$(field kib_sent_per_rank "$line") received=$(field kib_received_per_rank "$line")
        [ "$sent" = null ] && sent=n/a || sent=$(printf '%.1f' "$sent")
        [ "$received" = null ] && received=n/a || received=$(printf '%.1f' "$received")
        printf '| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n' "$kind" "$n" "$(field setup_s "$line")" \
            "$(field exchange_ms_median "$line")" "$(field exchange_ms_max "$line")" "$total" "$polls" "$sent" "$received"
    done
done
