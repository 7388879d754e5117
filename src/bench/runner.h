// Runner: drives a schedule for one block size. Each phase starts with a barrier; every
// initiator of the phase runs --threads workers that each keep --batches-in-flight batches of
// --batch-size requests of the block size going to its targets for --warmup + --duration
// seconds (or --iterations batches): a finished batch is resubmitted while the next one
// drains, so the transport's queue never runs dry at a batch boundary. With
// --integrity-check the buffers are filled before and verified after each phase.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "bench/config.h"
#include "bench/integrity.h"
#include "bench/results.h"
#include "bench/schedule.h"
#include "bootstrap/bootstrap.h"
#include "engine/transfer_engine.h"

namespace te::bench {

class Runner {
 public:
  // `memory`: this rank's buffers, both registered with `engine`, the exposed one as region
  // `exposed_region` (the same id on every rank): transfers go from / to the local buffer
  // (named by address) into / from peers' exposed ones.
  static Result<std::unique_ptr<Runner>> create(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                                engine::TransferEngine& engine, BenchMemory& memory,
                                                engine::RegionId exposed_region);
  ~Runner();

  using ProgressFn = std::function<void(size_t done, size_t total)>;

  // Runs every phase with `block_size`. Returns all links' results on rank 0, this rank's
  // own elsewhere. A failed link is an error naming the peer; the caller ends the job.
  Result<GatheredResults> run(const std::vector<Phase>& phases, uint64_t block_size,
                                      const ProgressFn& progress = nullptr);

  struct ThreadState;
  struct LinkAccum;
  struct InFlight;

 private:
  Runner(const BenchConfig& config, bootstrap::Bootstrap& bootstrap, engine::TransferEngine& engine,
         BenchMemory& memory, engine::RegionId exposed_region);
  Result<std::vector<LinkResult>> measurePhase(const std::vector<int>& targets, Histogram* all);
  void workerLoop(ThreadState& t, Deadline warm_end, Deadline measure_end);
  Status driveThread(ThreadState& t, Deadline warm_end, Deadline measure_end);
  LinkAccum* nextLink(ThreadState& t, Clock::time_point now, Deadline warm_end, Deadline measure_end);
  Status submitBatch(ThreadState& t, InFlight& f, LinkAccum& link, bool measuring);
  void recordLatency(const InFlight& f, size_t finished);
  Status finishBatch(InFlight& f);
  Status verifyPhase(const Phase& phase, uint64_t epoch);
  // One link's result; its requests' latencies are merged into `all` as well.
  LinkResult collect(size_t link_index, int target, Histogram* all) const;

  const BenchConfig& config_;
  bootstrap::Bootstrap& bootstrap_;
  engine::TransferEngine& engine_;
  BenchMemory& memory_;
  engine::RegionId exposed_region_;
  BlockGrid grid_;
  uint64_t epoch_ = 0;
  std::vector<std::unique_ptr<ThreadState>> threads_;
  std::atomic<bool> abort_{false};
};

}  // namespace te::bench
