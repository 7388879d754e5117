#include "bench/report.h"

#include <cstdio>
#include <iomanip>
#include <sstream>

#include "common/version.h"

namespace te::bench {
namespace {

std::string cell(const std::optional<double>& bytes_per_second, const BenchConfig& c, int width) {
  std::ostringstream s;
  s << std::setw(width);
  if (!bytes_per_second) {
    s << "-";
  } else {
    s << std::fixed << std::setprecision(c.report_precision) << toRateUnit(*bytes_per_second, c.report_unit);
  }
  return s.str();
}

void printBlock(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  const BenchConfig& c = *report.config;
  const int n = report.world_size;
  Matrix m = throughputMatrix(block.links, n);
  auto rows = rowMeans(m);
  auto cols = columnMeans(m);
  int width = std::max(6, c.report_precision + 5);
  out << "\n" << block.transport << " " << block.operation << ", block "
      << formatSize(block.block_size) << ": throughput " << rateUnitName(c.report_unit)
      << " (rows: initiator, columns: target)\n";
  out << std::setw(6) << "";
  for (int t = 0; t < n; ++t) out << " " << std::setw(width) << t;
  out << " | " << std::setw(width) << "mean" << "\n";
  for (int i = 0; i < n; ++i) {
    out << std::setw(6) << i;
    for (int t = 0; t < n; ++t) out << " " << cell(m[i][t], c, width);
    out << " | " << cell(rows[i], c, width) << "\n";
  }
  out << std::setw(6) << "mean";
  for (int t = 0; t < n; ++t) out << " " << cell(cols[t], c, width);
  out << "\n";
  std::vector<double> values;
  for (const auto& l : block.links) values.push_back(l.bytesPerSecond());
  Summary s = summarize(values);
  if (s.count == 0) return;
  const Link& lo = block.links[s.min_index].link;
  const Link& hi = block.links[s.max_index].link;
  out << std::fixed << std::setprecision(c.report_precision);
  out << "links " << s.count << ": min " << toRateUnit(s.min, c.report_unit) << " (" << lo.initiator << "->"
      << lo.target << ")  median " << toRateUnit(s.median, c.report_unit) << "  max "
      << toRateUnit(s.max, c.report_unit) << " (" << hi.initiator << "->" << hi.target << ")  "
      << rateUnitName(c.report_unit) << "\n";
  Histogram all;
  for (const auto& l : block.links) all.merge(l.latency_ns);
  out << "request latency (all links): p50 " << std::setprecision(1) << all.percentile(0.5) / 1e3 << " us  p99 "
      << all.percentile(0.99) / 1e3 << " us\n";
}

}  // namespace

void printTerminalReport(const RunReport& report, std::ostream& out) {
  const BenchConfig& c = *report.config;
  out << "te_bench " << kVersion << " (" << kGitRevision << ")  ranks " << report.world_size << "  transport "
      << report.transport << "  schedule " << c.schedule << "\n";
  out << "batch " << c.batch_size << " x " << formatSize(c.block_size) << ", " << c.threads << " threads/rank, "
      << c.duration << " s per link (+" << c.warmup << " s warm-up), buffer " << formatSize(c.buffer_size) << "\n";
  out << "hosts:";
  for (int r = 0; r < report.world_size; ++r) out << " " << r << "=" << report.hosts[r];
  out << "\n";
  for (const auto& block : report.blocks) printBlock(report, block, out);
  out.flush();
}

}  // namespace te::bench
