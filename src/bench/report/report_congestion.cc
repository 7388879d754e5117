#include "bench/report/report_congestion.h"

#include <charconv>
#include <cstdio>

#include "bench/report/format.h"
#include "bench/report/report_html_page.h"
#include "common/units.h"

namespace te::bench {
namespace {

constexpr int kMaxMatrixRanks = 16;

// The loaded / idle matrix (two decimals), * on the flagged links.
void printImpactMatrix(const RunReport& report, const ResultBlock& b, std::ostream& out) {
  const int n = report.world_size;
  std::vector<std::vector<std::string>> cell(n, std::vector<std::string>(n, "-"));
  for (int i = 0; i < n; ++i) cell[i][i] = "";
  for (const LinkImpact& l : b.congestion->links) {
    const Link& k = b.links[l.link].link;
    cell[k.initiator][k.target] = fixed(l.ratio, 2) + (l.flagged ? "*" : "");
  }
  out << "      ";
  for (int t = 0; t < n; ++t) out << std::string(6 - std::min<size_t>(6, std::to_string(t).size()), ' ') << t;
  out << "\n";
  for (int i = 0; i < n; ++i) {
    const std::string row = std::to_string(i);
    out << std::string(6 - std::min<size_t>(6, row.size()), ' ') << row;
    for (int t = 0; t < n; ++t) out << std::string(6 - std::min<size_t>(6, cell[i][t].size()), ' ') << cell[i][t];
    out << "\n";
  }
}

}  // namespace

void addCongestionImpacts(RunReport* report) {
  if (!report->config) return;
  AnalysisOptions options;
  options.threshold = report->config->threshold;
  options.ranks_per_node = report->config->ranks_per_node;
  for (ResultBlock& b : report->blocks) {
    if (b.schedule.empty() || idleSchedule(b.schedule)) continue;
    for (const ResultBlock& idle : report->blocks) {
      if (!idleSchedule(idle.schedule) || idle.transport != b.transport || idle.operation != b.operation ||
          idle.block_size != b.block_size) {
        continue;
      }
      b.congestion = congestionImpact(idle.links, idle.schedule, b.links, report->hosts, options);
      break;
    }
  }
}

const LinkImpact* impactOf(const ResultBlock& b, size_t i) {
  if (!b.congestion || i >= b.congestion->by_link.size() || b.congestion->by_link[i] < 0) return nullptr;
  return &b.congestion->links[static_cast<size_t>(b.congestion->by_link[i])];
}

void printCongestion(const RunReport& report, const ResultBlock& b, std::ostream& out) {
  if (!b.congestion) return;
  const CongestionImpact& c = *b.congestion;
  const ImpactSummary& s = c.summary;
  const RateUnit unit = report.config->report_unit;
  out << "congestion impact, " << b.schedule << " against " << c.idle_schedule
      << " (loaded / idle throughput; latency: loaded / idle p50), " << s.links << " links:\n  median "
      << fixed(s.median, 2) << "  mean " << fixed(s.mean, 2) << "  worst " << fixed(s.worst, 2) << " ("
      << linkName(b.links[c.links[s.worst_index].link].link) << ")";
  if (s.latency_median > 0) out << "  latency median " << fixed(s.latency_median, 1) << "x  worst " << fixed(s.latency_worst, 1) << "x";
  out << "\n";
  if (report.world_size <= kMaxMatrixRanks) printImpactMatrix(report, b, out);
  if (c.flagged.empty()) return;
  out << "LOW UNDER LOAD (impact below " << fixed(report.config->threshold, 2)
      << " x that of comparable links): ";
  const size_t shown = std::min<size_t>(c.flagged.size(), 12);
  for (size_t k = 0; k < shown; ++k) {
    const LinkImpact& l = c.links[c.flagged[k]];
    out << (k ? ", " : "") << linkName(b.links[l.link].link) << " " << fixed(l.ratio, 2) << " of "
        << fixed(l.reference, 2) << " (" << fixed(toRateUnit(l.idle_bytes_per_second, unit), 2) << " -> "
        << fixed(toRateUnit(l.loaded_bytes_per_second, unit), 2) << " " << rateUnitName(unit) << ")";
  }
  if (shown < c.flagged.size()) out << ", and " << c.flagged.size() - shown << " more";
  out << "\n";
}

nlohmann::json linkImpactToJson(const LinkImpact& l) {
  return {{"idle_bytes_per_second", l.idle_bytes_per_second},
          {"impact", l.ratio},
          {"latency_impact", l.latency_ratio > 0 ? nlohmann::json(l.latency_ratio) : nlohmann::json(nullptr)},
          {"reference_impact", l.reference},
          {"flagged", l.flagged}};
}

nlohmann::json blockImpactToJson(const ResultBlock& b) {
  if (!b.congestion) return nullptr;
  const CongestionImpact& c = *b.congestion;
  const ImpactSummary& s = c.summary;
  nlohmann::json flagged = nlohmann::json::array();
  for (size_t k : c.flagged) {
    const Link& l = b.links[c.links[k].link].link;
    flagged.push_back({l.initiator, l.target});
  }
  const Link& worst = b.links[c.links[s.worst_index].link].link;
  auto positive = [](double v) { return v > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"idle_schedule", c.idle_schedule},
          {"links", s.links},
          {"median", s.median},
          {"mean", s.mean},
          {"p1", s.p1},
          {"worst", s.worst},
          {"worst_link", {worst.initiator, worst.target}},
          {"latency_median", positive(s.latency_median)},
          {"latency_worst", positive(s.latency_worst)},
          {"flagged_links", flagged}};
}

const char* const kCsvCongestionColumns = "schedule,idle_bytes_per_second,congestion_impact,latency_impact,impact_flagged";

std::string csvCongestionValues(const ResultBlock& b, size_t i) {
  std::string out = "," + b.schedule;  // schedule names hold no comma or quote
  const LinkImpact* l = impactOf(b, i);
  if (!l) return out + ",,,,";
  return out + "," + shortestNumber(l->idle_bytes_per_second) + "," + shortestNumber(l->ratio) + "," +
         (l->latency_ratio > 0 ? shortestNumber(l->latency_ratio) : "") + "," + (l->flagged ? "true" : "false");
}

void writeCongestionHtml(const RunReport& report, const ResultBlock& b, int max_ranks, std::ostream& out) {
  if (!b.congestion) return;
  const CongestionImpact& c = *b.congestion;
  const ImpactSummary& s = c.summary;
  out << "<h3>Congestion impact: " << html::escape(b.schedule) << " against " << html::escape(c.idle_schedule)
      << "</h3>\n<p class=\"summary\">loaded / idle throughput over " << s.links << " links: median "
      << html::fixed(s.median, 2) << ", mean " << html::fixed(s.mean, 2) << ", worst " << html::fixed(s.worst, 2);
  if (s.latency_median > 0) {
    out << "; p50 latency loaded / idle: median " << html::fixed(s.latency_median, 1) << "x, worst "
        << html::fixed(s.latency_worst, 1) << "x";
  }
  out << "; " << c.flagged.size() << " link(s) low under load</p>\n";
  const int n = report.world_size;
  if (n > max_ranks) return;
  std::vector<std::vector<const LinkImpact*>> at(n, std::vector<const LinkImpact*>(n, nullptr));
  for (const LinkImpact& l : c.links) at[b.links[l.link].link.initiator][b.links[l.link].link.target] = &l;
  out << "<table class=\"heatmap impact\"><thead><tr><th>initiator \\ target<br>loaded / idle</th>";
  for (int t = 0; t < n; ++t) out << "<th class=\"col\">" << t << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  const RateUnit unit = report.config ? report.config->report_unit : RateUnit::kGB;
  for (int i = 0; i < n; ++i) {
    out << "<tr><th class=\"row\">" << i << "</th>";
    for (int t = 0; t < n; ++t) {
      const LinkImpact* l = at[i][t];
      if (i == t) { out << "<td class=\"diag\"></td>"; continue; }
      if (!l) { out << "<td class=\"missing\" title=\"not measured both idle and loaded\">-</td>"; continue; }
      const std::string title = std::to_string(i) + "->" + std::to_string(t) + ": idle " +
                                html::rate(l->idle_bytes_per_second, unit, 2) + ", loaded " +
                                html::rate(l->loaded_bytes_per_second, unit, 2) + ", comparable links " +
                                html::fixed(l->reference, 2) + (l->flagged ? ", LOW UNDER LOAD" : "");
      out << "<td class=\"cell" << (l->flagged ? " flagged confirmed" : "") << "\" title=\"" << html::escape(title)
          << "\" style=\"background:" << html::cellColour(std::min(1.0, l->ratio)) << "\">" << html::fixed(l->ratio, 2)
          << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

}  // namespace te::bench
