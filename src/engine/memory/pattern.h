// Data patterns for integrity checks: the byte at `offset` of a buffer filled with `seed` is a
// pure function of (seed, offset), so the side that did not write it can verify it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace te::engine {

// Fills [data, data + length), which starts at `offset` of the logical buffer.
void fillPattern(uint8_t* data, size_t length, uint64_t seed, uint64_t offset = 0);

struct PatternMismatch {
  uint64_t offset;     // of the first differing byte, logical
  uint8_t expected;
  uint8_t actual;
};

std::optional<PatternMismatch> verifyPattern(const uint8_t* data, size_t length, uint64_t seed,
                                             uint64_t offset = 0);

inline uint64_t patternSeed(uint64_t rank, uint64_t epoch) {
  return (rank + 1) * 0x9E3779B97F4A7C15ull ^ (epoch << 32);
}

}  // namespace te::engine
