// The data path's bookkeeping, free of verbs so that it is unit-tested without a device:
// the wr_id layout, send-queue credits and the selective-signalling rule of one QP ("lane"),
// and what a request slot (engine/worker/slot_table.h) tracks of its slices.
#pragma once

#include <cstdint>

#include "engine/worker/slot_table.h"

namespace te::engine::verbs {

// wr_id: [63] counts for its request | [62:40] lane | [39:24] retire | [23:0] slot.
// `retire` is how many send-queue entries a signalled WR frees (itself and the unsignalled
// ones before it on its lane); `counts` marks the last WR of a request on a lane in one
// posting pass: its completion is one of the request's pending signals.
struct WrTag {
  uint32_t slot = 0;
  uint32_t lane = 0;
  uint32_t retire = 0;
  bool counts = false;
};

constexpr uint32_t kMaxSlots = 1u << 24;
constexpr uint32_t kMaxLanes = 1u << 23;
constexpr uint32_t kMaxRetire = 0xffff;
constexpr uint64_t kCountsBit = 1ull << 63;

constexpr uint64_t encodeWrId(const WrTag& t) {
  return (t.counts ? kCountsBit : 0) | (static_cast<uint64_t>(t.lane) << 40) |
         (static_cast<uint64_t>(t.retire) << 24) | t.slot;
}
constexpr WrTag decodeWrId(uint64_t id) {
  return WrTag{static_cast<uint32_t>(id & 0xffffff), static_cast<uint32_t>((id >> 40) & 0x7fffff),
               static_cast<uint32_t>((id >> 24) & 0xffff), (id & kCountsBit) != 0};
}

// Signal every k-th WR of a lane: often enough that unsignalled WRs never fill the send
// queue (they free their slots only when a later signalled WR completes), rarely enough
// that completions stay cheap.
constexpr uint32_t signalInterval(uint32_t depth) {
  uint32_t k = depth / 4;
  return k < 1 ? 1 : k > 64 ? 64 : k;
}

// A lane with WRs outstanding and no completion for this long is declared dead (its QP is
// moved to ERR so that its WRs flush): far beyond the hardware retry budget (~0.5 s), and
// longer for huge slices, since a lane reports at least once per signal interval of slices
// (at a floor of 1 MiB/s). A safety net for providers that retry forever. `ack_timeout`
// (--ib-timeout) sets the retry budget: 8 tries of 4.096 us x 2^N, and twice that here.
inline double stallTimeoutSeconds(uint64_t slice_size, uint32_t depth, int ack_timeout = 14) {
  const double retry_budget = 8 * 4.096e-6 * static_cast<double>(1ull << (ack_timeout & 31));
  const double floor = 2 * retry_budget > 10.0 ? 2 * retry_budget : 10.0;
  return floor + static_cast<double>(slice_size) * signalInterval(depth) / (1 << 20);
}

// Send-queue credits of one QP and its run of unsignalled WRs.
class LaneCredits {
 public:
  LaneCredits() = default;
  LaneCredits(uint32_t depth, uint32_t signal_every) : free_(depth), depth_(depth), every_(signal_every) {}

  bool hasRoom() const { return free_ > 0; }
  uint32_t free() const { return free_; }
  uint32_t depth() const { return depth_; }
  uint32_t run() const { return run_; }

  // Accounts one WR. Returns its retire count when it must be signalled now (k-th of a run),
  // else 0 (unsignalled, retired later by a signalled one).
  uint32_t take() {
    --free_;
    ++run_;
    return run_ >= every_ ? closeRun() : 0;
  }
  // Signals the WR taken last: returns how many WRs it retires and starts a new run.
  uint32_t closeRun() {
    uint32_t r = run_;
    run_ = 0;
    return r;
  }
  // A signalled WR completed.
  void retire(uint32_t n) { free_ += n; }

 private:
  uint32_t free_ = 0;
  uint32_t depth_ = 0;
  uint32_t every_ = 1;
  uint32_t run_ = 0;
};

// How far an accepted request got (the rest of its slot: worker::Slot).
struct SliceProgress {
  uint64_t posted = 0;    // bytes handed to WRs so far
  uint32_t pending = 0;   // counting signals posted and not yet completed
  bool fully_posted = false;
};

using RequestSlots = worker::SlotTable<SliceProgress>;
using RequestSlot = worker::Slot<SliceProgress>;

// Finishes the slot when it is fully posted and no signal is pending. True if it did.
inline bool finishIfDone(RequestSlots& table, uint32_t slot) {
  const RequestSlot& s = table[slot];
  return s.fully_posted && s.pending == 0 && table.finish(slot);
}

}  // namespace te::engine::verbs
