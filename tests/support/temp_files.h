// Files for report tests: a path in gtest's temporary directory unique to this process, and a
// whole file read back as bytes.
#pragma once

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace te::testing {

inline std::string tempPath(const std::string& prefix, const std::string& name) {
  return ::testing::TempDir() + prefix + std::to_string(::getpid()) + "_" + name;
}

inline std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace te::testing
