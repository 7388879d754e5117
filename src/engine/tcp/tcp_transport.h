// TCP transport: the baseline every machine has. A listener per rank, persistent
// connections per (peer, worker) opened once in connect(), framed READ / WRITE served by
// target-side threads so that initiators see one-sided semantics.
#pragma once

#include "common/status.h"
#include "engine/tcp/tcp_options.h"
#include "engine/transport.h"
#include "engine/transport_options.h"

namespace te::engine::tcp {

Status probe(const TransportConfig& config);
Result<TransportPtr> create(const TransportConfig& config);

}  // namespace te::engine::tcp
