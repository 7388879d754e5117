#include "bench/analysis/compare.h"
#include "common/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>

#include "bench/cli/config_flags.h"
#include "bench/cli/subcommand.h"
#include "bench/report/json_filter.h"
#include "common/shown_value.h"
#include "common/units.h"

namespace te::bench {
namespace {

constexpr size_t kMaxRows = 20;
constexpr size_t kMaxHosts = 10;

struct ReportLink {
  int initiator = 0, target = 0;
  std::string initiator_host, target_host;
  double bytes_per_second = 0;
};

struct ReportBlock {
  std::string transport, operation;
  uint64_t block_size = 0;
  std::vector<ReportLink> links;
  std::string schedule;  // "" in reports from before --schedule lists: matches any
  bool latency = false;  // --metric latency: links carry their rate at depth one, block / p50
};

bool sameBlock(const ReportBlock& a, const ReportBlock& b) {
  return a.transport == b.transport && a.operation == b.operation && a.block_size == b.block_size &&
         a.latency == b.latency &&
         (a.schedule.empty() || b.schedule.empty() || a.schedule == b.schedule);
}

constexpr int64_t kMaxRanks = 1 << 20;

bool isString(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_string(); }
bool isSize(const nlohmann::json& j, const char* key) {
  return j.contains(key) && (j[key].is_number_unsigned() || (j[key].is_number_integer() && j[key].get<int64_t>() >= 0));
}
bool isRank(const nlohmann::json& j, const char* key) {
  return isSize(j, key) && j[key].get<uint64_t>() < static_cast<uint64_t>(kMaxRanks);
}
bool isRate(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() && std::isfinite(j[key].get<double>()) && j[key].get<double>() >= 0;
}
// A host name as a report holds it: printable, not empty or absurdly long.
bool isHostName(const std::string& h) {
  return !h.empty() && h.size() <= 255 &&
         std::all_of(h.begin(), h.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f; });
}

// "results[2].links[7]" and what is wrong with it, naming the report.
Status malformed(const std::string& which, const std::string& where, const std::string& why) {
  return invalidArgument(shownValue(which) + ": " + where + ": " + why);
}

Result<ReportLink> parseLink(const nlohmann::json& l, const std::string& which, const std::string& where) {
  if (!l.is_object() || !l.contains("initiator") || !l.contains("target") || !l.contains("bytes_per_second")) {
    return malformed(which, where, "lacks initiator, target or bytes_per_second");
  }
  const std::string ranks = "allowed ranks are integers 0.." + std::to_string(kMaxRanks - 1);
  if (!isRank(l, "initiator") || !isRank(l, "target")) {
    return malformed(which, where, "initiator " + shownValue(l["initiator"].dump(), 24) + ", target " +
                                       shownValue(l["target"].dump(), 24) + ": " + ranks);
  }
  ReportLink rl{l["initiator"].get<int>(), l["target"].get<int>(), "", "", 0};
  if (rl.initiator == rl.target) return malformed(which, where, "a link from rank " + std::to_string(rl.target) + " to itself");
  if (!isRate(l, "bytes_per_second")) {
    return malformed(which, where, "bytes_per_second " + shownValue(l["bytes_per_second"].dump(), 24) +
                                       ": allowed a finite number >= 0");
  }
  rl.bytes_per_second = l["bytes_per_second"].get<double>();
  for (const auto& [key, field] : {std::pair{"initiator_host", &rl.initiator_host}, {"target_host", &rl.target_host}}) {
    if (!l.contains(key)) continue;
    if (!isString(l, key) || !isHostName(l[key].get<std::string>())) {
      return malformed(which, where, std::string(key) + " " + shownValue(l[key].dump(), 40) +
                                         ": allowed a printable host name");
    }
    *field = l[key].get<std::string>();
  }
  return rl;
}

Result<ReportBlock> parseBlock(const nlohmann::json& b, const std::string& which, const std::string& where) {
  if (!b.is_object() || !isString(b, "transport") || !isString(b, "operation") || !isSize(b, "block_size") ||
      !b.contains("links") || !b["links"].is_array()) {
    return malformed(which, where, "lacks transport, operation, block_size or links");
  }
  ReportBlock rb{shownValue(b["transport"].get<std::string>(), 32), shownValue(b["operation"].get<std::string>(), 32),
                 b["block_size"].get<uint64_t>(), {},
                 isString(b, "schedule") ? shownValue(b["schedule"].get<std::string>(), 64) : "",
                 isString(b, "metric") && b["metric"] == "latency"};
  std::set<std::pair<int, int>> seen;
  for (size_t i = 0; i < b["links"].size(); ++i) {
    const std::string at = where + ".links[" + std::to_string(i) + "]";
    const nlohmann::json link = unpacked(b["links"][i]);  // loadReport keeps each link packed
    TE_ASSIGN_OR_RETURN(ReportLink rl, parseLink(link, which, at));
    if (rb.latency) {
      // Judged as the run judged it: block / p50, the rate at queue depth one (0: no p50).
      const nlohmann::json& latency = link.value("latency_us", nlohmann::json());
      if (!latency.is_object() || !isRate(latency, "p50")) {
        return malformed(which, at, "a --metric latency link without latency_us.p50");
      }
      const double p50 = latency["p50"].get<double>();
      rl.bytes_per_second = p50 > 0 ? double(rb.block_size) / (p50 * 1e-6) : 0;
    }
    if (!seen.insert({rl.initiator, rl.target}).second) {
      return malformed(which, at, "link " + std::to_string(rl.initiator) + "->" + std::to_string(rl.target) +
                                      " appears twice in one block");
    }
    // A measurement error, or a link the run stopped before (a partial report), has no rate
    // to compare (docs/report-schema.md, status invalid / not_measured).
    const nlohmann::json& status = link.value("status", nlohmann::json());
    if (status.is_string() && (status.get<std::string>() == "invalid" || status.get<std::string>() == "not_measured")) {
      continue;
    }
    rb.links.push_back(std::move(rl));
  }
  return rb;
}

// Reads results[].links[] without exceptions: a foreign or damaged file is the user's
// mistake, named by `which` ("OLD" / "NEW").
Result<std::vector<ReportBlock>> parseBlocks(const nlohmann::json& report, const std::string& which) {
  if (!report.is_object() || !report.contains("results") || !report["results"].is_array()) {
    return invalidArgument(shownValue(which) + ": not a te_bench JSON report (no \"results\" array)");
  }
  std::vector<ReportBlock> blocks;
  size_t links = 0;
  for (size_t i = 0; i < report["results"].size(); ++i) {
    const std::string at = "results[" + std::to_string(i) + "]";
    TE_ASSIGN_OR_RETURN(ReportBlock rb, parseBlock(report["results"][i], which, at));
    for (const auto& other : blocks) {
      if (sameBlock(other, rb)) {
        return malformed(which, at, "block " + rb.transport + " " + rb.operation + " " + formatSize(rb.block_size) +
                                        (rb.schedule.empty() ? "" : " " + rb.schedule) + " appears twice");
      }
    }
    links += rb.links.size();
    blocks.push_back(std::move(rb));
  }
  if (links == 0) return invalidArgument(shownValue(which) + ": no links measured; nothing to compare");
  return blocks;
}

bool ratioBefore(const LinkComparison& a, const LinkComparison& b) {
  if (a.ratio.has_value() != b.ratio.has_value()) return a.ratio.has_value();
  if (a.ratio && *a.ratio != *b.ratio) return *a.ratio < *b.ratio;
  return std::tie(a.initiator, a.target) < std::tie(b.initiator, b.target);
}

std::vector<HostComparison> hostRatios(const std::vector<LinkComparison>& links) {
  std::map<std::string, std::pair<double, size_t>> sums;  // host -> (sum of ratios, links)
  for (const auto& l : links) {
    if (!l.ratio) continue;
    for (const std::string* h : {&l.initiator_host, &l.target_host}) {
      if (h == &l.target_host && l.target_host == l.initiator_host) break;  // intra-host: once
      sums[*h].first += *l.ratio;
      ++sums[*h].second;
    }
  }
  std::vector<HostComparison> out;
  for (const auto& [host, s] : sums) out.push_back({host, s.first / double(s.second), s.second});
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.mean_ratio < b.mean_ratio; });
  return out;
}

BlockComparison compareBlock(const ReportBlock& o, const ReportBlock& n, double threshold) {
  BlockComparison bc{n.transport, n.operation, n.block_size, {}, {}, 0, 0, 0, {}, n.schedule, n.latency};
  std::map<std::pair<int, int>, const ReportLink*> old_links;
  for (const auto& l : o.links) old_links[{l.initiator, l.target}] = &l;
  std::map<int, std::pair<std::string, std::string>> moved;  // rank -> (old host, new host)
  for (const auto& l : n.links) {
    auto it = old_links.find({l.initiator, l.target});
    if (it == old_links.end()) {
      ++bc.only_in_new;
      continue;
    }
    const ReportLink& ol = *it->second;
    old_links.erase(it);
    LinkComparison lc{l.initiator, l.target, l.initiator_host, l.target_host, ol.bytes_per_second,
                      l.bytes_per_second, std::nullopt, false};
    if (ol.bytes_per_second > 0) lc.ratio = l.bytes_per_second / ol.bytes_per_second;
    lc.worse = ol.bytes_per_second > 0 && l.bytes_per_second < threshold * ol.bytes_per_second;
    bc.worse += lc.worse;
    if (ol.initiator_host != l.initiator_host) moved[l.initiator] = {ol.initiator_host, l.initiator_host};
    if (ol.target_host != l.target_host) moved[l.target] = {ol.target_host, l.target_host};
    bc.links.push_back(std::move(lc));
  }
  bc.only_in_old = old_links.size();
  // Links are matched by rank: say so when a rank ran elsewhere, the ratio then compares hosts.
  for (const auto& [rank, hosts] : moved) {
    bc.notes.push_back("rank " + std::to_string(rank) + " ran on " + hosts.first + " in OLD and on " + hosts.second +
                       " in NEW");
  }
  std::sort(bc.links.begin(), bc.links.end(), ratioBefore);
  bc.hosts = hostRatios(bc.links);
  return bc;
}

std::string blockName(const BlockComparison& b) {
  return b.transport + " " + b.operation + ", block " + formatSize(b.block_size) +
         (b.schedule.empty() || b.schedule == "pairs" ? "" : ", schedule " + b.schedule);
}

std::string ratioText(const std::optional<double>& r) {
  if (!r) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << *r;
  return s.str();
}

void printBlock(const BlockComparison& b, double threshold, std::ostream& out) {
  out << "\n" << blockName(b) << ": " << b.links.size() << " links in both reports";
  if (b.only_in_old || b.only_in_new) out << " (" << b.only_in_old << " only in OLD, " << b.only_in_new << " only in NEW)";
  out << "\n";
  for (const auto& note : b.notes) out << "  note: " << note << "\n";
  // --metric latency: p50s, and the ratio old p50 / new p50 (below 1: slower), as rates compare.
  auto shown = [&b](double bytes_per_second) {
    if (!b.latency) return toRateUnit(bytes_per_second, RateUnit::kGB);
    return bytes_per_second > 0 ? double(b.block_size) / bytes_per_second * 1e6 : 0.0;
  };
  out << "  " << std::left << std::setw(10) << "link" << std::setw(32) << "hosts" << std::right << std::setw(12)
      << (b.latency ? "old p50 us" : "old GB/s") << std::setw(12) << (b.latency ? "new p50 us" : "new GB/s")
      << std::setw(8) << (b.latency ? "old/new" : "new/old") << "\n";
  out << std::fixed << std::setprecision(2);
  for (size_t i = 0; i < b.links.size() && i < kMaxRows; ++i) {
    const LinkComparison& l = b.links[i];
    out << "  " << std::left << std::setw(10) << (std::to_string(l.initiator) + "->" + std::to_string(l.target))
        << std::setw(32) << (l.initiator_host + "->" + l.target_host) << std::right << std::setw(12)
        << shown(l.old_bytes_per_second) << std::setw(12) << shown(l.new_bytes_per_second) << std::setw(8)
        << ratioText(l.ratio)
        << (l.worse ? "  WORSE" : "") << "\n";
  }
  if (b.links.size() > kMaxRows) out << "  ... " << b.links.size() - kMaxRows << " more links, ratio >= "
                                     << ratioText(b.links[kMaxRows - 1].ratio) << "\n";
  if (!b.hosts.empty()) {
    out << "  per host (mean new/old over its links, worst first):";
    for (size_t i = 0; i < b.hosts.size() && i < kMaxHosts; ++i) {
      out << " " << b.hosts[i].host << " " << ratioText(b.hosts[i].mean_ratio);
    }
    if (b.hosts.size() > kMaxHosts) out << " ... (" << b.hosts.size() - kMaxHosts << " more)";
    out << "\n";
  }
  out << "  " << b.worse << (b.worse == 1 ? " link" : " links") << " below " << ratioText(threshold)
      << " x old\n";
}

Status writeJsonFile(const nlohmann::json& j, const std::string& path) {
  return writeFileAtomically(path, j.dump(2) + "\n").withContext("--json");
}

}  // namespace

Result<nlohmann::json> loadReport(const std::string& path) {
  // What no comparison reads is dropped as it is parsed: a link's counts, samples, latency,
  // split over NICs and verdict, a block's analysis and matrices. A report of 1024 ranks is
  // 815 MB of JSON (2 GB with 8 NICs a rank), and its whole DOM would be several GB (with
  // the NIC splits kept: 15 GB and 153 s for one such report against itself).
  // Of latency_us only p50 is kept: --metric latency blocks are compared on it.
  static const std::set<std::string> kUnread = {"samples", "p90", "p99", "min", "max", "mean", "analysis",
                                                "matrix_bytes_per_second", "matrix_latency_p50_us",
                                                "row_mean_bytes_per_second", "column_mean_bytes_per_second",
                                                "bytes", "ops", "ops_per_second", "seconds", "batches", "phase",
                                                "lower_bound", "error", "nics"};
  return loadJsonFile(path, kUnread, "a te_bench JSON report file", "links");
}

Result<Comparison> compareReports(const nlohmann::json& old_report, const nlohmann::json& new_report,
                                  double threshold, const std::string& old_name, const std::string& new_name) {
  TE_ASSIGN_OR_RETURN(std::vector<ReportBlock> old_blocks, parseBlocks(old_report, old_name));
  TE_ASSIGN_OR_RETURN(std::vector<ReportBlock> new_blocks, parseBlocks(new_report, new_name));
  Comparison c;
  c.threshold = threshold;
  for (const auto& n : new_blocks) {
    auto o = std::find_if(old_blocks.begin(), old_blocks.end(), [&n](const ReportBlock& b) {
      return sameBlock(b, n);
    });
    if (o == old_blocks.end()) continue;
    c.blocks.push_back(compareBlock(*o, n, threshold));
    c.worse += c.blocks.back().worse;
  }
  if (c.blocks.empty()) {
    return invalidArgument(shownValue(old_name) + " and " + shownValue(new_name) +
                           ": no block (transport, operation, block size) is in both reports");
  }
  size_t common = 0;
  for (const auto& b : c.blocks) common += b.links.size();
  if (common == 0) {
    return invalidArgument(shownValue(old_name) + " and " + shownValue(new_name) +
                           ": no link (initiator, target) is in both reports");
  }
  return c;
}

nlohmann::json comparisonToJson(const Comparison& c) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& b : c.blocks) {
    nlohmann::json links = nlohmann::json::array(), hosts = nlohmann::json::array();
    for (const auto& l : b.links) {
      links.push_back({{"initiator", l.initiator}, {"target", l.target}, {"initiator_host", l.initiator_host},
                       {"target_host", l.target_host}, {"old_bytes_per_second", l.old_bytes_per_second},
                       {"new_bytes_per_second", l.new_bytes_per_second},
                       {"ratio", l.ratio ? nlohmann::json(*l.ratio) : nlohmann::json(nullptr)}, {"worse", l.worse}});
      if (!b.latency) continue;
      auto p50 = [&b](double rate) { return rate > 0 ? nlohmann::json(double(b.block_size) / rate * 1e6) : nlohmann::json(nullptr); };
      links.back()["old_latency_p50_us"] = p50(l.old_bytes_per_second);
      links.back()["new_latency_p50_us"] = p50(l.new_bytes_per_second);
    }
    for (const auto& h : b.hosts) hosts.push_back({{"host", h.host}, {"mean_ratio", h.mean_ratio}, {"links", h.links}});
    blocks.push_back({{"transport", b.transport}, {"operation", b.operation}, {"block_size", b.block_size},
                      {"schedule", b.schedule}, {"metric", b.latency ? "latency" : "bandwidth"}, {"links", links},
                      {"hosts", hosts}, {"only_in_old", b.only_in_old},
                      {"only_in_new", b.only_in_new}, {"worse", b.worse}, {"notes", b.notes}});
  }
  return {{"tool", "te_bench compare"}, {"threshold", c.threshold}, {"worse", c.worse}, {"blocks", blocks}};
}

void printComparison(const Comparison& c, std::ostream& out) {
  for (const auto& b : c.blocks) printBlock(b, c.threshold, out);
  out << "\n";
  if (c.worse == 0) {
    out << "no link below " << ratioText(c.threshold) << " x its old throughput\n";
  } else {
    out << "REGRESSION: " << c.worse << (c.worse == 1 ? " link" : " links") << " below " << ratioText(c.threshold)
        << " x its old throughput\n";
  }
}

int runCompare(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"te_bench compare: throughput of each link in NEW relative to OLD (two te_bench --json reports).\n"
               "Exit 0: no link got worse, 4: some link fell below --threshold x its old throughput, 2: usage.",
               "te_bench compare"};
  std::string old_path, new_path, json_path, threshold_text = "0.8";
  app.add_option("OLD", old_path, "the earlier JSON report")->required();
  app.add_option("NEW", new_path, "the later JSON report")->required();
  app.add_option("--threshold", threshold_text, "a link is worse when new < THRESHOLD x old (0 < THRESHOLD <= 1)")
      ->capture_default_str();
  app.add_option("--json", json_path, "also write the comparison as JSON to FILE")->type_name("FILE");
  const Subcommand command{"compare", out, err};
  auto fail = [&command](const std::string& message, int code) { return command.fail(message, code); };
  if (std::optional<int> done = command.parse(app, argc, argv)) return *done;
  Result<long double> parsed = parseNumber("--threshold", threshold_text, {0, 1, false, true, false});
  if (!parsed.isOk()) return fail(parsed.status().message(), 2);
  const double threshold = static_cast<double>(*parsed);
  Result<nlohmann::json> old_report = loadReport(old_path);
  if (!old_report.isOk()) return fail(old_report.status().message(), 2);
  Result<nlohmann::json> new_report = loadReport(new_path);
  if (!new_report.isOk()) return fail(new_report.status().message(), 2);
  Result<Comparison> c = compareReports(*old_report, *new_report, threshold, old_path, new_path);
  if (!c.isOk()) return fail(c.status().message(), 2);
  out << "te_bench compare: " << shownValue(old_path, 200) << " -> " << shownValue(new_path, 200) << "\n";
  printComparison(*c, out);
  if (!json_path.empty()) {
    Status written = writeJsonFile(comparisonToJson(*c), json_path);
    if (!written.isOk()) return fail(written.message(), 1);
  }
  return c->worse > 0 ? 4 : 0;
}

int runCompare(int argc, const char* const* argv) { return runCompare(argc, argv, std::cout, std::cerr); }

}  // namespace te::bench
