// The HTML report: one self-contained page with a heatmap per block, the findings of the
// analysis, the summary and the run's options.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <fstream>

#include "bench/report/report.h"
#include "bench/report/report_html_page.h"
#include "bench/report/report_congestion.h"
#include "bench/report/report_topology.h"
#include "common/files.h"
#include "common/version.h"

namespace te::bench {
namespace {

struct Style {
  RateUnit unit = RateUnit::kGB;
  int precision = 2;
  std::string rate(double bps) const { return html::rate(bps, unit, precision); }
  std::string number(double bps) const { return html::fixed(toRateUnit(bps, unit), precision); }
};

std::string hostOf(const RunReport& r, int rank) {
  return rank >= 0 && static_cast<size_t>(rank) < r.hosts.size() ? r.hosts[rank] : "?";
}

std::string linkName(const RunReport& r, const Link& l) {
  return std::to_string(l.initiator) + "->" + std::to_string(l.target) + " (" + hostOf(r, l.initiator) + "->" +
         hostOf(r, l.target) + ")";
}

// A value the script can re-render in another unit.
std::string rateSpan(double bps, const Style& st) {
  return "<span class=\"rate\" data-bps=\"" + html::fixed(bps, 0) + "\">" + st.rate(bps) + "</span>";
}

const LinkVerdict* verdictOf(const ResultBlock& b, size_t i) {
  return b.analysis.verdicts.size() == b.links.size() ? &b.analysis.verdicts[i] : nullptr;
}

void writeCell(const RunReport& r, const ResultBlock& b, size_t i, double max_bps, const Style& st,
               std::ostream& out) {
  const LinkResult& l = b.links[i];
  const LinkVerdict* v = verdictOf(b, i);
  const double bps = l.bytesPerSecond();
  const bool failed = !l.error.empty();
  std::string cls = "cell";
  if (failed) cls += " failed";
  if (v && v->flagged) cls += v->confirmed ? " flagged confirmed" : " flagged";
  std::string title = std::to_string(l.link.initiator) + "->" + std::to_string(l.link.target) + ": " +
                      (failed ? "failed: " + l.error : st.rate(bps)) + ", p99 " +
                      html::fixed(l.latency_ns.p99 / 1e3, 1) + " us, " + hostOf(r, l.link.initiator) +
                      " -> " + hostOf(r, l.link.target);
  if (v) {
    title += ", " + (v->path_class >= 0 ? describePath(v->path, topologyOf(r)) : std::string(localityName(v->locality))) +
             ", reference " + st.rate(v->reference);
    if (v->retested) title += ", alone " + st.rate(v->retest_bytes_per_second);
    if (v->flagged) title += v->confirmed ? ", SLOW" : ", slow only under load";
  }
  if (l.lower_bound) title += ", a lower bound (" + std::to_string(l.batches) + " batches)";
  out << "<td class=\"" << cls << "\" data-initiator=\"" << l.link.initiator << "\" data-target=\""
      << l.link.target << "\" data-bps=\"" << html::fixed(bps, 0) << "\" title=\"" << html::escape(title) << "\"";
  if (!failed) out << " style=\"background:" << html::cellColour(max_bps > 0 ? bps / max_bps : 0) << "\"";
  out << ">" << (l.invalid ? "error" : l.not_measured ? "not measured" : failed ? "failed" : st.number(bps) + (l.lower_bound ? "+" : "")) << "</td>";
}

void writeHeatmap(const RunReport& r, const ResultBlock& b, const Style& st, std::ostream& out) {
  const int n = std::max(0, r.world_size);
  std::vector<std::vector<long>> index(n, std::vector<long>(n, -1));
  double max_bps = 0;
  for (size_t i = 0; i < b.links.size(); ++i) {
    const Link& l = b.links[i].link;
    if (l.initiator < 0 || l.initiator >= n || l.target < 0 || l.target >= n) continue;
    index[l.initiator][l.target] = static_cast<long>(i);
    max_bps = std::max(max_bps, b.links[i].bytesPerSecond());
  }
  Matrix m = throughputMatrix(b.links, n);
  auto rows = rowMeans(m), cols = columnMeans(m);
  auto mean = [&st](const std::optional<double>& x) {
    return x ? "<td class=\"mean\" data-bps=\"" + html::fixed(*x, 0) + "\">" + st.number(*x) + "</td>"
             : std::string("<td class=\"mean\">-</td>");
  };
  // Ranks in topology order (by switch, host, rail), a line where a host or a switch starts.
  const RankOrder ord = heatmapOrder(r);
  // The lines are borders of <col> and <tr>, which a collapsed table draws.
  const char* const kEdge[] = {"", " class=\"edge-host\"", " class=\"edge-switch\""};
  out << "<table class=\"heatmap\"><colgroup><col>";
  for (int k = 0; k < n; ++k) out << "<col" << kEdge[ord.edge[k]] << ">";
  out << "<col></colgroup><thead><tr><th>initiator \\ target<br><span class=\"unit-name\">" << rateUnitName(st.unit)
      << "</span></th>";
  for (int t : ord.order) {
    out << "<th class=\"col\" data-rank=\"" << t << "\">" << t << "<span class=\"host\">"
        << html::escape(hostOf(r, t)) << "</span></th>";
  }
  out << "<th>mean</th></tr></thead>\n<tbody>\n";
  for (int ki = 0; ki < n; ++ki) {
    const int i = ord.order[ki];
    out << "<tr" << kEdge[ord.edge[ki]] << "><th class=\"row\" data-rank=\"" << i << "\">" << i
        << "<span class=\"host\">" << html::escape(hostOf(r, i)) << "</span></th>";
    for (int t : ord.order) {
      if (i == t) {
        out << "<td class=\"diag\"></td>";
      } else if (index[i][t] < 0) {
        out << "<td class=\"missing\" title=\"not measured\">-</td>";
      } else {
        writeCell(r, b, static_cast<size_t>(index[i][t]), max_bps, st, out);
      }
    }
    out << mean(rows[i]) << "</tr>\n";
  }
  out << "<tr><th>mean</th>";
  for (int t : ord.order) out << mean(cols[t]);
  out << "<td></td></tr>\n</tbody></table>\n";
}

// --metric latency: a table of each link's p50 (us), coloured by the lowest p50 over its own
// (green the quickest), flagged links outlined; p99, max and the verdict on hover.
void writeLatencyHeatmap(const RunReport& r, const ResultBlock& b, std::ostream& out) {
  const int n = std::max(0, r.world_size);
  const Matrix m = latencyMatrix(b.links, n);
  std::vector<std::vector<long>> index(n, std::vector<long>(n, -1));
  double best = 0;
  for (size_t i = 0; i < b.links.size(); ++i) {
    const Link& l = b.links[i].link;
    if (l.initiator < 0 || l.initiator >= n || l.target < 0 || l.target >= n) continue;
    index[l.initiator][l.target] = static_cast<long>(i);
    if (const auto& v = m[l.initiator][l.target]; v && *v > 0) best = best > 0 ? std::min(best, *v) : *v;
  }
  out << "<table class=\"heatmap latency\"><thead><tr><th>initiator \\ target<br>p50 us</th>";
  for (int t = 0; t < n; ++t) out << "<th class=\"col\">" << t << "<span class=\"host\">" << html::escape(hostOf(r, t)) << "</span></th>";
  out << "</tr></thead>\n<tbody>\n";
  for (int i = 0; i < n; ++i) {
    out << "<tr><th class=\"row\">" << i << "<span class=\"host\">" << html::escape(hostOf(r, i)) << "</span></th>";
    for (int t = 0; t < n; ++t) {
      const long k = index[i][t];
      if (i == t) { out << "<td class=\"diag\"></td>"; continue; }
      if (k < 0 || !m[i][t]) { out << "<td class=\"missing\" title=\"not measured\">-</td>"; continue; }
      const LinkResult& l = b.links[static_cast<size_t>(k)];
      const LinkVerdict* v = verdictOf(b, static_cast<size_t>(k));
      std::string title = std::to_string(i) + "->" + std::to_string(t) + ": p50 " + html::fixed(*m[i][t], 1) + " us, p99 " +
                          html::fixed(l.latency_ns.p99 / 1e3, 1) + " us, max " + html::fixed(l.latency_ns.max / 1e3, 1) + " us";
      std::string cls = "cell";
      if (v && v->reference > 0) title += ", comparable " + html::fixed(latencyOfRate(v->reference, b.block_size), 1) + " us";
      if (v && v->retested) title += ", alone " + html::fixed(latencyOfRate(v->retest_bytes_per_second, b.block_size), 1) + " us";
      if (v && v->flagged) {
        cls += v->confirmed ? " flagged confirmed" : " flagged";
        title += v->confirmed ? ", HIGH LATENCY" : ", high only under load";
      }
      out << "<td class=\"" << cls << "\" title=\"" << html::escape(title) << "\" style=\"background:"
          << html::cellColour(best > 0 ? best / *m[i][t] : 0) << "\">" << html::fixed(*m[i][t], 1) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

// Above this many ranks a table of N^2 cells is more than a browser draws comfortably (a
// million at 1024 ranks): the heatmap becomes a canvas, a pixel or a few per link, drawn by
// the page's script from the block's rates (MB/s, -1 failed, null not measured).
constexpr int kMaxTableRanks = 64;

void writeCanvasHeatmap(const RunReport& r, const ResultBlock& b, std::ostream& out) {
  const int n = std::max(0, r.world_size);
  nlohmann::json mbps(static_cast<size_t>(n) * n, nullptr);
  nlohmann::json slow = nlohmann::json::array(), under_load = nlohmann::json::array();
  double max_bps = 0;
  for (size_t i = 0; i < b.links.size(); ++i) {
    const LinkResult& l = b.links[i];
    if (l.link.initiator < 0 || l.link.initiator >= n || l.link.target < 0 || l.link.target >= n) continue;
    const size_t at = static_cast<size_t>(l.link.initiator) * n + l.link.target;
    mbps[at] = l.error.empty() ? std::llround(l.bytesPerSecond() / 1e6) : -1LL;
    if (l.error.empty()) max_bps = std::max(max_bps, l.bytesPerSecond());
    const LinkVerdict* v = verdictOf(b, i);
    if (v && v->flagged) (v->confirmed ? slow : under_load).push_back(at);
  }
  nlohmann::json hosts = nlohmann::json::array();
  for (int k = 0; k < n; ++k) hosts.push_back(hostOf(r, k));
  // Ranks in topology order, as the table's: position k shows rank order[k]; edge[k] 1 or 2
  // draws a host or a switch line before it.
  const RankOrder ord = heatmapOrder(r);
  const nlohmann::json data = {{"n", n},         {"max_mbps", std::llround(max_bps / 1e6)}, {"mbps", mbps},
                               {"hosts", hosts}, {"slow", slow}, {"under_load", under_load},
                               {"order", ord.order}, {"edge", ord.edge}};
  // Inside <script> a "</script" or "<!--" of a host name would change how the page parses:
  // JSON may spell every "<" as "\u003c".
  std::string text;
  for (char ch : data.dump()) text += ch == '<' ? std::string("\\u003c") : std::string(1, ch);
  const int px = std::max(1, 768 / std::max(1, n));
  out << "<p class=\"meta\">" << n << " ranks: " << px << " pixel" << (px > 1 ? "s" : "")
      << " per link, rows initiators, columns targets; hover for a link. Slow links are listed below.</p>\n"
      << "<div class=\"canvas-heatmap\"><canvas class=\"heatmap\" width=\"" << n * px << "\" height=\"" << n * px
      << "\" data-px=\"" << px << "\"></canvas><div class=\"tip\"></div>\n<script type=\"application/json\">"
      << text << "</script></div>\n";
}

void writeSummaryLine(const RunReport& r, const ResultBlock& b, const char* label, const Summary& s,
                      const Style& st, std::ostream& out) {
  if (s.count == 0) return;
  out << "<li>" << label << ": " << s.count << " links, min " << rateSpan(s.min, st);
  if (s.min_index < b.links.size()) out << " (" << html::escape(linkName(r, b.links[s.min_index].link)) << ")";
  out << ", median " << rateSpan(s.median, st) << ", max " << rateSpan(s.max, st);
  if (s.max_index < b.links.size()) out << " (" << html::escape(linkName(r, b.links[s.max_index].link)) << ")";
  out << "</li>\n";
}

void writeGroupTable(const char* what, const std::vector<GroupSummary>& groups, const Style& st, std::ostream& out);

void writeSummary(const RunReport& r, const ResultBlock& b, const Style& st, std::ostream& out) {
  std::vector<double> values;
  for (const auto& l : b.links) values.push_back(l.bytesPerSecond());
  out << "<h3>Summary</h3>\n<ul class=\"summary\">\n";
  writeSummaryLine(r, b, "all", summarize(values), st, out);
  if (b.analysis.verdicts.size() == b.links.size()) {
    writeSummaryLine(r, b, "intra-host", b.analysis.intra_host, st, out);
    writeSummaryLine(r, b, "inter-host", b.analysis.inter_host, st, out);
  }
  out << "</ul>\n";
  writeGroupTable("host", b.analysis.per_host, st, out);
  writeGroupTable("switch", b.analysis.per_switch, st, out);
  writeGroupTable("rail", b.analysis.per_rail, st, out);
}

// One row per host, leaf switch (links touching its hosts) or rail (links between hosts).
void writeGroupTable(const char* what, const std::vector<GroupSummary>& groups, const Style& st, std::ostream& out) {
  if (groups.size() < 2) return;
  out << "<table class=\"per-" << what << "\"><thead><tr><th>" << what << "</th><th>as initiator: min</th><th>median</th><th>max</th>"
      << "<th>as target: min</th><th>median</th><th>max</th></tr></thead><tbody>\n";
  for (const auto& g : groups) {
    out << "<tr><th>" << html::escape(g.name) << "</th>";
    for (const Summary* s : {&g.as_initiator, &g.as_target}) {
      for (double x : {s->min, s->median, s->max}) {
        out << "<td data-bps=\"" << html::fixed(x, 0) << "\">" << st.number(x) << "</td>";
      }
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

void writeLinkList(const RunReport& r, const ResultBlock& b, const std::vector<size_t>& list, const Style& st,
                   std::ostream& out) {
  out << "<ul class=\"findings\">\n";
  for (size_t i : list) {
    if (i >= b.links.size()) continue;
    const LinkResult& l = b.links[i];
    const LinkVerdict& v = b.analysis.verdicts[i];
    out << "<li>" << html::escape(linkName(r, l.link)) << ": "
        << (l.error.empty() ? rateSpan(l.bytesPerSecond(), st) : "failed: " + html::escape(l.error))
        << ", reference " << rateSpan(v.reference, st);
    if (v.retested) out << ", alone " << rateSpan(v.retest_bytes_per_second, st);
    out << "</li>\n";
  }
  out << "</ul>\n";
}

void writeFindings(const RunReport& r, const ResultBlock& b, const Style& st, std::ostream& out) {
  const BlockAnalysis& a = b.analysis;
  if (a.verdicts.size() != b.links.size()) return;  // not analysed
  size_t flagged = 0, confirmed = 0;
  for (const auto& v : a.verdicts) {
    flagged += v.flagged;
    confirmed += v.confirmed;
  }
  out << "<h3>Slow links</h3>\n<p>" << flagged << " flagged in the all-pairs run, " << confirmed
      << " confirmed" << (confirmed == 0 ? " <span class=\"ok\">(none)</span>" : "") << ".</p>\n";
  out << "<h3>Suspects</h3>\n";
  if (a.suspects.empty()) out << "<p class=\"ok\">none</p>\n";
  out << "<ul class=\"findings suspects\">\n";
  for (const auto& s : a.suspects) {
    out << "<li class=\"bad\">" << html::escape(suspectName(s) + ": " + suspectFinding(s)) << "</li>\n";
  }
  out << "</ul>\n<h3>Unexplained slow links</h3>\n";
  if (a.unexplained.empty()) out << "<p class=\"ok\">none</p>\n";
  writeLinkList(r, b, a.unexplained, st, out);
  if (a.expected_bytes_per_second) {
    out << "<h3>Below the expected " << rateSpan(*a.expected_bytes_per_second, st) << "</h3>\n";
    if (a.failing.empty()) out << "<p class=\"ok\">none: every link meets it</p>\n";
    writeLinkList(r, b, a.failing, st, out);
  }
}

void writeHead(const RunReport& r, const Style& st, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>te_bench report: "
      << r.world_size << " ranks, " << html::escape(r.transport) << "</title>\n<style>" << html::pageStyle()
      << "</style>\n</head>\n<body data-precision=\"" << st.precision << "\">\n<h1>te_bench report</h1>\n";
  out << "<p class=\"meta\">te_bench " << html::escape(r.version) << " (" << html::escape(r.git_revision) << "), "
      << html::escape(r.start_time) << " to " << html::escape(r.end_time) << "</p>\n";
  out << "<p class=\"meta\">" << r.world_size << " ranks, transport " << html::escape(r.transport)
      << ", launcher " << html::escape(r.launcher) << ", bootstrap " << html::escape(r.bootstrap) << "</p>\n";
  out << "<p class=\"meta legend\">Rows: initiator, columns: target. Colour: throughput relative to the block's "
      << "fastest link. <span style=\"outline:3px solid #000\">solid outline</span>slow link (confirmed) "
      << "<span style=\"outline:3px dashed #444\">dashed</span>slow only under load. Unit: <select id=\"unit\">";
  for (RateUnit u : {RateUnit::kGB, RateUnit::kGiB, RateUnit::kGb}) {
    out << "<option" << (u == st.unit ? " selected" : "") << ">" << rateUnitName(u) << "</option>";
  }
  out << "</select></p>\n";
  if (!r.failure.empty()) {
    out << "<p class=\"incomplete\"><strong>Incomplete:</strong> " << (r.went_on ? "" : "the run stopped early: ")
        << html::escape(r.failure)
        << ". Links marked failed or not measured have no rate.</p>\n";
  }
}

void writeOptions(const RunReport& r, std::ostream& out) {
  out << "<section class=\"options\">\n<h2>Options</h2>\n";
  if (!r.config) {
    out << "<p>not recorded</p>\n</section>\n";
    return;
  }
  std::string command;
  for (const auto& a : r.config->command_line) command += (command.empty() ? "" : " ") + a;
  out << "<h3>Command line</h3>\n<pre>" << html::escape(command) << "</pre>\n";
  out << "<h3>Effective options</h3>\n<pre>" << html::escape(optionsOf(r).dump(2)) << "</pre>\n";
  if (!r.transport_details.is_null()) {
    out << "<h3>Transport</h3>\n<pre>" << html::escape(r.transport_details.dump(2)) << "</pre>\n";
  }
  out << "</section>\n";
}

}  // namespace

Status writeHtmlReport(const RunReport& report, const std::string& path) {
  Style st;
  if (report.config) {
    st.unit = report.config->report_unit;
    st.precision = report.config->report_precision;
  }
  // Straight to the file, as it is written (with a table past 64 ranks it was hundreds of MB).
  return writeFileAtomically(path, [&](std::ostream& page) {
    writeHead(report, st, page);
    for (size_t k = 0; k < report.blocks.size(); ++k) {
      const ResultBlock& b = report.blocks[k];
      page << "<section class=\"block\" id=\"block-" << k << "\">\n<h2>" << html::escape(b.transport) << " "
           << html::escape(b.operation) << ", block " << html::escape(formatSize(b.block_size))
           << (b.schedule.empty() ? "" : ", schedule " + html::escape(b.schedule)) << "</h2>\n";
      if (report.config && report.config->metric == Metric::kLatency && report.world_size <= kMaxTableRanks) {
        writeLatencyHeatmap(report, b, page);
      } else if (report.world_size <= kMaxTableRanks) {
        writeHeatmap(report, b, st, page);
      } else {
        writeCanvasHeatmap(report, b, page);
      }
      writeSummary(report, b, st, page);
      writeCongestionHtml(report, b, kMaxTableRanks, page);
      writeFindings(report, b, st, page);
      page << "</section>\n";
    }
    writeOptions(report, page);
    page << "<script>" << html::pageScript() << "</script>\n</body>\n</html>\n";
  });
}

}  // namespace te::bench
