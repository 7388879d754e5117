#include "engine/memory/numa.h"

#include <numa.h>
#include <numaif.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace te::engine {

int numaNodeCount() { return numa_available() >= 0 ? numa_max_node() + 1 : 1; }

Status checkNumaNode(int node) {
  if (numa_available() < 0 || node > numa_max_node()) {
    return invalidArgument("--numa-node " + std::to_string(node) + ": this host has " +
                           std::to_string(numaNodeCount()) + " NUMA node(s)");
  }
  return Status::ok();
}

Status bindThreadToNumaNode(int node) {
  if (node < 0) return Status::ok();
  TE_RETURN_IF_ERROR(checkNumaNode(node));
  if (numa_run_on_node(node) != 0) return errnoStatus("numa_run_on_node(" + std::to_string(node) + ")", errno);
  return Status::ok();
}

Status bindMemoryToNumaNode(void* addr, size_t length, int node) {
  constexpr size_t kBits = 8 * sizeof(unsigned long);
  std::vector<unsigned long> mask(static_cast<size_t>(numa_max_node()) / kBits + 1, 0);
  mask[node / kBits] |= 1ul << (node % kBits);
  if (mbind(addr, length, MPOL_BIND, mask.data(), mask.size() * kBits + 1, MPOL_MF_MOVE) != 0) {
    return errnoStatus("mbind to NUMA node " + std::to_string(node), errno);
  }
  return Status::ok();
}

int numaNodeOfAddress(const void* addr) {
  static const uintptr_t kPageMask = ~static_cast<uintptr_t>(numa_pagesize() - 1);
  void* pages[1] = {reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(addr) & kPageMask)};
  int status[1] = {-1};
  // nodes == nullptr: only report where each page is.
  if (numa_move_pages(0, 1, pages, nullptr, status, 0) != 0) return -1;
  return status[0] >= 0 ? status[0] : -1;
}

}  // namespace te::engine
