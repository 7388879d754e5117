#include "engine/cuda/pattern_kernels.h"

#include <cuda_runtime.h>

namespace te::engine::cuda {
namespace {

// Must match engine/memory/pattern.cc byte for byte.
__device__ __forceinline__ uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

__device__ __forceinline__ uint8_t byteAt(uint64_t seed, uint64_t offset) {
  return static_cast<uint8_t>(mix(seed ^ (offset >> 3)) >> ((offset & 7) * 8));
}

__global__ void fillKernel(uint8_t* data, size_t length, uint64_t seed, uint64_t logical) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < length; i += stride) {
    data[i] = byteAt(seed, logical + i);
  }
}

__global__ void verifyKernel(const uint8_t* data, size_t length, uint64_t seed, uint64_t logical,
                             unsigned long long* first) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < length; i += stride) {
    if (data[i] != byteAt(seed, logical + i)) {
      atomicMin(first, static_cast<unsigned long long>(i));
      return;  // later bytes of this thread cannot be earlier
    }
  }
}

unsigned gridFor(size_t length) {
  const size_t blocks = (length + 255) / 256;
  return static_cast<unsigned>(blocks < 4096 ? (blocks ? blocks : 1) : 4096);
}

}  // namespace

int launchFillPattern(uint8_t* data, size_t length, uint64_t seed, uint64_t logical) {
  if (length == 0) return 0;
  fillKernel<<<gridFor(length), 256>>>(data, length, seed, logical);
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaDeviceSynchronize();
  return static_cast<int>(e);
}

int launchVerifyPattern(const uint8_t* data, size_t length, uint64_t seed, uint64_t logical,
                        unsigned long long* scratch, uint64_t* first_mismatch) {
  *first_mismatch = length;
  if (length == 0) return 0;
  unsigned long long none = length;
  cudaError_t e = cudaMemcpy(scratch, &none, sizeof(none), cudaMemcpyHostToDevice);
  if (e != cudaSuccess) return static_cast<int>(e);
  verifyKernel<<<gridFor(length), 256>>>(data, length, seed, logical, scratch);
  e = cudaGetLastError();
  unsigned long long found = length;
  if (e == cudaSuccess) e = cudaMemcpy(&found, scratch, sizeof(found), cudaMemcpyDeviceToHost);
  *first_mismatch = found;
  return static_cast<int>(e);
}

}  // namespace te::engine::cuda
