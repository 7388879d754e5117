// How a link's rate is accounted (docs/report-schema.md, "How a rate is measured"):
//
//   1. At the end of the warm-up no warm-up batch is submitted any more; the link's window
//      opens only once every warm-up batch of the link, on every thread, has finished (the
//      runner's gate), and runs --duration from then. So when the first measured batch is
//      submitted, W0, none of the link's bytes is in flight.
//   2. A measured batch counts whole, with its submission and its completion; no measured
//      batch is submitted after the window's end, and every one is waited for: W1 is the
//      last completion.
//   3. rate = measured bytes / (W1 - W0). Every byte counted moved inside [W0, W1] and no
//      other byte of the link did, so the rate is what the link achieved over that window,
//      its pipeline's fill and drain included: it never exceeds what the link can do,
//      whatever the batching, pipelining or the moment completions are reported.
//   4. A sub-window sample is the same rule over the batches submitted in its part of the
//      window: its bytes / (its last completion - its first submission). Samples overlap
//      at their edges (a batch in flight across a boundary belongs to the sample it was
//      submitted in), so each is a lower bound of the rate over its own span.
//   5. A rate resting on fewer than `min_batches` batches (a slow link, large batches) is
//      marked a lower bound: fill and drain weigh on it.
//
// Pure functions over recorded times, so the rule is unit-tested on synthetic completions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/collective.h"

namespace te::bench {

// A set of whole batches: their bytes, and the span from the first submission to the last
// completion, inside which all of those bytes moved.
struct WindowPart {
  uint64_t bytes = 0;
  uint64_t batches = 0;
  Clock::time_point first{}, last{};

  void add(Clock::time_point submitted, Clock::time_point done, uint64_t batch_bytes) {
    if (batches == 0 || submitted < first) first = submitted;
    if (batches == 0 || done > last) last = done;
    bytes += batch_bytes;
    ++batches;
  }
  void merge(const WindowPart& other);
  double seconds() const;
};

// What one thread recorded for one link: its measured batches, whole and per sample.
struct LinkWindow {
  WindowPart total;
  uint64_t ops = 0;
  std::vector<WindowPart> samples;  // --samples parts, by submission time

  // Sized once per phase; record() then never allocates.
  void reset(int sample_count);
  void record(Clock::time_point submitted, Clock::time_point done, uint64_t bytes, uint64_t requests, int sample);
};

// The sample a batch submitted at `submitted` belongs to: its share of the nominal window
// [window_start, window_start + duration_s), the last one past it.
int sampleOf(Clock::time_point submitted, Clock::time_point window_start, double duration_s, int sample_count);

// A link's rate from every thread's windows.
struct WindowResult {
  uint64_t bytes = 0, ops = 0, batches = 0;
  double seconds = 0;
  std::vector<double> samples;   // bytes/s of each sample that holds a batch
  bool lower_bound = false;      // fewer than min_batches batches
  std::string inconsistency;     // non-empty: the records break the rule (a measurement error)
};
WindowResult combineWindows(const std::vector<const LinkWindow*>& per_thread, uint64_t min_batches);

}  // namespace te::bench
