#include "engine/verbs/send_path.h"

#include "engine/request_check.h"
#include "engine/worker/peer_label.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace te::engine::verbs {
namespace {

constexpr uint32_t kNoLane = 0xffffffffu;
constexpr int kPortEventWaitMs = 500;  // the event thread reads it at once; a loaded host may lag

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%x", v);
  return b;
}

}  // namespace

Result<std::unique_ptr<SendPath>> SendPath::create(SendPathConfig config, PostSendFn post, void* post_ctx) {
  if (config.slice_size == 0 || config.slice_size > (1ull << 31)) {
    return invalidArgument("verbs: --slice-size must be in 1 B .. 2 GiB");
  }
  if (config.lanes.size() >= kMaxLanes) return invalidArgument("verbs: too many QPs for one worker");
  if (config.staging == 0) config.staging = 1;
  uint64_t depth_sum = 0;
  for (size_t i = 0; i < config.lanes.size(); ++i) {
    const LaneSpec& l = config.lanes[i];
    if (l.peer < 0 || l.peer >= static_cast<int>(config.peers.size()) || l.depth == 0 ||
        l.local_device >= config.local_device_names.size() ||
        l.remote_device >= config.peers[l.peer].device_names.size()) {
      return internalError("verbs: lane " + std::to_string(i) + " is inconsistent");
    }
    if (i > 0 && l.peer != config.lanes[i - 1].peer) {
      for (size_t j = 0; j + 1 < i; ++j) {
        if (config.lanes[j].peer == l.peer) return internalError("verbs: lanes of a peer are not contiguous");
      }
    }
    depth_sum += l.depth;
  }
  uint32_t capacity = config.table_capacity;
  if (capacity == 0) capacity = static_cast<uint32_t>(std::clamp<uint64_t>(depth_sum, 64, 65536));
  if (capacity >= kMaxSlots) return invalidArgument("verbs: request table too large");
  return std::unique_ptr<SendPath>(new SendPath(config, capacity, post, post_ctx));
}

SendPath::SendPath(const SendPathConfig& config, uint32_t capacity, PostSendFn post, void* post_ctx)
    : rank_(config.rank),
      slice_size_(config.slice_size),
      local_devices_(static_cast<uint32_t>(config.local_device_names.size())),
      local_device_names_(config.local_device_names),
      table_(capacity),
      wrs_(config.staging),
      sges_(config.staging),
      dirty_(config.staging),
      touched_(config.staging),
      post_(post),
      post_ctx_(post_ctx) {
  for (const LocalRegionKeys& r : config.local_regions) {
    local_addr_.push_back(r.addr);
    local_length_.push_back(r.length);
    local_inline_.push_back(r.host_readable);
    for (uint32_t d = 0; d < local_devices_; ++d) lkeys_.push_back(d < r.lkeys.size() ? r.lkeys[d] : 0);
  }
  peers_.resize(config.peers.size());
  for (size_t p = 0; p < config.peers.size(); ++p) {
    const PeerKeys& k = config.peers[p];
    Peer& peer = peers_[p];
    peer.label = worker::peerLabel(static_cast<int>(p), k.hostname);
    peer.device_names = k.device_names;
    peer.devices = static_cast<uint32_t>(k.device_names.size());
    for (const RemoteRegionKeys& r : k.regions) {
      peer.region_addr.push_back(r.addr);
      peer.region_length.push_back(r.length);
      for (uint32_t d = 0; d < peer.devices; ++d) peer.rkeys.push_back(d < r.rkeys.size() ? r.rkeys[d] : 0);
    }
  }
  lanes_.resize(config.lanes.size());
  lane_counts_ = std::make_unique<std::atomic<uint64_t>[]>(2 * config.lanes.size());
  for (size_t i = 0; i < config.lanes.size(); ++i) {
    const LaneSpec& s = config.lanes[i];
    Lane& l = lanes_[i];
    l.qp = s.qp;
    l.peer = s.peer;
    l.local_device = s.local_device;
    l.remote_device = s.remote_device;
    l.max_inline = s.max_inline;
    l.health = s.health;
    l.qp_health = s.qp_health;
    l.port = s.port;
    uint32_t every = config.signal_every ? std::min(config.signal_every, s.depth) : signalInterval(s.depth);
    l.credits = LaneCredits(s.depth, std::min(every, kMaxRetire));
    Peer& peer = peers_[s.peer];
    if (peer.lane_count == 0) peer.first_lane = static_cast<uint32_t>(i);
    ++peer.lane_count;
  }
  active_peers_.reserve(peers_.size());
}

Status SendPath::validate(const Request& r) const {
  if (r.peer < 0 || r.peer >= static_cast<int>(peers_.size()) || peers_[r.peer].lane_count == 0) {
    return invalidArgument("verbs: request to rank " + std::to_string(r.peer) + ", which is not a connected peer");
  }
  if (r.op != OpCode::kRead && r.op != OpCode::kWrite) return invalidArgument("verbs: unknown opcode");
  const Peer& p = peers_[r.peer];
  return checkRequestRanges(
      "verbs", r, r.local_region < local_addr_.size() ? std::optional(local_length_[r.local_region]) : std::nullopt,
      r.remote_region < p.region_length.size() ? std::optional(p.region_length[r.remote_region]) : std::nullopt,
      p.label);
}

Status SendPath::brokenPeer(int peer) const {
  if (!error_.isOk()) return error_;
  return unavailable("verbs: the QPs to " + peers_[peer].label + " are out of service");
}

Result<size_t> SendPath::post(std::span<const Request> requests) {
  Result<size_t> accepted = worker::acceptPrefix(requests, [this](const Request& r) { return offer(r); });
  pump();
  return accepted;
}

worker::Offer SendPath::offer(const Request& r) {
  Status s = validate(r);
  if (!s.isOk()) return worker::Offer::refused(std::move(s));
  Peer& p = peers_[r.peer];
  if (p.broken) return worker::Offer::refused(brokenPeer(r.peer));
  if (table_.full()) return worker::Offer::noRoom();
  const uint32_t slot = table_.acquire(r);
  if (r.length == 0) {
    table_[slot].fully_posted = true;
    finishIfDone(table_, slot);
  } else {
    table_.append(p.backlog, slot);
    if (!p.active) {
      p.active = true;
      active_peers_.push_back(r.peer);
    }
  }
  return worker::Offer::taken();
}

void SendPath::pump() {
  for (size_t i = 0; i < active_peers_.size();) {
    Peer& p = peers_[active_peers_[i]];
    while (!p.backlog.empty()) {
      const uint32_t slot = p.backlog.head;
      if (p.broken) {
        table_.popFront(p.backlog);
        failUnposted(slot);
        continue;
      }
      if (!postSlices(p, slot)) {
        if (p.broken) continue;  // fail it (and the rest) above
        break;                   // this peer's send queues are full
      }
      table_.popFront(p.backlog);
    }
    if (p.backlog.empty()) {
      p.active = false;
      active_peers_[i] = active_peers_.back();
      active_peers_.pop_back();
    } else {
      ++i;
    }
  }
  flush();
}

// The live lane with room and the fewest WRs outstanding (join the shortest queue), ties in
// turn: a lane whose NIC, port or path is slow holds its WRs longer and gets fewer new
// slices, so the peer's requests are not all held up by its slowest lane, and the split of
// bytes over NICs (addNicTraffic) shows which one is slow.
// In O(1) per slice, not a scan of every lane (which made a slice 2.5x dearer over 8 lanes,
// te_verbs_microbench): round robin over the lanes at or below the peer's water level, the
// level lowered to the least outstanding seen on a pick and raised to the least there is
// when a whole turn finds none (that turn's first lane at the least is the pick); lanes
// level with each other are taken in turn.
uint32_t SendPath::pickLane(Peer& p) {
  uint32_t first_least = kNoLane, least = UINT32_MAX, cursor_after = 0;
  for (uint32_t tries = 0; tries < p.lane_count; ++tries) {
    const uint32_t i = p.first_lane + p.cursor;
    if (++p.cursor == p.lane_count) p.cursor = 0;
    const Lane& l = lanes_[i];
    if (l.dead || !l.credits.hasRoom()) continue;
    const uint32_t busy = l.credits.depth() - l.credits.free();
    if (busy <= p.level) {
      p.level = busy;
      return i;
    }
    if (busy < least) {
      least = busy;
      first_least = i;
      cursor_after = p.cursor;
    }
  }
  // A whole turn and none at the level (or every lane dead or full: kNoLane).
  if (first_least != kNoLane) {
    p.level = least;
    p.cursor = cursor_after;
  }
  return first_least;
}

void SendPath::append(uint32_t lane, uint32_t wr) {
  Lane& l = lanes_[lane];
  if (l.chain_head < 0) {
    l.chain_head = static_cast<int32_t>(wr);
    dirty_[dirty_count_++] = lane;
  } else {
    wrs_[l.chain_tail].next = &wrs_[wr];
  }
  l.chain_tail = static_cast<int32_t>(wr);
  if (l.pass != pass_) {
    l.pass = pass_;
    touched_[touched_count_++] = lane;
  }
}

bool SendPath::postSlices(Peer& p, uint32_t slot) {
  RequestSlot& s = table_[slot];
  const Request& r = s.request;
  const bool write = r.op == OpCode::kWrite;
  const ibv_wr_opcode opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
  const uint64_t local = local_addr_[r.local_region] + r.local_offset;
  const uint64_t remote = p.region_addr[r.remote_region] + r.remote_offset;
  const uint32_t* lkeys = &lkeys_[static_cast<size_t>(r.local_region) * local_devices_];
  const bool may_inline = write && local_inline_[r.local_region];
  const uint32_t* rkeys = &p.rkeys[static_cast<size_t>(r.remote_region) * p.devices];
  while (s.posted < r.length) {
    if (staged_ == wrs_.size()) {
      endPass(slot);
      flush();
      if (p.broken) return false;
    }
    uint32_t lane = pickLane(p);
    if (lane == kNoLane) break;
    Lane& l = lanes_[lane];
    const uint64_t len = std::min(slice_size_, r.length - s.posted);
    const uint32_t n = staged_++;
    ibv_sge& sge = sges_[n];
    sge.addr = local + s.posted;
    sge.length = static_cast<uint32_t>(len);
    sge.lkey = lkeys[l.local_device];
    ibv_send_wr& wr = wrs_[n];
    wr.next = nullptr;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = opcode;
    wr.wr.rdma.remote_addr = remote + s.posted;
    wr.wr.rdma.rkey = rkeys[l.remote_device];
    const uint32_t retire = l.credits.take();
    wr.send_flags = (retire ? unsigned{IBV_SEND_SIGNALED} : 0u) |
                    (may_inline && len <= l.max_inline ? unsigned{IBV_SEND_INLINE} : 0u);
    wr.wr_id = encodeWrId(WrTag{slot, lane, retire, false});
    append(lane, n);
    s.posted += len;
    l.pass_bytes += len;  // published once per pass (endPass): no atomic per slice
    ++l.pass_slices;
  }
  endPass(slot);
  if (s.posted < r.length) return false;
  s.fully_posted = true;
  finishIfDone(table_, slot);
  return true;
}

// The last WR of the pass on each lane it used is signalled and counts for the request: its
// completion implies the earlier ones on that lane (an RC send queue completes in order).
void SendPath::endPass(uint32_t slot) {
  RequestSlot& s = table_[slot];
  for (uint32_t i = 0; i < touched_count_; ++i) {
    const uint32_t lane = touched_[i];
    Lane& l = lanes_[lane];
    ibv_send_wr& wr = wrs_[l.chain_tail];
    if (l.credits.run() > 0) {
      wr.send_flags |= IBV_SEND_SIGNALED;
      wr.wr_id = encodeWrId(WrTag{slot, lane, l.credits.closeRun(), true});
    } else {
      wr.wr_id |= kCountsBit;  // already signalled as the k-th of its run
    }
    ++s.pending;
    std::atomic<uint64_t>* counts = &lane_counts_[2 * lane];
    counts[0].store(counts[0].load(std::memory_order_relaxed) + l.pass_bytes, std::memory_order_relaxed);
    counts[1].store(counts[1].load(std::memory_order_relaxed) + l.pass_slices, std::memory_order_relaxed);
    l.pass_bytes = l.pass_slices = 0;
  }
  touched_count_ = 0;
  ++pass_;
}

void SendPath::flush() {
  for (uint32_t i = 0; i < dirty_count_; ++i) {
    const uint32_t lane = dirty_[i];
    Lane& l = lanes_[lane];
    ibv_send_wr* bad = nullptr;
    int rc = post_(post_ctx_, l.qp, &wrs_[l.chain_head], &bad);
    if (rc != 0) postFailed(lane, bad ? bad : &wrs_[l.chain_head], rc);
    l.chain_head = l.chain_tail = -1;
  }
  dirty_count_ = 0;
  staged_ = 0;
}

// WRs from `bad` on were not posted: no completion will come for them, so their requests
// are failed and their counting signals dropped here.
void SendPath::postFailed(uint32_t lane, ibv_send_wr* bad, int err) {
  const std::string fault = laneFault(lane);
  markLaneDead(lane, unavailable("verbs: ibv_post_send " + laneName(lane) + ": " + (fault.empty() ? "" : fault + "; ") +
                                 std::strerror(err)));
  for (ibv_send_wr* w = bad; w != nullptr; w = w->next) {
    WrTag t = decodeWrId(w->wr_id);
    RequestSlot& s = table_[t.slot];
    if (s.code == StatusCode::kOk) s.code = StatusCode::kUnavailable;
    if (t.counts) {
      --s.pending;
      finishIfDone(table_, t.slot);
    }
  }
}

void SendPath::failUnposted(uint32_t slot) {
  RequestSlot& s = table_[slot];
  if (s.code == StatusCode::kOk) s.code = StatusCode::kUnavailable;
  s.fully_posted = true;
  finishIfDone(table_, slot);
}

void SendPath::markLaneDead(uint32_t lane, Status why) {
  Lane& l = lanes_[lane];
  l.dead = true;
  peers_[l.peer].broken = true;
  if (error_.isOk()) error_ = std::move(why);
}

std::string SendPath::laneFault(uint32_t lane) const {
  const Lane& l = lanes_[lane];
  return laneFaultText(l.health, l.port, l.qp_health);
}

bool SendPath::laneOutOfService(uint32_t lane) const {
  const Lane& l = lanes_[lane];
  return !l.dead && verbs::laneOutOfService(l.health, l.port, l.qp_health);
}

void SendPath::addNicTraffic(int peer, std::vector<NicTraffic>* out) const {
  if (peer < 0 || peer >= static_cast<int>(peers_.size())) return;
  const Peer& p = peers_[peer];
  for (uint32_t i = p.first_lane; i < p.first_lane + p.lane_count; ++i) {
    const Lane& l = lanes_[i];
    const std::string& local = local_device_names_[l.local_device];
    const std::string& remote = p.device_names[l.remote_device];
    auto it = std::find_if(out->begin(), out->end(), [&](const NicTraffic& t) {
      return t.local_device == local && t.remote_device == remote;
    });
    if (it == out->end()) it = out->insert(out->end(), NicTraffic{local, remote, 0, 0});
    it->bytes += lane_counts_[2 * i].load(std::memory_order_relaxed);
    it->slices += lane_counts_[2 * i + 1].load(std::memory_order_relaxed);
  }
}

std::string SendPath::laneName(uint32_t lane) const {
  const Lane& l = lanes_[lane];
  const Peer& p = peers_[l.peer];
  return "to " + p.label + " via " + local_device_names_[l.local_device] +
         " -> " + p.device_names[l.remote_device] + " (QP " + hex(l.qp ? l.qp->qp_num : 0) + ")";
}

void SendPath::abortAll(const Status& why) {
  aborted_ = true;
  if (error_.isOk()) error_ = why;
  for (Lane& l : lanes_) l.dead = true;
  for (Peer& p : peers_) {
    p.broken = true;
    p.active = false;
    p.backlog = worker::SlotList();
  }
  active_peers_.clear();
  for (uint32_t i = 0; i < table_.capacity(); ++i) {
    RequestSlot& s = table_[i];
    if (!s.in_use || s.finished) continue;
    if (s.code == StatusCode::kOk) s.code = StatusCode::kUnavailable;
    s.pending = 0;
    s.fully_posted = true;
    finishIfDone(table_, i);
  }
}

void SendPath::onCompletion(const ibv_wc& wc) {
  if (aborted_) return;
  const WrTag t = decodeWrId(wc.wr_id);
  if (t.lane >= lanes_.size() || t.slot >= table_.capacity()) {
    if (error_.isOk()) error_ = internalError("verbs: completion with a foreign wr_id " + hex(t.slot));
    return;
  }
  Lane& l = lanes_[t.lane];
  RequestSlot& s = table_[t.slot];
  ++l.completions;
  if (wc.status == IBV_WC_SUCCESS) {
    l.credits.retire(t.retire);
  } else if (!l.dead || t.counts) {
    // The first error on a lane belongs to a live request (its counting WR on this lane is
    // still outstanding); later flushed WRs without `counts` may name recycled slots.
    if (!l.dead) {
      // An async event on the lane's port, device or QP is the cause; the wc status follows.
      const Request& r = s.request;
      std::string fault = laneFault(t.lane);
      // The first failure names the run's: give a port that went down time to say so.
      if (fault.empty() && error_.isOk() && l.qp != nullptr) {
        fault = awaitLaneFault(l.qp->context, l.health, l.port, l.qp_health, wc.status, kPortEventWaitMs);
      }
      markLaneDead(t.lane, unavailable("verbs: RDMA " + std::string(r.op == OpCode::kWrite ? "WRITE" : "READ") +
                                       " of " + std::to_string(r.length) + " bytes " + laneName(t.lane) + ": " +
                                       (fault.empty() ? "" : fault + "; the completion: ") +
                                       ibv_wc_status_str(wc.status) + " (wc status " + std::to_string(wc.status) +
                                       ", vendor_err " + hex(wc.vendor_err) + ")"));
    }
    if (s.code == StatusCode::kOk) s.code = StatusCode::kUnavailable;
  }
  if (t.counts) {
    --s.pending;
    finishIfDone(table_, t.slot);
  }
}

}  // namespace te::engine::verbs
