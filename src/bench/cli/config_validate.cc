// Validation of a parsed BenchConfig.
#include <algorithm>

#include "bench/cli/config.h"
#include "bench/cli/config_flags.h"
#include "bench/run/schedule.h"
#include "bootstrap/factory.h"
#include "common/shown_value.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

Status validateTransports(const BenchConfig& c) {
  if (c.transports.empty()) {
    return invalidArgument(flagValue("--transport", c.transport) + ": allowed " + allowedValues("--transport"));
  }
  for (const std::string& t : c.transports) {
    if (t == "auto" && c.transports.size() == 1) continue;
    if (!engine::findTransport(t)) {
      return invalidArgument(flagValue("--transport", c.transport) + ": '" + shownValue(t, 32) +
                             "' is not allowed (allowed: auto, all, or " + engine::builtinTransportNames() +
                             ", the transports built into this binary)");
    }
  }
  return Status::ok();
}

Status validateSizes(const BenchConfig& c) {
  for (uint64_t s : c.block_sizes) {
    if (s == 0) return invalidArgument("--block-size 0: allowed " + allowedValues("--block-size"));
  }
  if (c.buffer_size == 0) return invalidArgument("--buffer-size 0: allowed at least twice the block size");
  // Half of the buffer is the local side of transfers, half the side peers access.
  if (c.block_size > c.buffer_size / 2) {
    return invalidArgument("--block-size " + formatSize(c.block_size) + ": larger than half of --buffer-size " +
                           formatSize(c.buffer_size) + " (one half is local, the other exposed to peers); allowed "
                           "at most half of --buffer-size");
  }
  return checkNumber("--batch-size", static_cast<long double>(c.batch_size));
}

// The fields of numeric flags, against the ranges of config_flags.cc (a config built in code
// skipped the parser's checks).
Status checkNumbers(const BenchConfig& c) {
  const std::pair<const char*, long double> kValues[] = {
      {"--threads", c.threads}, {"--batches-in-flight", c.batches_in_flight}, {"--duration", c.duration},
      {"--warmup", c.warmup}, {"--samples", c.samples}, {"--read-ratio", c.read_ratio}, {"--root", c.root},
      {"--ranks-per-node", c.ranks_per_node}, {"--max-retests", c.max_retests}, {"--threshold", c.threshold},
      {"--report-precision", c.report_precision}, {"--timeout", c.timeout}, {"--numa-node", c.numa_node},
      {"--iterations", static_cast<long double>(c.iterations)}, {"--min-duration", c.min_duration},
      {"--precision", c.precision}, {"--latency-threshold", c.latency_threshold},
      {"--bootstrap-timeout", c.bootstrap.timeout.count() / 1000.0L},
  };
  for (const auto& [flag, value] : kValues) TE_RETURN_IF_ERROR(checkNumber(flag, value));
  if (c.expect_line_rate) TE_RETURN_IF_ERROR(checkNumber("--expect-line-rate", *c.expect_line_rate));
  return Status::ok();
}

// --schedule NAME or a list of names, each once; a list cannot go with --pairs (which
// replaces the schedule).
Status checkSchedules(const BenchConfig& c) {
  const std::vector<std::string> names = scheduleList(c.schedule);
  for (size_t i = 0; i < names.size(); ++i) {
    if (!findSchedule(names[i])) {
      return invalidArgument(flagValue("--schedule", c.schedule) + ": " +
                             (names.size() > 1 ? shownValue(names[i], 32) + " is not a schedule; " : "") + "allowed " +
                             allowedValues("--schedule"));
    }
    if (std::find(names.begin(), names.begin() + i, names[i]) != names.begin() + i) {
      return invalidArgument(flagValue("--schedule", c.schedule) + ": " + names[i] + " named twice; allowed each schedule once");
    }
  }
  if (names.size() > 1 && !c.pairs.empty()) {
    return invalidArgument(flagValue("--schedule", c.schedule) + " with --pairs: allowed one schedule (--pairs replaces it)");
  }
  return Status::ok();
}

Status validateRun(const BenchConfig& c) {
  TE_RETURN_IF_ERROR(checkNumbers(c));
  if (c.threads * c.batches_in_flight > 1024) {
    return invalidArgument("--threads " + std::to_string(c.threads) + " x --batches-in-flight " +
                           std::to_string(c.batches_in_flight) + ": allowed at most 1024 batches per rank");
  }
  if (c.iterations > 0 && c.iterations < static_cast<uint64_t>(c.samples)) {
    return invalidArgument("--iterations " + std::to_string(c.iterations) + ": allowed at least --samples (" +
                           std::to_string(c.samples) + ")");
  }
  TE_RETURN_IF_ERROR(checkSchedules(c));
  if (c.phase_sync != "pairs" && c.phase_sync != "global") {
    return invalidArgument(flagValue("--phase-sync", c.phase_sync) + ": allowed " + allowedValues("--phase-sync"));
  }
  if (c.on_failure != "stop" && c.on_failure != "continue") {
    return invalidArgument(flagValue("--on-failure", c.on_failure) + ": allowed " + allowedValues("--on-failure"));
  }
  if (c.on_failure == "continue" && c.bootstrap.spec.rfind("etcd://", 0) != 0 && c.bootstrap.spec.rfind("redis://", 0) != 0) {
    return invalidArgument("--on-failure continue: needs --bootstrap etcd://HOST:PORT or redis://HOST:PORT "
                           "(under mpirun or srun a rank that dies ends the whole job)");
  }
  if (c.progress != "auto" && c.progress != "on" && c.progress != "off") {
    return invalidArgument(flagValue("--progress", c.progress) + ": allowed " + allowedValues("--progress"));
  }
  if (c.metrics_links != "flagged" && c.metrics_links != "all") {
    return invalidArgument(flagValue("--metrics-links", c.metrics_links) + ": allowed " +
                           allowedValues("--metrics-links"));
  }
  for (const auto& t : engine::registeredTransports()) {
    if (!c.integrity_check || !t.descriptor().integrity_conflict) continue;
    Status conflict = t.descriptor().integrity_conflict(c.transport_config);
    if (!conflict.isOk()) return Status(conflict.code(), "--integrity-check with " + conflict.message());
  }
  if (c.integrity_check && c.operation == Workload::kMix) {
    // Mixed READs and WRITEs of one block at the same time leave it torn, legitimately.
    if (anySchedule(c.schedule, &ScheduleInfo::shared_target)) {
      return invalidArgument("--integrity-check with --operation mix: --schedule " + c.schedule +
                             " lets several initiators read and write one target block at once; use write or read, "
                             "or another schedule");
    }
    // Every request a thread has in flight must own its block.
    uint64_t blocks = c.buffer_size / 2 / static_cast<uint64_t>(c.threads) / c.block_size;
    uint64_t in_flight = c.batch_size * static_cast<uint64_t>(c.batches_in_flight);
    if (blocks < in_flight) {
      return invalidArgument("--integrity-check with --operation mix: --batch-size " + std::to_string(c.batch_size) +
                             " x --batches-in-flight " + std::to_string(c.batches_in_flight) + " exceeds the " +
                             std::to_string(blocks) + " blocks each thread owns (buffer/2/threads/block); "
                             "raise --buffer-size or lower --batch-size / --batches-in-flight");
    }
  }
  return Status::ok();
}

// Every transport's options against their descriptors (a config built in code skipped the
// parser's checks), then the transport's own checks.
Status validateTransportOptions(const engine::TransportConfig& config) {
  using Kind = engine::TransportOption::Kind;
  for (const auto& t : engine::registeredTransports()) {
    for (const engine::TransportOption& o : t.descriptor().options) {
      if (o.kind == Kind::kInteger) TE_RETURN_IF_ERROR(checkNumber(o.flag, std::get<long double>(o.get(config))));
      if (o.kind == Kind::kSize && std::get<long double>(o.get(config)) == 0) {
        return invalidArgument(o.flag + " 0: allowed " + o.allowed);
      }
    }
    if (t.descriptor().validate) TE_RETURN_IF_ERROR(t.descriptor().validate(config));
  }
  return Status::ok();
}

}  // namespace

Status validateConfig(const BenchConfig& c) {
  TE_RETURN_IF_ERROR(validateTransports(c));
  TE_RETURN_IF_ERROR(validateSizes(c));
  TE_RETURN_IF_ERROR(validateRun(c));
  TE_RETURN_IF_ERROR(validateTransportOptions(c.transport_config));
  return bootstrap::validateBootstrapOptions(c.bootstrap, c.env);
}

Status validateForWorld(const BenchConfig& c, int world_size) {
  if (world_size < 2) {
    return invalidArgument(flagValue("--schedule", c.schedule) + " needs at least 2 ranks, got " + std::to_string(world_size) +
                           " (launch with mpirun -np N, N >= 2)");
  }
  if (anySchedule(c.schedule, &ScheduleInfo::rooted) && c.root >= world_size) {
    return invalidArgument("--root " + std::to_string(c.root) + ": only " + std::to_string(world_size) +
                           " ranks; allowed 0.." + std::to_string(world_size - 1));
  }
  if (c.fan > world_size - 1) {
    return invalidArgument("--fan " + std::to_string(c.fan) + ": only " + std::to_string(world_size) +
                           " ranks; allowed 1.." + std::to_string(world_size - 1));
  }
  for (const std::vector<int>* group : {&c.group_from, &c.group_to}) {
    if (!group->empty() && group->back() >= world_size) {
      return invalidArgument("--groups: rank " + std::to_string(group->back()) + " but only " +
                             std::to_string(world_size) + " ranks; allowed ranks 0.." + std::to_string(world_size - 1));
    }
  }
  for (const auto& [a, b] : c.pairs) {
    if (a >= world_size || b >= world_size) {
      return invalidArgument("--pairs " + std::to_string(a) + ":" + std::to_string(b) + ": only " +
                             std::to_string(world_size) + " ranks; allowed ranks 0.." + std::to_string(world_size - 1));
    }
  }
  return Status::ok();
}

}  // namespace te::bench
