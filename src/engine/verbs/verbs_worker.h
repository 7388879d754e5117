// One TransportWorker of the verbs transport (one per bench thread): a CQ per local device
// with its completion channel, and the SendPath that slices, posts and matches completions.
// poll() drains the CQs in batches; waitForProgress() arms the CQs and sleeps on the
// channels' fds (or plainly sleeps when nothing is in flight).
#pragma once

#include <memory>
#include <vector>

#include "engine/transport.h"
#include "engine/verbs/send_path.h"
#include "engine/verbs/verbs_handles.h"

namespace te::engine::verbs {

// The CQ of a worker on one device. Members in dependency order: the CQ is destroyed before
// its channel.
struct WorkerCq {
  std::string device;
  CompChannelPtr channel;
  CqPtr cq;
  int depth = 0;
};

// Creates the CQ of each device (`depths[i]` entries on `contexts[i]`).
Result<std::vector<WorkerCq>> createWorkerCqs(const std::vector<ibv_context*>& contexts, const std::vector<int>& depths);

class VerbsWorker final : public TransportWorker {
 public:
  // The QPs of `path`'s lanes use `cqs`; the transport destroys them before this worker.
  // A lane busy for `stall_timeout` without a completion is failed (see stallTimeoutSeconds).
  VerbsWorker(std::vector<WorkerCq> cqs, std::unique_ptr<SendPath> path, std::chrono::milliseconds stall_timeout);
  ~VerbsWorker() override;

  Result<size_t> post(std::span<const Request> requests) override;
  size_t poll(std::span<Completion> out) override;
  void waitForProgress(std::chrono::microseconds max_wait) override;
  Status lastError() const override;

  // Connections on demand: a new SendPath over the lanes now connected, between phases
  // (kInternal when requests are still in flight: their lanes may be going away).
  Status replacePath(std::unique_ptr<SendPath> path);

  const SendPath& path() const { return *path_; }
  void addNicTraffic(int peer, std::vector<NicTraffic>* out) const {
    if (path_) path_->addNicTraffic(peer, out);
  }
  const std::vector<WorkerCq>& cqs() const { return cqs_; }

 private:
  // Hands every available work completion to the send path; false after a CQ failure.
  bool drainCqs();
  void fail(Status why);
  // Idle path only: fails lanes that stayed busy without a completion for a whole window.
  void checkStalls();
  // Idle path only: after a new async event on a device, fails the lanes it took out of
  // service (port down, QP or device failed) with the event named.
  void checkEvents();
  // The devices of the path's lanes and a clean stall window.
  void watchLanes();

  std::vector<WorkerCq> cqs_;
  std::unique_ptr<SendPath> path_;
  Status error_;  // CQ-level failure (the send path keeps per-request failures)
  bool failed_ = false;
  const std::chrono::milliseconds stall_timeout_;
  std::chrono::steady_clock::time_point stall_window_;
  std::vector<uint64_t> stall_marks_;  // per lane: completions at the window's start, or kNotBusy
  std::vector<const DeviceHealth*> healths_;  // the devices of this worker's lanes
  std::vector<uint64_t> epochs_;              // their event epochs when last looked at
};

// ibv_post_send as a PostSendFn.
int postSendToQp(void* ctx, ibv_qp* qp, ibv_send_wr* wr, ibv_send_wr** bad);

}  // namespace te::engine::verbs
