// MPI bootstrap (default): rank and size from MPI_COMM_WORLD; collectives are the
// non-blocking MPI ones, tested in a loop with backoff against the deadline, so a missing
// rank turns into an error instead of a hang.
#pragma once

#include <cstdint>
#include <memory>

#include "bootstrap/bootstrap.h"
#include "common/launcher_env.h"

namespace te::bootstrap {

// Initialises MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI). One per process.
Result<std::unique_ptr<Bootstrap>> createMpiBootstrap(Deadline deadline, const LauncherEnv& env);

// A gather carries at most this many bytes per MPI_Igatherv round (default and ceiling:
// INT_MAX). Tests lower it to check the rounds without 2 GiB of data.
void setMpiGatherRoundLimitForTests(uint64_t bytes);

}  // namespace te::bootstrap
