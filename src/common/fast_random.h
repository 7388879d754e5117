// Small, allocation-free pseudo-random helpers for the data path (not for anything secret).
#pragma once

#include <cstdint>

namespace te {

// SplitMix64: turns a seed (rank, thread, user seed) into a well-mixed non-zero start state.
inline uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Xorshift64: the next value of a non-zero state, one per request (mix READ / WRITE draws).
inline uint64_t xorshift(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

}  // namespace te
