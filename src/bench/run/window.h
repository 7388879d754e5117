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
//   6. How well the rate is known: the window is cut into slices of equal length and the
//      bytes each request completes are counted in the slice it completed in. The rates of
//      the slices after the first (which holds the pipeline's fill) give a mean and a 95%
//      interval (Student's t over the slices); its half-width over the mean is the link's
//      precision. With --duration auto a link's window ends once that is within --precision
//      (and the window is at least --min-duration long), or at --max-duration. The rate
//      reported stays rule 3's: the slices only decide when to stop and say how sure it is.
//
// Pure functions over recorded times, so the rule is unit-tested on synthetic completions.
#pragma once

#include <algorithm>
#include <cmath>
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

// Rule 6 over `count` slices of `slice_seconds`, slice i holding get(i) bytes, counted in
// units of `unit` bytes (a request): slices that all hold the same count still leave the
// mean uncertain by a unit over all of them.
struct RateEstimate {
  size_t slices = 0;
  double mean = 0;              // bytes/s
  double half_width = -1;       // of the 95% interval, over the mean; < 0: under two slices or no bytes
};
// Student's t, two-sided 95%, for `dof` degrees of freedom (>= 1).
double studentT95(size_t dof);
template <typename Get>
RateEstimate estimateRate(size_t count, double slice_seconds, uint64_t unit, Get get) {
  RateEstimate e;
  double mean = 0, m2 = 0, total = 0;  // Welford: each slice read once
  for (size_t i = 0; i < count; ++i) {
    const double bytes = static_cast<double>(get(i));
    total += bytes;
    const double x = bytes / slice_seconds;
    ++e.slices;
    const double d = x - mean;
    mean += d / static_cast<double>(e.slices);
    m2 += d * (x - mean);
  }
  e.mean = mean;
  if (e.slices >= 2 && mean > 0) {
    const double sd = std::sqrt(m2 / static_cast<double>(e.slices - 1));
    e.half_width = std::max(studentT95(e.slices - 1) * sd / std::sqrt(static_cast<double>(e.slices)) / mean,
                            static_cast<double>(unit) / total);
  }
  return e;
}

// A link's rate from every thread's windows. `groups` > 0: the records' parts are slices
// (--duration auto) and are merged, in order, into that many samples over the slices used.
struct WindowResult {
  uint64_t bytes = 0, ops = 0, batches = 0;
  double seconds = 0;
  std::vector<double> samples;   // bytes/s of each sample that holds a batch
  bool lower_bound = false;      // fewer than min_batches batches
  std::string inconsistency;     // non-empty: the records break the rule (a measurement error)
};
WindowResult combineWindows(const std::vector<const LinkWindow*>& per_thread, uint64_t min_batches, int groups = 0);

}  // namespace te::bench
