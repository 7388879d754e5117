// Terminal, JSON, CSV and HTML reports of a synthetic run: the slow-link line of the
// terminal, the JSON written link by link, CSV columns, RFC 4180 quoting, the heatmap's cells
// (a canvas's data past 64 ranks),
// flagged links, escaping of every string, atomic writes and their errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "bench/report/report.h"
#include "support/synthetic_links.h"

namespace te::bench {
namespace {

constexpr int kRanks = 4;
const std::string kNastyHost = "node\"a,1";      // a quote and a comma: CSV must quote
const std::string kMarkupHost = "<b>&x'</b>";    // markup: HTML must escape

struct Fixture {
  BenchConfig config;
  RunReport report;
};

// 4 ranks on 4 hosts, link 1->2 slow, link 3->0 failed with an error full of separators.
std::unique_ptr<Fixture> makeReport() {
  auto f = std::make_unique<Fixture>();
  f->config.command_line = {"te_bench", "--json", "<script>alert(1)</script>"};
  RunReport& r = f->report;
  r.config = &f->config;
  r.world_size = kRanks;
  r.hosts = {"h0", kNastyHost, kMarkupHost, "h3"};
  r.transport = "tcp";
  r.launcher = "mpirun";
  r.bootstrap = "mpi";
  ResultBlock b{"tcp", "write", 65536, {}, {}, {}, {}, "pairs", {}};
  b.links = testing::fullMatrixLinks(kRanks, [](int i, int t) {
    return (i == 1 && t == 2) ? 2'000'000'000ull : 10'000'000'000ull;
  });
  for (LinkResult& l : b.links) {
    Histogram latency;
    for (uint64_t ns = 5000; ns < 50000; ns += 1000) latency.record(ns);
    l.latency_ns = LatencySummary::of(latency);
    b.latency_ns.merge(latency);
    if (l.link.initiator == 3 && l.link.target == 0) {
      l.bytes = 0;
      l.error = "rank 0 (h0): connection reset, \"peer gone\"\nretry";
    }
  }
  b.analysis = analyzeLinks(b.links, r.hosts, {});
  r.blocks.push_back(std::move(b));
  return f;
}

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "te_report_" + std::to_string(::getpid()) + "_" + name;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// A minimal RFC 4180 reader: records of fields, quotes doubled inside quoted fields.
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

size_t count(const std::string& text, const std::regex& re) {
  return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

TEST(CsvReport, HeaderRowsAndQuoting) {
  auto f = makeReport();
  // The first link striped over two local NICs: its split in the last column, in order.
  f->report.blocks[0].links[0].nics = {{"mlx5_0", "mlx5_1", 600, 6}, {"mlx5_2", "mlx5_1", 400, 4}};
  const std::string path = tempPath("report.csv");
  ASSERT_TRUE(writeCsvReport(f->report, path).isOk());
  const std::string text = readFile(path);
  EXPECT_NE(text.find("\"node\"\"a,1\""), std::string::npos);  // quoted, quote doubled
  auto rows = parseCsv(text);
  ASSERT_EQ(rows.size(), 1u + kRanks * (kRanks - 1));
  const std::vector<std::string> header = {
      "transport", "operation", "block_size", "initiator", "target", "initiator_host", "target_host", "locality",
      "bytes_per_second", "ops_per_second", "latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_max_us",
      "flagged", "confirmed", "retest_bytes_per_second", "reference_bytes_per_second", "status", "batches",
      "lower_bound", "seconds", "precision", "path", "common_switch", "initiator_switch", "target_switch", "rail",
      "initiator_rail", "target_rail", "schedule", "idle_bytes_per_second", "congestion_impact", "latency_impact",
      "impact_flagged", "nics"};
  EXPECT_EQ(rows[0], header);
  int flagged = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    ASSERT_EQ(row.size(), header.size()) << "row " << i;
    EXPECT_EQ(row[0], "tcp");
    EXPECT_EQ(row[2], "65536");
    EXPECT_EQ(row[5], f->report.hosts[std::stoi(row[3])]);  // round-trips through the quoting
    EXPECT_EQ(row[6], f->report.hosts[std::stoi(row[4])]);
    EXPECT_EQ(row[7], "inter-host");
    EXPECT_EQ(row[16], "");  // no retest
    EXPECT_EQ(row.back(), i == 1 ? "mlx5_0>mlx5_1:0.6;mlx5_2>mlx5_1:0.4" : "") << "row " << i;
    flagged += row[14] == "true";
    if (row[3] == "1" && row[4] == "2") {
      EXPECT_DOUBLE_EQ(std::stod(row[8]), 2e9);
      EXPECT_EQ(row[14], "true");
      EXPECT_EQ(row[15], "true");
      EXPECT_DOUBLE_EQ(std::stod(row[17]), 1e10);
    }
    if (row[3] == "3" && row[4] == "0") {
      EXPECT_EQ(row[18], "failed: " + f->report.blocks[0].links[i - 1].error);
    } else {
      EXPECT_EQ(row[18], "ok");
      EXPECT_NEAR(std::stod(row[12]), 49.0, 2.0);  // p99 of 5..49 us
    }
  }
  EXPECT_EQ(flagged, 2);  // the slow link and the failed one
  ::unlink(path.c_str());
}

TEST(CsvReport, UnanalysedBlockLeavesVerdictsEmpty) {
  auto f = makeReport();
  f->report.blocks[0].analysis = {};
  const std::string path = tempPath("plain.csv");
  ASSERT_TRUE(writeCsvReport(f->report, path).isOk());
  auto rows = parseCsv(readFile(path));
  ASSERT_GT(rows.size(), 1u);
  EXPECT_EQ(rows[1][14], "");
  EXPECT_EQ(rows[1][17], "");
  ::unlink(path.c_str());
}

TEST(CsvReport, ErrorNamesThePathAndTheReason) {
  auto f = makeReport();
  Status s = writeCsvReport(f->report, "/nonexistent-dir/r.csv");
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("/nonexistent-dir/r.csv"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.message();
}

TEST(HtmlReport, HeatmapCellsFlagsAndEscaping) {
  auto f = makeReport();
  const std::string path = tempPath("report.html");
  ASSERT_TRUE(writeHtmlReport(f->report, path).isOk());
  const std::string html = readFile(path);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, std::regex("<td class=\"cell[ \"]")), size_t(kRanks * (kRanks - 1)));
  EXPECT_EQ(count(html, std::regex("class=\"diag\"")), size_t(kRanks));
  EXPECT_EQ(count(html, std::regex("data-initiator=\"1\" data-target=\"2\"")), 1u);
  EXPECT_EQ(count(html, std::regex("<td class=\"cell flagged[^\"]*\" data-initiator=\"1\" data-target=\"2\"")), 1u);
  EXPECT_EQ(count(html, std::regex("<td class=\"cell failed flagged[^\"]*\" data-initiator=\"3\"")), 1u);
  EXPECT_NE(html.find("title=\"0-&gt;1: 10.00 GB/s, p99 "), std::string::npos);
  // Every string is escaped: hosts, errors, the command line.
  EXPECT_EQ(html.find(kMarkupHost), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;x&#39;&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("node&quot;a,1"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(count(html, std::regex("<script>")), 1u);  // ours only
  // Self-contained: nothing fetched from anywhere.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  // Findings, summary and options.
  EXPECT_NE(html.find("Unexplained slow links"), std::string::npos);
  EXPECT_NE(html.find("median"), std::string::npos);
  EXPECT_NE(html.find("&quot;batch_size&quot;"), std::string::npos);
  ::unlink(path.c_str());
}

TEST(HtmlReport, MissingLinksAndNoConfig) {
  auto f = makeReport();
  f->report.blocks[0].links.resize(5);  // an interrupted run: some links never measured
  f->report.blocks[0].analysis = analyzeLinks(f->report.blocks[0].links, f->report.hosts, {});
  f->report.config = nullptr;
  const std::string path = tempPath("partial.html");
  ASSERT_TRUE(writeHtmlReport(f->report, path).isOk());
  const std::string html = readFile(path);
  EXPECT_EQ(count(html, std::regex("<td class=\"cell[ \"]")), 5u);
  EXPECT_EQ(count(html, std::regex("class=\"missing\"")), size_t(kRanks * (kRanks - 1) - 5));
  ::unlink(path.c_str());
}

TEST(HtmlReport, ErrorNamesThePath) {
  auto f = makeReport();
  Status s = writeHtmlReport(f->report, "/nonexistent-dir/r.html");
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("/nonexistent-dir/r.html"), std::string::npos) << s.message();
}

TEST(TerminalReport, ASlowLinkIsShownWithItsRateAloneAndWhatItWasComparedWith) {
  auto f = makeReport();
  ResultBlock& b = f->report.blocks[0];
  LinkResult alone;
  alone.link = {1, 2};
  alone.seconds = 1;
  alone.bytes = 2'500'000'000ull;
  alone.ops = alone.bytes / 65536;
  applyRetests(b.links, {alone}, f->report.hosts, {}, &b.analysis);
  std::ostringstream out;
  printTerminalReport(f->report, out);
  // 1->2 is compared with the links that share no endpoint with it (0->3, 10 GB/s); 3->0,
  // failed and not measured alone, with 1->2 and 2->1.
  EXPECT_NE(out.str().find("confirmed alone): 1->2 (2.00, alone 2.50, comparable 10.00) 3->0 (0.00, comparable 6.00)\n"),
            std::string::npos)
      << out.str();
}

TEST(TerminalReport, FlaggedLinksOverTheRetestCapAreCounted) {
  auto f = makeReport();
  f->config.max_retests = 1;
  ResultBlock& b = f->report.blocks[0];
  ASSERT_EQ(linksToRetest(b.links, b.analysis, 1), (std::vector<Link>{{3, 0}}));  // failed: the worst
  LinkResult alone;
  alone.link = {3, 0};
  alone.seconds = 1;
  alone.bytes = 10'000'000'000ull;
  applyRetests(b.links, {alone}, f->report.hosts, {}, &b.analysis);
  std::ostringstream out;
  printTerminalReport(f->report, out);
  EXPECT_NE(out.str().find("RETEST: 1 more flagged link not re-measured alone (--max-retests 1): the all-pairs "
                           "verdict stands\n"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(reportToJson(f->report)["results"][0]["analysis"]["not_retested"], 1);
}

TEST(JsonReport, TheFileWrittenLinkByLinkIsTheReportsDom) {
  auto f = makeReport();
  // A host name that looks like the placeholder of the links must stay a host name.
  f->report.hosts[3] = "te_bench_bulk_1_2:links:0";
  ResultBlock second = f->report.blocks[0];
  second.block_size = 1 << 20;
  second.links[0].bytes /= 2;  // the blocks' links differ, so a mix-up shows
  f->report.blocks.push_back(second);
  f->report.blocks.push_back(ResultBlock{"tcp", "read", 4096, {}, {}, {}, {}, "pairs", {}});  // nothing measured
  const std::string path = tempPath("report.json");
  ASSERT_TRUE(writeJsonReport(f->report, path).isOk());
  const std::string text = readFile(path);
  const nlohmann::json back = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(back.is_discarded()) << text.substr(0, 2000);
  EXPECT_EQ(back, reportToJson(f->report));
  // One line per link (and per matrix row), indented under its key.
  const std::string first_link = reportToJson(f->report)["results"][0]["links"][0].dump();
  EXPECT_NE(text.find("\"links\": [\n        " + first_link + ",\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\"links\": []"), std::string::npos);
  auto count = [&text](const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("te_bench_bulk_"), count("te_bench_bulk_1_2:links:0")) << "a placeholder is left in the file";
  ::unlink(path.c_str());
}

TEST(HtmlReport, PastSixtyFourRanksTheHeatmapIsACanvasWithEveryLinksRate) {
  constexpr int n = 70;
  BenchConfig config;
  RunReport r;
  r.config = &config;
  r.world_size = n;
  for (int i = 0; i < n; ++i) r.hosts.push_back(i == 0 ? "</script><b>" : "h" + std::to_string(i));
  r.transport = "tcp";
  ResultBlock b{"tcp", "write", 65536, {}, {}, {}, {}, "pairs", {}};
  b.links = testing::fullMatrixLinks(n, [](int i, int t) { return (i == 5 && t == 6) ? 1'000'000'000ull : 10'000'000'000ull; });
  for (LinkResult& l : b.links) {
    if (l.link.initiator == 7 && l.link.target == 8) l.error = "reset";
  }
  b.analysis = analyzeLinks(b.links, r.hosts, {});
  r.blocks.push_back(std::move(b));
  const std::string path = tempPath("canvas.html");
  ASSERT_TRUE(writeHtmlReport(r, path).isOk());
  const std::string html = readFile(path);
  ::unlink(path.c_str());
  EXPECT_EQ(html.find("<td class=\"cell"), std::string::npos);
  ASSERT_NE(html.find("<canvas class=\"heatmap\" width=\"700\" height=\"700\" data-px=\"10\">"), std::string::npos);
  EXPECT_EQ(html.find("</script><b>"), std::string::npos) << "a host name closed the data's script element";
  const std::string open = "<script type=\"application/json\">";
  const size_t from = html.find(open) + open.size();
  const nlohmann::json d = nlohmann::json::parse(html.substr(from, html.find("</script>", from) - from), nullptr, false);
  ASSERT_FALSE(d.is_discarded());
  EXPECT_EQ(d["n"], n);
  EXPECT_EQ(d["hosts"][0], "</script><b>");
  ASSERT_EQ(d["mbps"].size(), size_t(n * n));
  EXPECT_TRUE(d["mbps"][0].is_null());         // 0->0
  EXPECT_EQ(d["mbps"][1], 10000);              // 0->1, MB/s
  EXPECT_EQ(d["mbps"][5 * n + 6], 1000);
  EXPECT_EQ(d["mbps"][7 * n + 8], -1);         // failed
  EXPECT_EQ(d["max_mbps"], 10000);
  // Without retests a flagged link counts as confirmed: 5->6 and the failed 7->8.
  EXPECT_EQ(d["slow"], (nlohmann::json{5 * n + 6, 7 * n + 8}));
}

}  // namespace
}  // namespace te::bench
