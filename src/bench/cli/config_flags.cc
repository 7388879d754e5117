#include "bench/cli/config_flags.h"

#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "bench/cli/config.h"
#include "bench/cli/mooncake_flags.h"
#include "bench/report/report_writers.h"
#include "bench/run/schedule.h"
#include "bootstrap/factory.h"
#include "common/shown_value.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

constexpr long double kMaxRank = bootstrap::kMaxRanks - 1;

NumberRange integers(long double lo, long double hi, const char* note = "") { return {lo, hi, true, false, false, note}; }
NumberRange reals(long double lo, long double hi, bool lo_open, bool hi_open, const char* note = "") {
  return {lo, hi, false, lo_open, hi_open, note};
}

const std::map<std::string, NumberRange>& numberTable() {
  static const std::map<std::string, NumberRange> kTable = {
      {"--read-ratio", reals(0, 1, false, false)},
      {"--seed", integers(0, static_cast<long double>(UINT64_MAX))},
      {"--batch-size", integers(1, 65536)},
      {"--threads", integers(1, 256)},
      {"--batches-in-flight", integers(1, 16)},
      {"--duration", reals(0, 86400, true, false, " seconds, or auto")},
      {"--min-duration", reals(0, 86400, true, false, " seconds")},
      {"--max-duration", reals(0, 86400, true, false, " seconds")},
      {"--precision", reals(0, 1, true, true, " (0.02: the rate known to 2%)")},
      {"--iterations", integers(0, 1e12, " (0: --duration decides)")},
      {"--warmup", reals(0, 3600, false, false, " seconds")},
      {"--samples", integers(1, 1000)},
      {"--root", integers(0, kMaxRank)},
      {"--fan", integers(1, kMaxRank, " (ranks per phase; default all others)")},
      {"--ranks-per-node", integers(0, kMaxRank + 1, " (0: locality from host names)")},
      {"--threshold", reals(0, 1, true, true)},
      {"--latency-threshold", reals(1, 1000, true, false, " (2: twice the median p50 of comparable links)")},
      {"--max-retests", integers(0, INT_MAX, " (0: as --no-retest)")},
      {"--expect-line-rate", reals(0, 1, true, false)},
      {"--report-precision", integers(0, 9)},
      {"--timeout", reals(1, 86400, false, false, " seconds")},
      {"--bootstrap-timeout", reals(1, 86400, false, false, " seconds")},
      {"--numa-node", integers(-1, 1023, " (-1: local)")},
      {"--rank", integers(0, kMaxRank)},
      {"--size", integers(1, kMaxRank + 1)},
  };
  return kTable;
}

const std::map<std::string, std::string>& valueTable() {
  static const std::map<std::string, std::string> kTable = {
      {"--transport", "auto, all, or a list of " + engine::builtinTransportNames()},
      {"--operation", "values are " "read, write, mix"},
      {"--metric", "values are " "bandwidth, latency"},
      {"--block-size", "a size (64K), a list (4K,64K,1M) or a range (4K:64M) of sizes of at least 1 byte"},
      {"--buffer-size", engine::kAllowedSize},
      {"--schedule", "values are " + scheduleNames() + ", or a comma list of them (e.g. pairs,all-to-all)"},
      {"--mode", "values are " "exact, quick"},
      {"--phase-sync", "values are " "pairs, global"},
      {"--on-failure", "values are " "stop, continue"},
      {"--time-budget", "a time of 10 s to 30 days: seconds, or a number with s, m, h or d (90, 10m, 1.5h)"},
      {"--groups", "FROM:TO, each a comma list of ranks and ranges, e.g. 0-7:8-15 or 0,2:1,3, or of hosts and "
                   "switches (with --topology), e.g. leaf1:leaf2"},
      {"--pairs", "INITIATOR:TARGET of two different ranks 0.." + std::to_string(bootstrap::kMaxRanks - 1) +
                      ", comma separated, e.g. 0:3,2:5"},
      {"--expect", "a rate > 0, e.g. 23GB/s, 200Gb/s, 1.5GiB/s, 800MB/s"},
      {"--topology", "a Slurm topology.conf (SwitchName=... Nodes=... / Switches=...)"},
      {"--metrics-links", "values are " "flagged, all"},
      {"--report-unit", "values are " "GB, GiB, Gb"},
      {"--progress", "values are " "auto, on, off"},
      {"--log-level", "values are " "debug, info, warn, error, off"},
      {"--memory", "values are " "dram, vram"},
      {"--initiator-memory", "values are " "dram, vram"},
      {"--target-memory", "values are " "dram, vram"},
      {"--gpu-id", "a GPU ordinal 0..1023 or auto"},
      {"--bootstrap", "auto, mpi, etcd://host:port[,host:port...] or redis://host:port"},
      {"--job-id", "1..128 of the characters A-Z a-z 0-9 . _ : -"},
  };
  return kTable;
}

std::string number(long double v, bool integer) {
  char buf[64];
  if (integer) std::snprintf(buf, sizeof(buf), "%.0Lf", v);
  else std::snprintf(buf, sizeof(buf), "%Lg", v);
  return buf;
}

bool inRange(const NumberRange& r, long double v) {
  if (r.lo_open ? !(v > r.lo) : !(v >= r.lo)) return false;
  return r.hi_open ? v < r.hi : v <= r.hi;
}

// A decimal number as people write it: digits with an optional sign; a real also takes a
// point and an exponent. Hex, inf, nan, spaces and the like are not numbers here.
bool looksNumeric(const std::string& text, bool integer) {
  size_t i = text[0] == '-' || text[0] == '+' ? 1 : 0;
  if (i == text.size()) return false;
  if (!std::isdigit(static_cast<unsigned char>(text[i])) && (integer || text[i] != '.')) return false;
  return text.find_first_not_of(integer ? "0123456789" : "0123456789.eE+-", i) == std::string::npos;
}

}  // namespace

const NumberRange* numberRange(const std::string& flag) {
  auto it = numberTable().find(flag);
  if (it != numberTable().end()) return &it->second;
  const engine::TransportOption* o = engine::findTransportOption(flag);
  return o && o->kind == engine::TransportOption::Kind::kInteger ? &o->range : nullptr;
}

std::string allowedText(const NumberRange& r) {
  std::string lo = number(r.lo, r.integer), hi = number(r.hi, r.integer);
  if (r.integer) return "an integer " + lo + ".." + hi + r.note;
  if (!r.lo_open && !r.hi_open) return "a number from " + lo + " to " + hi + r.note;
  return std::string("a number ") + (r.lo_open ? "> " : ">= ") + lo + " and " + (r.hi_open ? "< " : "<= ") + hi + r.note;
}

std::string allowedValues(const std::string& flag) {
  auto it = valueTable().find(flag);
  if (it != valueTable().end()) return it->second;
  for (const ReportWriter& w : reportWriters()) {
    if (flag == w.flag) return "a path to a file to write";
  }
  const engine::TransportOption* o = engine::findTransportOption(flag);
  return o ? o->allowed : mooncakeAllowedValues(flag);
}

Result<long double> parseNumber(const std::string& flag, const std::string& text) {
  const NumberRange* r = numberRange(flag);
  if (!r) return internalError("parseNumber: " + flag + " is not a numeric flag");
  return parseNumber(flag, text, *r);
}

Result<long double> parseNumber(const std::string& flag, const std::string& text, const NumberRange& r) {
  auto refused = [&] { return invalidArgument(flagValue(flag, text) + ": allowed " + allowedText(r)); };
  if (text.empty() || text.size() > 64 || !looksNumeric(text, r.integer)) return refused();
  char* end = nullptr;
  long double v = std::strtold(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v) || !inRange(r, v)) return refused();
  if (v == 0) v = 0;  // no "-0"
  return v;
}

Status checkNumber(const std::string& flag, long double value) {
  const NumberRange* r = numberRange(flag);
  if (!r) return internalError("checkNumber: " + flag + " is not a numeric flag");
  if (inRange(*r, value)) return Status::ok();
  return invalidArgument(flag + " " + number(value, r->integer) + ": allowed " + allowedText(*r));
}

}  // namespace te::bench
