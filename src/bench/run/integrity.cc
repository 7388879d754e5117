#include "bench/run/integrity.h"

#include <cstdio>

#include "engine/memory/pattern.h"

namespace te::bench {
namespace {

using engine::patternSeed;
using engine::verifyPattern;

struct Candidate {
  int rank;             // whose pattern
  uint64_t seed;
  int64_t shift;        // pattern offset = buffer offset + shift
};

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Returns the index of the candidate the block at logical `offset` (byte `at` of `buffer`)
// matches, or -1 with *error describing the candidate that matched longest.
Result<int> matchBlock(const engine::Buffer& buffer, uint64_t at, uint64_t offset, uint64_t length,
                       const std::vector<Candidate>& candidates, std::string* error, int rank,
                       const std::vector<std::string>& hosts) {
  uint64_t best_prefix = 0;
  int best = 0;
  engine::PatternMismatch best_miss{};
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    TE_ASSIGN_OR_RETURN(std::optional<engine::PatternMismatch> miss,
                        buffer.verifyPattern(at, length, c.seed, offset + c.shift));
    if (!miss) return static_cast<int>(i);
    uint64_t prefix = miss->offset - (offset + c.shift);
    if (i == 0 || prefix > best_prefix) {
      best_prefix = prefix;
      best = static_cast<int>(i);
      best_miss = *miss;
    }
  }
  const Candidate& c = candidates[best];
  uint64_t where = best_miss.offset - c.shift;
  *error = "integrity check failed on rank " + std::to_string(rank) + " (" + hosts[rank] + "): buffer offset " +
           hex(where) + " holds " + hex(best_miss.actual) + ", expected " + hex(best_miss.expected) + " (" +
           (c.rank == rank ? "its own pattern" : "the pattern of rank " + std::to_string(c.rank) + " (" +
                                                    hosts[c.rank] + ")") +
           "; block of " + std::to_string(length) + " bytes at " + hex(offset) + ")";
  return -1;
}

}  // namespace

BlockGrid makeGrid(uint64_t buffer_length, uint64_t block_size, int threads) {
  BlockGrid g;
  g.half = buffer_length / 2;
  g.block_size = block_size;
  uint64_t per_thread_blocks = g.half / static_cast<uint64_t>(threads) / block_size;
  if (per_thread_blocks >= 1) {
    g.blocks = per_thread_blocks;
    for (int t = 0; t < threads; ++t) g.begins.push_back(static_cast<uint64_t>(t) * per_thread_blocks * block_size);
  } else {  // too small for a slice per thread: the threads share the half
    g.blocks = std::max<uint64_t>(1, g.half / block_size);
    g.begins.assign(threads, 0);
  }
  return g;
}

Status fillForEpoch(BenchMemory& memory, int rank, uint64_t epoch) {
  const uint64_t seed = patternSeed(static_cast<uint64_t>(rank), epoch);
  TE_RETURN_IF_ERROR(memory.local->fillPattern(0, memory.half(), seed, 0));
  return memory.exposed->fillPattern(0, memory.half(), seed, memory.half());
}

Status verifyLocalHalf(const BenchMemory& memory, const BlockGrid& grid, int rank, const std::vector<int>& targets,
                       Workload workload, uint64_t epoch, const std::vector<std::string>& hosts) {
  // A local block holds our own pattern (never read into) or what a READ brought from a
  // target's exposed half at offset + half.
  std::vector<Candidate> candidates = {{rank, patternSeed(rank, epoch), 0}};
  for (int t : targets) candidates.push_back({t, patternSeed(t, epoch), static_cast<int64_t>(grid.half)});
  if (workload == Workload::kWrite) candidates.resize(1);  // WRITE never changes the local half
  std::string error;
  for (uint64_t begin : grid.begins) {
    for (uint64_t b = 0; b < grid.blocks; ++b) {
      const uint64_t offset = begin + b * grid.block_size;
      TE_ASSIGN_OR_RETURN(int m, matchBlock(*memory.local, offset, offset, grid.block_size, candidates, &error, rank, hosts));
      if (m < 0) {
        return dataLoss(error + (workload == Workload::kWrite ? " [local half, a WRITE source]" : " [local half]"));
      }
    }
  }
  return Status::ok();
}

Status verifyExposedHalf(const BenchMemory& memory, const BlockGrid& grid, int rank, const std::vector<int>& initiators,
                         Workload workload, uint64_t epoch, const std::vector<std::string>& hosts) {
  std::vector<Candidate> candidates = {{rank, patternSeed(rank, epoch), 0}};
  if (workload != Workload::kRead) {
    for (int i : initiators) candidates.push_back({i, patternSeed(i, epoch), -static_cast<int64_t>(grid.half)});
  }
  std::vector<uint64_t> landed(candidates.size(), 0);
  std::string error;
  for (uint64_t begin : grid.begins) {
    for (uint64_t b = 0; b < grid.blocks; ++b) {
      const uint64_t at = begin + b * grid.block_size;
      TE_ASSIGN_OR_RETURN(int m, matchBlock(*memory.exposed, at, grid.half + at, grid.block_size, candidates, &error,
                                            rank, hosts));
      if (m < 0) return dataLoss(error + " [exposed half]");
      ++landed[m];
    }
  }
  // With one writer every block it reached is its own; with several, later writes win and
  // an initiator may legitimately have no block left.
  if (workload == Workload::kWrite && initiators.size() == 1) {
    for (size_t i = 1; i < candidates.size(); ++i) {
      if (landed[i] == 0) {
        return dataLoss("integrity check failed on rank " + std::to_string(rank) + " (" + hosts[rank] +
                        "): no WRITE from rank " + std::to_string(candidates[i].rank) + " (" +
                        hosts[candidates[i].rank] + ") landed in its exposed half");
      }
    }
  }
  return Status::ok();
}

}  // namespace te::bench
