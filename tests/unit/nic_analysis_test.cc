// Per-NIC verdicts on synthetic links: each rank stripes over its NICs, lanes pair NIC k with
// the peer's NIC k (or its only one); a slow NIC moves a smaller share of every link through
// it. The NIC is named, its peers are not; an even split names nothing.
#include "bench/analysis/nic_analysis.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/run/results.h"

namespace te::bench {
namespace {

constexpr uint64_t kBytes = 1000000000;

// Rank r has nics[r] NICs named "mlx5_<k>"; NIC `slow_nic` of rank `slow_rank` (if any) moves
// `slow_part` of what each other lane moves. Lane k pairs local NIC k % a with remote k % b.
std::vector<LinkResult> stripedLinks(const std::vector<int>& nics, int slow_rank, int slow_nic, double slow_part) {
  std::vector<LinkResult> links;
  const int n = static_cast<int>(nics.size());
  for (int i = 0; i < n; ++i) {
    for (int t = 0; t < n; ++t) {
      if (i == t) continue;
      LinkResult l;
      l.link = {i, t};
      l.seconds = 1.0;
      const int lanes = std::max(nics[i], nics[t]);
      std::vector<double> weight(lanes, 1.0);
      for (int k = 0; k < lanes; ++k) {
        const bool slow = (i == slow_rank && k % nics[i] == slow_nic) || (t == slow_rank && k % nics[t] == slow_nic);
        if (slow) weight[k] = slow_part;
      }
      double sum = 0;
      for (double w : weight) sum += w;
      for (int k = 0; k < lanes; ++k) {
        engine::NicTraffic tr{"mlx5_" + std::to_string(k % nics[i]), "mlx5_" + std::to_string(k % nics[t]),
                              static_cast<uint64_t>(double(kBytes) * weight[k] / sum), 100};
        l.bytes += tr.bytes;
        l.nics.push_back(tr);
      }
      l.ops = l.bytes / 65536;
      links.push_back(l);
    }
  }
  return links;
}

std::vector<std::string> hostsOf(int n) {
  std::vector<std::string> h;
  for (int r = 0; r < n; ++r) h.push_back("h" + std::to_string(r));
  return h;
}

TEST(NicAnalysis, TheSlowNicOfARankIsNamedNotItsPeers) {
  // Four hosts with two NICs each; h2's mlx5_1 moves a third of what the others move.
  const auto links = stripedLinks({2, 2, 2, 2}, 2, 1, 1.0 / 3);
  const auto verdicts = nicVerdicts(links, hostsOf(4), 0.8);
  const auto suspects = nicSuspects(verdicts);
  ASSERT_EQ(suspects.size(), 1u);
  EXPECT_EQ(suspects[0].kind, "nic");
  EXPECT_EQ(suspects[0].host, "h2");
  EXPECT_EQ(suspects[0].name, "mlx5_1");
  EXPECT_EQ(suspects[0].total_links, 6u) << "3 peers, both directions";
  EXPECT_NEAR(suspects[0].ratio, 1.0 / 3, 0.01)
      << "parts 0.5 (1/4 of the bytes x 2 NICs) and 1.5";
  EXPECT_EQ(verdicts.size(), 8u) << "every NIC of every two-NIC rank has a verdict";
}

TEST(NicAnalysis, AnEvenSplitNamesNothing) {
  const auto links = stripedLinks({2, 2, 2}, -1, -1, 1.0);
  const auto verdicts = nicVerdicts(links, hostsOf(3), 0.8);
  EXPECT_TRUE(nicSuspects(verdicts).empty());
  for (const NicVerdict& v : verdicts) EXPECT_NEAR(v.ratio, 1.0, 1e-6) << v.host << " " << v.device;
}

TEST(NicAnalysis, APeerWithOneNicTellsTheSlowEndApart) {
  // Two hosts: h0 with two NICs, h1 with one that both of h0's reach; h0's mlx5_1 is slow.
  const auto links = stripedLinks({2, 1}, 0, 1, 0.25);
  const auto suspects = nicSuspects(nicVerdicts(links, hostsOf(2), 0.8));
  ASSERT_EQ(suspects.size(), 1u);
  EXPECT_EQ(suspects[0].host, "h0");
  EXPECT_EQ(suspects[0].name, "mlx5_1");
  EXPECT_LT(suspects[0].ratio, 0.8);
}

TEST(NicAnalysis, TwoEndsThatNoLinkTellsApartAreBothNamed) {
  // Two hosts, two NICs each, lanes mlx5_1 <-> mlx5_1 slow: h0's or h1's, no third host says.
  const auto links = stripedLinks({2, 2}, 0, 1, 0.25);
  const auto suspects = nicSuspects(nicVerdicts(links, hostsOf(2), 0.8));
  ASSERT_EQ(suspects.size(), 2u);
  EXPECT_EQ(suspects[0].name, "mlx5_1");
  EXPECT_EQ(suspects[1].name, "mlx5_1");
  EXPECT_NE(suspects[0].host, suspects[1].host);
}

TEST(NicAnalysis, RanksOfOneHostShareTheirNicsVerdict) {
  // Ranks 0 and 1 on host a, 2 and 3 on host b; rank 0 and 1's mlx5_1 slow (host a's NIC).
  auto links = stripedLinks({2, 2, 2, 2}, 0, 1, 0.3);
  const auto more = stripedLinks({2, 2, 2, 2}, 1, 1, 0.3);
  for (size_t i = 0; i < links.size(); ++i) {
    if (links[i].link.initiator == 1 || links[i].link.target == 1) links[i] = more[i];
  }
  const auto suspects = nicSuspects(nicVerdicts(links, {"a", "a", "b", "b"}, 0.8));
  ASSERT_EQ(suspects.size(), 1u) << "one per host and device";
  EXPECT_EQ(suspects[0].host, "a");
  EXPECT_EQ(suspects[0].name, "mlx5_1");
}

TEST(NicAnalysis, LinksWithoutARateOrNicTrafficAreLeftOut) {
  auto links = stripedLinks({2, 2}, 0, 1, 0.25);
  for (LinkResult& l : links) l.error = "failed";
  EXPECT_TRUE(nicVerdicts(links, hostsOf(2), 0.8).empty());
  std::vector<LinkResult> plain(1);
  plain[0].link = {0, 1};
  plain[0].bytes = kBytes;
  plain[0].seconds = 1;
  EXPECT_TRUE(nicVerdicts(plain, hostsOf(2), 0.8).empty()) << "tcp / ucx: no NIC traffic";
}

TEST(NicAnalysis, TheAnalysisOfABlockNamesTheNic) {
  const auto links = stripedLinks({2, 2, 2, 2}, 3, 0, 0.2);
  AnalysisOptions options;
  BlockAnalysis a = analyzeLinks(links, hostsOf(4), options);
  applyRetests(links, {}, hostsOf(4), options, &a);
  bool named = false;
  for (const Suspect& s : a.suspects) named = named || (s.kind == "nic" && s.host == "h3" && s.name == "mlx5_0");
  EXPECT_TRUE(named);
  EXPECT_EQ(a.nics.size(), 8u);
}

TEST(NicTraffic, SinceSubtractsByPairAndKeepsIdlePairs) {
  std::vector<engine::NicTraffic> before = {{"a", "x", 100, 2}, {"b", "y", 50, 1}};
  std::vector<engine::NicTraffic> after = {{"a", "x", 300, 5}, {"b", "y", 50, 1}, {"c", "z", 7, 1}};
  const auto d = engine::nicTrafficSince(before, after);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].bytes, 200u);
  EXPECT_EQ(d[0].slices, 3u);
  EXPECT_EQ(d[1].bytes, 0u) << "a pair that moved nothing stays";
  EXPECT_EQ(d[2].bytes, 7u) << "new since: all of it";
  const auto reset = engine::nicTrafficSince({{"a", "x", 500, 9}}, {{"a", "x", 20, 1}});
  EXPECT_EQ(reset[0].bytes, 20u) << "counted from zero again (lanes rebuilt): all new";
}

TEST(NicTraffic, ResultsCarryItThroughTheWire) {
  GatheredResults g;
  LinkResult l;
  l.link = {0, 1};
  l.bytes = 10;
  l.seconds = 1;
  l.nics = {{"rxe0", "rxe0", 6, 3}, {"rxe1", "rxe0", 4, 2}};
  g.links.push_back(l);
  GatheredResults back;
  ASSERT_TRUE(deserializeResults(serializeResults(g), &back).isOk());
  ASSERT_EQ(back.links.size(), 1u);
  ASSERT_EQ(back.links[0].nics.size(), 2u);
  EXPECT_EQ(back.links[0].nics[1].local_device, "rxe1");
  EXPECT_EQ(back.links[0].nics[1].remote_device, "rxe0");
  EXPECT_EQ(back.links[0].nics[1].bytes, 4u);
  EXPECT_EQ(back.links[0].nics[1].slices, 2u);
}

}  // namespace
}  // namespace te::bench
