// A cluster-sized result: 256 ranks, 65,280 links, gathered from per-rank messages, analysed
// and written as JSON, CSV and HTML, within bounded memory. Before links carried summaries
// and reports were streamed this took 1.2 GB (11 KiB per link, then the JSON DOM); at 1024
// ranks it would have been over 12 GB. TE_SCALE_RANKS=1024 runs it at that size, prints the
// time of each step and keeps the reports (docs/PERFORMANCE.md, "Rank 0 at scale").
// Every rank stripes over TE_SCALE_NICS NICs (default 2; 1: no splits), rank 5's second NIC
// at half its even share: the per-NIC analysis must name it.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "bench/report/report.h"
#include "bench/run/results.h"

namespace te::bench {
namespace {

long peakRssMb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

std::vector<Bytes> rankMessages(int n, int nics) {
  std::vector<Bytes> out;
  for (int i = 0; i < n; ++i) {
    GatheredResults mine;
    for (int t = 0; t < n; ++t) {
      if (t == i) continue;
      LinkResult l;
      l.link = {i, t};
      l.seconds = 2;
      l.bytes = 40'000'000'000ull + static_cast<uint64_t>((i * 7919 + t * 104729) % 1000) * 1'000'000ull;
      if (i == 3) l.bytes /= 4;  // one slow rank
      l.ops = l.bytes / 65536;
      l.samples.assign(5, double(l.bytes) / 2);
      Histogram h;
      for (uint64_t ns = 20000; ns < 400000; ns += 997) h.record(ns + static_cast<uint64_t>(t));
      l.latency_ns = LatencySummary::of(h);
      // Lane k joins NIC k at both ends; rank 5's NIC 1 carries half its even part.
      for (int k = 0; k < nics && nics > 1; ++k) {
        const double weight = (k == 1 && (i == 5 || t == 5)) ? 0.5 : 1.0;
        const double total = nics - ((i == 5 || t == 5) ? 0.5 : 0.0);
        const auto bytes = static_cast<uint64_t>(double(l.bytes) * weight / total);
        l.nics.push_back({"mlx5_" + std::to_string(k), "mlx5_" + std::to_string(k), bytes, bytes / 65536});
      }
      mine.latency_ns.merge(h);
      mine.links.push_back(std::move(l));
    }
    out.push_back(serializeResults(mine));
  }
  return out;
}

TEST(ReportScale, TwoHundredFiftySixRanksInBoundedMemory) {
  const char* ranks_env = std::getenv("TE_SCALE_RANKS");
  const int kRanks = ranks_env ? std::max(8, std::atoi(ranks_env)) : 256;
  const char* nics_env = std::getenv("TE_SCALE_NICS");
  const int kNics = nics_env ? std::clamp(std::atoi(nics_env), 1, 16) : 2;
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* step, const std::string& file = "") {
    const auto now = std::chrono::steady_clock::now();
    if (ranks_env) {
      std::fprintf(stderr, "%d ranks x %d NICs: %-12s %6.2f s, peak RSS %ld MB", kRanks, kNics, step,
                   std::chrono::duration<double>(now - t0).count(), peakRssMb());
      if (!file.empty()) std::fprintf(stderr, ", %.1f MB written", double(std::ifstream(file, std::ios::ate).tellg()) / 1e6);
      std::fprintf(stderr, "\n");
    }
    t0 = now;
  };
  const long before = peakRssMb();
  std::vector<Bytes> messages = rankMessages(kRanks, kNics);
  lap("messages");
  GatheredResults all;
  for (const Bytes& m : messages) ASSERT_TRUE(deserializeResults(m, &all).isOk());
  messages.clear();
  lap("gathered");
  ASSERT_EQ(all.links.size(), static_cast<size_t>(kRanks * (kRanks - 1)));
  EXPECT_EQ(all.latency_ns.count(), all.links.size() * all.links[0].latency_ns.count);

  BenchConfig config;
  RunReport r;
  r.config = &config;
  r.world_size = kRanks;
  r.transport = "tcp";
  for (int i = 0; i < kRanks; ++i) r.hosts.push_back("node" + std::to_string(i / 8));
  ResultBlock b{"tcp", "write", 65536, std::move(all.links), {}, all.latency_ns, {}, "pairs", {}};
  b.analysis = analyzeLinks(b.links, r.hosts, {});
  applyRetests(b.links, {}, r.hosts, {}, &b.analysis);
  r.blocks.push_back(std::move(b));
  lap("analysed");
  ASSERT_FALSE(r.blocks[0].analysis.suspects.empty());
  EXPECT_EQ(r.blocks[0].analysis.suspects[0].rank, 3);
  if (kNics > 1) {
    const auto& sus = r.blocks[0].analysis.suspects;
    const auto nic = std::find_if(sus.begin(), sus.end(), [](const auto& s) { return s.kind == "nic"; });
    ASSERT_NE(nic, sus.end()) << "rank 5's mlx5_1 carries half its part";
    EXPECT_EQ(nic->name, "mlx5_1");
    EXPECT_EQ(nic->host, "node0");
    EXPECT_EQ(std::count_if(sus.begin(), sus.end(), [](const auto& s) { return s.kind == "nic"; }), 1);
  }

  const std::string stem = ::testing::TempDir() + "te_scale_" + std::to_string(::getpid());
  ASSERT_TRUE(writeJsonReport(r, stem + ".json").isOk());
  lap("json", stem + ".json");
  ASSERT_TRUE(writeCsvReport(r, stem + ".csv").isOk());
  lap("csv", stem + ".csv");
  ASSERT_TRUE(writeHtmlReport(r, stem + ".html").isOk());
  lap("html", stem + ".html");
  const long grown = peakRssMb() - before;
  std::ifstream csv(stem + ".csv");
  size_t rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 1 + r.blocks[0].links.size());
  if (ranks_env) {
    std::fprintf(stderr, "kept: %s.{json,csv,html}\n", stem.c_str());
  } else {
    for (const char* ext : {".json", ".csv", ".html"}) ::unlink((stem + ext).c_str());
  }
  // Measured: ~40 MB (the links, the messages, the analysis).
  if (!ranks_env) {
    EXPECT_LT(grown, 200) << "peak RSS grew by " << grown << " MB for " << kRanks << " ranks";
  }
}

}  // namespace
}  // namespace te::bench
