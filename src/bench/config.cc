#include "bench/config.h"

#include <CLI/CLI.hpp>

#include "common/launcher_env.h"
#include "common/version.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

// A CLI11 option that takes a size with units ("64K", "1GiB") and names itself in errors.
void addSizeOption(CLI::App& app, const std::string& names, uint64_t* target, const std::string& help) {
  app.add_option_function<std::string>(
         names,
         [target, names](const std::string& text) {
           Result<uint64_t> v = parseSize(text);
           if (!v.isOk()) {
             std::string flag = names.substr(0, names.find(','));
             throw CLI::ValidationError(flag, v.status().message());
           }
           *target = *v;
         },
         help)
      ->type_name("SIZE");
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

const char* kScheduleNames() { return "pairs"; }

ParseResult parseCommandLine(int argc, const char* const* argv, BenchConfig* c) {
  ParseResult result;
  for (int i = 0; i < argc; ++i) c->command_line.emplace_back(argv[i]);
  CLI::App app{"te_bench: all-pairs one-sided READ / WRITE throughput through a transfer engine.\n"
               "Launch with: mpirun -np N te_bench [options]",
               "te_bench"};
  app.set_version_flag("--version", std::string("te_bench ") + kVersion + " (" + kGitRevision + ")");
  app.get_formatter()->column_width(34);
  // A flag given twice takes the last value, so a flags file can be overridden on the command line.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  std::string operation = "write", report_unit = "GB", log_level;
  double bootstrap_timeout = -1;
  app.add_option("--transport", c->transport,
                 "auto | " + engine::builtinTransportNames() + " (auto: the best one available here)")
      ->capture_default_str();
  app.add_option("--operation", operation, "read | write")->capture_default_str();
  addSizeOption(app, "--block-size,--block_size", &c->block_size, "bytes per request, e.g. 4096, 64K, 1M (default 64K)");
  app.add_option("--batch-size,--batch_size", c->batch_size, "requests per batch")->capture_default_str();
  app.add_option("--threads", c->threads, "worker threads per rank")->capture_default_str();
  addSizeOption(app, "--buffer-size,--buffer_size", &c->buffer_size, "registered buffer per rank, e.g. 64M, 1GiB (default 1GiB)");
  app.add_option("--duration", c->duration, "seconds measured per link")->capture_default_str();
  app.add_option("--warmup", c->warmup, "seconds of warm-up per link")->capture_default_str();
  app.add_option("--schedule", c->schedule, std::string("link schedule: ") + kScheduleNames())->capture_default_str();
  app.add_option("--json", c->json_path, "write the JSON report to FILE")->type_name("FILE");
  app.add_option("--report-unit", report_unit, "GB | GiB | Gb (per second)")->capture_default_str();
  app.add_option("--report-precision", c->report_precision, "digits after the point")->capture_default_str();
  app.add_option("--log-level", log_level, "debug | info | warn | error | off (or TE_LOG_LEVEL)");
  app.add_option("--timeout", c->timeout, "seconds any wait may take (bootstrap, connect, a stalled link)")
      ->capture_default_str();
  app.add_flag("--huge-pages", c->huge_pages, "back buffers with 2 MiB huge pages");
  app.add_option("--numa-node", c->numa_node, "bind buffers to this NUMA node (-1: local)")->capture_default_str();
  app.add_option("--bootstrap", c->bootstrap.spec, "mpi | etcd://host:port[,host:port] | redis://host:port")
      ->capture_default_str();
  app.add_option("--rank", c->bootstrap.rank, "this process's rank (etcd / redis bootstrap; default: launcher env)");
  app.add_option("--size", c->bootstrap.size, "number of ranks (etcd / redis bootstrap; default: launcher env)");
  app.add_option("--job-id", c->bootstrap.job_id, "job id shared by all ranks (etcd / redis; default: launcher env)");
  app.add_option("--bootstrap-timeout", bootstrap_timeout, "seconds to wait for every rank to arrive (default: --timeout)");
  auto& v = c->transport_config.verbs;
  app.add_option("--devices", v.devices, "verbs: RDMA devices to use, e.g. mlx5_0,mlx5_1 (default: all active)")
      ->delimiter(',');
  app.add_option("--gid-index", v.gid_index, "verbs: RoCE GID index (default: auto, or MC_GID_INDEX)");
  app.add_option("--ib-port", v.ib_port, "verbs: port number (0: first active)")->capture_default_str();
  app.add_option("--qps-per-peer", v.qps_per_peer, "verbs: RC QPs per peer and device")->capture_default_str();
  addSizeOption(app, "--slice-size", &v.slice_size, "verbs: requests are split into slices of this size (default 64K)");
  app.add_option("--max-wr", v.max_wr, "verbs: send queue depth per QP")->capture_default_str();
  app.add_option("--nic-priority-matrix", v.nic_priority_matrix, "verbs: Mooncake NIC priority matrix (JSON file)");
  addSizeOption(app, "--ucx-max-inflight", &c->transport_config.ucx.max_inflight_bytes,
                "ucx: bytes in flight per worker (default 16M)");
  addSizeOption(app, "--ucx-fragment-size", &c->transport_config.ucx.fragment_size,
                "ucx: large requests are split into pieces of this size (default 1M)");
  app.add_option("--tcp-interface", c->transport_config.tcp.interface, "tcp: advertise this interface's address");
  app.add_option("--tcp-service-threads", c->transport_config.tcp.service_threads,
                 "tcp: target-side threads (0: one per worker)")->capture_default_str();
  app.add_option("--tcp-max-inflight", c->transport_config.tcp.max_inflight,
                 "tcp: requests in flight per connection")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.outcome = ParseOutcome::kExitOk;
    result.output = app.help();
    return result;
  } catch (const CLI::CallForVersion&) {
    result.outcome = ParseOutcome::kExitOk;
    result.output = app.version() + "\n";
    return result;
  } catch (const CLI::ParseError& e) {
    result.outcome = ParseOutcome::kError;
    result.error = invalidArgument(firstLine(e.what()));
    return result;
  }

  if (operation == "read") {
    c->operation = engine::OpCode::kRead;
  } else if (operation == "write") {
    c->operation = engine::OpCode::kWrite;
  } else {
    result.outcome = ParseOutcome::kError;
    result.error = invalidArgument("--operation " + operation + ": allowed values are read, write");
    return result;
  }
  if (!parseRateUnit(report_unit, &c->report_unit)) {
    result.outcome = ParseOutcome::kError;
    result.error = invalidArgument("--report-unit " + report_unit + ": allowed values are GB, GiB, Gb");
    return result;
  }
  if (log_level.empty()) log_level = launcherEnv().log_level;
  if (!log_level.empty() && !parseLogLevel(log_level, &c->log_level)) {
    result.outcome = ParseOutcome::kError;
    result.error = invalidArgument("--log-level " + log_level + ": allowed values are debug, info, warn, error, off");
    return result;
  }
  c->transport_config.num_workers = c->threads;
  if (bootstrap_timeout == -1) bootstrap_timeout = c->timeout;
  if (!(bootstrap_timeout >= 1) || bootstrap_timeout > 86400) {
    result.outcome = ParseOutcome::kError;
    result.error = invalidArgument("--bootstrap-timeout " + std::to_string(bootstrap_timeout) + ": allowed 1..86400 seconds");
    return result;
  }
  c->bootstrap.timeout = std::chrono::milliseconds(static_cast<int64_t>(bootstrap_timeout * 1000));
  if (v.gid_index < 0 && launcherEnv().gid_index) v.gid_index = *launcherEnv().gid_index;
  return result;
}

Status validateConfig(const BenchConfig& c) {
  if (c.transport != "auto" && !engine::findTransport(c.transport)) {
    return invalidArgument("--transport " + c.transport + ": allowed values are auto, " +
                           engine::builtinTransportNames() + " (transports built into this binary)");
  }
  if (c.block_size == 0) return invalidArgument("--block-size 0: must be at least 1 byte");
  if (c.buffer_size == 0) return invalidArgument("--buffer-size 0: must be at least the block size");
  if (c.block_size > c.buffer_size) {
    return invalidArgument("--block-size " + formatSize(c.block_size) + ": larger than --buffer-size " +
                           formatSize(c.buffer_size));
  }
  if (c.batch_size == 0 || c.batch_size > 65536) {
    return invalidArgument("--batch-size " + std::to_string(c.batch_size) + ": allowed 1..65536");
  }
  if (c.threads < 1 || c.threads > 256) {
    return invalidArgument("--threads " + std::to_string(c.threads) + ": allowed 1..256");
  }
  if (!(c.duration > 0) || c.duration > 86400) {
    return invalidArgument("--duration " + std::to_string(c.duration) + ": must be > 0 and at most 86400 seconds");
  }
  if (!(c.warmup >= 0) || c.warmup > 3600) {
    return invalidArgument("--warmup " + std::to_string(c.warmup) + ": must be between 0 and 3600 seconds");
  }
  if (c.schedule != "pairs") {
    return invalidArgument("--schedule " + c.schedule + ": allowed values are " + kScheduleNames());
  }
  if (c.report_precision < 0 || c.report_precision > 9) {
    return invalidArgument("--report-precision " + std::to_string(c.report_precision) + ": allowed 0..9");
  }
  if (!(c.timeout >= 1) || c.timeout > 86400) {
    return invalidArgument("--timeout " + std::to_string(c.timeout) + ": allowed 1..86400 seconds");
  }
  if (c.transport_config.tcp.max_inflight == 0 || c.transport_config.tcp.max_inflight > 65536) {
    return invalidArgument("--tcp-max-inflight " + std::to_string(c.transport_config.tcp.max_inflight) +
                           ": allowed 1..65536");
  }
  if (c.transport_config.tcp.service_threads < 0 || c.transport_config.tcp.service_threads > 256) {
    return invalidArgument("--tcp-service-threads " + std::to_string(c.transport_config.tcp.service_threads) +
                           ": allowed 0..256");
  }
  if (c.numa_node < -1) return invalidArgument("--numa-node " + std::to_string(c.numa_node) + ": allowed -1 or a node id");
  TE_RETURN_IF_ERROR(bootstrap::validateBootstrapOptions(c.bootstrap));
  const auto& v = c.transport_config.verbs;
  if (v.qps_per_peer < 1 || v.qps_per_peer > 64) {
    return invalidArgument("--qps-per-peer " + std::to_string(v.qps_per_peer) + ": allowed 1..64");
  }
  if (v.slice_size == 0) return invalidArgument("--slice-size 0: must be at least 1 byte");
  if (v.max_wr < 1 || v.max_wr > 32768) return invalidArgument("--max-wr " + std::to_string(v.max_wr) + ": allowed 1..32768");
  if (v.gid_index < -1 || v.gid_index > 255) {
    return invalidArgument("--gid-index " + std::to_string(v.gid_index) + ": allowed 0..255");
  }
  if (v.ib_port < 0 || v.ib_port > 255) return invalidArgument("--ib-port " + std::to_string(v.ib_port) + ": allowed 0..255");
  const auto& u = c.transport_config.ucx;
  if (u.max_inflight_bytes == 0) return invalidArgument("--ucx-max-inflight 0: must be > 0");
  if (u.fragment_size == 0) return invalidArgument("--ucx-fragment-size 0: must be > 0");
  return Status::ok();
}

Status validateForWorld(const BenchConfig& c, int world_size) {
  if (world_size < 2) {
    return invalidArgument("--schedule " + c.schedule + " needs at least 2 ranks, got " + std::to_string(world_size) +
                           " (launch with mpirun -np N, N >= 2)");
  }
  return Status::ok();
}

nlohmann::json configToJson(const BenchConfig& c) {
  const auto& t = c.transport_config;
  return {
      {"transport", c.transport},
      {"operation", engine::opCodeName(c.operation)},
      {"block_size", c.block_size},
      {"batch_size", c.batch_size},
      {"threads", c.threads},
      {"buffer_size", c.buffer_size},
      {"duration", c.duration},
      {"warmup", c.warmup},
      {"schedule", c.schedule},
      {"json", c.json_path},
      {"report_unit", rateUnitName(c.report_unit)},
      {"report_precision", c.report_precision},
      {"log_level", logLevelName(c.log_level)},
      {"timeout", c.timeout},
      {"huge_pages", c.huge_pages},
      {"numa_node", c.numa_node},
      {"bootstrap", c.bootstrap.spec},
      {"rank", c.bootstrap.rank ? nlohmann::json(*c.bootstrap.rank) : nlohmann::json(nullptr)},
      {"size", c.bootstrap.size ? nlohmann::json(*c.bootstrap.size) : nlohmann::json(nullptr)},
      {"job_id", c.bootstrap.job_id},
      {"bootstrap_timeout", c.bootstrap.timeout.count() / 1000.0},
      {"verbs", {{"devices", t.verbs.devices}, {"gid_index", t.verbs.gid_index}, {"ib_port", t.verbs.ib_port},
                 {"qps_per_peer", t.verbs.qps_per_peer}, {"slice_size", t.verbs.slice_size},
                 {"max_wr", t.verbs.max_wr}, {"nic_priority_matrix", t.verbs.nic_priority_matrix}}},
      {"ucx", {{"max_inflight", t.ucx.max_inflight_bytes}, {"fragment_size", t.ucx.fragment_size}}},
      {"tcp", {{"interface", t.tcp.interface}, {"service_threads", t.tcp.service_threads},
               {"max_inflight", t.tcp.max_inflight}}},
  };
}

}  // namespace te::bench
