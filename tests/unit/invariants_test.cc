// The rate invariants (bench/analysis/invariants.h) and how the analysis treats what they find, and
// rates that are only lower bounds, on synthetic blocks.
#include "bench/analysis/invariants.h"

#include <gtest/gtest.h>

#include "bench/analysis/analysis.h"

namespace te::bench {
namespace {

LinkResult link(int i, int t, double bps, uint32_t phase = 0) {
  LinkResult l;
  l.link = {i, t};
  l.bytes = static_cast<uint64_t>(bps);
  l.ops = 1;
  l.batches = 100;
  l.seconds = 1.0;
  l.phase = phase;
  return l;
}

TEST(RateInvariants, ALinkOverTheLineRateOfEitherEndIsAMeasurementError) {
  std::vector<LinkResult> links = {link(0, 1, 14e9), link(1, 0, 3e9)};
  EXPECT_EQ(checkRates(links, {12.5e9, 3.1e9}, Workload::kWrite), 1u);
  EXPECT_TRUE(links[0].invalid);
  EXPECT_FALSE(links[0].hasRate());
  EXPECT_NE(links[0].error.find("14.00 GB/s exceeds the line rate 3.10 GB/s"), std::string::npos) << links[0].error;
  EXPECT_FALSE(links[1].invalid);
  EXPECT_STREQ(links[0].statusName(), "invalid");
}

TEST(RateInvariants, AnUnknownLineRateChecksNothing) {
  std::vector<LinkResult> links = {link(0, 1, 1e12), link(1, 0, 1e12)};
  EXPECT_EQ(checkRates(links, {0, 0}, Workload::kWrite), 0u);
  EXPECT_EQ(checkRates(links, {}, Workload::kRead), 0u);
  EXPECT_FALSE(links[0].invalid);
}

TEST(RateInvariants, ConcurrentLinksOfARankTogetherNoFasterThanItsNics) {
  // Phase 0: rank 0 writes to 1 and 2 at once, 2 x 8 GB/s out of a 12.5 GB/s NIC.
  std::vector<LinkResult> links = {link(0, 1, 8e9, 0), link(0, 2, 8e9, 0), link(0, 3, 8e9, 1)};
  const std::vector<double> line(4, 12.5e9);
  EXPECT_EQ(checkRates(links, line, Workload::kWrite), 2u);
  EXPECT_TRUE(links[0].invalid && links[1].invalid);
  EXPECT_NE(links[0].error.find("rank 0's 2 links of phase 1 together moved 16.00 GB/s out of it"), std::string::npos)
      << links[0].error;
  EXPECT_FALSE(links[2].invalid);  // alone in its phase
}

TEST(RateInvariants, ReadsLoadTheTargetsTransmitSide) {
  // Ranks 1 and 2 both read from rank 0 at once: rank 0's NIC sends 16 GB/s.
  std::vector<LinkResult> links = {link(1, 0, 8e9), link(2, 0, 8e9)};
  EXPECT_EQ(checkRates(links, std::vector<double>(3, 12.5e9), Workload::kRead), 2u);
  EXPECT_NE(links[0].error.find("out of it"), std::string::npos) << links[0].error;
  // As WRITEs the same rates come into rank 0: still too much, the other way.
  links = {link(1, 0, 8e9), link(2, 0, 8e9)};
  EXPECT_EQ(checkRates(links, std::vector<double>(3, 12.5e9), Workload::kWrite), 2u);
  EXPECT_NE(links[0].error.find("into it"), std::string::npos) << links[0].error;
}

TEST(RateInvariants, FullDuplexIsNoViolationAndMixMayUseBothDirections) {
  // 0 -> 1 and 1 -> 0 at once: each NIC sends and receives 10 GB/s, within 12.5 each way.
  std::vector<LinkResult> links = {link(0, 1, 10e9), link(1, 0, 10e9)};
  EXPECT_EQ(checkRates(links, std::vector<double>(2, 12.5e9), Workload::kWrite), 0u);
  EXPECT_EQ(checkRates(links, std::vector<double>(2, 12.5e9), Workload::kMix), 0u);
  std::vector<LinkResult> three = {link(0, 1, 10e9), link(1, 0, 10e9), link(0, 2, 10e9)};
  EXPECT_EQ(checkRates(three, std::vector<double>(3, 12.5e9), Workload::kMix), 3u);
}

TEST(RateInvariants, AMeasurementErrorIsListedNotFlaggedNorSummarised) {
  std::vector<LinkResult> links;
  for (int i = 0; i < 4; ++i) {
    for (int t = 0; t < 4; ++t) {
      if (i != t) links.push_back(link(i, t, 1e9));
    }
  }
  links[0].bytes = static_cast<uint64_t>(50e9);
  checkRates(links, std::vector<double>(4, 3e9), Workload::kWrite);
  ASSERT_TRUE(links[0].invalid);
  const std::vector<std::string> hosts = {"a", "b", "c", "d"};
  BlockAnalysis a = analyzeLinks(links, hosts, {});
  ASSERT_EQ(a.measurement_errors.size(), 1u);
  EXPECT_EQ(a.measurement_errors[0], 0u);
  EXPECT_FALSE(a.verdicts[0].flagged);
  EXPECT_TRUE(a.unexplained.empty());
  EXPECT_EQ(a.inter_host.count, links.size() - 1);
  EXPECT_DOUBLE_EQ(a.inter_host.max, 1e9);
  Matrix m = throughputMatrix(links, 4);
  EXPECT_FALSE(m[0][1].has_value());
  EXPECT_TRUE(m[0][2].has_value());
}

TEST(RateInvariants, ARetestWithAMeasurementErrorLeavesTheAllPairsVerdict) {
  std::vector<LinkResult> links;
  for (int i = 0; i < 4; ++i) {
    for (int t = 0; t < 4; ++t) {
      if (i != t) links.push_back(link(i, t, i == 0 && t == 1 ? 1e9 : 10e9));
    }
  }
  const std::vector<std::string> hosts = {"a", "b", "c", "d"};
  BlockAnalysis a = analyzeLinks(links, hosts, {});
  ASSERT_TRUE(a.verdicts[0].flagged);
  LinkResult retest = link(0, 1, 50e9);
  retest.invalid = true;
  retest.error = "measurement error: over the line rate";
  applyRetests(links, {retest}, hosts, {}, &a);
  EXPECT_FALSE(a.verdicts[0].retested);
  EXPECT_TRUE(a.verdicts[0].confirmed);
  EXPECT_EQ(a.not_retested, 1u);
}

TEST(RateInvariants, LowerBoundsStayOutOfTheReferenceWhileOthersRemain) {
  // Four links of a 4-rank block rest on too few batches and read low; the reference of the
  // others must not sink with them.
  std::vector<LinkResult> links;
  for (int i = 0; i < 4; ++i) {
    for (int t = 0; t < 4; ++t) {
      if (i == t) continue;
      links.push_back(link(i, t, 10e9));
    }
  }
  for (size_t k : {0u, 3u, 6u, 9u}) {
    links[k].bytes = static_cast<uint64_t>(1e9);
    links[k].lower_bound = true;
  }
  const std::vector<std::string> hosts = {"a", "b", "c", "d"};
  BlockAnalysis a = analyzeLinks(links, hosts, {});
  EXPECT_DOUBLE_EQ(a.verdicts[1].reference, 10e9);
  EXPECT_TRUE(a.verdicts[0].flagged);  // a lower bound under the threshold is retested
  // When nearly everything is a lower bound, they are what there is to compare with.
  for (auto& l : links) l.lower_bound = true;
  a = analyzeLinks(links, hosts, {});
  EXPECT_GT(a.verdicts[1].reference, 0);
}

}  // namespace
}  // namespace te::bench
