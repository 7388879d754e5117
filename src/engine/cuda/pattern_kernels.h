// Pattern fill / verify on device memory (CUDA kernels), the same bytes as
// engine/memory/pattern.h produces on the host, so VRAM integrity checks need no host copy.
#pragma once

#include <cstddef>
#include <cstdint>

namespace te::engine::cuda {

// Both return a cudaError_t as int (0 = success) so callers need no CUDA header here.
int launchFillPattern(uint8_t* data, size_t length, uint64_t seed, uint64_t logical);
// *first_mismatch = index (from `data`) of the first byte differing from the pattern, or
// `length` when all match. `scratch` is one device-resident uint64_t.
int launchVerifyPattern(const uint8_t* data, size_t length, uint64_t seed, uint64_t logical,
                        unsigned long long* scratch, uint64_t* first_mismatch);

}  // namespace te::engine::cuda
