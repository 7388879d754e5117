// Measured results: one LinkResult per directed link, their wire form (gathered to rank 0)
// and the summary statistics that reports print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/schedule.h"
#include "common/collective.h"
#include "common/histogram.h"
#include "common/status.h"

namespace te::bench {

struct LinkResult {
  Link link{0, 0};
  uint64_t bytes = 0;
  uint64_t ops = 0;
  double seconds = 0;           // measured window
  Histogram latency_ns;         // per-request completion latency within its batch
  uint64_t failed = 0;
  std::string error;            // empty when the link measured cleanly
  std::vector<double> samples;  // bytes/s in consecutive sub-windows of the measurement

  double bytesPerSecond() const { return seconds > 0 ? double(bytes) / seconds : 0.0; }
  double opsPerSecond() const { return seconds > 0 ? double(ops) / seconds : 0.0; }
};

Bytes serializeResults(const std::vector<LinkResult>& results);
Status deserializeResults(const Bytes& bytes, std::vector<LinkResult>* out);

// Order statistics of a set of values.
struct Summary {
  size_t count = 0;
  double min = 0, median = 0, mean = 0, max = 0;
  size_t min_index = 0, max_index = 0;  // into the input
};
Summary summarize(const std::vector<double>& values);

// N x N throughput matrix (bytes/s); nullopt on the diagonal and for unmeasured links.
using Matrix = std::vector<std::vector<std::optional<double>>>;
Matrix throughputMatrix(const std::vector<LinkResult>& results, int n);

// Mean of each row (initiator) and column (target) over measured links.
std::vector<std::optional<double>> rowMeans(const Matrix& m);
std::vector<std::optional<double>> columnMeans(const Matrix& m);

}  // namespace te::bench
