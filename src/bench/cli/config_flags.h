// What each te_bench flag allows, in one table: the range of every numeric flag (read by the
// parser, which refuses anything else in one line naming the flag, the value and the range,
// and re-checked by validateConfig) and the allowed values of every other flag that takes one.
// A transport's flags are not listed here: their descriptors in the registry say the same.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "engine/transport_descriptor.h"

namespace te::bench {

// lo..hi, integer or not, open ends, a note (" seconds"): the type transports' options use too.
using NumberRange = engine::OptionRange;

// The range of a numeric flag by its first long name ("--threads"); nullptr for other flags.
const NumberRange* numberRange(const std::string& flag);

// "an integer 1..256", "a number > 0 and <= 86400 seconds".
std::string allowedText(const NumberRange& range);

// What a non-numeric flag that takes a value allows ("read, write, mix"); "" when unknown.
std::string allowedValues(const std::string& flag);

// `text` as a number in the flag's range: digits only for an integer (no "", "1x", "0x10",
// "1e3", no "-1" for a count), a finite decimal number otherwise. Else kInvalidArgument:
// "--threads 0: allowed an integer 1..256".
Result<long double> parseNumber(const std::string& flag, const std::string& text);
// The same against a range of the caller's (a flag of another command, te_bench compare's).
Result<long double> parseNumber(const std::string& flag, const std::string& text, const NumberRange& range);

// A value already typed (a config built in code) against the flag's range.
Status checkNumber(const std::string& flag, long double value);

// Every flag of te_bench as the parser declares it, for tests and docs: its first long
// name, whether it takes a value, and its range when numeric.
struct FlagInfo {
  std::string name;
  bool takes_value = true;
  const NumberRange* range = nullptr;
};
std::vector<FlagInfo> listFlags();

}  // namespace te::bench
