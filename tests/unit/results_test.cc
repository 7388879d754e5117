#include "bench/results.h"

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

TEST(Results, SerializeRoundTrip) {
  std::vector<LinkResult> links(2);
  links[0].link = {0, 3};
  links[0].bytes = 1 << 30;
  links[0].ops = 16384;
  links[0].seconds = 0.75;
  for (uint64_t v = 1000; v < 200000; v += 1000) links[0].latency_ns.record(v);
  links[1].link = {3, 0};
  links[1].error = "rank 0 (node0): connection closed";
  std::vector<LinkResult> back;
  ASSERT_TRUE(deserializeResults(serializeResults(links), &back).isOk());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].link, (Link{0, 3}));
  EXPECT_EQ(back[0].bytes, links[0].bytes);
  EXPECT_DOUBLE_EQ(back[0].seconds, 0.75);
  EXPECT_EQ(back[0].latency_ns.percentile(0.5), links[0].latency_ns.percentile(0.5));
  EXPECT_EQ(back[1].error, links[1].error);
  Bytes wire = serializeResults(links);
  wire.resize(wire.size() / 2);
  std::vector<LinkResult> partial;
  EXPECT_FALSE(deserializeResults(wire, &partial).isOk());
}

}  // namespace
}  // namespace te::bench
