#include "engine/verbs/slicing.h"

namespace te::engine::verbs {

RequestTable::RequestTable(uint32_t capacity) : slots_(capacity), ready_(capacity) {
  // Free list in index order, so the first requests use the lowest slots.
  for (uint32_t i = 0; i < capacity; ++i) slots_[i].next = i + 1 < capacity ? i + 1 : kNone;
  free_head_ = capacity > 0 ? 0 : kNone;
}

uint32_t RequestTable::acquire(const Request& r) {
  uint32_t i = free_head_;
  RequestSlot& s = slots_[i];
  free_head_ = s.next;
  s.request = r;
  s.posted = 0;
  s.pending = 0;
  s.next = kNone;
  s.code = StatusCode::kOk;
  s.fully_posted = false;
  s.finished = false;
  s.in_use = true;
  ++in_use_;
  return i;
}

bool RequestTable::finishIfDone(uint32_t i) {
  RequestSlot& s = slots_[i];
  if (s.finished || !s.fully_posted || s.pending != 0) return false;
  s.finished = true;
  ready_[(ready_head_ + ready_count_) % ready_.size()] = i;
  ++ready_count_;
  return true;
}

size_t RequestTable::drain(std::span<Completion> out) {
  size_t n = 0;
  while (n < out.size() && ready_count_ > 0) {
    uint32_t i = ready_[ready_head_];
    ready_head_ = ready_head_ + 1 == ready_.size() ? 0 : ready_head_ + 1;
    --ready_count_;
    RequestSlot& s = slots_[i];
    out[n++] = Completion{s.request.user_data, s.code};
    s.in_use = false;
    s.next = free_head_;
    free_head_ = i;
    --in_use_;
  }
  return n;
}

}  // namespace te::engine::verbs
