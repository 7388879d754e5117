// te_html_fixture OUT.html [RANKS]: writes the HTML report of a synthetic run (2 ranks per
// host, one slow link, one slow-under-load link, one failed link) for the browser check.
#include <cstdlib>
#include <iostream>
#include <string>

#include "bench/report/report.h"
#include "support/synthetic_links.h"

using namespace te::bench;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: te_html_fixture OUT.html [RANKS]" << std::endl;
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 6;
  if (n < 2 || n > 256) {
    std::cerr << "te_html_fixture: RANKS " << argv[2] << ": allowed 2..256" << std::endl;
    return 2;
  }
  BenchConfig config;
  config.command_line = {"te_bench", "--html", "<report>.html"};
  RunReport report;
  report.config = &config;
  report.world_size = n;
  for (int r = 0; r < n; ++r) {
    report.hosts.push_back("node" + std::to_string(r / 2) + (r / 2 == 0 ? "<&>" : ""));  // to be escaped
  }
  report.transport = "tcp";
  report.launcher = "none";
  report.bootstrap = "fixture";
  report.start_time = report.end_time = "2025-01-01T00:00:00Z";
  ResultBlock block{"tcp", "write", 65536, {}, {}, {}, {}, "pairs", {}};
  block.links = te::testing::fullMatrixLinks(n, [n](int i, int t) -> uint64_t {
    if (i == 0 && t == 1) return 3'000'000'000ull;
    if (i == n - 1 && t == 0) return 6'000'000'000ull;
    return 10'000'000'000ull + 100'000'000ull * static_cast<uint64_t>((i * 7 + t * 3) % 10);
  });
  for (LinkResult& l : block.links) {
    if (l.link.initiator == 1 && l.link.target == n - 1) {
      l.bytes = 0;
      l.error = "connection reset by peer";
    }
    te::Histogram latency;
    for (uint64_t ns = 4000; ns < 40000; ns += 500) latency.record(ns);
    l.latency_ns = LatencySummary::of(latency);
    block.latency_ns.merge(latency);
  }
  AnalysisOptions options;
  options.expect_bytes_per_second = 9.5e9;
  block.analysis = analyzeLinks(block.links, report.hosts, options);
  LinkResult alone;  // n-1 -> 0 is fast when measured alone
  alone.link = {n - 1, 0};
  alone.bytes = 10'000'000'000ull;
  alone.seconds = 1;
  applyRetests(block.links, {alone}, report.hosts, options, &block.analysis);
  report.blocks.push_back(std::move(block));
  te::Status s = writeHtmlReport(report, argv[1]);
  if (!s.isOk()) {
    std::cerr << "te_html_fixture: " << s.message() << std::endl;
    return 1;
  }
  return 0;
}
