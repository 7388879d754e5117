// The runner's state behind its interface (runner.h): what the worker threads of a phase
// hold per link and per batch, shared by runner.cc (the data path) and the phase control
// (runner_handoff.cc, runner_paired.cc).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "bench/run/runner.h"
#include "common/bytes.h"

namespace te::bench {

// A rank's part after a phase: the phase's status, then its links (no histogram: that goes
// once, at the end).
Bytes encodeHandOff(const Status& measured, std::vector<LinkResult> links);
// The links into links->links; the sender's failure as the status.
Status decodeHandOff(const Bytes& bytes, GatheredResults* links);

inline Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// One thread's view of one link of the phase.
struct Runner::LinkAccum {
  int target = -1;
  size_t index = 0;              // the link's index in the phase (its gate)
  uint64_t issued = 0;           // measured batches this thread submitted (--iterations counts these)
  int warm_inflight = 0;         // warm-up batches of this thread still on the link
  bool drained = false;          // this thread has told the gate its warm-up is over
  uint64_t inflight_requests = 0;  // this thread's on the link
  double quickest = 1e9;           // seconds: this thread's fastest batch, a round trip at least
  Clock::time_point moved{};      // the link's last sign of life: a completion, or a submission to it idle
  LinkWindow window;
  Histogram latency;
};

// What the threads of a phase share about one link: the window opens when the last of its
// threads has drained its warm-up batches (window.h, rule 1), which sets `opened`; the window
// runs --duration from then. `issued` counts every thread's measured batches.
struct Runner::LinkGate {
  std::atomic<int> draining{0};
  std::atomic<Clock::rep> opened{0};  // 0: not open yet
  std::atomic<uint64_t> issued{0};
  uint64_t min_batches = 0;
  // Requests all threads may have on the link at once: adapted to the link's pace so what is
  // in flight drains within the drain target however slow the link is (a slow link is
  // measured, not mistaken for a dead one, and its phase stays bounded). `most`: the whole
  // pipeline: its threads' shares of their batches (runner.cc, preparePhase) x --batch-size.
  std::atomic<uint64_t> budget{1};
  std::atomic<uint64_t> inflight{0};
  uint64_t most = 0;
  uint64_t slots = 1;  // the link's pipeline: its threads' shares of their batches
  // The link's pace over an epoch of at least the allowed drain time: requests completed
  // since `epoch` began (a shrink rests on this, not on one batch: a descheduled thread's
  // hiccup must not starve a fast link).
  std::atomic<Clock::rep> epoch{0};
  std::atomic<uint64_t> epoch_requests{0};
  std::atomic<bool> paced{false};  // the budget was cut to the link's pace: its slow start is over
  // Bytes completed per slice of the window (window.h, rule 6), and with --duration auto the
  // slices a decision has looked at and whether the rate is known (the window may end).
  std::unique_ptr<std::atomic<uint64_t>[]> slices;
  uint32_t slice_count = 0;
  std::atomic<uint32_t> checked{0};
  std::atomic<bool> settled{false};
  // --duration auto: the warm-up's bytes per warm slice from the phase's start; it ends for
  // the link once its slow start is over and the rate stopped rising.
  std::unique_ptr<std::atomic<uint64_t>[]> warm_slices;
  uint32_t warm_count = 0;
  std::atomic<uint32_t> warm_checked{0};
  std::atomic<bool> warm_over{false};

  Clock::time_point openedAt() const {
    return Clock::time_point(Clock::duration(opened.load(std::memory_order_acquire)));
  }
};

// One batch of a thread's pipeline.
struct Runner::InFlight {
  engine::BatchId batch = 0;
  LinkAccum* link = nullptr;  // null: idle
  bool measuring = false;
  int sample = 0;
  uint64_t requests = 0;      // submitted in this batch (at most --batch-size)
  Clock::time_point t0{};     // submission
};

struct Runner::ThreadState {
  int index = 0;
  std::vector<InFlight> pipeline;  // --batches-in-flight batches
  std::vector<size_t> order;       // busy pipeline entries, oldest first (capacity reserved)
  std::vector<engine::TransferRequest> requests;
  std::vector<uint32_t> finished;
  uint64_t cursor = 0;
  uint64_t rng = 0;
  size_t turn = 0;
  std::vector<LinkAccum> links;   // one per link of the phase; only `assigned` ones are used
  std::vector<size_t> assigned;
  PhaseClock clock;
  Status status;
};

}  // namespace te::bench
