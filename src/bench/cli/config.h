// BenchConfig: every option of a run, parsed once from flags (CLI11) and the launcher
// environment, validated in one function. Everything here is echoed into the JSON report.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootstrap/factory.h"
#include "common/logging.h"
#include "common/status.h"
#include "common/units.h"
#include "engine/transport_options.h"
#include "engine/types.h"

namespace te::bench {

class Topology;

enum class Workload { kRead, kWrite, kMix };
const char* workloadName(Workload w);

// What a link is judged on (--metric): its throughput with the pipeline full, or its idle
// latency with one request outstanding at a time (cli/metric.h).
enum class Metric { kBandwidth, kLatency };
const char* metricName(Metric m);

struct BenchConfig {
  std::string transport = "auto";           // as given: auto, a name, a list, or all
  std::vector<std::string> transports;      // resolved list of names ("auto" stays "auto")
  Workload operation = Workload::kWrite;
  double read_ratio = 0.5;                  // for mix
  uint64_t seed = 1;                        // for mix
  uint64_t block_size = 64 * 1024;          // the largest of block_sizes
  std::vector<uint64_t> block_sizes = {64 * 1024};
  uint64_t iterations = 0;                  // batches per thread per link; 0: use --duration
  int samples = 5;                          // sub-windows per link measurement
  int root = 0;                             // one-to-all / all-to-one
  int fan = 0;                              // incast / outcast: ranks per phase (0: all others)
  std::vector<int> group_from, group_to;    // m-to-n: --groups FROM:TO
  std::string group_names;                  // --groups naming hosts or switches: resolved at start (group_names.h)
  std::vector<std::pair<int, int>> pairs;   // --pairs: only these links
  int ranks_per_node = 0;                   // 0: locality from host names
  double threshold = 0.8;
  Metric metric = Metric::kBandwidth;
  double latency_threshold = 2.0;           // --metric latency: flag p50 above this x comparable links'
  bool retest = true;
  int max_retests = 64;                     // flagged links re-measured alone, worst first
  std::optional<double> expect_bytes_per_second;
  std::optional<double> expect_line_rate;
  bool integrity_check = false;
  std::string csv_path;
  std::string html_path;
  std::string metrics_path;                 // --metrics: Prometheus text exposition (report_metrics.cc)
  std::string metrics_links = "flagged";    // --metrics-links: flagged | all
  std::string progress = "auto";            // auto | on | off
  std::string fault_inject;                 // TE_FAULT_INJECT (test-only)
  LauncherEnv env;                          // the launcher's environment, as parseCommandLine was given it
  uint64_t batch_size = 128;
  int threads = 4;
  int batches_in_flight = 2;  // per thread: the next batch is queued while one drains
  uint64_t buffer_size = 1ull << 30;
  double duration = 2.0;   // seconds per measured link; with --duration auto, the cap
  bool adaptive = false;   // --duration auto: a window ends when the rate is known to --precision
  double min_duration = 0.1;  // --duration auto: the floor of a window
  double precision = 0.02;    // --duration auto: the 95% interval's half-width, over the rate
  double warmup = 0.2;     // seconds per link before measuring
  std::string schedule = "pairs";
  // How one phase follows another: "pairs" (handshakes between the ranks near each link,
  // phase_deps.h) where the schedule allows, else "global" (a hand-off at rank 0).
  std::string phase_sync = "pairs";
  // What a rank lost mid-run (dead, frozen, cut off) does to the run: "stop" (report what was
  // measured, exit 1) or "continue" (etcd / redis bootstrap: finish the schedule without it).
  std::string on_failure = "stop";
  // --mode quick: a screen (--schedule bidir, auto windows to 5%) whose flagged links are
  // re-measured alone; exact: the schedule as asked.
  bool quick = false;
  bool mode_given = false;  // --mode was given (a --time-budget keeps it)
  double time_budget = 0;   // --time-budget seconds; 0: none (time_budget.h fits the run to it)
  Clock::time_point started{};  // with a budget: when the run started (progress shows what is left)
  std::string json_path;
  RateUnit report_unit = RateUnit::kGB;
  int report_precision = 2;
  LogLevel log_level = LogLevel::WARN;
  double timeout = 60.0;   // seconds: bootstrap collectives, connection set-up, a stalled link
  bool huge_pages = false;
  int numa_node = -1;
  // Where each side's buffer lives: --memory sets both, --initiator-memory / --target-memory one.
  engine::MemoryKind initiator_memory = engine::MemoryKind::kDram;
  engine::MemoryKind target_memory = engine::MemoryKind::kDram;
  int gpu_id = -1;                          // --gpu-id N; -1: auto (local rank -> GPU)
  bootstrap::BootstrapOptions bootstrap;
  engine::TransportConfig transport_config;  // per-transport options (filled from flags)
  std::vector<std::string> command_line;
  std::vector<std::string> notices;         // one-line notes for the user (Mooncake's flags), printed once
  std::string topology_path;                // --topology: Slurm topology.conf
  std::shared_ptr<const Topology> topology; // parsed (or from scontrol); null: none (topology_source.h)
};

// What parseCommandLine decided.
enum class ParseOutcome { kRun, kExitOk /* --help, --version printed */, kError };

struct ParseResult {
  ParseOutcome outcome = ParseOutcome::kRun;
  Status error;          // for kError: one line naming the flag, the value and what is allowed
  std::string output;    // for kExitOk: text to print (help, version)
};

// Whether this process prints what is wrong with the flags, which every rank sees alike: under
// a launcher (mpirun, srun, PMI; jobs/launch_local.sh, torchrun by LOCAL_RANK) only rank 0,
// so a job prints it once; a process started on its own (etcd / redis ranks started by hand,
// each with its own flags) always.
bool printsUsageErrors(const LauncherEnv& env);

// `env` is the launcher's environment (launcherEnv() in the program): the run reads it from
// config->env, never from the process. The short form reads the process environment.
ParseResult parseCommandLine(int argc, const char* const* argv, const LauncherEnv& env, BenchConfig* config);
ParseResult parseCommandLine(int argc, const char* const* argv, BenchConfig* config);

// Checks values that do not depend on the world (sizes, counts, names).
Status validateConfig(const BenchConfig& config);

// Checks that need the world size (pairwise schedules need at least 2 ranks).
Status validateForWorld(const BenchConfig& config, int world_size);

// Every effective option, for the report.
nlohmann::json configToJson(const BenchConfig& config);

// "0:1,2:3" (--pairs): initiator:target rank pairs, appended to *out.
Status parsePairs(const std::string& text, std::vector<std::pair<int, int>>* out);
// "4K:64M" (powers of two), "4K,64K,1M" or "64K".
Result<std::vector<uint64_t>> parseBlockSizes(const std::string& text);
// "23GB/s", "200Gb/s", "1.5GiB/s", "800MB/s" -> bytes/s.
Result<double> parseRate(const std::string& text);

}  // namespace te::bench
