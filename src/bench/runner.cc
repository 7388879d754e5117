#include "bench/runner.h"

#include <thread>

#include "common/logging.h"

namespace te::bench {

struct Runner::ThreadState {
  int index = 0;
  engine::BatchId batch = 0;
  std::vector<engine::TransferRequest> requests;
  std::vector<uint32_t> finished;
  uint64_t chunk_begin = 0;   // this thread's slice of the buffer
  uint64_t blocks = 1;        // blocks in the slice
  uint64_t cursor = 0;
  // Per link:
  uint64_t bytes = 0, ops = 0;
  Clock::time_point start{}, end{};
  Histogram latency;
  Status status;
};

Runner::Runner(const BenchConfig& config, bootstrap::Bootstrap& bootstrap, engine::TransferEngine& engine,
               engine::RegionId region, uint8_t* base, uint64_t region_length)
    : config_(config), bootstrap_(bootstrap), engine_(engine), region_(region), base_(base),
      region_length_(region_length) {}

Runner::~Runner() {
  for (auto& t : threads_) (void)engine_.freeBatch(t->batch);
}

Result<std::unique_ptr<Runner>> Runner::create(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                               engine::TransferEngine& engine, engine::RegionId region,
                                               uint8_t* base, uint64_t region_length) {
  std::unique_ptr<Runner> r(new Runner(config, bootstrap, engine, region, base, region_length));
  // Each thread cycles through its own slice of the buffer (whole blocks); when the buffer
  // is too small for a slice per thread, the threads share it.
  uint64_t per_thread = region_length / static_cast<uint64_t>(config.threads);
  uint64_t blocks_per_thread = per_thread / config.block_size;
  for (int i = 0; i < config.threads; ++i) {
    auto t = std::make_unique<ThreadState>();
    t->index = i;
    TE_ASSIGN_OR_RETURN(t->batch, engine.allocateBatch(i, config.batch_size));
    t->requests.resize(config.batch_size);
    t->finished.resize(config.batch_size);
    if (blocks_per_thread >= 1) {
      t->chunk_begin = static_cast<uint64_t>(i) * blocks_per_thread * config.block_size;
      t->blocks = blocks_per_thread;
    } else {
      t->chunk_begin = 0;
      t->blocks = std::max<uint64_t>(1, region_length / config.block_size);
    }
    r->threads_.push_back(std::move(t));
  }
  return r;
}

Status Runner::runBatch(ThreadState& t, bool measuring) {
  for (auto& req : t.requests) {
    uint64_t offset = t.chunk_begin + (t.cursor++ % t.blocks) * config_.block_size;
    req.source = base_ + offset;
    req.target_offset = offset;
  }
  const Clock::time_point t0 = Clock::now();
  TE_RETURN_IF_ERROR(engine_.submitTransfer(t.batch, t.requests));
  auto last_progress = t0;
  auto backoff = std::chrono::microseconds(20);
  int idle_spins = 0;
  const auto stall_limit = std::chrono::duration<double>(config_.timeout);
  while (!engine_.batchDone(t.batch)) {
    size_t n = engine_.progress(t.batch, t.finished);
    if (n > 0) {
      auto now = Clock::now();
      if (measuring) {
        uint64_t ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0).count());
        for (size_t i = 0; i < n; ++i) t.latency.record(ns);
      }
      last_progress = now;
      idle_spins = 0;
      backoff = std::chrono::microseconds(20);
      continue;
    }
    // Nothing finished: spin briefly, then wait on the transport with a growing bound so
    // ranks that share cores leave them to the ranks that are measuring.
    if (++idle_spins < 16) continue;
    engine_.waitForProgress(t.batch, backoff);
    backoff = std::min(backoff * 2, std::chrono::microseconds(1000));
    if (abort_.load(std::memory_order_relaxed)) return internalError("aborted");
    if (Clock::now() - last_progress > stall_limit) {
      return deadlineExceeded("no completion from rank " + std::to_string(t.requests[0].target_id) + " (" +
                              bootstrap_.hostname(t.requests[0].target_id) + ") for " +
                              std::to_string(static_cast<int>(config_.timeout)) + " s (--timeout)");
    }
  }
  size_t failed = 0;
  engine_.batchDone(t.batch, &failed);
  if (failed > 0) {
    Status e = engine_.batchError(t.batch);
    return e.isOk() ? unavailable(std::to_string(failed) + " requests failed") : e;
  }
  if (measuring) {
    t.bytes += config_.batch_size * config_.block_size;
    t.ops += config_.batch_size;
    t.end = Clock::now();
  }
  return engine_.reuseBatch(t.batch);
}

void Runner::workerLoop(ThreadState& t, int target, Deadline warm_end, Deadline measure_end) {
  t.bytes = t.ops = 0;
  t.latency.clear();
  t.status = Status::ok();
  t.start = t.end = Clock::time_point{};
  for (auto& req : t.requests) {
    req.opcode = config_.operation;
    req.target_id = target;
    req.target_region = region_;
    req.length = config_.block_size;
  }
  bool measuring = false;
  while (!abort_.load(std::memory_order_relaxed)) {
    auto now = Clock::now();
    if (now >= measure_end) break;
    if (!measuring && now >= warm_end) {
      measuring = true;
      t.start = now;
    }
    Status s = runBatch(t, measuring);
    if (!s.isOk()) {
      t.status = s;
      abort_.store(true);
      return;
    }
  }
}

Result<LinkResult> Runner::measureLink(int target) {
  TE_RETURN_IF_ERROR(engine_.openSegment(target).status());
  abort_.store(false);
  auto start = Clock::now();
  auto warm_end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config_.warmup));
  auto measure_end = warm_end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config_.duration));
  std::vector<std::thread> workers;
  for (auto& t : threads_) {
    workers.emplace_back([this, raw = t.get(), target, warm_end, measure_end] {
      workerLoop(*raw, target, warm_end, measure_end);
    });
  }
  for (auto& w : workers) w.join();
  LinkResult result;
  result.link = {bootstrap_.rank(), target};
  Clock::time_point first{}, last{};
  for (auto& t : threads_) {
    if (!t->status.isOk()) return t->status;
    if (t->ops == 0) continue;
    result.bytes += t->bytes;
    result.ops += t->ops;
    result.latency_ns.merge(t->latency);
    if (first == Clock::time_point{} || t->start < first) first = t->start;
    if (t->end > last) last = t->end;
  }
  result.seconds = std::chrono::duration<double>(last - first).count();
  if (result.ops == 0) {
    return unavailable("no batch to rank " + std::to_string(target) + " (" + bootstrap_.hostname(target) +
                       ") finished inside --duration; raise --duration or lower --batch-size / --block-size");
  }
  return result;
}

Result<std::vector<LinkResult>> Runner::run(const std::vector<Phase>& phases) {
  std::vector<LinkResult> mine;
  const int me = bootstrap_.rank();
  const auto phase_timeout = std::chrono::milliseconds(
      static_cast<int64_t>((config_.timeout + config_.warmup + config_.duration * 2) * 1000));
  for (size_t p = 0; p < phases.size(); ++p) {
    TE_RETURN_IF_ERROR(bootstrap_.barrier(Clock::now() + phase_timeout).withContext("before phase " + std::to_string(p)));
    for (const Link& link : phases[p]) {
      if (link.initiator != me) continue;
      TE_LOG(INFO) << "phase " << p + 1 << "/" << phases.size() << ": measuring " << link.initiator << " -> "
                   << link.target;
      Result<LinkResult> r = measureLink(link.target);
      if (!r.isOk()) {
        return r.status().withContext("link " + std::to_string(link.initiator) + " -> " + std::to_string(link.target));
      }
      mine.push_back(std::move(r).value());
    }
  }
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> gathered,
                      bootstrap_.gather(serializeResults(mine), 0, Clock::now() + phase_timeout));
  if (me != 0) return mine;
  std::vector<LinkResult> all;
  for (size_t r = 0; r < gathered.size(); ++r) {
    TE_RETURN_IF_ERROR(deserializeResults(gathered[r], &all).withContext("results of rank " + std::to_string(r)));
  }
  return all;
}

}  // namespace te::bench
