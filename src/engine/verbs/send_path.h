// The verbs data path of one worker, minus the device: validates requests, splits them into
// slices spread round robin over the worker's QPs ("lanes") to the peer (and so over NICs),
// builds WR chains (one post per lane per flush), decides which WRs are signalled, respects
// each send queue's depth, and matches work completions to requests through a pre-allocated
// slot table. Posting goes through a function pointer (ibv_post_send in the transport, a
// recorder in tests and perf/), so all of this runs without an RDMA device.
#pragma once

#include <infiniband/verbs.h>

#include <cstdint>
#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/types.h"
#include "engine/verbs/async_events.h"
#include "engine/verbs/slicing.h"
#include "engine/worker/accept_prefix.h"

namespace te::engine::verbs {

struct LaneSpec {
  ibv_qp* qp = nullptr;
  int32_t peer = -1;
  uint16_t local_device = 0;   // index into SendPathConfig::local_device_names / lkeys
  uint16_t remote_device = 0;  // index into the peer's devices / rkeys
  uint32_t depth = 0;          // send-queue entries this lane may use
  uint32_t max_inline = 0;     // WRITE slices up to this size go inline (from host memory only)
  // The async events of its device / port and of its QP (read on the error path only).
  const DeviceHealth* health = nullptr;
  const QpHealth* qp_health = nullptr;
  uint8_t port = 1;
};

struct LocalRegionKeys {
  uint64_t addr = 0;
  uint64_t length = 0;
  std::vector<uint32_t> lkeys;  // per local device
  // The CPU may read it: WRITEs from it may go inline. Never for VRAM (the CPU would copy
  // from a GPU pointer), as perftest turns inline off for CUDA buffers.
  bool host_readable = true;
};

struct RemoteRegionKeys {
  uint64_t addr = 0;
  uint64_t length = 0;
  std::vector<uint32_t> rkeys;  // per device of the peer
};

struct PeerKeys {
  std::string hostname;
  std::vector<std::string> device_names;
  std::vector<RemoteRegionKeys> regions;
};

struct SendPathConfig {
  int rank = 0;
  uint64_t slice_size = 64 * 1024;
  uint32_t table_capacity = 0;  // requests in flight; 0 = the sum of the lanes' depths (clamped)
  uint32_t signal_every = 0;    // 0 = signalInterval(depth) per lane
  uint32_t staging = 256;       // WRs built before a flush
  std::vector<std::string> local_device_names;
  std::vector<LocalRegionKeys> local_regions;
  std::vector<PeerKeys> peers;  // by rank; a rank without lanes is not a peer (self)
  std::vector<LaneSpec> lanes;  // the lanes of one peer are contiguous, in channel order
};

// Posts a chain; returns 0 or an errno with *bad at the first WR not posted.
using PostSendFn = int (*)(void* ctx, ibv_qp* qp, ibv_send_wr* wr, ibv_send_wr** bad);

class SendPath {
 public:
  static Result<std::unique_ptr<SendPath>> create(SendPathConfig config, PostSendFn post, void* post_ctx);

  // TransportWorker::post semantics: a prefix of `requests` accepted; kInvalidArgument for a
  // malformed first request, kUnavailable for a broken peer, kTryAgain when the table is full.
  Result<size_t> post(std::span<const Request> requests);
  // Posts slices of accepted requests while send queues have room (after completions).
  void pump();
  // One work completion from the worker's CQ.
  void onCompletion(const ibv_wc& wc);
  // Finished requests, in the order they finished.
  size_t drain(std::span<Completion> out) { return table_.drain(out); }

  // Fails every request in flight and takes every lane out of service; completions that
  // arrive later are ignored. For a CQ that cannot be polled any more.
  void abortAll(const Status& why);
  // Takes one lane (and its peer) out of service with `why`, e.g. a stalled lane whose QP
  // the worker then moves to ERR so that its WRs flush.
  void failLane(uint32_t lane, Status why) { markLaneDead(lane, std::move(why)); }

  bool hasReady() const { return table_.finishedCount() > 0; }
  uint32_t inFlight() const { return table_.inUse(); }
  const Status& error() const { return error_; }
  Status validate(const Request& r) const;

  // For tests and describe().
  size_t laneCount() const { return lanes_.size(); }
  const LaneCredits& credits(uint32_t lane) const { return lanes_[lane].credits; }
  // WRs outstanding (not yet retired by a signalled completion) on a live lane.
  bool laneBusy(uint32_t lane) const {
    return !lanes_[lane].dead && lanes_[lane].credits.free() < lanes_[lane].credits.depth();
  }
  uint32_t laneCompletions(uint32_t lane) const { return lanes_[lane].completions; }
  ibv_qp* laneQp(uint32_t lane) const { return lanes_[lane].qp; }
  std::string laneName(uint32_t lane) const;
  // The async event that explains a lane's failure ("rxe0 port 1 went down
  // (IBV_EVENT_PORT_ERR)"), or "" when none does.
  std::string laneFault(uint32_t lane) const;
  // A live lane that an event alone takes out of service (port down, QP or device failed).
  bool laneOutOfService(uint32_t lane) const;
  const DeviceHealth* laneHealth(uint32_t lane) const { return lanes_[lane].health; }
  bool peerBroken(int peer) const { return peers_[peer].broken; }
  uint32_t tableCapacity() const { return table_.capacity(); }
  // Adds what this path posted to `peer` per (local, remote) device pair to `out` (pairs
  // matched by name). Another thread may read while the worker posts: counters are atomic.
  void addNicTraffic(int peer, std::vector<NicTraffic>* out) const;

 private:
  struct Lane {
    ibv_qp* qp = nullptr;
    int32_t peer = -1;
    uint16_t local_device = 0;
    uint16_t remote_device = 0;
    uint32_t max_inline = 0;
    LaneCredits credits;
    int32_t chain_head = -1;
    int32_t chain_tail = -1;
    uint64_t pass = 0;  // last posting pass that touched this lane
    uint64_t pass_bytes = 0, pass_slices = 0;  // this pass's, for lane_counts_ at its end
    uint32_t completions = 0;
    bool dead = false;
    uint8_t port = 1;
    const DeviceHealth* health = nullptr;
    const QpHealth* qp_health = nullptr;
  };
  struct Peer {
    std::string label;  // "rank 3 (node07)", for messages
    std::vector<std::string> device_names;
    std::vector<uint64_t> region_addr;
    std::vector<uint64_t> region_length;
    std::vector<uint32_t> rkeys;  // [region * devices + device]
    uint32_t devices = 0;
    uint32_t first_lane = 0;
    uint32_t lane_count = 0;
    uint32_t cursor = 0;
    uint32_t level = 0;  // pickLane's water level: WRs outstanding a lane may have to be picked
    bool broken = false;
    bool active = false;  // in active_peers_
    worker::SlotList backlog;  // accepted, not fully posted
  };

  SendPath(const SendPathConfig& config, uint32_t capacity, PostSendFn post, void* post_ctx);
  worker::Offer offer(const Request& r);
  bool postSlices(Peer& p, uint32_t slot);  // true when the request is fully posted
  uint32_t pickLane(Peer& p);
  void append(uint32_t lane, uint32_t wr);
  void endPass(uint32_t slot);
  void flush();
  void postFailed(uint32_t lane, ibv_send_wr* bad, int err);
  void failUnposted(uint32_t slot);
  void markLaneDead(uint32_t lane, Status why);
  Status brokenPeer(int peer) const;

  const int rank_;
  const uint64_t slice_size_;
  const uint32_t local_devices_;
  std::vector<std::string> local_device_names_;
  std::vector<uint64_t> local_addr_;
  std::vector<uint64_t> local_length_;
  std::vector<uint8_t> local_inline_;  // per region: LocalRegionKeys::host_readable
  std::vector<uint32_t> lkeys_;  // [region * local_devices_ + device]
  std::vector<Peer> peers_;
  std::vector<Lane> lanes_;
  // Per lane: bytes, then slices posted (single writer, the worker; read by nicTraffic()).
  std::unique_ptr<std::atomic<uint64_t>[]> lane_counts_;
  RequestSlots table_;
  std::vector<int32_t> active_peers_;  // peers with a backlog
  // Staging: WRs and SGEs built since the last flush, chained per lane.
  std::vector<ibv_send_wr> wrs_;
  std::vector<ibv_sge> sges_;
  uint32_t staged_ = 0;
  std::vector<uint32_t> dirty_;    // lanes with a chain in staging
  uint32_t dirty_count_ = 0;
  std::vector<uint32_t> touched_;  // lanes the current pass used
  uint32_t touched_count_ = 0;
  uint64_t pass_ = 1;
  bool aborted_ = false;
  PostSendFn post_;
  void* post_ctx_;
  Status error_;
};

}  // namespace te::engine::verbs
