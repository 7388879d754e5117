// Congestion impact (issue 23 item 2): --schedule lists, loaded / idle per link on synthetic
// links (the links through a shared bottleneck flagged, the others not), and the impact in
// every report, read back by te_bench report byte for byte.
#include <gtest/gtest.h>

#include <unistd.h>

#include <sstream>

#include "bench/analysis/congestion.h"
#include "bench/cli/config.h"
#include "bench/report/report_congestion.h"
#include "bench/report/report_load.h"
#include "bench/report/report_metrics.h"
#include "bench/run/schedule.h"
#include "support/parse_args.h"
#include "support/synthetic_links.h"
#include "support/temp_files.h"

namespace te::bench {
namespace {

using testing::argsError;
using testing::parseArgs;

TEST(ScheduleLists, AcceptEachScheduleOnceAndNameTheOneThatIsWrong) {
  testing::Parsed p = parseArgs({"--schedule", "pairs,all-to-all"});
  ASSERT_EQ(p.result.outcome, ParseOutcome::kRun) << p.result.error.message();
  EXPECT_EQ(scheduleList(p.config.schedule), (std::vector<std::string>{"pairs", "all-to-all"}));
  EXPECT_EQ(configToJson(p.config)["schedule"], "pairs,all-to-all");
  EXPECT_EQ(argsError({"--bootstrap", "mpi", "--schedule", "sequential,shift,incast", "--fan", "2"}), "");
  EXPECT_EQ(argsError({"--bootstrap", "mpi", "--schedule", "pairs,m-to-n", "--groups", "0-1:2-3"}), "");

  const std::string allowed = "allowed values are " + scheduleNames() + ", or a comma list of them (e.g. pairs,all-to-all)";
  EXPECT_EQ(argsError({"--schedule", "pairs,everything"}), "--schedule pairs,everything: everything is not a schedule; " + allowed);
  EXPECT_EQ(argsError({"--schedule", "pairs,"}), "--schedule pairs,: '' is not a schedule; " + allowed);
  EXPECT_EQ(argsError({"--schedule", "ring"}), "--schedule ring: " + allowed);
  EXPECT_EQ(argsError({"--schedule", "pairs,shift,pairs"}),
            "--schedule pairs,shift,pairs: pairs named twice; allowed each schedule once");
  EXPECT_EQ(argsError({"--schedule", "pairs,shift", "--pairs", "0:1"}),
            "--schedule pairs,shift with --pairs: allowed one schedule (--pairs replaces it)");
  EXPECT_EQ(argsError({"--schedule", "pairs,m-to-n"}), "--schedule m-to-n: --groups FROM:TO is required (e.g. --groups 0-7:8-15)");
  EXPECT_NE(argsError({"--schedule", "pairs,shift", "--fan", "2"}).find("allowed only with --schedule incast or outcast"),
            std::string::npos);
  EXPECT_TRUE(anySchedule("pairs,incast", &ScheduleInfo::fanned));
  EXPECT_FALSE(anySchedule("pairs,shift", &ScheduleInfo::fanned));
}

// 4 ranks on 4 hosts: idle, every link 1 GB/s with a p50 of 10 us; loaded, the four links
// through the shared uplink (0->2, 1->3, 2->0, 3->1) at half the rate and 4x the p50.
std::vector<LinkResult> links(bool loaded) {
  auto through = [](int i, int t) { return (i + 2) % 4 == t; };
  std::vector<LinkResult> out = testing::fullMatrixLinks(4, [&](int i, int t) {
    return loaded && through(i, t) ? 500'000'000ull : 1'000'000'000ull - (loaded ? 10'000'000ull * uint64_t(i) : 0);
  });
  for (LinkResult& l : out) {
    Histogram h;
    h.record(loaded && through(l.link.initiator, l.link.target) ? 40'000 : 10'000);
    l.latency_ns = LatencySummary::of(h);
  }
  return out;
}

const std::vector<std::string> kHosts = {"h0", "h1", "h2", "h3"};

TEST(CongestionImpact, NamesTheLinksThroughASharedBottleneck) {
  AnalysisOptions options;
  options.threshold = 0.8;
  std::optional<CongestionImpact> c = congestionImpact(links(false), "pairs", links(true), kHosts, options);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->idle_schedule, "pairs");
  ASSERT_EQ(c->links.size(), 12u);
  ASSERT_EQ(c->flagged.size(), 4u);
  for (size_t k : c->flagged) {
    const LinkImpact& l = c->links[k];
    const Link& link = links(true)[l.link].link;
    EXPECT_EQ((link.initiator + 2) % 4, link.target);
    EXPECT_DOUBLE_EQ(l.ratio, 0.5);
    EXPECT_DOUBLE_EQ(l.latency_ratio, 4.0);
    EXPECT_NEAR(l.reference, 0.975, 1e-9);  // between 0.97 and 0.98
  }
  for (const LinkImpact& l : c->links) {
    if (!l.flagged) {
      EXPECT_GT(l.ratio, 0.96);
    }
    EXPECT_EQ(c->by_link[l.link], &l - c->links.data());
  }
  EXPECT_DOUBLE_EQ(c->summary.worst, 0.5);
  EXPECT_DOUBLE_EQ(c->summary.p1, 0.5);
  EXPECT_NEAR(c->summary.median, 0.975, 1e-9);
  EXPECT_DOUBLE_EQ(c->summary.latency_median, 1.0);
  EXPECT_DOUBLE_EQ(c->summary.latency_worst, 4.0);

  // Only links measured both ways count; none: no figure.
  std::vector<LinkResult> idle = links(false);
  idle.resize(3);
  idle[1].error = "failed";
  c = congestionImpact(idle, "pairs", links(true), kHosts, options);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->links.size(), 2u);
  EXPECT_TRUE(c->flagged.empty()) << "two comparable links are too few to flag one";
  EXPECT_FALSE(congestionImpact({}, "pairs", links(true), kHosts, options));
  EXPECT_TRUE(idleSchedule("pairs"));
  EXPECT_TRUE(idleSchedule("sequential"));
  EXPECT_FALSE(idleSchedule("all-to-all"));
  EXPECT_FALSE(idleSchedule("shift"));
}

struct Fixture {
  BenchConfig config;
  RunReport report;
};

std::unique_ptr<Fixture> makeReport() {
  auto f = std::make_unique<Fixture>();
  f->config.schedule = "pairs,shift";
  f->config.command_line = {"te_bench", "--schedule", "pairs,shift"};
  RunReport& r = f->report;
  r.config = &f->config;
  r.world_size = 4;
  r.hosts = kHosts;
  r.transport = "tcp";
  r.start_time = r.end_time = "2026-12-03T03:00:00Z";
  for (const char* schedule : {"pairs", "shift"}) {
    ResultBlock b{"tcp", "write", 65536, links(std::string(schedule) == "shift"), {}, {}, {}, schedule, {}};
    b.analysis = analyzeLinks(b.links, r.hosts, AnalysisOptions{});
    applyRetests(b.links, {}, r.hosts, AnalysisOptions{}, &b.analysis);
    r.blocks.push_back(std::move(b));
  }
  addCongestionImpacts(&r);
  return f;
}

TEST(CongestionReports, EveryReportShowsTheImpactAndTheReportCommandReadsItBack) {
  auto f = makeReport();
  ASSERT_FALSE(f->report.blocks[0].congestion) << "the idle block has no impact";
  ASSERT_TRUE(f->report.blocks[1].congestion);

  std::ostringstream terminal;
  printTerminalReport(f->report, terminal);
  EXPECT_NE(terminal.str().find("block 64 KiB, schedule shift"), std::string::npos) << terminal.str();
  EXPECT_NE(terminal.str().find("congestion impact, shift against pairs"), std::string::npos) << terminal.str();
  EXPECT_NE(terminal.str().find("LOW UNDER LOAD (impact below 0.80 x that of comparable links): 0->2 0.50 of"),
            std::string::npos) << terminal.str();
  EXPECT_NE(terminal.str().find("0.50*"), std::string::npos) << "the impact matrix marks it";

  const nlohmann::json j = reportToJson(f->report);
  EXPECT_EQ(j["results"][0]["schedule"], "pairs");
  EXPECT_FALSE(j["results"][0].contains("congestion"));
  const nlohmann::json& c = j["results"][1]["congestion"];
  EXPECT_EQ(c["idle_schedule"], "pairs");
  EXPECT_EQ(c["links"], 12);
  EXPECT_EQ(c["worst"], 0.5);
  EXPECT_EQ(c["flagged_links"].size(), 4u);
  EXPECT_EQ(c["latency_worst"], 4.0);
  size_t with_impact = 0;
  for (const auto& l : j["results"][1]["links"]) {
    if (!l.contains("congestion")) continue;
    ++with_impact;
    EXPECT_EQ(l["congestion"]["flagged"], (l["initiator"].get<int>() + 2) % 4 == l["target"].get<int>());
    EXPECT_DOUBLE_EQ(l["congestion"]["idle_bytes_per_second"].get<double>(), 1e9);
  }
  EXPECT_EQ(with_impact, 12u);

  const std::string json = testing::tempPath("te_congestion_", "run.json");
  const std::string csv = testing::tempPath("te_congestion_", "run.csv");
  const std::string html = testing::tempPath("te_congestion_", "run.html");
  ASSERT_TRUE(writeJsonReport(f->report, json).isOk());
  ASSERT_TRUE(writeCsvReport(f->report, csv).isOk());
  ASSERT_TRUE(writeHtmlReport(f->report, html).isOk());
  const std::string csv_text = testing::readFile(csv);
  EXPECT_NE(csv_text.find(",schedule,idle_bytes_per_second,congestion_impact,latency_impact,impact_flagged,nics\n"),
            std::string::npos);
  EXPECT_NE(csv_text.find(",shift,1e+09,0.5,4,true,\n"), std::string::npos) << csv_text;
  EXPECT_NE(csv_text.find(",pairs,,,,,\n"), std::string::npos);
  EXPECT_NE(testing::readFile(html).find("Congestion impact: shift against pairs"), std::string::npos);
  std::ostringstream metrics;
  writeMetrics(f->report, false, metrics);
  EXPECT_NE(metrics.str().find("te_bench_block_congestion_impact{transport=\"tcp\",operation=\"write\",block_size=\"65536\","
                               "schedule=\"shift\",stat=\"worst\"} 0.5\n"),
            std::string::npos) << metrics.str();
  EXPECT_NE(metrics.str().find("te_bench_block_congestion_flagged_links{transport=\"tcp\",operation=\"write\","
                               "block_size=\"65536\",schedule=\"shift\"} 4\n"),
            std::string::npos);

  Result<std::unique_ptr<LoadedReport>> loaded = loadRunReport(json);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().message();
  const RunReport& again = (*loaded)->report;
  ASSERT_TRUE(again.blocks[1].congestion);
  std::ostringstream terminal_again;
  printTerminalReport(again, terminal_again);
  EXPECT_EQ(terminal.str(), terminal_again.str());
  const std::string csv_again = testing::tempPath("te_congestion_", "again.csv");
  ASSERT_TRUE(writeCsvReport(again, csv_again).isOk());
  EXPECT_EQ(csv_text, testing::readFile(csv_again));
  for (const std::string& p : {json, csv, html, csv_again}) ::unlink(p.c_str());
}

}  // namespace
}  // namespace te::bench
