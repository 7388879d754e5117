// The Prometheus report (--metrics FILE): the run in the text exposition format, for
// node_exporter's textfile collector. Series and labels are documented in docs/metrics.md.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "bench/report/report.h"

namespace te::bench {

// A label value as the exposition format wants it: backslash, double quote and line feed
// escaped (\\, \", \n); any other byte as it is.
std::string escapeLabelValue(std::string_view value);

// The exit code the run's reports stand for: 1 when it stopped early, 4 when a link failed
// its expectation, else 0 (a report that could not be written is not in it).
int reportedExitCode(const RunReport& report);

// The whole exposition: run metadata, per block the verdict, per-host (and per-switch)
// aggregates, suspects, and the links `all_links` asks for (else the flagged ones: flagged
// or confirmed slow, below the expectation, failed).
void writeMetrics(const RunReport& report, bool all_links, std::ostream& out);

}  // namespace te::bench
