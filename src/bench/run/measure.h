// Measures one transport: engine, registration, connection, then every block size through
// the schedule, flagged links re-measured alone, and (on rank 0) the analysis of each block.
#pragma once

#include <string>
#include <vector>

#include "bench/cli/config.h"
#include "bench/report/report.h"
#include "bench/run/checkpoint.h"
#include "bootstrap/bootstrap.h"

namespace te::bench {

struct TransportRun {
  std::vector<ResultBlock> blocks;   // filled on rank 0
  nlohmann::json details;            // rank 0's transport describe()
  nlohmann::json memory;             // rank 0: every rank's buffers (describeMemory), by rank
  // The schedule stopped early (a rank lost, a link dead: Runner::Outcome). Rank 0: `blocks`
  // holds what was measured, the last one partial, its other links cut with the reason.
  Status stopped;
  // --on-failure continue: the ranks the schedule went on without (Runner::lost()).
  std::vector<LostRank> lost;
};

// `checkpoint` (rank 0, may be null): kept up to date phase by phase (checkpoint.h).
Result<TransportRun> measureTransport(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                      const std::string& transport, Checkpoint* checkpoint = nullptr);

// When the others stop waiting for rank 0 while it analyses the links and writes the
// reports: --timeout, plus 50 us for each link of every block (measured at 1024 ranks on the
// 2-core VM: 29 us a link for the analysis and all three reports; a million links a block).
Deadline afterRootWork(const BenchConfig& config, int ranks);

// Options for the analysis, from the config and the transport's details (line rate).
AnalysisOptions analysisOptions(const BenchConfig& config, const nlohmann::json& details);

}  // namespace te::bench
