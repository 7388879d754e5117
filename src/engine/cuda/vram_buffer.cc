// VRAM buffers with the CUDA runtime (linked statically, so the binary starts without a
// driver); the driver entry point for dma-buf export is looked up at run time.
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "engine/cuda/pattern_kernels.h"
#include "engine/memory/vram.h"

namespace te::engine {
namespace {

Status cudaStatus(const std::string& what, cudaError_t e) {
  std::string why = cudaGetErrorString(e);
  if (e == cudaErrorNoDevice) return unavailable(what + ": no CUDA GPU on this host (" + why + ")");
  if (e == cudaErrorInsufficientDriver) {
    return unavailable(what + ": no usable NVIDIA driver (libcuda.so.1 missing or older than this CUDA " +
                       std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10) +
                       " runtime): " + why);
  }
  return unavailable(what + ": " + why);
}

#define TE_CUDA_RETURN(what, expr)                  \
  do {                                              \
    cudaError_t te_cuda_e = (expr);                 \
    if (te_cuda_e != cudaSuccess) return cudaStatus(what, te_cuda_e); \
  } while (0)

constexpr size_t kAlign = 2u << 20;  // dma-buf export wants page-aligned ranges; cudaMalloc gives 2 MiB

// Page-locked host memory (cudaHostAlloc): what a transport that cannot reach VRAM stages through.
class PinnedHostBuffer final : public HostBuffer {
 public:
  PinnedHostBuffer(uint8_t* data, size_t length) : data_(data), length_(length) {}
  ~PinnedHostBuffer() override { cudaFreeHost(data_); }
  uint8_t* data() const override { return data_; }
  size_t length() const override { return length_; }
  nlohmann::json describe() const override { return {{"kind", "dram"}, {"bytes", length_}, {"pinned", true}}; }

 private:
  uint8_t* data_;
  size_t length_;
};

class VramBuffer final : public Buffer {
 public:
  VramBuffer(GpuInfo gpu, uint8_t* data, size_t length, unsigned long long* scratch)
      : gpu_(std::move(gpu)), data_(data), length_(length), scratch_(scratch) {}
  ~VramBuffer() override {
    if (dmabuf_fd_ >= 0) ::close(dmabuf_fd_);
    cudaSetDevice(gpu_.ordinal);
    cudaFree(scratch_);
    cudaFree(data_);
  }

  uint8_t* data() const override { return data_; }
  size_t length() const override { return length_; }
  MemoryKind kind() const override { return MemoryKind::kVram; }
  int gpu() const override { return gpu_.ordinal; }
  std::string pciBusId() const override { return gpu_.pci_bus_id; }
  nlohmann::json describe() const override {
    return {{"kind", "vram"}, {"bytes", length_},      {"gpu", gpu_.ordinal},
            {"gpu_name", gpu_.name}, {"pci_bus_id", gpu_.pci_bus_id}, {"dmabuf", dmabuf_fd_ >= 0}};
  }

  Status fillPattern(uint64_t at, uint64_t length, uint64_t seed, uint64_t logical) override {
    TE_RETURN_IF_ERROR(checkRange(at, length));
    TE_CUDA_RETURN("cudaSetDevice", cudaSetDevice(gpu_.ordinal));
    TE_CUDA_RETURN("pattern fill kernel", static_cast<cudaError_t>(cuda::launchFillPattern(data_ + at, length, seed, logical)));
    return Status::ok();
  }

  Result<std::optional<PatternMismatch>> verifyPattern(uint64_t at, uint64_t length, uint64_t seed,
                                                       uint64_t logical) const override {
    TE_RETURN_IF_ERROR(checkRange(at, length));
    TE_CUDA_RETURN("cudaSetDevice", cudaSetDevice(gpu_.ordinal));
    uint64_t first = length;
    TE_CUDA_RETURN("pattern verify kernel", static_cast<cudaError_t>(cuda::launchVerifyPattern(
                                                data_ + at, length, seed, logical, scratch_, &first)));
    if (first >= length) return std::optional<PatternMismatch>{};
    uint8_t actual = 0;
    TE_CUDA_RETURN("cudaMemcpy D2H", cudaMemcpy(&actual, data_ + at + first, 1, cudaMemcpyDeviceToHost));
    uint8_t expected = 0;
    engine::fillPattern(&expected, 1, seed, logical + first);
    return std::optional<PatternMismatch>{PatternMismatch{logical + first, expected, actual}};
  }

  Status clear() override {
    TE_CUDA_RETURN("cudaSetDevice", cudaSetDevice(gpu_.ordinal));
    TE_CUDA_RETURN("cudaMemset", cudaMemset(data_, 0, length_));
    TE_CUDA_RETURN("cudaDeviceSynchronize", cudaDeviceSynchronize());
    return Status::ok();
  }

  // Staging copies (TCP) run on the calling thread's own stream: on the legacy default
  // stream the copies of all worker and service threads would queue behind each other.
  Status copyToHost(void* dst, uint64_t at, uint64_t length) const override {
    TE_RETURN_IF_ERROR(checkRange(at, length));
    TE_CUDA_RETURN("cudaSetDevice", cudaSetDevice(gpu_.ordinal));
    TE_CUDA_RETURN("cudaMemcpyAsync D2H",
                   cudaMemcpyAsync(dst, data_ + at, length, cudaMemcpyDeviceToHost, cudaStreamPerThread));
    TE_CUDA_RETURN("cudaStreamSynchronize", cudaStreamSynchronize(cudaStreamPerThread));
    return Status::ok();
  }

  Status copyFromHost(uint64_t at, const void* src, uint64_t length) const override {
    TE_RETURN_IF_ERROR(checkRange(at, length));
    TE_CUDA_RETURN("cudaSetDevice", cudaSetDevice(gpu_.ordinal));
    TE_CUDA_RETURN("cudaMemcpyAsync H2D",
                   cudaMemcpyAsync(data_ + at, src, length, cudaMemcpyHostToDevice, cudaStreamPerThread));
    TE_CUDA_RETURN("cudaStreamSynchronize", cudaStreamSynchronize(cudaStreamPerThread));
    return Status::ok();
  }

  Result<BufferPtr> allocateStaging() const override {
    TE_CUDA_RETURN("cudaSetDevice", cudaSetDevice(gpu_.ordinal));
    void* host = nullptr;
    TE_CUDA_RETURN("cudaHostAlloc(" + std::to_string(length_) + ")", cudaHostAlloc(&host, length_, cudaHostAllocPortable));
    return BufferPtr(new PinnedHostBuffer(static_cast<uint8_t*>(host), length_));
  }

  Result<DmabufHandle> dmabuf() const override {
    if (dmabuf_fd_ >= 0) return DmabufHandle{dmabuf_fd_, 0};
    using GetHandleFn = CUresult (*)(void*, CUdeviceptr, size_t, CUmemRangeHandleType, unsigned long long);
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult found{};
    TE_CUDA_RETURN("cudaGetDriverEntryPointByVersion(cuMemGetHandleForAddressRange)",
                   cudaGetDriverEntryPointByVersion("cuMemGetHandleForAddressRange", &fn, 12000, cudaEnableDefault, &found));
    if (found != cudaDriverEntryPointSuccess || !fn) {
      return Status(StatusCode::kUnimplemented, "dma-buf: the NVIDIA driver has no cuMemGetHandleForAddressRange (driver too old)");
    }
    int fd = -1;
    const size_t span = (length_ + kAlign - 1) / kAlign * kAlign;
    CUresult r = reinterpret_cast<GetHandleFn>(fn)(&fd, reinterpret_cast<CUdeviceptr>(data_), span,
                                                   CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD, 0);
    if (r != CUDA_SUCCESS || fd < 0) {
      return Status(StatusCode::kUnimplemented, "dma-buf: cuMemGetHandleForAddressRange on GPU " + gpu_.pci_bus_id +
                                                    " failed with CUresult " + std::to_string(static_cast<int>(r)) +
                                                    " (dma-buf needs an open kernel module driver and Linux >= 5.12)");
    }
    dmabuf_fd_ = fd;
    return DmabufHandle{fd, 0};
  }

 private:
  GpuInfo gpu_;
  uint8_t* data_;
  size_t length_;
  unsigned long long* scratch_;
  mutable int dmabuf_fd_ = -1;
};

}  // namespace

bool vramBuilt() { return true; }

Result<std::vector<GpuInfo>> listGpus() {
  int count = 0;
  TE_CUDA_RETURN("cudaGetDeviceCount", cudaGetDeviceCount(&count));
  std::vector<GpuInfo> gpus;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    TE_CUDA_RETURN("cudaGetDeviceProperties(" + std::to_string(i) + ")", cudaGetDeviceProperties(&prop, i));
    char bus[32] = {};
    TE_CUDA_RETURN("cudaDeviceGetPCIBusId", cudaDeviceGetPCIBusId(bus, sizeof(bus), i));
    std::string id(bus);
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char ch) { return std::tolower(ch); });
    gpus.push_back({i, prop.name, id, prop.totalGlobalMem});
  }
  if (gpus.empty()) return unavailable("cudaGetDeviceCount: no CUDA GPU on this host");
  return gpus;
}

Result<int> resolveGpu(const VramOptions& options) {
  TE_ASSIGN_OR_RETURN(std::vector<GpuInfo> gpus, listGpus());
  const int n = static_cast<int>(gpus.size());
  if (options.gpu < 0) return options.local_rank % n;
  if (options.gpu >= n) {
    return invalidArgument("--gpu-id " + std::to_string(options.gpu) + ": this host has " + std::to_string(n) +
                           " GPU(s), allowed 0.." + std::to_string(n - 1) + " or auto");
  }
  return options.gpu;
}

Result<BufferPtr> allocateVram(const VramOptions& options) {
  TE_ASSIGN_OR_RETURN(int ordinal, resolveGpu(options));
  TE_ASSIGN_OR_RETURN(std::vector<GpuInfo> gpus, listGpus());
  TE_CUDA_RETURN("cudaSetDevice(" + std::to_string(ordinal) + ")", cudaSetDevice(ordinal));
  void* data = nullptr;
  const size_t bytes = (options.length + kAlign - 1) / kAlign * kAlign;
  TE_CUDA_RETURN("cudaMalloc(" + std::to_string(bytes) + ") on GPU " + std::to_string(ordinal), cudaMalloc(&data, bytes));
  void* scratch = nullptr;
  cudaError_t e = cudaMalloc(&scratch, sizeof(unsigned long long));
  if (e != cudaSuccess) {
    cudaFree(data);
    return cudaStatus("cudaMalloc(scratch)", e);
  }
  return BufferPtr(new VramBuffer(gpus[ordinal], static_cast<uint8_t*>(data), options.length,
                                  static_cast<unsigned long long*>(scratch)));
}

}  // namespace te::engine
