// Slow-link analysis on synthetic matrices: planted slow links, ranks and hosts are found,
// uniform noise is not, retests clear contention, expectations are checked.
#include "bench/analysis/analysis.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>

namespace te::bench {
namespace {

constexpr double kFast = 10e9;

// Deterministic noise in [-amplitude, +amplitude] (splitmix64 of seed and link).
double noise(uint64_t seed, int i, int t, double amplitude) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + uint64_t(i) * 1000003ull + uint64_t(t) * 7919ull + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return amplitude * (2.0 * double(z >> 11) / double(1ull << 53) - 1.0);
}

LinkResult linkAt(int i, int t, double bps) {
  LinkResult l;
  l.link = {i, t};
  l.bytes = static_cast<uint64_t>(bps);
  l.ops = l.bytes / 65536;
  l.seconds = 1.0;
  return l;
}

// Every directed link of n ranks, throughput from `bps`.
std::vector<LinkResult> allPairs(int n, const std::function<double(int, int)>& bps) {
  std::vector<LinkResult> links;
  for (int i = 0; i < n; ++i) {
    for (int t = 0; t < n; ++t) {
      if (i != t) links.push_back(linkAt(i, t, bps(i, t)));
    }
  }
  return links;
}

std::vector<std::string> hostsPerNode(int n, int ranks_per_host) {
  std::vector<std::string> hosts;
  for (int r = 0; r < n; ++r) hosts.push_back("h" + std::to_string(r / ranks_per_host));
  return hosts;
}

size_t indexOf(const std::vector<LinkResult>& links, Link l) {
  auto it = std::find_if(links.begin(), links.end(), [&](const LinkResult& x) { return x.link == l; });
  return static_cast<size_t>(it - links.begin());
}

std::vector<size_t> flaggedIndices(const BlockAnalysis& a) {
  std::vector<size_t> out;
  for (size_t i = 0; i < a.verdicts.size(); ++i) {
    if (a.verdicts[i].flagged) out.push_back(i);
  }
  return out;
}

TEST(Analysis, PlantedSlowLinkIsTheOnlyOneFlagged) {
  auto links = allPairs(8, [](int i, int t) { return i == 2 && t == 5 ? 0.3 * kFast : kFast * (1 + noise(7, i, t, 0.05)); });
  BlockAnalysis a = analyzeLinks(links, hostsPerNode(8, 1), {});
  const size_t slow = indexOf(links, {2, 5});
  EXPECT_EQ(flaggedIndices(a), std::vector<size_t>{slow});
  EXPECT_TRUE(a.verdicts[slow].confirmed);  // no retests yet: flagged counts as confirmed
  EXPECT_NEAR(a.verdicts[slow].reference, kFast, 0.05 * kFast);
  EXPECT_NEAR(a.verdicts[slow].ratio, 0.3, 0.03);
  EXPECT_TRUE(a.suspects.empty());  // one slow link is not a slow endpoint
  EXPECT_EQ(a.unexplained, std::vector<size_t>{slow});
  EXPECT_EQ(linksToRetest(links, a), (std::vector<Link>{Link{2, 5}}));
}

TEST(Analysis, PlantedSlowRankIsASuspectAndExplainsItsLinks) {
  // 4 hosts x 2 ranks; rank 3 (on h1, with rank 2) is slow in every direction.
  auto links = allPairs(8, [](int i, int t) { return (i == 3 || t == 3) ? 0.4 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hostsPerNode(8, 2), {});
  ASSERT_EQ(a.suspects.size(), 1u);
  EXPECT_EQ(a.suspects[0].kind, "rank");
  EXPECT_EQ(a.suspects[0].rank, 3);
  EXPECT_EQ(a.suspects[0].host, "h1");
  EXPECT_EQ(a.suspects[0].total_links, 14u);
  EXPECT_EQ(a.suspects[0].flagged_links, 14u);
  EXPECT_TRUE(a.unexplained.empty());
  for (size_t i = 0; i < links.size(); ++i) {
    bool touches3 = links[i].link.initiator == 3 || links[i].link.target == 3;
    EXPECT_EQ(a.verdicts[i].flagged, touches3) << links[i].link.initiator << "->" << links[i].link.target;
    // Links sharing no endpoint are the reference: the slow rank does not drag it down.
    EXPECT_DOUBLE_EQ(a.verdicts[i].reference, kFast);
  }
}

TEST(Analysis, ReferenceLeavesOutTheLinksOfTheLinksEndpoints) {
  // 4 ranks, rank 0 at 0.7: half the links are slow, so a plain median (0.85) would not
  // flag them at 0.8; links sharing no endpoint (1<->2, 2<->3, ...) say 1.0.
  auto links = allPairs(4, [](int i, int t) { return (i == 0 || t == 0) ? 0.7 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, std::vector<std::string>(4, "h"), {});
  for (size_t i = 0; i < links.size(); ++i) {
    const Link& l = links[i].link;
    EXPECT_EQ(a.verdicts[i].flagged, l.initiator == 0 || l.target == 0) << l.initiator << "->" << l.target;
    if (a.verdicts[i].flagged) {
      EXPECT_DOUBLE_EQ(a.verdicts[i].reference, kFast);
    }
  }
  ASSERT_EQ(a.suspects.size(), 1u);
  EXPECT_EQ(a.suspects[0].rank, 0);
}

TEST(Analysis, PlantedSlowHostIsNamedOnceNotPerRank) {
  // 4 hosts x 2 ranks; h0's network is slow: its inter-host links, not the intra-host ones.
  auto hosts = hostsPerNode(8, 2);
  auto links = allPairs(8, [&](int i, int t) { return (hosts[i] != hosts[t] && (i < 2 || t < 2)) ? 0.3 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hosts, {});
  ASSERT_EQ(a.suspects.size(), 1u);
  EXPECT_EQ(a.suspects[0].kind, "host");
  EXPECT_EQ(a.suspects[0].host, "h0");
  EXPECT_EQ(a.suspects[0].flagged_links, 24u);
  EXPECT_EQ(a.suspects[0].total_links, 26u);  // 24 inter-host + 0->1 and 1->0
  EXPECT_TRUE(a.unexplained.empty());
  ASSERT_EQ(a.per_host.size(), 4u);
  EXPECT_EQ(a.per_host[0].name, "h0");
  EXPECT_NEAR(a.per_host[0].as_initiator.min, 0.3 * kFast, 1);
  EXPECT_EQ(a.inter_host.count, 48u);
  EXPECT_EQ(a.intra_host.count, 8u);
  EXPECT_DOUBLE_EQ(a.intra_host.min, kFast);
}

TEST(Analysis, RanksPerNodeOverridesHostnames) {
  std::vector<std::string> same(8, "localhost");
  auto links = allPairs(8, [](int i, int t) { return (i / 2 != t / 2 && (i / 2 == 1 || t / 2 == 1)) ? 0.3 * kFast : kFast; });
  AnalysisOptions o;
  o.ranks_per_node = 2;
  BlockAnalysis a = analyzeLinks(links, same, o);
  EXPECT_EQ(localityOf({0, 1}, same, o), Locality::kIntraHost);
  EXPECT_EQ(localityOf({1, 2}, same, o), Locality::kInterHost);
  ASSERT_EQ(a.suspects.size(), 1u);
  EXPECT_EQ(a.suspects[0].kind, "host");
  EXPECT_EQ(a.suspects[0].host, "node1");
  // Without it every link is intra-host on one host, and ranks 2 and 3 are the suspects.
  BlockAnalysis by_host = analyzeLinks(links, same, {});
  EXPECT_EQ(by_host.inter_host.count, 0u);
  ASSERT_EQ(by_host.suspects.size(), 2u);
  EXPECT_EQ(by_host.suspects[0].kind, "rank");
}

TEST(Analysis, SlowRankAloneOnItsHostIsNamedAsTheHost) {
  auto links = allPairs(6, [](int i, int t) { return (i == 4 || t == 4) ? 0.5 * kFast : kFast; });
  BlockAnalysis a = analyzeLinks(links, hostsPerNode(6, 1), {});
  ASSERT_EQ(a.suspects.size(), 1u);
  EXPECT_EQ(a.suspects[0].kind, "host");
  EXPECT_EQ(a.suspects[0].host, "h4");
  EXPECT_EQ(a.suspects[0].rank, 4);
  EXPECT_TRUE(a.unexplained.empty());
}

TEST(Analysis, UniformNoiseGivesNoFalsePositive) {
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    for (int n : {2, 3, 4, 5, 8, 12}) {
      for (int per_host : {1, 2, n}) {
        auto links = allPairs(n, [&](int i, int t) { return kFast * (1 + noise(seed, i, t, 0.10)); });
        BlockAnalysis a = analyzeLinks(links, hostsPerNode(n, per_host), {});
        EXPECT_TRUE(flaggedIndices(a).empty()) << "seed " << seed << " n " << n << " per host " << per_host;
        EXPECT_TRUE(a.suspects.empty());
        EXPECT_TRUE(a.unexplained.empty());
      }
    }
  }
}

TEST(Analysis, FailedAndEmptyLinksAreFlagged) {
  auto links = allPairs(4, [](int, int) { return kFast; });
  links[1].error = "rank 2 (h2): connection reset";
  links[1].bytes = 0;
  links[2].bytes = 0;
  BlockAnalysis a = analyzeLinks(links, hostsPerNode(4, 1), {});
  EXPECT_EQ(flaggedIndices(a), (std::vector<size_t>{1, 2}));
  EXPECT_DOUBLE_EQ(a.verdicts[1].reference, kFast);  // failed links do not lower references
}

TEST(Analysis, RetestClearsContentionAndKeepsRealSlowness) {
  auto links = allPairs(6, [](int i, int t) {
    if (i == 1 && t == 4) return 0.5 * kFast;  // slow only while the others ran
    if (i == 2 && t == 0) return 0.4 * kFast;  // slow alone too
    return kFast;
  });
  auto hosts = hostsPerNode(6, 1);
  BlockAnalysis a = analyzeLinks(links, hosts, {});
  // Worst first.
  EXPECT_EQ(linksToRetest(links, a), (std::vector<Link>{{2, 0}, {1, 4}}));
  std::vector<LinkResult> retests = {linkAt(1, 4, kFast), linkAt(2, 0, 0.4 * kFast)};
  applyRetests(links, retests, hosts, {}, &a);
  const size_t contended = indexOf(links, {1, 4}), slow = indexOf(links, {2, 0});
  EXPECT_TRUE(a.verdicts[contended].flagged);
  EXPECT_TRUE(a.verdicts[contended].retested);
  EXPECT_FALSE(a.verdicts[contended].confirmed);
  EXPECT_DOUBLE_EQ(a.verdicts[contended].retest_bytes_per_second, kFast);
  EXPECT_TRUE(a.verdicts[slow].confirmed);
  EXPECT_EQ(a.unexplained, std::vector<size_t>{slow});
  // --retest off: flagged == confirmed.
  applyRetests(links, {}, hosts, {}, &a);
  EXPECT_TRUE(a.verdicts[contended].confirmed);
  EXPECT_FALSE(a.verdicts[contended].retested);
  EXPECT_EQ(a.unexplained, (std::vector<size_t>{contended, slow}));
}

// --max-retests: the worst links are re-measured, the rest keep the all-pairs verdict and
// are counted, so the report can say so.
TEST(Analysis, RetestsOverTheCapAreTheWorstAndTheRestAreCounted) {
  auto links = allPairs(6, [](int i, int t) {
    if (i == 1 && t == 4) return 0.5 * kFast;
    if (i == 2 && t == 0) return 0.4 * kFast;
    if (i == 3 && t == 5) return 0.6 * kFast;
    return kFast;
  });
  links[indexOf(links, {4, 1})].error = "reset";  // failed: the worst of all
  links[indexOf(links, {4, 1})].bytes = 0;
  auto hosts = hostsPerNode(6, 1);
  BlockAnalysis a = analyzeLinks(links, hosts, {});
  EXPECT_EQ(linksToRetest(links, a, 2), (std::vector<Link>{{4, 1}, {2, 0}}));
  EXPECT_EQ(linksToRetest(links, a, 0), std::vector<Link>{});
  applyRetests(links, {linkAt(4, 1, kFast), linkAt(2, 0, kFast)}, hosts, {}, &a);
  EXPECT_EQ(a.not_retested, 2u);  // 1->4 and 3->5
  EXPECT_FALSE(a.verdicts[indexOf(links, {2, 0})].confirmed);
  EXPECT_TRUE(a.verdicts[indexOf(links, {1, 4})].confirmed);
  EXPECT_FALSE(a.verdicts[indexOf(links, {1, 4})].retested);
}

TEST(Analysis, RetestClearsASuspectThatWasOnlyContended) {
  auto links = allPairs(6, [](int i, int t) { return (i == 2 || t == 2) ? 0.5 * kFast : kFast; });
  auto hosts = hostsPerNode(6, 2);
  BlockAnalysis a = analyzeLinks(links, hosts, {});
  ASSERT_EQ(a.suspects.size(), 1u);
  std::vector<LinkResult> retests;
  for (const Link& l : linksToRetest(links, a)) retests.push_back(linkAt(l.initiator, l.target, 0.95 * kFast));
  applyRetests(links, retests, hosts, {}, &a);
  EXPECT_TRUE(a.suspects.empty());
  EXPECT_TRUE(a.unexplained.empty());
}

TEST(Analysis, Expectations) {
  auto links = allPairs(4, [](int i, int t) { return i == 0 && t == 1 ? 9e9 : kFast; });
  auto hosts = hostsPerNode(4, 1);
  AnalysisOptions o;
  o.expect_bytes_per_second = 9.5e9;
  BlockAnalysis a = analyzeLinks(links, hosts, o);
  ASSERT_TRUE(a.expected_bytes_per_second);
  EXPECT_EQ(a.failing, std::vector<size_t>{indexOf(links, {0, 1})});
  EXPECT_TRUE(a.verdicts[indexOf(links, {0, 1})].below_expectation);
  EXPECT_TRUE(flaggedIndices(a).empty());  // 0.9 of the median is not slow at 0.8

  AnalysisOptions line;
  line.expect_line_rate = 0.9;
  line.line_rate_bytes_per_second = 12.5e9;  // 100 Gb/s: expect 11.25 GB/s, nothing meets it
  a = analyzeLinks(links, hosts, line);
  EXPECT_DOUBLE_EQ(*a.expected_bytes_per_second, 11.25e9);
  EXPECT_EQ(a.failing.size(), links.size());

  line.line_rate_bytes_per_second = 0;  // unknown line rate: nothing to check, and the caller can tell
  a = analyzeLinks(links, hosts, line);
  EXPECT_FALSE(a.expected_bytes_per_second);
  EXPECT_TRUE(a.failing.empty());

  line.line_rate_bytes_per_second = 10e9;  // both given: the stricter
  line.expect_bytes_per_second = 8e9;
  EXPECT_DOUBLE_EQ(*expectedBytesPerSecond(line), 9e9);
}

TEST(Analysis, RetestedLinkMeetsTheExpectationAlone) {
  auto links = allPairs(4, [](int i, int t) { return i == 0 && t == 1 ? 0.5 * kFast : kFast; });
  auto hosts = hostsPerNode(4, 1);
  AnalysisOptions o;
  o.expect_bytes_per_second = 9e9;
  BlockAnalysis a = analyzeLinks(links, hosts, o);
  EXPECT_EQ(a.failing.size(), 1u);
  applyRetests(links, {linkAt(0, 1, kFast)}, hosts, o, &a);
  EXPECT_TRUE(a.failing.empty());
}

TEST(Analysis, PerRankSummariesAreRowsAndColumns) {
  auto links = allPairs(3, [](int i, int t) { return 1e9 * (10 * i + t + 1); });
  BlockAnalysis a = analyzeLinks(links, hostsPerNode(3, 1), {});
  ASSERT_EQ(a.per_rank.size(), 3u);
  EXPECT_EQ(a.per_rank[1].name, "1");
  EXPECT_EQ(a.per_rank[1].as_initiator.count, 2u);
  EXPECT_DOUBLE_EQ(a.per_rank[1].as_initiator.min, 11e9);  // 1->0
  EXPECT_DOUBLE_EQ(a.per_rank[1].as_target.max, 22e9);     // 2->1
  EXPECT_EQ(links[a.per_rank[1].as_target.max_index].link, (Link{2, 1}));
  EXPECT_EQ(links[a.inter_host.min_index].link, (Link{0, 1}));
  EXPECT_STREQ(localityName(Locality::kIntraHost), "intra-host");
  EXPECT_STREQ(localityName(Locality::kInterHost), "inter-host");
}

}  // namespace
}  // namespace te::bench
