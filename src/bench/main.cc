// te_bench entry point: flags -> validated config (exit 2 on a user's mistake, printed once
// by rank 0) -> the run.
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <thread>

#include "bench/analysis/compare.h"
#include "bench/analysis/topology_source.h"
#include "bench/cli/config.h"
#include "bench/cli/mooncake_flags.h"
#include "bench/report/report_command.h"
#include "bench/run/app.h"
#include "common/launcher_env.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  using namespace te;
  using namespace te::bench;
  // A peer that went away is an error a send reports (EPIPE), not a signal that kills this
  // rank with exit 141 before it can say why.
  std::signal(SIGPIPE, SIG_IGN);
  // `te_bench compare OLD.json NEW.json`: no MPI, no transport.
  if (argc > 1 && std::strcmp(argv[1], "compare") == 0) return runCompare(argc - 1, argv + 1);
  // `te_bench report IN.json ...`: the reports again from a JSON report, no MPI.
  if (argc > 1 && std::strcmp(argv[1], "report") == 0) return runReportCommand(argc - 1, argv + 1);
  // Before the bootstrap the rank is only known from the launcher: a mistake is printed once
  // per job (see printsUsageErrors).
  BenchConfig config;
  ParseResult parsed = parseCommandLine(argc, argv, launcherEnv(), &config);
  const bool root = printsUsageErrors(config.env);
  if (parsed.outcome == ParseOutcome::kExitOk) {
    if (root) std::cout << parsed.output;
    return kExitOk;
  }
  Status mistake = parsed.outcome == ParseOutcome::kError ? parsed.error : validateConfig(config);
  if (mistake.isOk()) mistake = attachTopology(&config, root);
  if (!mistake.isOk()) {
    if (root) printError(mistake);
    // mpirun and jobs/launch_local.sh stop every rank when the first one exits: the silent
    // ranks leave a moment later, so that rank 0 is not stopped before it has said it.
    if (!root) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return kExitUsage;
  }
  printNotices(config);
  setLogLevel(config.log_level);
  return runBench(config);
}
