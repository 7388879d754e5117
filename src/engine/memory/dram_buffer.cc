#include "engine/memory/dram_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace te::engine {

Result<std::unique_ptr<DramBuffer>> DramBuffer::allocate(const DramOptions& options) {
  if (options.length == 0) return invalidArgument("buffer length is 0");
  constexpr size_t kHuge = 2u << 20;
  size_t mapped = options.length;
  void* p = MAP_FAILED;
  bool huge = false;
  if (options.huge_pages) {
    mapped = (options.length + kHuge - 1) / kHuge * kHuge;
    p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (p == MAP_FAILED) {
      // INFO: te_bench says it once for the job, from every rank's memory summary.
      TE_LOG(INFO) << "huge pages for " << options.length << " bytes unavailable (" << std::strerror(errno)
                   << "); using normal pages";
      mapped = options.length;
    } else {
      huge = true;
    }
  }
  if (p == MAP_FAILED) {
    p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return errnoStatus("mmap of " + std::to_string(mapped) + " bytes", errno);
  }
  int node = -1;
  if (options.numa_node >= 0) {
    Status exists = checkNumaNode(options.numa_node);
    if (!exists.isOk()) {
      ::munmap(p, mapped);
      return exists;
    }
    // The pages are not touched yet: they are placed on the node at first touch.
    Status bound = bindMemoryToNumaNode(p, mapped, options.numa_node);
    if (bound.isOk()) {
      node = options.numa_node;
    } else {
      TE_LOG(WARN) << bound.message() << "; the buffer's pages are not bound";
    }
  }
  return std::unique_ptr<DramBuffer>(
      new DramBuffer(static_cast<uint8_t*>(p), options.length, mapped, node, huge));
}

DramBuffer::~DramBuffer() { ::munmap(data_, mapped_); }

nlohmann::json DramBuffer::describe() const {
  return {{"kind", "dram"}, {"bytes", length_}, {"numa_node", numa_node_}, {"huge_pages", huge_pages_}};
}

}  // namespace te::engine
