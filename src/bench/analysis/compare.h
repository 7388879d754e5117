// `te_bench compare OLD.json NEW.json`: per-link and per-host throughput ratios between two
// JSON reports, and the links that got worse (exit 4 when any). No MPI, no transport.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace te::bench {

struct LinkComparison {
  int initiator = 0, target = 0;
  std::string initiator_host, target_host;  // from NEW
  double old_bytes_per_second = 0, new_bytes_per_second = 0;
  std::optional<double> ratio;              // new / old; nullopt when OLD measured nothing
  bool worse = false;                       // new < threshold x old
};

struct HostComparison {
  std::string host;
  double mean_ratio = 0;                    // over the links touching the host
  size_t links = 0;
};

struct BlockComparison {
  std::string transport, operation;
  uint64_t block_size = 0;
  std::vector<LinkComparison> links;        // worst ratio first
  std::vector<HostComparison> hosts;        // worst mean ratio first
  size_t only_in_old = 0, only_in_new = 0;  // links measured in one report only
  size_t worse = 0;
  std::vector<std::string> notes;           // e.g. a rank that moved to another host
  std::string schedule;                     // the new report's ("" before --schedule lists)
  // --metric latency: the links' rates are block_size / p50 (new/old = old p50 / new p50).
  bool latency = false;
};

struct Comparison {
  double threshold = 0.8;
  std::vector<BlockComparison> blocks;      // blocks present in both reports
  size_t worse = 0;
};

// kInvalidArgument when a report is not a te_bench report or none of their blocks
// (transport, operation, block size) match; the names (paths) go into the message.
Result<Comparison> compareReports(const nlohmann::json& old_report, const nlohmann::json& new_report,
                                  double threshold, const std::string& old_name = "OLD",
                                  const std::string& new_name = "NEW");

// Reads and parses a te_bench JSON report, without what a comparison does not read (a
// link's counts, samples, latency, NIC split, verdict; matrices), each link kept packed
// (json_filter.h: unpacked()); the error names the path.
Result<nlohmann::json> loadReport(const std::string& path);

nlohmann::json comparisonToJson(const Comparison& c);
void printComparison(const Comparison& c, std::ostream& out);

// argv[0] is "compare". Exit codes: 0 no regression, 2 usage (bad flags, unreadable or
// foreign files, no common block), 4 some link below threshold x its old throughput,
// 1 the --json file could not be written.
int runCompare(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int runCompare(int argc, const char* const* argv);

}  // namespace te::bench
