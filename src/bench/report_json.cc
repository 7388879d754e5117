#include "bench/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

#include "common/files.h"
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

nlohmann::json verdictToJson(const LinkVerdict& v) {
  return {{"locality", localityName(v.locality)}, {"reference_bytes_per_second", v.reference}, {"ratio", v.ratio},
          {"flagged", v.flagged}, {"retested", v.retested}, {"retest_bytes_per_second", v.retest_bytes_per_second},
          {"confirmed", v.confirmed}, {"below_expectation", v.below_expectation}};
}

nlohmann::json summaryToJson(const Summary& s) {
  return {{"links", s.count}, {"min_bytes_per_second", s.min}, {"median_bytes_per_second", s.median},
          {"mean_bytes_per_second", s.mean}, {"max_bytes_per_second", s.max}};
}

nlohmann::json analysisToJson(const BlockAnalysis& a, const std::vector<LinkResult>& links) {
  nlohmann::json suspects = nlohmann::json::array();
  for (const Suspect& s : a.suspects) {
    suspects.push_back({{"kind", s.kind}, {"rank", s.rank}, {"host", s.host}, {"flagged_links", s.flagged_links},
                        {"total_links", s.total_links}});
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
                      {"intra_host", summaryToJson(a.intra_host)},
                      {"inter_host", summaryToJson(a.inter_host)},
                      {"per_rank", groups(a.per_rank)},
                      {"per_host", groups(a.per_host)}};
  j["expected_bytes_per_second"] =
      a.expected_bytes_per_second ? nlohmann::json(*a.expected_bytes_per_second) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json latencyToJson(const LatencySummary& h) {
  return {{"p50", h.p50 / 1e3}, {"p90", h.p90 / 1e3}, {"p99", h.p99 / 1e3},
          {"min", h.min / 1e3}, {"max", h.max / 1e3}, {"mean", h.mean / 1e3}};
}

nlohmann::json linkToJson(const LinkResult& l, const LinkVerdict* verdict, const RunReport& report) {
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
      {"latency_us", latencyToJson(l.latency_ns)},
      {"status", l.error.empty() ? "ok" : "failed"},
      {"samples", samplesToJson(l.samples)},
  };
  if (verdict) j["analysis"] = verdictToJson(*verdict);
  return j;
}

nlohmann::json optionalsToJson(const std::vector<std::optional<double>>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& x : v) out.push_back(x ? nlohmann::json(*x) : nlohmann::json(nullptr));
  return out;
}

nlohmann::json blockToJson(const ResultBlock& b, const RunReport& report) {
  nlohmann::json links = nlohmann::json::array();
  std::vector<double> values;
  for (size_t i = 0; i < b.links.size(); ++i) {
    const auto& l = b.links[i];
    links.push_back(linkToJson(l, i < b.analysis.verdicts.size() ? &b.analysis.verdicts[i] : nullptr, report));
    values.push_back(l.bytesPerSecond());
  }
  Matrix m = throughputMatrix(b.links, report.world_size);
  nlohmann::json matrix = nlohmann::json::array();
  for (const auto& row : m) matrix.push_back(optionalsToJson(row));
  Summary s = summarize(values);
  nlohmann::json summary = {{"links", s.count}, {"min_bytes_per_second", s.min},
                            {"median_bytes_per_second", s.median}, {"mean_bytes_per_second", s.mean},
                            {"max_bytes_per_second", s.max},
                            {"latency_us", latencyToJson(LatencySummary::of(b.latency_ns))}};
  if (s.count) {
    summary["min_link"] = {b.links[s.min_index].link.initiator, b.links[s.min_index].link.target};
    summary["max_link"] = {b.links[s.max_index].link.initiator, b.links[s.max_index].link.target};
  }
  return {{"transport", b.transport},
          {"operation", b.operation},
          {"block_size", b.block_size},
          {"links", links},
          {"matrix_bytes_per_second", matrix},
          {"row_mean_bytes_per_second", optionalsToJson(rowMeans(m))},
          {"column_mean_bytes_per_second", optionalsToJson(columnMeans(m))},
          {"summary", summary},
          {"analysis", analysisToJson(b.analysis, b.links)}};
}

}  // namespace

std::string isoTimeNow() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json reportToJson(const RunReport& report) {
  nlohmann::json ranks = nlohmann::json::array();
  for (int r = 0; r < report.world_size; ++r) ranks.push_back({{"rank", r}, {"host", report.hosts[r]}});
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& b : report.blocks) blocks.push_back(blockToJson(b, report));
  return {
      {"schema_version", kSchemaVersion},
      {"tool", "te_bench"},
      {"version", kVersion},
      {"git_revision", kGitRevision},
      {"start_time", report.start_time},
      {"end_time", report.end_time},
      {"command_line", report.config->command_line},
      {"options", configToJson(*report.config)},
      {"world", {{"size", report.world_size}, {"launcher", report.launcher}, {"bootstrap", report.bootstrap},
                 {"ranks", ranks}}},
      {"transport", {{"name", report.transport}, {"details", report.transport_details}}},
      {"transports", report.transports_details},
      {"memory", report.memory},
      {"results", blocks},
  };
}

Status checkWritable(const std::string& path, const std::string& flag) {
  // Open for append without truncating an existing report; remove it again if we made it.
  bool existed = ::access(path.c_str(), F_OK) == 0;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return invalidArgument(flag + " " + path + ": cannot write there (" + std::strerror(errno) + ")");
  }
  ::close(fd);
  if (!existed) ::unlink(path.c_str());
  return Status::ok();
}

Status writeJsonReport(const RunReport& report, const std::string& path) {
  return writeFileAtomically(path, reportToJson(report).dump(2) + "\n");
}

}  // namespace te::bench
