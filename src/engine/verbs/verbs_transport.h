// Native ibverbs transport: RC QPs doing one-sided RDMA READ / WRITE, several QPs per peer
// and NIC, requests sliced across them, connection data exchanged through the Collective.
// Registered as "verbs" (preference 30) by src/engine/verbs/CMakeLists.txt.
#pragma once

#include "common/status.h"
#include "engine/transport.h"
#include "engine/transport_options.h"
#include "engine/verbs/verbs_options.h"

namespace te::engine::verbs {

// OK when an RDMA device with an active port is usable with its VerbsOptions; kUnavailable
// "no RDMA device found (ibv_get_device_list: ...)" on a machine without one.
Status probe(const TransportConfig& config);
Result<TransportPtr> create(const TransportConfig& config);

}  // namespace te::engine::verbs
