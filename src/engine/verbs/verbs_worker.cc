#include "engine/verbs/verbs_worker.h"

#include "engine/verbs/qp_state.h"
#include "engine/worker/poll_set.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace te::engine::verbs {
namespace {

constexpr int kPollBatch = 32;
constexpr int kMaxRoundsPerCq = 8;  // bound the work of one poll() call
constexpr uint64_t kNotBusy = ~0ull;

}  // namespace

int postSendToQp(void*, ibv_qp* qp, ibv_send_wr* wr, ibv_send_wr** bad) { return ibv_post_send(qp, wr, bad); }

Result<std::vector<WorkerCq>> createWorkerCqs(const std::vector<ibv_context*>& contexts, const std::vector<int>& depths) {
  std::vector<WorkerCq> out;
  for (size_t i = 0; i < contexts.size(); ++i) {
    WorkerCq c;
    c.device = deviceName(contexts[i]);
    c.depth = depths[i];
    TE_ASSIGN_OR_RETURN(c.channel, createCompChannel(contexts[i]));
    TE_ASSIGN_OR_RETURN(c.cq, createCq(contexts[i], depths[i], c.channel.get()));
    out.push_back(std::move(c));
  }
  return out;
}

VerbsWorker::VerbsWorker(std::vector<WorkerCq> cqs, std::unique_ptr<SendPath> path,
                         std::chrono::milliseconds stall_timeout)
    : cqs_(std::move(cqs)),
      path_(std::move(path)),
      stall_timeout_(stall_timeout),
      stall_window_(std::chrono::steady_clock::now()) {
  watchLanes();
}

void VerbsWorker::watchLanes() {
  stall_window_ = std::chrono::steady_clock::now();
  stall_marks_.assign(path_->laneCount(), kNotBusy);
  healths_.clear();
  for (uint32_t lane = 0; lane < path_->laneCount(); ++lane) {
    const DeviceHealth* h = path_->laneHealth(lane);
    if (h != nullptr && std::find(healths_.begin(), healths_.end(), h) == healths_.end()) healths_.push_back(h);
  }
  epochs_.assign(healths_.size(), 0);  // the first look checks every lane against what happened so far
}

Status VerbsWorker::replacePath(std::unique_ptr<SendPath> path) {
  if (path_->inFlight() > 0 || path_->hasReady()) {
    return internalError("verbs: connections changed with " + std::to_string(path_->inFlight()) +
                         " requests in flight");
  }
  if (failed_) return error_;
  path_ = std::move(path);
  watchLanes();
  return Status::ok();
}

VerbsWorker::~VerbsWorker() = default;

Status VerbsWorker::lastError() const {
  if (!error_.isOk()) return error_;
  return path_->error();
}

void VerbsWorker::fail(Status why) {
  failed_ = true;
  if (error_.isOk()) error_ = why;
  path_->abortAll(why);  // what was in flight will never complete: fail it now
}

void VerbsWorker::checkEvents() {
  bool changed = false;
  for (size_t i = 0; i < healths_.size(); ++i) {
    const uint64_t epoch = healths_[i]->epoch();
    changed = changed || epoch != epochs_[i];
    epochs_[i] = epoch;
  }
  if (!changed) return;
  for (uint32_t lane = 0; lane < path_->laneCount(); ++lane) {
    if (!path_->laneOutOfService(lane)) continue;
    const std::string name = path_->laneName(lane);
    path_->failLane(lane, unavailable("verbs: " + name + ": " + path_->laneFault(lane)));
    // ERR flushes the lane's WRs, so its requests complete (failed) through the CQ.
    Status s = modifyQpToError(path_->laneQp(lane), name);
    if (!s.isOk()) fail(s);
  }
}

void VerbsWorker::checkStalls() {
  const auto now = std::chrono::steady_clock::now();
  if (now - stall_window_ < stall_timeout_) return;
  for (uint32_t lane = 0; lane < path_->laneCount(); ++lane) {
    const bool busy = path_->laneBusy(lane);
    const uint64_t done = path_->laneCompletions(lane);
    if (busy && stall_marks_[lane] == done) {
      const std::string name = path_->laneName(lane);
      const std::string fault = path_->laneFault(lane);
      path_->failLane(lane, unavailable("verbs: " + (fault.empty() ? "" : fault + ": ") + "no completion " + name + " for " +
                                        std::to_string(stall_timeout_.count() / 1000) +
                                        " s with work requests outstanding (peer dead or fabric down?)"));
      // ERR flushes the lane's WRs, so its requests complete (failed) through the CQ.
      Status s = modifyQpToError(path_->laneQp(lane), name);
      if (!s.isOk()) fail(s);
    }
    stall_marks_[lane] = busy ? done : kNotBusy;
  }
  stall_window_ = now;
}

Result<size_t> VerbsWorker::post(std::span<const Request> requests) {
  if (failed_) return error_;
  return path_->post(requests);
}

bool VerbsWorker::drainCqs() {
  ibv_wc wcs[kPollBatch];
  bool any = false;
  for (WorkerCq& c : cqs_) {
    for (int round = 0; round < kMaxRoundsPerCq; ++round) {
      int n = ibv_poll_cq(c.cq.get(), kPollBatch, wcs);
      if (n < 0) {
        // A CQ that cannot be polled (overrun, device gone) loses completions for good.
        fail(unavailable("verbs: ibv_poll_cq on " + c.device + ": " + std::strerror(verbsErrno(n)) +
                         " (the worker's requests in flight are lost)"));
        return any;
      }
      for (int i = 0; i < n; ++i) path_->onCompletion(wcs[i]);
      any = any || n > 0;
      if (n < kPollBatch) break;
    }
  }
  return any;
}

size_t VerbsWorker::poll(std::span<Completion> out) {
  if (!failed_) {
    drainCqs();
    path_->pump();
  }
  return path_->drain(out);
}

void VerbsWorker::waitForProgress(std::chrono::microseconds max_wait) {
  if (!failed_ && !healths_.empty()) checkEvents();
  if (path_->hasReady()) return;
  if (failed_ || path_->inFlight() == 0) {
    std::this_thread::sleep_for(max_wait);
    return;
  }
  checkStalls();
  bool armed = true;
  for (WorkerCq& c : cqs_) armed = armed && ibv_req_notify_cq(c.cq.get(), 0) == 0;
  // Completions that arrived before the CQs were armed raise no event: look once more.
  if (drainCqs() || !armed) {
    if (!armed) std::this_thread::sleep_for(max_wait);
    return;
  }
  worker::PollSet<16> fds;
  for (WorkerCq& c : cqs_) {
    if (!fds.full()) fds.add(c.channel->fd, POLLIN);
  }
  if (fds.wait(max_wait) <= 0) return;
  for (WorkerCq& c : cqs_) {
    ibv_cq* cq = nullptr;
    void* cq_ctx = nullptr;
    // Non-blocking fd: returns -1 / EAGAIN once the channel is empty. Ack each event now so
    // that destroying the CQ never waits on unacknowledged events.
    while (ibv_get_cq_event(c.channel.get(), &cq, &cq_ctx) == 0) ibv_ack_cq_events(cq, 1);
  }
}

}  // namespace te::engine::verbs
