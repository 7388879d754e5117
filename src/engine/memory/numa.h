// NUMA placement, in one place (libnuma): how many nodes this host has, binding the calling
// thread or a range of memory to a node, and which node a page lives on.
#pragma once

#include <cstddef>

#include "common/status.h"

namespace te::engine {

// Number of NUMA nodes (1 when the kernel has no NUMA support).
int numaNodeCount();

// kInvalidArgument ("--numa-node 3: this host has 2 NUMA node(s)") unless `node` exists.
Status checkNumaNode(int node);

// Runs the calling thread on the CPUs of `node` (no-op for -1).
Status bindThreadToNumaNode(int node);

// Binds [addr, addr + length) to `node` (mbind MPOL_BIND), moving pages already touched.
Status bindMemoryToNumaNode(void* addr, size_t length, int node);

// NUMA node holding the page at `addr` (move_pages); -1 when it cannot be told (page not
// yet touched, no NUMA support).
int numaNodeOfAddress(const void* addr);

}  // namespace te::engine
