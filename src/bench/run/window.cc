// The window rule of window.h: merging per-thread records and checking that they hold.
#include "bench/run/window.h"

#include <algorithm>

namespace te::bench {

void WindowPart::merge(const WindowPart& other) {
  if (other.batches == 0) return;
  if (batches == 0 || other.first < first) first = other.first;
  if (batches == 0 || other.last > last) last = other.last;
  bytes += other.bytes;
  batches += other.batches;
}

double WindowPart::seconds() const {
  return batches == 0 ? 0.0 : std::chrono::duration<double>(last - first).count();
}

void LinkWindow::reset(int sample_count) {
  total = {};
  ops = 0;
  samples.assign(static_cast<size_t>(std::max(sample_count, 1)), WindowPart{});
}

void LinkWindow::record(Clock::time_point submitted, Clock::time_point done, uint64_t bytes, uint64_t requests,
                        int sample) {
  total.add(submitted, done, bytes);
  ops += requests;
  samples[static_cast<size_t>(std::clamp(sample, 0, static_cast<int>(samples.size()) - 1))].add(submitted, done, bytes);
}

int sampleOf(Clock::time_point submitted, Clock::time_point window_start, double duration_s, int sample_count) {
  if (sample_count <= 1 || duration_s <= 0) return 0;
  const double at = std::chrono::duration<double>(submitted - window_start).count() / duration_s;
  return std::clamp(static_cast<int>(at * sample_count), 0, sample_count - 1);
}

namespace {

// The records must say what the rule says: samples add up to the total, each inside it, and
// no batch finishes before it was submitted. A broken one is a bug, reported, never a rate.
std::string checkConsistency(const WindowPart& total, const std::vector<WindowPart>& samples) {
  if (total.batches == 0) return {};
  if (total.last <= total.first) {
    return "measurement error: a window of zero length for " + std::to_string(total.bytes) + " bytes";
  }
  uint64_t bytes = 0, batches = 0;
  for (const WindowPart& s : samples) {
    bytes += s.bytes;
    batches += s.batches;
    if (s.batches > 0 && (s.first < total.first || s.last > total.last || s.last < s.first)) {
      return "measurement error: a sample's span lies outside the link's window";
    }
  }
  if (bytes != total.bytes || batches != total.batches) {
    return "measurement error: the samples hold " + std::to_string(bytes) + " bytes, the link " +
           std::to_string(total.bytes);
  }
  return {};
}

}  // namespace

double studentT95(size_t dof) {
  static const double kTable[] = {12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};
  if (dof == 0) return INFINITY;
  if (dof <= 20) return kTable[dof - 1];
  return dof <= 30 ? 2.06 : dof <= 60 ? 2.02 : 1.98;
}

namespace {

// Slices merged, in order, into `groups` parts over the slices that hold a batch.
std::vector<WindowPart> regroup(const std::vector<WindowPart>& slices, int groups) {
  size_t used = 0;
  for (size_t i = 0; i < slices.size(); ++i) {
    if (slices[i].batches > 0) used = i + 1;
  }
  const size_t n = static_cast<size_t>(groups);
  if (used <= n) return std::vector<WindowPart>(slices.begin(), slices.begin() + static_cast<std::ptrdiff_t>(used));
  std::vector<WindowPart> out(n);
  for (size_t i = 0; i < used; ++i) out[i * n / used].merge(slices[i]);
  return out;
}

}  // namespace

WindowResult combineWindows(const std::vector<const LinkWindow*>& per_thread, uint64_t min_batches, int groups) {
  WindowResult out;
  WindowPart total;
  std::vector<WindowPart> samples;
  for (const LinkWindow* w : per_thread) {
    if (!w || w->total.batches == 0) continue;
    total.merge(w->total);
    out.ops += w->ops;
    if (samples.size() < w->samples.size()) samples.resize(w->samples.size());
    for (size_t s = 0; s < w->samples.size(); ++s) samples[s].merge(w->samples[s]);
  }
  out.bytes = total.bytes;
  out.batches = total.batches;
  out.seconds = total.seconds();
  out.lower_bound = total.batches > 0 && total.batches < min_batches;
  out.inconsistency = checkConsistency(total, samples);
  if (groups > 0) samples = regroup(samples, groups);
  for (const WindowPart& s : samples) {
    const double secs = s.seconds();
    if (s.batches > 0 && secs > 0) out.samples.push_back(double(s.bytes) / secs);
  }
  return out;
}

}  // namespace te::bench
