// Connection set-up through the Collective only: every rank has gathered every endpoint
// (devices, regions with rkeys); this plans the workers' CQs, makes the RC QPs of one peer's
// channels (see ChannelPlan) and brings them to RTS with the numbers the peer sent.
// channel_set.h puts them together, for every peer at once or peer by peer.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/collective.h"
#include "engine/rdma_qos.h"
#include "engine/verbs/verbs_options.h"
#include "engine/verbs/async_events.h"
#include "engine/verbs/device_discovery.h"
#include "engine/verbs/endpoint.h"
#include "engine/verbs/gid_plan.h"
#include "engine/verbs/verbs_worker.h"

namespace te::engine::verbs {

struct LocalNic {
  ibv_context* context = nullptr;
  ibv_pd* pd = nullptr;
  const PortFacts* facts = nullptr;
  const DeviceHealth* health = nullptr;  // its async events (EventMonitor)
};

struct ChannelSetup {
  int rank = 0;
  int workers = 1;
  VerbsOptions options;
  RdmaQosOptions qos;                       // traffic class, service level, MTU cap of every QP
  std::vector<LocalNic> nics;               // the devices this rank uses, in endpoint order
  std::vector<LocalRegionKeys> regions;     // lkeys in the same device order
  std::vector<RankEndpoint> endpoints;      // every rank's, indexed by rank
  GidPlan gids;                             // RoCE: the GID pair towards each peer (gid_plan.h)
  // What the run posts (TransportConfig): queues sized to it (queue_sizing.h).
  uint64_t requests_in_flight = 0;
  uint64_t largest_request = 0;
  uint64_t smallest_write = ~0ull;
};

// Why a QP from `me` to `them` carries a GRH (routes by GID), as NCCL decides: RoCE always;
// on InfiniBand when asked (--gid-index), when the port requires it (IBV_QPF_GRH_REQUIRED) or
// when the peer's subnet prefix (the first 8 bytes of its GID) differs. "" for LID routing.
std::string globalRoutingReason(const PortFacts& me, const DeviceAddress& them);

// What the QPs of this rank were set up with, for the report.
struct QpSettings {
  std::set<int> path_mtus;  // bytes
  bool global = false;      // some QP routes by GID: the traffic class travels in its GRH
  std::set<std::string> global_why;
};

// One QP of this rank: a lane of its worker's SendPath once connected.
struct PeerLane {
  ibv_qp* qp = nullptr;
  int peer = -1;
  int worker = 0;
  uint16_t local_device = 0;
  uint16_t remote_device = 0;
  uint32_t depth = 0;          // send-queue entries the QP was made with
  uint32_t max_inline = 0;
  bool lean_ops = false;       // made with only RDMA WRITE / READ declared (ibv_create_qp_ex)
  uint64_t queue_bytes = 0;    // its send queue, modelled on mlx5 (queue_sizing.h)
  QpHealth* health = nullptr;  // the QP's async events (its qp_context)
};

// The channels (ChannelPlan order) to one peer. Members in teardown order: the QPs go before
// the async-event state they point to.
struct PeerChannels {
  std::vector<std::unique_ptr<QpHealth>> health;
  std::vector<QpPtr> qps;
  std::vector<PeerLane> lanes;
};

// Send-queue depth per lane and CQ depth, per (worker, device): every lane may have `depth`
// WRs outstanding and each can produce a completion (flushed WRs do, signalled or not), so
// the CQ holds lanes * depth entries; a device with fewer CQEs gets shallower lanes. Planned
// for `planned_peers` peers connected at once (all of them, or the --max-connected-peers cap).
struct CqPlan {
  std::vector<std::vector<uint32_t>> lane_depth;
  std::vector<std::vector<int>> cq_depth;
};
CqPlan planCqs(const ChannelSetup& s, int planned_peers);

std::string peerName(const ChannelSetup& s, int peer);

// Creates the QPs of one peer's channels in INIT on the workers' CQs (`cqs[worker][device]`)
// and appends their numbers to `qpns`.
Status createPeerQps(const ChannelSetup& s, int peer, const CqPlan& plan, const std::vector<std::vector<ibv_cq*>>& cqs,
                     PeerChannels* out, std::vector<uint32_t>* qpns);
// Brings one peer's QPs to RTS with the numbers the peer sent.
Status connectPeerQps(const ChannelSetup& s, const PeerChannels& channels, const Bytes& from, QpSettings* used);
// The QoS of this rank's QPs: the settings and who set them, the path MTUs they ended with.
nlohmann::json qosSummary(const ChannelSetup& s, const QpSettings& used, size_t qps);

}  // namespace te::engine::verbs
