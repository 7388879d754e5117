#include "bench/schedule.h"

namespace te::bench {

std::vector<Phase> pairsSchedule(int n) {
  std::vector<Phase> phases;
  if (n < 2) return phases;
  // Circle method over m = n (even) or n + 1 (odd, the extra slot is a bye).
  const int m = n % 2 == 0 ? n : n + 1;
  std::vector<int> slots(m);
  for (int i = 0; i < m; ++i) slots[i] = i;
  for (int round = 0; round < m - 1; ++round) {
    Phase forward, backward;
    for (int i = 0; i < m / 2; ++i) {
      int a = slots[i], b = slots[m - 1 - i];
      if (a >= n || b >= n) continue;  // bye
      if (a > b) std::swap(a, b);
      // Alternate which side goes first so no rank is always the initiator first.
      if (round % 2 == 0) {
        forward.push_back({a, b});
        backward.push_back({b, a});
      } else {
        forward.push_back({b, a});
        backward.push_back({a, b});
      }
    }
    phases.push_back(std::move(forward));
    phases.push_back(std::move(backward));
    // Rotate every slot but the first.
    int last = slots[m - 1];
    for (int i = m - 1; i > 1; --i) slots[i] = slots[i - 1];
    slots[1] = last;
  }
  return phases;
}

}  // namespace te::bench
