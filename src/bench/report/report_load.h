// A JSON report (--json) read back into the RunReport the report writers take, so that
// `te_bench report` renders the CSV, HTML, metrics and terminal reports of a run later or
// elsewhere, without MPI. What a JSON report does not hold is said in docs/report-schema.md.
#pragma once

#include <memory>
#include <string>

#include "bench/report/report.h"

namespace te::bench {

struct LoadedReport {
  std::unique_ptr<BenchConfig> config;  // the options the writers read; report.config points here
  RunReport report;
};

// kInvalidArgument naming the path and what is wrong: not a file, not JSON, not a te_bench
// report of schema version 1, a field of the wrong type ("results[0].links[3].seconds: ...").
Result<std::unique_ptr<LoadedReport>> loadRunReport(const std::string& path);

}  // namespace te::bench
