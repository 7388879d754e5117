// Memory handles with shared ownership, and the buffer the UCX transport allocates itself.
//
// UCX 1.13's shared-memory transports (sysv, posix) give RMA lanes only for memory that
// ucp_mem_map allocated (UCP_MEM_MAP_ALLOCATE): that memory lives in a segment whose packed
// rkey lets a peer on the same host map it, so a put / get is a memcpy by the initiator.
// Memory registered after the fact packs no such key and falls back to software RMA.
//
// Ownership: every memory handle holds the context (SharedContext), so a buffer may outlive
// the transport that allocated it; the context is cleaned up after the last handle is
// unmapped. A region registered from an allocated buffer shares the buffer's handle (no
// second ucp_mem_map), so the segment stays mapped until both are gone.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/memory/buffer.h"
#include "engine/ucx/ucx_handles.h"

namespace te::engine::ucx {

using SharedContext = std::shared_ptr<std::remove_pointer_t<ucp_context_h>>;
using SharedMem = std::shared_ptr<std::remove_pointer_t<ucp_mem_h>>;

// Registers [addr, addr + length) of host memory with every transport of `context`.
Result<SharedMem> registerHostMemory(const SharedContext& context, void* addr, size_t length);
// VRAM passed through as UCS_MEMORY_TYPE_CUDA; kUnavailable, saying so, when this UCX has no CUDA support.
Result<SharedMem> registerCudaMemory(const SharedContext& context, void* addr, size_t length);

// A DRAM buffer whose pages ucp_mem_map allocated. Pattern fill / verify / clear run on the
// host (HostBuffer). numa_node >= 0: the pages are bound with libnuma (mbind) before first
// touch; a failed bind leaves them unbound and says so in describe().
class UcxBuffer final : public HostBuffer {
 public:
  static Result<std::unique_ptr<UcxBuffer>> allocate(const SharedContext& context, size_t length, int numa_node);

  uint8_t* data() const override { return data_; }
  size_t length() const override { return length_; }
  int numaNode() const override { return numa_node_; }
  nlohmann::json describe() const override;

  const SharedMem& memh() const { return memh_; }

 private:
  UcxBuffer(SharedMem memh, uint8_t* data, size_t length, size_t mapped, int numa_node, std::string numa_note)
      : memh_(std::move(memh)), data_(data), length_(length), mapped_(mapped), numa_node_(numa_node),
        numa_note_(std::move(numa_note)) {}

  SharedMem memh_;
  uint8_t* data_;
  size_t length_;
  size_t mapped_;  // what UCX mapped (>= length_)
  int numa_node_;
  std::string numa_note_;  // why the pages are not bound, when they were asked to be
};

// The buffers a transport allocated, so that registering an address inside one reuses its
// memory handle. Entries do not keep buffers alive; ones whose buffer is gone are skipped.
// Control path only (allocate / register), guarded by a mutex.
class AllocatedBuffers {
 public:
  void add(const UcxBuffer& buffer);
  // The handle of the live allocated buffer that contains [addr, addr + length), or null.
  SharedMem find(const void* addr, size_t length) const;

 private:
  struct Entry {
    const uint8_t* base;
    size_t length;
    std::weak_ptr<std::remove_pointer_t<ucp_mem_h>> memh;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace te::engine::ucx
