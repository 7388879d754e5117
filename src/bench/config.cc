#include "bench/config.h"

#include <CLI/CLI.hpp>
#include <cmath>

#include "common/launcher_env.h"
#include "common/version.h"
#include "engine/topology/nccl_topology.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

// A CLI11 option that takes a size with units ("64K", "1GiB") and names itself in errors.
void addSizeOption(CLI::App& app, const std::string& names, uint64_t* target, const std::string& help) {
  app.add_option_function<std::string>(
         names,
         [target, names](const std::string& text) {
           Result<uint64_t> v = parseSize(text);
           if (!v.isOk()) throw CLI::ValidationError(names.substr(0, names.find(',')), v.status().message());
           *target = *v;
         },
         help)
      ->type_name("SIZE");
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

Status parsePairs(const std::string& text, std::vector<std::pair<int, int>>* out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t colon = item.find(':');
    char* end = nullptr;
    long a = colon == std::string::npos ? -1 : std::strtol(item.c_str(), &end, 10);
    bool ok = colon != std::string::npos && end == item.c_str() + colon && a >= 0;
    long b = ok ? std::strtol(item.c_str() + colon + 1, &end, 10) : -1;
    ok = ok && *end == '\0' && colon + 1 < item.size() && b >= 0 && a != b;
    if (!ok) {
      return invalidArgument("--pairs " + text + ": '" + item +
                             "' is not INITIATOR:TARGET (two different ranks, e.g. 0:3,2:5)");
    }
    out->emplace_back(static_cast<int>(a), static_cast<int>(b));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return Status::ok();
}

// The strings of --memory / --initiator-memory / --target-memory / --gpu-id.
struct MemoryFlags {
  std::string memory, initiator, target, gpu = "auto";
  bool use_vram = false;     // Mooncake's --use_vram
  std::string ucx_alloc = "on";
};

Status parseMemoryKind(const std::string& flag, const std::string& text, engine::MemoryKind* out) {
  if (text == "dram") *out = engine::MemoryKind::kDram;
  else if (text == "vram") *out = engine::MemoryKind::kVram;
  else return invalidArgument(flag + " " + text + ": allowed values are dram, vram");
  return Status::ok();
}

Status finishMemory(BenchConfig* c, const MemoryFlags& m) {
  engine::MemoryKind both = m.use_vram ? engine::MemoryKind::kVram : engine::MemoryKind::kDram;
  if (!m.memory.empty()) TE_RETURN_IF_ERROR(parseMemoryKind("--memory", m.memory, &both));
  c->initiator_memory = c->target_memory = both;
  if (m.ucx_alloc != "on" && m.ucx_alloc != "off") {
    return invalidArgument("--ucx-alloc " + m.ucx_alloc + ": allowed values are on, off");
  }
  c->transport_config.ucx.allocate = m.ucx_alloc == "on";
  if (!m.initiator.empty()) TE_RETURN_IF_ERROR(parseMemoryKind("--initiator-memory", m.initiator, &c->initiator_memory));
  if (!m.target.empty()) TE_RETURN_IF_ERROR(parseMemoryKind("--target-memory", m.target, &c->target_memory));
  if (m.gpu == "auto") {
    c->gpu_id = -1;
    return Status::ok();
  }
  char* end = nullptr;
  long id = std::strtol(m.gpu.c_str(), &end, 10);
  if (m.gpu.empty() || *end != '\0' || id < 0 || id > 1023) {
    return invalidArgument("--gpu-id " + m.gpu + ": allowed a GPU ordinal 0..1023 or auto");
  }
  c->gpu_id = static_cast<int>(id);
  return Status::ok();
}

// Turns the strings the flags collected into typed fields; the first problem is returned.
Status finishParsing(BenchConfig* c, const std::string& operation, const std::string& block_sizes,
                     const std::string& report_unit, std::string log_level, double bootstrap_timeout,
                     const std::string& pairs, const std::string& expect) {
  if (operation == "read") c->operation = Workload::kRead;
  else if (operation == "write") c->operation = Workload::kWrite;
  else if (operation == "mix") c->operation = Workload::kMix;
  else return invalidArgument("--operation " + operation + ": allowed values are read, write, mix");
  Result<std::vector<uint64_t>> sizes = parseBlockSizes(block_sizes);
  if (!sizes.isOk()) return invalidArgument("--block-size " + block_sizes + ": " + sizes.status().message());
  c->block_sizes = *sizes;
  c->block_size = *std::max_element(c->block_sizes.begin(), c->block_sizes.end());
  if (!parseRateUnit(report_unit, &c->report_unit)) {
    return invalidArgument("--report-unit " + report_unit + ": allowed values are GB, GiB, Gb");
  }
  if (log_level.empty()) log_level = launcherEnv().log_level;
  if (!log_level.empty() && !parseLogLevel(log_level, &c->log_level)) {
    return invalidArgument("--log-level " + log_level + ": allowed values are debug, info, warn, error, off");
  }
  if (bootstrap_timeout == -1) bootstrap_timeout = c->timeout;
  if (!(bootstrap_timeout >= 1) || bootstrap_timeout > 86400) {
    return invalidArgument("--bootstrap-timeout " + std::to_string(bootstrap_timeout) + ": allowed 1..86400 seconds");
  }
  c->bootstrap.timeout = std::chrono::milliseconds(static_cast<int64_t>(bootstrap_timeout * 1000));
  if (!pairs.empty()) TE_RETURN_IF_ERROR(parsePairs(pairs, &c->pairs));
  if (!expect.empty()) {
    Result<double> rate = parseRate(expect);
    if (!rate.isOk()) return invalidArgument("--expect " + expect + ": " + rate.status().message());
    c->expect_bytes_per_second = *rate;
  }
  auto& v = c->transport_config.verbs;
  if (v.gid_index < 0 && launcherEnv().gid_index) v.gid_index = *launcherEnv().gid_index;
  c->fault_inject = launcherEnv().fault_inject;
  v.fault_inject = c->fault_inject;  // verbs applies the badrkey / oob rules itself
  // --topo-file: the flag, else NCCL's own setting (environment, then /etc/nccl.conf); off: none.
  if (v.topo_file == "off") {
    v.topo_file.clear();
  } else if (!v.topo_file.empty()) {
    v.topo_file_from = "--topo-file";
  } else if (!launcherEnv().nccl_topo_file.empty()) {
    v.topo_file = launcherEnv().nccl_topo_file;
    v.topo_file_from = "NCCL_TOPO_FILE";
  } else if (std::string conf = engine::ncclConfTopoFile(); !conf.empty()) {
    v.topo_file = conf;
    v.topo_file_from = "NCCL_TOPO_FILE of /etc/nccl.conf";
  }
  c->transport_config.num_workers = c->threads;
  // --transport: auto, one name, a comma list, or all (every transport built and usable).
  c->transports.clear();
  if (c->transport == "all") {
    for (const auto& t : engine::builtinTransports()) c->transports.push_back(t.name);
  } else {
    std::stringstream ss(c->transport);
    for (std::string item; std::getline(ss, item, ',');) c->transports.push_back(item);
  }
  return Status::ok();
}

}  // namespace

const char* kScheduleNames() { return "pairs, shift, sequential, bidir, one-to-all, all-to-one"; }

const char* workloadName(Workload w) {
  switch (w) {
    case Workload::kRead: return "read";
    case Workload::kWrite: return "write";
    case Workload::kMix: return "mix";
  }
  return "?";
}

Result<std::vector<uint64_t>> parseBlockSizes(const std::string& text) {
  std::vector<uint64_t> out;
  size_t colon = text.find(':');
  if (colon != std::string::npos) {
    TE_ASSIGN_OR_RETURN(uint64_t lo, parseSize(text.substr(0, colon)));
    TE_ASSIGN_OR_RETURN(uint64_t hi, parseSize(text.substr(colon + 1)));
    if (lo == 0 || hi < lo) return invalidArgument("a range is LOW:HIGH with 0 < LOW <= HIGH");
    for (uint64_t s = lo; s <= hi && out.size() < 64; s *= 2) out.push_back(s);
    return out;
  }
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    TE_ASSIGN_OR_RETURN(uint64_t s, parseSize(item));
    out.push_back(s);
  }
  if (out.empty()) return invalidArgument("no size given");
  return out;
}

Result<double> parseRate(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit(end);
  if (end == text.c_str() || !(v > 0) || !std::isfinite(v)) {
    return invalidArgument("not a rate (e.g. 23GB/s, 200Gb/s, 1.5GiB/s, 800MB/s)");
  }
  if (unit.size() > 2 && unit.substr(unit.size() - 2) == "/s") unit.resize(unit.size() - 2);
  static const struct { const char* name; double factor; } kUnits[] = {
      {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"TB", 1e12}, {"GiB", double(1ull << 30)}, {"MiB", double(1 << 20)},
      {"Gb", 1e9 / 8}, {"Mb", 1e6 / 8}, {"Tb", 1e12 / 8}, {"Gbps", 1e9 / 8}, {"B", 1}};
  for (const auto& u : kUnits) {
    if (unit == u.name) return v * u.factor;
  }
  return invalidArgument("unknown unit '" + unit + "' (allowed GB/s, MB/s, GiB/s, MiB/s, Gb/s, Mb/s)");
}

ParseResult parseCommandLine(int argc, const char* const* argv, BenchConfig* c) {
  ParseResult result;
  for (int i = 0; i < argc; ++i) c->command_line.emplace_back(argv[i]);
  CLI::App app{"te_bench: all-pairs one-sided READ / WRITE throughput through a transfer engine.\n"
               "Launch with: mpirun -np N te_bench [options]   |   te_bench compare OLD.json NEW.json",
               "te_bench"};
  app.set_version_flag("--version", std::string("te_bench ") + kVersion + " (" + kGitRevision + ")");
  app.get_formatter()->column_width(34);
  // A flag given twice takes the last value, so a flags file can be overridden on the command line.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  std::string operation = "write", report_unit = "GB", log_level, block_sizes = "64K", pairs, expect;
  double bootstrap_timeout = -1;
  bool no_retest = false;
  MemoryFlags memory;
  std::string ucx_write_completion = "remote";
  app.add_option("--transport", c->transport,
                 "auto | all | a list of " + engine::builtinTransportNames() + " (auto: the best one here)")
      ->capture_default_str();
  app.add_option("--operation", operation, "read | write | mix")->capture_default_str();
  app.add_option("--read-ratio", c->read_ratio, "mix: fraction of READs")->capture_default_str();
  app.add_option("--seed", c->seed, "mix: random seed")->capture_default_str();
  app.add_option("--block-size,--block_size", block_sizes, "bytes per request: 64K, a list 4K,64K,1M or a range 4K:64M")
      ->capture_default_str();
  app.add_option("--batch-size,--batch_size", c->batch_size, "requests per batch")->capture_default_str();
  app.add_option("--threads", c->threads, "worker threads per rank")->capture_default_str();
  app.add_option("--batches-in-flight", c->batches_in_flight,
                 "batches each thread keeps submitted (1: submit, wait, submit, as Mooncake's bench)")
      ->capture_default_str();
  addSizeOption(app, "--buffer-size,--buffer_size", &c->buffer_size,
                "registered buffer per rank, e.g. 64M, 1GiB (default 1GiB; half local, half exposed)");
  app.add_option("--duration", c->duration, "seconds measured per link")->capture_default_str();
  app.add_option("--iterations", c->iterations, "batches per thread per link instead of --duration");
  app.add_option("--warmup", c->warmup, "seconds of warm-up per link")->capture_default_str();
  app.add_option("--samples", c->samples, "sub-windows per link (median and spread)")->capture_default_str();
  app.add_option("--schedule", c->schedule, std::string("link schedule: ") + kScheduleNames())->capture_default_str();
  app.add_option("--root", c->root, "one-to-all / all-to-one: the root rank")->capture_default_str();
  app.add_option("--pairs", pairs, "measure only these links, e.g. 0:3,2:5");
  app.add_option("--ranks-per-node", c->ranks_per_node, "locality by rank / N instead of host names");
  app.add_option("--threshold", c->threshold, "flag links below this x the median of comparable links")
      ->capture_default_str();
  app.add_flag("--no-retest", no_retest, "do not re-measure flagged links alone");
  app.add_option("--max-retests", c->max_retests,
                 "re-measure at most this many flagged links, worst first (each takes --warmup + --duration)")
      ->capture_default_str();
  app.add_option("--expect", expect, "pass / fail: every link at least this rate (e.g. 23GB/s); exit 4 otherwise");
  app.add_option("--expect-line-rate", c->expect_line_rate, "pass / fail: this fraction of the device line rate");
  app.add_flag("--integrity-check", c->integrity_check, "verify every byte moved (exit 3 on a mismatch)");
  app.add_option("--json", c->json_path, "write the JSON report to FILE")->type_name("FILE");
  app.add_option("--csv", c->csv_path, "write one CSV row per link to FILE")->type_name("FILE");
  app.add_option("--html", c->html_path, "write a self-contained HTML heatmap to FILE")->type_name("FILE");
  app.add_option("--report-unit", report_unit, "GB | GiB | Gb (per second)")->capture_default_str();
  app.add_option("--report-precision", c->report_precision, "digits after the point")->capture_default_str();
  app.add_option("--progress", c->progress, "auto | on | off: progress on stderr, a rewritten line on a terminal; in a log, whole lines for blocks of a minute or more, one a minute (auto), or for every block, one every 10 s (on)")->capture_default_str();
  app.add_option("--log-level", log_level, "debug | info | warn | error | off (or TE_LOG_LEVEL)");
  app.add_option("--timeout", c->timeout, "seconds any wait may take (bootstrap, connect, a stalled link)")
      ->capture_default_str();
  app.add_flag("--huge-pages", c->huge_pages, "back buffers with 2 MiB huge pages");
  app.add_option("--numa-node", c->numa_node, "bind buffers and threads to this NUMA node (-1: local)")
      ->capture_default_str();
  app.add_option("--memory", memory.memory, "dram | vram: where both sides' buffers live (default dram)");
  app.add_option("--initiator-memory", memory.initiator, "dram | vram: the initiator side's buffer (overrides --memory)");
  app.add_option("--target-memory", memory.target, "dram | vram: the target side's buffer (overrides --memory)");
  app.add_flag("--use-vram,--use_vram", memory.use_vram, "Mooncake's spelling of --memory vram");
  app.add_option("--gpu-id,--gpu_id", memory.gpu, "vram: CUDA device ordinal, or auto (local rank -> GPU)")
      ->capture_default_str();
  app.add_option("--bootstrap", c->bootstrap.spec, "auto | mpi | etcd://host:port[,host:port] | redis://host:port (auto: mpi under mpirun / srun)")
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
  app.add_option("--topo-file", v.topo_file,
                 "verbs: NCCL topology XML that pairs GPUs with NICs where sysfs cannot (cloud VMs); off: none "
                 "(default: NCCL_TOPO_FILE, from the environment or /etc/nccl.conf)");
  addSizeOption(app, "--ucx-max-inflight", &c->transport_config.ucx.max_inflight_bytes,
                "ucx: bytes in flight per worker (default 64M)");
  addSizeOption(app, "--ucx-fragment-size", &c->transport_config.ucx.fragment_size,
                "ucx: large requests are split into pieces of this size (default 1M)");
  app.add_option("--ucx-alloc", memory.ucx_alloc,
                 "ucx: DRAM buffers from ucp_mem_map ALLOCATE, which shared memory can map (on), or bench memory (off)")
      ->capture_default_str();
  app.add_option("--ucx-write-completion", ucx_write_completion,
                 "ucx: a WRITE is done when its data reached the target (remote) or when UCX no longer needs "
                 "the source buffer (local, as ucx_perftest counts)")
      ->capture_default_str();
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
  c->retest = !no_retest && c->max_retests != 0;
  Status s = finishParsing(c, operation, block_sizes, report_unit, log_level, bootstrap_timeout, pairs, expect);
  if (s.isOk()) s = finishMemory(c, memory);
  if (s.isOk() && ucx_write_completion != "remote" && ucx_write_completion != "local") {
    s = invalidArgument("--ucx-write-completion " + ucx_write_completion + ": allowed values are remote, local");
  }
  c->transport_config.ucx.remote_write_completion = ucx_write_completion == "remote";
  if (!s.isOk()) {
    result.outcome = ParseOutcome::kError;
    result.error = s;
  }
  return result;
}

}  // namespace te::bench
