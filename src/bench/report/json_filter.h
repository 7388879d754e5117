// Parsing a JSON document without some of its members: a SAX handler builds the DOM and
// skips the value of every key in a set, wherever it appears. nlohmann's parse callback does
// the same in O(n^2) for long arrays (each object's end scans its parent), which took
// minutes on a 1024-rank report's million links.
#pragma once

#include <istream>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace te::bench {

// nullopt when `in` is not valid JSON. With a `packed_key`, each object in an array that is
// the value of that key is kept packed (MessagePack, a binary value) as soon as it is
// parsed, for its reader to unpack one at a time (unpacked()): a million links hold ~12 GB
// as a DOM, ~1 GB packed.
std::optional<nlohmann::json> parseJsonWithout(std::istream& in, const std::set<std::string>& skipped_keys,
                                               const std::string& packed_key = "");

// The file at `path` parsed the same way. kInvalidArgument naming the path: a directory
// ("allowed `what`"), a file that cannot be opened or read, or not JSON.
Result<nlohmann::json> loadJsonFile(const std::string& path, const std::set<std::string>& skipped_keys,
                                    const std::string& what, const std::string& packed_key = "");

// An element as parsed: a packed one unpacked, any other as it is.
nlohmann::json unpacked(const nlohmann::json& element);

}  // namespace te::bench
