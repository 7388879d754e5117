// Validation of a parsed BenchConfig and its JSON echo.
#include <algorithm>

#include "bench/config.h"
#include "bench/config_flags.h"
#include "common/shown_value.h"
#include "bootstrap/factory.h"
#include "common/launcher_env.h"
#include "engine/topology/nccl_topology.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

const std::vector<std::string>& scheduleList() {
  static const std::vector<std::string> kList = {"pairs", "shift", "sequential", "bidir", "one-to-all", "all-to-one"};
  return kList;
}

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
      {"--iterations", static_cast<long double>(c.iterations)},
      {"--bootstrap-timeout", c.bootstrap.timeout.count() / 1000.0L},
  };
  for (const auto& [flag, value] : kValues) TE_RETURN_IF_ERROR(checkNumber(flag, value));
  if (c.expect_line_rate) TE_RETURN_IF_ERROR(checkNumber("--expect-line-rate", *c.expect_line_rate));
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
  if (std::find(scheduleList().begin(), scheduleList().end(), c.schedule) == scheduleList().end()) {
    return invalidArgument(flagValue("--schedule", c.schedule) + ": allowed " + allowedValues("--schedule"));
  }
  if (c.progress != "auto" && c.progress != "on" && c.progress != "off") {
    return invalidArgument(flagValue("--progress", c.progress) + ": allowed " + allowedValues("--progress"));
  }
  if (c.integrity_check && !c.transport_config.ucx.remote_write_completion) {
    return invalidArgument("--integrity-check with --ucx-write-completion local: a WRITE counted before its data "
                           "reached the target cannot be verified there; use --ucx-write-completion remote");
  }
  if (c.integrity_check && c.operation == Workload::kMix) {
    // Mixed READs and WRITEs of one block at the same time leave it torn, legitimately.
    if (c.schedule == "all-to-one") {
      return invalidArgument("--integrity-check with --operation mix: --schedule all-to-one lets several initiators "
                             "read and write one target block at once; use write or read, or another schedule");
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

Status validateTransportOptions(const engine::TransportConfig& t) {
  TE_RETURN_IF_ERROR(checkNumber("--tcp-max-inflight", t.tcp.max_inflight));
  TE_RETURN_IF_ERROR(checkNumber("--tcp-service-threads", t.tcp.service_threads));
  const auto& v = t.verbs;
  TE_RETURN_IF_ERROR(checkNumber("--qps-per-peer", v.qps_per_peer));
  if (v.slice_size == 0) return invalidArgument("--slice-size 0: allowed " + allowedValues("--slice-size"));
  TE_RETURN_IF_ERROR(checkNumber("--max-wr", v.max_wr));
  TE_RETURN_IF_ERROR(checkNumber("--gid-index", v.gid_index));
  TE_RETURN_IF_ERROR(checkNumber("--ib-port", v.ib_port));
  // A file the user named must be there and parse, whatever the transport (NCCL's own
  // NCCL_TOPO_FILE is only warned about, when verbs loads it).
  if (v.topo_file_from == "--topo-file") {
    Status topo = engine::NcclTopology::load(v.topo_file, "--topo-file").status();
    if (!topo.isOk()) {
      // The loader's message starts "--topo-file PATH: ": the path again, whole.
      std::string why = topo.message();
      const std::string prefix = "--topo-file " + v.topo_file + ": ";
      if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
      return Status(topo.code(), flagValue("--topo-file", v.topo_file) + ": " + shownValue(why, 200) + "; allowed " +
                                     allowedValues("--topo-file"));
    }
  }
  if (t.ucx.max_inflight_bytes == 0) return invalidArgument("--ucx-max-inflight 0: allowed " + allowedValues("--ucx-max-inflight"));
  if (t.ucx.fragment_size == 0) return invalidArgument("--ucx-fragment-size 0: allowed " + allowedValues("--ucx-fragment-size"));
  return Status::ok();
}

}  // namespace

Status validateConfig(const BenchConfig& c) {
  TE_RETURN_IF_ERROR(validateTransports(c));
  TE_RETURN_IF_ERROR(validateSizes(c));
  TE_RETURN_IF_ERROR(validateRun(c));
  TE_RETURN_IF_ERROR(validateTransportOptions(c.transport_config));
  return bootstrap::validateBootstrapOptions(c.bootstrap);
}

Status validateForWorld(const BenchConfig& c, int world_size) {
  if (world_size < 2) {
    return invalidArgument(flagValue("--schedule", c.schedule) + " needs at least 2 ranks, got " + std::to_string(world_size) +
                           " (launch with mpirun -np N, N >= 2)");
  }
  if ((c.schedule == "one-to-all" || c.schedule == "all-to-one") && c.root >= world_size) {
    return invalidArgument("--root " + std::to_string(c.root) + ": only " + std::to_string(world_size) +
                           " ranks; allowed 0.." + std::to_string(world_size - 1));
  }
  for (const auto& [a, b] : c.pairs) {
    if (a >= world_size || b >= world_size) {
      return invalidArgument("--pairs " + std::to_string(a) + ":" + std::to_string(b) + ": only " +
                             std::to_string(world_size) + " ranks; allowed ranks 0.." + std::to_string(world_size - 1));
    }
  }
  return Status::ok();
}

nlohmann::json configToJson(const BenchConfig& c) {
  const auto& t = c.transport_config;
  // The bootstrap as resolved (auto -> mpi; KV rank / size / job id from flags or launcher).
  auto rb = bootstrap::resolveBootstrapOptions(c.bootstrap, launcherEnv());
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [a, b] : c.pairs) pairs.push_back({a, b});
  auto opt = [](const auto& o) { return o ? nlohmann::json(*o) : nlohmann::json(nullptr); };
  return {
      {"transport", c.transport}, {"transports", c.transports},
      {"operation", workloadName(c.operation)}, {"read_ratio", c.read_ratio}, {"seed", c.seed},
      {"block_size", c.block_size}, {"block_sizes", c.block_sizes},
      {"batch_size", c.batch_size}, {"threads", c.threads}, {"batches_in_flight", c.batches_in_flight},
      {"buffer_size", c.buffer_size},
      {"duration", c.duration}, {"iterations", c.iterations}, {"warmup", c.warmup}, {"samples", c.samples},
      {"schedule", c.schedule}, {"root", c.root}, {"pairs", pairs}, {"ranks_per_node", c.ranks_per_node},
      {"threshold", c.threshold}, {"retest", c.retest}, {"max_retests", c.max_retests},
      {"expect_bytes_per_second", opt(c.expect_bytes_per_second)}, {"expect_line_rate", opt(c.expect_line_rate)},
      {"integrity_check", c.integrity_check},
      {"json", c.json_path}, {"csv", c.csv_path}, {"html", c.html_path},
      {"report_unit", rateUnitName(c.report_unit)}, {"report_precision", c.report_precision},
      {"log_level", logLevelName(c.log_level)}, {"timeout", c.timeout},
      {"huge_pages", c.huge_pages}, {"numa_node", c.numa_node},
      {"initiator_memory", engine::memoryKindName(c.initiator_memory)},
      {"target_memory", engine::memoryKindName(c.target_memory)},
      {"gpu_id", c.gpu_id < 0 ? nlohmann::json("auto") : nlohmann::json(c.gpu_id)},
      {"bootstrap", rb.isOk() ? rb->spec : c.bootstrap.spec},
      {"rank", rb.isOk() && rb->kv ? nlohmann::json(rb->rank) : opt(c.bootstrap.rank)},
      {"size", rb.isOk() && rb->kv ? nlohmann::json(rb->size) : opt(c.bootstrap.size)},
      {"job_id", rb.isOk() && rb->kv ? rb->job_id : c.bootstrap.job_id}, {"bootstrap_timeout", c.bootstrap.timeout.count() / 1000.0},
      {"fault_inject", c.fault_inject},
      {"verbs", {{"devices", t.verbs.devices}, {"gid_index", t.verbs.gid_index}, {"ib_port", t.verbs.ib_port},
                 {"qps_per_peer", t.verbs.qps_per_peer}, {"slice_size", t.verbs.slice_size},
                 {"max_wr", t.verbs.max_wr}, {"nic_priority_matrix", t.verbs.nic_priority_matrix},
                 {"topo_file", t.verbs.topo_file}, {"topo_file_from", t.verbs.topo_file_from}}},
      {"ucx", {{"max_inflight", t.ucx.max_inflight_bytes}, {"fragment_size", t.ucx.fragment_size},
               {"allocate", t.ucx.allocate},
               {"write_completion", t.ucx.remote_write_completion ? "remote" : "local"}}},
      {"tcp", {{"interface", t.tcp.interface}, {"service_threads", t.tcp.service_threads},
               {"max_inflight", t.tcp.max_inflight}}},
  };
}

}  // namespace te::bench
