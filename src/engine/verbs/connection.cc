#include "engine/verbs/connection.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/logging.h"
#include "engine/verbs/key_faults.h"
#include "engine/verbs/qp_state.h"
#include "engine/worker/peer_label.h"

namespace te::engine::verbs {

std::string globalRoutingReason(const PortFacts& me, const DeviceAddress& them) {
  if (me.link_layer == LinkLayer::kEthernet) return "RoCE";
  if (me.gid_index >= 0) return "--gid-index";
  if (me.grh_required) return "the port requires a GRH";
  if (!isZeroGid(them.gid) && !isZeroGid(me.gid) && std::memcmp(me.gid.data(), them.gid.data(), 8) != 0) {
    return "the peer is in another subnet";
  }
  return "";
}

namespace {

constexpr uint32_t kInlineWanted = 128;  // bytes of WRITE payload carried in the WQE

// One QP of this rank, before it becomes a SendPath lane.
struct PlannedLane {
  ibv_qp* qp = nullptr;
  int peer = -1;
  int worker = 0;
  uint16_t local_device = 0;
  uint16_t remote_device = 0;
  uint32_t depth = 0;
  uint32_t max_inline = 0;
  QpHealth* health = nullptr;  // the QP's async events (its qp_context)
};

// Send-queue depth per lane and CQ depth, per (worker, device): every lane may have `depth`
// WRs outstanding and each can produce a completion (flushed WRs do, signalled or not), so
// the CQ holds lanes * depth entries; a device with fewer CQEs gets shallower lanes.
struct CqPlan {
  std::vector<std::vector<uint32_t>> lane_depth;
  std::vector<std::vector<int>> cq_depth;
};

std::string peerName(const ChannelSetup& s, int p) { return worker::peerLabel(p, s.endpoints[p].hostname); }

std::string laneContext(const ChannelSetup& s, const PlannedLane& l) {
  const PortFacts& me = *s.nics[l.local_device].facts;
  return "to " + peerName(s, l.peer) + " via " + me.device + " port " + std::to_string(me.port) + " -> " +
         s.endpoints[l.peer].devices[l.remote_device].name;
}

CqPlan planCqs(const ChannelSetup& s, const std::vector<ChannelPlan>& plans) {
  const int workers = s.workers;
  const size_t devices = s.nics.size();
  std::vector<std::vector<uint64_t>> lanes(workers, std::vector<uint64_t>(devices, 0));
  for (size_t p = 0; p < plans.size(); ++p) {
    if (static_cast<int>(p) == s.rank) continue;
    for (int c = 0; c < plans[p].count(); ++c) ++lanes[plans[p].worker(c, workers)][plans[p].device(c, devices)];
  }
  CqPlan out{std::vector<std::vector<uint32_t>>(workers, std::vector<uint32_t>(devices)),
             std::vector<std::vector<int>>(workers, std::vector<int>(devices))};
  for (int w = 0; w < workers; ++w) {
    for (size_t d = 0; d < devices; ++d) {
      const PortFacts& f = *s.nics[d].facts;
      uint64_t depth = static_cast<uint64_t>(s.options.max_wr);
      if (f.max_qp_wr > 0) depth = std::min<uint64_t>(depth, f.max_qp_wr);
      const uint64_t n = lanes[w][d];
      const uint64_t max_cqe = f.max_cqe > 0 ? static_cast<uint64_t>(f.max_cqe) : (1ull << 22);
      if (n > 0 && n * depth > max_cqe) depth = std::max<uint64_t>(1, max_cqe / n);
      out.lane_depth[w][d] = static_cast<uint32_t>(depth);
      out.cq_depth[w][d] = static_cast<int>(std::max<uint64_t>(1, n * depth));
    }
  }
  return out;
}

// What the QPs of this rank were set up with, for the report.
struct QpSettings {
  std::set<int> path_mtus;  // bytes
  bool global = false;      // some QP routes by GID: the traffic class travels in its GRH
  std::set<std::string> global_why;
};

Status connectLane(const ChannelSetup& s, const PlannedLane& l, uint32_t remote_qpn, QpSettings* used) {
  const PortFacts& me = *s.nics[l.local_device].facts;
  const DeviceAddress& them = s.endpoints[l.peer].devices[l.remote_device];
  const std::string context = laneContext(s, l);
  if (me.link_layer != them.link_layer) {
    return unavailable("verbs: " + context + ": link layers differ (" +
                       std::string(me.link_layer == LinkLayer::kEthernet ? "Ethernet" : "InfiniBand") + " here)");
  }
  RtrParams r;
  r.port = static_cast<uint8_t>(me.port);
  r.remote_qpn = remote_qpn;
  r.remote_psn = initialPsn(remote_qpn);
  // The smallest of the --mtu cap and both ports' active MTU (ibv_mtu grows with size).
  r.path_mtu = static_cast<ibv_mtu>(std::min<int>({mtuEnum(s.qos.mtu), me.active_mtu, them.active_mtu}));
  r.traffic_class = static_cast<uint8_t>(s.qos.traffic_class);
  r.service_level = static_cast<uint8_t>(s.qos.service_level);
  r.max_dest_rd_atomic = static_cast<uint8_t>(me.max_qp_rd_atom);
  const std::string global_why = globalRoutingReason(me, them);
  r.global = !global_why.empty();
  r.dlid = them.lid;
  std::memcpy(r.dgid.raw, them.gid.data(), 16);
  r.sgid_index = static_cast<uint8_t>(std::max(me.gid_index, 0));
  if (r.global && isZeroGid(them.gid)) {
    return unavailable("verbs: " + context + ": the peer published no GID for " + them.name);
  }
  TE_RETURN_IF_ERROR(modifyQpToRtr(l.qp, r, context));
  used->path_mtus.insert(mtuBytes(r.path_mtu));
  used->global = used->global || r.global;
  if (r.global) used->global_why.insert(global_why);
  const auto rd_atomic = static_cast<uint8_t>(std::min<int>(me.max_qp_init_rd_atom, them.max_qp_rd_atom));
  return modifyQpToRts(l.qp, initialPsn(l.qp->qp_num), std::max<uint8_t>(rd_atomic, 1),
                       static_cast<uint8_t>(me.retry_count), static_cast<uint8_t>(s.options.ib_timeout), context);
}

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

// Creates every channel's QP on this side (in INIT), in (peer, channel) order, and the QP
// numbers each peer needs.
Status createQps(const ChannelSetup& s, const std::vector<ChannelPlan>& plans, const CqPlan& cq_plan,
                 const std::vector<std::vector<WorkerCq>>& cqs, std::vector<std::unique_ptr<QpHealth>>* health,
                 std::vector<QpPtr>* qps, std::vector<PlannedLane>* lanes, std::vector<Bytes>* to_each) {
  const int local_devices = static_cast<int>(s.nics.size());
  for (size_t p = 0; p < plans.size(); ++p) {
    if (static_cast<int>(p) == s.rank) continue;
    std::vector<uint32_t> qpns;
    const int remote_devices = static_cast<int>(s.endpoints[p].devices.size());
    for (int c = 0; c < plans[p].count(); ++c) {
      PlannedLane l;
      l.peer = static_cast<int>(p);
      l.worker = plans[p].worker(c, s.workers);
      l.local_device = static_cast<uint16_t>(plans[p].device(c, local_devices));
      l.remote_device = static_cast<uint16_t>(plans[p].device(c, remote_devices));
      const LocalNic& nic = s.nics[l.local_device];
      health->push_back(std::make_unique<QpHealth>());
      l.health = health->back().get();
      l.health->label = laneContext(s, l);
      RcQpCaps want{cq_plan.lane_depth[l.worker][l.local_device], kInlineWanted}, got;
      TE_ASSIGN_OR_RETURN(QpPtr qp, createRcQp(nic.pd, cqs[l.worker][l.local_device].cq.get(), want,
                                               peerName(s, l.peer), &got, l.health));
      l.qp = qp.get();
      l.depth = std::min(want.max_send_wr, got.max_send_wr);
      l.max_inline = got.max_inline_data;
      qps->push_back(std::move(qp));
      TE_RETURN_IF_ERROR(modifyQpToInit(l.qp, static_cast<uint8_t>(nic.facts->port),
                                        static_cast<uint16_t>(nic.facts->pkey_index), laneContext(s, l)));
      qpns.push_back(l.qp->qp_num);
      lanes->push_back(l);
    }
    (*to_each)[p] = encodeQpNumbers(qpns);
  }
  return Status::ok();
}

// Brings every QP to RTS with the peer's numbers; says what they were set up with.
Result<QpSettings> connectQps(const ChannelSetup& s, const std::vector<ChannelPlan>& plans,
                              const std::vector<PlannedLane>& lanes, const std::vector<Bytes>& from) {
  size_t next = 0;
  QpSettings used;
  for (size_t p = 0; p < plans.size(); ++p) {
    if (static_cast<int>(p) == s.rank) continue;
    std::vector<uint32_t> remote;
    TE_RETURN_IF_ERROR(
        decodeQpNumbers(from[p], static_cast<int>(p), static_cast<size_t>(plans[p].count()), &remote));
    for (int c = 0; c < plans[p].count(); ++c) {
      const PlannedLane& l = lanes[next++];
      TE_RETURN_IF_ERROR(connectLane(s, l, remote[c], &used));
    }
  }
  return used;
}

// The QoS of this rank's QPs: the settings and who set them, the path MTUs they ended with.
nlohmann::json qosSummary(const ChannelSetup& s, const QpSettings& used, size_t qps) {
  nlohmann::json j = rdmaQosJson(s.qos);
  j["path_mtu"] = used.path_mtus;
  j["qps"] = qps;
  j["global_routing"] = used.global;
  j["global_routing_why"] = used.global_why;
  return j;
}

// One worker per thread: its CQs and a SendPath over the lanes it owns.
Status makeWorkers(const ChannelSetup& s, const std::vector<PlannedLane>& lanes,
                   std::vector<std::vector<WorkerCq>>* cqs, ChannelSet* out) {
  SendPathConfig base = sendPathBase(s);
  TE_ASSIGN_OR_RETURN(std::vector<std::string> faults, applyKeyFaults(s.options.fault_inject, s.rank, &base.peers));
  for (const std::string& f : faults) TE_LOG(WARN) << "verbs: fault injection (TE_FAULT_INJECT) for " << f;
  const auto stall = std::chrono::milliseconds(static_cast<int64_t>(
      1000 * stallTimeoutSeconds(s.options.slice_size, static_cast<uint32_t>(s.options.max_wr), s.options.ib_timeout)));
  nlohmann::json lanes_per_worker = nlohmann::json::array();
  uint32_t min_inline = UINT32_MAX, min_depth = UINT32_MAX;
  for (int w = 0; w < s.workers; ++w) {
    SendPathConfig c = base;
    for (const PlannedLane& l : lanes) {
      if (l.worker != w) continue;
      LaneSpec spec{l.qp, l.peer, l.local_device, l.remote_device, l.depth, l.max_inline};
      spec.health = s.nics[l.local_device].health;
      spec.qp_health = l.health;
      spec.port = static_cast<uint8_t>(s.nics[l.local_device].facts->port);
      c.lanes.push_back(spec);
      min_inline = std::min(min_inline, l.max_inline);
      min_depth = std::min(min_depth, l.depth);
    }
    lanes_per_worker.push_back(c.lanes.size());
    TE_ASSIGN_OR_RETURN(std::unique_ptr<SendPath> path, SendPath::create(std::move(c), &postSendToQp, nullptr));
    out->workers.push_back(std::make_unique<VerbsWorker>(std::move((*cqs)[w]), std::move(path), stall));
  }
  const bool any = !lanes.empty();
  out->summary = {{"qps", out->qps.size()},
                  {"lanes_per_worker", lanes_per_worker},
                  {"lane_depth", any ? min_depth : 0},
                  {"max_inline_data", any ? min_inline : 0},
                  {"request_table", out->workers.empty() ? 0 : out->workers[0]->path().tableCapacity()}};
  if (!faults.empty()) out->summary["key_faults"] = faults;
  return Status::ok();
}

}  // namespace

Result<ChannelSet> buildChannels(Collective& collective, Deadline deadline, const ChannelSetup& s) {
  const int size = static_cast<int>(s.endpoints.size());
  std::vector<ChannelPlan> plans(size);
  for (int p = 0; p < size; ++p) {
    if (p == s.rank) continue;
    plans[p] = planChannels(s.workers, static_cast<int>(s.nics.size()), s.endpoints[p].workers,
                            static_cast<int>(s.endpoints[p].devices.size()), s.options.qps_per_peer);
  }
  const CqPlan cq_plan = planCqs(s, plans);
  // Locals in teardown order: on an error return the QPs go before the CQs they use.
  std::vector<std::vector<WorkerCq>> cqs(s.workers);
  std::vector<ibv_context*> contexts;
  for (const LocalNic& n : s.nics) contexts.push_back(n.context);
  for (int w = 0; w < s.workers; ++w) {
    TE_ASSIGN_OR_RETURN(cqs[w], createWorkerCqs(contexts, cq_plan.cq_depth[w]));
  }
  std::vector<std::unique_ptr<QpHealth>> health;  // outlives the QPs whose qp_context it is
  std::vector<QpPtr> qps;
  std::vector<PlannedLane> lanes;
  std::vector<Bytes> to_each(size);
  TE_RETURN_IF_ERROR(createQps(s, plans, cq_plan, cqs, &health, &qps, &lanes, &to_each));
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> from, collective.allToAll(to_each, deadline));
  TE_ASSIGN_OR_RETURN(QpSettings used, connectQps(s, plans, lanes, from));

  ChannelSet out;
  out.qp_health = std::move(health);
  out.qps = std::move(qps);  // from here `out` tears down QPs before the workers' CQs
  TE_RETURN_IF_ERROR(makeWorkers(s, lanes, &cqs, &out));
  out.summary["path_mtu"] = used.path_mtus.empty() ? 0 : *used.path_mtus.begin();
  out.qos = qosSummary(s, used, lanes.size());
  // Every QP of every rank is at RTS before anyone posts (a QP still in INIT drops packets).
  TE_RETURN_IF_ERROR(collective.barrier(deadline));
  return out;
}

}  // namespace te::engine::verbs
