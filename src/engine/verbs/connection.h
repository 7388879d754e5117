// Connection set-up through the Collective only: every rank has gathered every endpoint
// (devices, regions with rkeys); this makes each worker's CQs, the RC QPs of every channel
// (see ChannelPlan), exchanges their numbers with one allToAll, brings them to RTS and hands
// each worker its SendPath.
#pragma once

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/collective.h"
#include "engine/rdma_qos.h"
#include "engine/verbs/verbs_options.h"
#include "engine/verbs/async_events.h"
#include "engine/verbs/device_discovery.h"
#include "engine/verbs/endpoint.h"
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
};

struct ChannelSet {
  // Each QP's async-event state (its qp_context): destroyed after the QPs and the workers.
  std::vector<std::unique_ptr<QpHealth>> qp_health;
  // Workers own the CQs; the QPs are declared after them so that they are destroyed first.
  std::vector<std::unique_ptr<VerbsWorker>> workers;
  std::vector<QpPtr> qps;
  nlohmann::json summary;
  nlohmann::json qos;  // traffic class, service level, MTU cap (and who set each), path MTUs used
};

// Why a QP from `me` to `them` carries a GRH (routes by GID), as NCCL decides: RoCE always;
// on InfiniBand when asked (--gid-index), when the port requires it (IBV_QPF_GRH_REQUIRED) or
// when the peer's subnet prefix (the first 8 bytes of its GID) differs. "" for LID routing.
std::string globalRoutingReason(const PortFacts& me, const DeviceAddress& them);

Result<ChannelSet> buildChannels(Collective& collective, Deadline deadline, const ChannelSetup& setup);

}  // namespace te::engine::verbs
