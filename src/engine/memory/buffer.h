// Buffer: memory the bench transfers from and into, whatever it is (DRAM, VRAM, memory a
// transport allocated). Besides its address it offers what the layers above need without
// knowing the kind: pattern fill / verify for the integrity check (a CUDA kernel for VRAM),
// zeroing, a dma-buf export for RDMA registration, and a description for the report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/memory/pattern.h"
#include "engine/types.h"

namespace te::engine {

// A dma-buf file descriptor covering a buffer (owned by the buffer) and the buffer's offset in it.
struct DmabufHandle {
  int fd = -1;
  uint64_t offset = 0;
};

class Buffer {
 public:
  virtual ~Buffer() = default;
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  virtual uint8_t* data() const = 0;
  virtual size_t length() const = 0;
  virtual MemoryKind kind() const = 0;
  virtual int numaNode() const { return -1; }  // -1: not bound / unknown
  virtual int gpu() const { return -1; }       // CUDA device ordinal for VRAM
  virtual std::string pciBusId() const { return {}; }  // the GPU's, for NIC affinity ("0000:18:00.0")
  // For the report: {"kind": ..., "bytes": ..., ...}.
  virtual nlohmann::json describe() const = 0;

  // Bytes [at, at + length) of this buffer get the pattern of `seed` from pattern offset `logical`.
  virtual Status fillPattern(uint64_t at, uint64_t length, uint64_t seed, uint64_t logical) = 0;
  // The first byte of [at, at + length) that differs from that pattern (offsets logical).
  virtual Result<std::optional<PatternMismatch>> verifyPattern(uint64_t at, uint64_t length, uint64_t seed,
                                                               uint64_t logical) const = 0;
  // Writes zeros everywhere (so every page is touched before a measurement).
  virtual Status clear() = 0;
  // A dma-buf of the whole buffer, for ibv_reg_dmabuf_mr; kUnimplemented where there is none.
  virtual Result<DmabufHandle> dmabuf() const;

  // For transports that cannot reach this memory (VRAM over TCP): copies between bytes
  // [at, at + length) and host memory (memcpy, or cudaMemcpy for VRAM; the bytes change,
  // not the object, hence const), and host memory of the same length to stage through
  // (pinned for VRAM).
  virtual Status copyToHost(void* dst, uint64_t at, uint64_t length) const;
  virtual Status copyFromHost(uint64_t at, const void* src, uint64_t length) const;
  virtual Result<std::unique_ptr<Buffer>> allocateStaging() const;

 protected:
  // kInvalidArgument unless [at, at + length) lies inside the buffer.
  Status checkRange(uint64_t at, uint64_t length) const;
};

using BufferPtr = std::unique_ptr<Buffer>;

// A buffer the CPU can read and write directly: the pattern operations run on the host.
class HostBuffer : public Buffer {
 public:
  MemoryKind kind() const override { return MemoryKind::kDram; }
  Status fillPattern(uint64_t at, uint64_t length, uint64_t seed, uint64_t logical) override;
  Result<std::optional<PatternMismatch>> verifyPattern(uint64_t at, uint64_t length, uint64_t seed,
                                                       uint64_t logical) const override;
  Status clear() override;
};

}  // namespace te::engine
