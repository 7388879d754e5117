#include "engine/memory/buffer.h"

#include <cstring>

#include "engine/memory/dram_buffer.h"

namespace te::engine {

Result<DmabufHandle> Buffer::dmabuf() const {
  return Status(StatusCode::kUnimplemented, std::string(memoryKindName(kind())) + " buffer: no dma-buf export");
}

Status Buffer::copyToHost(void* dst, uint64_t at, uint64_t length) const {
  TE_RETURN_IF_ERROR(checkRange(at, length));
  std::memcpy(dst, data() + at, length);
  return Status::ok();
}

Status Buffer::copyFromHost(uint64_t at, const void* src, uint64_t length) const {
  TE_RETURN_IF_ERROR(checkRange(at, length));
  std::memcpy(data() + at, src, length);
  return Status::ok();
}

Result<BufferPtr> Buffer::allocateStaging() const {
  TE_ASSIGN_OR_RETURN(std::unique_ptr<DramBuffer> host, DramBuffer::allocate({length(), numaNode(), false}));
  return BufferPtr(std::move(host));
}

Status Buffer::checkRange(uint64_t at, uint64_t length) const {
  if (at > this->length() || length > this->length() - at) {
    return invalidArgument("buffer range [" + std::to_string(at) + ", +" + std::to_string(length) + ") past " +
                           std::to_string(this->length()) + " bytes");
  }
  return Status::ok();
}

Status HostBuffer::fillPattern(uint64_t at, uint64_t length, uint64_t seed, uint64_t logical) {
  TE_RETURN_IF_ERROR(checkRange(at, length));
  engine::fillPattern(data() + at, length, seed, logical);
  return Status::ok();
}

Result<std::optional<PatternMismatch>> HostBuffer::verifyPattern(uint64_t at, uint64_t length, uint64_t seed,
                                                                 uint64_t logical) const {
  TE_RETURN_IF_ERROR(checkRange(at, length));
  return engine::verifyPattern(data() + at, length, seed, logical);
}

Status HostBuffer::clear() {
  std::memset(data(), 0, length());
  return Status::ok();
}

}  // namespace te::engine
