// Device discovery: every active (device, port) pair of the RDMA devices (or of the ones
// --devices names; one port with --ib-port), InfiniBand or Ethernet (RoCE) only, one link
// layer per run unless the devices are named; the facts of each port (link layer, MTU,
// speed x width -> line rate, NUMA node, P_Key, whether it needs a GRH) and its address (LID
// on InfiniBand; on RoCE the auto-selected or --gid-index GID, and the candidates a peer may
// match).
#pragma once

#include <infiniband/verbs.h>

#include <memory>
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
  // RoCE: what a peer may pair with (gid_match.h), this default among them; pinned by
  // --gid-index / MC_GID_INDEX.
  std::vector<GidCandidate> gid_candidates;
  bool gid_pinned = false;
  std::string port_choice;        // why this port ("active, InfiniBand" / "--ib-port 2")
  bool grh_required = false;      // IBV_QPF_GRH_REQUIRED: every QP on it routes by GID
  int pkey_index = 0;
  uint16_t pkey = 0xffff;         // host order
  std::string pkey_choice;        // "--pkey-index" / "auto: first full member" / "auto: none full, index 0"
  uint16_t lid = 0;
  int max_qp_rd_atom = 1;         // responder resources per QP
  int max_qp_init_rd_atom = 1;    // initiator depth per QP
  int max_qp_wr = 0;
  int max_cqe = 0;
  int retry_count = 7;            // transport retries of its QPs (6 on Soft-RoCE, see qp_state.h)
};

// One usable port. The ports of a device share its context (closed with the last of them).
struct VerbsDevice {
  std::shared_ptr<ibv_context> context;
  PortFacts facts;
};

// Gb/s of one lane for ibv_port_attr::active_speed (SDR 2.5 ... NDR 100); 0 if unknown.
double laneGbps(int speed_code);
// Lanes for ibv_port_attr::active_width (1x, 2x, 4x, 8x, 12x); 0 if unknown.
int widthLanes(int width_code);
inline double lineRateGbps(int speed_code, int width_code) { return laneGbps(speed_code) * widthLanes(width_code); }

// Opens the devices, one entry per usable port. kUnavailable "no RDMA device found
// (ibv_get_device_list: ...)" without any; kInvalidArgument for a --devices name that does
// not exist (listing the ones found) or a --gid-index / --ib-port / --pkey-index the port does
// not have; kUnavailable when no port is active.
Result<std::vector<VerbsDevice>> discoverDevices(const VerbsOptions& options);

// Which link layer a run without --devices keeps when ports of both kinds are up: InfiniBand
// (RoCE ports beside an InfiniBand fabric are most often a management network). The
// indices of `layers` to keep, and what was left out ("" when nothing).
std::vector<size_t> oneLinkLayer(const std::vector<LinkLayer>& layers, std::string* left_out);

nlohmann::json portFactsJson(const PortFacts& f);
DeviceAddress deviceAddress(const PortFacts& f);

}  // namespace te::engine::verbs
