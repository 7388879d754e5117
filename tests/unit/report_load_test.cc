// A JSON report read back (te_bench report): the CSV, HTML, metrics and terminal reports of the
// loaded report are byte for byte the run's own; a file that is not a te_bench report is one
// clear error naming the path.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "bench/analysis/topology_conf.h"
#include "bench/report/report_load.h"
#include "bench/report/report_metrics.h"
#include "support/synthetic_links.h"
#include "support/temp_files.h"

namespace te::bench {
namespace {

struct Fixture {
  BenchConfig config;
  RunReport report;
};

// 6 ranks on 5 hosts under three leaves (h5 in none), rank 2 slow everywhere, 4->0 failed,
// 0->3 a measurement error, an expectation some links miss, a run stopped early (4->5 cut,
// 5->4 not measured).
std::unique_ptr<Fixture> makeReport(bool with_topology) {
  auto f = std::make_unique<Fixture>();
  f->config.command_line = {"te_bench", "--json", "x.json"};
  f->config.expect_bytes_per_second = 9.5e9;
  if (with_topology) {
    f->config.topology_path = "topo.conf";
    f->config.topology = std::make_shared<const Topology>(
        Topology::parse("SwitchName=leaf1 Nodes=h[0-1]\nSwitchName=leaf2 Nodes=h2\nSwitchName=leaf3 Nodes=h4\n"
                        "SwitchName=spine1 Switches=leaf[1-3]\n",
                        "topo.conf")
            .value());
  }
  RunReport& r = f->report;
  r.config = &f->config;
  r.world_size = 6;
  r.hosts = {"h0", "h1", "h2", "h2", "h4", "h5"};
  r.transport = "tcp";
  r.launcher = "openmpi";
  r.bootstrap = "mpi";
  r.start_time = "2026-12-02T10:00:00Z";
  r.end_time = "2026-12-02T10:00:42Z";
  r.memory = {{"kind", "dram"}, {"bytes", 1 << 20}};
  r.failure = "phase 9 of 10: rank 5 (h5) sent nothing for 60 s";
  ResultBlock b{"tcp", "write", 65536, {}, {}, {}, {}, "pairs", {}};
  b.links = testing::fullMatrixLinks(6, [](int i, int t) {
    return i == 2 || t == 2 ? 1'000'000'000ull + 7'777ull * uint64_t(i + t) : 10'000'000'000ull + 123'457ull * uint64_t(i * 6 + t);
  });
  for (LinkResult& l : b.links) {
    Histogram latency;
    for (uint64_t ns = 5000 + 37 * uint64_t(l.link.initiator); ns < 50000; ns += 1000) latency.record(ns);
    l.latency_ns = LatencySummary::of(latency);
    l.seconds = 1.0 + 0.001 * l.link.target;
    l.batches = 40;
    l.precision = l.link.initiator == 1 ? -1 : 0.0123;
    b.latency_ns.merge(latency);
    // Rank 1 striped over two NICs: its splits come back (the CSV's nics, the analysis's parts).
    if (l.link.initiator == 1 || l.link.target == 1) {
      const std::string far = "mlx5_" + std::to_string(l.link.initiator == 1 ? l.link.target : l.link.initiator);
      l.nics = l.link.initiator == 1 ? std::vector<engine::NicTraffic>{{"mlx5_0", far, 7'000'000, 107}, {"mlx5_1", far, 3'000'000, 46}}
                                     : std::vector<engine::NicTraffic>{{far, "mlx5_0", 5'500'000, 84}, {far, "mlx5_1", 4'500'000, 69}};
    }
    if (l.link.initiator == 4 && l.link.target == 0) l.error = "rank 0 (h0): connection reset, \"gone\"";
    if (l.link.initiator == 0 && l.link.target == 3) {
      l.invalid = true;
      l.error = "faster than the line rate";
    }
    // The run stopped in its last phase: one link cut while it ran, one never measured.
    if (l.link.initiator == 4 && l.link.target == 5) {
      l.cut = true;
      l.error = "rank 5 (h5) sent nothing for 60 s";
    }
    if (l.link.initiator == 5 && l.link.target == 4) {
      l.cut = l.not_measured = true;
      l.error = "the run stopped before its phase";
    }
  }
  AnalysisOptions options;
  options.topology = f->config.topology;
  options.expect_bytes_per_second = f->config.expect_bytes_per_second;
  b.analysis = analyzeLinks(b.links, r.hosts, options);
  applyRetests(b.links, {}, r.hosts, options, &b.analysis);
  r.blocks.push_back(std::move(b));
  return f;
}

using testing::readFile;

std::string tempPath(const std::string& name) { return testing::tempPath("te_load_", name); }

void writeFile(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

class ReportLoad : public ::testing::TestWithParam<bool> {};

TEST_P(ReportLoad, RendersEveryReportAsTheRunDid) {
  auto f = makeReport(GetParam());
  const BlockAnalysis& analysis = f->report.blocks[0].analysis;
  ASSERT_FALSE(analysis.suspects.empty() && analysis.unexplained.empty()) << "the fixture has rank 2 slow";
  ASSERT_FALSE(analysis.failing.empty()) << "the fixture has links below the expectation";
  const std::string json = tempPath("run.json");
  ASSERT_TRUE(writeJsonReport(f->report, json).isOk());
  Result<std::unique_ptr<LoadedReport>> loaded = loadRunReport(json);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().message();
  const RunReport& again = (*loaded)->report;
  for (const auto& [name, writer] : {std::pair{"csv", &writeCsvReport}, {"html", &writeHtmlReport},
                                     {"prom", &writeMetricsReport}}) {
    const std::string a = tempPath(std::string("a.") + name), b = tempPath(std::string("b.") + name);
    ASSERT_TRUE(writer(f->report, a).isOk());
    ASSERT_TRUE(writer(again, b).isOk());
    EXPECT_EQ(readFile(a), readFile(b)) << name;
    EXPECT_GT(readFile(a).size(), 100u) << name;
    ::unlink(a.c_str());
    ::unlink(b.c_str());
  }
  for (bool all : {false, true}) {
    std::ostringstream a, b;
    writeMetrics(f->report, all, a);
    writeMetrics(again, all, b);
    EXPECT_EQ(a.str(), b.str());
  }
  std::ostringstream a, b;
  printTerminalReport(f->report, a);
  printTerminalReport(again, b);
  EXPECT_EQ(a.str(), b.str());
  ::unlink(json.c_str());
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutTopology, ReportLoad, ::testing::Bool());

TEST(ReportLoadErrors, NameThePathAndWhatIsWrong) {
  Result<std::unique_ptr<LoadedReport>> missing = loadRunReport(tempPath("missing.json"));
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("cannot open"), std::string::npos) << missing.status().message();

  const std::string bad = tempPath("bad.json");
  writeFile(bad, "{\"results\": [");
  Result<std::unique_ptr<LoadedReport>> not_json = loadRunReport(bad);
  ASSERT_FALSE(not_json.isOk());
  EXPECT_NE(not_json.status().message().find("not valid JSON"), std::string::npos) << not_json.status().message();

  writeFile(bad, "{\"tool\": \"te_bench compare\", \"schema_version\": 1}");
  Result<std::unique_ptr<LoadedReport>> foreign = loadRunReport(bad);
  ASSERT_FALSE(foreign.isOk());
  EXPECT_NE(foreign.status().message().find("not a te_bench JSON report"), std::string::npos)
      << foreign.status().message();

  auto f = makeReport(false);
  std::string text = reportToJson(f->report).dump();
  const std::string key = "\"seconds\":";
  text.replace(text.find(key) + key.size(), 1, "\"x\",\"was\":1");  // a string where a number belongs
  writeFile(bad, text);
  Result<std::unique_ptr<LoadedReport>> typed = loadRunReport(bad);
  ASSERT_FALSE(typed.isOk());
  EXPECT_NE(typed.status().message().find("results[0].links[0].seconds"), std::string::npos) << typed.status().message();
  EXPECT_EQ(typed.status().message().find('\n'), std::string::npos);
  ::unlink(bad.c_str());
}

}  // namespace
}  // namespace te::bench
