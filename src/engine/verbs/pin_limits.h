// What a run pins (registered buffers on every NIC, queue memory of its QPs and CQs) checked
// against RLIMIT_MEMLOCK before anything is registered, and fork safety (ibv_fork_init)
// before the first registration. The arithmetic and the message are pure, for tests.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace te::engine::verbs {

// Bytes of queue memory one QP entry pins, at most: a send WQE with inline data (mlx5: 384
// with 128 inline bytes) and its CQE (64).
inline constexpr uint64_t kWqeBytesEstimate = 384;
inline constexpr uint64_t kCqeBytesEstimate = 64;
inline constexpr uint64_t kQpFixedBytesEstimate = 4096;  // receive queue, doorbell record

struct PinEstimate {
  uint64_t buffer_bytes = 0;  // host memory registered (each NIC registers all of it)
  int nics = 1;
  uint64_t qps = 0;           // RC QPs of this rank, all NICs together
  uint32_t depth = 0;         // send-queue entries per QP

  uint64_t queueBytes() const;
  uint64_t total() const { return buffer_bytes * static_cast<uint64_t>(nics) + queueBytes(); }
};

// QPs of a rank that talks to every other of `world_size` ranks: workers x NICs x
// qps_per_peer per peer (ChannelPlan, when the peers look like this rank).
uint64_t plannedQps(int world_size, int workers, int nics, int qps_per_peer);

// "" when `limit_bytes` covers the estimate (or is kUnlimited); else the one line that says
// the numbers and the fix.
inline constexpr uint64_t kUnlimited = ~0ull;
std::string memlockShortfall(uint64_t limit_bytes, const PinEstimate& pin);

// The soft RLIMIT_MEMLOCK against `pin`: kUnavailable with memlockShortfall's line when it is
// too low. Passes where the process holds CAP_IPC_LOCK (the kernel does not apply the limit).
Status checkMemlock(const PinEstimate& pin);

// ibv_fork_init() once per process, unless fork safety is already on (RDMAV_FORK_SAFE,
// read by libibverbs itself) or the kernel makes it unneeded. A failure is a warning.
void initForkSafety();

}  // namespace te::engine::verbs
