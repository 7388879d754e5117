#include "engine/memory/dram_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

#ifdef TE_HAVE_NUMA
#include <numa.h>
#endif

namespace te::engine {

int numaNodeCount() {
#ifdef TE_HAVE_NUMA
  if (numa_available() >= 0) return numa_max_node() + 1;
#endif
  return 1;
}

Status bindThreadToNumaNode(int node) {
  if (node < 0) return Status::ok();
#ifdef TE_HAVE_NUMA
  if (numa_available() < 0 || node > numa_max_node()) {
    return invalidArgument("--numa-node " + std::to_string(node) + ": this host has " +
                           std::to_string(numaNodeCount()) + " NUMA node(s)");
  }
  if (numa_run_on_node(node) != 0) return errnoStatus("numa_run_on_node(" + std::to_string(node) + ")", errno);
  return Status::ok();
#else
  return node == 0 ? Status::ok() : invalidArgument("--numa-node: built without libnuma");
#endif
}

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
#ifdef TE_HAVE_NUMA
  if (options.numa_node >= 0) {
    if (numa_available() < 0 || options.numa_node > numa_max_node()) {
      ::munmap(p, mapped);
      return invalidArgument("--numa-node " + std::to_string(options.numa_node) + ": this host has " +
                             std::to_string(numaNodeCount()) + " NUMA node(s)");
    }
    numa_tonode_memory(p, mapped, options.numa_node);
    node = options.numa_node;
  }
#else
  if (options.numa_node > 0) {
    ::munmap(p, mapped);
    return invalidArgument("--numa-node " + std::to_string(options.numa_node) + ": built without libnuma");
  }
#endif
  return std::unique_ptr<DramBuffer>(
      new DramBuffer(static_cast<uint8_t*>(p), options.length, mapped, node, huge));
}

DramBuffer::~DramBuffer() { ::munmap(data_, mapped_); }

nlohmann::json DramBuffer::describe() const {
  return {{"kind", "dram"}, {"bytes", length_}, {"numa_node", numa_node_}, {"huge_pages", huge_pages_}};
}

}  // namespace te::engine
