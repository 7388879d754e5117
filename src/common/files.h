// Writing whole files: to a temporary name beside the target, then rename(), so a reader
// never sees half a report and a failed write leaves the old file in place.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "common/status.h"

namespace te {

Status writeFileAtomically(const std::string& path, const std::string& content);
// The same, with the content written by `write` as it goes (reports too big to build in memory).
Status writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace te
