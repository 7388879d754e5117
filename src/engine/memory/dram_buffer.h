// Host memory for transfers: anonymous mmap, huge pages when asked (falls back to normal
// pages with a warning), bound to a NUMA node when asked (memory/numa.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "engine/memory/buffer.h"
#include "engine/memory/numa.h"  // te_bench's runner binds its threads with it

namespace te::engine {

struct DramOptions {
  size_t length = 0;
  int numa_node = -1;      // -1: first-touch by the allocating thread
  bool huge_pages = false;
};

class DramBuffer : public HostBuffer {
 public:
  static Result<std::unique_ptr<DramBuffer>> allocate(const DramOptions& options);
  ~DramBuffer() override;

  uint8_t* data() const override { return data_; }
  size_t length() const override { return length_; }
  int numaNode() const override { return numa_node_; }  // -1 when not bound
  nlohmann::json describe() const override;

 private:
  DramBuffer(uint8_t* data, size_t length, size_t mapped, int numa_node, bool huge)
      : data_(data), length_(length), mapped_(mapped), numa_node_(numa_node), huge_pages_(huge) {}
  uint8_t* data_;
  size_t length_;
  size_t mapped_;
  int numa_node_;
  bool huge_pages_;
};

}  // namespace te::engine
