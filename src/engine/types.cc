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

std::vector<NicTraffic> nicTrafficSince(const std::vector<NicTraffic>& before, const std::vector<NicTraffic>& after) {
  std::vector<NicTraffic> out;
  for (const NicTraffic& a : after) {
    NicTraffic d = a;
    for (const NicTraffic& b : before) {
      if (b.local_device != a.local_device || b.remote_device != a.remote_device) continue;
      if (b.bytes <= a.bytes && b.slices <= a.slices) {
        d.bytes -= b.bytes;
        d.slices -= b.slices;
      }
      break;
    }
    out.push_back(std::move(d));  // a pair that moved nothing says so
  }
  return out;
}

}  // namespace te::engine
