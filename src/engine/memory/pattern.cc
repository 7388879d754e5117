#include "engine/memory/pattern.h"

#include <cstring>

namespace te::engine {
namespace {

inline uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint8_t byteAt(uint64_t seed, uint64_t offset) {
  return static_cast<uint8_t>(mix(seed ^ (offset >> 3)) >> ((offset & 7) * 8));
}

}  // namespace

void fillPattern(uint8_t* data, size_t length, uint64_t seed, uint64_t offset) {
  size_t i = 0;
  while (i < length && ((offset + i) & 7)) { data[i] = byteAt(seed, offset + i); ++i; }
  for (; i + 8 <= length; i += 8) {
    uint64_t w = mix(seed ^ ((offset + i) >> 3));
    std::memcpy(data + i, &w, 8);
  }
  for (; i < length; ++i) data[i] = byteAt(seed, offset + i);
}

std::optional<PatternMismatch> verifyPattern(const uint8_t* data, size_t length, uint64_t seed,
                                             uint64_t offset) {
  size_t i = 0;
  auto check_bytes = [&](size_t end) -> std::optional<PatternMismatch> {
    for (; i < end; ++i) {
      uint8_t want = byteAt(seed, offset + i);
      if (data[i] != want) return PatternMismatch{offset + i, want, data[i]};
    }
    return std::nullopt;
  };
  while (i < length && ((offset + i) & 7)) {
    if (auto m = check_bytes(i + 1)) return m;
  }
  for (; i + 8 <= length; i += 8) {
    uint64_t w = mix(seed ^ ((offset + i) >> 3));
    if (std::memcmp(data + i, &w, 8) != 0) {
      if (auto m = check_bytes(i + 8)) return m;
    }
  }
  return check_bytes(length);
}

}  // namespace te::engine
