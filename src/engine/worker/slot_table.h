// The request slots every transport worker keeps: a fixed pool of slots (acquired on post,
// released when poll() hands the completion over), intrusive FIFOs through the slots (a
// peer's backlog, an issue queue, a flush wait list) and the ring of finished slots that
// poll() drains in the order requests finished. Nothing here allocates after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/types.h"

namespace te::engine::worker {

inline constexpr uint32_t kNoSlot = 0xffffffffu;

// One accepted request: what every transport keeps, and `State`, what this transport
// tracks of its progress (reset on acquire).
template <typename State>
struct Slot : State {
  Request request;
  StatusCode code = StatusCode::kOk;  // the first failure; kOk until one
  uint32_t next = kNoSlot;            // link: the free stack, or one SlotList of the owner
  bool in_use = false;
  bool finished = false;              // in the finished ring
};

// A FIFO of slots linked through Slot::next; a slot is in one list (or the free stack) at a time.
struct SlotList {
  uint32_t head = kNoSlot;
  uint32_t tail = kNoSlot;
  bool empty() const { return head == kNoSlot; }
};

template <typename State>
class SlotTable {
 public:
  explicit SlotTable(uint32_t capacity) : slots_(capacity), finished_(capacity) {
    // Free stack in index order, so the first requests use the lowest slots.
    for (uint32_t i = 0; i < capacity; ++i) slots_[i].next = i + 1 < capacity ? i + 1 : kNoSlot;
    free_head_ = capacity > 0 ? 0 : kNoSlot;
  }

  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t inUse() const { return in_use_; }
  bool full() const { return free_head_ == kNoSlot; }
  bool idle() const { return in_use_ == 0; }
  size_t finishedCount() const { return finished_count_; }

  Slot<State>& operator[](uint32_t i) { return slots_[i]; }
  const Slot<State>& operator[](uint32_t i) const { return slots_[i]; }

  // Precondition: !full(). The slot is reset and holds `r`.
  uint32_t acquire(const Request& r) {
    const uint32_t i = free_head_;
    Slot<State>& s = slots_[i];
    free_head_ = s.next;
    static_cast<State&>(s) = State{};
    s.request = r;
    s.code = StatusCode::kOk;
    s.next = kNoSlot;
    s.in_use = true;
    s.finished = false;
    ++in_use_;
    return i;
  }

  // Queues the slot's completion for drain(), once: false when it was queued already.
  bool finish(uint32_t i) {
    Slot<State>& s = slots_[i];
    if (s.finished) return false;
    s.finished = true;
    size_t at = finished_head_ + finished_count_;
    if (at >= finished_.size()) at -= finished_.size();
    finished_[at] = i;
    ++finished_count_;
    return true;
  }

  // Writes up to out.size() finished requests, oldest first, and frees their slots (the
  // slot freed last is reused first: warm in cache). Returns how many.
  size_t drain(std::span<Completion> out) {
    size_t n = 0;
    while (n < out.size() && finished_count_ > 0) {
      const uint32_t i = finished_[finished_head_];
      finished_head_ = finished_head_ + 1 == finished_.size() ? 0 : finished_head_ + 1;
      --finished_count_;
      Slot<State>& s = slots_[i];
      out[n++] = Completion{s.request.user_data, s.code};
      s.in_use = false;
      s.next = free_head_;
      free_head_ = i;
      --in_use_;
    }
    return n;
  }

  void append(SlotList& list, uint32_t i) {
    slots_[i].next = kNoSlot;
    if (list.tail == kNoSlot) {
      list.head = i;
    } else {
      slots_[list.tail].next = i;
    }
    list.tail = i;
  }

  // The oldest slot of `list`, unlinked; kNoSlot when the list is empty.
  uint32_t popFront(SlotList& list) {
    const uint32_t i = list.head;
    if (i == kNoSlot) return kNoSlot;
    list.head = slots_[i].next;
    if (list.head == kNoSlot) list.tail = kNoSlot;
    slots_[i].next = kNoSlot;
    return i;
  }

 private:
  std::vector<Slot<State>> slots_;
  std::vector<uint32_t> finished_;  // ring of finished slots
  size_t finished_head_ = 0;
  size_t finished_count_ = 0;
  uint32_t free_head_ = kNoSlot;
  uint32_t in_use_ = 0;
};

}  // namespace te::engine::worker
