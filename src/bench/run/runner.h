// Runner: drives a schedule for one block size. Each phase starts with a barrier; every
// initiator of the phase runs --threads workers that each keep --batches-in-flight batches of
// --batch-size requests of the block size going to its targets for --warmup + --duration
// seconds (or --iterations batches): a finished batch is resubmitted while the next one
// drains, so the transport's queue never runs dry at a batch boundary. A link's window opens
// once its warm-up batches have drained and is extended (by up to --duration) while it holds
// too few batches for a rate: window.h has the accounting rule. With --integrity-check the
// buffers are filled before and verified after each phase.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "bench/cli/config.h"
#include "bench/run/integrity.h"
#include "bench/run/results.h"
#include "bench/run/schedule.h"
#include "bench/run/window.h"
#include "bootstrap/bootstrap.h"
#include "engine/transfer_engine.h"

namespace te::bench {

class Runner {
 public:
  // `memory`: this rank's buffers, both registered with `engine`, the exposed one as region
  // `exposed_region` (the same id on every rank): transfers go from / to the local buffer
  // (named by address) into / from peers' exposed ones. `max_links`: the most links this
  // rank drives in one phase of the schedules to run; a thread gets enough batches for each
  // of its links to have one of its own (loaded schedules, fewer threads than links).
  static Result<std::unique_ptr<Runner>> create(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                                engine::TransferEngine& engine, BenchMemory& memory,
                                                engine::RegionId exposed_region, size_t max_links = 1);
  ~Runner();

  using ProgressFn = std::function<void(size_t done, size_t total)>;

  // What run() gives back. After every phase each rank sends its links (or why it has none)
  // to rank 0: what was measured outlives a rank lost or frozen later. Phases follow each
  // other by rank 0's word (hand-off) or by pair handshakes (phase_deps.h). On rank 0
  // `results` holds every link that arrived, in schedule order; a run that stopped early
  // says why in `stopped`, and the links it did not measure are marked (LinkResult::cut:
  // `failed` in the phase a rank failed or was lost in, `not_measured` otherwise).
  // Elsewhere `results` holds this rank's latency histogram only, and `stopped` this rank's
  // own failure or the root's silence.
  struct Outcome {
    GatheredResults results;
    Status stopped;
  };
  // Rank 0, after each phase's hand-off: the links kept so far, those from `from` on new.
  using KeptFn = std::function<void(const std::vector<LinkResult>& kept, size_t from, size_t phases_done)>;
  Outcome run(const std::vector<Phase>& phases, uint64_t block_size, const ProgressFn& progress = nullptr,
              const KeptFn& kept = nullptr);
  // --on-failure continue: the ranks lost so far, in the order lost (every rank knows them;
  // rank 0 knows where and why). Later phases and runs leave their links out (not measured).
  const std::vector<LostRank>& lost() const { return lost_; }
  // `what` names the block in a lost rank's `where` ("tcp write 64 KiB").
  void setBlockName(std::string what) { block_name_ = std::move(what); }

  struct ThreadState;
  struct RootBook;
  struct PairedState;
  struct LinkAccum;
  struct LinkGate;
  struct InFlight;
  // When the phase's warm-up ends; each link's window then opens once the link has drained
  // (window.h) and runs --duration, extended by up to --duration with too few batches.
  struct PhaseClock {
    Clock::time_point start{};
    Deadline warm_end{};  // with --duration auto, a link's warm-up may end before (warmUpOver)
  };
  // Below this many batches a link's rate is a lower bound whatever its pipeline.
  static constexpr uint64_t kMinBatches = 4;

 private:
  enum class Next { kWarm, kMeasure, kWait /* the link's window is not open yet */, kDone };
  Runner(const BenchConfig& config, bootstrap::Bootstrap& bootstrap, engine::TransferEngine& engine,
         BenchMemory& memory, engine::RegionId exposed_region);
  void preparePhase(const std::vector<int>& targets);
  Result<std::vector<LinkResult>> measurePhase(const std::vector<int>& targets, Histogram* all);
  // This rank's links of phase `p` (none: OK and no links), the failure with its phase and rank.
  Status measureMine(const Phase& phase, size_t p, size_t count, Histogram* latency, std::vector<LinkResult>* links);
  // The phase's links without those of lost ranks; rank 0 appends those as not measured.
  Phase liveLinks(const Phase& phase, uint32_t p, std::vector<LinkResult>* cut) const;
  // --on-failure continue, rank 0 after a phase: the ranks lost in it join lost_ and every
  // survivor is told to go on without them; elsewhere: rank 0's word applied.
  Status goOnWithout(const std::vector<int>& ranks, const std::string& where, const std::string& why);
  Status applyWord(const Bytes& word, const std::string& where);
  // After a failed phase: batches still in flight (to a dead or frozen peer) are left to the
  // engine and replaced, so that the next phase has its pipeline.
  void replaceStuckBatches();
  void workerLoop(ThreadState& t, const PhaseClock& clock);
  Status driveThread(ThreadState& t);
  Next nextLink(ThreadState& t, Clock::time_point now, LinkAccum** out);
  bool wantsMeasuredBatch(const LinkAccum& link, LinkGate& gate, Clock::time_point now) const;
  // --duration auto: whether the link's rate is known to --precision (window.h, rule 6).
  bool rateKnown(LinkGate& gate, Clock::time_point now) const;
  // --duration auto: whether the link's warm-up may end (slow start over, rate not rising).
  bool warmUpOver(LinkGate& gate, Clock::time_point now, Clock::time_point start) const;
  // `n` requests of `f` completed at `now`: their bytes go to the slice they completed in.
  void countCompleted(const ThreadState& t, const InFlight& f, size_t n, Clock::time_point now) const;
  // `now`: read just before choosing the link; the batch's submission time (a clock read can
  // cost microseconds in an emulated guest: each request reads it once going out, once back).
  Status submitBatch(ThreadState& t, InFlight& f, LinkAccum& link, bool measuring, Clock::time_point now);
  void recordLatency(const InFlight& f, size_t finished, Clock::time_point now);
  void adaptBudget(LinkAccum& link, const InFlight& f, Clock::time_point done) const;
  // Seconds a link's requests in flight should drain within: --duration / 8, 2 ms..0.5 s.
  double drainTarget() const;
  Status finishBatch(InFlight& f, Clock::time_point done);
  Status verifyPhase(const Phase& phase, uint64_t epoch);
  // Phases that follow each other by a hand-off at rank 0 (runner_handoff.cc), or by pair
  // handshakes (runner_paired.cc, phase_deps.h) where the schedule and the bootstrap allow.
  Outcome runHandingOff(const std::vector<Phase>& phases, const ProgressFn& progress, const KeptFn& kept);
  Outcome runPaired(const std::vector<Phase>& phases, const ProgressFn& progress, const KeptFn& kept);
  // Waits until `ranks` are through phase `p` (pair handshakes); an error once the run stops.
  Status awaitThrough(std::vector<int> ranks, size_t p, PairedState& st);
  // Rank 0: what arrived from the others; a rank silent for silence() stops the schedule.
  Status pollRoot(PairedState& st, const KeptFn& kept);
  // Rank 0: waits for every rank's end and makes the outcome.
  Outcome finishPaired(PairedState& st, const Histogram& latency, Status stop, Outcome* out);
  // This rank's part of phase `p` to rank 0 (its links, or why it has none).
  Status handIn(size_t p, const Status& measured, std::vector<LinkResult> links, PairedState& st);
  // Says to every other rank that the schedule stops (why: the first failure).
  void sayStop(const Status& why, PairedState& st);
  // The hand-off after phase `p` (see Outcome): OK when the schedule goes on.
  Status handOff(const std::vector<Phase>& phases, size_t p, const Phase& live, const Status& measured,
                 std::vector<LinkResult> links, Outcome* out);
  // How long a rank may send nothing (no hand-off, no heartbeat) before it counts as lost.
  Clock::duration silence() const;
  // A hard cap on a hand-off's wait, beyond the silence rule: a phase's longest healthy run.
  Deadline handOffDeadline() const;
  // One link's result; its requests' latencies are merged into `all` as well.
  LinkResult collect(size_t link_index, int target, Histogram* all) const;

  const BenchConfig& config_;
  bootstrap::Bootstrap& bootstrap_;
  engine::TransferEngine& engine_;
  BenchMemory& memory_;
  engine::RegionId exposed_region_;
  BlockGrid grid_;
  uint64_t epoch_ = 0;
  double slice_ = 1, warm_slice_ = 1;  // seconds: this phase's window and warm-up slices
  std::vector<std::unique_ptr<ThreadState>> threads_;
  std::unique_ptr<LinkGate[]> gates_;  // one per link of the phase
  std::atomic<bool> abort_{false};
  // --metric latency with a core for every busy thread of this host (its ranks' measuring
  // threads, and their target service threads where the transport is not one-sided): poll
  // without yielding, as perftest does. Otherwise a yield lets ranks that share a core take turns.
  bool spin_ = false;
  // Called by the measuring rank's main thread at each heartbeat (rank 0, pair handshakes:
  // what the others sent while it measures).
  std::function<void()> while_measuring_;
  std::vector<LostRank> lost_;
  std::vector<bool> is_lost_;  // by rank
  std::string block_name_;
};

}  // namespace te::bench
