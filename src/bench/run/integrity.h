// --integrity-check: every rank fills its buffer with a pattern derived from (rank, epoch)
// before a phase; after it, initiators verify what READs brought into their local half and
// targets verify their exposed half. Every block must be exactly one of the patterns that
// could legally be there (its own, or a peer's shifted by the half), so corruption, torn or
// misplaced transfers are caught; a WRITE link that landed nothing is caught too.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/cli/config.h"
#include "bench/run/bench_memory.h"
#include "common/status.h"

namespace te::bench {

// The block grid both sides share: each thread owns `blocks` blocks of `block_size` bytes
// from `begin`, offsets relative to the local half. Offsets in messages are logical: the
// local buffer is [0, half), the exposed one [half, 2 * half).
struct BlockGrid {
  uint64_t half = 0;
  uint64_t block_size = 0;
  std::vector<uint64_t> begins;  // per thread
  uint64_t blocks = 0;           // per thread
};

BlockGrid makeGrid(uint64_t buffer_length, uint64_t block_size, int threads);

Status fillForEpoch(BenchMemory& memory, int rank, uint64_t epoch);

// As initiator: `targets` were read from (READ / mix) in this epoch.
Status verifyLocalHalf(const BenchMemory& memory, const BlockGrid& grid, int rank, const std::vector<int>& targets,
                       Workload workload, uint64_t epoch, const std::vector<std::string>& hosts);

// As target: `initiators` wrote (WRITE / mix) or read in this epoch.
Status verifyExposedHalf(const BenchMemory& memory, const BlockGrid& grid, int rank, const std::vector<int>& initiators,
                         Workload workload, uint64_t epoch, const std::vector<std::string>& hosts);

}  // namespace te::bench
