// Writing whole files: to a temporary name beside the target, then rename(), so a reader
// never sees half a report and a failed write leaves the old file in place.
#pragma once

#include <string>

#include "common/status.h"

namespace te {

Status writeFileAtomically(const std::string& path, const std::string& content);

}  // namespace te
