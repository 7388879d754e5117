#include "bench/run/bench_memory.h"

#include "common/units.h"
#include "engine/memory/dram_buffer.h"
#include "engine/memory/vram.h"

namespace te::bench {
namespace {

Result<engine::BufferPtr> allocateSide(const BenchConfig& c, engine::Transport& transport, engine::MemoryKind kind,
                                       int numa_node, int local_rank, const char* flag) {
  const uint64_t length = c.buffer_size / 2;
  const std::string what = std::string(flag) + " " + engine::memoryKindName(kind) + ", " + formatSize(length);
  Result<engine::BufferPtr> own = transport.allocateBuffer(length, kind, numa_node);
  if (!own.isOk()) return own.status().withContext(what);
  engine::BufferPtr buffer = std::move(*own);
  if (!buffer && kind == engine::MemoryKind::kDram) {
    Result<std::unique_ptr<engine::DramBuffer>> dram = engine::DramBuffer::allocate({length, numa_node, c.huge_pages});
    if (!dram.isOk()) return dram.status().withContext(what);
    buffer = std::move(*dram);
  } else if (!buffer) {
    Result<engine::BufferPtr> vram = engine::allocateVram({length, c.gpu_id, local_rank});
    if (!vram.isOk()) return vram.status().withContext(what);
    buffer = std::move(*vram);
  }
  // Touch every page now, not inside a measurement.
  TE_RETURN_IF_ERROR(buffer->clear().withContext(what));
  return buffer;
}

}  // namespace

NumaPlacement chooseNumaNode(int flag_node, int transport_node, const std::string& transport, int host_nodes) {
  if (flag_node >= 0) return {flag_node, "--numa-node"};
  if (transport_node >= 0 && host_nodes > 1) {
    return {transport_node, "NUMA node of the " + transport + " devices"};
  }
  return {-1, host_nodes > 1 ? "not bound (the " + transport + " devices span NUMA nodes or have none)"
                             : "not bound (one NUMA node)"};
}

Result<BenchMemory> allocateBenchMemory(const BenchConfig& c, engine::Transport& transport, int local_rank) {
  BenchMemory m;
  NumaPlacement numa = chooseNumaNode(c.numa_node, transport.preferredNumaNode(), transport.name(),
                                      engine::numaNodeCount());
  m.numa_node = numa.node;
  m.numa_reason = numa.reason;
  TE_ASSIGN_OR_RETURN(m.local, allocateSide(c, transport, c.initiator_memory, m.numa_node, local_rank,
                                            "--initiator-memory"));
  TE_ASSIGN_OR_RETURN(m.exposed, allocateSide(c, transport, c.target_memory, m.numa_node, local_rank,
                                              "--target-memory"));
  return m;
}

nlohmann::json describeMemory(const BenchMemory& m) {
  return {{"initiator", m.local->describe()}, {"target", m.exposed->describe()},
          {"threads_numa_node", m.numa_node}, {"numa_reason", m.numa_reason}};
}

}  // namespace te::bench
