// Request bookkeeping of a UCX worker, free of UCX so that it can be unit-tested: a fixed pool
// of request slots, fragments cut from queued requests under a cap on bytes in flight, and a
// ring of finished requests that poll() drains. Nothing here allocates after construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/types.h"

namespace te::engine::ucx {

inline constexpr uint32_t kNoSlot = UINT32_MAX;

struct RequestSlot {
  Request request;             // as posted
  uint64_t issued = 0;         // bytes handed to UCX (or skipped after a failure)
  uint32_t outstanding = 0;    // fragments in flight
  uint64_t flush_ticket = 0;   // WRITE: the endpoint's put count after this request's last put
  StatusCode code = StatusCode::kOk;
  uint32_t next = kNoSlot;     // link: free list, issue queue or a flush wait list
};

// One piece of a request in flight; its address is the user_data of the UCX operation.
struct Fragment {
  void* owner = nullptr;  // the worker, for the UCX completion callback
  uint32_t slot = kNoSlot;
  uint32_t index = 0;     // own position in the pool
  uint64_t offset = 0;    // within the request
  uint64_t length = 0;
};

// An intrusive FIFO of slots linked through RequestSlot::next.
struct SlotList {
  uint32_t head = kNoSlot;
  uint32_t tail = kNoSlot;
  bool empty() const { return head == kNoSlot; }
};

class RequestTable {
 public:
  // `slots` requests at most in the table; at most `max_inflight_bytes` in flight (one
  // fragment is always allowed, so a fragment larger than the cap still moves).
  RequestTable(uint32_t slots, uint64_t max_inflight_bytes, uint64_t fragment_size, void* owner);

  // Fragments in flight at most: one per request plus what the byte cap admits.
  static uint32_t fragmentCapacity(uint32_t slots, uint64_t max_inflight_bytes, uint64_t fragment_size);

  // No free slot, or the byte cap reached: post() says kTryAgain.
  bool full() const { return free_.empty() || inflight_bytes_ >= max_inflight_bytes_; }

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

  // Queues a finished request for drain().
  void finish(uint32_t slot);

  // Moves finished requests into `out` (and frees their slots); returns how many.
  size_t drain(std::span<Completion> out);

  bool hasFinished() const { return done_count_ > 0; }
  bool hasQueued() const { return !queue_.empty(); }
  bool idle() const { return used_ == 0; }
  uint64_t inflightBytes() const { return inflight_bytes_; }
  uint32_t slotsInUse() const { return used_; }
  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t fragmentsFree() const { return static_cast<uint32_t>(free_fragments_.size()); }

  RequestSlot& slot(uint32_t i) { return slots_[i]; }

  // Flush wait lists live in the caller (one per endpoint) but link through the slots.
  void append(SlotList& list, uint32_t slot);
  uint32_t popFront(SlotList& list);

 private:
  std::vector<RequestSlot> slots_;
  std::vector<Fragment> fragments_;
  std::vector<uint32_t> free_fragments_;  // stack of indices into fragments_
  std::vector<uint32_t> done_;            // ring of finished slots
  size_t done_head_ = 0;
  size_t done_count_ = 0;
  SlotList free_;
  SlotList queue_;  // requests with bytes left to issue, oldest first
  uint32_t used_ = 0;
  uint64_t inflight_bytes_ = 0;
  const uint64_t max_inflight_bytes_;
  const uint64_t fragment_size_;
};

// ---- inline implementation (small, on the data path) ----

inline RequestTable::RequestTable(uint32_t slots, uint64_t max_inflight_bytes, uint64_t fragment_size, void* owner)
    : slots_(slots), done_(slots), max_inflight_bytes_(max_inflight_bytes), fragment_size_(fragment_size) {
  uint32_t nf = fragmentCapacity(slots, max_inflight_bytes, fragment_size);
  fragments_.resize(nf);
  free_fragments_.reserve(nf);
  for (uint32_t i = nf; i-- > 0;) {
    fragments_[i].owner = owner;
    fragments_[i].index = i;
    free_fragments_.push_back(i);
  }
  for (uint32_t i = 0; i < slots; ++i) append(free_, i);
}

inline uint32_t RequestTable::fragmentCapacity(uint32_t slots, uint64_t max_inflight_bytes, uint64_t fragment_size) {
  uint64_t by_bytes = max_inflight_bytes / (fragment_size ? fragment_size : 1) + 1;
  uint64_t n = static_cast<uint64_t>(slots) + by_bytes;
  return static_cast<uint32_t>(n > (1u << 20) ? (1u << 20) : n);
}

inline void RequestTable::append(SlotList& list, uint32_t s) {
  slots_[s].next = kNoSlot;
  if (list.tail == kNoSlot) {
    list.head = s;
  } else {
    slots_[list.tail].next = s;
  }
  list.tail = s;
}

inline uint32_t RequestTable::popFront(SlotList& list) {
  uint32_t s = list.head;
  if (s == kNoSlot) return kNoSlot;
  list.head = slots_[s].next;
  if (list.head == kNoSlot) list.tail = kNoSlot;
  slots_[s].next = kNoSlot;
  return s;
}

inline uint32_t RequestTable::add(const Request& r) {
  uint32_t s = popFront(free_);
  RequestSlot& slot = slots_[s];
  slot.request = r;
  slot.issued = 0;
  slot.outstanding = 0;
  slot.flush_ticket = 0;
  slot.code = StatusCode::kOk;
  ++used_;
  if (r.length == 0) {
    finish(s);
  } else {
    append(queue_, s);
  }
  return s;
}

inline Fragment* RequestTable::nextFragment() {
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
  if (slot.issued == slot.request.length) popFront(queue_);
  return f;
}

inline uint32_t RequestTable::fragmentDone(Fragment* f, StatusCode code) {
  uint32_t s = f->slot;
  RequestSlot& slot = slots_[s];
  --slot.outstanding;
  inflight_bytes_ -= f->length;
  f->slot = kNoSlot;
  free_fragments_.push_back(f->index);
  if (code != StatusCode::kOk && slot.code == StatusCode::kOk) slot.code = code;
  if (slot.code != StatusCode::kOk && slot.issued < slot.request.length) {
    // Only the head of the queue can be partly issued: drop the rest of it.
    if (queue_.head == s) popFront(queue_);
    slot.issued = slot.request.length;
  }
  return slot.outstanding == 0 && slot.issued == slot.request.length ? s : kNoSlot;
}

inline void RequestTable::finish(uint32_t s) {
  done_[(done_head_ + done_count_++) % done_.size()] = s;
}

inline size_t RequestTable::drain(std::span<Completion> out) {
  size_t n = 0;
  while (n < out.size() && done_count_ > 0) {
    uint32_t s = done_[done_head_];
    done_head_ = (done_head_ + 1) % done_.size();
    --done_count_;
    out[n++] = Completion{slots_[s].request.user_data, slots_[s].code};
    append(free_, s);
    --used_;
  }
  return n;
}

}  // namespace te::engine::ucx
