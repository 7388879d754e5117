// --metric bandwidth | latency (issue 21). Bandwidth, the default, keeps every link's pipeline
// full and judges its throughput. Latency keeps one request of --block-size (default 8 bytes)
// outstanding per link, posts the next one as the last completes, and judges each link's p50
// against --latency-threshold x the median p50 of comparable links; those above are retested
// alone like slow links. The analysis compares rates either way: a latency run's rate is the
// link's at queue depth one, block size / p50 (analysis.h, linkRate).
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace CLI {
class App;
}

namespace te::bench {

struct BenchConfig;

// What the metric flags collected while CLI11 parsed.
struct MetricFlags {
  std::string metric = "bandwidth";
  std::optional<double> latency_threshold;
};

void declareMetricFlags(CLI::App& app, MetricFlags* m);

// After the other flags are typed: the metric, and with latency the defaults it changes
// (--block-size 8, --batch-size 1, --batches-in-flight 1, --threads 1 unless given) and the
// flags it cannot take (a batch or a pipeline of requests, a throughput expectation).
Status finishMetric(const CLI::App& app, const MetricFlags& m, BenchConfig* c);

}  // namespace te::bench
