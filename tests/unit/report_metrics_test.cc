// The Prometheus report of a synthetic run: label values escaped per the exposition format,
// metric names, HELP / TYPE before each family's samples, per-host aggregates as the analysis
// computed them, the flagged / all link selection, the run's exit code, atomic writes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "bench/report/report_metrics.h"
#include "bench/report/report_topology.h"
#include "support/synthetic_links.h"
#include "support/temp_files.h"

namespace te::bench {
namespace {

constexpr int kRanks = 4;
// A quote, a backslash and a line feed: each must be escaped in a label value.
const std::string kNastyHost = "rack\"1\\a\nb";

struct Fixture {
  BenchConfig config;
  RunReport report;
};

// 4 ranks on 2 hosts (0,1 on h0; 2,3 on the nasty one), link 1->2 slow, link 3->0 failed.
std::unique_ptr<Fixture> makeReport() {
  auto f = std::make_unique<Fixture>();
  RunReport& r = f->report;
  r.config = &f->config;
  r.world_size = kRanks;
  r.hosts = {"h0", "h0", kNastyHost, kNastyHost};
  r.transport = "tcp";
  r.start_time = "2026-12-02T10:00:00Z";
  r.end_time = "2026-12-02T10:01:40Z";
  ResultBlock b{"tcp", "write", 65536, {}, {}, {}, {}, "pairs", {}};
  b.links = testing::fullMatrixLinks(kRanks, [](int i, int t) {
    return (i == 1 && t == 2) ? 2'000'000'000ull : 10'000'000'000ull + 1'000'000ull * uint64_t(i * kRanks + t);
  });
  for (LinkResult& l : b.links) {
    Histogram latency;
    for (uint64_t ns = 5000; ns < 50000; ns += 1000) latency.record(ns);
    l.latency_ns = LatencySummary::of(latency);
    if (l.link.initiator == 3 && l.link.target == 0) {
      l.bytes = 0;
      l.error = "connection reset";
    }
  }
  b.analysis = analyzeLinks(b.links, r.hosts, {});
  applyRetests(b.links, {}, r.hosts, {}, &b.analysis);
  r.blocks.push_back(std::move(b));
  return f;
}

std::string render(const RunReport& r, bool all) {
  std::ostringstream out;
  writeMetrics(r, all, out);
  return out.str();
}

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // values unescaped
  double value = 0;
};

// A strict reader of the text format: HELP and TYPE before a family's samples, samples of a
// family together, label values with only \\ \" \n escapes. Fails the test on anything else.
std::vector<Sample> parseExposition(const std::string& text) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  std::vector<Sample> out;
  std::set<std::string> done;
  std::string current, typed;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(done.insert(name).second) << "family twice: " << name;
      current = name;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      EXPECT_EQ(line, "# TYPE " + current + " gauge");
      typed = current;
      continue;
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    EXPECT_TRUE(std::regex_match(s.name, kName)) << line;
    EXPECT_EQ(s.name, typed) << "a sample outside its family: " << line;
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        std::string key;
        while (line[i] != '=') key += line[i++];
        EXPECT_TRUE(std::regex_match(key, kName)) << line;
        EXPECT_EQ(line[++i], '"') << line;
        std::string value;
        for (++i; line[i] != '"'; ++i) {
          if (line[i] == '\\') {
            const char e = line[++i];
            EXPECT_TRUE(e == '\\' || e == '"' || e == 'n') << "bad escape in " << line;
            value += e == 'n' ? '\n' : e;
          } else {
            value += line[i];
          }
        }
        s.labels[key] = value;
        ++i;
        if (line[i] == ',') ++i;
      }
      ++i;
    }
    EXPECT_EQ(line[i], ' ') << line;
    s.value = std::stod(line.substr(i + 1));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> named(const std::vector<Sample>& all, const std::string& name) {
  std::vector<Sample> out;
  for (const Sample& s : all) {
    if (s.name == name) out.push_back(s);
  }
  return out;
}

TEST(MetricsReport, EscapesLabelValues) {
  EXPECT_EQ(escapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(escapeLabelValue("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(escapeLabelValue("two\nlines"), "two\\nlines");
  EXPECT_EQ(escapeLabelValue("plain-host_01.example"), "plain-host_01.example");
}

TEST(MetricsReport, EveryFamilyIsPrefixedTypedAndParses) {
  auto f = makeReport();
  const std::string text = render(f->report, true);
  const std::vector<Sample> samples = parseExposition(text);
  ASSERT_FALSE(samples.empty());
  for (const Sample& s : samples) EXPECT_EQ(s.name.rfind("te_bench_", 0), 0u) << s.name;
  // The nasty host name comes back whole through the escapes.
  bool seen = false;
  for (const Sample& s : named(samples, "te_bench_link_throughput_bytes_per_second")) {
    seen |= s.labels.count("target_host") && s.labels.at("target_host") == kNastyHost;
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(text.find(kNastyHost), std::string::npos) << "a raw line feed or quote in a label";
}

TEST(MetricsReport, PerHostAggregatesAreTheAnalysis) {
  auto f = makeReport();
  const BlockAnalysis& a = f->report.blocks[0].analysis;
  ASSERT_EQ(a.per_host.size(), 2u);
  const std::vector<Sample> medians = named(parseExposition(render(f->report, false)), "te_bench_host_median_bytes_per_second");
  ASSERT_EQ(medians.size(), 4u);  // two hosts, as initiator and as target
  for (const GroupSummary& g : a.per_host) {
    for (const auto& [direction, s] : {std::pair{"initiator", g.as_initiator}, {"target", g.as_target}}) {
      size_t found = 0;
      for (const Sample& m : medians) {
        if (m.labels.at("host") != g.name || m.labels.at("direction") != direction) continue;
        ++found;
        EXPECT_DOUBLE_EQ(m.value, s.median);
        EXPECT_EQ(m.labels.at("transport"), "tcp");
        EXPECT_EQ(m.labels.at("block_size"), "65536");
      }
      EXPECT_EQ(found, 1u) << g.name << " " << direction;
    }
  }
}

TEST(MetricsReport, DefaultListsFlaggedAndFailedLinksOnly) {
  auto f = makeReport();
  const RunReport& r = f->report;
  const std::vector<Sample> flagged = parseExposition(render(r, false));
  const std::vector<Sample> all = parseExposition(render(r, true));
  std::set<std::pair<std::string, std::string>> listed;
  for (const Sample& s : flagged) {
    if (s.name.rfind("te_bench_link_", 0) == 0) listed.insert({s.labels.at("initiator"), s.labels.at("target")});
  }
  std::set<std::pair<std::string, std::string>> expected;
  const ResultBlock& b = r.blocks[0];
  for (size_t i = 0; i < b.links.size(); ++i) {
    if (b.analysis.verdicts[i].flagged || !b.links[i].error.empty()) {
      expected.insert({std::to_string(b.links[i].link.initiator), std::to_string(b.links[i].link.target)});
    }
  }
  EXPECT_TRUE(expected.count({"1", "2"}));
  EXPECT_TRUE(expected.count({"3", "0"}));
  EXPECT_EQ(listed, expected);
  // --metrics-links all: every link with a rate has its throughput.
  size_t rated = 0;
  for (const LinkResult& l : b.links) rated += l.hasRate();
  EXPECT_EQ(named(all, "te_bench_link_throughput_bytes_per_second").size(), rated);
  for (const Sample& s : named(all, "te_bench_link_throughput_bytes_per_second")) {
    const int from = std::stoi(s.labels.at("initiator")), to = std::stoi(s.labels.at("target"));
    for (const LinkResult& l : b.links) {
      if (l.link.initiator == from && l.link.target == to) {
        EXPECT_DOUBLE_EQ(s.value, l.bytesPerSecond());
      }
    }
  }
  const std::vector<Sample> failed = named(flagged, "te_bench_link_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].labels.at("initiator"), "3");
}

TEST(MetricsReport, SuspectsAreTheAnalysisVerdict) {
  // 6 ranks on 6 hosts, every link of rank 5 slow: the analysis names host h5.
  BenchConfig config;
  RunReport r;
  r.config = &config;
  r.world_size = 6;
  r.hosts = {"h0", "h1", "h2", "h3", "h4", "h5"};
  ResultBlock b{"tcp", "read", 4096, {}, {}, {}, {}, "pairs", {}};
  b.links = testing::fullMatrixLinks(6, [](int i, int t) {
    return i == 5 || t == 5 ? 1'000'000'000ull : 10'000'000'000ull + 1'000'000ull * uint64_t(i + t);
  });
  b.analysis = analyzeLinks(b.links, r.hosts, {});
  applyRetests(b.links, {}, r.hosts, {}, &b.analysis);
  const std::vector<Suspect> suspects = b.analysis.suspects;
  ASSERT_FALSE(suspects.empty());
  r.blocks.push_back(std::move(b));
  const std::vector<Sample> s = parseExposition(render(r, false));
  const std::vector<Sample> named_suspects = named(s, "te_bench_suspect");
  ASSERT_EQ(named_suspects.size(), suspects.size());
  for (size_t i = 0; i < suspects.size(); ++i) {
    EXPECT_EQ(named_suspects[i].labels.at("kind"), suspects[i].kind);
    EXPECT_EQ(named_suspects[i].labels.at("suspect"), suspectName(suspects[i]));
    EXPECT_EQ(named_suspects[i].labels.at("operation"), "read");
    EXPECT_DOUBLE_EQ(named_suspects[i].value, 1);
    EXPECT_DOUBLE_EQ(named(s, "te_bench_suspect_slow_links").at(i).value, double(suspects[i].flagged_links));
  }
  EXPECT_EQ(named_suspects[0].labels.at("suspect"), "host h5");
  EXPECT_DOUBLE_EQ(named(s, "te_bench_block_suspects").at(0).value, double(suspects.size()));
}

TEST(MetricsReport, RunMetadataAndExitCode) {
  auto f = makeReport();
  f->report.version = "9.8.7";
  f->report.git_revision = "abc\"def";
  std::vector<Sample> s = parseExposition(render(f->report, false));
  ASSERT_EQ(named(s, "te_bench_run_info").size(), 1u);
  EXPECT_EQ(named(s, "te_bench_run_info")[0].labels.at("git_revision"), "abc\"def");
  EXPECT_EQ(named(s, "te_bench_run_info")[0].labels.at("version"), "9.8.7");
  EXPECT_DOUBLE_EQ(named(s, "te_bench_run_duration_seconds").at(0).value, 100);
  EXPECT_DOUBLE_EQ(named(s, "te_bench_run_start_timestamp_seconds").at(0).value, 1796205600);
  EXPECT_DOUBLE_EQ(named(s, "te_bench_run_exit_code").at(0).value, 0);
  EXPECT_DOUBLE_EQ(named(s, "te_bench_run_complete").at(0).value, 1);
  f->report.blocks[0].analysis.failing = {0};
  EXPECT_EQ(reportedExitCode(f->report), 4);
  f->report.failure = "phase 2 of 6: rank 3 lost";
  s = parseExposition(render(f->report, false));
  EXPECT_DOUBLE_EQ(named(s, "te_bench_run_exit_code").at(0).value, 1);
  EXPECT_DOUBLE_EQ(named(s, "te_bench_run_complete").at(0).value, 0);
}

TEST(MetricsReport, WritesAtomicallyAndNamesTheFlagOnError) {
  auto f = makeReport();
  const std::string path = testing::tempPath("te_metrics_", "run.prom");
  ASSERT_TRUE(writeMetricsReport(f->report, path).isOk());
  EXPECT_EQ(testing::readFile(path), render(f->report, false));
  EXPECT_NE(::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK), 0) << "temporary file left";
  ::unlink(path.c_str());
  Status bad = writeMetricsReport(f->report, "/nonexistent-dir/x.prom");
  EXPECT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("--metrics"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace te::bench
