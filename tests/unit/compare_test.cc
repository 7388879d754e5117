// `te_bench compare` on JSON reports written by the real JSON writer: exit codes, the
// worse-link detection, per-host ratios, the table's length and the --json output.
#include "bench/analysis/compare.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "bench/report/json_filter.h"
#include "bench/report/report.h"
#include "support/synthetic_links.h"

namespace te::bench {
namespace {

constexpr double kFast = 10e9;

class CompareTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& p : written_) ::unlink(p.c_str());
  }

  // A te_bench JSON report of n ranks on n hosts, one block, throughput from `bps`.
  std::string writeReport(const std::string& name, int n, const std::function<double(int, int)>& bps,
                          uint64_t block_size = 65536) {
    RunReport r;
    r.config = &config_;
    r.world_size = n;
    for (int i = 0; i < n; ++i) r.hosts.push_back("node" + std::to_string(i));
    ResultBlock b{"tcp", "write", block_size, {}, {}, {}, {}, "pairs", {}};
    b.links = testing::fullMatrixLinks(n, [&bps](int i, int t) { return static_cast<uint64_t>(bps(i, t)); });
    r.blocks.push_back(std::move(b));
    return writeText(name, reportToJson(r).dump());
  }

  std::string writeText(const std::string& name, const std::string& text) {
    std::string path = ::testing::TempDir() + "te_compare_" + std::to_string(::getpid()) + "_" + name;
    std::ofstream(path) << text;
    written_.push_back(path);
    return path;
  }

  int run(std::vector<std::string> args) {
    args.insert(args.begin(), "compare");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    out_.str("");
    err_.str("");
    return runCompare(static_cast<int>(argv.size()), argv.data(), out_, err_);
  }

  size_t errLines() const {
    std::string e = err_.str();
    return static_cast<size_t>(std::count(e.begin(), e.end(), '\n'));
  }

  BenchConfig config_;
  std::vector<std::string> written_;
  std::ostringstream out_, err_;
};

TEST_F(CompareTest, SameThroughputExitsZero) {
  auto same = [](int, int) { return kFast; };
  std::string a = writeReport("a.json", 4, same), b = writeReport("b.json", 4, same);
  EXPECT_EQ(run({a, b}), 0) << err_.str();
  EXPECT_NE(out_.str().find("tcp write, block 64 KiB: 12 links in both reports"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("no link below 0.80"), std::string::npos);
  EXPECT_EQ(err_.str(), "");
}

// --metric latency reports are compared on their p50s (the rate at depth one, block / p50).
TEST_F(CompareTest, LatencyReportsCompareP50s) {
  config_.metric = Metric::kLatency;
  auto report = [&](const std::string& name, uint64_t slow_ns) {
    RunReport r;
    r.config = &config_;
    r.world_size = 3;
    r.hosts = {"node0", "node1", "node2"};
    ResultBlock b{"tcp", "write", 8, testing::fullMatrixLinks(3, [](int, int) { return 800000ull; }), {}, {}, {},
                  "pairs", {}};
    for (LinkResult& l : b.links) {
      Histogram h;
      h.record(l.link.initiator == 0 && l.link.target == 2 ? slow_ns : 20000);
      l.latency_ns = LatencySummary::of(h);
    }
    r.blocks.push_back(std::move(b));
    return writeText(name, reportToJson(r).dump());
  };
  const std::string a = report("lat_a.json", 20000), b = report("lat_b.json", 60000);
  std::string json_out = ::testing::TempDir() + "te_compare_" + std::to_string(::getpid()) + "_lat.json";
  written_.push_back(json_out);
  EXPECT_EQ(run({a, b, "--json", json_out}), 4) << err_.str();
  const std::string text = out_.str();
  const size_t header = text.find("old p50 us  new p50 us old/new\n");
  ASSERT_NE(header, std::string::npos) << text;
  EXPECT_EQ(text.find("0->2", header), header + 33) << text;
  EXPECT_NE(text.find("WORSE"), std::string::npos) << text;
  Result<nlohmann::json> j = loadJsonFile(json_out, {}, "a comparison");
  ASSERT_TRUE(j.isOk()) << j.status().message();
  const auto& link = (*j)["blocks"][0]["links"][0];
  EXPECT_EQ((*j)["blocks"][0]["metric"], "latency");
  EXPECT_NEAR(link["old_latency_p50_us"].get<double>(), 20, 1);
  EXPECT_NEAR(link["new_latency_p50_us"].get<double>(), 60, 2);
  EXPECT_NEAR(link["ratio"].get<double>(), 1.0 / 3, 0.03);
  // A bandwidth report of the same size is not compared with it.
  config_.metric = Metric::kBandwidth;
  EXPECT_EQ(run({a, writeReport("bw.json", 3, [](int, int) { return kFast; }, 8)}), 2);
}

TEST_F(CompareTest, WorseLinkExitsFourAndIsListedFirst) {
  std::string a = writeReport("a.json", 4, [](int, int) { return kFast; });
  std::string b = writeReport("b.json", 4, [](int i, int t) { return i == 1 && t == 2 ? 0.5 * kFast : kFast * 1.05; });
  std::string json_out = ::testing::TempDir() + "te_compare_" + std::to_string(::getpid()) + "_out.json";
  written_.push_back(json_out);
  EXPECT_EQ(run({a, b, "--json", json_out}), 4) << err_.str();
  const std::string text = out_.str();
  size_t header = text.find("new/old\n");
  ASSERT_NE(header, std::string::npos) << text;
  // The first row after the header is the worst link.
  EXPECT_EQ(text.find("1->2", header), header + 10) << text;
  EXPECT_NE(text.find("0.50  WORSE"), std::string::npos) << text;
  EXPECT_NE(text.find("REGRESSION: 1 link below 0.80"), std::string::npos) << text;

  Result<nlohmann::json> j = loadJsonFile(json_out, {}, "a comparison");
  ASSERT_TRUE(j.isOk()) << j.status().message();
  EXPECT_EQ((*j)["worse"], 1);
  const auto& block = (*j)["blocks"][0];
  EXPECT_EQ(block["links"][0]["initiator"], 1);
  EXPECT_EQ(block["links"][0]["target"], 2);
  EXPECT_DOUBLE_EQ(block["links"][0]["ratio"].get<double>(), 0.5);
  EXPECT_EQ(block["links"][0]["worse"], true);
  EXPECT_EQ(block["links"].size(), 12u);
  // Hosts of the worse link come first; node1's mean ratio is (0.5 + 5 x 1.05) / 6.
  EXPECT_EQ(block["hosts"][0]["host"], "node1");
  EXPECT_NEAR(block["hosts"][0]["mean_ratio"].get<double>(), (0.5 + 5 * 1.05) / 6, 1e-9);
  EXPECT_EQ(block["hosts"][0]["links"], 6);
  EXPECT_EQ(block["hosts"].size(), 4u);
}

TEST_F(CompareTest, ThresholdDecidesWhatIsWorse) {
  std::string a = writeReport("a.json", 3, [](int, int) { return kFast; });
  std::string b = writeReport("b.json", 3, [](int i, int t) { return i == 0 && t == 2 ? 0.85 * kFast : kFast; });
  EXPECT_EQ(run({a, b}), 0);
  EXPECT_EQ(run({a, b, "--threshold", "0.9"}), 4);
  EXPECT_EQ(run({b, a, "--threshold", "0.9"}), 0);  // faster is never worse
}

TEST_F(CompareTest, LongTablesAreCut) {
  std::string a = writeReport("a.json", 6, [](int, int) { return kFast; });
  std::string b = writeReport("b.json", 6, [](int i, int t) { return kFast * (1 + 0.001 * (i * 6 + t)); });
  EXPECT_EQ(run({a, b}), 0);
  EXPECT_NE(out_.str().find("... 10 more links"), std::string::npos) << out_.str();  // 30 links, 20 shown
}

TEST_F(CompareTest, UsageErrorsExitTwoWithOneLine) {
  std::string a = writeReport("a.json", 3, [](int, int) { return kFast; });
  std::string other_size = writeReport("c.json", 3, [](int, int) { return kFast; }, 4096);
  std::string not_json = writeText("bad.json", "{\"results\": [");
  std::string foreign = writeText("foreign.json", "{\"name\": \"iperf3\"}");
  std::string missing = ::testing::TempDir() + "te_compare_does_not_exist.json";
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{a, missing}, missing + ": cannot open (No such file or directory)"},
           {{not_json, a}, not_json + ": not valid JSON"},
           {{a, foreign}, foreign + ": not a te_bench JSON report"},
           {{a, other_size}, "no block (transport, operation, block size) is in both reports"},
           {{a, a, "--threshold", "1.5"}, "--threshold"},
           {{a, a, "--threshold", "0"}, "--threshold 0: allowed a number > 0 and <= 1"},
           {{a, a, "--threshold", "abc"}, "--threshold abc: allowed a number > 0 and <= 1"},
           {{a, a, "--threshold", ""}, "--threshold '': allowed a number > 0 and <= 1"},
           {{a}, "NEW is required"},
           {{a, a, "--bogus"}, "--bogus"},
       }) {
    EXPECT_EQ(run(c.args), 2) << c.says;
    EXPECT_NE(err_.str().find(c.says), std::string::npos) << err_.str();
    EXPECT_EQ(errLines(), 1u) << err_.str();
    EXPECT_EQ(err_.str().rfind("te_bench compare: ", 0), 0u) << err_.str();
  }
}

TEST_F(CompareTest, HelpExitsZero) {
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(out_.str().find("--threshold"), std::string::npos);
}

TEST(CompareReports, UnmatchedLinksAndMovedRanks) {
  auto report = [](std::vector<std::string> hosts, std::vector<std::pair<int, int>> links) {
    nlohmann::json l = nlohmann::json::array();
    for (auto [i, t] : links) {
      l.push_back({{"initiator", i}, {"target", t}, {"initiator_host", hosts[i]}, {"target_host", hosts[t]},
                   {"bytes_per_second", kFast}});
    }
    return nlohmann::json{{"results", {{{"transport", "tcp"}, {"operation", "read"}, {"block_size", 4096},
                                        {"links", l}}}}};
  };
  auto old_report = report({"a", "b", "c"}, {{0, 1}, {1, 0}, {0, 2}});
  auto new_report = report({"a", "b", "d"}, {{0, 1}, {1, 0}, {2, 1}});
  Result<Comparison> c = compareReports(old_report, new_report, 0.8);
  ASSERT_TRUE(c.isOk()) << c.status().message();
  ASSERT_EQ(c->blocks.size(), 1u);
  EXPECT_EQ(c->blocks[0].links.size(), 2u);
  EXPECT_EQ(c->blocks[0].only_in_old, 1u);
  EXPECT_EQ(c->blocks[0].only_in_new, 1u);
  EXPECT_EQ(c->worse, 0u);
  EXPECT_TRUE(c->blocks[0].notes.empty());  // rank 2 is in no common link
  new_report = report({"a", "x", "d"}, {{0, 1}});
  c = compareReports(old_report, new_report, 0.8);
  ASSERT_TRUE(c.isOk());
  ASSERT_EQ(c->blocks[0].notes.size(), 1u);
  EXPECT_EQ(c->blocks[0].notes[0], "rank 1 ran on b in OLD and on x in NEW");
}

TEST(CompareReports, LinkThatFailedBeforeHasNoRatio) {
  nlohmann::json old_report = {{"results", {{{"transport", "tcp"}, {"operation", "write"}, {"block_size", 1},
                                             {"links", {{{"initiator", 0}, {"target", 1}, {"bytes_per_second", 0}}}}}}}};
  nlohmann::json new_report = old_report;
  new_report["results"][0]["links"][0]["bytes_per_second"] = kFast;
  Result<Comparison> c = compareReports(old_report, new_report, 0.8);
  ASSERT_TRUE(c.isOk());
  EXPECT_FALSE(c->blocks[0].links[0].ratio);
  EXPECT_FALSE(c->blocks[0].links[0].worse);
  // And one that fails now is worse.
  c = compareReports(new_report, old_report, 0.8);
  ASSERT_TRUE(c.isOk());
  EXPECT_TRUE(c->blocks[0].links[0].worse);
  EXPECT_EQ(c->worse, 1u);
}

TEST(CompareReports, AMeasurementErrorIsNotComparedWithAnything) {
  nlohmann::json old_report = {{"results", {{{"transport", "tcp"}, {"operation", "write"}, {"block_size", 1},
                                             {"links", {{{"initiator", 0}, {"target", 1}, {"bytes_per_second", kFast}},
                                                        {{"initiator", 1}, {"target", 0}, {"bytes_per_second", kFast}}}}}}}};
  nlohmann::json new_report = old_report;
  new_report["results"][0]["links"][0]["bytes_per_second"] = kFast / 100;
  new_report["results"][0]["links"][0]["status"] = "invalid";
  Result<Comparison> c = compareReports(old_report, new_report, 0.8);
  ASSERT_TRUE(c.isOk()) << c.status().message();
  ASSERT_EQ(c->blocks[0].links.size(), 1u);  // 1 -> 0 alone; 0 -> 1 has no rate in NEW
  EXPECT_EQ(c->blocks[0].only_in_old, 1u);
  EXPECT_EQ(c->worse, 0u);
}

}  // namespace
}  // namespace te::bench

namespace te::bench {
namespace {

// A malformed NEW report of each kind the CLI fuzzing found taken, misprinted or crashing:
// every one is exit 2 and one line naming the file; the well-formed control passes.
class CompareCorpusTest : public CompareTest {
 protected:
  static std::string link(const std::string& initiator, const std::string& target, const std::string& rate,
                          const std::string& host = "\"node\"") {
    return "{\"initiator\": " + initiator + ", \"target\": " + target + ", \"bytes_per_second\": " + rate +
           ", \"initiator_host\": " + host + ", \"target_host\": \"node\"}";
  }
  static std::string block(const std::string& links, const std::string& block_size = "65536") {
    return "{\"transport\": \"tcp\", \"operation\": \"write\", \"block_size\": " + block_size + ", \"links\": [" +
           links + "]}";
  }
  static std::string report(const std::string& blocks) { return "{\"results\": [" + blocks + "]}"; }
};

TEST_F(CompareCorpusTest, MalformedReportsExitTwoWithOneLine) {
  const std::string good_links = link("0", "1", "1e9") + ", " + link("1", "0", "1e9");
  const std::string old_report = writeText("old.json", report(block(good_links)));
  ASSERT_EQ(run({old_report, writeText("good.json", report(block(good_links)))}), 0) << err_.str();
  std::string deep(5000, '[');
  const std::vector<std::pair<std::string, std::string>> corpus = {
      {"empty", ""},
      {"null", "null"},
      {"array", "[]"},
      {"number", "42"},
      {"binary", std::string("\x00\xff\xfe{\x01", 5)},
      {"truncated", report(block(good_links)).substr(0, 40)},
      {"deep", deep},
      {"results_object", "{\"results\": {}}"},
      {"block_not_object", report("7")},
      {"no_links_key", report("{\"transport\": \"tcp\", \"operation\": \"write\", \"block_size\": 65536}")},
      {"transport_number", report("{\"transport\": 1, \"operation\": \"write\", \"block_size\": 65536, \"links\": []}")},
      {"negative_block", report(block(good_links, "-4096"))},
      {"link_not_object", report(block("\"0->1\""))},
      {"link_no_rate", report(block("{\"initiator\": 0, \"target\": 1}"))},
      {"negative_rate", report(block(link("0", "1", "-5e9")))},
      {"rate_string", report(block(link("0", "1", "\"fast\"")))},
      {"rate_overflow", report(block(link("0", "1", "1e999")))},
      {"fractional_rank", report(block(link("0.5", "1", "1e9")))},
      {"negative_rank", report(block(link("-1", "1", "1e9")))},
      {"huge_rank", report(block(link("0", "4294967297", "1e9")))},
      {"rank_string", report(block(link("\"0\"", "1", "1e9")))},
      {"self_link", report(block(link("1", "1", "1e9")))},
      {"duplicate_link", report(block(good_links + ", " + link("0", "1", "2e9")))},
      {"duplicate_block", report(block(good_links) + ", " + block(good_links))},
      {"control_in_host", report(block(link("0", "1", "1e9", "\"no\\u001b[31mde\""))) },
      {"host_number", report(block(link("0", "1", "1e9", "5")))},
      {"no_links", report(block(""))},
      {"no_common_link", report(block(link("2", "3", "1e9")))},
  };
  for (const auto& [name, text] : corpus) {
    const std::string path = writeText(name + ".json", text);
    EXPECT_EQ(run({old_report, path}), 2) << name << ": " << err_.str() << out_.str();
    EXPECT_EQ(errLines(), 1u) << name << ": " << err_.str();
    EXPECT_EQ(err_.str().rfind("te_bench compare: ", 0), 0u) << name << ": " << err_.str();
    EXPECT_NE(err_.str().find(name), std::string::npos) << name << ": the line names the file: " << err_.str();
    EXPECT_EQ(err_.str().find('\x1b'), std::string::npos) << name << ": control characters printed raw";
    EXPECT_EQ(out_.str(), "") << name;
  }
  // A directory, and OLD malformed too.
  EXPECT_EQ(run({::testing::TempDir(), old_report}), 2) << err_.str();
  EXPECT_NE(err_.str().find("a directory"), std::string::npos) << err_.str();
  EXPECT_EQ(run({writeText("old_self.json", report(block(link("1", "1", "1e9")))), old_report}), 2);
  EXPECT_NE(err_.str().find("to itself"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace te::bench
