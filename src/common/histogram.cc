#include "common/histogram.h"

#include <algorithm>
#include <cmath>

namespace te {

uint64_t Histogram::bucketLow(int bucket) {
  if (bucket < kSub) return static_cast<uint64_t>(bucket);
  int exp = bucket / kSub + kSubBits - 1;
  uint64_t sub = static_cast<uint64_t>(bucket % kSub);
  return (uint64_t{1} << exp) + (sub << (exp - kSubBits));
}

uint64_t Histogram::bucketHigh(int bucket) {
  if (bucket < kSub) return static_cast<uint64_t>(bucket) + 1;
  int exp = bucket / kSub + kSubBits - 1;
  return bucketLow(bucket) + (uint64_t{1} << (exp - kSubBits));
}

void Histogram::merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::clear() { *this = Histogram(); }

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * double(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t mid = (bucketLow(i) + bucketHigh(i) - 1) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

std::vector<uint64_t> Histogram::serialize() const {
  std::vector<uint64_t> out = {count_, sum_, min_, max_};
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i]) {
      out.push_back(static_cast<uint64_t>(i));
      out.push_back(counts_[i]);
    }
  }
  return out;
}

bool Histogram::deserialize(const uint64_t* data, size_t n, Histogram* out) {
  if (n < 4 || (n - 4) % 2 != 0) return false;
  Histogram h;
  h.count_ = data[0];
  h.sum_ = data[1];
  h.min_ = data[2];
  h.max_ = data[3];
  uint64_t total = 0;
  for (size_t i = 4; i < n; i += 2) {
    if (data[i] >= static_cast<uint64_t>(kBuckets)) return false;
    h.counts_[data[i]] += data[i + 1];
    total += data[i + 1];
  }
  if (total != h.count_) return false;
  *out = h;
  return true;
}

}  // namespace te
