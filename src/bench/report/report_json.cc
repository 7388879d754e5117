#include "bench/report/report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>

#include "bench/report/report_congestion.h"
#include "bench/report/report_topology.h"
#include "common/files.h"
#include "common/shown_value.h"
#include "common/version.h"

namespace te::bench {
namespace {

constexpr int kSchemaVersion = 1;

nlohmann::json samplesToJson(const std::vector<double>& samples) {
  Summary s = summarize(samples);
  return {{"count", s.count}, {"median_bytes_per_second", s.median}, {"min_bytes_per_second", s.min},
          {"max_bytes_per_second", s.max}, {"spread", s.median > 0 ? (s.max - s.min) / s.median : 0.0},
          {"bytes_per_second", samples}};
}

// `latency_block`: with --metric latency, the block size, and the verdict's rates (at depth
// one, analysis.h) said as latencies too.
nlohmann::json verdictToJson(const LinkVerdict& v, uint64_t latency_block) {
  nlohmann::json j = {{"locality", localityName(v.locality)}, {"reference_bytes_per_second", v.reference},
                      {"ratio", v.ratio}, {"flagged", v.flagged}, {"retested", v.retested},
                      {"retest_bytes_per_second", v.retest_bytes_per_second}, {"confirmed", v.confirmed},
                      {"below_expectation", v.below_expectation}};
  if (latency_block > 0) {
    j["reference_latency_us"] = latencyOfRate(v.reference, latency_block);
    j["retest_latency_us"] = v.retested ? nlohmann::json(latencyOfRate(v.retest_bytes_per_second, latency_block))
                                        : nlohmann::json(nullptr);
  }
  return j;
}

bool latencyRun(const RunReport& report) { return report.config && report.config->metric == Metric::kLatency; }

nlohmann::json summaryToJson(const Summary& s) {
  return {{"links", s.count}, {"min_bytes_per_second", s.min}, {"median_bytes_per_second", s.median},
          {"mean_bytes_per_second", s.mean}, {"max_bytes_per_second", s.max}};
}

size_t lowerBounds(const std::vector<LinkResult>& links) {
  return static_cast<size_t>(std::count_if(links.begin(), links.end(), [](const LinkResult& l) {
    return l.lower_bound && !l.excluded();
  }));
}

nlohmann::json analysisToJson(const BlockAnalysis& a, const std::vector<LinkResult>& links) {
  nlohmann::json suspects = nlohmann::json::array();
  for (const Suspect& s : a.suspects) {
    suspects.push_back(suspectToJson(s));
  }
  auto linkList = [&links](const std::vector<size_t>& idx) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i : idx) out.push_back({links[i].link.initiator, links[i].link.target});
    return out;
  };
  auto groups = [](const std::vector<GroupSummary>& g) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : g) {
      out.push_back({{"name", x.name}, {"as_initiator", summaryToJson(x.as_initiator)},
                     {"as_target", summaryToJson(x.as_target)}});
    }
    return out;
  };
  nlohmann::json j = {{"suspects", suspects},
                      {"slow_links", linkList(a.unexplained)},
                      {"failing_links", linkList(a.failing)},
                      {"not_retested", a.not_retested},
                      {"measurement_errors", linkList(a.measurement_errors)},
                      {"lower_bound_links", lowerBounds(links)},
                      {"intra_host", summaryToJson(a.intra_host)},
                      {"inter_host", summaryToJson(a.inter_host)},
                      {"per_rank", groups(a.per_rank)},
                      {"per_host", groups(a.per_host)}};
  j["expected_bytes_per_second"] =
      a.expected_bytes_per_second ? nlohmann::json(*a.expected_bytes_per_second) : nlohmann::json(nullptr);
  addPathAnalysis(a, &j);
  if (!a.nics.empty()) {
    nlohmann::json nics = nlohmann::json::array();
    for (const NicVerdict& v : a.nics) {
      nics.push_back({{"rank", v.rank}, {"host", v.host}, {"device", v.device}, {"links", v.links},
                      {"low_links", v.low_links}, {"bytes", v.bytes}, {"part", v.part}, {"others", v.others},
                      {"ratio", v.ratio}, {"suspect", v.suspect}});
    }
    j["nics"] = std::move(nics);
  }
  return j;
}

nlohmann::json latencyToJson(const LatencySummary& h) {
  return {{"p50", h.p50 / 1e3}, {"p90", h.p90 / 1e3}, {"p99", h.p99 / 1e3},
          {"min", h.min / 1e3}, {"max", h.max / 1e3}, {"mean", h.mean / 1e3}};
}

nlohmann::json linkToJson(const ResultBlock& b, size_t i, const RunReport& report) {
  const LinkResult& l = b.links[i];
  const LinkVerdict* verdict = i < b.analysis.verdicts.size() ? &b.analysis.verdicts[i] : nullptr;
  nlohmann::json j = {
      {"initiator", l.link.initiator},
      {"target", l.link.target},
      {"initiator_host", report.hosts[l.link.initiator]},
      {"target_host", report.hosts[l.link.target]},
      {"bytes_per_second", l.bytesPerSecond()},
      {"ops_per_second", l.opsPerSecond()},
      {"bytes", l.bytes},
      {"ops", l.ops},
      {"seconds", l.seconds},
      {"precision", l.precision >= 0 ? nlohmann::json(l.precision) : nlohmann::json(nullptr)},
      {"batches", l.batches},
      {"phase", l.phase},
      {"lower_bound", l.lower_bound},
      {"latency_us", latencyToJson(l.latency_ns)},
      {"status", l.statusName()},
      {"samples", samplesToJson(l.samples)},
  };
  if (!l.error.empty()) j["error"] = l.error;
  if (!l.nics.empty()) {
    uint64_t total = 0;
    for (const engine::NicTraffic& t : l.nics) total += t.bytes;
    nlohmann::json nics = nlohmann::json::array();
    for (const engine::NicTraffic& t : l.nics) {
      const double share = total > 0 ? double(t.bytes) / double(total) : 0.0;
      nics.push_back({{"local", t.local_device}, {"remote", t.remote_device}, {"bytes", t.bytes}, {"slices", t.slices},
                      {"share", share}, {"bytes_per_second", l.hasRate() ? l.bytesPerSecond() * share : 0.0}});
    }
    j["nics"] = std::move(nics);
  }
  if (verdict) {
    j["analysis"] = verdictToJson(*verdict, latencyRun(report) ? b.block_size : 0);
    addLinkPath(*verdict, topologyOf(report), &j["analysis"]);
  }
  if (const LinkImpact* impact = impactOf(b, i)) j["congestion"] = linkImpactToJson(*impact);
  return j;
}

nlohmann::json optionalsToJson(const std::vector<std::optional<double>>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& x : v) out.push_back(x ? nlohmann::json(*x) : nlohmann::json(nullptr));
  return out;
}


// --metric latency: each link's p50 (us) as a matrix, its row and column means, and the p50s'
// spread over the block's links.
void addLatencyMatrix(const ResultBlock& b, size_t index, const RunReport& report, const std::string* bulk,
                      nlohmann::json* j) {
  const Matrix m = latencyMatrix(b.links, report.world_size);
  nlohmann::json matrix = nlohmann::json::array();
  if (bulk) matrix = *bulk + ":latency:" + std::to_string(index);
  else for (const auto& row : m) matrix.push_back(optionalsToJson(row));
  (*j)["matrix_latency_p50_us"] = matrix;
  (*j)["row_mean_latency_p50_us"] = optionalsToJson(rowMeans(m));
  (*j)["column_mean_latency_p50_us"] = optionalsToJson(columnMeans(m));
  std::vector<double> p50;
  for (const auto& row : m) {
    for (const auto& v : row) if (v) p50.push_back(*v);
  }
  const Summary s = summarize(p50);
  (*j)["summary"]["latency_p50_us"] = {{"links", s.count}, {"min", s.min}, {"median", s.median}, {"max", s.max}};
}

// `bulk`: a block's links and matrix become the strings "<bulk>:links:<index>" and
// "<bulk>:matrix:<index>", for writeJsonReport to write in their place line by line.
nlohmann::json blockToJson(const ResultBlock& b, size_t index, const RunReport& report, const std::string* bulk) {
  nlohmann::json links = nlohmann::json::array();
  std::vector<double> values;
  std::vector<size_t> value_link;  // the link of each value: measurement errors have none
  for (size_t i = 0; i < b.links.size(); ++i) {
    const auto& l = b.links[i];
    if (!bulk) links.push_back(linkToJson(b, i, report));
    if (l.excluded()) continue;
    values.push_back(l.bytesPerSecond());
    value_link.push_back(i);
  }
  Matrix m = throughputMatrix(b.links, report.world_size);
  nlohmann::json matrix = nlohmann::json::array();
  if (!bulk) {
    for (const auto& row : m) matrix.push_back(optionalsToJson(row));
  } else {
    links = *bulk + ":links:" + std::to_string(index);
    matrix = *bulk + ":matrix:" + std::to_string(index);
  }
  Summary s = summarize(values);
  nlohmann::json summary = {{"links", s.count}, {"min_bytes_per_second", s.min},
                            {"median_bytes_per_second", s.median}, {"mean_bytes_per_second", s.mean},
                            {"max_bytes_per_second", s.max},
                            {"latency_us", latencyToJson(b.latency ? *b.latency : LatencySummary::of(b.latency_ns))}};
  if (s.count) {
    const Link& lo = b.links[value_link[s.min_index]].link;
    const Link& hi = b.links[value_link[s.max_index]].link;
    summary["min_link"] = {lo.initiator, lo.target};
    summary["max_link"] = {hi.initiator, hi.target};
  }
  nlohmann::json j = {{"transport", b.transport},
                      {"operation", b.operation},
                      {"block_size", b.block_size},
                      {"schedule", b.schedule},
                      {"metric", latencyRun(report) ? "latency" : "bandwidth"},
                      {"links", links},
                      {"matrix_bytes_per_second", matrix},
                      {"row_mean_bytes_per_second", optionalsToJson(rowMeans(m))},
                      {"column_mean_bytes_per_second", optionalsToJson(columnMeans(m))},
                      {"summary", summary},
                      {"analysis", analysisToJson(b.analysis, b.links)}};
  if (latencyRun(report)) addLatencyMatrix(b, index, report, bulk, &j);
  if (b.congestion) j["congestion"] = blockImpactToJson(b);
  if (loadedSchedule(b.links)) {
    nlohmann::json loads = nlohmann::json::array();
    for (const RankLoad& r : rankLoads(b.links, report.world_size)) {
      loads.push_back({{"injection_bytes_per_second", r.injection}, {"ejection_bytes_per_second", r.ejection},
                       {"links_out", r.links_out}, {"links_in", r.links_in}});
    }
    j["rank_load"] = loads;
  }
  return j;
}

}  // namespace

std::string wentOnWithoutText(const RunReport& report) {
  std::string lost;
  for (size_t i = 0; i < report.lost.size(); ++i) {
    const LostRank& l = report.lost[i];
    lost += (i ? "; " : "without ") + std::string("rank ") + std::to_string(l.rank) + " (" + l.host + "), lost in " +
            l.where + (l.reason.empty() ? "" : " (" + l.reason + ")");
  }
  if (!lost.empty()) lost += ": " + std::string(report.lost.size() > 1 ? "their" : "its") + " later links were not measured";
  size_t failed = 0;
  const LinkResult* first = nullptr;
  auto lostRank = [&report](int r) {
    return std::any_of(report.lost.begin(), report.lost.end(), [r](const LostRank& x) { return x.rank == r; });
  };
  for (const ResultBlock& b : report.blocks) {
    for (const LinkResult& l : b.links) {
      // A lost rank's own links are said above.
      if (!l.cut || l.not_measured || lostRank(l.link.initiator) || lostRank(l.link.target)) continue;
      if (!first) first = &l;
      ++failed;
    }
  }
  std::string links;
  if (failed > 0) {
    links = "past " + std::to_string(failed) + " failed link" + (failed > 1 ? "s" : "") + ", first " +
            std::to_string(first->link.initiator) + "->" + std::to_string(first->link.target) + ": " + first->error;
  }
  if (lost.empty() && links.empty()) return "";
  return "the run went on " + lost + (lost.empty() || links.empty() ? "" : "; and ") + links + " (--on-failure continue)";
}

std::string isoTimeNow() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

nlohmann::json reportToJson(const RunReport& report, const std::string* bulk) {
  nlohmann::json ranks = nlohmann::json::array();
  for (int r = 0; r < report.world_size; ++r) ranks.push_back({{"rank", r}, {"host", report.hosts[r]}});
  nlohmann::json blocks = nlohmann::json::array();
  for (size_t i = 0; i < report.blocks.size(); ++i) blocks.push_back(blockToJson(report.blocks[i], i, report, bulk));
  nlohmann::json out = {
      {"schema_version", kSchemaVersion},
      {"tool", "te_bench"},
      {"version", report.version},
      {"git_revision", report.git_revision},
      {"start_time", report.start_time},
      {"end_time", report.end_time},
      {"command_line", report.config->command_line},
      {"options", optionsOf(report)},
      {"world", {{"size", report.world_size}, {"launcher", report.launcher}, {"bootstrap", report.bootstrap},
                 {"ranks", ranks}}},
      {"transport", {{"name", report.transport}, {"details", report.transport_details}}},
      {"transports", report.transports_details},
      {"memory", report.memory},
      {"topology", topologyToJson(report)},
      {"results", blocks},
      {"complete", report.failure.empty()},
  };
  if (!report.failure.empty()) out["failure"] = report.failure;
  if (report.went_on) {
    nlohmann::json lost = nlohmann::json::array();
    for (const LostRank& l : report.lost) {
      lost.push_back({{"rank", l.rank}, {"host", l.host}, {"where", l.where}, {"reason", l.reason}});
    }
    out["lost_ranks"] = std::move(lost);
  }
  return out;
}

// One JSON value per line, in an array indented like the line that names it.
template <typename Each>
void writeLines(std::ostream& out, size_t count, size_t indent, const Each& each) {
  if (count == 0) {
    out << "[]";
    return;
  }
  const std::string pad(indent + 2, ' ');
  out << "[\n";
  for (size_t i = 0; i < count; ++i) out << pad << each(i).dump() << (i + 1 < count ? ",\n" : "\n");
  out << std::string(indent, ' ') << "]";
}

// Writes `text` (a dump of reportToJson(report, &bulk)) with every bulk placeholder replaced.
void writeWithBulk(std::ostream& out, const std::string& text, const std::string& bulk, const RunReport& report) {
  const std::string quoted = "\"" + bulk + ":";
  size_t at = 0;
  for (size_t p; (p = text.find(quoted, at)) != std::string::npos;) {
    out.write(text.data() + at, static_cast<std::streamsize>(p - at));
    const size_t close = text.find('"', p + 1);
    const std::string what = text.substr(p + quoted.size(), close - p - quoted.size());  // "links:3"
    const size_t colon = what.find(':');
    const ResultBlock& b = report.blocks[std::stoul(what.substr(colon + 1))];
    const size_t line = text.rfind('\n', p) + 1;
    const size_t indent = text.find_first_not_of(' ', line) - line;
    if (what.compare(0, colon, "links") == 0) {
      writeLines(out, b.links.size(), indent,
                 [&](size_t i) { return linkToJson(b, i, report); });
    } else {
      const Matrix m = what.compare(0, colon, "latency") == 0 ? latencyMatrix(b.links, report.world_size)
                                                              : throughputMatrix(b.links, report.world_size);
      writeLines(out, m.size(), indent, [&](size_t r) { return optionalsToJson(m[r]); });
    }
    at = close + 1;
  }
  out.write(text.data() + at, static_cast<std::streamsize>(text.size() - at));
  out << "\n";
}

}  // namespace

nlohmann::json reportToJson(const RunReport& report) { return reportToJson(report, nullptr); }

nlohmann::json optionsOf(const RunReport& report) {
  if (!report.options.is_null() || !report.config) return report.options;
  return configToJson(*report.config);
}

Status checkWritable(const std::string& path, const std::string& flag) {
  // Reports are written to a temporary file beside PATH and renamed over it
  // (writeFileAtomically): PATH must be a file or nothing (not a directory, not /proc), and
  // the temporary must be creatable. An existing report is left as it is.
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return invalidArgument(flagValue(flag, path) + ": not a regular file; allowed a path to a file to write");
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return invalidArgument(flagValue(flag, path) + ": cannot write there (" + std::strerror(errno) +
                           "); allowed a path to a file to write");
  }
  ::close(fd);
  ::unlink(tmp.c_str());
  return Status::ok();
}

// The report is a DOM but for each block's links and matrix, which go to the file a line at a
// time: the DOM of a million links (1024 ranks) would take gigabytes. The placeholder carries
// a random tag, so no string of the user's (a host name, an argument) can pass for one.
Status writeJsonReport(const RunReport& report, const std::string& path) {
  std::random_device entropy;
  const std::string bulk = "te_bench_bulk_" + std::to_string(entropy()) + "_" + std::to_string(entropy());
  const std::string text = reportToJson(report, &bulk).dump(2);
  return writeFileAtomically(path, [&](std::ostream& out) { writeWithBulk(out, text, bulk, report); });
}

}  // namespace te::bench
