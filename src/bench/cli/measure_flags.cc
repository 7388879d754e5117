#include "bench/cli/measure_flags.h"

#include <CLI/CLI.hpp>

#include "bench/cli/config.h"
#include "bench/cli/config_flags.h"
#include "bench/run/group_names.h"
#include "bench/run/schedule.h"
#include "common/enum_names.h"
#include "common/shown_value.h"

namespace te::bench {
namespace {

constexpr EnumName<Metric> kMetrics[] = {{Metric::kBandwidth, "bandwidth"}, {Metric::kLatency, "latency"}};

bool given(const CLI::App& app, const char* flag) { return app.count(flag) > 0; }

// "--batch-size 128 with --metric latency: allowed only 1 (...)".
Status onlyOne(const CLI::App& app, const char* flag, uint64_t value) {
  if (!given(app, flag) || value == 1) return Status::ok();
  return invalidArgument(std::string(flag) + " " + std::to_string(value) +
                         " with --metric latency: allowed only 1 (a latency is measured with one request outstanding "
                         "per link; drop the flag)");
}

}  // namespace

const char* metricName(Metric m) { return enumName(kMetrics, m); }

ScheduleArgs scheduleArgsOf(const BenchConfig& c) { return {c.root, c.fan, c.group_from, c.group_to}; }

void declareMeasureFlags(CLI::App& app, MeasureFlags* m) {
  app.add_option("--metric", m->metric,
                 "bandwidth | latency: judge links by throughput (the pipeline full) or by idle latency (one request "
                 "of --block-size, default 8 bytes, outstanding per link; p50 / p99 / max per link)")
      ->capture_default_str();
  const NumberRange* range = numberRange("--latency-threshold");
  app.add_option_function<std::string>(
         "--latency-threshold",
         [m](const std::string& text) {
           Result<long double> v = parseNumber("--latency-threshold", text);
           if (!v.isOk()) throw CLI::ValidationError(v.status().message());
           m->latency_threshold = static_cast<double>(*v);
         },
         "--metric latency: flag links whose p50 is above this x the median p50 of comparable links (default 2) [" +
             allowedText(*range) + "]")
      ->type_name("NUMBER");
  app.add_option_function<std::string>(
         "--fan",
         [m](const std::string& text) {
           Result<long double> v = parseNumber("--fan", text);
           if (!v.isOk()) throw CLI::ValidationError(v.status().message());
           m->fan = static_cast<int>(*v);
         },
         "incast / outcast: ranks into one target / out of one initiator per phase (default: all others) [" +
             allowedText(*numberRange("--fan")) + "]")
      ->type_name("INT");
  app.add_option("--groups", m->groups, "m-to-n: FROM:TO lists of ranks, hosts or switches, e.g. 0-7:8-15 or leaf1:leaf2 (every FROM rank "
                 "drives every TO rank)")
      ->type_name("FROM:TO");
}

namespace {

// --fan and --groups with the schedules that take them.
Status finishShape(const MeasureFlags& m, BenchConfig* c) {
  for (const std::string& name : scheduleList(c->schedule)) {
    if (!findSchedule(name)) return Status::ok();  // validateConfig names it
  }
  if (m.fan && !anySchedule(c->schedule, &ScheduleInfo::fanned)) {
    return invalidArgument("--fan " + std::to_string(*m.fan) + " with --schedule " + shownValue(c->schedule, 32) +
                           ": allowed only with --schedule incast or outcast");
  }
  c->fan = m.fan.value_or(0);
  const bool grouped = anySchedule(c->schedule, &ScheduleInfo::grouped);
  if (!m.groups.empty() && !grouped) {
    return invalidArgument(flagValue("--groups", m.groups) + " with --schedule " + shownValue(c->schedule, 32) +
                           ": allowed only with --schedule m-to-n");
  }
  if (grouped && m.groups.empty()) {
    return invalidArgument("--schedule m-to-n: --groups FROM:TO is required (e.g. --groups 0-7:8-15)");
  }
  if (m.groups.empty()) return Status::ok();
  if (groupsNameHosts(m.groups)) {  // hosts or switches: known once the world is
    c->group_names = m.groups;
    return Status::ok();
  }
  TE_RETURN_IF_ERROR(parseGroups(m.groups, &c->group_from, &c->group_to));
  if (!mToNSchedule(c->group_from, c->group_to).empty()) return Status::ok();
  return invalidArgument(flagValue("--groups", m.groups) + ": no link (a rank does not drive itself); allowed " +
                         allowedValues("--groups"));
}

}  // namespace

Status finishMeasureFlags(const CLI::App& app, const MeasureFlags& m, BenchConfig* c) {
  TE_RETURN_IF_ERROR(finishShape(m, c));
  if (!parseEnum(kMetrics, m.metric, &c->metric)) {
    return invalidArgument(flagValue("--metric", m.metric) + ": allowed " + allowedValues("--metric"));
  }
  if (c->metric == Metric::kBandwidth) {
    if (!m.latency_threshold) return Status::ok();
    return invalidArgument("--latency-threshold with --metric bandwidth: allowed only with --metric latency "
                           "(bandwidth runs flag links by --threshold)");
  }
  c->latency_threshold = m.latency_threshold.value_or(2.0);
  TE_RETURN_IF_ERROR(onlyOne(app, "--batch-size", c->batch_size));
  TE_RETURN_IF_ERROR(onlyOne(app, "--batches-in-flight", static_cast<uint64_t>(c->batches_in_flight)));
  for (const char* flag : {"--expect", "--expect-line-rate"}) {
    if (!given(app, flag)) continue;
    return invalidArgument(std::string(flag) + " with --metric latency: allowed only with --metric bandwidth (a "
                           "throughput expectation; latency runs flag links by --latency-threshold)");
  }
  c->batch_size = 1;
  c->batches_in_flight = 1;
  if (!given(app, "--threads")) c->threads = 1;
  c->transport_config.num_workers = c->threads;
  if (!given(app, "--block-size")) {
    c->block_sizes = {8};
    c->block_size = 8;
  }
  return Status::ok();
}

}  // namespace te::bench
