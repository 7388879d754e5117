#include "bench/app.h"

#include <iostream>

#include "bench/measure.h"
#include "bench/report.h"
#include "bench/transport_choice.h"
#include "bootstrap/factory.h"
#include "common/launcher_env.h"
#include "common/logging.h"
#include "engine/memory/dram_buffer.h"

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

// Checks every rank agrees on before anything is allocated: world size, output paths.
Status checkWorld(const BenchConfig& c, bootstrap::Bootstrap& bs) {
  Status mine = validateForWorld(c, bs.size());
  if (mine.isOk() && bs.rank() == 0) {
    for (const auto& [path, flag] : {std::pair{c.json_path, "--json"}, {c.csv_path, "--csv"}, {c.html_path, "--html"}}) {
      if (mine.isOk() && !path.empty()) mine = checkWritable(path, flag);
    }
  }
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
  if (!c.json_path.empty()) keep(writeJsonReport(report, c.json_path));
  if (!c.csv_path.empty()) keep(writeCsvReport(report, c.csv_path));
  if (!c.html_path.empty()) keep(writeHtmlReport(report, c.html_path));
  return first;
}

bool anyExpectationFailed(const RunReport& report) {
  for (const auto& b : report.blocks) {
    if (!b.analysis.failing.empty()) return true;
  }
  return false;
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
  Result<std::unique_ptr<engine::DramBuffer>> buffer =
      engine::DramBuffer::allocate({c.buffer_size, c.numa_node, c.huge_pages});
  if (!buffer.isOk()) return fail(buffer.status().withContext("--buffer-size " + formatSize(c.buffer_size)));
  // Touch every page now, not inside a measurement.
  std::fill_n((*buffer)->data(), (*buffer)->length(), uint8_t{0});

  RunReport report;
  report.config = &c;
  report.world_size = bs.size();
  for (int r = 0; r < bs.size(); ++r) report.hosts.push_back(bs.hostname(r));
  report.launcher = launcherEnv().launcher;
  report.bootstrap = bs.kind();
  report.transport = (*transports)[0];
  report.start_time = start_time;
  report.memory = {{"kind", "dram"}, {"bytes", (*buffer)->length()}, {"numa_node", (*buffer)->numaNode()},
                   {"huge_pages", (*buffer)->hugePages()}, {"threads_numa_node", c.numa_node}};
  for (const std::string& name : *transports) {
    Result<TransportRun> run = measureTransport(c, bs, name, (*buffer)->data(), (*buffer)->length());
    if (!run.isOk()) return fail(run.status().withContext(name));
    if (report.transport_details.is_null()) report.transport_details = run->details;
    report.transports_details[name] = run->details;
    for (auto& b : run->blocks) report.blocks.push_back(std::move(b));
  }
  report.end_time = isoTimeNow();

  int code = kExitOk;
  if (root) {
    printTerminalReport(report, std::cout);
    if (!writeReports(report, c).isOk()) code = kExitEnvironment;
    if (code == kExitOk && anyExpectationFailed(report)) code = kExitExpectation;
  }
  // Every rank leaves with rank 0's verdict.
  Result<Bytes> verdict = bs.broadcast(Bytes{static_cast<uint8_t>(code)}, 0, deadlineFrom(c));
  if (!verdict.isOk()) TE_LOG(WARN) << "final verdict: " << verdict.status().message();
  return verdict.isOk() && !verdict->empty() ? (*verdict)[0] : code;
}

}  // namespace te::bench
