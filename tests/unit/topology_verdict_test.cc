// Topology-aware verdicts on synthetic matrices: a slow uplink among three leaves is named
// (and nothing else), a slow host under a leaf stays a host, a whole slow leaf is a switch,
// a slow rail across hosts is a rail and one host's rail a rank on that rail.
#include <gtest/gtest.h>

#include <functional>

#include "bench/analysis/analysis.h"
#include "bench/analysis/topology_conf.h"

namespace te::bench {
namespace {

constexpr double kFast = 10e9;

// Deterministic +-3% noise, so medians are not ties.
double jitter(int i, int t) { return 1 + 0.03 * (((i * 7919 + t * 104729) % 21) - 10) / 10.0; }

std::vector<LinkResult> allPairs(int n, const std::function<double(int, int)>& bps) {
  std::vector<LinkResult> links;
  for (int i = 0; i < n; ++i) {
    for (int t = 0; t < n; ++t) {
      if (i == t) continue;
      LinkResult l;
      l.link = {i, t};
      l.bytes = static_cast<uint64_t>(bps(i, t) * jitter(i, t));
      l.ops = l.bytes / 65536;
      l.seconds = 1.0;
      links.push_back(l);
    }
  }
  return links;
}

// Three leaves of three hosts (h0..h8) under one spine; `ranks_per_host` ranks each.
constexpr const char* kThreeLeaves =
    "SwitchName=leaf1 Nodes=h[0-2]\nSwitchName=leaf2 Nodes=h[3-5]\nSwitchName=leaf3 Nodes=h[6-8]\n"
    "SwitchName=spine1 Switches=leaf[1-3]\n";

AnalysisOptions withTopology(const char* text) {
  AnalysisOptions o;
  o.topology = std::make_shared<const Topology>(Topology::parse(text, "topo.conf").value());
  return o;
}

std::vector<std::string> hosts(int n, int ranks_per_host) {
  std::vector<std::string> out;
  for (int r = 0; r < n; ++r) out.push_back("h" + std::to_string(r / ranks_per_host));
  return out;
}

std::vector<std::string> suspectNames(const BlockAnalysis& a) {
  std::vector<std::string> out;
  for (const Suspect& s : a.suspects) {
    out.push_back(s.kind + " " + (s.kind == "rank" ? std::to_string(s.rank) : s.kind == "host" ? s.host : s.name));
  }
  return out;
}

int leafOfHost(int h) { return h / 3; }

TEST(TopologyVerdict, SlowUplinkIsNamedAndNothingElse) {
  // Every path through leaf2's uplink (one host under leaf2, the other not) at a tenth: two
  // thirds of the cross-leaf links, so their own median is slow and no link stands out.
  auto links = allPairs(9, [](int i, int t) { return (leafOfHost(i) == 1) != (leafOfHost(t) == 1) ? 0.1 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(9, 1), withTopology(kThreeLeaves));
  EXPECT_EQ(suspectNames(a), std::vector<std::string>{"uplink leaf2"});
  ASSERT_EQ(a.suspects.size(), 1u);
  EXPECT_EQ(a.suspects[0].flagged_links, 36u);  // 3 hosts x 6 outside x 2 directions
  EXPECT_EQ(a.suspects[0].total_links, 36u);
  EXPECT_EQ(a.suspects[0].level, 0);
  EXPECT_NEAR(a.suspects[0].ratio, 0.1, 0.02);
  EXPECT_TRUE(a.unexplained.empty());
  // A link through the uplink was judged against what its peers reach, not its class median.
  const LinkVerdict& v = a.verdicts[3 * 8 + 0];  // 3 -> 0
  EXPECT_EQ(v.path.kind, PathKind::kThroughSwitch);
  EXPECT_EQ(describePath(v.path, withTopology(kThreeLeaves).topology.get()), "through-switch spine1 (level 1)");
  EXPECT_TRUE(v.flagged);
  EXPECT_NEAR(v.reference, kFast, 0.05 * kFast);
  EXPECT_EQ(a.verdicts[3 * 8 + 3].path.kind, PathKind::kSameSwitch);  // 3 -> 4
  EXPECT_FALSE(a.verdicts[3 * 8 + 3].flagged);
  EXPECT_EQ(a.path_classes, (std::vector<std::string>{"same-switch", "through-switch level 1"}));
  ASSERT_EQ(a.per_switch.size(), 3u);
  EXPECT_EQ(a.per_switch[1].name, "leaf2");
  EXPECT_LT(a.per_switch[1].as_initiator.median, 0.5 * kFast);
}

TEST(TopologyVerdict, WithoutTheFileNoFabricSuspect) {
  auto links = allPairs(9, [](int i, int t) { return (leafOfHost(i) == 1) != (leafOfHost(t) == 1) ? 0.1 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(9, 1), {});
  for (const Suspect& s : a.suspects) EXPECT_TRUE(s.kind == "host" || s.kind == "rank") << s.kind;
  EXPECT_EQ(a.path_classes, std::vector<std::string>{"inter-host"});
}

TEST(TopologyVerdict, SlowHostUnderALeafStaysAHost) {
  auto links = allPairs(9, [](int i, int t) { return i == 4 || t == 4 ? 0.2 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(9, 1), withTopology(kThreeLeaves));
  EXPECT_EQ(suspectNames(a), std::vector<std::string>{"host h4"});
  EXPECT_TRUE(a.unexplained.empty());
}

TEST(TopologyVerdict, WholeSlowLeafIsTheSwitch) {
  auto links = allPairs(9, [](int i, int t) { return leafOfHost(i) == 1 || leafOfHost(t) == 1 ? 0.2 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(9, 1), withTopology(kThreeLeaves));
  EXPECT_EQ(suspectNames(a), std::vector<std::string>{"switch leaf2"});
  EXPECT_EQ(a.suspects[0].total_links, 36u + 6u);  // through its uplink, and inside it
  EXPECT_TRUE(a.unexplained.empty());
}

TEST(TopologyVerdict, UplinkAndASlowHostElsewhereAreBothNamed) {
  auto links = allPairs(9, [](int i, int t) {
    if (i == 7 || t == 7) return 0.3 * kFast;
    return (leafOfHost(i) == 1) != (leafOfHost(t) == 1) ? 0.1 * kFast : kFast;
  });
  BlockAnalysis a = analyzeLinks(links, hosts(9, 1), withTopology(kThreeLeaves));
  EXPECT_EQ(suspectNames(a), (std::vector<std::string>{"uplink leaf2", "host h7"}));
}

TEST(TopologyVerdict, ASlowPairUnderTheSlowLeafIsALinkNotTwoHosts) {
  // Two hosts per leaf: once the uplink explains their other links, h2 and h3 have only each
  // other; their slow pair is a slow link (which host is at fault cannot be told).
  constexpr const char* kPairs =
      "SwitchName=leaf1 Nodes=h[0-1]\nSwitchName=leaf2 Nodes=h[2-3]\nSwitchName=leaf3 Nodes=h[4-5]\n"
      "SwitchName=spine1 Switches=leaf[1-3]\n";
  auto under2 = [](int r) { return r == 2 || r == 3; };
  auto links = allPairs(6, [&](int i, int t) { return under2(i) != under2(t) ? 0.01 * kFast : under2(i) ? 0.4 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(6, 1), withTopology(kPairs));
  EXPECT_EQ(suspectNames(a), std::vector<std::string>{"uplink leaf2"});
  EXPECT_EQ(a.unexplained.size(), 2u);  // 2 -> 3 and 3 -> 2
}

TEST(TopologyVerdict, HostInNoSwitchIsItsOwnGroup) {
  auto links = allPairs(10, [](int, int) { return kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(10, 1), withTopology(kThreeLeaves));
  EXPECT_EQ(a.unplaced_hosts, std::vector<std::string>{"h9"});
  EXPECT_EQ(a.verdicts[9 * 9 + 0].path.kind, PathKind::kNoCommonSwitch);  // 9 -> 0
  EXPECT_TRUE(a.suspects.empty());
}

TEST(TopologyVerdict, SlowRailAcrossHostsIsTheRail) {
  // 4 hosts x 4 ranks, rank r on rail r % 4; every link between hosts touching rail 3 slow.
  auto links = allPairs(16, [](int i, int t) { return i / 4 != t / 4 && (i % 4 == 3 || t % 4 == 3) ? 0.2 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(16, 4), {});
  EXPECT_EQ(suspectNames(a), std::vector<std::string>{"rail 3"});
  EXPECT_EQ(a.suspects[0].rail, 3);
  EXPECT_TRUE(a.unexplained.empty());
  EXPECT_EQ(a.path_classes, (std::vector<std::string>{"same-host", "inter-host same-rail", "inter-host cross-rail"}));
  ASSERT_EQ(a.rail_pairs.size(), 4u);
  EXPECT_LT(a.rail_pairs[3][3].median, 0.5 * kFast);
  EXPECT_GT(a.rail_pairs[2][2].median, 0.9 * kFast);
  ASSERT_EQ(a.per_rail.size(), 4u);
}

TEST(TopologyVerdict, OneHostsRailIsARankOnThatRail) {
  auto links = allPairs(16, [](int i, int t) { return i / 4 != t / 4 && (i == 11 || t == 11) ? 0.2 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts(16, 4), {});
  EXPECT_EQ(suspectNames(a), std::vector<std::string>{"rank 11"});
  EXPECT_EQ(a.suspects[0].rail, 3);
  EXPECT_EQ(a.suspects[0].host, "h2");
}

TEST(TopologyVerdict, RetestAloneClearsAnUplinkSlowOnlyUnderLoad) {
  auto links = allPairs(9, [](int i, int t) { return (leafOfHost(i) == 1) != (leafOfHost(t) == 1) ? 0.1 * kFast : kFast; });
  const AnalysisOptions options = withTopology(kThreeLeaves);
  BlockAnalysis a = analyzeLinks(links, hosts(9, 1), options);
  std::vector<LinkResult> alone;
  for (const Link& l : linksToRetest(links, a)) {
    LinkResult r;
    r.link = l;
    r.bytes = static_cast<uint64_t>(kFast);
    r.seconds = 1;
    alone.push_back(r);
  }
  EXPECT_EQ(alone.size(), 36u);
  applyRetests(links, alone, hosts(9, 1), options, &a);
  EXPECT_TRUE(a.suspects.empty());
  EXPECT_TRUE(a.unexplained.empty());
}

}  // namespace
}  // namespace te::bench
