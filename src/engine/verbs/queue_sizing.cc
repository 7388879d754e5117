#include "engine/verbs/queue_sizing.h"

#include <algorithm>

namespace te::engine::verbs {
namespace {

constexpr uint64_t align(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

uint64_t roundUpPow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// mlx5: a control segment (16) and a remote-address segment (16) for RDMA WRITE / READ; with
// every RC op allowed (ibv_create_qp), room for a memory-window bind: control + UMR control
// (48) + mkey context (64) + 64 = 192.
constexpr uint32_t kLeanOverhead = 32;
constexpr uint32_t kFullOverhead = 192;
constexpr uint32_t kDataSegment = 16;
constexpr uint32_t kInlineHeader = 4;
constexpr uint32_t kBasicBlock = 64;

}  // namespace

uint32_t depthNeeded(uint64_t requests_in_flight, uint64_t largest_request, uint64_t slice_size, int lanes_per_peer) {
  if (requests_in_flight == 0 || slice_size == 0) return 0;
  const uint64_t slices = std::max<uint64_t>(1, (largest_request + slice_size - 1) / slice_size);
  const uint64_t lanes = static_cast<uint64_t>(std::max(lanes_per_peer, 1));
  const uint64_t need = (requests_in_flight * slices + lanes - 1) / lanes;
  return static_cast<uint32_t>(std::clamp<uint64_t>(need, kMinLaneDepth, 1u << 20));
}

uint32_t inlineWanted(uint64_t smallest_write, uint64_t slice_size, bool host_region) {
  if (!host_region || smallest_write == 0) return 0;
  if (smallest_write == ~0ull) return kInlineWanted;  // unknown: whatever may come
  return std::min(smallest_write, slice_size) <= kInlineWanted ? kInlineWanted : 0;
}

uint32_t sendWqeBytes(uint32_t max_inline, bool lean_ops) {
  const uint64_t overhead = lean_ops ? kLeanOverhead : kFullOverhead;
  uint64_t size = overhead + kDataSegment;
  if (max_inline > 0) size = std::max(size, overhead + align(kInlineHeader + max_inline, 16));
  return static_cast<uint32_t>(align(size, kBasicBlock));
}

uint64_t sendQueueBytes(uint32_t depth, uint32_t max_inline, bool lean_ops) {
  if (depth == 0) return 0;
  return roundUpPow2(static_cast<uint64_t>(depth) * sendWqeBytes(max_inline, lean_ops));
}

}  // namespace te::engine::verbs
