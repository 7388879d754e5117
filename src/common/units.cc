#include "common/units.h"

#include "common/enum_names.h"
#include "common/shown_value.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

namespace te {

Result<uint64_t> parseSize(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos == 0) return invalidArgument("'" + shownValue(text, 32) + "' is not a size (use e.g. 4096, 64K, 1M, 1GiB)");
  std::string suffix;
  for (size_t i = pos; i < text.size(); ++i) {
    suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  }
  int shift = -1;
  if (suffix.empty() || suffix == "b") shift = 0;
  else if (suffix == "k" || suffix == "kb" || suffix == "kib") shift = 10;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib") shift = 20;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib") shift = 30;
  else if (suffix == "t" || suffix == "tb" || suffix == "tib") shift = 40;
  if (shift < 0) {
    return invalidArgument("'" + shownValue(text, 32) + "' has an unknown unit '" + shownValue(text.substr(pos), 16) +
                           "' (allowed: K, M, G, T, KiB, MiB, GiB, TiB)");
  }
  if (pos > 19) return invalidArgument("'" + shownValue(text, 32) + "' is too large");
  uint64_t number = std::stoull(text.substr(0, pos));
  if (shift > 0 && number > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return invalidArgument("'" + shownValue(text, 32) + "' is too large");
  }
  return number << shift;
}

std::string formatSize(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  double value = static_cast<double>(bytes);
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (value == std::floor(value)) {
    std::snprintf(buf, sizeof(buf), "%.0f %s", value, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f %s", value, kUnits[unit]);
  }
  return buf;
}

namespace {
constexpr EnumName<RateUnit> kRateUnits[] = {{RateUnit::kGB, "GB/s"},  {RateUnit::kGB, "GB"},   {RateUnit::kGiB, "GiB/s"},
                                             {RateUnit::kGiB, "GiB"},  {RateUnit::kGb, "Gb/s"}, {RateUnit::kGb, "Gb"},
                                             {RateUnit::kGb, "Gbps"}};
}  // namespace

bool parseRateUnit(const std::string& text, RateUnit* out) { return parseEnum(kRateUnits, text, out); }
const char* rateUnitName(RateUnit unit) { return enumName(kRateUnits, unit); }

double toRateUnit(double bytes_per_second, RateUnit unit) {
  switch (unit) {
    case RateUnit::kGB: return bytes_per_second / 1e9;
    case RateUnit::kGiB: return bytes_per_second / double(1ull << 30);
    case RateUnit::kGb: return bytes_per_second * 8 / 1e9;
  }
  return 0;
}

}  // namespace te
