// The values of flags that are more than a number: --pairs, --block-size lists, --expect rates.
#include <cmath>
#include <optional>
#include <sstream>

#include "bench/cli/config.h"
#include "bench/cli/config_flags.h"
#include "common/shown_value.h"

namespace te::bench {

namespace {

// "3" as a rank of --pairs, else nullopt.
std::optional<int> pairRank(const std::string& text) {
  Result<long double> v = parseNumber("--rank", text);
  if (!v.isOk()) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

Status parsePairs(const std::string& text, std::vector<std::pair<int, int>>* out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t colon = item.find(':');
    std::optional<int> a = colon == std::string::npos ? std::nullopt : pairRank(item.substr(0, colon));
    std::optional<int> b = a ? pairRank(item.substr(colon + 1)) : std::nullopt;
    if (!a || !b || *a == *b) {
      return invalidArgument(flagValue("--pairs", text) + ": '" + shownValue(item, 32) + "' is not allowed; allowed " +
                             allowedValues("--pairs"));
    }
    out->emplace_back(*a, *b);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return Status::ok();
}

Result<std::vector<uint64_t>> parseBlockSizes(const std::string& text) {
  std::vector<uint64_t> out;
  size_t colon = text.find(':');
  if (colon != std::string::npos) {
    TE_ASSIGN_OR_RETURN(uint64_t lo, parseSize(text.substr(0, colon)));
    TE_ASSIGN_OR_RETURN(uint64_t hi, parseSize(text.substr(colon + 1)));
    if (lo == 0 || hi < lo) return invalidArgument("a range is LOW:HIGH with 0 < LOW <= HIGH");
    for (uint64_t s = lo; s <= hi && out.size() < 64; s *= 2) out.push_back(s);
    return out;
  }
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    TE_ASSIGN_OR_RETURN(uint64_t s, parseSize(item));
    out.push_back(s);
  }
  if (out.empty()) return invalidArgument("no size given");
  return out;
}

Result<double> parseRate(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit(end);
  if (end == text.c_str() || !(v > 0) || !std::isfinite(v)) {
    return invalidArgument("not a rate (e.g. 23GB/s, 200Gb/s, 1.5GiB/s, 800MB/s)");
  }
  if (unit.size() > 2 && unit.substr(unit.size() - 2) == "/s") unit.resize(unit.size() - 2);
  static const struct { const char* name; double factor; } kUnits[] = {
      {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"TB", 1e12}, {"GiB", double(1ull << 30)}, {"MiB", double(1 << 20)},
      {"Gb", 1e9 / 8}, {"Mb", 1e6 / 8}, {"Tb", 1e12 / 8}, {"Gbps", 1e9 / 8}, {"B", 1}};
  for (const auto& u : kUnits) {
    if (unit == u.name) return v * u.factor;
  }
  return invalidArgument("unknown unit '" + unit + "' (allowed GB/s, MB/s, GiB/s, MiB/s, Gb/s, Mb/s)");
}

}  // namespace te::bench
