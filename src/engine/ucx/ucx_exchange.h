// What a rank publishes to its peers through the Collective (never a side channel): its
// service worker's address and, per registered region, base + length + kind + packed rkey.
// Also the parser for ucp_ep_print_info text (the lanes UCX chose). No UCX calls here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/collective.h"
#include "common/status.h"
#include "engine/types.h"

namespace te::engine::ucx {

struct PublishedRegion {
  uint64_t base = 0;
  uint64_t length = 0;
  MemoryKind kind = MemoryKind::kDram;
  Bytes rkey;  // ucp_rkey_pack output
};

struct PublishedEndpoint {
  std::string hostname;
  int32_t workers = 0;
  Bytes worker_address;  // the rank's service worker (target side)
  std::vector<PublishedRegion> regions;
};

Bytes encodeEndpoint(const PublishedEndpoint& e);
Status decodeEndpoint(const Bytes& b, int rank, PublishedEndpoint* e);

// The lanes of ucp_ep_print_info output: [{"lane":0,"transport":"tcp","device":"lo",
// "uses":"rma_bw#0 am ..."}]; and the distinct "tl/device" names ("tcp/lo", "cma/memory").
nlohmann::json parseEpLanes(const std::string& text);
std::vector<std::string> laneTransports(const nlohmann::json& lanes);

}  // namespace te::engine::ucx
