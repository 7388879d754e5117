// TransportWorker::post's contract in one place: a prefix of the requests is accepted; a
// request refused makes the call fail with its reason when it is the first, and ends the
// prefix otherwise; no room ends it too (kTryAgain when nothing was accepted).
#pragma once

#include <cstddef>
#include <span>

#include "common/status.h"
#include "engine/types.h"

namespace te::engine::worker {

// What a worker makes of one offered request. kNoRoom carries no message: it is the data
// path's common case and must not allocate.
struct Offer {
  enum Kind { kTaken, kNoRoom, kRefused } kind;
  Status why;  // kRefused: the reason (unknown peer, bad range, broken link)

  static Offer taken() { return {kTaken, {}}; }
  static Offer noRoom() { return {kNoRoom, {}}; }
  static Offer refused(Status why) { return {kRefused, std::move(why)}; }
};

// `take(const Request&) -> Offer` queues one request. The caller drives its progress (posts
// what was queued) after this returns, whatever it returns.
template <typename Take>
Result<size_t> acceptPrefix(std::span<const Request> requests, Take&& take) {
  size_t accepted = 0;
  for (const Request& r : requests) {
    Offer offer = take(r);
    if (offer.kind == Offer::kTaken) {
      ++accepted;
      continue;
    }
    if (accepted == 0 && offer.kind == Offer::kRefused) return std::move(offer.why);
    break;
  }
  if (accepted == 0) return tryAgain();
  return accepted;
}

}  // namespace te::engine::worker
