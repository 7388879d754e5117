// The te_bench run after flags are parsed: bootstrap, transport choice, buffers, connect,
// schedule, reports. Returns the process exit code.
#pragma once

#include "bench/cli/config.h"

namespace te::bench {

enum ExitCode { kExitOk = 0, kExitEnvironment = 1, kExitUsage = 2, kExitIntegrity = 3, kExitExpectation = 4 };

int runBench(const BenchConfig& config);

// One line on stderr, prefixed "te_bench: ".
void printError(const Status& status);

}  // namespace te::bench
