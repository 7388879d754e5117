// The Prometheus report: one family at a time (the exposition format wants a family's samples
// together), each with HELP and TYPE, every sample a gauge of the last run. The aggregates are
// the analysis's (per host, per switch, suspects), not recomputed here.
#include "bench/report/report_metrics.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <functional>
#include <optional>

#include "bench/report/report_topology.h"
#include "common/files.h"

namespace te::bench {
namespace {

// Shortest text that reads back as the same double; the format's own NaN and infinities.
std::string value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

// "2026-12-02T13:47:31Z" -> seconds since the epoch; nullopt when not that form.
std::optional<double> epochSeconds(const std::string& iso) {
  std::tm tm{};
  const char* end = ::strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end) return std::nullopt;
  return static_cast<double>(::timegm(&tm));
}

class Exposition {
 public:
  explicit Exposition(std::ostream& out) : out_(out) {}
  // Starts a family: its HELP (text without line breaks or backslashes) and TYPE lines.
  void family(const std::string& name, const std::string& help) {
    name_ = "te_bench_" + name;
    out_ << "# HELP " << name_ << ' ' << help << "\n# TYPE " << name_ << " gauge\n";
  }
  // `labels`: `key="escaped value",...` (labels() builds it).
  void sample(const std::string& labels, double v) {
    out_ << name_;
    if (!labels.empty()) out_ << '{' << labels << '}';
    out_ << ' ' << value(v) << '\n';
  }

 private:
  std::ostream& out_;
  std::string name_;
};

using Labels = std::vector<std::pair<const char*, std::string>>;

std::string labels(const Labels& l) {
  std::string out;
  for (const auto& [key, v] : l) out += (out.empty() ? "" : ",") + std::string(key) + "=\"" + escapeLabelValue(v) + "\"";
  return out;
}

std::string blockLabels(const ResultBlock& b) {
  return labels({{"transport", b.transport}, {"operation", b.operation}, {"block_size", std::to_string(b.block_size)},
                 {"schedule", b.schedule}});
}

std::string with(const std::string& base, const Labels& more) { return base + "," + labels(more); }

const LinkVerdict* verdictAt(const ResultBlock& b, size_t i) {
  return b.analysis.verdicts.size() == b.links.size() ? &b.analysis.verdicts[i] : nullptr;
}

bool listed(const ResultBlock& b, size_t i, bool all_links) {
  if (all_links) return true;
  const LinkVerdict* v = verdictAt(b, i);
  const LinkResult& l = b.links[i];
  return (v && (v->flagged || v->confirmed || v->below_expectation)) || std::string(l.statusName()) != "ok";
}

void writeRun(const RunReport& report, Exposition& e) {
  const std::string run = labels({{"version", report.version}, {"git_revision", report.git_revision}});
  e.family("run_info", "te_bench build of the last run (value 1)");
  e.sample(run, 1);
  const std::optional<double> start = epochSeconds(report.start_time), end = epochSeconds(report.end_time);
  if (start) {
    e.family("run_start_timestamp_seconds", "start of the last run, seconds since the epoch");
    e.sample("", *start);
  }
  if (end) {
    e.family("run_end_timestamp_seconds", "end of the last run, seconds since the epoch");
    e.sample("", *end);
  }
  if (start && end) {
    e.family("run_duration_seconds", "wall time of the last run, seconds");
    e.sample("", *end - *start);
  }
  e.family("run_exit_code", "exit code of the last run (0 ok, 1 stopped early, 4 an expectation failed)");
  e.sample("", reportedExitCode(report));
  e.family("run_complete", "1 when the last run measured its whole schedule, 0 when it stopped early");
  e.sample("", report.failure.empty() ? 1 : 0);
  e.family("run_ranks", "ranks of the last run");
  e.sample("", report.world_size);
}

// One family over every block: `each(block, block labels)` writes its samples.
void perBlock(const RunReport& report, Exposition& e, const std::string& name, const std::string& help,
              const std::function<void(const ResultBlock&, const std::string&)>& each) {
  e.family(name, help);
  for (const ResultBlock& b : report.blocks) each(b, blockLabels(b));
}

size_t countVerdicts(const ResultBlock& b, bool LinkVerdict::*field) {
  size_t n = 0;
  for (const LinkVerdict& v : b.analysis.verdicts) n += v.*field;
  return n;
}

void writeBlocks(const RunReport& report, Exposition& e) {
  perBlock(report, e, "block_median_bytes_per_second", "median link throughput of a block by locality",
           [&](const ResultBlock& b, const std::string& l) {
             for (const auto& [name, s] : {std::pair{"intra-host", &b.analysis.intra_host}, {"inter-host", &b.analysis.inter_host}}) {
               if (s->count) e.sample(with(l, {{"locality", name}}), s->median);
             }
           });
  perBlock(report, e, "block_links", "links measured with a rate in a block", [&](const ResultBlock& b, const std::string& l) {
    e.sample(l, static_cast<double>(b.analysis.intra_host.count + b.analysis.inter_host.count));
  });
  perBlock(report, e, "block_flagged_links", "links below the threshold in the all-pairs run",
           [&](const ResultBlock& b, const std::string& l) { e.sample(l, countVerdicts(b, &LinkVerdict::flagged)); });
  perBlock(report, e, "block_confirmed_links", "flagged links slow when measured alone too",
           [&](const ResultBlock& b, const std::string& l) { e.sample(l, countVerdicts(b, &LinkVerdict::confirmed)); });
  perBlock(report, e, "block_failing_links", "links below the expectation (--expect, --expect-line-rate)",
           [&](const ResultBlock& b, const std::string& l) { e.sample(l, b.analysis.failing.size()); });
  perBlock(report, e, "block_suspects", "suspects named (switch, uplink, rail, host, rank)",
           [&](const ResultBlock& b, const std::string& l) { e.sample(l, b.analysis.suspects.size()); });
  perBlock(report, e, "block_expected_bytes_per_second", "the expectation every link had to meet",
           [&](const ResultBlock& b, const std::string& l) {
             if (b.analysis.expected_bytes_per_second) e.sample(l, *b.analysis.expected_bytes_per_second);
           });
  // A loaded schedule's block against the same links idle (--schedule pairs,all-to-all).
  perBlock(report, e, "block_congestion_impact", "loaded / idle throughput of a loaded schedule's links",
           [&](const ResultBlock& b, const std::string& l) {
             if (!b.congestion) return;
             const ImpactSummary& s = b.congestion->summary;
             for (const auto& [stat, v] : {std::pair{"median", s.median}, {"mean", s.mean}, {"p1", s.p1}, {"worst", s.worst}}) {
               e.sample(with(l, {{"stat", stat}}), v);
             }
           });
  perBlock(report, e, "block_congestion_flagged_links", "links of a loaded schedule low under load",
           [&](const ResultBlock& b, const std::string& l) {
             if (b.congestion) e.sample(l, static_cast<double>(b.congestion->flagged.size()));
           });
  perBlock(report, e, "block_latency_seconds", "request latency over every request of a block's links",
           [&](const ResultBlock& b, const std::string& l) {
             const LatencySummary s = b.latency ? *b.latency : LatencySummary::of(b.latency_ns);
             if (s.count == 0) return;
             for (const auto& [stat, v] : {std::pair{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}}) {
               e.sample(with(l, {{"stat", stat}}), double(v) / 1e9);
             }
           });
}

// Each NIC of a rank that used two or more (verbs): its part of the bytes and its ratio.
// Only the suspect ones unless `all` (--metrics-links all): 8 NICs x 1024 ranks is 24k series.
void writeNics(const RunReport& report, bool all, Exposition& e) {
  auto each = [&](double (*f)(const NicVerdict&)) {
    return [&, f](const ResultBlock& b, const std::string& l) {
      for (const NicVerdict& v : b.analysis.nics) {
        if (!v.suspect && !all) continue;
        e.sample(with(l, {{"host", v.host}, {"rank", std::to_string(v.rank)}, {"device", v.device}}), f(v));
      }
    };
  };
  perBlock(report, e, "nic_part", "a NIC's median share of its links' bytes x the NICs its rank used (1: even)",
           each([](const NicVerdict& v) { return v.part; }));
  perBlock(report, e, "nic_ratio", "a NIC's part over the median part of its rank's other NICs",
           each([](const NicVerdict& v) { return v.ratio; }));
  perBlock(report, e, "nic_bytes", "bytes through a NIC over the measured links through it",
           each([](const NicVerdict& v) { return double(v.bytes); }));
}

// Per host or per switch: the analysis's summaries of its links as initiator and as target.
void writeGroups(const RunReport& report, Exposition& e, const char* what, const char* label,
                 std::vector<GroupSummary> BlockAnalysis::*groups) {
  const std::string prefix = std::string(what) + "_";
  const std::string of = std::string("of the links of a ") + what + " as initiator or target";
  auto each = [&](double Summary::*stat, bool count) {
    return [&, stat, count](const ResultBlock& b, const std::string& l) {
      for (const GroupSummary& g : b.analysis.*groups) {
        for (const auto& [direction, s] : {std::pair{"initiator", &g.as_initiator}, {"target", &g.as_target}}) {
          if (!s->count) continue;
          e.sample(with(l, {{label, g.name}, {"direction", direction}}), count ? double(s->count) : s->*stat);
        }
      }
    };
  };
  perBlock(report, e, prefix + "links", std::string("measured links of a ") + what + " as initiator or target",
           each(nullptr, true));
  perBlock(report, e, prefix + "median_bytes_per_second", "median throughput " + of, each(&Summary::median, false));
  perBlock(report, e, prefix + "min_bytes_per_second", "lowest throughput " + of, each(&Summary::min, false));
}

void writeSuspects(const RunReport& report, Exposition& e) {
  auto each = [&](const std::function<std::optional<double>(const Suspect&)>& v) {
    return [&, v](const ResultBlock& b, const std::string& l) {
      for (const Suspect& s : b.analysis.suspects) {
        const std::optional<double> x = v(s);
        if (!x) continue;
        e.sample(with(l, {{"kind", s.kind}, {"suspect", suspectName(s)}, {"host", s.host},
                          {"rank", s.rank >= 0 ? std::to_string(s.rank) : ""}}), *x);
      }
    };
  };
  perBlock(report, e, "suspect", "a suspect the analysis named (value 1): switch, uplink, rail, host, nic or rank",
           each([](const Suspect&) { return 1.0; }));
  perBlock(report, e, "suspect_slow_links", "confirmed slow links touching a suspect",
           each([](const Suspect& s) { return double(s.flagged_links); }));
  perBlock(report, e, "suspect_links", "measured links touching a suspect",
           each([](const Suspect& s) { return double(s.total_links); }));
  perBlock(report, e, "suspect_ratio", "a fabric suspect's links' median over its peers'",
           each([](const Suspect& s) { return s.ratio > 0 ? std::optional<double>(s.ratio) : std::nullopt; }));
}

// `v(link, verdict or null)`: the sample's value, nullopt for none.
using LinkValue = std::function<std::optional<double>(const LinkResult&, const LinkVerdict*)>;

void writeLinks(const RunReport& report, bool all_links, Exposition& e) {
  auto family = [&](const std::string& name, const std::string& help, const LinkValue& v) {
    perBlock(report, e, name, help, [&](const ResultBlock& b, const std::string& l) {
      for (size_t i = 0; i < b.links.size(); ++i) {
        if (!listed(b, i, all_links)) continue;
        const LinkResult& link = b.links[i];
        const std::optional<double> x = v(link, verdictAt(b, i));
        if (!x) continue;
        const int from = link.link.initiator, to = link.link.target;
        auto host = [&report](int r) { return r >= 0 && size_t(r) < report.hosts.size() ? report.hosts[r] : ""; };
        e.sample(with(l, {{"initiator", std::to_string(from)}, {"target", std::to_string(to)},
                          {"initiator_host", host(from)}, {"target_host", host(to)}}), *x);
      }
    });
  };
  auto rated = [](double (*f)(const LinkResult&, const LinkVerdict&)) -> LinkValue {
    return [f](const LinkResult& l, const LinkVerdict* v) -> std::optional<double> {
      if (!v || !l.hasRate()) return std::nullopt;
      return f(l, *v);
    };
  };
  family("link_throughput_bytes_per_second", "throughput of a directed link (initiator -> target)",
         [](const LinkResult& l, const LinkVerdict*) {
           return l.hasRate() ? std::optional<double>(l.bytesPerSecond()) : std::nullopt;
         });
  family("link_reference_bytes_per_second", "median of the links a link was compared with",
         rated([](const LinkResult&, const LinkVerdict& v) { return v.reference; }));
  family("link_ratio", "a link's throughput over its reference",
         rated([](const LinkResult&, const LinkVerdict& v) { return v.ratio; }));
  family("link_flagged", "1 when a link was below the threshold in the all-pairs run",
         rated([](const LinkResult&, const LinkVerdict& v) { return v.flagged ? 1.0 : 0.0; }));
  family("link_confirmed", "1 when a link was slow measured alone too (marked * on the terminal)",
         rated([](const LinkResult&, const LinkVerdict& v) { return v.confirmed ? 1.0 : 0.0; }));
  family("link_below_expectation", "1 when a link was below the expectation (--expect, --expect-line-rate)",
         rated([](const LinkResult&, const LinkVerdict& v) { return v.below_expectation ? 1.0 : 0.0; }));
  family("link_retest_bytes_per_second", "throughput of a flagged link measured alone",
         [](const LinkResult& l, const LinkVerdict* v) {
           return v && v->retested && l.hasRate() ? std::optional<double>(v->retest_bytes_per_second) : std::nullopt;
         });
  const std::pair<const char*, uint64_t LatencySummary::*> kLatency[] = {{"p50", &LatencySummary::p50},
                                                                          {"p99", &LatencySummary::p99}};
  for (const auto& [name, field] : kLatency) {
    family(std::string("link_latency_") + name + "_seconds",
           std::string(name) + " of a link's request latency from its batch's submission",
           [f = field](const LinkResult& l, const LinkVerdict*) {
             return l.hasRate() && l.latency_ns.max > 0 ? std::optional<double>(double(l.latency_ns.*f) / 1e9)
                                                        : std::nullopt;
           });
  }
  family("link_failed", "1 for a link with no rate: failed, not measured, or a measurement error",
         [](const LinkResult& l, const LinkVerdict*) {
           return std::string(l.statusName()) != "ok" ? std::optional<double>(1) : std::nullopt;
         });
}

}  // namespace

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

int reportedExitCode(const RunReport& report) {
  if (!report.failure.empty()) return 1;
  for (const ResultBlock& b : report.blocks) {
    if (!b.analysis.failing.empty()) return 4;
  }
  return 0;
}

void writeMetrics(const RunReport& report, bool all_links, std::ostream& out) {
  Exposition e(out);
  writeRun(report, e);
  writeBlocks(report, e);
  writeGroups(report, e, "host", "host", &BlockAnalysis::per_host);
  if (topologyOf(report)) writeGroups(report, e, "switch", "switch", &BlockAnalysis::per_switch);
  writeSuspects(report, e);
  writeNics(report, all_links, e);
  writeLinks(report, all_links, e);
}

Status writeMetricsReport(const RunReport& report, const std::string& path) {
  const bool all = report.config && report.config->metrics_links == "all";
  return writeFileAtomically(path, [&](std::ostream& f) { writeMetrics(report, all, f); }).withContext("--metrics");
}

}  // namespace te::bench
