#include "bench/runner.h"

#include <thread>

#include "common/logging.h"
#include "common/thread_name.h"
#include "engine/memory/dram_buffer.h"

namespace te::bench {

struct Runner::LinkAccum {
  int target = -1;
  uint64_t bytes = 0, ops = 0, batches = 0;
  uint64_t issued = 0;           // measured batches submitted (--iterations counts these)
  Clock::time_point start{}, end{};
  Clock::time_point last_done{};  // when this thread's previous batch to the link finished
  Histogram latency;
  struct Slot {
    uint64_t bytes = 0;
    Clock::time_point first{}, last{};
  };
  std::vector<Slot> slots;
};

// One batch of a thread's pipeline.
struct Runner::InFlight {
  engine::BatchId batch = 0;
  LinkAccum* link = nullptr;  // null: idle
  bool measuring = false;
  int slot = 0;
  Clock::time_point t0{};
  Clock::time_point moved{};  // submission or the last completion of one of its requests
};

struct Runner::ThreadState {
  int index = 0;
  std::vector<InFlight> pipeline;  // --batches-in-flight batches
  std::vector<size_t> order;       // busy pipeline entries, oldest first (capacity reserved)
  std::vector<engine::TransferRequest> requests;
  std::vector<uint32_t> finished;
  uint64_t cursor = 0;
  uint64_t rng = 0;
  size_t turn = 0;
  std::vector<LinkAccum> links;   // one per link of the phase; only `assigned` ones are used
  std::vector<size_t> assigned;
  Clock::time_point warm_end{};
  Status status;
};

namespace {

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t xorshift(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

Runner::Runner(const BenchConfig& config, bootstrap::Bootstrap& bootstrap, engine::TransferEngine& engine,
               BenchMemory& memory, engine::RegionId exposed_region)
    : config_(config), bootstrap_(bootstrap), engine_(engine), memory_(memory), exposed_region_(exposed_region) {}

Runner::~Runner() {
  for (auto& t : threads_) {
    for (auto& f : t->pipeline) (void)engine_.freeBatch(f.batch);
  }
}

Result<std::unique_ptr<Runner>> Runner::create(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                               engine::TransferEngine& engine, BenchMemory& memory,
                                               engine::RegionId exposed_region) {
  std::unique_ptr<Runner> r(new Runner(config, bootstrap, engine, memory, exposed_region));
  for (int i = 0; i < config.threads; ++i) {
    auto t = std::make_unique<ThreadState>();
    t->index = i;
    // Pushed one by one so that the destructor frees whatever was allocated before a failure.
    r->threads_.push_back(std::move(t));
    ThreadState& ts = *r->threads_.back();
    for (int k = 0; k < config.batches_in_flight; ++k) {
      TE_ASSIGN_OR_RETURN(engine::BatchId id, engine.allocateBatch(i, config.batch_size));
      ts.pipeline.push_back({id});
    }
    ts.order.reserve(ts.pipeline.size());
    ts.requests.resize(config.batch_size);
    ts.finished.resize(config.batch_size);
    ts.rng = splitmix(config.seed ^ (static_cast<uint64_t>(bootstrap.rank()) << 32) ^ static_cast<uint64_t>(i)) | 1;
  }
  return r;
}

Runner::LinkAccum* Runner::nextLink(ThreadState& t, Clock::time_point now, Deadline warm_end, Deadline measure_end) {
  const bool measuring = now >= warm_end;
  if (config_.iterations == 0 && now >= measure_end) {
    // Past the end of the window a link that has no measured batch yet (a very slow one:
    // its warm-up batch ran over) still gets one, so it is reported rather than lost.
    for (size_t i : t.assigned) {
      if (t.links[i].issued == 0) return &t.links[i];
    }
    return nullptr;
  }
  for (size_t k = 0; k < t.assigned.size(); ++k) {
    LinkAccum& candidate = t.links[t.assigned[t.turn++ % t.assigned.size()]];
    if (!measuring || config_.iterations == 0 || candidate.issued < config_.iterations) return &candidate;
  }
  return nullptr;  // --iterations submitted on every link of this thread
}

Status Runner::submitBatch(ThreadState& t, InFlight& f, LinkAccum& link, bool measuring) {
  const uint64_t begin = grid_.begins[t.index];
  const uint64_t block_size = grid_.block_size;
  const bool mix = config_.operation == Workload::kMix;
  uint8_t* const local = memory_.local->data();
  const uint64_t read_cut = static_cast<uint64_t>(config_.read_ratio * 18446744073709551615.0);
  for (auto& req : t.requests) {
    uint64_t offset = begin + (t.cursor++ % grid_.blocks) * block_size;
    req.source = local + offset;
    req.target_offset = offset;
    req.target_id = link.target;
    req.length = block_size;
    if (mix) req.opcode = xorshift(t.rng) < read_cut ? engine::OpCode::kRead : engine::OpCode::kWrite;
  }
  f.link = &link;
  f.measuring = measuring;
  f.t0 = f.moved = Clock::now();
  if (measuring) {
    const int slots = static_cast<int>(link.slots.size());
    int slot = config_.iterations > 0
                   ? static_cast<int>(link.issued * slots / config_.iterations)
                   : static_cast<int>(std::chrono::duration<double>(f.t0 - t.warm_end).count() / config_.duration * slots);
    f.slot = std::clamp(slot, 0, slots - 1);
    ++link.issued;
  }
  return engine_.submitTransfer(f.batch, t.requests);
}

void Runner::recordLatency(const InFlight& f, size_t finished) {
  if (!f.measuring) return;
  // From submission: with more than one batch in flight this includes the wait behind the
  // batch ahead, as a request of an application's queue would see it.
  const auto ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - f.t0).count());
  for (size_t i = 0; i < finished; ++i) f.link->latency.record(ns);
}

Status Runner::finishBatch(InFlight& f) {
  size_t failed = 0;
  engine_.batchDone(f.batch, &failed);
  if (failed > 0) {
    Status e = engine_.batchError(f.batch);
    return e.isOk() ? unavailable(std::to_string(failed) + " requests failed") : e;
  }
  LinkAccum& link = *f.link;
  const auto t1 = Clock::now();
  // The link served this batch from when it was submitted or, if the batch ahead was still
  // on the link then, from when that one finished: the windows of a pipeline do not overlap.
  const auto served_from = std::max(f.t0, link.last_done);
  link.last_done = t1;
  if (f.measuring) {
    const uint64_t bytes = config_.batch_size * grid_.block_size;
    if (link.batches == 0) link.start = served_from;
    link.bytes += bytes;
    link.ops += config_.batch_size;
    link.end = std::max(link.end, t1);
    auto& s = link.slots[f.slot];
    if (s.bytes == 0 || served_from < s.first) s.first = served_from;
    s.bytes += bytes;
    s.last = std::max(s.last, t1);
    ++link.batches;
  }
  f.link = nullptr;
  return engine_.reuseBatch(f.batch);
}

Status Runner::driveThread(ThreadState& t, Deadline warm_end, Deadline measure_end) {
  auto backoff = std::chrono::microseconds(20);
  int idle_spins = 0;
  const auto stall_limit = seconds(config_.timeout);
  while (!abort_.load(std::memory_order_relaxed)) {
    // Keep the pipeline full: every idle batch goes out before anything is polled.
    for (auto& f : t.pipeline) {
      if (f.link) continue;
      LinkAccum* link = nextLink(t, Clock::now(), warm_end, measure_end);
      if (!link) break;
      TE_RETURN_IF_ERROR(submitBatch(t, f, *link, Clock::now() >= warm_end));
      t.order.push_back(static_cast<size_t>(&f - t.pipeline.data()));
    }
    if (t.order.empty()) return Status::ok();  // nothing left to submit or to wait for
    bool moved = false;
    for (size_t k = 0; k < t.order.size();) {
      InFlight& f = t.pipeline[t.order[k]];
      // All of this thread's batches share its worker: poll it once per pass (for the first
      // batch), the others collect what that poll routed to them. Polling it per batch cost a
      // progress call (an epoll_wait over UCX's tcp) per batch, for nothing.
      size_t n = engine_.progress(f.batch, t.finished, k == 0);
      if (n > 0) {
        recordLatency(f, n);
        f.moved = Clock::now();
        moved = true;
      }
      if (!engine_.batchDone(f.batch)) {
        ++k;
        continue;
      }
      TE_RETURN_IF_ERROR(finishBatch(f));
      t.order.erase(t.order.begin() + static_cast<std::ptrdiff_t>(k));
      moved = true;
    }
    // Each batch on its own: one link's completions must not hide another link's stall.
    const auto now = Clock::now();
    for (size_t k : t.order) {
      const InFlight& f = t.pipeline[k];
      if (now - f.moved <= stall_limit) continue;
      const int target = f.link->target;
      return deadlineExceeded("no completion from rank " + std::to_string(target) + " (" + bootstrap_.hostname(target) +
                              ") for " + std::to_string(static_cast<int>(config_.timeout)) + " s (--timeout)");
    }
    if (moved) {
      idle_spins = 0;
      backoff = std::chrono::microseconds(20);
      continue;
    }
    // Nothing finished: spin briefly, then wait on the transport with a growing bound so
    // ranks that share cores leave them to the ranks that are measuring.
    if (++idle_spins < 16) continue;
    engine_.waitForProgress(t.pipeline[t.order.front()].batch, backoff);
    backoff = std::min(backoff * 2, std::chrono::microseconds(1000));
  }
  return Status::ok();  // another thread failed; its error is the one reported
}

void Runner::workerLoop(ThreadState& t, Deadline warm_end, Deadline measure_end) {
  t.order.clear();
  t.status = engine::bindThreadToNumaNode(memory_.numa_node);
  if (t.status.isOk()) {
    t.warm_end = warm_end;
    t.status = driveThread(t, warm_end, measure_end);
  }
  if (!t.status.isOk()) abort_.store(true);
}

LinkResult Runner::collect(size_t link_index, int target, Histogram* all) const {
  LinkResult result;
  Histogram latency;
  result.link = {bootstrap_.rank(), target};
  Clock::time_point first{}, last{};
  std::vector<LinkAccum::Slot> slots(config_.samples);
  for (const auto& t : threads_) {
    const LinkAccum& a = t->links[link_index];
    if (a.ops == 0) continue;
    result.bytes += a.bytes;
    result.ops += a.ops;
    latency.merge(a.latency);
    if (first == Clock::time_point{} || a.start < first) first = a.start;
    last = std::max(last, a.end);
    for (size_t s = 0; s < slots.size(); ++s) {
      const auto& in = a.slots[s];
      if (in.bytes == 0) continue;
      if (slots[s].bytes == 0 || in.first < slots[s].first) slots[s].first = in.first;
      slots[s].last = std::max(slots[s].last, in.last);
      slots[s].bytes += in.bytes;
    }
  }
  result.seconds = std::chrono::duration<double>(last - first).count();
  result.latency_ns = LatencySummary::of(latency);
  all->merge(latency);
  for (const auto& s : slots) {
    double secs = std::chrono::duration<double>(s.last - s.first).count();
    if (s.bytes > 0 && secs > 0) result.samples.push_back(double(s.bytes) / secs);
  }
  return result;
}

Result<std::vector<LinkResult>> Runner::measurePhase(const std::vector<int>& targets, Histogram* all) {
  const size_t m = targets.size();
  const size_t nthreads = threads_.size();
  for (auto& t : threads_) {
    t->links.assign(m, LinkAccum{});
    for (size_t i = 0; i < m; ++i) {
      t->links[i].target = targets[i];
      t->links[i].slots.resize(config_.samples);
    }
    // Every link gets at least one thread; with fewer threads than links, a thread
    // alternates between its links batch by batch.
    t->assigned.clear();
    if (nthreads >= m) {
      t->assigned.push_back(t->index % m);
    } else {
      for (size_t i = t->index; i < m; i += nthreads) t->assigned.push_back(i);
    }
    for (auto& req : t->requests) {
      req.opcode = config_.operation == Workload::kRead ? engine::OpCode::kRead : engine::OpCode::kWrite;
      req.target_region = exposed_region_;
    }
  }
  for (int target : targets) TE_RETURN_IF_ERROR(engine_.openSegment(target).status());
  abort_.store(false);
  const auto warm_end = Clock::now() + seconds(config_.warmup);
  const auto measure_end = warm_end + seconds(config_.duration);
  std::vector<std::thread> workers;
  for (size_t i = 0; i < threads_.size(); ++i) {
    workers.emplace_back([this, raw = threads_[i].get(), i, warm_end, measure_end] {
      nameThisThread("te-worker" + std::to_string(i));
      workerLoop(*raw, warm_end, measure_end);
    });
  }
  for (auto& w : workers) w.join();
  for (auto& t : threads_) TE_RETURN_IF_ERROR(t->status);
  std::vector<LinkResult> out;
  for (size_t i = 0; i < m; ++i) {
    LinkResult r = collect(i, targets[i], all);
    if (r.ops == 0) {
      return unavailable("no batch to rank " + std::to_string(targets[i]) + " (" + bootstrap_.hostname(targets[i]) +
                         ") finished inside --duration; raise --duration or lower --batch-size / --block-size");
    }
    out.push_back(std::move(r));
  }
  return out;
}

Status Runner::verifyPhase(const Phase& phase, uint64_t epoch) {
  const int me = bootstrap_.rank();
  std::vector<int> targets, initiators;
  for (const Link& l : phase) {
    if (l.initiator == me) targets.push_back(l.target);
    if (l.target == me) initiators.push_back(l.initiator);
  }
  std::vector<std::string> hosts;
  for (int r = 0; r < bootstrap_.size(); ++r) hosts.push_back(bootstrap_.hostname(r));
  Status s;
  if (!targets.empty()) s = verifyLocalHalf(memory_, grid_, me, targets, config_.operation, epoch, hosts);
  if (s.isOk() && !initiators.empty()) {
    s = verifyExposedHalf(memory_, grid_, me, initiators, config_.operation, epoch, hosts);
  }
  return s;
}

Result<GatheredResults> Runner::run(const std::vector<Phase>& phases, uint64_t block_size,
                                    const ProgressFn& progress) {
  grid_ = makeGrid(2 * memory_.half(), block_size, config_.threads);
  GatheredResults mine;
  const int me = bootstrap_.rank();
  const double per_phase = config_.warmup + (config_.iterations ? config_.timeout : config_.duration);
  const auto phase_timeout = seconds(config_.timeout + per_phase * 2);
  for (size_t p = 0; p < phases.size(); ++p) {
    const uint64_t epoch = ++epoch_;
    if (config_.integrity_check) TE_RETURN_IF_ERROR(fillForEpoch(memory_, me, epoch));
    TE_RETURN_IF_ERROR(bootstrap_.barrier(Clock::now() + phase_timeout).withContext("before phase " + std::to_string(p + 1)));
    if (progress && me == 0) progress(p, phases.size());
    std::vector<int> targets;
    for (const Link& link : phases[p]) {
      if (link.initiator == me) targets.push_back(link.target);
    }
    if (!targets.empty()) {
      TE_LOG(DEBUG) << "phase " << p + 1 << "/" << phases.size() << ": " << targets.size() << " link(s)";
      Result<std::vector<LinkResult>> r = measurePhase(targets, &mine.latency_ns);
      if (!r.isOk()) return r.status().withContext("phase " + std::to_string(p + 1) + ", rank " + std::to_string(me));
      for (auto& lr : *r) mine.links.push_back(std::move(lr));
    }
    if (config_.integrity_check) {
      // Every initiator of the phase has finished before anyone looks at the bytes.
      TE_RETURN_IF_ERROR(bootstrap_.barrier(Clock::now() + phase_timeout));
      Status verified = verifyPhase(phases[p], epoch);
      TE_RETURN_IF_ERROR(bootstrap::agreeOnStatus(bootstrap_, verified, Clock::now() + phase_timeout));
    }
  }
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> gathered,
                      bootstrap_.gather(serializeResults(mine), 0, Clock::now() + phase_timeout));
  // After the gather: rank 0 may sit out the last phase, which ends when every rank is here.
  if (progress && me == 0) progress(phases.size(), phases.size());
  if (me != 0) return mine;
  GatheredResults all;
  for (size_t r = 0; r < gathered.size(); ++r) {
    TE_RETURN_IF_ERROR(deserializeResults(gathered[r], &all).withContext("results of rank " + std::to_string(r)));
  }
  return all;
}

}  // namespace te::bench
