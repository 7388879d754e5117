// RoCE GID matching: which of its GIDs a rank uses towards one peer, and which of the peer's
// it sends to. Both ends run the same pure rule over what both published (endpoint.h), so
// they reach the same pair: same RoCE type (v2 first), same address family, the same subnet
// before different ones (routed RoCE v2), link-local only with link-local. InfiniBand ports
// keep LID / GRH routing (connection.cc) and are not matched here.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "engine/verbs/endpoint.h"
#include "engine/verbs/sysfs_topology.h"

namespace te::engine::verbs {

// Up to kMaxGidCandidates GIDs of a port's table, best first (rankGids), always with
// `default_index` (added when the table lacks it, e.g. no sysfs: `default_gid`, type unknown);
// each with the prefix length of its address on its netdev.
std::vector<GidCandidate> gidCandidates(const std::vector<GidEntry>& table, int default_index, const Gid& default_gid,
                                        const std::vector<InterfaceAddress>& addresses);

// Why a pair was chosen, as counted in the report.
enum class GidMatchKind : uint8_t {
  kUnused,         // not a pair of the channel plan, or not RoCE
  kSameSubnet,     // both addresses in one subnet (the shorter prefix)
  kRouted,         // different subnets: routed RoCE v2
  kSubnetUnknown,  // a prefix length is unknown
  kLinkLocal,      // IPv6 link-local on both ends
  kPinned,         // --gid-index / MC_GID_INDEX on either end
  kNoMatch,        // no pair of the same RoCE type and address family
};
const char* gidMatchKindName(GidMatchKind k);

// A pair: positions in the two ends' candidate lists (gidCandidatesOf).
struct GidPick {
  int16_t lo = -1;  // of the lower rank's device
  int16_t hi = -1;  // of the higher rank's device
  GidMatchKind kind = GidMatchKind::kUnused;
};

// The candidates a device offers: its list, or (a peer without one) its default GID alone.
std::vector<GidCandidate> gidCandidatesOf(const DeviceAddress& d);

// The pair of a device of the lower rank (`lo`) and one of the higher rank (`hi`): symmetric
// by construction, since both ends call it in that order. kNoMatch when nothing pairs.
GidPick matchGids(const DeviceAddress& lo, const DeviceAddress& hi);

// The one-line reason, from `mine`'s side ("RoCE v2, IPv4 10.0.2.0/24 on both ends").
std::string gidMatchReason(const DeviceAddress& mine, const GidCandidate& my_gid, const DeviceAddress& theirs,
                           const GidCandidate& their_gid, GidMatchKind kind);
// The error for kNoMatch: both ends ("rank 3 (node07)") and their candidates, in one line.
std::string gidMismatchError(const std::string& me, const DeviceAddress& mine, const std::string& them,
                             const DeviceAddress& theirs);
// "3 v2 10.0.2.15/24" (index, type, address / prefix length).
std::string gidCandidateText(const GidCandidate& c);

}  // namespace te::engine::verbs
