// Sizes and rates as people write them: "64K", "1M", "1GiB", "4096"; "23GB/s".
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace te {

// Binary units: K/KB/KiB = 1024, M/MB/MiB = 2^20, G/GB/GiB = 2^30, T = 2^40 (case-insensitive),
// as Mooncake and perftest take them. A plain number is bytes.
Result<uint64_t> parseSize(const std::string& text);

// "64 KiB", "1 MiB", "1.5 GiB" (exact binary units where possible).
std::string formatSize(uint64_t bytes);

enum class RateUnit { kGB, kGiB, kGb };  // GB/s (1e9), GiB/s (2^30), Gb/s (1e9 bits)
bool parseRateUnit(const std::string& text, RateUnit* out);
const char* rateUnitName(RateUnit unit);  // "GB/s", ...
double toRateUnit(double bytes_per_second, RateUnit unit);

}  // namespace te
