// Device discovery: every RDMA device with an active port (or the ones --devices names), the
// facts of the chosen port (link layer, MTU, speed x width -> line rate, NUMA node) and its
// address (LID on InfiniBand; the auto-selected or --gid-index GID on RoCE).
#pragma once

#include <infiniband/verbs.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/verbs/verbs_options.h"
#include "engine/verbs/endpoint.h"
#include "engine/verbs/sysfs_topology.h"
#include "engine/verbs/verbs_handles.h"

namespace te::engine::verbs {

struct PortFacts {
  std::string device;
  int port = 1;
  LinkLayer link_layer = LinkLayer::kInfiniBand;
  std::string state;
  int active_mtu = IBV_MTU_1024;  // enum ibv_mtu
  int speed_code = 0;             // ibv_port_attr::active_speed
  int width_code = 0;             // ibv_port_attr::active_width
  int numa_node = -1;
  int gid_index = -1;             // -1: LID routing (IB)
  Gid gid{};
  std::string gid_choice;         // why this GID ("RoCE v2, IPv4-mapped, on eth0" / "--gid-index")
  uint16_t lid = 0;
  int max_qp_rd_atom = 1;         // responder resources per QP
  int max_qp_init_rd_atom = 1;    // initiator depth per QP
  int max_qp_wr = 0;
  int max_cqe = 0;
  int retry_count = 7;            // transport retries of its QPs (6 on Soft-RoCE, see qp_state.h)
};

struct VerbsDevice {
  ContextPtr context;
  PortFacts facts;
};

// Gb/s of one lane for ibv_port_attr::active_speed (SDR 2.5 ... NDR 100); 0 if unknown.
double laneGbps(int speed_code);
// Lanes for ibv_port_attr::active_width (1x, 2x, 4x, 8x, 12x); 0 if unknown.
int widthLanes(int width_code);
inline double lineRateGbps(int speed_code, int width_code) { return laneGbps(speed_code) * widthLanes(width_code); }

// Opens the devices. kUnavailable "no RDMA device found (ibv_get_device_list: ...)" without
// any; kInvalidArgument for a --devices name that does not exist (listing the ones found) or
// a --gid-index / --ib-port the port does not have; kUnavailable when no port is active.
Result<std::vector<VerbsDevice>> discoverDevices(const VerbsOptions& options);

nlohmann::json portFactsJson(const PortFacts& f);
DeviceAddress deviceAddress(const PortFacts& f);

}  // namespace te::engine::verbs
