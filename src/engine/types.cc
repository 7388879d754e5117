#include "engine/types.h"

#include <thread>

#include "engine/transport.h"

namespace te::engine {

const char* memoryKindName(MemoryKind kind) { return kind == MemoryKind::kVram ? "vram" : "dram"; }
const char* opCodeName(OpCode op) { return op == OpCode::kRead ? "read" : "write"; }

void TransportWorker::waitForProgress(std::chrono::microseconds max_wait) {
  std::this_thread::sleep_for(max_wait);
}

}  // namespace te::engine
