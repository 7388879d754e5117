// The window rule of bench/run/window.h on synthetic completion times: whole batches from their
// submission to their completion, bursts of late completions, several threads, samples,
// lower bounds and records that break the rule; and a simulated link of known capacity that
// no accounting of its completions may exceed.
#include "bench/run/window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>

namespace te::bench {
namespace {

constexpr uint64_t kBatch = 8ull << 20;  // 128 x 64 KiB

Clock::time_point at(double s) {
  return Clock::time_point{} + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)) +
         std::chrono::hours(1);
}

LinkWindow window(int samples = 1) {
  LinkWindow w;
  w.reset(samples);
  return w;
}

TEST(Window, ABatchCountsWholeFromItsSubmissionToItsCompletion) {
  LinkWindow w = window();
  w.record(at(0), at(0.1), kBatch, 128, 0);
  WindowResult r = combineWindows({&w}, 1);
  EXPECT_EQ(r.bytes, kBatch);
  EXPECT_EQ(r.ops, 128u);
  EXPECT_EQ(r.batches, 1u);
  EXPECT_NEAR(r.seconds, 0.1, 1e-9);
  EXPECT_TRUE(r.inconsistency.empty());
}

// The bug of issue 25: two pipelined batches whose completions arrive in one burst. Chaining
// the second from the first's completion gave it a window of almost nothing; the rule counts
// both over the span from the first submission.
TEST(Window, PipelinedBatchesFinishingInOneBurstShareOneSpan) {
  LinkWindow w = window();
  w.record(at(0.00), at(1.0), kBatch, 128, 0);
  w.record(at(0.01), at(1.0), kBatch, 128, 0);
  WindowResult r = combineWindows({&w}, 1);
  EXPECT_NEAR(r.seconds, 1.0, 1e-9);
  EXPECT_NEAR(double(r.bytes) / r.seconds, 2.0 * kBatch, 1.0);
}

TEST(Window, ThreadsOfOneLinkMergeIntoTheUnionOfTheirSpans) {
  LinkWindow a = window(), b = window();
  a.record(at(0.0), at(1.0), kBatch, 128, 0);
  b.record(at(0.5), at(1.5), kBatch, 128, 0);
  WindowResult r = combineWindows({&a, &b}, 1);
  EXPECT_EQ(r.bytes, 2 * kBatch);
  EXPECT_NEAR(r.seconds, 1.5, 1e-9);
}

TEST(Window, AnEmptyWindowHasNoRateAndIsNoError) {
  LinkWindow a = window(5);
  WindowResult r = combineWindows({&a, nullptr}, 8);
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(r.seconds, 0.0);
  EXPECT_FALSE(r.lower_bound);
  EXPECT_TRUE(r.samples.empty());
  EXPECT_TRUE(r.inconsistency.empty());
}

TEST(Window, FewerBatchesThanTheMinimumMakeALowerBound) {
  LinkWindow w = window();
  for (int i = 0; i < 7; ++i) w.record(at(0.1 * i), at(0.1 * i + 0.1), kBatch, 128, 0);
  EXPECT_TRUE(combineWindows({&w}, 8).lower_bound);
  w.record(at(0.7), at(0.8), kBatch, 128, 0);
  EXPECT_FALSE(combineWindows({&w}, 8).lower_bound);
}

TEST(Window, SamplesSplitTheBatchesBySubmissionAndAddUpToTheTotal) {
  LinkWindow w = window(2);
  // Sample 0: two batches in [0, 0.6]; sample 1: one batch in [0.5, 1.0] (overlapping).
  w.record(at(0.0), at(0.3), kBatch, 128, sampleOf(at(0.0), at(0), 1.0, 2));
  w.record(at(0.3), at(0.6), kBatch, 128, sampleOf(at(0.3), at(0), 1.0, 2));
  w.record(at(0.5), at(1.0), kBatch, 128, sampleOf(at(0.5), at(0), 1.0, 2));
  WindowResult r = combineWindows({&w}, 1);
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_NEAR(r.samples[0], 2.0 * kBatch / 0.6, 1.0);
  EXPECT_NEAR(r.samples[1], 1.0 * kBatch / 0.5, 1.0);
  EXPECT_TRUE(r.inconsistency.empty());
}

TEST(Window, SampleOfClampsBeforeAndAfterTheNominalWindow) {
  EXPECT_EQ(sampleOf(at(-1), at(0), 1.0, 5), 0);
  EXPECT_EQ(sampleOf(at(0.999), at(0), 1.0, 5), 4);
  EXPECT_EQ(sampleOf(at(7), at(0), 1.0, 5), 4);  // an extended window's batches: the last
  EXPECT_EQ(sampleOf(at(0.5), at(0), 0.0, 5), 0);
  EXPECT_EQ(sampleOf(at(0.5), at(0), 1.0, 1), 0);
}

TEST(Window, RecordsThatBreakTheRuleAreAMeasurementErrorNotARate) {
  LinkWindow zero = window();
  zero.record(at(1), at(1), kBatch, 128, 0);
  EXPECT_NE(combineWindows({&zero}, 1).inconsistency.find("zero length"), std::string::npos);

  LinkWindow lost = window(2);
  lost.record(at(0), at(1), kBatch, 128, 0);
  lost.samples[0] = {};  // a sample that lost its batch
  EXPECT_NE(combineWindows({&lost}, 1).inconsistency.find("samples hold 0 bytes"), std::string::npos);

  LinkWindow outside = window(2);
  outside.record(at(0), at(1), kBatch, 128, 1);
  outside.samples[1].last = at(2);
  EXPECT_NE(combineWindows({&outside}, 1).inconsistency.find("outside"), std::string::npos);
}

// A link of capacity C; T threads keep D batches each in flight; completions are seen only at
// multiples of `burst` seconds (a NIC that signals late, in bursts). `shared`: the batches in
// flight share the link at once (slices over several QPs, a socket per thread), else first
// come, first served. The runner's order: warm-up, drain (the gate), window, drain.
struct SimulatedLink {
  double capacity = 100e6;  // bytes/s
  int threads = 2, depth = 2;
  double burst = 0, warm_end = 0.1, measure_end = 0.6;
  bool shared = true;

  struct Batch {
    double submitted;
    int thread;
    bool measured;
    double remaining = double(kBatch);
  };
  struct Seen {
    double at;
    Batch batch;
    // Seen together: the older first, as the runner walks its pipeline.
    bool operator>(const Seen& o) const { return at != o.at ? at > o.at : batch.submitted > o.batch.submitted; }
  };

  double seenAt(double finish) const { return burst > 0 ? std::ceil(finish / burst) * burst : finish; }

  // Moves the link forward to `until`, or to its next finished batch, whichever is first;
  // a finished batch goes to `seen`. Returns the time reached.
  double advance(double now, double until, std::vector<Batch>& active,
                 std::priority_queue<Seen, std::vector<Seen>, std::greater<Seen>>& seen) const {
    if (active.empty()) return until;
    const size_t head = shared ? std::min_element(active.begin(), active.end(), [](const Batch& a, const Batch& b) {
                                   return a.remaining < b.remaining;
                                 }) - active.begin()
                               : 0;
    const double share = capacity / double(shared ? active.size() : 1);
    const double finish = now + active[head].remaining / share;
    const double to = std::min(finish, until);
    for (size_t i = 0; i < active.size(); ++i) {
      if (shared || i == head) active[i].remaining -= (to - now) * share;
    }
    if (finish <= until) {
      seen.push({seenAt(finish), active[head]});
      active.erase(active.begin() + static_cast<std::ptrdiff_t>(head));
    }
    return to;
  }

  // Every thread's window as the runner records it. `gate`: the runner's order; without it
  // (the runner before issue 25) measured batches follow warm-up ones at once.
  std::vector<LinkWindow> run(bool gate = true) {
    std::vector<LinkWindow> windows(threads, window());
    std::vector<Batch> active;
    std::priority_queue<Seen, std::vector<Seen>, std::greater<Seen>> seen;
    double now = 0;
    for (int th = 0; th < threads; ++th) {
      for (int d = 0; d < depth; ++d) active.push_back({0, th, false});
    }
    int warm_in_flight = threads * depth;
    bool open = !gate;
    while (!active.empty() || !seen.empty()) {
      if (seen.empty() || (!active.empty() && now < seen.top().at)) {
        now = advance(now, seen.empty() ? 1e18 : seen.top().at, active, seen);
        continue;
      }
      const Seen e = seen.top();
      seen.pop();
      now = std::max(now, e.at);
      const Batch& b = e.batch;
      if (b.measured) {
        windows[b.thread].record(at(b.submitted), at(e.at), kBatch, 128, 0);
      } else {
        --warm_in_flight;
      }
      if (e.at < warm_end) {
        active.push_back({e.at, b.thread, false}), ++warm_in_flight;
      } else if (!open && warm_in_flight == 0) {
        open = true;  // every warm-up batch has drained: the window opens
        for (int th = 0; th < threads; ++th) {
          for (int d = 0; d < depth; ++d) active.push_back({e.at, th, true});
        }
      } else if (open && e.at < measure_end) {
        active.push_back({e.at, b.thread, true});
      }
    }
    return windows;
  }
};

double rateOf(const std::vector<LinkWindow>& windows) {
  std::vector<const LinkWindow*> ptrs;
  for (const auto& w : windows) ptrs.push_back(&w);
  WindowResult r = combineWindows(ptrs, 1);
  EXPECT_TRUE(r.inconsistency.empty()) << r.inconsistency;
  return r.seconds > 0 ? double(r.bytes) / r.seconds : 0;
}

TEST(Window, NoRateExceedsTheCapacityOfASimulatedLinkWhateverTheBursts) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> log_capacity(std::log(5e6), std::log(5e9)), burst(0, 0.3), window(0.05, 0.5);
  std::uniform_int_distribution<int> small(1, 4);
  for (int trial = 0; trial < 300; ++trial) {
    SimulatedLink link;
    link.capacity = std::exp(log_capacity(rng));
    link.measure_end = link.warm_end + window(rng);
    link.threads = small(rng);
    link.depth = small(rng);
    link.burst = trial % 3 == 0 ? 0 : burst(rng);
    link.shared = trial % 2 == 0;
    const double rate = rateOf(link.run());
    ASSERT_GT(rate, 0) << "trial " << trial;
    // (1e-6: the nanoseconds of the recorded times.)
    EXPECT_LE(rate, link.capacity * (1 + 1e-6)) << "trial " << trial << " burst " << link.burst;
    // Without the gate the rule still holds (warm-up bytes in flight only lower the rate).
    EXPECT_LE(rateOf(link.run(false)), link.capacity * (1 + 1e-6)) << "trial " << trial;
  }
}

TEST(Window, ALinkWithManyBatchesIsMeasuredCloseToItsCapacity) {
  SimulatedLink link;
  link.capacity = 2e9;  // ~240 batches a second
  link.measure_end = 1.1;
  const double rate = rateOf(link.run());
  EXPECT_LE(rate, link.capacity * (1 + 1e-6));
  EXPECT_GT(rate, link.capacity * 0.97);
  link.shared = false;
  const double fifo = rateOf(link.run());
  EXPECT_LE(fifo, link.capacity * (1 + 1e-6));
  EXPECT_GT(fifo, link.capacity * 0.97);
}

}  // namespace
}  // namespace te::bench

namespace te::bench {
namespace {

// Rule 6: the interval of the mean slice rate.
TEST(WindowPrecision, SteadySlicesAreKnownExactlyAndNoisyOnesAreNot) {
  RateEstimate steady = estimateRate(10, 0.02, 1, [](size_t) { return 20'000'000ull; });
  EXPECT_EQ(steady.slices, 10u);
  EXPECT_NEAR(steady.mean, 1e9, 1);
  EXPECT_NEAR(steady.half_width, 0, 1e-8);
  // The same slices counted in 64 KiB requests: 305 a slice, known to one in 3052.
  RateEstimate counted = estimateRate(10, 0.02, 65536, [](size_t) { return 305ull * 65536; });
  EXPECT_NEAR(counted.half_width, 1.0 / 3050, 1e-9);
  // Alternating 0.9 / 1.1 GB/s: sd 0.1054 GB/s over 10 slices, t(9) = 2.262.
  RateEstimate noisy = estimateRate(10, 0.02, 1, [](size_t i) { return i % 2 ? 22'000'000ull : 18'000'000ull; });
  EXPECT_NEAR(noisy.mean, 1e9, 1);
  EXPECT_NEAR(noisy.half_width, 2.262 * 0.10541 / std::sqrt(10.0), 1e-4);
  EXPECT_LT(estimateRate(1, 0.02, 1, [](size_t) { return 5ull; }).half_width, 0);  // one slice: unknown
  EXPECT_LT(estimateRate(4, 0.02, 1, [](size_t) { return 0ull; }).half_width, 0);  // nothing moved
}

TEST(WindowPrecision, StudentTFallsTowardsTheNormalQuantile) {
  EXPECT_NEAR(studentT95(1), 12.71, 1e-2);
  EXPECT_NEAR(studentT95(4), 2.776, 1e-3);
  EXPECT_NEAR(studentT95(20), 2.086, 1e-3);
  EXPECT_GT(studentT95(25), studentT95(1000));
  EXPECT_NEAR(studentT95(1000), 1.98, 1e-2);
}

// --duration auto records per slice; the report's samples are those slices merged in order.
TEST(WindowPrecision, SlicesAreMergedIntoTheAskedSamples) {
  LinkWindow w = window(12);
  for (int i = 0; i < 10; ++i) w.record(at(0.1 * i), at(0.1 * i + 0.1), kBatch, 128, i);
  WindowResult r = combineWindows({&w}, 1, 5);
  ASSERT_EQ(r.samples.size(), 5u);
  for (double s : r.samples) EXPECT_NEAR(s, 2 * kBatch / 0.2, kBatch * 1e-6);  // two batches each
  EXPECT_TRUE(r.inconsistency.empty());
  WindowResult few = combineWindows({&w}, 1, 20);  // fewer slices used than samples asked
  EXPECT_EQ(few.samples.size(), 10u);
}

}  // namespace
}  // namespace te::bench
