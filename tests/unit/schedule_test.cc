#include "bench/run/schedule.h"

#include <gtest/gtest.h>

#include <set>

namespace te::bench {
namespace {

class PairsSchedule : public ::testing::TestWithParam<int> {};

TEST_P(PairsSchedule, EveryDirectedLinkExactlyOnceAndNoRankTwiceInAPhase) {
  const int n = GetParam();
  std::vector<Phase> phases = pairsSchedule(n);
  std::set<std::pair<int, int>> seen;
  for (const Phase& phase : phases) {
    std::set<int> busy;
    for (const Link& l : phase) {
      ASSERT_NE(l.initiator, l.target);
      ASSERT_GE(l.initiator, 0);
      ASSERT_LT(l.target, n);
      EXPECT_TRUE(busy.insert(l.initiator).second) << "rank " << l.initiator << " twice in a phase";
      EXPECT_TRUE(busy.insert(l.target).second) << "rank " << l.target << " twice in a phase";
      EXPECT_TRUE(seen.insert({l.initiator, l.target}).second) << l.initiator << "->" << l.target << " twice";
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(n * (n - 1)));
  // Even N: 2(N-1) phases; odd N: 2N (one rank sits out each round).
  EXPECT_EQ(phases.size(), static_cast<size_t>(n % 2 == 0 ? 2 * (n - 1) : 2 * n));
  // Phases are as full as they can be: floor(N/2) links each.
  for (const Phase& phase : phases) EXPECT_EQ(phase.size(), static_cast<size_t>(n / 2));
}

INSTANTIATE_TEST_SUITE_P(Sizes, PairsSchedule, ::testing::Values(2, 3, 4, 5, 7, 8, 16, 33, 64));

TEST(PairsScheduleEdge, FewerThanTwoRanksHasNoPhase) {
  EXPECT_TRUE(pairsSchedule(0).empty());
  EXPECT_TRUE(pairsSchedule(1).empty());
}

}  // namespace
}  // namespace te::bench
