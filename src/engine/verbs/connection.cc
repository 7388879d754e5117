#include "engine/verbs/connection.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/logging.h"
#include "engine/verbs/key_faults.h"
#include "engine/verbs/qp_state.h"
#include "engine/verbs/queue_sizing.h"
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

std::string laneContext(const ChannelSetup& s, const PeerLane& l) {
  const PortFacts& me = *s.nics[l.local_device].facts;
  return "to " + peerName(s, l.peer) + " via " + me.device + " port " + std::to_string(me.port) + " -> " +
         s.endpoints[l.peer].devices[l.remote_device].name;
}

ChannelPlan planFor(const ChannelSetup& s, int peer) {
  return planChannels(s.workers, static_cast<int>(s.nics.size()), s.endpoints[peer].workers,
                      static_cast<int>(s.endpoints[peer].devices.size()), s.options.qps_per_peer);
}

Status connectLane(const ChannelSetup& s, const PeerLane& l, uint32_t remote_qpn, QpSettings* used) {
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
  // RoCE: the pair both ends matched (gid_plan.h), not each end's own default.
  TE_ASSIGN_OR_RETURN(GidPlan::Use gid, s.gids.use(s.endpoints, l.peer, l.local_device, l.remote_device));
  if (gid.kind != GidMatchKind::kUnused) {
    std::memcpy(r.dgid.raw, gid.theirs.gid.data(), 16);
    r.sgid_index = static_cast<uint8_t>(gid.mine.index);
  }
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

}  // namespace

std::string peerName(const ChannelSetup& s, int p) { return worker::peerLabel(p, s.endpoints[p].hostname); }

CqPlan planCqs(const ChannelSetup& s, int planned_peers) {
  const int workers = s.workers;
  const size_t devices = s.nics.size();
  const int others = static_cast<int>(s.endpoints.size()) - 1;
  std::vector<std::vector<uint64_t>> lanes(workers, std::vector<uint64_t>(devices, 0));
  for (size_t p = 0; p < s.endpoints.size(); ++p) {
    if (static_cast<int>(p) == s.rank) continue;
    const ChannelPlan plan = planFor(s, static_cast<int>(p));
    for (int c = 0; c < plan.count(); ++c) ++lanes[plan.worker(c, workers)][plan.device(c, devices)];
  }
  CqPlan out{std::vector<std::vector<uint32_t>>(workers, std::vector<uint32_t>(devices)),
             std::vector<std::vector<int>>(workers, std::vector<int>(devices))};
  for (int w = 0; w < workers; ++w) {
    for (size_t d = 0; d < devices; ++d) {
      const PortFacts& f = *s.nics[d].facts;
      // --max-wr, under what the device allows and what the run can have outstanding on a lane.
      uint64_t depth = static_cast<uint64_t>(s.options.max_wr);
      if (f.max_qp_wr > 0) depth = std::min<uint64_t>(depth, f.max_qp_wr);
      const uint32_t needed = depthNeeded(s.requests_in_flight, s.largest_request, s.options.slice_size,
                                          static_cast<int>(devices) * s.options.qps_per_peer);
      if (needed > 0) depth = std::min<uint64_t>(depth, needed);
      // The lanes of `planned_peers` peers out of all of them (the same share of each).
      uint64_t n = lanes[w][d];
      if (others > 0 && planned_peers < others) n = (n * static_cast<uint64_t>(planned_peers) + others - 1) / others;
      const uint64_t max_cqe = f.max_cqe > 0 ? static_cast<uint64_t>(f.max_cqe) : (1ull << 22);
      if (n > 0 && n * depth > max_cqe) depth = std::max<uint64_t>(1, max_cqe / n);
      out.lane_depth[w][d] = static_cast<uint32_t>(depth);
      out.cq_depth[w][d] = static_cast<int>(std::max<uint64_t>(1, n * depth));
    }
  }
  return out;
}

Status createPeerQps(const ChannelSetup& s, int peer, const CqPlan& cq_plan, const std::vector<std::vector<ibv_cq*>>& cqs,
                     PeerChannels* out, std::vector<uint32_t>* qpns) {
  const int local_devices = static_cast<int>(s.nics.size());
  const int remote_devices = static_cast<int>(s.endpoints[peer].devices.size());
  const ChannelPlan plan = planFor(s, peer);
  bool host_region = false;
  for (const LocalRegionKeys& r : s.regions) host_region = host_region || r.host_readable;
  const uint32_t inline_wanted = inlineWanted(s.smallest_write, s.options.slice_size, host_region);
  for (int c = 0; c < plan.count(); ++c) {
    PeerLane l;
    l.peer = peer;
    l.worker = plan.worker(c, s.workers);
    l.local_device = static_cast<uint16_t>(plan.device(c, local_devices));
    l.remote_device = static_cast<uint16_t>(plan.device(c, remote_devices));
    const LocalNic& nic = s.nics[l.local_device];
    out->health.push_back(std::make_unique<QpHealth>());
    l.health = out->health.back().get();
    l.health->label = laneContext(s, l);
    RcQpCaps want{cq_plan.lane_depth[l.worker][l.local_device], inline_wanted, true}, got;
    TE_ASSIGN_OR_RETURN(QpPtr qp, createRcQp(nic.pd, cqs[l.worker][l.local_device], want, peerName(s, peer), &got,
                                             l.health));
    l.qp = qp.get();
    l.depth = std::min(want.max_send_wr, got.max_send_wr);
    l.max_inline = got.max_inline_data;
    l.lean_ops = got.lean_ops;
    l.queue_bytes = sendQueueBytes(got.max_send_wr, got.max_inline_data, got.lean_ops);
    out->qps.push_back(std::move(qp));
    TE_RETURN_IF_ERROR(modifyQpToInit(l.qp, static_cast<uint8_t>(nic.facts->port),
                                      static_cast<uint16_t>(nic.facts->pkey_index), laneContext(s, l)));
    qpns->push_back(l.qp->qp_num);
    out->lanes.push_back(l);
  }
  return Status::ok();
}

Status connectPeerQps(const ChannelSetup& s, const PeerChannels& channels, const Bytes& from, QpSettings* used) {
  if (channels.lanes.empty()) return Status::ok();
  const int peer = channels.lanes.front().peer;
  if (from.empty()) {
    return unavailable("verbs: " + peerName(s, peer) + " sent no QP numbers (it failed to make its QPs: its error says why)");
  }
  std::vector<uint32_t> remote;
  TE_RETURN_IF_ERROR(decodeQpNumbers(from, peer, channels.lanes.size(), &remote));
  for (size_t c = 0; c < channels.lanes.size(); ++c) TE_RETURN_IF_ERROR(connectLane(s, channels.lanes[c], remote[c], used));
  return Status::ok();
}

nlohmann::json qosSummary(const ChannelSetup& s, const QpSettings& used, size_t qps) {
  nlohmann::json j = rdmaQosJson(s.qos);
  j["path_mtu"] = used.path_mtus;
  j["qps"] = qps;
  j["global_routing"] = used.global;
  j["global_routing_why"] = used.global_why;
  return j;
}

}  // namespace te::engine::verbs
