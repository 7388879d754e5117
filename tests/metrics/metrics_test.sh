#!/usr/bin/env bash
# Fleet monitoring with the real components (ctest label metrics): te_bench runs 4 ranks with
# one link made slow by the fault-injecting transport and writes its JSON, CSV, HTML and
# Prometheus metrics; then
#   - te_bench report renders the CSV, HTML and metrics again from the JSON, byte for byte;
#   - promtool check metrics accepts the metrics file;
#   - a node_exporter (textfile collector only) serves its series on /metrics;
#   - a Prometheus server scrapes that node_exporter and a PromQL query through its HTTP API
#     returns the slow link;
#   - promtool check rules accepts jobs/prometheus/te_bench_rules.yml and promtool test rules
#     shows its alerts firing on this run's series.
# Every server started here is killed on exit; every wait has a deadline. A missing binary
# is a failure (scripts/install_deps.sh installs prometheus and prometheus-node-exporter).
# usage: metrics_test.sh TE_BENCH
set -uo pipefail

TE_BENCH=${1:?usage: metrics_test.sh TE_BENCH}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RULES="$ROOT/jobs/prometheus/te_bench_rules.yml"
SLOW_FROM=1 SLOW_TO=2
START=$SECONDS

# The servers' logs go with a failure: what they said is usually why.
fail() {
  echo "FAIL: $*" >&2
  for log in "${WORK:-/nonexistent}"/*.log; do
    [[ -f $log ]] && { echo "--- tail of $log" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}
ok() { echo "ok   $* ($((SECONDS - START)) s)"; }

for tool in promtool prometheus prometheus-node-exporter curl python3 mpirun; do
  command -v "$tool" >/dev/null || fail "$tool not found: scripts/install_deps.sh installs it"
done

WORK=$(mktemp -d /tmp/te_metrics.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 0.2 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what: not within the deadline"
    sleep 0.2
  done
}

# --- the run -------------------------------------------------------------------------------
mkdir -p "$WORK/textfile"
PROM="$WORK/textfile/te_bench.prom"
# 20 MB/s on 1 -> 2 against hundreds of MB/s elsewhere (--threshold 0.25: the noise of a shared
# machine stays above it); --expect 50MB/s makes it fail the
# expectation too (exit 4).
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 TE_FAULT_INJECT="rate:$SLOW_FROM->$SLOW_TO:20MB" \
  timeout 120 mpirun -np 4 --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp \
  --mca mpi_yield_when_idle 1 "$TE_BENCH" --transport tcp --progress off --buffer-size 8M --threads 1 \
  --batch-size 16 --duration 0.3 --warmup 0.1 --threshold 0.25 --expect 50MB/s \
  --json "$WORK/run.json" --csv "$WORK/run.csv" --html "$WORK/run.html" --metrics "$PROM" \
  >"$WORK/run.out" 2>"$WORK/run.err"
code=$?
[[ $code -eq 4 ]] || { cat "$WORK/run.out" "$WORK/run.err" >&2; fail "te_bench exited $code, expected 4 (link $SLOW_FROM->$SLOW_TO below --expect)"; }
grep -q "^te_bench_link_confirmed{.*initiator=\"$SLOW_FROM\",target=\"$SLOW_TO\".*} 1$" "$PROM" ||
  { cat "$WORK/run.out" "$PROM" >&2; fail "the metrics do not mark link $SLOW_FROM->$SLOW_TO confirmed slow"; }
grep -q '^te_bench_run_exit_code 4$' "$PROM" || fail "te_bench_run_exit_code is not the run's 4: $(grep -A3 '^te_bench_run_exit_code' "$PROM")"
ls "$WORK/textfile" | grep -v '^te_bench.prom$' && fail "a temporary file was left beside the metrics"
ok "te_bench run: exit 4, link $SLOW_FROM->$SLOW_TO confirmed slow in $PROM"

# --- te_bench report: the same files again from the JSON -----------------------------------
"$TE_BENCH" report "$WORK/run.json" --csv "$WORK/again.csv" --html "$WORK/again.html" --metrics "$WORK/again.prom" \
  --terminal >"$WORK/report.out" 2>"$WORK/report.err" || { cat "$WORK/report.err" >&2; fail "te_bench report exited $?"; }
[[ ! -s "$WORK/report.err" ]] || fail "te_bench report said: $(cat "$WORK/report.err")"
diff "$WORK/run.out" "$WORK/report.out" >&2 || fail "te_bench report's terminal report differs from the run's stdout"
for ext in csv html; do
  cmp "$WORK/run.$ext" "$WORK/again.$ext" || fail "te_bench report's $ext differs from the run's"
done
cmp "$PROM" "$WORK/again.prom" || fail "te_bench report's metrics differ from the run's"
"$TE_BENCH" report "$WORK/run.json" --metrics-links everything >"$WORK/bad.out" 2>&1
code=$?
[[ $code -eq 2 && $(wc -l <"$WORK/bad.out") -eq 1 ]] && grep -q -- '--metrics-links everything' "$WORK/bad.out" ||
  fail "te_bench report --metrics-links everything: exit $code, $(cat "$WORK/bad.out")"
echo '{"results": [' >"$WORK/broken.json"
"$TE_BENCH" report "$WORK/broken.json" --csv "$WORK/x.csv" >"$WORK/bad.out" 2>&1
code=$?
[[ $code -eq 2 ]] && grep -q 'not valid JSON' "$WORK/bad.out" || fail "te_bench report of broken JSON: exit $code, $(cat "$WORK/bad.out")"
ok "te_bench report: csv, html, metrics and terminal identical to the run's; bad input exit 2"

# --- promtool check metrics ----------------------------------------------------------------
promtool check metrics <"$PROM" >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out" >&2; fail "promtool check metrics"; }
ok "promtool check metrics: $(grep -vc '^#' "$PROM") samples accepted"

# --- node_exporter with the textfile collector ---------------------------------------------
NODE_PORT=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT" --collector.disable-defaults \
  --collector.textfile --collector.textfile.directory="$WORK/textfile" >"$WORK/node.log" 2>&1 &
PIDS+=($!)
wait_for 30 "node_exporter on 127.0.0.1:$NODE_PORT" curl -sf "http://127.0.0.1:$NODE_PORT/metrics"
curl -sf "http://127.0.0.1:$NODE_PORT/metrics" >"$WORK/node.metrics" || fail "node_exporter /metrics"
grep -q "^te_bench_link_throughput_bytes_per_second{.*initiator=\"$SLOW_FROM\".*target=\"$SLOW_TO\".*}" "$WORK/node.metrics" ||
  { cat "$WORK/node.log" >&2; fail "node_exporter does not serve te_bench's link series"; }
grep -q '^node_textfile_scrape_error 0$' "$WORK/node.metrics" || fail "node_exporter reports a textfile scrape error"
served=$(grep -c '^te_bench_' "$WORK/node.metrics")
[[ $served -eq $(grep -vc '^#' "$PROM") ]] || fail "node_exporter serves $served te_bench samples, the file has $(grep -vc '^#' "$PROM")"
ok "node_exporter serves all $served te_bench samples"

# --- Prometheus scrapes it; PromQL finds the slow link -------------------------------------
PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$RULES"]
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$NODE_PORT"]
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_for 60 "prometheus ready on 127.0.0.1:$PROM_PORT" curl -sf "http://127.0.0.1:$PROM_PORT/-/ready"
query() { curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"; }
slow_link_found() {
  query 'bottomk(1, te_bench_link_ratio)' >"$WORK/query.json" &&
    python3 - "$WORK/query.json" "$SLOW_FROM" "$SLOW_TO" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["data"]["result"]
sys.exit(0 if len(r) == 1 and (r[0]["metric"]["initiator"], r[0]["metric"]["target"]) == tuple(sys.argv[2:4]) else 1)
PY
}
wait_for 60 "PromQL bottomk(1, te_bench_link_ratio) returning link $SLOW_FROM->$SLOW_TO" slow_link_found
query 'te_bench_link_confirmed == 1' >"$WORK/confirmed.json"
python3 - "$WORK/confirmed.json" "$SLOW_FROM" "$SLOW_TO" <<'PY' || fail "te_bench_link_confirmed == 1 is not just the slow link"
import json, sys
r = json.load(open(sys.argv[1]))["data"]["result"]
links = sorted((x["metric"]["initiator"], x["metric"]["target"]) for x in r)
print("     confirmed slow through PromQL:", links)
sys.exit(0 if links == [tuple(sys.argv[2:4])] else 1)
PY
ok "prometheus scraped node_exporter; PromQL names link $SLOW_FROM->$SLOW_TO"

# --- the shipped rules: valid, and firing on this run's series -----------------------------
promtool check rules "$RULES" >"$WORK/rules.out" 2>&1 || { cat "$WORK/rules.out" >&2; fail "promtool check rules"; }
python3 "$HERE/prom_rule_test.py" "$PROM" "$RULES" "$WORK/rule_test.yml" "$SLOW_FROM" "$SLOW_TO" || fail "prom_rule_test.py"
promtool test rules "$WORK/rule_test.yml" >"$WORK/rule_test.out" 2>&1 || { cat "$WORK/rule_test.out" >&2; fail "promtool test rules"; }
ok "promtool check rules / test rules: TeBenchLinkSlow and TeBenchLinkBelowExpectation fire for $SLOW_FROM->$SLOW_TO"
echo "PASS ($((SECONDS - START)) s)"
