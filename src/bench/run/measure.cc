#include "bench/run/measure.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "bench/analysis/invariants.h"
#include "bench/cli/measure_flags.h"
#include "bench/cli/time_budget.h"
#include "bench/run/bench_memory.h"
#include "bench/run/progress.h"
#include "bench/run/runner.h"
#include "bench/run/schedule.h"
#include "common/bytes.h"
#include "common/launcher_env.h"
#include "common/logging.h"
#include "engine/fault/fault_transport.h"
#include "engine/transfer_engine.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

Deadline deadlineFrom(const BenchConfig& c) {
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(c.timeout * 1000));
}

Runner::ProgressFn progressLine(const BenchConfig& c, const std::string& what) {
  const ProgressPolicy policy = progressPolicy(c.progress, ::isatty(STDERR_FILENO));
  if (policy.mode == ProgressMode::kOff) return nullptr;
  auto reporter = std::make_shared<ProgressReporter>(policy, what, std::cerr);
  const Clock::time_point start = Clock::now();
  if (c.time_budget > 0) reporter->setBudgetLeft(c.time_budget - std::chrono::duration<double>(start - c.started).count());
  return [reporter, start](size_t done, size_t total) {
    reporter->update(done, total, std::chrono::duration<double>(Clock::now() - start).count());
  };
}

Bytes encodeLinks(const std::vector<Link>& links) {
  ByteWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(links.size()));
  for (const Link& l : links) w.put<int32_t>(l.initiator).put<int32_t>(l.target);
  return w.take();
}

Result<std::vector<Link>> decodeLinks(const Bytes& b) {
  ByteReader r(b);
  uint32_t n = 0;
  if (!r.get(&n) || n > (1u << 24)) return internalError("retest list: malformed");
  std::vector<Link> links(n);
  for (auto& l : links) {
    if (!r.get(&l.initiator) || !r.get(&l.target)) return internalError("retest list: truncated");
  }
  return links;
}

Result<engine::TransportPtr> createTransport(const BenchConfig& c, const std::string& name, int rank, int world_size) {
  // What the run will register (each side is half of --buffer-size; VRAM is not locked host
  // memory) and the ranks it talks to, for limits a transport checks up front.
  engine::TransportConfig config = c.transport_config;
  config.world_size = world_size;
  config.prepares_phases = true;  // the runner calls preparePhase (connections on demand)
  config.requests_in_flight = static_cast<uint64_t>(c.batch_size) * static_cast<uint64_t>(c.batches_in_flight);
  config.largest_request = c.block_size;
  config.smallest_write = c.operation == Workload::kRead ? 0 : *std::min_element(c.block_sizes.begin(), c.block_sizes.end());
  for (engine::MemoryKind side : {c.initiator_memory, c.target_memory}) {
    if (side == engine::MemoryKind::kDram) config.pinned_host_bytes += c.buffer_size / 2;
  }
  TE_ASSIGN_OR_RETURN(engine::TransportPtr transport, engine::createTransport(name, config));
  if (c.fault_inject.empty()) return transport;
  TE_ASSIGN_OR_RETURN(auto rules, engine::parseFaultSpec(c.fault_inject));
  TE_RETURN_IF_ERROR(engine::checkFaultRulesFor(rules, name));
  TE_LOG(WARN) << "fault injection active (TE_FAULT_INJECT=" << c.fault_inject << ")";
  return engine::wrapWithFaults(std::move(transport), rank, std::move(rules));
}

// A barrier that names a rank lost: each hands an empty part to rank 0, which says go. A
// rank silent until `deadline` is lost (the others wait that long for rank 0's word too).
Status rendezvous(bootstrap::Bootstrap& bs, Deadline deadline) {
  const Clock::duration silence = std::max<Clock::duration>(deadline - Clock::now(), std::chrono::seconds(2));
  std::string lost;
  TE_ASSIGN_OR_RETURN(auto arrived, bs.gatherSurviving({}, 0, deadline, silence, &lost));
  if (!lost.empty()) return deadlineExceeded(lost);
  return bs.tell({1}, 0, deadline, silence).status();
}

// Flagged links measured again one at a time (rank 0 decides, everyone runs them).
Runner::Outcome retestFlagged(const BenchConfig& c, bootstrap::Bootstrap& bs, Runner& runner, uint64_t block_size,
                              const std::vector<Link>& flagged_at_root, const std::string& what) {
  Runner::Outcome out;
  Result<Bytes> list = bs.broadcast(encodeLinks(flagged_at_root), 0, afterRootWork(c, bs.size()));
  Result<std::vector<Link>> links = list.isOk() ? decodeLinks(*list) : Result<std::vector<Link>>(list.status());
  if (!links.isOk()) {
    out.stopped = links.status().withContext(what + " retests");
    return out;
  }
  if (links->empty()) return out;
  std::vector<Phase> phases;
  for (const Link& l : *links) phases.push_back({l});
  if (bs.rank() == 0) TE_LOG(INFO) << what << ": re-measuring " << links->size() << " flagged link(s) alone";
  out = runner.run(phases, block_size, progressLine(c, what + " retest"));
  if (!out.stopped.isOk()) out.stopped = out.stopped.withContext(what + " retests");
  return out;
}

// Every rank's buffer description, on rank 0 (kind, GPU, NUMA node per rank for the report),
// with the NICs its transport chose for them and why, where it chooses (verbs): with a GPU
// per rank, that is each rank's GPU-NIC pairing.
Result<nlohmann::json> gatherMemory(const BenchConfig& c, bootstrap::Bootstrap& bs, const BenchMemory& memory,
                                    const nlohmann::json& details) {
  nlohmann::json described = describeMemory(memory);
  if (details.is_object() && details.contains("selection")) {
    nlohmann::json nics = nlohmann::json::array();
    for (const nlohmann::json& d : details.value("devices", nlohmann::json::array())) {
      if (d.value("selected", false)) nics.push_back(d.value("name", ""));
    }
    described["nics"] = std::move(nics);
    described["nic_selection"] = details["selection"];
  }
  // Each rank's ports and why (verbs: port, link layer, GID index, P_Key and the reasons).
  if (details.is_object() && details.contains("ports")) described["ports"] = details["ports"];
  // Each rank's QoS settings (verbs: traffic class, SL, path MTUs of its QPs; ucx: what UCX got).
  if (details.is_object() && details.contains("qos")) described["qos"] = details["qos"];
  // Each rank's own line rate, for the rate invariants (invariants.h).
  if (details.is_object() && details.contains("line_rate_bytes_per_second")) {
    described["line_rate_bytes_per_second"] = details["line_rate_bytes_per_second"];
  }
  const std::string mine = described.dump();
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, bs.gather(Bytes(mine.begin(), mine.end()), 0, deadlineFrom(c)));
  nlohmann::json out = nlohmann::json::array();
  for (const Bytes& b : all) out.push_back(nlohmann::json::parse(std::string(b.begin(), b.end()), nullptr, false));
  return out;
}

// Line rates by rank (0: unknown) from the gathered memory descriptions.
std::vector<double> lineRates(const nlohmann::json& memory, int ranks) {
  std::vector<double> out(static_cast<size_t>(ranks), 0.0);
  if (!memory.is_array()) return out;
  for (size_t r = 0; r < memory.size() && r < out.size(); ++r) {
    const nlohmann::json& m = memory[r];
    if (m.is_object() && m.contains("line_rate_bytes_per_second") && m["line_rate_bytes_per_second"].is_number()) {
      out[r] = m["line_rate_bytes_per_second"].get<double>();
    }
  }
  return out;
}

}  // namespace

Deadline afterRootWork(const BenchConfig& c, int ranks) {
  const double links = double(ranks) * double(std::max(ranks - 1, 0));
  const double blocks = double(std::max<size_t>(c.block_sizes.size(), 1) * std::max<size_t>(c.transports.size(), 1));
  return deadlineFrom(c) + std::chrono::microseconds(static_cast<int64_t>(50 * links * blocks));
}

AnalysisOptions analysisOptions(const BenchConfig& c, const nlohmann::json& details) {
  AnalysisOptions o;
  o.threshold = c.threshold;
  o.latency = c.metric == Metric::kLatency;
  o.latency_threshold = c.latency_threshold;
  o.block_size = c.block_size;
  o.ranks_per_node = c.ranks_per_node;
  o.expect_bytes_per_second = c.expect_bytes_per_second;
  o.expect_line_rate = c.expect_line_rate;
  o.topology = c.topology;
  if (details.is_object() && details.contains("line_rate_bytes_per_second") &&
      details["line_rate_bytes_per_second"].is_number()) {
    o.line_rate_bytes_per_second = details["line_rate_bytes_per_second"].get<double>();
  }
  return o;
}

namespace {

// What every block of one transport shares.
struct BlockContext {
  const BenchConfig& c;
  bootstrap::Bootstrap& bs;
  const std::string& name;
  Runner& runner;
  Checkpoint* checkpoint;
  const std::vector<std::string>& hosts;
  const std::vector<double>& line_rates;
  AnalysisOptions options;
  bool several_schedules;
};

// One block: a schedule's phases at one block size, analysed on rank 0, its flagged links
// re-measured alone. false: the run stops here (run->stopped says why; rank 0 keeps the
// block); an error: the job's (a failed integrity check, exit 3).
Result<bool> measureBlock(BlockContext& m, const std::string& schedule, const std::vector<Phase>& phases,
                          uint64_t block_size, TransportRun* run) {
  const BenchConfig& c = m.c;
  bootstrap::Bootstrap& bs = m.bs;
  m.options.block_size = block_size;
  const std::string what = m.name + " " + workloadName(c.operation) + " " + formatSize(block_size) +
                           (m.several_schedules ? " " + schedule : "");
  Runner::KeptFn kept;
  if (m.checkpoint) {
    m.checkpoint->beginBlock(m.name, workloadName(c.operation), block_size, schedule, phases);
    kept = [checkpoint = m.checkpoint](const std::vector<LinkResult>& links, size_t from, size_t done) {
      checkpoint->addLinks(links, from, done);
    };
  }
  m.runner.setBlockName(what);
  Runner::Outcome measured = m.runner.run(phases, block_size, progressLine(c, what), kept);
  // A failed integrity check is every rank's verdict (agreed): the job's error, exit 3.
  if (measured.stopped.code() == StatusCode::kDataLoss) return measured.stopped;
  // A run stopped early: rank 0 reports what it holds (runner.h); the others leave.
  if (bs.rank() != 0 && !measured.stopped.isOk()) {
    run->stopped = measured.stopped;
    return false;
  }
  ResultBlock block{m.name, workloadName(c.operation), block_size, std::move(measured.results.links), {},
                    measured.results.latency_ns, {}, schedule, {}};
  std::vector<Link> flagged;
  if (bs.rank() == 0) {
    checkRates(block.links, m.line_rates, c.operation);
    block.analysis = analyzeLinks(block.links, m.hosts, m.options);
    if (c.retest && measured.stopped.isOk()) {
      // Worst first, as many as --max-retests and what is left of a --time-budget allow.
      flagged = linksToRetest(block.links, block.analysis,
                              retestsThatFit(c, static_cast<size_t>(c.max_retests), Clock::now()));
    }
  }
  if (!measured.stopped.isOk()) {
    run->blocks.push_back(std::move(block));
    run->stopped = measured.stopped;
    return false;
  }
  Runner::Outcome retests;
  if (c.retest) {
    retests = retestFlagged(c, bs, m.runner, block_size, flagged, what);
  } else {
    // The others wait for rank 0's analysis here rather than in the next phase's barrier.
    retests.stopped = rendezvous(bs, afterRootWork(c, bs.size())).withContext("analysis of " + what);
  }
  if (retests.stopped.code() == StatusCode::kDataLoss) return retests.stopped;
  if (bs.rank() != 0 && !retests.stopped.isOk()) {
    run->stopped = retests.stopped;
    return false;
  }
  if (bs.rank() == 0) {
    // Retests cut short count as not retested: the all-pairs verdict stands for them.
    std::vector<LinkResult>& alone = retests.results.links;
    alone.erase(std::remove_if(alone.begin(), alone.end(), [](const LinkResult& l) { return l.cut; }), alone.end());
    checkRates(alone, m.line_rates, c.operation);
    applyRetests(block.links, alone, m.hosts, m.options, &block.analysis);
    if (m.checkpoint) m.checkpoint->endBlock(block);
    run->blocks.push_back(std::move(block));
    if (!retests.stopped.isOk()) {
      run->stopped = retests.stopped;
      return false;
    }
  }
  return true;
}

}  // namespace

Result<TransportRun> measureTransport(const BenchConfig& c, bootstrap::Bootstrap& bs, const std::string& name,
                                      Checkpoint* checkpoint) {
  TE_ASSIGN_OR_RETURN(engine::TransportPtr transport, createTransport(c, name, bs.rank(), bs.size()));
  // The memory outlives the engine (declared first): the transport deregisters before it is freed.
  TE_ASSIGN_OR_RETURN(BenchMemory memory, allocateBenchMemory(c, *transport, c.env.local_rank.value_or(0)));
  engine::TransferEngine engine(std::move(transport));
  TE_RETURN_IF_ERROR(engine.registerLocalBuffer(*memory.local).status());
  TE_ASSIGN_OR_RETURN(engine::RegionId exposed_region, engine.registerLocalBuffer(*memory.exposed));
  TE_RETURN_IF_ERROR(engine.connect(bs, deadlineFrom(c)));
  // --schedule's list, each measured in turn at every block size (idle and loaded: congestion).
  std::vector<std::pair<std::string, std::vector<Phase>>> schedules;
  size_t max_links = 1;  // the most links this rank drives in one phase
  for (const std::string& schedule : scheduleList(c.schedule)) {
    TE_ASSIGN_OR_RETURN(std::vector<Phase> phases, makeSchedule(schedule, bs.size(), scheduleArgsOf(c), c.pairs));
    for (const Phase& phase : phases) {
      max_links = std::max<size_t>(max_links, std::count_if(phase.begin(), phase.end(), [&bs](const Link& l) {
                                     return l.initiator == bs.rank();
                                   }));
    }
    schedules.emplace_back(schedule, std::move(phases));
  }
  TE_ASSIGN_OR_RETURN(std::unique_ptr<Runner> runner,
                      Runner::create(c, bs, engine, memory, exposed_region, max_links));
  TransportRun run;
  run.details = engine.transport().describe();
  TE_ASSIGN_OR_RETURN(run.memory, gatherMemory(c, bs, memory, run.details));
  std::vector<std::string> hosts;
  for (int r = 0; r < bs.size(); ++r) hosts.push_back(bs.hostname(r));
  const std::vector<double> line_rates = lineRates(run.memory, bs.size());
  BlockContext context{c, bs, name, *runner, checkpoint, hosts, line_rates, analysisOptions(c, run.details),
                       schedules.size() > 1};
  for (uint64_t block_size : c.block_sizes) {
    for (const auto& [schedule, phases] : schedules) {
      Result<bool> go_on = measureBlock(context, schedule, phases, block_size, &run);
      run.lost = runner->lost();
      if (!go_on.isOk()) return go_on.status();
      if (!*go_on) return run;
    }
  }
  run.details = engine.transport().describe();  // after the schedule: what connecting on demand cost
  // Targets keep serving until every initiator is done with this transport. A rank lost
  // here costs nothing measured: rank 0 reports it all, the run marked incomplete.
  run.stopped = rendezvous(bs, deadlineFrom(c)).withContext("end of " + name);
  return run;
}

}  // namespace te::bench
