// What a rank publishes through the Collective to connect: its devices (port, LID, GID, MTU,
// on RoCE its candidate GIDs, so that both ends of a pair match theirs) and its regions (address, length, one rkey per device), gathered once with allGather; and
// the per-pair QP numbers, sent with allToAll (O(N) bytes per rank). Pure encoding.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/collective.h"
#include "common/status.h"
#include "engine/types.h"
#include "engine/verbs/sysfs_topology.h"

namespace te::engine::verbs {

enum class LinkLayer : uint8_t { kInfiniBand = 1, kEthernet = 2 };

// A GID of a RoCE port that a peer may pair with (gid_match.h).
struct GidCandidate {
  uint16_t index = 0;
  Gid gid{};
  GidType type = GidType::kUnknown;
  uint8_t prefix_len = 0;  // of its address on its netdev (IPv4: up to 32, IPv6: 128); 0: unknown
};
constexpr size_t kMaxGidCandidates = 8;

struct DeviceAddress {
  std::string name;
  uint8_t port = 1;
  LinkLayer link_layer = LinkLayer::kInfiniBand;
  uint8_t active_mtu = 3;        // enum ibv_mtu: the port's, under the rank's --mtu cap
  uint16_t lid = 0;
  std::array<uint8_t, 16> gid{};
  int16_t gid_index = -1;        // -1: no GID used (IB inside a subnet)
  uint8_t max_qp_rd_atom = 1;    // responder resources this device offers per QP
  // RoCE: the default GID above is one of these; pinned: --gid-index / MC_GID_INDEX chose it,
  // and a peer pairs with it only. Empty on InfiniBand.
  bool gid_pinned = false;
  std::vector<GidCandidate> gid_candidates;
};

struct RegionDescriptor {
  uint64_t addr = 0;
  uint64_t length = 0;
  MemoryKind kind = MemoryKind::kDram;
  std::vector<uint32_t> rkeys;  // one per device of the rank, same order
};

struct RankEndpoint {
  std::string hostname;
  int32_t workers = 1;
  std::vector<DeviceAddress> devices;
  std::vector<RegionDescriptor> regions;
};

Bytes encodeEndpoint(const RankEndpoint& e);
// kInternal naming the rank and the malformed part.
Status decodeEndpoint(const Bytes& b, int rank, RankEndpoint* e);

// QP numbers of the channels to one peer, in channel order.
Bytes encodeQpNumbers(const std::vector<uint32_t>& qpns);
Status decodeQpNumbers(const Bytes& b, int rank, size_t expected, std::vector<uint32_t>* qpns);

// The channels (RC QPs) between two ranks are shared by both directions: channel c has a QP
// at each end, made on the same plan from what both ranks published. Channel c belongs to
// worker w = c / (D * Q) (mod the rank's worker count), uses device slot c % D (devices
// alternate, so round robin over a worker's channels spreads over NICs) and is replica
// (c / D) % Q; D = max of both ranks' device counts, Q = qps_per_peer.
struct ChannelPlan {
  int workers = 1;  // max of both ranks' workers
  int devices = 1;  // max of both ranks' device counts
  int qps = 1;      // per device pair

  int count() const { return workers * devices * qps; }
  int worker(int c, int my_workers) const { return (c / (devices * qps)) % my_workers; }
  int deviceSlot(int c) const { return c % devices; }
  // The device of this end (with `n` devices) that channel c uses.
  int device(int c, int n) const { return deviceSlot(c) % n; }
};

inline ChannelPlan planChannels(int my_workers, int my_devices, int peer_workers, int peer_devices, int qps_per_peer) {
  ChannelPlan p;
  p.workers = my_workers > peer_workers ? my_workers : peer_workers;
  p.devices = my_devices > peer_devices ? my_devices : peer_devices;
  p.qps = qps_per_peer;
  return p;
}

}  // namespace te::engine::verbs
