#include "engine/verbs/channel_set.h"

#include <algorithm>

#include "common/logging.h"
#include "engine/verbs/key_faults.h"
#include "engine/verbs/pin_limits.h"
#include "engine/verbs/queue_sizing.h"

namespace te::engine::verbs {
namespace {

SendPathConfig sendPathBase(const ChannelSetup& s) {
  SendPathConfig c;
  c.rank = s.rank;
  c.slice_size = s.options.slice_size;
  for (const LocalNic& n : s.nics) c.local_device_names.push_back(n.facts->device);
  c.local_regions = s.regions;
  c.peers.resize(s.endpoints.size());
  for (size_t p = 0; p < s.endpoints.size(); ++p) {
    const RankEndpoint& e = s.endpoints[p];
    PeerKeys& k = c.peers[p];
    k.hostname = e.hostname;
    for (const DeviceAddress& d : e.devices) k.device_names.push_back(d.name);
    for (const RegionDescriptor& r : e.regions) k.regions.push_back(RemoteRegionKeys{r.addr, r.length, r.rkeys});
  }
  return c;
}

uint64_t bytesOf(const PeerChannels& pc) {
  uint64_t n = 0;
  for (const PeerLane& l : pc.lanes) n += l.queue_bytes + kQpFixedBytesEstimate;
  return n;
}

}  // namespace

ChannelSet::~ChannelSet() = default;

uint64_t ChannelSet::cqBytes() const {
  uint64_t bytes = 0;
  for (const auto& worker : cq_plan_.cq_depth) {
    for (int d : worker) {
      uint64_t entries = 1;
      while (entries < static_cast<uint64_t>(d) + 1) entries <<= 1;  // mlx5: a power of two, one spare
      bytes += entries * kCqeBytesEstimate;
    }
  }
  return bytes;
}

Result<std::unique_ptr<ChannelSet>> ChannelSet::create(ChannelSetup setup, int planned_peers) {
  std::unique_ptr<ChannelSet> set(new ChannelSet(std::move(setup)));
  const ChannelSetup& s = set->setup_;
  set->cq_plan_ = planCqs(s, planned_peers);
  set->base_ = sendPathBase(s);
  TE_ASSIGN_OR_RETURN(std::vector<std::string> faults, applyKeyFaults(s.options.fault_inject, s.rank, &set->base_.peers));
  for (const std::string& f : faults) TE_LOG(WARN) << "verbs: fault injection (TE_FAULT_INJECT) for " << f;
  set->stall_ = std::chrono::milliseconds(static_cast<int64_t>(
      1000 * stallTimeoutSeconds(s.options.slice_size, static_cast<uint32_t>(s.options.max_wr), s.options.ib_timeout)));
  std::vector<ibv_context*> contexts;
  for (const LocalNic& n : s.nics) contexts.push_back(n.context);
  for (int w = 0; w < s.workers; ++w) {
    TE_ASSIGN_OR_RETURN(std::vector<WorkerCq> cqs, createWorkerCqs(contexts, set->cq_plan_.cq_depth[w]));
    TE_ASSIGN_OR_RETURN(std::unique_ptr<SendPath> path, SendPath::create(set->base_, &postSendToQp, nullptr));
    set->workers_.push_back(std::make_unique<VerbsWorker>(std::move(cqs), std::move(path), set->stall_));
  }
  set->peers_.resize(s.endpoints.size());
  if (!faults.empty()) set->summary_["key_faults"] = faults;
  return set;
}

Result<std::unique_ptr<PeerChannels>> ChannelSet::makePeer(int peer, std::vector<uint32_t>* qpns) {
  if (peer < 0 || static_cast<size_t>(peer) >= peers_.size() || peer == setup_.rank || peers_[static_cast<size_t>(peer)]) {
    return internalError("verbs: cannot connect to rank " + std::to_string(peer) + " (not a peer, or connected already)");
  }
  std::vector<std::vector<ibv_cq*>> cqs(workers_.size());
  for (size_t w = 0; w < workers_.size(); ++w) {
    for (const WorkerCq& c : workers_[w]->cqs()) cqs[w].push_back(c.cq.get());
  }
  auto pc = std::make_unique<PeerChannels>();
  Status made = createPeerQps(setup_, peer, cq_plan_, cqs, pc.get(), qpns);
  qps_created_ += pc->qps.size();
  if (!made.isOk()) return made;
  return pc;
}

void ChannelSet::adopt(std::unique_ptr<PeerChannels> pc) {
  const int p = pc->lanes.front().peer;
  qps_live_ += pc->qps.size();
  qp_bytes_ += bytesOf(*pc);
  ++peers_live_;
  peers_[static_cast<size_t>(p)] = std::move(pc);
  qps_live_max_ = std::max(qps_live_max_, qps_live_);
  qp_bytes_max_ = std::max(qp_bytes_max_, qp_bytes_);
  peers_live_max_ = std::max(peers_live_max_, peers_live_);
}

Status ChannelSet::connectPeers(const std::vector<int>& peers, Collective& collective, Deadline deadline) {
  std::vector<Bytes> to_each(setup_.endpoints.size());
  std::vector<std::unique_ptr<PeerChannels>> made;
  Status mine;
  for (int p : peers) {
    std::vector<uint32_t> qpns;
    Result<std::unique_ptr<PeerChannels>> pc = makePeer(p, &qpns);
    if (!pc.isOk()) {
      mine = pc.status();
      break;
    }
    to_each[static_cast<size_t>(p)] = encodeQpNumbers(qpns);
    made.push_back(std::move(*pc));
  }
  // Every rank joins the exchange, even after a failure of its own: its peers then fail at
  // once (no QP numbers from it) instead of at the deadline.
  if (!mine.isOk()) to_each.assign(to_each.size(), Bytes{});
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> from, collective.allToAll(to_each, deadline));
  TE_RETURN_IF_ERROR(mine);
  for (std::unique_ptr<PeerChannels>& pc : made) {
    TE_RETURN_IF_ERROR(connectPeerQps(setup_, *pc, from[static_cast<size_t>(pc->lanes.front().peer)], &used_));
  }
  for (std::unique_ptr<PeerChannels>& pc : made) adopt(std::move(pc));
  return Status::ok();
}

namespace {

// What goes between the two ranks of a new pair: its QP numbers, then "ready" (at RTS), or
// "failed" in place of either.
constexpr uint8_t kQpNumbers = 1, kReady = 2, kFailed = 3;

Bytes tagged(uint8_t tag, const Bytes& body = {}) {
  Bytes b(body.size() + 1);
  b[0] = tag;
  std::copy(body.begin(), body.end(), b.begin() + 1);
  return b;
}

// The next message from `peer`, which must carry `tag`; its body.
Result<Bytes> expect(PeerMessages& pairs, const ChannelSetup& s, int peer, uint8_t tag, Deadline deadline) {
  TE_ASSIGN_OR_RETURN(Bytes m, pairs.receive(peer, deadline));
  if (!m.empty() && m[0] == tag) return Bytes(m.begin() + 1, m.end());
  if (!m.empty() && m[0] == kFailed) {
    return unavailable("verbs: " + peerName(s, peer) + " failed to connect to this rank (its error says why)");
  }
  return internalError("verbs: unexpected connection message from " + peerName(s, peer));
}

}  // namespace

Status ChannelSet::connectPairwise(const std::vector<int>& peers, PeerMessages& pairs, Deadline deadline) {
  std::vector<std::unique_ptr<PeerChannels>> made;
  // On a failure every peer still waiting for this rank hears so at once (not at its deadline).
  auto failAll = [&](Status why) {
    for (int p : peers) (void)pairs.send(p, tagged(kFailed));
    return why;
  };
  for (int p : peers) {
    std::vector<uint32_t> qpns;
    Result<std::unique_ptr<PeerChannels>> pc = makePeer(p, &qpns);
    if (!pc.isOk()) return failAll(pc.status());
    TE_RETURN_IF_ERROR(pairs.send(p, tagged(kQpNumbers, encodeQpNumbers(qpns))));
    made.push_back(std::move(*pc));
  }
  for (std::unique_ptr<PeerChannels>& pc : made) {
    const int p = pc->lanes.front().peer;
    Result<Bytes> numbers = expect(pairs, setup_, p, kQpNumbers, deadline);
    if (!numbers.isOk()) return failAll(numbers.status());
    Status connected = connectPeerQps(setup_, *pc, *numbers, &used_);
    if (!connected.isOk()) return failAll(connected);
  }
  // Both ends at RTS before either posts: a QP still in INIT drops what arrives.
  for (std::unique_ptr<PeerChannels>& pc : made) TE_RETURN_IF_ERROR(pairs.send(pc->lanes.front().peer, tagged(kReady)));
  for (std::unique_ptr<PeerChannels>& pc : made) TE_RETURN_IF_ERROR(expect(pairs, setup_, pc->lanes.front().peer, kReady, deadline).status());
  for (std::unique_ptr<PeerChannels>& pc : made) adopt(std::move(pc));
  return Status::ok();
}

void ChannelSet::releasePeers(const std::vector<int>& peers) {
  for (int p : peers) {
    if (p < 0 || static_cast<size_t>(p) >= peers_.size() || !peers_[static_cast<size_t>(p)]) continue;
    std::unique_ptr<PeerChannels>& pc = peers_[static_cast<size_t>(p)];
    qps_live_ -= pc->qps.size();
    qp_bytes_ -= bytesOf(*pc);
    --peers_live_;
    released_.push_back(std::move(pc));
  }
}

Status ChannelSet::rebuild() {
  const size_t workers = workers_.size();
  const size_t devices = setup_.nics.size();
  // Lanes per (worker, device): each gets its share of the CQ when more are live than planned.
  std::vector<std::vector<uint64_t>> live(workers, std::vector<uint64_t>(devices, 0));
  for (const auto& pc : peers_) {
    if (!pc) continue;
    for (const PeerLane& l : pc->lanes) ++live[static_cast<size_t>(l.worker)][l.local_device];
  }
  nlohmann::json lanes_per_worker = nlohmann::json::array();
  uint32_t min_inline = UINT32_MAX, min_depth = UINT32_MAX, wqe_bytes = 0;
  bool lean = true;
  for (size_t w = 0; w < workers; ++w) {
    SendPathConfig c = base_;
    for (const auto& pc : peers_) {
      if (!pc) continue;
      for (const PeerLane& l : pc->lanes) {
        if (static_cast<size_t>(l.worker) != w) continue;
        const uint64_t share = static_cast<uint64_t>(cq_plan_.cq_depth[w][l.local_device]) / live[w][l.local_device];
        const auto depth = static_cast<uint32_t>(std::clamp<uint64_t>(share, 1, l.depth));
        LaneSpec spec{l.qp, l.peer, l.local_device, l.remote_device, depth, l.max_inline};
        spec.health = setup_.nics[l.local_device].health;
        spec.qp_health = l.health;
        spec.port = static_cast<uint8_t>(setup_.nics[l.local_device].facts->port);
        c.lanes.push_back(spec);
        min_inline = std::min(min_inline, l.max_inline);
        min_depth = std::min(min_depth, depth);
        lean = lean && l.lean_ops;
        wqe_bytes = std::max(wqe_bytes, sendWqeBytes(l.max_inline, l.lean_ops));
      }
    }
    lanes_per_worker.push_back(c.lanes.size());
    TE_ASSIGN_OR_RETURN(std::unique_ptr<SendPath> path, SendPath::create(std::move(c), &postSendToQp, nullptr));
    TE_RETURN_IF_ERROR(workers_[w]->replacePath(std::move(path)));
  }
  released_.clear();  // no path uses them any more
  const bool any = min_depth != UINT32_MAX;
  summary_["qps"] = qps_live_;
  summary_["lanes_per_worker"] = lanes_per_worker;
  summary_["lane_depth"] = any ? min_depth : 0;
  summary_["max_inline_data"] = any ? min_inline : 0;
  if (any) {
    summary_["lean_ops"] = lean;        // every QP made with ibv_create_qp_ex, RDMA WRITE / READ only
    summary_["wqe_bytes"] = wqe_bytes;  // on mlx5 (queue_sizing.h)
  }
  summary_["request_table"] = workers_.empty() ? 0 : workers_[0]->path().tableCapacity();
  summary_["path_mtu"] = used_.path_mtus.empty() ? 0 : *used_.path_mtus.begin();
  return Status::ok();
}

}  // namespace te::engine::verbs
