// The topology in the reports: the terminal groups hosts by switch and names the uplink; the
// JSON and CSV carry each link's path, switches and rails, and the block's path summaries.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "bench/analysis/topology_conf.h"
#include "bench/report/report.h"
#include "support/synthetic_links.h"

namespace te::bench {
namespace {

struct Fixture {
  BenchConfig config;
  RunReport report;
};

// 6 hosts on three leaves (h5 in none), leaf2's uplink (h2, h3) at a tenth: its 12 links to the
// other leaves and its 4 to h5, which leave leaf2 through the uplink too.
std::unique_ptr<Fixture> makeReport() {
  auto f = std::make_unique<Fixture>();
  f->config.topology = std::make_shared<const Topology>(
      Topology::parse("SwitchName=leaf1 Nodes=h[0-1]\nSwitchName=leaf2 Nodes=h[2-3]\nSwitchName=leaf3 Nodes=h4,h6\n"
                      "SwitchName=spine1 Switches=leaf[1-3]\n",
                      "topo.conf")
          .value());
  RunReport& r = f->report;
  r.config = &f->config;
  r.world_size = 6;
  r.hosts = {"h0", "h1", "h2", "h3", "h4", "h5"};
  r.transport = "tcp";
  ResultBlock b{"tcp", "write", 65536, {}, {}, {}, {}, "pairs", {}};
  auto under2 = [](int r) { return r == 2 || r == 3; };
  b.links = testing::fullMatrixLinks(6, [&](int i, int t) {
    return under2(i) != under2(t) ? 1'000'000'000ull : 10'000'000'000ull + 100'000'000ull * uint64_t(i + t);
  });
  AnalysisOptions options;
  options.topology = f->config.topology;
  b.analysis = analyzeLinks(b.links, r.hosts, options);
  r.blocks.push_back(std::move(b));
  return f;
}

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "te_topology_report_" + std::to_string(::getpid()) + "_" + name;
}

TEST(TopologyReport, TerminalGroupsHostsBySwitchAndNamesTheUplink) {
  auto f = makeReport();
  std::ostringstream out;
  printTerminalReport(f->report, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("hosts by switch (topo.conf):\n  in no switch (each its own group): h5=5\n"
                      "  leaf1 (under spine1): h0=0 h1=1\n  leaf2 (under spine1): h2=2 h3=3\n  leaf3 (under spine1): h4=4\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("SUSPECT uplink leaf2: 16 of its 16 links slow (all through its uplink, median 0."), std::string::npos) << text;
  EXPECT_EQ(text.find("SUSPECT host"), std::string::npos) << text;
  EXPECT_NE(text.find("by path (median GB/s, links): "), std::string::npos) << text;
  EXPECT_NE(text.find("by switch (median of links from its hosts): leaf1 "), std::string::npos) << text;
}

TEST(TopologyReport, JsonAndCsvCarryEachLinksPath) {
  auto f = makeReport();
  const nlohmann::json j = reportToJson(f->report);
  EXPECT_EQ(j["topology"]["source"], "topo.conf");
  EXPECT_EQ(j["topology"]["switches"][1]["job_hosts"], nlohmann::json({"h2", "h3"}));
  EXPECT_EQ(j["topology"]["switches"][1]["parent"], "spine1");
  const nlohmann::json& block = j["results"][0];
  const nlohmann::json& link = block["links"][6 * 0 + 1]["analysis"];  // 0 -> 2 (links of 0: ->1, ->2, ...)
  EXPECT_EQ(link["path"], "through-switch");
  EXPECT_EQ(link["common_switch"], "spine1");
  EXPECT_EQ(link["initiator_switch"], "leaf1");
  EXPECT_EQ(link["target_switch"], "leaf2");
  EXPECT_TRUE(link["rail"].is_null());
  const nlohmann::json& a = block["analysis"];
  EXPECT_EQ(a["suspects"][0]["kind"], "uplink");
  EXPECT_EQ(a["suspects"][0]["name"], "leaf2");
  EXPECT_EQ(a["suspects"][0]["level"], 0);
  EXPECT_EQ(a["unplaced_hosts"], nlohmann::json({"h5"}));
  EXPECT_EQ(a["path_classes"][0]["name"], "same-switch");
  EXPECT_EQ(a["per_switch"].size(), 3u);

  const std::string csv = tempPath("r.csv");
  ASSERT_TRUE(writeCsvReport(f->report, csv).isOk());
  std::ifstream in(csv);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_NE(header.find(",lower_bound,seconds,precision,path,common_switch,initiator_switch,target_switch,rail,"
                        "initiator_rail,target_rail"),
            std::string::npos);
  EXPECT_NE(row.find(",same-switch,leaf1,leaf1,leaf1,,,"), std::string::npos) << row;  // 0 -> 1
  std::remove(csv.c_str());
}

TEST(TopologyReport, ASlowRailIsNamedWithItsNics) {
  BenchConfig config;
  RunReport r;
  r.config = &config;
  r.world_size = 8;
  r.hosts = {"h0", "h0", "h1", "h1", "h2", "h2", "h3", "h3"};
  for (int rank = 0; rank < 8; ++rank) r.memory["ranks"].push_back({{"nics", {rank % 2 ? "mlx5_1" : "mlx5_0"}}});
  ResultBlock b{"verbs", "write", 65536, {}, {}, {}, {}, "pairs", {}};
  b.links = testing::fullMatrixLinks(8, [](int i, int t) {
    return i / 2 != t / 2 && (i % 2 || t % 2) ? 1'000'000'000ull : 10'000'000'000ull + 10'000'000ull * uint64_t(i + t);
  });
  b.analysis = analyzeLinks(b.links, r.hosts, {});
  r.blocks.push_back(std::move(b));
  std::ostringstream out;
  printTerminalReport(r, out);
  EXPECT_NE(out.str().find("SUSPECT rail 1: "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("; NIC mlx5_1\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("rail x rail between hosts"), std::string::npos) << out.str();
}

TEST(TopologyReport, HtmlOrdersRanksBySwitchAndNamesTheUplink) {
  auto f = makeReport();
  f->report.hosts = {"h0", "h2", "h4", "h1", "h3", "h5"};  // rank 1 under leaf2, rank 3 under leaf1
  const std::string path = tempPath("r.html");
  ASSERT_TRUE(writeHtmlReport(f->report, path).isOk());
  std::ifstream in(path);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path.c_str());
  // Columns: leaf1 (ranks 0, 3), leaf2 (1, 4), leaf3 (2), no switch (5); a line at each switch.
  EXPECT_NE(html.find("<colgroup><col><col><col class=\"edge-host\"><col class=\"edge-switch\"><col class=\"edge-host\">"
                      "<col class=\"edge-switch\"><col class=\"edge-switch\"><col></colgroup>"),
            std::string::npos);
  const size_t r3 = html.find("<th class=\"col\" data-rank=\"3\">"), r1 = html.find("<th class=\"col\" data-rank=\"1\">");
  ASSERT_NE(r3, std::string::npos);
  EXPECT_LT(r3, r1);
  EXPECT_NE(html.find("<table class=\"per-switch\">"), std::string::npos);
  EXPECT_NE(html.find("<li class=\"bad\">uplink "), std::string::npos);
}

}  // namespace
}  // namespace te::bench
