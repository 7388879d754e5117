// The memory limits beside te_bench --memory vram on a GPU node: cudaMemcpy device to
// device, and host to device / device to host from pinned memory, per size. Prints one line
// per measurement: "copy KIND BYTES GB/s" (GB = 1e9 bytes), for perf/gpu_check.sh.
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

bool check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return true;
  std::fprintf(stderr, "cuda_copy_bw: %s: %s\n", what, cudaGetErrorString(e));
  return false;
}

double measure(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  const int reps = bytes >= (64u << 20) ? 20 : 200;
  cudaMemcpy(dst, src, bytes, kind);  // warm-up
  cudaDeviceSynchronize();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
  cudaDeviceSynchronize();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return double(bytes) * reps / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const int gpu = argc > 1 ? std::atoi(argv[1]) : 0;
  const size_t max_bytes = 1ull << 30;
  if (!check(cudaSetDevice(gpu), "cudaSetDevice")) return 1;
  void *d0 = nullptr, *d1 = nullptr, *h = nullptr;
  if (!check(cudaMalloc(&d0, max_bytes), "cudaMalloc") || !check(cudaMalloc(&d1, max_bytes), "cudaMalloc") ||
      !check(cudaHostAlloc(&h, max_bytes, cudaHostAllocPortable), "cudaHostAlloc")) {
    return 1;
  }
  for (size_t bytes : {size_t(64) << 10, size_t(1) << 20, size_t(64) << 20, max_bytes}) {
    std::printf("copy d2d %zu %.2f\n", bytes, measure(d1, d0, bytes, cudaMemcpyDeviceToDevice));
    std::printf("copy h2d %zu %.2f\n", bytes, measure(d0, h, bytes, cudaMemcpyHostToDevice));
    std::printf("copy d2h %zu %.2f\n", bytes, measure(h, d0, bytes, cudaMemcpyDeviceToHost));
  }
  cudaFreeHost(h);
  cudaFree(d1);
  cudaFree(d0);
  return 0;
}
