// Lean queues: send-queue depth and inline data sized to what the run posts (under what the
// device allows), and the queue memory that costs, modelled on mlx5 (rdma-core's
// providers/mlx5/verbs.c: mlx5_calc_send_wqe, mlx5_calc_sq_size). Pure, for unit tests.
#pragma once

#include <cstdint>

namespace te::engine::verbs {

// Inline bytes asked of every QP when the run's WRITEs may be that small.
inline constexpr uint32_t kInlineWanted = 128;
inline constexpr uint32_t kMinLaneDepth = 16;

// Send-queue entries one lane can use at most: every request a worker has outstanding,
// sliced, spread round robin over its `lanes_per_peer` lanes to one peer (all of them may go
// to one peer); at least kMinLaneDepth. 0 when unknown (requests_in_flight 0).
uint32_t depthNeeded(uint64_t requests_in_flight, uint64_t largest_request, uint64_t slice_size, int lanes_per_peer);

// Inline bytes worth asking for: kInlineWanted, or 0 when no WRITE of the run fits in it
// (`smallest_write` 0: the run posts none; ~0: unknown) or no local region is host memory.
uint32_t inlineWanted(uint64_t smallest_write, uint64_t slice_size, bool host_region);

// Bytes of one QP's send queue on mlx5: WQEs of ctrl + remote address (+ inline data, or one
// data segment), 64-byte blocks, the whole queue a power of two. `lean_ops`: made with only
// RDMA WRITE / READ declared (else the provider reserves room for memory-window binds).
uint64_t sendQueueBytes(uint32_t depth, uint32_t max_inline, bool lean_ops);
// The WQE size that goes with it (64, 128, 192, ... bytes).
uint32_t sendWqeBytes(uint32_t max_inline, bool lean_ops);

}  // namespace te::engine::verbs
