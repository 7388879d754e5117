#include "bench/run/runner.h"

#include "bench/run/runner_state.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "common/bytes.h"
#include "common/fast_random.h"
#include "common/logging.h"
#include "common/thread_name.h"
#include "common/watchdog.h"
#include "engine/memory/dram_buffer.h"

namespace te::bench {

namespace {

// Which of `count` slices of `slice` seconds `elapsed` falls in (the last one past them).
uint32_t sliceAt(Clock::duration elapsed, double slice, uint32_t count) {
  const double at = std::chrono::duration<double>(elapsed).count() / slice;
  return at <= 0 ? 0 : static_cast<uint32_t>(std::min<double>(at, count - 1));
}

// Slices wholly past after `elapsed` (at most `count`), when no thread has looked at that many
// yet: the caller is the one to look (once per slice per link, whichever thread comes first).
std::optional<uint32_t> claimNewSlices(Clock::duration elapsed, double slice, uint32_t count,
                                       std::atomic<uint32_t>& checked) {
  const double at = std::chrono::duration<double>(elapsed).count() / slice;
  const uint32_t done = at <= 0 ? 0 : static_cast<uint32_t>(std::min<double>(at, count));
  uint32_t seen = checked.load(std::memory_order_relaxed);
  if (done <= seen || !checked.compare_exchange_strong(seen, done)) return std::nullopt;
  return done;
}

std::unique_ptr<std::atomic<uint64_t>[]> zeroed(uint32_t n) {
  auto a = std::make_unique<std::atomic<uint64_t>[]>(n);
  for (uint32_t i = 0; i < n; ++i) a[i].store(0, std::memory_order_relaxed);
  return a;
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
                                               engine::RegionId exposed_region, size_t max_links) {
  std::unique_ptr<Runner> r(new Runner(config, bootstrap, engine, memory, exposed_region));
  r->is_lost_.assign(static_cast<size_t>(bootstrap.size()), false);
  // --batches-in-flight per thread, or one batch for each link a thread alternates between
  // (within the engine's batches), so that a slow link never holds its neighbours' slots.
  // --integrity-check keeps --batches-in-flight: what is in flight must fit the blocks a
  // thread owns (config_validate.cc).
  const size_t threads = static_cast<size_t>(config.threads);
  const size_t per_link = config.integrity_check ? 1 : (max_links + threads - 1) / threads;
  const size_t slots = std::max<size_t>(static_cast<size_t>(config.batches_in_flight),
                                        std::min(per_link, engine::TransferEngine::kMaxBatches / threads));
  for (int i = 0; i < config.threads; ++i) {
    auto t = std::make_unique<ThreadState>();
    t->index = i;
    // Pushed one by one so that the destructor frees whatever was allocated before a failure.
    r->threads_.push_back(std::move(t));
    ThreadState& ts = *r->threads_.back();
    for (size_t k = 0; k < slots; ++k) {
      TE_ASSIGN_OR_RETURN(engine::BatchId id, engine.allocateBatch(i, config.batch_size));
      ts.pipeline.push_back({id});
    }
    ts.order.reserve(ts.pipeline.size());
    ts.requests.resize(config.batch_size);
    ts.finished.resize(config.batch_size);
    ts.rng = splitmix(config.seed ^ (static_cast<uint64_t>(bootstrap.rank()) << 32) ^ static_cast<uint64_t>(i)) | 1;
  }
  if (config.metric == Metric::kLatency) {
    int here = 0;
    for (int k = 0; k < bootstrap.size(); ++k) here += bootstrap.hostname(k) == bootstrap.hostname(bootstrap.rank());
    const int busy = config.threads + (engine.transport().capabilities().one_sided ? 0 : 1);
    r->spin_ = static_cast<unsigned>(here * busy) <= std::thread::hardware_concurrency();
    TE_LOG(DEBUG) << "latency: " << here << " rank(s) here x " << busy << " busy thread(s), "
                  << std::thread::hardware_concurrency() << " cores: " << (r->spin_ ? "spinning" : "yielding");
  }
  return r;
}

bool Runner::wantsMeasuredBatch(const LinkAccum& link, LinkGate& gate, Clock::time_point now) const {
  if (config_.iterations > 0) return link.issued < config_.iterations;
  const auto duration = seconds(config_.duration);
  const Clock::time_point opened = gate.openedAt();
  if (config_.adaptive) {
    // --duration auto: at least --min-duration, then until the rate is known, up to the cap.
    if (now < opened + seconds(config_.min_duration) || (now < opened + duration && !rateKnown(gate, now))) return true;
  } else if (now < opened + duration) {
    return true;
  }
  // Past the nominal end a link with too few batches for a rate (a slow link, large batches)
  // goes on, up to the cap; one with none at all gets one, so it is reported, not lost.
  const uint64_t issued = gate.issued.load(std::memory_order_relaxed);
  return issued == 0 || (issued < gate.min_batches && now < opened + 2 * duration);
}

bool Runner::rateKnown(LinkGate& gate, Clock::time_point now) const {
  if (gate.settled.load(std::memory_order_relaxed)) return true;
  // Over the slices after the first (it holds the pipeline's fill).
  const std::optional<uint32_t> done = claimNewSlices(now - gate.openedAt(), slice_, gate.slice_count, gate.checked);
  if (!done || *done < 5 || gate.issued.load(std::memory_order_relaxed) < gate.min_batches) return false;
  RateEstimate e = estimateRate(*done - 1, slice_, grid_.block_size,
                                [&](size_t i) { return gate.slices[i + 1].load(std::memory_order_relaxed); });
  if (e.half_width < 0 || e.half_width > config_.precision) return false;
  gate.settled.store(true, std::memory_order_relaxed);
  return true;
}

bool Runner::warmUpOver(LinkGate& gate, Clock::time_point now, Clock::time_point start) const {
  if (gate.warm_count == 0) return false;
  if (gate.warm_over.load(std::memory_order_relaxed)) return true;
  const std::optional<uint32_t> done = claimNewSlices(now - start, warm_slice_, gate.warm_count, gate.warm_checked);
  if (!done || *done < 3) return false;
  // Slow start over (the whole pipeline allowed, or the budget cut to the link's pace) and the
  // last warm slice no faster than the one before: the rate stopped rising.
  const bool full = gate.budget.load(std::memory_order_relaxed) >= gate.most || gate.paced.load(std::memory_order_relaxed);
  const double before = static_cast<double>(gate.warm_slices[*done - 2].load(std::memory_order_relaxed));
  const double last = static_cast<double>(gate.warm_slices[*done - 1].load(std::memory_order_relaxed));
  if (!full || before <= 0 || last > before * (1 + std::max(config_.precision, 0.02))) return false;
  gate.warm_over.store(true, std::memory_order_relaxed);
  return true;
}

void Runner::countCompleted(const ThreadState& t, const InFlight& f, size_t n, Clock::time_point now) const {
  LinkGate& gate = gates_[f.link->index];
  const uint64_t bytes = n * grid_.block_size;
  if (f.measuring) {
    gate.slices[sliceAt(now - gate.openedAt(), slice_, gate.slice_count)].fetch_add(bytes, std::memory_order_relaxed);
  } else if (gate.warm_count > 0) {
    gate.warm_slices[sliceAt(now - t.clock.start, warm_slice_, gate.warm_count)].fetch_add(bytes, std::memory_order_relaxed);
  }
}

Runner::Next Runner::nextLink(ThreadState& t, Clock::time_point now, LinkAccum** out) {
  const size_t n = t.assigned.size();
  const bool warm_phase = now < t.clock.warm_end;
  bool waiting = false;
  for (size_t k = 0; k < n; ++k) {
    LinkAccum& candidate = t.links[t.assigned[t.turn++ % n]];
    LinkGate& gate = gates_[candidate.index];
    if (gate.inflight.load(std::memory_order_relaxed) >= gate.budget.load(std::memory_order_relaxed)) {
      waiting = true;  // the link's pace allows no more in flight now
      continue;
    }
    if (warm_phase && !warmUpOver(gate, now, t.clock.start)) {
      *out = &candidate;
      return Next::kWarm;
    }
    if (!candidate.drained) {
      if (candidate.warm_inflight > 0) {  // its warm-up batches are still on the link
        waiting = true;
        continue;
      }
      candidate.drained = true;
      // The last thread to drain opens the window.
      if (gate.draining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        gate.opened.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
      }
    }
    if (gate.opened.load(std::memory_order_acquire) == 0) {  // another thread's are still on it
      waiting = true;
      continue;
    }
    if (wantsMeasuredBatch(candidate, gate, now)) {
      *out = &candidate;
      return Next::kMeasure;
    }
  }
  return waiting ? Next::kWait : Next::kDone;
}

Status Runner::submitBatch(ThreadState& t, InFlight& f, LinkAccum& link, bool measuring, Clock::time_point now) {
  const uint64_t begin = grid_.begins[t.index];
  const uint64_t block_size = grid_.block_size;
  const bool mix = config_.operation == Workload::kMix;
  uint8_t* const local = memory_.local->data();
  const uint64_t read_cut = static_cast<uint64_t>(config_.read_ratio * 18446744073709551615.0);
  // What the link's budget leaves (at least one: threads racing for the last of it may
  // overshoot by a request each), spread over the link's pipeline slots: one batch taking the
  // whole budget would leave nothing queued behind it, and the link idle at each completion.
  LinkGate& gate = gates_[link.index];
  const uint64_t budget = gate.budget.load(std::memory_order_relaxed);
  const uint64_t inflight = gate.inflight.load(std::memory_order_relaxed);
  const uint64_t share = (budget + gate.slots - 1) / gate.slots;
  const uint64_t n = std::clamp<uint64_t>(std::min(budget > inflight ? budget - inflight : 1, share), 1,
                                          config_.batch_size);
  gate.inflight.fetch_add(n, std::memory_order_relaxed);
  for (uint64_t i = 0; i < n; ++i) {
    engine::TransferRequest& req = t.requests[i];
    uint64_t offset = begin + (t.cursor++ % grid_.blocks) * block_size;
    req.source = local + offset;
    req.target_offset = offset;
    req.target_id = link.target;
    req.length = block_size;
    if (mix) req.opcode = xorshift(t.rng) < read_cut ? engine::OpCode::kRead : engine::OpCode::kWrite;
  }
  f.link = &link;
  f.measuring = measuring;
  f.requests = n;
  f.t0 = now;
  if (link.inflight_requests == 0) link.moved = f.t0;  // an idle link's clock starts now
  link.inflight_requests += n;
  if (measuring) {
    const int samples = config_.samples;
    f.sample = config_.iterations > 0 ? static_cast<int>(link.issued * samples / config_.iterations)
               : config_.adaptive ? static_cast<int>(sliceAt(f.t0 - gate.openedAt(), slice_, gate.slice_count))
                                  : sampleOf(f.t0, gate.openedAt(), config_.duration, samples);
    ++link.issued;
    gate.issued.fetch_add(1, std::memory_order_relaxed);
  } else {
    ++link.warm_inflight;
  }
  return engine_.submitTransfer(f.batch, std::span<const engine::TransferRequest>(t.requests.data(), n));
}

void Runner::recordLatency(const InFlight& f, size_t finished, Clock::time_point now) {
  if (!f.measuring) return;
  // From submission: with more than one batch in flight this includes the wait behind the
  // batch ahead, as a request of an application's queue would see it.
  const auto ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - f.t0).count());
  for (size_t i = 0; i < finished; ++i) f.link->latency.record(ns);
}

Status Runner::finishBatch(InFlight& f, Clock::time_point done) {
  size_t failed = 0;
  engine_.batchDone(f.batch, &failed);
  if (failed > 0) {
    Status e = engine_.batchError(f.batch);
    return e.isOk() ? unavailable(std::to_string(failed) + " requests failed") : e;
  }
  LinkAccum& link = *f.link;
  if (f.measuring) {
    // The whole batch, from its submission to its completion (window.h, rule 2).
    link.window.record(f.t0, done, f.requests * grid_.block_size, f.requests, f.sample);
  } else {
    --link.warm_inflight;
  }
  adaptBudget(link, f, done);
  link.inflight_requests -= f.requests;
  gates_[link.index].inflight.fetch_sub(f.requests, std::memory_order_relaxed);
  f.link = nullptr;
  return engine_.reuseBatch(f.batch);
}

// What the link may have in flight: what its round trip needs plus what drains within the
// drain target (a link far away, or one that reports its completions late, needs its round
// trip's worth in flight to be measured at its rate, not at its latency). Each phase starts
// with one request (a slow start); it doubles while a batch waited less than half the drain
// target beyond the link's quickest round trip (little queued ahead of it), and shrinks only
// when a whole epoch's pace says the budget takes more than twice round trip + target.
void Runner::adaptBudget(LinkAccum& link, const InFlight& f, Clock::time_point done) const {
  if (config_.iterations > 0) return;  // --iterations: whole batches, as asked
  LinkGate& gate = gates_[link.index];
  const double latency = std::chrono::duration<double>(done - f.t0).count();
  link.quickest = std::min(link.quickest, latency);
  const double allowed = drainTarget() + link.quickest;
  const uint64_t budget = gate.budget.load(std::memory_order_relaxed);
  if (budget < gate.most && latency - link.quickest <= drainTarget() / 2) {
    gate.budget.store(std::min(gate.most, 2 * budget), std::memory_order_relaxed);
  }
  const uint64_t requests = gate.epoch_requests.fetch_add(f.requests, std::memory_order_relaxed) + f.requests;
  Clock::rep began = gate.epoch.load(std::memory_order_relaxed);
  if (began == 0) {
    gate.epoch.compare_exchange_strong(began, f.t0.time_since_epoch().count());
    return;
  }
  const double epoch = std::chrono::duration<double>(done - Clock::time_point(Clock::duration(began))).count();
  if (epoch < allowed || !gate.epoch.compare_exchange_strong(began, done.time_since_epoch().count())) return;
  gate.epoch_requests.fetch_sub(requests, std::memory_order_relaxed);
  const double pace = epoch / double(requests);  // seconds per request over the epoch
  if (pace * double(budget) > 2 * allowed) {
    gate.paced.store(true, std::memory_order_relaxed);
    gate.budget.store(std::max<uint64_t>(1, static_cast<uint64_t>(allowed / pace)), std::memory_order_relaxed);
  }
}

double Runner::drainTarget() const { return std::clamp(config_.duration / 8, 0.002, 0.5); }

Status Runner::driveThread(ThreadState& t) {
  auto backoff = std::chrono::microseconds(20);
  int idle_spins = 0;
  uint32_t passes = 0;
  const auto stall_limit = seconds(config_.timeout);
  while (!abort_.load(std::memory_order_relaxed)) {
    // Keep the pipeline full: every idle batch goes out before anything is polled.
    Next next = Next::kDone;
    for (auto& f : t.pipeline) {
      if (f.link) continue;
      LinkAccum* link = nullptr;
      const Clock::time_point now = Clock::now();
      next = nextLink(t, now, &link);
      if (next == Next::kWait || next == Next::kDone) break;
      TE_RETURN_IF_ERROR(submitBatch(t, f, *link, next == Next::kMeasure, now));
      t.order.push_back(static_cast<size_t>(&f - t.pipeline.data()));
    }
    if (t.order.empty()) {
      if (next == Next::kDone) return Status::ok();  // nothing left to submit or to wait for
      // Drained, waiting for the link's other threads to drain theirs: nothing to poll.
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::microseconds(1000));
      continue;
    }
    bool moved = false;
    for (size_t k = 0; k < t.order.size();) {
      InFlight& f = t.pipeline[t.order[k]];
      // All of this thread's batches share its worker: poll it once per pass (for the first
      // batch), the others collect what that poll routed to them. Polling it per batch cost a
      // progress call (an epoll_wait over UCX's tcp) per batch, for nothing.
      size_t n = engine_.progress(f.batch, t.finished, k == 0);
      Clock::time_point at{};
      if (n > 0) {
        at = Clock::now();
        recordLatency(f, n, at);
        f.link->moved = at;
        countCompleted(t, f, n, at);
        moved = true;
      }
      if (!engine_.batchDone(f.batch)) {
        ++k;
        continue;
      }
      TE_RETURN_IF_ERROR(finishBatch(f, n > 0 ? at : Clock::now()));
      t.order.erase(t.order.begin() + static_cast<std::ptrdiff_t>(k));
      moved = true;
    }
    // Each link on its own: one link's completions must not hide another link's stall, and
    // a batch queued behind another on a slow link is not stalled while the link moves.
    // Every 64th pass, moving or not: --timeout is seconds, and a clock read per pass would
    // set the pace of a latency run's polling where reading the clock is slow (an emulated
    // guest's HPET: ~1.8 us).
    const auto now = (++passes & 63) == 0 ? Clock::now() : Clock::time_point{};
    for (size_t k : t.order) {
      if (now == Clock::time_point{}) break;
      const InFlight& f = t.pipeline[k];
      if (now - std::max(f.t0, f.link->moved) <= stall_limit) continue;
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
    // ranks that share cores leave them to the ranks that are measuring. A latency is
    // measured polling, as perftest does: a sleep would be counted in it; yielding (spin_)
    // lets ranks that share a core take turns.
    if (++idle_spins < 16) continue;
    if (config_.metric == Metric::kLatency) {
      if (!spin_) std::this_thread::yield();
      continue;
    }
    engine_.waitForProgress(t.pipeline[t.order.front()].batch, backoff);
    backoff = std::min(backoff * 2, std::chrono::microseconds(1000));
  }
  return Status::ok();  // another thread failed; its error is the one reported
}

void Runner::workerLoop(ThreadState& t, const PhaseClock& clock) {
  t.order.clear();
  t.status = engine::bindThreadToNumaNode(memory_.numa_node);
  if (t.status.isOk()) {
    t.clock = clock;
    t.status = driveThread(t);
  }
  if (!t.status.isOk()) abort_.store(true);
}

LinkResult Runner::collect(size_t link_index, int target, Histogram* all) const {
  LinkResult result;
  Histogram latency;
  result.link = {bootstrap_.rank(), target};
  std::vector<const LinkWindow*> windows;
  for (const auto& t : threads_) {
    const LinkAccum& a = t->links[link_index];
    windows.push_back(&a.window);
    latency.merge(a.latency);
  }
  const LinkGate& gate = gates_[link_index];
  WindowResult w = combineWindows(windows, gate.min_batches, config_.adaptive ? config_.samples : 0);
  result.bytes = w.bytes;
  result.ops = w.ops;
  result.batches = w.batches;
  result.seconds = w.seconds;
  result.samples = std::move(w.samples);
  result.lower_bound = w.lower_bound;
  // The slices wholly inside the window, after the first (window.h, rule 6).
  const auto whole = static_cast<uint32_t>(std::min<double>(w.seconds / slice_, gate.slice_count));
  if (whole >= 3) {
    result.precision =
        estimateRate(whole - 1, slice_, grid_.block_size, [&](size_t i) { return gate.slices[i + 1].load(std::memory_order_relaxed); })
            .half_width;
  }
  if (!w.inconsistency.empty()) {
    result.invalid = true;
    result.error = std::move(w.inconsistency);
  }
  result.latency_ns = LatencySummary::of(latency);
  all->merge(latency);
  return result;
}

void Runner::preparePhase(const std::vector<int>& targets) {
  const size_t m = targets.size();
  const size_t nthreads = threads_.size();
  gates_ = std::make_unique<LinkGate[]>(m);
  // Slices (window.h, rule 6): a fifth of --min-duration with --duration auto, else a
  // twentieth of the window; enough for a window extended to twice its length.
  slice_ = config_.adaptive ? config_.min_duration / 5 : config_.duration / 20;
  const auto slice_count = static_cast<uint32_t>(std::ceil(2 * config_.duration / slice_)) + 2;
  warm_slice_ = std::clamp(config_.warmup / 20, 0.001, 0.01);
  const uint32_t warm_count =
      config_.adaptive && config_.warmup > 0 ? static_cast<uint32_t>(std::ceil(config_.warmup / warm_slice_)) + 2 : 0;
  for (size_t i = 0; i < m; ++i) {
    gates_[i].slices = zeroed(slice_count);
    gates_[i].slice_count = slice_count;
    if (warm_count > 0) gates_[i].warm_slices = zeroed(warm_count);
    gates_[i].warm_count = warm_count;
  }
  std::vector<uint64_t> pipeline(m, 0);
  for (auto& t : threads_) {
    t->links.assign(m, LinkAccum{});
    for (size_t i = 0; i < m; ++i) {
      t->links[i].target = targets[i];
      t->links[i].index = i;
      t->links[i].window.reset(config_.adaptive ? static_cast<int>(slice_count) : config_.samples);
    }
    // Every link gets at least one thread; with fewer threads than links, a thread
    // alternates between its links batch by batch.
    t->assigned.clear();
    if (nthreads >= m) {
      t->assigned.push_back(t->index % m);
    } else {
      for (size_t i = t->index; i < m; i += nthreads) t->assigned.push_back(i);
    }
    // The thread's batches are shared between its links: each may have its share in flight
    // (at least one), so that a slow link cannot take the slots its thread's other links need.
    const uint64_t share = std::max<uint64_t>(1, t->pipeline.size() / t->assigned.size());
    for (size_t i : t->assigned) {
      gates_[i].draining.fetch_add(1, std::memory_order_relaxed);
      pipeline[i] += share;
    }
    for (auto& req : t->requests) {
      req.opcode = config_.operation == Workload::kRead ? engine::OpCode::kRead : engine::OpCode::kWrite;
      req.target_region = exposed_region_;
    }
  }
  // Two pipelines' worth of batches, every slot refilled once: below that the window is the
  // pipeline's fill and drain, which weigh on the rate (window.h, rule 5).
  // --iterations: whole batches from the start; else the budget starts at one request and
  // grows with the link's pace (adaptBudget).
  for (size_t i = 0; i < m; ++i) {
    gates_[i].min_batches = std::max<uint64_t>(kMinBatches, 2 * pipeline[i]);
    // --metric latency: one request on the link at a time, whatever the threads on it.
    gates_[i].most = config_.metric == Metric::kLatency ? 1 : pipeline[i] * config_.batch_size;
    gates_[i].slots = std::max<uint64_t>(1, pipeline[i]);
    gates_[i].budget = config_.iterations > 0 ? gates_[i].most : 1;
  }
}

void Runner::replaceStuckBatches() {
  // What healthy links still had in flight drains within half a second; the rest is stuck.
  const Clock::time_point until = Clock::now() + std::chrono::milliseconds(500);
  bool busy = true;
  while (busy && Clock::now() < until) {
    busy = false;
    for (auto& t : threads_) {
      for (InFlight& f : t->pipeline) {
        if (!f.link) continue;
        (void)engine_.progress(f.batch, t->finished);
        if (engine_.batchDone(f.batch) && engine_.reuseBatch(f.batch).isOk()) f.link = nullptr;
        else busy = true;
      }
    }
    if (busy) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& t : threads_) {
    for (InFlight& f : t->pipeline) {
      if (!f.link) continue;
      // Its requests may never complete (RDMA work cannot be cancelled): the engine keeps the
      // batch, this slot gets a new one (without one it stays out of use).
      Result<engine::BatchId> fresh = engine_.allocateBatch(t->index, config_.batch_size);
      if (!fresh.isOk()) {
        TE_LOG(WARN) << "worker " << t->index << ": a batch stuck in flight and no batch to replace it: "
                     << fresh.status().message();
        continue;
      }
      f.batch = *fresh;
      f.link = nullptr;
    }
  }
}

Result<std::vector<LinkResult>> Runner::measurePhase(const std::vector<int>& targets, Histogram* all) {
  const size_t m = targets.size();
  preparePhase(targets);
  for (int target : targets) TE_RETURN_IF_ERROR(engine_.openSegment(target).status());
  // Per NIC pair, what each link posts over the phase (verbs): counted before and after.
  std::vector<std::vector<engine::NicTraffic>> nics_before(m);
  for (size_t i = 0; i < m; ++i) nics_before[i] = engine_.transport().nicTraffic(targets[i]);
  abort_.store(false);
  PhaseClock clock;
  clock.start = Clock::now();
  clock.warm_end = clock.start + seconds(config_.warmup);
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable finished_cv;
  size_t finished = 0;
  for (size_t i = 0; i < threads_.size(); ++i) {
    workers.emplace_back([&, raw = threads_[i].get(), i, clock] {
      nameThisThread("te-worker" + std::to_string(i));
      workerLoop(*raw, clock);
      std::lock_guard<std::mutex> lock(mutex);
      ++finished;
      finished_cv.notify_one();
    });
  }
  // While the workers measure, this thread tells whoever waits for this rank that it lives
  // (a phase may run long: --iterations, a slow link); a frozen rank falls silent.
  const auto beat = silence() / 4;
  {
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished_cv.wait_for(lock, beat, [&] { return finished == workers.size(); })) {
      lock.unlock();
      bootstrap_.heartbeat();
      if (while_measuring_) while_measuring_();
      lock.lock();
    }
  }
  for (auto& w : workers) w.join();
  for (auto& t : threads_) {
    if (t->status.isOk()) continue;
    replaceStuckBatches();
    return t->status;
  }
  std::vector<LinkResult> out;
  for (size_t i = 0; i < m; ++i) {
    LinkResult r = collect(i, targets[i], all);
    r.nics = engine::nicTrafficSince(nics_before[i], engine_.transport().nicTraffic(targets[i]));
    if (r.nics.size() < 2) r.nics.clear();  // one NIC pair: its bytes are the link's (rank 0 keeps 1M links)
    if (r.ops == 0) {
      return unavailable("no batch to rank " + std::to_string(targets[i]) + " (" + bootstrap_.hostname(targets[i]) +
                         ") finished inside --duration; raise --duration or lower --batch-size / --block-size");
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace te::bench
