// The CSV report: one row per link per block, for spreadsheets and pandas.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>

#include "bench/report/format.h"
#include "bench/report/report.h"
#include "bench/report/report_congestion.h"
#include "bench/report/report_topology.h"
#include "common/files.h"

namespace te::bench {
namespace {

constexpr const char* kCsvHeader =
    "transport,operation,block_size,initiator,target,initiator_host,target_host,locality,bytes_per_second,"
    "ops_per_second,latency_p50_us,latency_p90_us,latency_p99_us,latency_max_us,flagged,confirmed,"
    "retest_bytes_per_second,reference_bytes_per_second,status,batches,lower_bound,seconds,precision";

// RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled.
std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string hostOf(const RunReport& report, int rank) {
  return rank >= 0 && static_cast<size_t>(rank) < report.hosts.size() ? report.hosts[rank] : "";
}

// The link's bytes per NIC pair, `LOCAL>REMOTE:SHARE` joined by ';' (JSON links[].nics);
// empty where the link used one pair of NICs or the transport does not count them.
std::string nicSplit(const LinkResult& l) {
  uint64_t total = 0;
  for (const auto& n : l.nics) total += n.bytes;
  std::string out;
  for (const auto& n : l.nics) {
    if (!out.empty()) out += ';';
    out += n.local_device + '>' + n.remote_device + ':' +
           shortestNumber(total ? static_cast<double>(n.bytes) / static_cast<double>(total) : 0.0);
  }
  return out;
}

void writeRow(const RunReport& report, const ResultBlock& b, size_t i, std::ostream& out) {
  const LinkResult& l = b.links[i];
  const LatencySummary& h = l.latency_ns;
  // A block the analysis has not seen (verdicts missing) leaves its verdict columns empty.
  const LinkVerdict* v = b.analysis.verdicts.size() == b.links.size() ? &b.analysis.verdicts[i] : nullptr;
  const std::string initiator_host = hostOf(report, l.link.initiator);
  const std::string target_host = hostOf(report, l.link.target);
  const Locality locality = v ? v->locality
                              : (initiator_host == target_host ? Locality::kIntraHost : Locality::kInterHost);
  auto flag = [v](bool LinkVerdict::*field) { return v ? std::string(v->*field ? "true" : "false") : ""; };
  out << csvField(b.transport) << ',' << csvField(b.operation) << ',' << b.block_size << ',' << l.link.initiator
      << ',' << l.link.target << ',' << csvField(initiator_host) << ',' << csvField(target_host) << ','
      << localityName(locality) << ',' << shortestNumber(l.bytesPerSecond()) << ',' << shortestNumber(l.opsPerSecond()) << ','
      << shortestNumber(h.p50 / 1e3) << ',' << shortestNumber(h.p90 / 1e3) << ',' << shortestNumber(h.p99 / 1e3) << ','
      << shortestNumber(h.max / 1e3) << ',' << flag(&LinkVerdict::flagged)
      << ',' << flag(&LinkVerdict::confirmed) << ','
      << (v && v->retested ? shortestNumber(v->retest_bytes_per_second) : "") << ',' << (v ? shortestNumber(v->reference) : "")
      << ',' << csvField(l.error.empty() ? std::string(l.statusName()) : std::string(l.statusName()) + ": " + l.error)
      << ',' << l.batches << ',' << (l.lower_bound ? "true" : "false") << ',' << shortestNumber(l.seconds) << ','
      << (l.precision >= 0 ? shortestNumber(l.precision) : "") << csvPathValues(v, topologyOf(report)) << csvCongestionValues(b, i)
      << ',' << csvField(nicSplit(l)) << '\n';
}

}  // namespace

Status writeCsvReport(const RunReport& report, const std::string& path) {
  // Straight to the file: a million links is ~140 MB of CSV. LF line ends rather than RFC
  // 4180's CRLF: CSV readers take both, cut / awk only LF.
  return writeFileAtomically(path, [&report](std::ostream& f) {
    f << kCsvHeader << ',' << kCsvPathColumns << ',' << kCsvCongestionColumns << ",nics\n";
    for (const auto& b : report.blocks) {
      for (size_t i = 0; i < b.links.size(); ++i) writeRow(report, b, i, f);
    }
  });
}

}  // namespace te::bench
