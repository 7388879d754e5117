// Validation of a parsed BenchConfig and its JSON echo.
#include <algorithm>

#include "bench/config.h"
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
  for (const std::string& t : c.transports) {
    if (t == "auto" && c.transports.size() == 1) continue;
    if (!engine::findTransport(t)) {
      return invalidArgument("--transport " + c.transport + ": '" + t + "' is not allowed (allowed: auto, all, or " +
                             engine::builtinTransportNames() + ", the transports built into this binary)");
    }
  }
  return Status::ok();
}

Status validateSizes(const BenchConfig& c) {
  for (uint64_t s : c.block_sizes) {
    if (s == 0) return invalidArgument("--block-size 0: must be at least 1 byte");
  }
  if (c.buffer_size == 0) return invalidArgument("--buffer-size 0: must be at least twice the block size");
  // Half of the buffer is the local side of transfers, half the side peers access.
  if (c.block_size > c.buffer_size / 2) {
    return invalidArgument("--block-size " + formatSize(c.block_size) + ": larger than half of --buffer-size " +
                           formatSize(c.buffer_size) + " (one half is local, the other exposed to peers)");
  }
  if (c.batch_size == 0 || c.batch_size > 65536) {
    return invalidArgument("--batch-size " + std::to_string(c.batch_size) + ": allowed 1..65536");
  }
  return Status::ok();
}

Status validateRun(const BenchConfig& c) {
  if (c.threads < 1 || c.threads > 256) return invalidArgument("--threads " + std::to_string(c.threads) + ": allowed 1..256");
  if (c.batches_in_flight < 1 || c.batches_in_flight > 16) {
    return invalidArgument("--batches-in-flight " + std::to_string(c.batches_in_flight) + ": allowed 1..16");
  }
  if (c.threads * c.batches_in_flight > 1024) {
    return invalidArgument("--threads " + std::to_string(c.threads) + " x --batches-in-flight " +
                           std::to_string(c.batches_in_flight) + ": at most 1024 batches per rank");
  }
  if (!(c.duration > 0) || c.duration > 86400) {
    return invalidArgument("--duration " + std::to_string(c.duration) + ": must be > 0 and at most 86400 seconds");
  }
  if (!(c.warmup >= 0) || c.warmup > 3600) {
    return invalidArgument("--warmup " + std::to_string(c.warmup) + ": must be between 0 and 3600 seconds");
  }
  if (c.samples < 1 || c.samples > 1000) return invalidArgument("--samples " + std::to_string(c.samples) + ": allowed 1..1000");
  if (c.iterations > 0 && c.iterations < static_cast<uint64_t>(c.samples)) {
    return invalidArgument("--iterations " + std::to_string(c.iterations) + ": at least --samples (" +
                           std::to_string(c.samples) + ")");
  }
  if (!(c.read_ratio >= 0 && c.read_ratio <= 1)) {
    return invalidArgument("--read-ratio " + std::to_string(c.read_ratio) + ": allowed 0..1");
  }
  if (std::find(scheduleList().begin(), scheduleList().end(), c.schedule) == scheduleList().end()) {
    return invalidArgument("--schedule " + c.schedule + ": allowed values are " + kScheduleNames());
  }
  if (c.root < 0) return invalidArgument("--root " + std::to_string(c.root) + ": must be a rank (>= 0)");
  if (c.ranks_per_node < 0) return invalidArgument("--ranks-per-node " + std::to_string(c.ranks_per_node) + ": must be >= 0");
  if (c.max_retests < 0) {
    return invalidArgument("--max-retests " + std::to_string(c.max_retests) + ": allowed 0 or more (0: as --no-retest)");
  }
  if (!(c.threshold > 0 && c.threshold < 1)) {
    return invalidArgument("--threshold " + std::to_string(c.threshold) + ": allowed between 0 and 1 (exclusive)");
  }
  if (c.expect_line_rate && !(*c.expect_line_rate > 0 && *c.expect_line_rate <= 1)) {
    return invalidArgument("--expect-line-rate " + std::to_string(*c.expect_line_rate) + ": allowed (0, 1]");
  }
  if (c.progress != "auto" && c.progress != "on" && c.progress != "off") {
    return invalidArgument("--progress " + c.progress + ": allowed values are auto, on, off");
  }
  if (c.report_precision < 0 || c.report_precision > 9) {
    return invalidArgument("--report-precision " + std::to_string(c.report_precision) + ": allowed 0..9");
  }
  if (!(c.timeout >= 1) || c.timeout > 86400) {
    return invalidArgument("--timeout " + std::to_string(c.timeout) + ": allowed 1..86400 seconds");
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
  if (c.numa_node < -1) return invalidArgument("--numa-node " + std::to_string(c.numa_node) + ": allowed -1 or a node id");
  return Status::ok();
}

Status validateTransportOptions(const engine::TransportConfig& t) {
  if (t.tcp.max_inflight == 0 || t.tcp.max_inflight > 65536) {
    return invalidArgument("--tcp-max-inflight " + std::to_string(t.tcp.max_inflight) + ": allowed 1..65536");
  }
  if (t.tcp.service_threads < 0 || t.tcp.service_threads > 256) {
    return invalidArgument("--tcp-service-threads " + std::to_string(t.tcp.service_threads) + ": allowed 0..256");
  }
  const auto& v = t.verbs;
  if (v.qps_per_peer < 1 || v.qps_per_peer > 64) {
    return invalidArgument("--qps-per-peer " + std::to_string(v.qps_per_peer) + ": allowed 1..64");
  }
  if (v.slice_size == 0) return invalidArgument("--slice-size 0: must be at least 1 byte");
  if (v.max_wr < 1 || v.max_wr > 32768) return invalidArgument("--max-wr " + std::to_string(v.max_wr) + ": allowed 1..32768");
  if (v.gid_index < -1 || v.gid_index > 255) {
    return invalidArgument("--gid-index " + std::to_string(v.gid_index) + ": allowed 0..255");
  }
  if (v.ib_port < 0 || v.ib_port > 255) return invalidArgument("--ib-port " + std::to_string(v.ib_port) + ": allowed 0..255");
  // A file the user named must be there and parse, whatever the transport (NCCL's own
  // NCCL_TOPO_FILE is only warned about, when verbs loads it).
  if (v.topo_file_from == "--topo-file") {
    TE_RETURN_IF_ERROR(engine::NcclTopology::load(v.topo_file, "--topo-file").status());
  }
  if (t.ucx.max_inflight_bytes == 0) return invalidArgument("--ucx-max-inflight 0: must be > 0");
  if (t.ucx.fragment_size == 0) return invalidArgument("--ucx-fragment-size 0: must be > 0");
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
    return invalidArgument("--schedule " + c.schedule + " needs at least 2 ranks, got " + std::to_string(world_size) +
                           " (launch with mpirun -np N, N >= 2)");
  }
  if ((c.schedule == "one-to-all" || c.schedule == "all-to-one") && c.root >= world_size) {
    return invalidArgument("--root " + std::to_string(c.root) + ": only " + std::to_string(world_size) + " ranks");
  }
  for (const auto& [a, b] : c.pairs) {
    if (a >= world_size || b >= world_size) {
      return invalidArgument("--pairs " + std::to_string(a) + ":" + std::to_string(b) + ": only " +
                             std::to_string(world_size) + " ranks (0.." + std::to_string(world_size - 1) + ")");
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
