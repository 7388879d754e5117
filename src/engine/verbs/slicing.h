// The data path's bookkeeping, free of verbs so that it is unit-tested without a device:
// the wr_id layout, send-queue credits and the selective-signalling rule of one QP ("lane"),
// and the pre-allocated request slot table that matches completions to requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "engine/types.h"

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
// (at a floor of 1 MiB/s). A safety net for providers that retry forever.
inline double stallTimeoutSeconds(uint64_t slice_size, uint32_t depth) {
  return 10.0 + static_cast<double>(slice_size) * signalInterval(depth) / (1 << 20);
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

// One accepted request and how far it got.
struct RequestSlot {
  Request request;
  uint64_t posted = 0;       // bytes handed to WRs so far
  uint32_t pending = 0;      // counting signals posted and not yet completed
  uint32_t next = 0;         // intrusive link (free list, peer backlog)
  StatusCode code = StatusCode::kOk;
  bool fully_posted = false;
  bool finished = false;     // in the ready ring
  bool in_use = false;
};

// Pre-allocated slots: acquire on post, finish when the last signal arrives (into a ring of
// finished slots), release when the completion is handed to the caller. No allocation after
// construction; completions come out in the order requests finished.
class RequestTable {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  explicit RequestTable(uint32_t capacity);

  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t inUse() const { return in_use_; }
  bool full() const { return free_head_ == kNone; }
  size_t readyCount() const { return ready_count_; }

  // Precondition: !full(). The slot is reset and holds `r`.
  uint32_t acquire(const Request& r);
  RequestSlot& operator[](uint32_t i) { return slots_[i]; }
  const RequestSlot& operator[](uint32_t i) const { return slots_[i]; }

  // Finishes the slot when it is fully posted and no signal is pending. True if it did.
  bool finishIfDone(uint32_t i);
  // Writes up to out.size() finished requests, releasing their slots.
  size_t drain(std::span<Completion> out);

 private:
  std::vector<RequestSlot> slots_;
  std::vector<uint32_t> ready_;  // ring of finished slots
  size_t ready_head_ = 0;
  size_t ready_count_ = 0;
  uint32_t free_head_ = kNone;
  uint32_t in_use_ = 0;
};

// FIFO of slots threaded through RequestSlot::next (one per peer: requests not fully posted).
class SlotQueue {
 public:
  bool empty() const { return head_ == RequestTable::kNone; }
  uint32_t front() const { return head_; }
  void push(RequestTable& t, uint32_t slot) {
    t[slot].next = RequestTable::kNone;
    if (empty()) {
      head_ = slot;
    } else {
      t[tail_].next = slot;
    }
    tail_ = slot;
  }
  void pop(RequestTable& t) { head_ = t[head_].next; }

 private:
  uint32_t head_ = RequestTable::kNone;
  uint32_t tail_ = RequestTable::kNone;
};

// Slices of a request: [offset, offset + length) pieces of at most `slice_size` bytes.
constexpr uint64_t sliceCount(uint64_t length, uint64_t slice_size) {
  return length == 0 ? 0 : (length + slice_size - 1) / slice_size;
}

}  // namespace te::engine::verbs
