#include "engine/memory/buffer.h"

#include <cstring>

namespace te::engine {

Result<DmabufHandle> Buffer::dmabuf() const {
  return Status(StatusCode::kUnimplemented, std::string(memoryKindName(kind())) + " buffer: no dma-buf export");
}

Status HostBuffer::checkRange(uint64_t at, uint64_t length) const {
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
