#include "bench/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <optional>
#include <sstream>

#include "bench/report/format.h"
#include "bench/report/report_congestion.h"
#include "bench/report/report_topology.h"
#include "common/version.h"

namespace te::bench {
namespace {

constexpr int kTerminalWidth = 80;
constexpr int kMaxMatrixRanks = 16;

// Formats `value` into at most `width` characters with up to `precision` decimals.
std::string fit(double value, int width, int precision) {
  char buf[64];
  for (int p = precision; p >= 0; --p) {
    std::snprintf(buf, sizeof(buf), "%.*f", p, value);
    if (static_cast<int>(std::strlen(buf)) <= width) return buf;
  }
  return std::string(width, '#');
}

bool latencyRun(const RunReport& report) { return report.config->metric == Metric::kLatency; }

// What a block's matrix, summary and worst links show: the rate, or with --metric latency
// each link's p50 in microseconds (nullopt: no value to show).
std::optional<double> cellValue(const RunReport& report, const LinkResult& l) {
  if (l.excluded()) return std::nullopt;
  if (!latencyRun(report)) return l.bytesPerSecond();
  return l.latency_ns.count > 0 ? std::optional<double>(l.latency_ns.p50 / 1e3) : std::nullopt;
}

std::string cellText(const RunReport& report, double v, int width) {
  const BenchConfig& c = *report.config;
  return latencyRun(report) ? fit(v, width, 1) : fit(toRateUnit(v, c.report_unit), width, c.report_precision);
}

void printMatrix(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  const BenchConfig& c = *report.config;
  const int n = report.world_size;
  Matrix m = latencyRun(report) ? latencyMatrix(block.links, n) : throughputMatrix(block.links, n);
  // A cell's mark: '*' slow or, with --metric latency, slow to answer (confirmed), '+' a lower bound (too few batches), '!' a
  // measurement error (no rate shown), 'x' failed and '?' not measured (the run stopped).
  std::vector<std::vector<char>> mark(n, std::vector<char>(n, ' '));
  for (size_t i = 0; i < block.links.size(); ++i) {
    const LinkResult& l = block.links[i];
    if (l.link.initiator < 0 || l.link.initiator >= n || l.link.target < 0 || l.link.target >= n) continue;
    char& cell = mark[l.link.initiator][l.link.target];
    if (l.invalid) cell = '!';
    else if (l.not_measured) cell = '?';
    else if (l.cut) cell = 'x';
    else if (i < block.analysis.verdicts.size() && block.analysis.verdicts[i].confirmed) cell = '*';
    else if (l.lower_bound) cell = '+';
  }
  auto rows = rowMeans(m);
  auto cols = columnMeans(m);
  // Cells share what 80 columns leave after the row label (5) and the mean column (2 + cell).
  const int cell = std::clamp((kTerminalWidth - 5 - 2) / (n + 1), 4, std::max(4, c.report_precision + 4));
  auto put = [&](const std::optional<double>& v, char m) {
    std::string s = v ? cellText(report, *v, cell - 1) : "-";
    out << std::setw(cell - 1) << s << m;
  };
  out << std::setw(5) << "";
  for (int t = 0; t < n; ++t) out << std::setw(cell - 1) << t << ' ';
  out << "| " << std::setw(cell - 1) << "mean" << "\n";
  for (int i = 0; i < n; ++i) {
    out << std::setw(4) << i << ' ';
    for (int t = 0; t < n; ++t) put(m[i][t], mark[i][t]);
    out << "| ";
    put(rows[i], ' ');
    out << "\n";
  }
  out << std::setw(4) << "mean" << ' ';
  for (int t = 0; t < n; ++t) put(cols[t], ' ');
  out << "\n";
}

void printWorst(const RunReport& report, const ResultBlock& block, std::ostream& out, size_t count) {
  std::vector<size_t> order;
  for (size_t i = 0; i < block.links.size(); ++i) {
    if (cellValue(report, block.links[i])) order.push_back(i);
  }
  const bool latency = latencyRun(report);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double va = *cellValue(report, block.links[a]), vb = *cellValue(report, block.links[b]);
    return latency ? va > vb : va < vb;
  });
  out << (latency ? "highest p50 latency links (us):" : "slowest links:");
  for (size_t k = 0; k < std::min(count, order.size()); ++k) {
    const LinkResult& l = block.links[order[k]];
    out << (k % 4 == 0 ? "\n  " : "   ") << std::setw(9) << linkName(l.link) << " "
        << cellText(report, *cellValue(report, l), 7);
  }
  out << "\n";
}

// Links whose rate is only a lower bound, and measurement errors: said, not hidden.
// --duration auto: how long the windows were and how many links reached --precision.
void printWindowNote(const BenchConfig& c, const ResultBlock& block, std::ostream& out) {
  std::vector<double> windows;
  size_t known = 0;
  double worst = 0;
  for (const LinkResult& l : block.links) {
    if (!l.hasRate()) continue;
    windows.push_back(l.seconds);
    if (l.precision >= 0 && l.precision <= c.precision) ++known;
    else worst = std::max(worst, l.precision < 0 ? INFINITY : l.precision);
  }
  if (windows.empty()) return;
  Summary w = summarize(windows);
  out << "WINDOWS: " << std::setprecision(2) << std::fixed << w.min << "-" << w.max << " s (median " << w.median
      << " s); rate known to +-" << 100 * c.precision << "% on " << known << " of " << windows.size() << " links";
  if (known < windows.size()) {
    out << ", the others reached ";
    if (std::isinf(worst)) out << "too few slices to say";
    else out << "+-" << 100 * worst << "% at worst";
    out << " by --max-duration " << c.duration << " s";
  }
  out << "\n" << std::defaultfloat;
}

void printRateNotes(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  const BenchConfig& c = *report.config;
  size_t lower = 0;
  uint64_t fewest = UINT64_MAX;
  for (const LinkResult& l : block.links) {
    if (!l.lower_bound || l.excluded()) continue;
    ++lower;
    fewest = std::min(fewest, l.batches);
  }
  if (lower > 0) {
    out << "LOWER BOUND: " << lower << " of " << block.links.size() << " link rates (+) rest on too few batches (fewest "
        << fewest;
    if (c.iterations) out << ", --iterations " << c.iterations << "): the links may be faster; raise --iterations";
    else out << ", window up to " << 2 * c.duration << " s): the links may be faster; raise --duration";
    out << " or lower --batch-size\n";
  }
  if (c.adaptive && !c.iterations) printWindowNote(c, block, out);
  size_t failed = 0, not_measured = 0;
  for (const LinkResult& l : block.links) {
    failed += l.cut && !l.not_measured;
    not_measured += l.not_measured;
  }
  if (failed + not_measured > 0) {
    out << (report.went_on ? "UNMEASURED: " : "STOPPED: ") << failed << " link" << (failed == 1 ? "" : "s")
        << " failed (x), " << not_measured << " not measured (?): "
        << (report.went_on ? "the run went on without them" : "the run stopped")
        << " (the reason is below, each link's in the JSON)\n";
  }
  const std::vector<size_t>& errors = block.analysis.measurement_errors;
  for (size_t k = 0; k < errors.size() && k < 5; ++k) {
    const LinkResult& l = block.links[errors[k]];
    out << "MEASUREMENT ERROR " << linkName(l.link) << " (!): " << l.error << "\n";
  }
  if (errors.size() > 5) out << "MEASUREMENT ERROR: " << errors.size() << " links in all (the JSON lists them)\n";
}

// --metric latency's flagged links: p50 and p99 in the all-pairs run, p50 alone, and the p50
// of comparable links it was compared with (analysis.h: rates at depth one, turned back).
void printHighLatency(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  const BenchConfig& c = *report.config;
  const BlockAnalysis& a = block.analysis;
  out << "HIGH LATENCY links (p50 above " << c.latency_threshold << " x the median p50 of comparable links"
      << (c.retest ? ", confirmed alone" : "") << "; us):";
  for (size_t i : a.unexplained) {
    const LinkResult& l = block.links[i];
    const LinkVerdict& v = a.verdicts[i];
    out << " " << linkName(l.link) << " (p50 " << fit(l.latency_ns.p50 / 1e3, 10, 1) << ", p99 "
        << fit(l.latency_ns.p99 / 1e3, 10, 1);
    if (v.retested) out << ", alone " << fit(latencyOfRate(v.retest_bytes_per_second, block.block_size), 10, 1);
    if (v.reference > 0) out << ", comparable " << fit(latencyOfRate(v.reference, block.block_size), 10, 1);
    out << ")";
  }
  out << "\n";
}

void printAnalysis(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  const BenchConfig& c = *report.config;
  const BlockAnalysis& a = block.analysis;
  printSuspects(report, a, out);
  if (!a.unexplained.empty() && latencyRun(report)) {
    printHighLatency(report, block, out);
  } else if (!a.unexplained.empty()) {
    out << "SLOW links (below " << c.threshold << " x the median of comparable links"
        << (c.retest ? ", confirmed alone" : "") << "):";
    // The rate in the matrix, measured alone, and what it was compared with: a reader can
    // tell a link at a tenth of its peers from one at the edge of the threshold.
    const auto rate = [&](double bps) { return fit(toRateUnit(bps, c.report_unit), 12, c.report_precision); };
    for (size_t i : a.unexplained) {
      const LinkResult& l = block.links[i];
      const LinkVerdict& v = a.verdicts[i];
      out << " " << linkName(l.link) << " (" << rate(l.bytesPerSecond()) << (l.lower_bound ? "+" : "");
      if (v.retested) out << ", alone " << rate(v.retest_bytes_per_second);
      if (v.reference > 0) out << ", comparable " << rate(v.reference);
      out << ")";
    }
    out << "\n";
  }
  printRateNotes(report, block, out);
  if (c.retest && a.not_retested > 0) {
    out << "RETEST: " << a.not_retested << " more flagged link" << (a.not_retested == 1 ? "" : "s")
        << " not re-measured alone (--max-retests " << c.max_retests << "): the all-pairs verdict stands\n";
  }
  if (a.expected_bytes_per_second) {
    out << (a.failing.empty() ? "PASS" : "FAIL") << ": " << block.links.size() - a.failing.size() << " of "
        << block.links.size() << " links at or above "
        << fit(toRateUnit(*a.expected_bytes_per_second, c.report_unit), 10, c.report_precision) << " "
        << rateUnitName(c.report_unit);
    for (size_t k = 0; k < a.failing.size() && k < 20; ++k) out << (k ? " " : "; failing: ") << linkName(block.links[a.failing[k]].link);
    if (a.failing.size() > 20) out << " ... (" << a.failing.size() << " in all)";
    out << "\n";
  }
}

// A schedule that loads ranks with several links at once (all-to-all, incast, ...): each
// rank's total out and in, in the phase where each was largest (results.h, RankLoad).
void printRankLoads(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  if (!loadedSchedule(block.links)) return;
  const BenchConfig& c = *report.config;
  const std::vector<RankLoad> loads = rankLoads(block.links, report.world_size);
  out << "per-rank totals, " << rateUnitName(c.report_unit) << " out / in (links), the most at once:";
  for (size_t r = 0; r < loads.size(); ++r) {
    out << (r % 4 == 0 ? "\n  " : "   ") << std::setw(4) << r << " " << fit(toRateUnit(loads[r].injection, c.report_unit), 7, c.report_precision)
        << " (" << loads[r].links_out << ") / " << fit(toRateUnit(loads[r].ejection, c.report_unit), 7, c.report_precision)
        << " (" << loads[r].links_in << ")";
  }
  out << "\n";
}

void printBlock(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  const BenchConfig& c = *report.config;
  const bool latency = latencyRun(report);
  out << "\n" << block.transport << " " << block.operation << ", block " << formatSize(block.block_size)
      << (block.schedule.empty() || block.schedule == c.schedule ? "" : ", schedule " + block.schedule) << ": "
      << (latency ? "latency p50 us, one request outstanding" : "throughput " + std::string(rateUnitName(c.report_unit)))
      << " (rows: initiator, columns: target";
  if (report.world_size <= kMaxMatrixRanks) {
    const bool cut = std::any_of(block.links.begin(), block.links.end(), [](const LinkResult& l) { return l.cut; });
    out << "; * " << (latency ? "high latency" : "slow") << ", + lower bound, ! error"
        << (cut ? ", x failed, ? not measured" : "") << ")\n";
    printMatrix(report, block, out);
  } else {
    out << ")\n";
  }
  std::vector<double> values;
  std::vector<size_t> value_link;  // measurement errors have no rate to summarise
  for (size_t i = 0; i < block.links.size(); ++i) {
    const std::optional<double> v = cellValue(report, block.links[i]);
    if (!v) continue;
    values.push_back(*v);
    value_link.push_back(i);
  }
  Summary s = summarize(values);
  if (s.count == 0) {
    printAnalysis(report, block, out);
    return;
  }
  s.min_index = value_link[s.min_index];
  s.max_index = value_link[s.max_index];
  out << "links " << s.count << ": min " << (latency ? "p50 " : "") << cellText(report, s.min, 10) << " ("
      << linkName(block.links[s.min_index].link) << ")  median " << cellText(report, s.median, 10) << "  max "
      << cellText(report, s.max, 10) << " (" << linkName(block.links[s.max_index].link) << ")  "
      << (latency ? "us" : rateUnitName(c.report_unit)) << "\n";
  if (report.world_size > kMaxMatrixRanks) printWorst(report, block, out, 12);
  const LatencySummary all = block.latency ? *block.latency : LatencySummary::of(block.latency_ns);
  if (all.count > 0) {
    out << "request latency (all links, " << (latency ? std::string("one outstanding per link") : "in batches of " + std::to_string(c.batch_size)) << "): p50 " << fit(all.p50 / 1e3, 10, 1)
        << " us  p99 " << fit(all.p99 / 1e3, 10, 1) << " us  max " << fit(all.max / 1e3, 10, 1) << " us\n";
  }
  printRankLoads(report, block, out);
  printCongestion(report, block, out);
  printPathSummaries(report, block, out);
  printAnalysis(report, block, out);
}

// With several transports: one line per (operation, size, transport), ratios to the first.
void printComparison(const RunReport& report, std::ostream& out) {
  const BenchConfig& c = *report.config;
  if (c.transports.size() < 2 && report.transports_details.size() < 2) return;
  out << "\ncomparison (" << rateUnitName(c.report_unit) << "; ratio = median / first transport's median)\n";
  out << std::left << std::setw(10) << "transport" << std::setw(7) << "op" << std::setw(10) << "block" << std::right
      << std::setw(9) << "min" << std::setw(9) << "median" << std::setw(9) << "max" << std::setw(8) << "ratio" << "\n";
  for (const auto& b : report.blocks) {
    const ResultBlock* first = nullptr;
    for (const auto& f : report.blocks) {
      if (f.operation == b.operation && f.block_size == b.block_size && f.schedule == b.schedule) {
        first = &f;
        break;
      }
    }
    auto median_of = [](const ResultBlock& x) {
      std::vector<double> v;
      for (const auto& l : x.links) {
        if (!l.excluded()) v.push_back(l.bytesPerSecond());
      }
      return summarize(v);
    };
    Summary s = median_of(b), f = median_of(*first);
    out << std::left << std::setw(10) << b.transport << std::setw(7) << b.operation << std::setw(10)
        << formatSize(b.block_size) << std::right << std::setw(9) << fit(toRateUnit(s.min, c.report_unit), 8, c.report_precision)
        << std::setw(9) << fit(toRateUnit(s.median, c.report_unit), 8, c.report_precision) << std::setw(9)
        << fit(toRateUnit(s.max, c.report_unit), 8, c.report_precision) << std::setw(8)
        << fit(f.median > 0 ? s.median / f.median : 0, 7, 2) << "\n";
  }
}

// "memory: initiator vram, target vram; GPU 0=0 (0000:18:00.0) 1=1 (0000:2a:00.0)".
void printMemory(const RunReport& report, std::ostream& out) {
  const BenchConfig& c = *report.config;
  // Every rank's buffers as rank 0 gathered them (none in a report built without a run).
  const nlohmann::json ranks =
      report.memory.is_object() ? report.memory.value("ranks", nlohmann::json::array()) : nlohmann::json::array();
  out << "memory: initiator " << engine::memoryKindName(c.initiator_memory) << ", target "
      << engine::memoryKindName(c.target_memory);
  if (c.initiator_memory == engine::MemoryKind::kVram || c.target_memory == engine::MemoryKind::kVram) {
    out << "; GPU";
    for (size_t r = 0; r < ranks.size(); ++r) {
      const nlohmann::json& side = ranks[r].value("target", nlohmann::json::object()).value("kind", "") == "vram"
                                       ? ranks[r]["target"] : ranks[r].value("initiator", nlohmann::json::object());
      out << (r % 4 == 0 && r ? "\n     " : "") << " " << r << "=" << side.value("gpu", -1) << " ("
          << side.value("pci_bus_id", std::string("?")) << ")";
    }
  }
  out << "\n";
  // "NICs: 0=mlx5_0 1=mlx5_1,mlx5_2": what each rank's transport chose (verbs), and rank 0's why.
  if (ranks.empty() || !ranks[0].is_object() || !ranks[0].contains("nics")) return;
  out << "NICs:";
  for (size_t r = 0; r < ranks.size(); ++r) {
    std::string names;
    const nlohmann::json nics = ranks[r].is_object() ? ranks[r].value("nics", nlohmann::json::array()) : nlohmann::json();
    for (const nlohmann::json& n : nics) {
      if (!n.is_string()) continue;
      if (!names.empty()) names += ',';
      names += n.get_ref<const std::string&>();
    }
    out << (r % 8 == 0 && r ? "\n     " : "") << " " << r << "=" << (names.empty() ? "?" : names);
  }
  out << "  (rank 0: " << ranks[0].value("nic_selection", std::string("?")) << ")\n";
}

}  // namespace

void printTerminalReport(const RunReport& report, std::ostream& out) {
  const BenchConfig& c = *report.config;
  out << "te_bench " << report.version << " (" << report.git_revision << ")  ranks " << report.world_size << "  transport "
      << (c.transports.size() > 1 ? c.transport : report.transport) << "  schedule " << c.schedule
      << (c.quick ? " (--mode quick: a screen; flagged links re-measured alone)" : "") << "\n";
  out << "batch " << c.batch_size << " x " << c.batches_in_flight << " in flight, " << c.threads << " threads/rank, ";
  if (c.iterations) out << c.iterations << " batches per thread per link";
  else if (c.adaptive) {
    out << "auto windows " << c.min_duration << "-" << c.duration << " s per link until the rate is known to +-"
        << 100 * c.precision << "%";
  } else out << c.duration << " s per link (up to " << 2 * c.duration << " s with too few batches)";
  out << " (+" << c.warmup << " s warm-up), buffer " << formatSize(c.buffer_size)
      << (c.integrity_check ? ", integrity checked" : "") << "\n";
  printMemory(report, out);
  if (!printHostsBySwitch(report, out)) {
    out << "hosts:";
    for (int r = 0; r < report.world_size; ++r) out << (r % 8 == 0 && r ? "\n      " : "") << " " << r << "=" << report.hosts[r];
    out << "\n";
  }
  for (const auto& block : report.blocks) printBlock(report, block, out);
  printComparison(report, out);
  if (!report.failure.empty()) {
    out << "\nINCOMPLETE: " << (report.went_on ? "" : "the run stopped early: ") << report.failure << "\n";
  }
  out.flush();
}

}  // namespace te::bench
