// te_bench's command line parsed as main() parses it, for flag tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/cli/config.h"

namespace te::testing {

struct Parsed {
  bench::ParseResult result;
  bench::BenchConfig config;
};

// `args` without the program name.
inline Parsed parseArgs(std::vector<const char*> args) {
  args.insert(args.begin(), "te_bench");
  Parsed p;
  p.result = bench::parseCommandLine(static_cast<int>(args.size()), args.data(), &p.config);
  return p;
}

// Parses and validates: the first error message, or "" when the flags are accepted.
inline std::string argsError(std::vector<const char*> args) {
  Parsed p = parseArgs(std::move(args));
  if (p.result.outcome == bench::ParseOutcome::kError) return p.result.error.message();
  Status s = bench::validateConfig(p.config);
  return s.isOk() ? "" : s.message();
}

}  // namespace te::testing
