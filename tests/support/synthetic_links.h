// Links of a synthetic all-pairs run, for report tests: every i -> t (i != t) of n ranks,
// measured for one second, moving bytes(i, t) bytes in 64 KiB requests.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "bench/run/results.h"

namespace te::testing {

inline std::vector<bench::LinkResult> fullMatrixLinks(int n, const std::function<uint64_t(int, int)>& bytes) {
  std::vector<bench::LinkResult> links;
  for (int i = 0; i < n; ++i) {
    for (int t = 0; t < n; ++t) {
      if (i == t) continue;
      bench::LinkResult l;
      l.link = {i, t};
      l.seconds = 1;
      l.bytes = bytes(i, t);
      l.ops = l.bytes / 65536;
      links.push_back(std::move(l));
    }
  }
  return links;
}

}  // namespace te::testing
