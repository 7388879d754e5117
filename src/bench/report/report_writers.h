// The report files a run writes, one row per format: its flag, its name in the options echo,
// where BenchConfig keeps its path and its writer. The run's CLI, its checks, its writes and
// `te_bench report` read this table; a new format is a writer and one row (report_writers.cc).
#pragma once

#include <string>
#include <vector>

#include "bench/cli/config.h"
#include "bench/report/report.h"

namespace te::bench {

struct ReportWriter {
  const char* flag;       // "--csv"
  const char* json_name;  // "csv": its key in the report's options
  const char* help;       // the flag's help
  std::string BenchConfig::*path;
  Status (*write)(const RunReport&, const std::string&);
  bool from_json;  // `te_bench report IN.json` can write it (every format but the JSON itself)
};

const std::vector<ReportWriter>& reportWriters();

// Checks that every asked-for path (config.*path non-empty) can be written: the first problem.
Status checkReportPaths(const BenchConfig& config);

}  // namespace te::bench
