// Plain data types of the engine's data path: requests, completions, memory kinds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace te::engine {

enum class MemoryKind : uint8_t { kDram = 0, kVram = 1 };
enum class OpCode : uint8_t { kRead = 0, kWrite = 1 };

const char* memoryKindName(MemoryKind kind);
bool parseMemoryKind(const std::string& text, MemoryKind* out);  // "dram" | "vram"
const char* opCodeName(OpCode op);

// Index of a registered region in the registering rank's table. Regions registered before
// connect() are published to every peer in registration order, so a peer addresses them
// by the same index.
using RegionId = uint32_t;

// One transfer. READ copies remote -> local, WRITE local -> remote. Offsets are relative to
// the start of the region. `user_data` comes back in the completion.
struct Request {
  OpCode op = OpCode::kWrite;
  RegionId local_region = 0;
  uint64_t local_offset = 0;
  int32_t peer = 0;
  RegionId remote_region = 0;
  uint64_t remote_offset = 0;
  uint64_t length = 0;
  uint64_t user_data = 0;
};

// A finished request. `code` is kOk or the failure class; the text of the first failure is
// kept by the worker (lastError()) so that the data path never allocates.
struct Completion {
  uint64_t user_data = 0;
  StatusCode code = StatusCode::kOk;
};

// What a remote region looks like to an initiator.
// One link of a schedule's phase, as a transport that connects per phase is told it.
struct PhaseLink {
  int initiator = -1;
  int target = -1;
};

struct RemoteRegionInfo {
  uint64_t length = 0;
  MemoryKind kind = MemoryKind::kDram;
};

// Bytes and slices posted to a peer through one (local NIC, remote NIC) pair
// (Transport::nicTraffic).
struct NicTraffic {
  std::string local_device;
  std::string remote_device;
  uint64_t bytes = 0;
  uint64_t slices = 0;
};

// The part of `after` that is new since `before` (same pairs; a pair missing from `before`,
// or counted from zero again since, is all new). A pair that moved nothing stays, zeros.
std::vector<NicTraffic> nicTrafficSince(const std::vector<NicTraffic>& before, const std::vector<NicTraffic>& after);

}  // namespace te::engine
