// Text forms of numbers and links shared by the reports (terminal, CSV, HTML, congestion).
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "bench/run/schedule.h"

namespace te::bench {

// `v` with `precision` decimals (0..9); "-" when not finite.
inline std::string fixed(double v, int precision) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", std::clamp(precision, 0, 9), v);
  return buf;
}

// Shortest text that reads back as the same double (no locale, no trailing zeros).
inline std::string shortestNumber(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

// "3->5"
inline std::string linkName(const Link& l) { return std::to_string(l.initiator) + "->" + std::to_string(l.target); }

}  // namespace te::bench
