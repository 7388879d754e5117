#include "bench/run/results.h"

#include <gtest/gtest.h>

namespace te::bench {
namespace {

TEST(Summarize, OrderStatistics) {
  Summary s = summarize({3.0, 1.0, 4.0, 1.5, 5.0});
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 5.0);
  EXPECT_DOUBLE_EQ(s.median, 3.0);
  EXPECT_DOUBLE_EQ(s.mean, 2.9);
  EXPECT_EQ(s.min_index, 1u);
  EXPECT_EQ(s.max_index, 4u);
  EXPECT_DOUBLE_EQ(summarize({1.0, 2.0, 3.0, 10.0}).median, 2.5);
  EXPECT_EQ(summarize({}).count, 0u);
}

TEST(Matrix, RowsInitiatorsColumnsTargetsDiagonalEmpty) {
  std::vector<LinkResult> links(3);
  links[0].link = {0, 1};
  links[0].bytes = 100;
  links[0].seconds = 1;
  links[1].link = {1, 0};
  links[1].bytes = 300;
  links[1].seconds = 1;
  links[2].link = {2, 0};
  links[2].bytes = 500;
  links[2].seconds = 2;
  Matrix m = throughputMatrix(links, 3);
  EXPECT_FALSE(m[0][0]);
  EXPECT_DOUBLE_EQ(*m[0][1], 100);
  EXPECT_DOUBLE_EQ(*m[1][0], 300);
  EXPECT_DOUBLE_EQ(*m[2][0], 250);
  EXPECT_FALSE(m[0][2]);
  auto rows = rowMeans(m);
  auto cols = columnMeans(m);
  EXPECT_DOUBLE_EQ(*rows[0], 100);
  EXPECT_DOUBLE_EQ(*cols[0], 275);
  EXPECT_FALSE(cols[2]);
}

TEST(Results, SerializeRoundTripKeepsEachLinksSummaryAndOneMergedHistogram) {
  GatheredResults mine;
  mine.links.resize(2);
  LinkResult& first = mine.links[0];
  first.link = {0, 3};
  first.bytes = 1 << 30;
  first.ops = 16384;
  first.seconds = 0.75;
  first.samples = {1e9, 1.1e9};
  Histogram latency;
  for (uint64_t v = 1000; v < 200000; v += 1000) latency.record(v);
  first.latency_ns = LatencySummary::of(latency);
  mine.latency_ns.merge(latency);
  mine.links[1].link = {3, 0};
  mine.links[1].error = "rank 0 (node0): connection closed";

  // Two ranks' messages gathered at rank 0: links appended, histograms merged.
  GatheredResults all;
  ASSERT_TRUE(deserializeResults(serializeResults(mine), &all).isOk());
  ASSERT_TRUE(deserializeResults(serializeResults(mine), &all).isOk());
  ASSERT_EQ(all.links.size(), 4u);
  const LinkResult& back = all.links[0];
  EXPECT_EQ(back.link, (Link{0, 3}));
  EXPECT_EQ(back.bytes, first.bytes);
  EXPECT_DOUBLE_EQ(back.seconds, 0.75);
  EXPECT_EQ(back.samples, first.samples);
  EXPECT_EQ(back.latency_ns.count, 199u);
  EXPECT_EQ(back.latency_ns.min, 1000u);
  EXPECT_EQ(back.latency_ns.max, 199000u);
  EXPECT_EQ(back.latency_ns.p50, latency.percentile(0.5));
  EXPECT_EQ(back.latency_ns.p99, latency.percentile(0.99));
  EXPECT_DOUBLE_EQ(back.latency_ns.mean, latency.mean());
  EXPECT_EQ(all.links[1].error, mine.links[1].error);
  EXPECT_EQ(all.latency_ns.count(), 2 * latency.count());
  EXPECT_EQ(all.latency_ns.percentile(0.5), latency.percentile(0.5));

  Bytes wire = serializeResults(mine);
  wire.resize(wire.size() / 2);
  GatheredResults partial;
  EXPECT_FALSE(deserializeResults(wire, &partial).isOk());
}

// Rank 0 holds N^2 links: at 1024 ranks, a million. Each must stay small.
TEST(Results, ALinkResultIsSmallEnoughForAMillionLinks) {
  EXPECT_LE(sizeof(LinkResult), 256u);
}

}  // namespace
}  // namespace te::bench
