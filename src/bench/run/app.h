// The te_bench run after flags are parsed: bootstrap, transport choice, buffers, connect,
// schedule, reports. Returns the process exit code.
#pragma once

#include "bench/cli/config.h"

namespace te::bench {

enum ExitCode { kExitOk = 0, kExitEnvironment = 1, kExitUsage = 2, kExitIntegrity = 3, kExitExpectation = 4 };

int runBench(const BenchConfig& config);

// Whether this process prints what is wrong with the flags, which every rank sees alike: under
// a launcher (mpirun, srun, PMI; jobs/launch_local.sh, torchrun by LOCAL_RANK) only rank 0,
// so a job prints it once; a process started on its own (etcd / redis ranks started by hand,
// each with its own flags) always.
bool printsUsageErrors(const LauncherEnv& env);

// One line on stderr, prefixed "te_bench: ".
void printError(const Status& status);

}  // namespace te::bench
