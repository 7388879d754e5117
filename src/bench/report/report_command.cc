// `te_bench report IN.json [--csv F] [--html F] [--metrics F] [--terminal]`: the reports of a
// run rendered again from its JSON report, by the run's own writers. No MPI, no transport.
#include "bench/report/report_command.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/cli/subcommand.h"
#include "bench/report/report_load.h"
#include "bench/report/report_writers.h"
#include "common/shown_value.h"

namespace te::bench {

int runReportCommand(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"te_bench report: the CSV, HTML, Prometheus metrics and terminal reports of a run, rendered again "
               "from its JSON report (--json), without MPI.\nExit 0: written, 2: usage (bad flags, a file that is "
               "not a te_bench JSON report), 1: a report could not be written.",
               "te_bench report"};
  std::string in, links;
  BenchConfig paths;  // the files asked for, where a run keeps them
  bool terminal = false;
  bool any_file = false;
  app.add_option("IN", in, "the JSON report of a run")->required();
  for (const ReportWriter& w : reportWriters()) {
    if (w.from_json) app.add_option(w.flag, paths.*w.path, w.help)->type_name("FILE");
  }
  app.add_option("--metrics-links", links, "flagged | all: the links --metrics lists one by one (default: the run's)");
  app.add_flag("--terminal", terminal, "print the terminal report (the default when no file is asked for)");
  const Subcommand command{"report", out, err};
  auto fail = [&command](const std::string& message, int code) { return command.fail(message, code); };
  if (std::optional<int> done = command.parse(app, argc, argv)) return *done;
  if (!links.empty() && links != "flagged" && links != "all") {
    return fail(flagValue("--metrics-links", links) + ": allowed flagged, all", 2);
  }
  Status writable = checkReportPaths(paths);
  if (!writable.isOk()) return fail(writable.message(), 2);
  for (const ReportWriter& w : reportWriters()) any_file = any_file || !(paths.*w.path).empty();
  Result<std::unique_ptr<LoadedReport>> loaded = loadRunReport(in);
  if (!loaded.isOk()) return fail(loaded.status().message(), 2);
  const RunReport& report = (*loaded)->report;
  if (!links.empty()) (*loaded)->config->metrics_links = links;
  if (terminal || !any_file) printTerminalReport(report, out);
  int code = 0;
  for (const ReportWriter& w : reportWriters()) {
    if ((paths.*w.path).empty()) continue;
    Status s = w.write(report, paths.*w.path);
    if (!s.isOk()) code = fail(s.message(), 1);
  }
  return code;
}

int runReportCommand(int argc, const char* const* argv) { return runReportCommand(argc, argv, std::cout, std::cerr); }

}  // namespace te::bench
