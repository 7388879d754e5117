#include "common/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace te {
namespace {

TEST(Histogram, EmptyHasZeroes) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 32; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.0), 0u);
  EXPECT_EQ(h.percentile(1.0), 31u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 31u);
}

TEST(Histogram, PercentilesWithinBucketError) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(10.0, 1.5);
  std::vector<uint64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double exact = double(values[static_cast<size_t>(q * values.size()) - 1]);
    double got = double(h.percentile(q));
    EXPECT_NEAR(got, exact, exact * 0.04 + 1) << "q=" << q;
  }
}

TEST(Histogram, BucketsAreContiguousAndMonotonic) {
  for (int b = 1; b < Histogram::kBuckets; ++b) {
    EXPECT_EQ(Histogram::bucketLow(b), Histogram::bucketHigh(b - 1)) << b;
  }
  for (uint64_t v : {0ull, 1ull, 31ull, 32ull, 33ull, 1000ull, 123456789ull}) {
    int b = Histogram::bucketOf(v);
    EXPECT_LE(Histogram::bucketLow(b), v);
    EXPECT_GT(Histogram::bucketHigh(b), v);
  }
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  for (uint64_t v = 1; v < 5000; v += 3) {
    (v % 2 ? a : b).record(v * 17);
    all.record(v * 17);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.percentile(0.5), all.percentile(0.5));
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
}

TEST(Histogram, SerializeRoundTripAndRejectsCorruption) {
  Histogram h;
  for (uint64_t v = 1; v < 100000; v *= 3) h.record(v);
  std::vector<uint64_t> wire = h.serialize();
  Histogram back;
  ASSERT_TRUE(Histogram::deserialize(wire.data(), wire.size(), &back));
  EXPECT_EQ(back.count(), h.count());
  EXPECT_EQ(back.percentile(0.99), h.percentile(0.99));
  wire[0] += 1;  // count no longer matches the buckets
  EXPECT_FALSE(Histogram::deserialize(wire.data(), wire.size(), &back));
  EXPECT_FALSE(Histogram::deserialize(wire.data(), 3, &back));
}

}  // namespace
}  // namespace te
