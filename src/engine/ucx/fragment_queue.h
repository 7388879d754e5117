// The UCX worker's requests cut into fragments, free of UCX so that it is unit-tested: the
// request slots (engine/worker/slot_table.h) with what UCX tracks of each, a fixed pool of
// fragments, and the queue of requests with bytes left to issue under a cap on bytes in
// flight. Nothing here allocates after construction.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/types.h"
#include "engine/worker/slot_table.h"

namespace te::engine::ucx {

using worker::kNoSlot;
using worker::SlotList;

// How far an accepted request got (the rest of its slot: worker::Slot).
struct IssueProgress {
  uint64_t issued = 0;        // bytes handed to UCX (or skipped after a failure)
  uint32_t outstanding = 0;   // fragments in flight
  uint64_t flush_ticket = 0;  // WRITE: the endpoint's put count after this request's last put
};

using RequestSlots = worker::SlotTable<IssueProgress>;
using RequestSlot = worker::Slot<IssueProgress>;

// One piece of a request in flight; its address is the user_data of the UCX operation.
struct Fragment {
  void* owner = nullptr;  // the worker, for the UCX completion callback
  uint32_t slot = kNoSlot;
  uint32_t index = 0;     // own position in the pool
  uint64_t offset = 0;    // within the request
  uint64_t length = 0;
};

class FragmentQueue {
 public:
  // Cuts the requests of `slots` (which outlives this) into fragments of `fragment_size`,
  // at most `max_inflight_bytes` in flight (one fragment is always allowed, so a fragment
  // larger than the cap still moves).
  FragmentQueue(RequestSlots& slots, uint64_t max_inflight_bytes, uint64_t fragment_size, void* owner);

  // Fragments in flight at most: one per request plus what the byte cap admits.
  static uint32_t fragmentCapacity(uint32_t slots, uint64_t max_inflight_bytes, uint64_t fragment_size);

  // No free slot, or the byte cap reached: post() says kTryAgain.
  bool full() const { return slots_.full() || inflight_bytes_ >= max_inflight_bytes_; }

  // Takes a slot for `r` and queues it for issuing. Precondition: !full(). A request of
  // length 0 goes straight to the finished ring.
  uint32_t add(const Request& r);

  // The next piece of the oldest queued request, or null when nothing is queued or the cap,
  // or the fragment pool, is exhausted. The slot's counters are updated as issued.
  Fragment* nextFragment();

  // A fragment finished. Returns its slot when the request has nothing more in flight nor
  // left to issue (then the caller finishes it), kNoSlot otherwise. After a failure the rest
  // of the request is not issued.
  uint32_t fragmentDone(Fragment* f, StatusCode code);

  uint64_t inflightBytes() const { return inflight_bytes_; }

 private:
  RequestSlots& slots_;
  std::vector<Fragment> fragments_;
  std::vector<uint32_t> free_fragments_;  // stack of indices into fragments_
  SlotList queue_;                        // requests with bytes left to issue, oldest first
  uint64_t inflight_bytes_ = 0;
  const uint64_t max_inflight_bytes_;
  const uint64_t fragment_size_;
};

// ---- inline implementation (small, on the data path) ----

inline FragmentQueue::FragmentQueue(RequestSlots& slots, uint64_t max_inflight_bytes, uint64_t fragment_size,
                                    void* owner)
    : slots_(slots), max_inflight_bytes_(max_inflight_bytes), fragment_size_(fragment_size) {
  uint32_t nf = fragmentCapacity(slots.capacity(), max_inflight_bytes, fragment_size);
  fragments_.resize(nf);
  free_fragments_.reserve(nf);
  for (uint32_t i = nf; i-- > 0;) {
    fragments_[i].owner = owner;
    fragments_[i].index = i;
    free_fragments_.push_back(i);
  }
}

inline uint32_t FragmentQueue::fragmentCapacity(uint32_t slots, uint64_t max_inflight_bytes, uint64_t fragment_size) {
  uint64_t by_bytes = max_inflight_bytes / (fragment_size ? fragment_size : 1) + 1;
  uint64_t n = static_cast<uint64_t>(slots) + by_bytes;
  return static_cast<uint32_t>(n > (1u << 20) ? (1u << 20) : n);
}

inline uint32_t FragmentQueue::add(const Request& r) {
  const uint32_t s = slots_.acquire(r);
  if (r.length == 0) {
    slots_.finish(s);
  } else {
    slots_.append(queue_, s);
  }
  return s;
}

inline Fragment* FragmentQueue::nextFragment() {
  if (queue_.empty() || free_fragments_.empty()) return nullptr;
  RequestSlot& slot = slots_[queue_.head];
  uint64_t left = slot.request.length - slot.issued;
  uint64_t len = left < fragment_size_ ? left : fragment_size_;
  if (inflight_bytes_ > 0 && inflight_bytes_ + len > max_inflight_bytes_) return nullptr;
  Fragment* f = &fragments_[free_fragments_.back()];
  free_fragments_.pop_back();
  f->slot = queue_.head;
  f->offset = slot.issued;
  f->length = len;
  slot.issued += len;
  ++slot.outstanding;
  inflight_bytes_ += len;
  if (slot.issued == slot.request.length) slots_.popFront(queue_);
  return f;
}

inline uint32_t FragmentQueue::fragmentDone(Fragment* f, StatusCode code) {
  uint32_t s = f->slot;
  RequestSlot& slot = slots_[s];
  --slot.outstanding;
  inflight_bytes_ -= f->length;
  f->slot = kNoSlot;
  free_fragments_.push_back(f->index);
  if (code != StatusCode::kOk && slot.code == StatusCode::kOk) slot.code = code;
  if (slot.code != StatusCode::kOk && slot.issued < slot.request.length) {
    // Only the head of the queue can be partly issued: drop the rest of it.
    if (queue_.head == s) slots_.popFront(queue_);
    slot.issued = slot.request.length;
  }
  return slot.outstanding == 0 && slot.issued == slot.request.length ? s : kNoSlot;
}

}  // namespace te::engine::ucx
