// `te_bench report IN.json [--csv F] [--html F] [--metrics F] [--metrics-links all|flagged]
// [--terminal]`: a run's reports rendered again from its JSON report (docs/report-schema.md,
// "Reports rendered again"). No MPI, no transport.
#pragma once

#include <ostream>

namespace te::bench {

// argv[0] is "report". Exit codes: 0 written, 2 usage (bad flags, a file that is not a
// te_bench JSON report, an output path that cannot be written), 1 a write failed.
int runReportCommand(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int runReportCommand(int argc, const char* const* argv);

}  // namespace te::bench
