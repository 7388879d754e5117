// What a run measures beyond the schedule's name: --metric and --latency-threshold (issue 21),
// --fan and --groups (issue 23: incast / outcast and m-to-n, schedule.h).
//
// --metric bandwidth | latency. Bandwidth, the default, keeps every link's pipeline
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
struct ScheduleArgs;

// What these flags collected while CLI11 parsed.
struct MeasureFlags {
  std::string metric = "bandwidth";
  std::optional<double> latency_threshold;
  std::optional<int> fan;
  std::string groups;
};

void declareMeasureFlags(CLI::App& app, MeasureFlags* m);

// After the other flags are typed: the metric, and with latency the defaults it changes
// (--block-size 8, --batch-size 1, --batches-in-flight 1, --threads 1 unless given) and the
// flags it cannot take (a batch or a pipeline of requests, a throughput expectation); --fan
// and --groups, each only with a schedule that takes it (m-to-n requires --groups).
Status finishMeasureFlags(const CLI::App& app, const MeasureFlags& m, BenchConfig* c);

// The schedule's arguments a config holds: --root, --fan, --groups.
ScheduleArgs scheduleArgsOf(const BenchConfig& c);

}  // namespace te::bench
