// VRAM in a build without CUDA: every request says so in one line.
#include "engine/memory/vram.h"

namespace te::engine {
namespace {

Status notBuilt() {
  return Status(StatusCode::kUnimplemented,
                "VRAM: this te_bench was built without CUDA (configure with -DTE_WITH_CUDA=ON and the CUDA Toolkit)");
}

}  // namespace

bool vramBuilt() { return false; }
Result<std::vector<GpuInfo>> listGpus() { return notBuilt(); }
Result<int> resolveGpu(const VramOptions&) { return notBuilt(); }
Result<BufferPtr> allocateVram(const VramOptions&) { return notBuilt(); }

}  // namespace te::engine
