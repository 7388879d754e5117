// VRAM buffers (cudaMalloc) behind an interface that needs no CUDA header: implemented in
// engine/cuda when the build has CUDA (TE_WITH_CUDA), by vram_unavailable.cc otherwise. The
// same binary starts on nodes without a GPU driver: CUDA is linked statically (cudart) and
// the driver is only looked for when VRAM is asked for.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/memory/buffer.h"

namespace te::engine {

struct VramOptions {
  size_t length = 0;
  int gpu = -1;        // CUDA device ordinal; -1: auto (local rank modulo the GPUs seen)
  int local_rank = 0;  // this process's index on its host, for auto
};

struct GpuInfo {
  int ordinal = 0;
  std::string name;        // "NVIDIA H200"
  std::string pci_bus_id;  // "0000:18:00.0", lower case
  uint64_t memory_bytes = 0;
};

// True when this binary was built with CUDA.
bool vramBuilt();

// The GPUs this process can use; kUnimplemented without CUDA, kUnavailable without a driver
// or a device (the message says which).
Result<std::vector<GpuInfo>> listGpus();

// Which ordinal `options` means (resolves auto); the same errors as listGpus, and
// kInvalidArgument for an ordinal past the GPUs found.
Result<int> resolveGpu(const VramOptions& options);

Result<BufferPtr> allocateVram(const VramOptions& options);

}  // namespace te::engine
