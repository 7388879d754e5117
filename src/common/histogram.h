// Fixed-size log-linear histogram of non-negative integer samples (latencies in ns):
// 2^kSubBits sub-buckets per power of two, so a percentile is within ~3% of the true value.
// record() never allocates; histograms merge and serialise (to gather them at rank 0).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace te {

class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExp = 48;  // values up to 2^48 ns (~3 days)
  static constexpr int kBuckets = (kMaxExp - kSubBits + 1) * kSub;

  void record(uint64_t value) {
    ++counts_[bucketOf(value)];
    ++count_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void merge(const Histogram& other);
  void clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? double(sum_) / double(count_) : 0.0; }
  // q in [0, 1]; the representative (midpoint) value of the bucket holding that rank,
  // clamped to [min, max].
  uint64_t percentile(double q) const;

  // Sparse serialisation: (bucket, count) pairs plus the scalars.
  std::vector<uint64_t> serialize() const;
  static bool deserialize(const uint64_t* data, size_t n, Histogram* out);

  static int bucketOf(uint64_t value) {
    if (value < static_cast<uint64_t>(kSub)) return static_cast<int>(value);
    int exp = 63 - __builtin_clzll(value);  // >= kSubBits
    if (exp > kMaxExp) return kBuckets - 1;
    int sub = static_cast<int>((value >> (exp - kSubBits)) & (kSub - 1));
    return (exp - kSubBits + 1) * kSub + sub;
  }
  static uint64_t bucketLow(int bucket);
  static uint64_t bucketHigh(int bucket);  // exclusive

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace te
