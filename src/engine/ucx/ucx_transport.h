// UCX transport: one ucp_context (RMA), one ucp_worker per TransportWorker, and a service
// worker per rank that peers' endpoints target (progressed by its own thread, so UCX's
// software RMA over tcp works while the target rank is busy elsewhere). Worker addresses and
// packed rkeys travel through the Collective. UCX's environment (UCX_TLS, UCX_NET_DEVICES,
// ...) is passed through untouched. allocateBuffer (UcxOptions::allocate) hands out DRAM from
// ucp_mem_map ALLOCATE, whose rkeys let shared-memory peers map it (see ucx_memory.h).
#pragma once

#include "common/status.h"
#include "engine/transport.h"
#include "engine/transport_options.h"
#include "engine/ucx/ucx_options.h"

namespace te::engine::ucx {

Status probe(const TransportConfig& config);
Result<TransportPtr> create(const TransportConfig& config);

}  // namespace te::engine::ucx
