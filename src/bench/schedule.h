// Link schedules: which directed links (initiator -> target) run together in each phase.
#pragma once

#include <string>
#include <vector>

namespace te::bench {

struct Link {
  int initiator;
  int target;
  bool operator==(const Link& o) const { return initiator == o.initiator && target == o.target; }
};

// One phase: links measured at the same time. No rank appears in two links of a phase
// unless the schedule says so (shift, one-to-all).
using Phase = std::vector<Link>;

// Round-robin tournament (circle method): N-1 rounds of disjoint pairs (N rounds with a
// bye for odd N); each round is two phases, one per direction, so every directed link is
// measured while its two endpoints do nothing else. 2(N-1) phases for even N, 2N for odd.
std::vector<Phase> pairsSchedule(int n);

}  // namespace te::bench
