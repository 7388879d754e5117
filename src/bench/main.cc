// te_bench entry point: flags -> validated config (exit 2 on a user's mistake, printed once
// by rank 0) -> the run.
#include <iostream>

#include <cstring>

#include "bench/app.h"
#include "bench/compare.h"
#include "bench/config.h"
#include "common/launcher_env.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  using namespace te;
  using namespace te::bench;
  // `te_bench compare OLD.json NEW.json`: no MPI, no transport.
  if (argc > 1 && std::strcmp(argv[1], "compare") == 0) return runCompare(argc - 1, argv + 1);
  // Before the bootstrap the rank is only known from the launcher: a mistake is printed once
  // per job (see printsUsageErrors).
  BenchConfig config;
  ParseResult parsed = parseCommandLine(argc, argv, &config);
  const bool root = printsUsageErrors();
  if (parsed.outcome == ParseOutcome::kExitOk) {
    if (root) std::cout << parsed.output;
    return kExitOk;
  }
  if (parsed.outcome == ParseOutcome::kError) {
    if (root) printError(parsed.error);
    return kExitUsage;
  }
  Status valid = validateConfig(config);
  if (!valid.isOk()) {
    if (root) printError(valid);
    return kExitUsage;
  }
  setLogLevel(config.log_level);
  return runBench(config);
}
