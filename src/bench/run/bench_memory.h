// The two buffers of a rank: `local`, the initiator side (source of WRITEs, destination of
// READs), and `exposed`, the target side peers read and write. Each is --buffer-size / 2 of
// the kind --initiator-memory / --target-memory asks for (DRAM, or VRAM on --gpu-id), or
// memory the transport allocates itself when it has faster memory to offer.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/cli/config.h"
#include "engine/memory/buffer.h"
#include "engine/transport.h"

namespace te::bench {

struct BenchMemory {
  engine::BufferPtr local;
  engine::BufferPtr exposed;
  int numa_node = -1;       // where DRAM buffers and worker threads are bound (-1: not bound)
  std::string numa_reason;  // "--numa-node", "the NICs' node (transport verbs)", "not bound"
  uint64_t half() const { return local->length(); }
};

// --numa-node wins; else the node of the transport's devices; else none.
struct NumaPlacement {
  int node = -1;
  std::string reason;
};
NumaPlacement chooseNumaNode(int flag_node, int transport_node, const std::string& transport, int host_nodes);

// `local_rank`: this rank's index on its host (for --gpu-id auto). Every page is touched.
Result<BenchMemory> allocateBenchMemory(const BenchConfig& config, engine::Transport& transport, int local_rank);

// {"initiator": {...}, "target": {...}} for the report.
nlohmann::json describeMemory(const BenchMemory& memory);

}  // namespace te::bench
