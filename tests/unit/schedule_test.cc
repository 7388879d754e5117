#include "bench/run/schedule.h"

#include "bench/run/group_names.h"
#include "bench/run/results.h"

#include <tuple>

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

namespace te::bench {
namespace {

// Issue 23: the loaded schedules cover what they say, and --groups parses and refuses.
TEST(LoadedSchedules, AllToAllIncastOutcastAndMToN) {
  auto a2a = allToAllSchedule(4);
  ASSERT_EQ(a2a.size(), 1u);
  EXPECT_EQ(a2a[0].size(), 12u);  // every directed link at once
  auto in = incastSchedule(4, 0);
  ASSERT_EQ(in.size(), 4u);  // every rank a target once
  for (size_t t = 0; t < in.size(); ++t) {
    EXPECT_EQ(in[t].size(), 3u);
    for (const Link& l : in[t]) EXPECT_EQ(l.target, static_cast<int>(t));
  }
  auto in2 = incastSchedule(5, 2);
  EXPECT_EQ(in2[4][0], (Link{0, 4}));
  EXPECT_EQ(in2[4][1], (Link{1, 4}));
  auto out = outcastSchedule(3, 1);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2][0], (Link{2, 0}));
  auto mn = mToNSchedule({0, 1}, {1, 2, 3});
  ASSERT_EQ(mn.size(), 1u);
  EXPECT_EQ(mn[0].size(), 5u);  // 1 -> 1 left out
  std::vector<int> from, to;
  ASSERT_TRUE(parseGroups("0-2,5:6,8-9", &from, &to).isOk());
  EXPECT_EQ(from, (std::vector<int>{0, 1, 2, 5}));
  EXPECT_EQ(to, (std::vector<int>{6, 8, 9}));
  for (const char* bad : {"", "0-3", "3-1:4", "a:1", "0:", ":1", "0,,1:2"}) {
    EXPECT_FALSE(parseGroups(bad, &from, &to).isOk()) << bad;
  }
}

TEST(LoadedSchedules, RankLoadsSumEachPhasesLinks) {
  std::vector<LinkResult> links;
  for (auto [i, t, phase] : std::vector<std::tuple<int, int, uint32_t>>{{0, 1, 0}, {0, 2, 0}, {1, 0, 1}, {2, 0, 1}}) {
    LinkResult l;
    l.link = {i, t};
    l.phase = phase;
    l.bytes = 1000;
    l.ops = 1;
    l.seconds = 1;
    links.push_back(l);
  }
  EXPECT_TRUE(loadedSchedule(links));
  std::vector<RankLoad> loads = rankLoads(links, 3);
  EXPECT_DOUBLE_EQ(loads[0].injection, 2000);
  EXPECT_EQ(loads[0].links_out, 2u);
  EXPECT_DOUBLE_EQ(loads[0].ejection, 2000);
  EXPECT_DOUBLE_EQ(loads[1].ejection, 1000);
  EXPECT_FALSE(loadedSchedule({links[0], links[2]}));
}

}  // namespace
}  // namespace te::bench

namespace te::bench {
namespace {

TEST(LoadedSchedules, GroupsByHostOrSwitch) {
  EXPECT_FALSE(groupsNameHosts("0-3,7:8-15"));
  EXPECT_TRUE(groupsNameHosts("leaf1:leaf2"));
  EXPECT_TRUE(groupsNameHosts("0-1:node7"));
  const std::vector<std::string> hosts = {"n0", "n0", "n1.cluster", "n2", "n3", "n3"};
  const Topology topo =
      Topology::parse("SwitchName=leaf1 Nodes=n[0-1]\nSwitchName=leaf2 Nodes=n[2-3]\nSwitchName=spine Switches=leaf[1-2]\n",
                      "topo.conf")
          .value();
  std::vector<int> from, to;
  ASSERT_TRUE(resolveGroups("leaf1:leaf2", hosts, &topo, &from, &to).isOk());
  EXPECT_EQ(from, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(to, (std::vector<int>{3, 4, 5}));
  ASSERT_TRUE(resolveGroups("n0,5:n1", hosts, nullptr, &from, &to).isOk()) << "hosts, by their short name too";
  EXPECT_EQ(from, (std::vector<int>{0, 1, 5}));
  EXPECT_EQ(to, (std::vector<int>{2}));
  ASSERT_TRUE(resolveGroups("spine:n3", hosts, &topo, &from, &to).isOk());
  EXPECT_EQ(from.size(), 6u);

  Status s = resolveGroups("leaf1:leaf9", hosts, &topo, &from, &to);
  EXPECT_EQ(s.message(), "--groups leaf1:leaf9: leaf9 is neither a rank, a host of the job nor a switch of the topology; "
                         "hosts: n0, n1.cluster, n2, n3; switches: leaf1, leaf2, spine");
  s = resolveGroups("leaf1:leaf2", hosts, nullptr, &from, &to);
  EXPECT_NE(s.message().find("no topology (--topology FILE)"), std::string::npos) << s.message();
  EXPECT_NE(resolveGroups("n0", hosts, nullptr, &from, &to).message().find("allowed FROM:TO"), std::string::npos);
  EXPECT_NE(resolveGroups("n2:n2", hosts, nullptr, &from, &to).message().find("no link"), std::string::npos);
  EXPECT_NE(resolveGroups("n0:3-1", hosts, nullptr, &from, &to).message().find("3-1 is not a rank or a range"),
            std::string::npos);
}

}  // namespace
}  // namespace te::bench
