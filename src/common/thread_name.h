// Names the calling thread as `top -H`, `perf` and gdb show it (Linux keeps 15 characters).
#pragma once

#include <string>

namespace te {

void nameThisThread(const std::string& name);

}  // namespace te
