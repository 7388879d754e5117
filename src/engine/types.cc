#include "engine/types.h"

#include <thread>

#include "common/enum_names.h"
#include "engine/transport.h"

namespace te::engine {

namespace {
constexpr EnumName<MemoryKind> kMemoryKinds[] = {{MemoryKind::kDram, "dram"}, {MemoryKind::kVram, "vram"}};
}  // namespace

const char* memoryKindName(MemoryKind kind) { return enumName(kMemoryKinds, kind); }
bool parseMemoryKind(const std::string& text, MemoryKind* out) { return parseEnum(kMemoryKinds, text, out); }
const char* opCodeName(OpCode op) { return op == OpCode::kRead ? "read" : "write"; }

void TransportWorker::waitForProgress(std::chrono::microseconds max_wait) {
  std::this_thread::sleep_for(max_wait);
}

}  // namespace te::engine
