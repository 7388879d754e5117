#include "bench/app.h"

#include <iostream>

#include "bench/report.h"
#include "bench/runner.h"
#include "bench/schedule.h"
#include "bench/transport_choice.h"
#include "bootstrap/factory.h"
#include "common/launcher_env.h"
#include "common/logging.h"
#include "engine/memory/dram_buffer.h"
#include "engine/memory/pattern.h"
#include "engine/transfer_engine.h"

namespace te::bench {
namespace {

int exitCodeFor(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage
         : s.code() == StatusCode::kDataLoss     ? kExitIntegrity
                                                  : kExitEnvironment;
}

Deadline deadlineFrom(const BenchConfig& c) {
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(c.timeout * 1000));
}

// Checks every rank can agree on before anything is allocated: world size, output paths.
Status checkWorld(const BenchConfig& c, bootstrap::Bootstrap& bs) {
  Status mine = validateForWorld(c, bs.size());
  if (mine.isOk() && bs.rank() == 0 && !c.json_path.empty()) mine = checkWritable(c.json_path, "--json");
  return bootstrap::agreeOnStatus(bs, mine, deadlineFrom(c));
}

}  // namespace

void printError(const Status& status) { std::cerr << "te_bench: " << status.message() << std::endl; }

int runBench(const BenchConfig& c) {
  const std::string start_time = isoTimeNow();
  Result<std::unique_ptr<bootstrap::Bootstrap>> created = bootstrap::createBootstrap(c.bootstrap);
  if (!created.isOk()) {
    printError(created.status().withContext("bootstrap " + c.bootstrap.spec));
    return exitCodeFor(created.status());
  }
  bootstrap::Bootstrap& bs = **created;
  const bool root = bs.rank() == 0;
  setLogIdentity(bs.rank(), bs.hostname(bs.rank()));

  Status world = checkWorld(c, bs);
  if (!world.isOk()) {
    if (root) printError(world);
    return exitCodeFor(world);
  }
  Result<TransportChoice> choice = chooseTransport(c, bs);
  if (!choice.isOk()) {
    if (root) printError(choice.status());
    return kExitEnvironment;
  }
  if (root && !choice->note.empty()) {
    std::cerr << "te_bench: --transport auto: using " << choice->name << " (" << choice->note << ")" << std::endl;
  }

  // From here on a failure may be seen by one rank only: it reports and ends the job.
  auto fail = [&bs](const Status& s) {
    TE_LOG(ERROR) << s.message();
    bs.abortJob(exitCodeFor(s));
    return exitCodeFor(s);
  };
  Result<std::unique_ptr<engine::TransferEngine>> engine =
      engine::TransferEngine::create(choice->name, c.transport_config);
  if (!engine.isOk()) return fail(engine.status());
  Result<std::unique_ptr<engine::DramBuffer>> buffer =
      engine::DramBuffer::allocate({c.buffer_size, c.numa_node, c.huge_pages});
  if (!buffer.isOk()) return fail(buffer.status().withContext("--buffer-size " + formatSize(c.buffer_size)));
  // Touch every page now (not inside the measurement) with a pattern a later check can verify.
  engine::fillPattern((*buffer)->data(), (*buffer)->length(), engine::patternSeed(bs.rank(), 0));
  Result<engine::RegionId> region =
      (*engine)->registerLocalMemory((*buffer)->data(), (*buffer)->length(), engine::MemoryKind::kDram);
  if (!region.isOk()) return fail(region.status());
  Status connected = (*engine)->connect(bs, deadlineFrom(c));
  if (!connected.isOk()) return fail(connected);

  Result<std::unique_ptr<Runner>> runner =
      Runner::create(c, bs, **engine, *region, (*buffer)->data(), (*buffer)->length());
  if (!runner.isOk()) return fail(runner.status());
  Result<std::vector<LinkResult>> results = (*runner)->run(pairsSchedule(bs.size()));
  if (!results.isOk()) return fail(results.status());

  int code = kExitOk;
  if (root) {
    RunReport report;
    report.config = &c;
    report.world_size = bs.size();
    for (int r = 0; r < bs.size(); ++r) report.hosts.push_back(bs.hostname(r));
    report.launcher = launcherEnv().launcher;
    report.bootstrap = bs.kind();
    report.transport = choice->name;
    report.transport_details = (*engine)->transport().describe();
    report.start_time = start_time;
    report.end_time = isoTimeNow();
    report.blocks.push_back({choice->name, engine::opCodeName(c.operation), c.block_size, std::move(results).value(), {}});
    printTerminalReport(report, std::cout);
    if (!c.json_path.empty()) {
      Status s = writeJsonReport(report, c.json_path);
      if (!s.isOk()) {
        printError(s);
        code = kExitEnvironment;
      }
    }
  }
  runner->reset();
  Status done = bs.barrier(deadlineFrom(c));
  if (!done.isOk()) TE_LOG(WARN) << "final barrier: " << done.message();
  return code;
}

}  // namespace te::bench
