#include "bench/run/app.h"

#include <sys/sysinfo.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "bench/cli/time_budget.h"
#include "bench/report/report.h"
#include "bench/report/report_congestion.h"
#include "bench/report/report_writers.h"
#include "bench/run/group_names.h"
#include "bench/run/measure.h"
#include "bench/run/transport_choice.h"
#include "bootstrap/factory.h"
#include "common/launcher_env.h"
#include "common/logging.h"
#include "common/shown_value.h"
#include "common/units.h"
#include "engine/memory/vram.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

int exitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kDataLoss: return kExitIntegrity;
    default: return kExitEnvironment;
  }
}

Deadline deadlineFrom(const BenchConfig& c) {
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(c.timeout * 1000));
}

// VRAM asked for: this build has CUDA, this host a driver and the GPU --gpu-id names.
Status checkVram(const BenchConfig& c) {
  const bool wanted = c.initiator_memory == engine::MemoryKind::kVram || c.target_memory == engine::MemoryKind::kVram;
  if (!wanted) return Status::ok();
  const char* flag = c.initiator_memory == c.target_memory ? "--memory vram"
                     : c.initiator_memory == engine::MemoryKind::kVram ? "--initiator-memory vram"
                                                                       : "--target-memory vram";
  Result<int> gpu = engine::resolveGpu({0, c.gpu_id, c.env.local_rank.value_or(0)});
  return gpu.status().withContext(flag);
}

// "0..3": the NUMA nodes sysfs lists on this host ("0" without NUMA).
std::string numaNodesHere(int* highest) {
  *highest = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/devices/system/node", ec)) {
    const std::string name = e.path().filename();
    if (name.rfind("node", 0) == 0 && name.size() > 4 && std::isdigit(static_cast<unsigned char>(name[4]))) {
      *highest = std::max(*highest, std::atoi(name.c_str() + 4));
    }
  }
  return "0.." + std::to_string(*highest);
}

// What the flags ask of this host: a NUMA node it has, what each transport's options need of
// it (an interface: the registry's check_host), buffers that fit in its memory. Every rank
// checks its own host; the first failure is printed once, by rank 0.
Status checkHost(const BenchConfig& c, const std::string& host, int ranks_here) {
  int highest = 0;
  std::string nodes = numaNodesHere(&highest);
  if (c.numa_node > highest) {
    return invalidArgument("--numa-node " + std::to_string(c.numa_node) + ": " + host + " has NUMA nodes " + nodes +
                           "; allowed -1 (local) or " + nodes);
  }
  for (const engine::TransportInfo& t : engine::registeredTransports()) {
    const engine::TransportDescriptor& d = t.descriptor();
    if (d.check_host) TE_RETURN_IF_ERROR(d.check_host(c.transport_config, host));
  }
  struct sysinfo si{};
  uint64_t dram = (c.initiator_memory == engine::MemoryKind::kDram ? c.buffer_size / 2 : 0) +
                  (c.target_memory == engine::MemoryKind::kDram ? c.buffer_size / 2 : 0);
  if (::sysinfo(&si) == 0) {
    const uint64_t total = static_cast<uint64_t>(si.totalram) * si.mem_unit;
    if (dram > 0 && dram > total / static_cast<uint64_t>(ranks_here)) {
      const std::string ranks = ranks_here > 1 ? " x " + std::to_string(ranks_here) + " ranks" : "";
      return invalidArgument("--buffer-size " + formatSize(c.buffer_size) + ranks + ": more DRAM than " + host +
                             " has (" + formatSize(total) + "); allowed at most " +
                             formatSize(total / static_cast<uint64_t>(ranks_here)) + " of DRAM per rank there");
    }
  }
  return Status::ok();
}

// Checks every rank agrees on before anything is allocated: world size, this host, output
// paths, VRAM.
Status checkWorld(const BenchConfig& c, bootstrap::Bootstrap& bs) {
  Status mine = validateForWorld(c, bs.size());
  int ranks_here = 0;
  for (int r = 0; r < bs.size(); ++r) ranks_here += bs.hostname(r) == bs.hostname(bs.rank());
  if (mine.isOk()) mine = checkHost(c, bs.hostname(bs.rank()), std::max(ranks_here, 1));
  if (mine.isOk()) mine = checkVram(c);
  if (mine.isOk() && bs.rank() == 0) mine = checkReportPaths(c);
  return bootstrap::agreeOnStatus(bs, mine, deadlineFrom(c));
}

// Writes the files asked for; the first failure is returned (after trying all).
Status writeReports(const RunReport& report, const BenchConfig& c) {
  Status first;
  auto keep = [&first](const Status& s) {
    if (!s.isOk()) {
      printError(s);
      if (first.isOk()) first = s;
    }
  };
  for (const ReportWriter& w : reportWriters()) {
    if (!(c.*w.path).empty()) keep(w.write(report, c.*w.path));
  }
  return first;
}

// Rank 0's buffer at the top ("kind", "bytes", "numa_node", ...), then both sides and every rank's.
nlohmann::json memorySummary(const nlohmann::json& per_rank, const BenchConfig& c) {
  nlohmann::json mine = per_rank.is_array() && !per_rank.empty() ? per_rank[0] : nlohmann::json::object();
  const nlohmann::json local = mine.value("initiator", nlohmann::json::object());
  const nlohmann::json exposed = mine.value("target", nlohmann::json::object());
  const std::string ik = local.value("kind", "dram"), tk = exposed.value("kind", "dram");
  return {{"kind", ik == tk ? ik : ik + "->" + tk},
          {"bytes", local.value("bytes", uint64_t{0}) + exposed.value("bytes", uint64_t{0})},
          {"numa_node", local.value("numa_node", -1)}, {"huge_pages", local.value("huge_pages", false)},
          {"threads_numa_node", mine.value("threads_numa_node", c.numa_node)},
          {"numa_reason", mine.value("numa_reason", "")}, {"initiator", local}, {"target", exposed}, {"ranks", per_rank}};
}

// --huge-pages where a rank got none: one line for the job (rank 0's), not one per rank and buffer.
void warnOfMissingHugePages(const BenchConfig& c, const nlohmann::json& per_rank) {
  if (!c.huge_pages || !per_rank.is_array()) return;
  std::string ranks;
  for (size_t r = 0; r < per_rank.size(); ++r) {
    for (const char* side : {"initiator", "target"}) {
      const nlohmann::json buffer = per_rank[r].value(side, nlohmann::json::object());
      if (buffer.value("kind", "dram") == "dram" && !buffer.value("huge_pages", false)) {
        ranks += (ranks.empty() ? "" : ",") + std::to_string(r);
        break;
      }
    }
  }
  if (ranks.empty()) return;
  std::cerr << "te_bench: warning: --huge-pages: no huge pages for the buffers of rank(s) " << ranks << " of "
            << per_rank.size() << ", which used normal pages (HugePages_Free in /proc/meminfo)" << std::endl;
}

// A rank other than 0 whose run stopped: its own failure went to rank 0, which reports the
// job's (and ends it); what it says itself is the root's silence, once under a launcher
// (rank 1 at once, the others 2 s later, which the launcher spares them as it ends the job).
int leaveStopped(bootstrap::Bootstrap& bs, const Status& s) {
  if (bs.kind() == "mpi" && bs.rank() > 1) std::this_thread::sleep_for(std::chrono::seconds(2));
  printError(s);
  // Never MPI_Finalize here: a rank lost or frozen would hold it. The launcher ends the rest.
  // Over etcd / redis the root has ended the job (or is gone): this rank just leaves.
  if (bs.kind() == "mpi") bs.abortJob(exitCodeFor(s));
  return exitCodeFor(s);
}

// Rank 0, the run stopped early: the matrix of what was measured and the reports asked for,
// the reason once, exit 1 (or the failure's own code), and the job ended (a frozen rank
// would hold the launcher forever).
int reportStopped(RunReport& report, const BenchConfig& c, bootstrap::Bootstrap& bs, const Status& stopped,
                  Checkpoint& checkpoint) {
  report.failure = stopped.message();
  const int code = exitCodeFor(stopped) == kExitUsage ? kExitEnvironment : exitCodeFor(stopped);
  checkpoint.writeFinal([&] {
    printTerminalReport(report, std::cout);
    (void)writeReports(report, c);
    return code;
  });
  printError(stopped);
  bs.abortJob(code);
  return code;
}

bool anyExpectationFailed(const RunReport& report) {
  for (const auto& b : report.blocks) {
    if (!b.analysis.failing.empty()) return true;
  }
  return false;
}

}  // namespace

void printError(const Status& status) { std::cerr << "te_bench: " << status.message() << std::endl; }

int runBench(const BenchConfig& given) {
  const std::string start_time = isoTimeNow();
  // The options as run: --time-budget fits them to the world below. It lives as long as the
  // process, like the checkpoint that may still report with it.
  BenchConfig& c = *new BenchConfig(given);
  c.started = Clock::now();
  Result<std::unique_ptr<bootstrap::Bootstrap>> created = bootstrap::createBootstrap(c.bootstrap, c.env);
  if (!created.isOk()) {
    // Every rank of an MPI job meets the same MPI: rank 0 says it. A KV rank says its own (its
    // server may be unreachable from its node alone).
    auto resolved = bootstrap::resolveBootstrapOptions(c.bootstrap, c.env);
    const bool mpi = resolved.isOk() && !resolved->kv;
    const Status failed = created.status().withContext("bootstrap " + c.bootstrap.spec);
    if (!mpi || printsUsageErrors(c.env)) {
      printError(failed);
    } else if (failed.code() == StatusCode::kDeadlineExceeded) {
      // A rank that did not arrive may be rank 0 itself: the others say it too, 2 s later,
      // which mpirun spares them when rank 0 could say it (it ends the job at its exit).
      std::this_thread::sleep_for(std::chrono::seconds(2));
      printError(failed);
    }
    return exitCodeFor(failed);
  }
  bootstrap::Bootstrap& bs = **created;
  const bool root = bs.rank() == 0;
  if (c.on_failure == "continue" && !bs.enableSurvivingLosses()) {
    const Status s = invalidArgument("--on-failure continue: the " + bs.kind() + " bootstrap cannot go on without a rank");
    if (root) printError(s);
    return exitCodeFor(s);
  }
  setLogIdentity(bs.rank(), bs.hostname(bs.rank()));

  // --groups by host or switch, now that the hosts are known (every rank gets rank 0's ranks).
  Status world = shareGroups(&c, bs, deadlineFrom(c));
  if (world.isOk()) world = checkWorld(c, bs);
  if (!world.isOk()) {
    if (root) printError(world);
    return exitCodeFor(world);
  }
  std::string skipped;
  Result<std::vector<std::string>> transports = chooseTransports(c, bs, &skipped);
  if (!transports.isOk()) {
    if (root) printError(transports.status());
    return exitCodeFor(transports.status());
  }
  if (root && !skipped.empty()) {
    std::cerr << "te_bench: --transport " << c.transport << ": using " << (*transports)[0]
              << (transports->size() > 1 ? " and others" : "") << " (" << skipped << ")" << std::endl;
  }
  if (c.time_budget > 0) {
    // Every rank fits the same options to the same world: no message needed to agree.
    World world{bs.size(), 1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), transports->size()};
    std::map<std::string, int> per_host;
    for (int r = 0; r < bs.size(); ++r) world.busiest_host = std::max(world.busiest_host, ++per_host[bs.hostname(r)]);
    Result<std::string> plan = fitTimeBudget(&c, world);
    if (!plan.isOk()) {
      if (root) printError(plan.status());
      return exitCodeFor(plan.status());
    }
    if (root) std::cerr << *plan << std::endl;
  }

  // From here on a failure may be seen by one rank only: it reports and ends the job,
  // except a failed integrity check, which every rank has agreed on.
  auto fail = [&bs, root](const Status& s) -> int {
    if (s.code() == StatusCode::kDataLoss) {
      if (root) printError(s);
      return kExitIntegrity;
    }
    TE_LOG(ERROR) << s.message();
    bs.abortJob(exitCodeFor(s));
    return exitCodeFor(s);
  };
  RunReport report;
  report.config = &c;
  report.world_size = bs.size();
  for (int r = 0; r < bs.size(); ++r) report.hosts.push_back(bs.hostname(r));
  report.launcher = c.env.launcher;
  report.bootstrap = bs.kind();
  report.transport = (*transports)[0];
  report.start_time = start_time;
  // Rank 0 keeps what was measured where a SIGTERM (the launcher ending the job after a rank
  // died) or a Ctrl-C can still report it; it lives as long as the process (its thread may
  // fire until exit).
  Checkpoint* checkpoint = nullptr;
  if (root) {
    checkpoint = new Checkpoint(report);
    checkpoint->writeOnTermination([&c](const RunReport& r) { (void)writeReports(r, c); });
  }
  Status stopped;
  std::string not_run;
  for (const std::string& name : *transports) {
    Result<TransportRun> run = measureTransport(c, bs, name, checkpoint);
    if (!run.isOk()) return fail(run.status().withContext(name));
    if (!run->stopped.isOk() && !root) return leaveStopped(bs, run->stopped.withContext(name));
    if (report.transport_details.is_null()) {
      report.transport_details = run->details;
      report.memory = memorySummary(run->memory, c);
    }
    report.transports_details[name] = run->details;
    for (auto& b : run->blocks) report.blocks.push_back(std::move(b));
    if (!run->stopped.isOk()) {
      stopped = run->stopped.withContext(name);
      break;
    }
    // --on-failure continue: a transport connects every rank, so the next ones are not run.
    report.lost = run->lost;
    if (!report.lost.empty() && name != transports->back()) {
      not_run = "; not measured: the transports after " + name;
      break;
    }
  }
  report.end_time = isoTimeNow();
  addCongestionImpacts(&report);
  if (!stopped.isOk()) return reportStopped(report, c, bs, stopped, *checkpoint);
  if (c.on_failure == "continue") {
    report.failure = wentOnWithoutText(report);
    report.went_on = !report.failure.empty();
    if (report.went_on) report.failure += not_run;
  }

  int code = kExitOk;
  if (root) {
    warnOfMissingHugePages(c, report.memory.value("ranks", nlohmann::json()));
    // The first rank to leave with a non-zero verdict makes mpirun end the others: rank 0's
    // reports must not be replaced by the checkpoint's snapshot then.
    code = checkpoint->writeFinal([&] {
      printTerminalReport(report, std::cout);
      if (!writeReports(report, c).isOk()) return int(kExitEnvironment);
      if (report.went_on) return int(kExitEnvironment);  // a rank lost or a link failed: a partial verdict
      return anyExpectationFailed(report) ? int(kExitExpectation) : int(kExitOk);
    });
    if (report.went_on) printError(unavailable(report.failure));
  }
  // Every rank leaves with rank 0's verdict.
  Result<Bytes> verdict = bs.broadcast(Bytes{static_cast<uint8_t>(code)}, 0, afterRootWork(c, bs.size()));
  if (!verdict.isOk()) TE_LOG(WARN) << "final verdict: " << verdict.status().message();
  return verdict.isOk() && !verdict->empty() ? (*verdict)[0] : code;
}

}  // namespace te::bench
