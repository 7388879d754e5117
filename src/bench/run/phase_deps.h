// Pair handshakes between phases (instead of a hand-off at rank 0 after each): a rank starts
// phase p once the ranks whose traffic could still touch its links are through phase p - 1.
// A link A -> B of phase p runs while A's and B's NICs carry nothing of an earlier phase:
// A waits for "through p - 1" from its own phase p - 1 partners, from B, and from B's
// phase p - 1 partners (partners: the ranks a rank initiates to or is initiated by in a
// phase). A rank with no link in phase p still goes through it (waits for its partners of
// p - 1, then says it is through), so "through p" of a rank means every phase up to p is
// over at its NIC. A straggling link then holds up the few ranks near it, not the whole
// schedule. docs/report-schema.md ("phases") says what this keeps and what it changes.
#pragma once

#include <vector>

#include "bench/run/schedule.h"

namespace te::bench {

class PhaseDeps {
 public:
  PhaseDeps(const std::vector<Phase>& phases, int world) : phases_(phases), world_(world) {}

  // Whether the schedule is one for handshakes: more than one phase, each of which keeps at
  // least world - 1 ranks busy (pairs, bidir, shifts). Sparse phases (retests, one link at a
  // time) are measured alone in the fabric: they keep the hand-off at rank 0.
  static bool suits(const std::vector<Phase>& phases, int world);

  // The ranks whose "through phase p - 1" `rank` waits for before it starts phase p (p >= 1),
  // ascending, without `rank`.
  std::vector<int> needs(int rank, size_t p) const;
  // The ranks to tell that `rank` is through phase p (those whose needs(., p + 1) name it);
  // none after the last phase.
  std::vector<int> tells(int rank, size_t p) const;

 private:
  // Each rank's partners in phase p.
  std::vector<std::vector<int>> partners(size_t p) const;
  // Each rank's targets in phase p.
  std::vector<std::vector<int>> targets(size_t p) const;
  static std::vector<int> needsOf(int rank, const std::vector<std::vector<int>>& before, const std::vector<int>& targets);

  const std::vector<Phase>& phases_;
  const int world_;
};

}  // namespace te::bench
