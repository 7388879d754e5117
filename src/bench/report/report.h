// Reports of a run: what a run measured (RunReport) and its writers: the terminal matrix
// (always, on rank 0), JSON, CSV, HTML and Prometheus metrics (report_writers.h lists the files).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/analysis/analysis.h"
#include "bench/analysis/congestion.h"
#include "bench/cli/config.h"
#include "bench/run/results.h"
#include "common/version.h"

namespace te::bench {

// One measured configuration (transport x operation x block size x schedule).
struct ResultBlock {
  std::string transport;
  std::string operation;            // "read", "write", "mix"
  uint64_t block_size;
  std::vector<LinkResult> links;
  BlockAnalysis analysis;           // verdicts parallel to links
  Histogram latency_ns;             // every request of every link
  // Read back from a JSON report (te_bench report), which holds the histogram's summary only.
  std::optional<LatencySummary> latency;
  std::string schedule;             // the --schedule (of its list) that measured it
  // A loaded schedule's links against the same links idle (--schedule pairs,all-to-all).
  std::optional<CongestionImpact> congestion;
};

struct RunReport {
  const BenchConfig* config = nullptr;
  int world_size = 0;
  std::vector<std::string> hosts;   // per rank
  std::string launcher;
  std::string bootstrap;
  std::string transport;            // chosen transport
  nlohmann::json transport_details; // rank 0's describe() of the first transport
  nlohmann::json transports_details = nlohmann::json::object();  // by transport name
  nlohmann::json memory;            // rank 0's buffer: kind, bytes, NUMA node, huge pages
  // The build that measured: this one, or the one a JSON report names (te_bench report).
  std::string version = kVersion;
  std::string git_revision = kGitRevision;
  // The effective options as a JSON report holds them (te_bench report); null: the run's own,
  // configToJson(*config).
  nlohmann::json options;
  std::string start_time;           // ISO 8601 UTC
  std::string end_time;
  std::vector<ResultBlock> blocks;
  // Why the run stopped before its schedule ended ("" when it did not): the report holds
  // what was measured before, the rest of the last block cut (LinkResult::cut).
  std::string failure;
  // --on-failure continue, and a rank was lost or a link failed: the schedule finished
  // without them (`failure` says what; the JSON's lost_ranks, maybe empty, marks it).
  bool went_on = false;
  std::vector<LostRank> lost;
};

// --on-failure continue: what the run went on without ("rank 2 (node7), lost in tcp write
// 64 KiB, phase 3 of 6 (...)", and the links that failed), "" when nothing.
std::string wentOnWithoutText(const RunReport& report);

void printTerminalReport(const RunReport& report, std::ostream& out);

// One row per link per block (transport, operation, size). Columns documented in
// docs/report-schema.md.
Status writeCsvReport(const RunReport& report, const std::string& path);
// One self-contained HTML file (no network access): a heatmap per block with hover values,
// flagged links outlined, the summary and the run's options.
Status writeHtmlReport(const RunReport& report, const std::string& path);

// Prometheus text exposition (report_metrics.h), written atomically so that node_exporter's
// textfile collector never reads half a file; config->metrics_links chooses the links listed.
Status writeMetricsReport(const RunReport& report, const std::string& path);

// The effective options: report.options, or configToJson(*report.config).
nlohmann::json optionsOf(const RunReport& report);

nlohmann::json reportToJson(const RunReport& report);
// Writes atomically (temp file + rename). Error names the path and errno text.
Status writeJsonReport(const RunReport& report, const std::string& path);

// Checks that `path` can be created (the directory exists and is writable).
Status checkWritable(const std::string& path, const std::string& flag);

std::string isoTimeNow();

}  // namespace te::bench
