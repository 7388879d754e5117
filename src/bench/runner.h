// Runner: drives the schedule. Each phase starts with a barrier; every initiator of the phase
// runs --threads workers that keep --batch-size requests of --block-size bytes going to its
// target for --warmup + --duration seconds; the results are gathered at rank 0.
#pragma once

#include <atomic>
#include <vector>

#include "bench/config.h"
#include "bench/results.h"
#include "bench/schedule.h"
#include "bootstrap/bootstrap.h"
#include "engine/transfer_engine.h"

namespace te::bench {

class Runner {
 public:
  // `region` is this rank's registered buffer of `region_length` bytes; peers expose theirs
  // as region `region` too.
  static Result<std::unique_ptr<Runner>> create(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                                engine::TransferEngine& engine, engine::RegionId region,
                                                uint8_t* base, uint64_t region_length);
  ~Runner();

  // Runs every phase. Returns all links' results on rank 0, this rank's own elsewhere.
  // A failed link is an error (its message names the peer); the caller ends the job.
  Result<std::vector<LinkResult>> run(const std::vector<Phase>& phases);

 private:
  Runner(const BenchConfig& config, bootstrap::Bootstrap& bootstrap, engine::TransferEngine& engine,
         engine::RegionId region, uint8_t* base, uint64_t region_length);
  struct ThreadState;
  Result<LinkResult> measureLink(int target);
  void workerLoop(ThreadState& t, int target, Deadline warm_end, Deadline measure_end);
  Status runBatch(ThreadState& t, bool measuring);

  const BenchConfig& config_;
  bootstrap::Bootstrap& bootstrap_;
  engine::TransferEngine& engine_;
  engine::RegionId region_;
  uint8_t* base_;
  uint64_t region_length_;
  std::vector<std::unique_ptr<ThreadState>> threads_;
  std::atomic<bool> abort_{false};
};

}  // namespace te::bench
