// --metric latency (issue 21 item 3): the flags and their defaults, what they refuse, and the
// analysis judging links by p50 (rates at depth one) on synthetic links.
#include <gtest/gtest.h>

#include "support/parse_args.h"

#include <vector>

#include "bench/analysis/analysis.h"
#include "bench/cli/config.h"

namespace te::bench {
namespace {

using testing::Parsed;
Parsed parse(std::vector<const char*> args) { return testing::parseArgs(std::move(args)); }
// Parses and validates; returns the first error message or "".
std::string errorOf(std::vector<const char*> args) { return testing::argsError(std::move(args)); }

TEST(LatencyMetric, DefaultsToOneSmallRequestOutstandingPerLink) {
  Parsed p = parse({"--metric", "latency"});
  ASSERT_EQ(p.result.outcome, ParseOutcome::kRun) << p.result.error.message();
  EXPECT_EQ(p.config.metric, Metric::kLatency);
  EXPECT_EQ(p.config.block_sizes, std::vector<uint64_t>{8});
  EXPECT_EQ(p.config.batch_size, 1u);
  EXPECT_EQ(p.config.batches_in_flight, 1);
  EXPECT_EQ(p.config.threads, 1);
  EXPECT_EQ(p.config.transport_config.num_workers, 1);
  EXPECT_DOUBLE_EQ(p.config.latency_threshold, 2.0);
  EXPECT_EQ(configToJson(p.config)["metric"], "latency");
  EXPECT_EQ(configToJson(p.config)["latency_threshold"], 2.0);

  Parsed sized = parse({"--metric", "latency", "--block-size", "4K,64K", "--threads", "2", "--latency-threshold", "3"});
  ASSERT_EQ(sized.result.outcome, ParseOutcome::kRun) << sized.result.error.message();
  EXPECT_EQ(sized.config.block_sizes, (std::vector<uint64_t>{4096, 65536}));
  EXPECT_EQ(sized.config.threads, 2);
  EXPECT_DOUBLE_EQ(sized.config.latency_threshold, 3.0);

  Parsed bandwidth = parse({});
  EXPECT_EQ(bandwidth.config.metric, Metric::kBandwidth);
  EXPECT_EQ(configToJson(bandwidth.config)["metric"], "bandwidth");
  EXPECT_TRUE(configToJson(bandwidth.config)["latency_threshold"].is_null());
}

TEST(LatencyMetric, RefusesWhatALatencyCannotBeMeasuredWith) {
  EXPECT_EQ(errorOf({"--metric", "rtt"}), "--metric rtt: allowed values are bandwidth, latency");
  EXPECT_EQ(errorOf({"--metric", "latency", "--batch-size", "16"}),
            "--batch-size 16 with --metric latency: allowed only 1 (a latency is measured with one request "
            "outstanding per link; drop the flag)");
  EXPECT_NE(errorOf({"--metric", "latency", "--batches-in-flight", "2"}).find("--batches-in-flight 2 with --metric latency"),
            std::string::npos);
  EXPECT_NE(errorOf({"--metric", "latency", "--expect", "1GB/s"}).find("--expect with --metric latency"),
            std::string::npos);
  EXPECT_EQ(errorOf({"--latency-threshold", "3"}),
            "--latency-threshold with --metric bandwidth: allowed only with --metric latency (bandwidth runs flag "
            "links by --threshold)");
  EXPECT_EQ(errorOf({"--metric", "latency", "--latency-threshold", "1"}),
            "--latency-threshold 1: allowed a number > 1 and <= 1000 (2: twice the median p50 of comparable links)");
  EXPECT_EQ(errorOf({"--bootstrap", "mpi", "--metric", "latency", "--batch-size", "1"}), "");  // what it is anyway
}

LinkResult linkWithP50(int i, int t, uint64_t p50_ns) {
  LinkResult l;
  l.link = {i, t};
  l.ops = 100000;
  l.bytes = l.ops * 8;
  l.seconds = 1.0;
  l.batches = l.ops;
  l.latency_ns.count = l.ops;
  l.latency_ns.p50 = p50_ns;
  l.latency_ns.p99 = 2 * p50_ns;
  l.latency_ns.max = 10 * p50_ns;
  return l;
}

AnalysisOptions latencyOptions() {
  AnalysisOptions o;
  o.latency = true;
  o.latency_threshold = 2.0;
  o.block_size = 8;
  return o;
}

// Six ranks on six hosts, every link ~5 us but 2 -> 4 at 12 us and 1 -> 3 at 9 us: only the
// link above twice its comparable links' p50 is flagged, and its reference is theirs.
TEST(LatencyMetric, FlagsLinksAboveTheThresholdTimesComparableP50s) {
  std::vector<LinkResult> links;
  std::vector<std::string> hosts;
  for (int r = 0; r < 6; ++r) hosts.push_back("h" + std::to_string(r));
  for (int i = 0; i < 6; ++i) {
    for (int t = 0; t < 6; ++t) {
      if (i == t) continue;
      const uint64_t p50 = i == 2 && t == 4 ? 12000 : i == 1 && t == 3 ? 9000 : 5000 + 10 * (i + t);
      links.push_back(linkWithP50(i, t, p50));
    }
  }
  const AnalysisOptions o = latencyOptions();
  BlockAnalysis a = analyzeLinks(links, hosts, o);
  std::vector<Link> flagged = linksToRetest(links, a);
  ASSERT_EQ(flagged.size(), 1u);
  EXPECT_EQ(flagged[0], (Link{2, 4}));
  for (size_t i = 0; i < links.size(); ++i) {
    if (!(links[i].link == Link{2, 4})) continue;
    const double reference_us = latencyOfRate(a.verdicts[i].reference, o.block_size);
    EXPECT_NEAR(reference_us, 5.05, 0.05);
    EXPECT_NEAR(a.verdicts[i].ratio, 5.05 / 12.0, 0.01);
  }
  // Alone it answers in 5.5 us: the high latency came from the load, not the link.
  applyRetests(links, {linkWithP50(2, 4, 5500)}, hosts, o, &a);
  EXPECT_TRUE(a.unexplained.empty());
  // Alone at 11 us: confirmed, and named.
  applyRetests(links, {linkWithP50(2, 4, 11000)}, hosts, o, &a);
  ASSERT_EQ(a.unexplained.size(), 1u);
  EXPECT_EQ(links[a.unexplained[0]].link, (Link{2, 4}));
}

// A host whose every link answers slowly is named as the suspect, as a slow host is.
TEST(LatencyMetric, AHostWhoseLinksAllAnswerSlowlyIsTheSuspect) {
  std::vector<LinkResult> links;
  std::vector<std::string> hosts;
  for (int r = 0; r < 6; ++r) hosts.push_back("h" + std::to_string(r));
  for (int i = 0; i < 6; ++i) {
    for (int t = 0; t < 6; ++t) {
      if (i != t) links.push_back(linkWithP50(i, t, i == 5 || t == 5 ? 40000 : 6000));
    }
  }
  BlockAnalysis a = analyzeLinks(links, hosts, latencyOptions());
  applyRetests(links, {}, hosts, latencyOptions(), &a);
  ASSERT_EQ(a.suspects.size(), 1u);
  EXPECT_EQ(a.suspects[0].kind, "host");
  EXPECT_EQ(a.suspects[0].host, "h5");
}

// A link that recorded no latency cannot be judged as answering: it is flagged, not compared.
TEST(LatencyMetric, ALinkWithoutLatenciesIsFlagged) {
  std::vector<LinkResult> links = {linkWithP50(0, 1, 5000), linkWithP50(1, 0, 5000), linkWithP50(0, 2, 5000),
                                   linkWithP50(2, 0, 5000), linkWithP50(1, 2, 5000), linkWithP50(2, 1, 0)};
  links.back().latency_ns.count = 0;
  BlockAnalysis a = analyzeLinks(links, {"a", "b", "c"}, latencyOptions());
  EXPECT_TRUE(a.verdicts.back().flagged);
  EXPECT_DOUBLE_EQ(linkRate(links.back(), latencyOptions()), 0.0);
  EXPECT_NEAR(linkRate(links[0], latencyOptions()), 8 / 5e-6, 1);
}

}  // namespace
}  // namespace te::bench
