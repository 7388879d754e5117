#include "engine/verbs/gid_match.h"

#include <arpa/inet.h>

#include <algorithm>
#include <tuple>

namespace te::engine::verbs {
namespace {

enum class Scope { kLinkLocal, kIpv6, kIpv4 };

Scope scopeOf(const Gid& g) {
  if (isIpv4MappedGid(g)) return Scope::kIpv4;
  return isLinkLocalGid(g) ? Scope::kLinkLocal : Scope::kIpv6;
}

bool typesPair(GidType a, GidType b) { return a == b || a == GidType::kUnknown || b == GidType::kUnknown; }

// The address bits of a GID: the last 4 bytes of an IPv4-mapped one, else all 16.
size_t firstByte(const Gid& g) { return isIpv4MappedGid(g) ? 12 : 0; }

bool samePrefix(const Gid& a, const Gid& b, int bits) {
  const size_t start = firstByte(a);
  bits = std::min(bits, static_cast<int>(16 - start) * 8);
  for (size_t i = start; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

// The kind of a pair regardless of --gid-index.
GidMatchKind naturalKind(const GidCandidate& a, const GidCandidate& b) {
  if (scopeOf(a.gid) == Scope::kLinkLocal) return GidMatchKind::kLinkLocal;
  if (a.prefix_len == 0 || b.prefix_len == 0) return GidMatchKind::kSubnetUnknown;
  return samePrefix(a.gid, b.gid, std::min(a.prefix_len, b.prefix_len)) ? GidMatchKind::kSameSubnet
                                                                         : GidMatchKind::kRouted;
}

std::string addressText(const Gid& g) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (isIpv4MappedGid(g)) {
    ::inet_ntop(AF_INET, g.data() + 12, buf, sizeof(buf));
  } else {
    ::inet_ntop(AF_INET6, g.data(), buf, sizeof(buf));
  }
  return buf;
}

// "10.0.2.0/24": the address under `bits` of prefix.
std::string subnetText(Gid g, int bits) {
  const size_t start = firstByte(g);
  for (size_t i = start; i < 16; ++i) {
    const int keep = std::clamp(bits - static_cast<int>(i - start) * 8, 0, 8);
    g[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return addressText(g) + "/" + std::to_string(bits);
}

std::string typeText(GidType a, GidType b) {
  if (a == b && a == GidType::kRoceV2) return "RoCE v2";
  if (a == b && a == GidType::kIbRoceV1) return "RoCE v1";
  return "RoCE (type unknown)";
}

const char* familyText(const Gid& g) {
  switch (scopeOf(g)) {
    case Scope::kIpv4: return "IPv4";
    case Scope::kIpv6: return "IPv6";
    default: return "IPv6 link-local";
  }
}

std::string candidatesText(const DeviceAddress& d) {
  std::string out;
  for (const GidCandidate& c : gidCandidatesOf(d)) {
    if (d.gid_pinned && c.index != d.gid_index) continue;
    out += (out.empty() ? "" : ", ") + gidCandidateText(c);
  }
  return "[" + out + "]" + (d.gid_pinned ? " (--gid-index / MC_GID_INDEX)" : "");
}

}  // namespace

const char* gidMatchKindName(GidMatchKind k) {
  switch (k) {
    case GidMatchKind::kSameSubnet: return "same_subnet";
    case GidMatchKind::kRouted: return "routed";
    case GidMatchKind::kSubnetUnknown: return "subnet_unknown";
    case GidMatchKind::kLinkLocal: return "link_local";
    case GidMatchKind::kPinned: return "pinned";
    case GidMatchKind::kNoMatch: return "no_match";
    default: return "unused";
  }
}

std::vector<GidCandidate> gidCandidates(const std::vector<GidEntry>& table, int default_index, const Gid& default_gid,
                                        const std::vector<InterfaceAddress>& addresses) {
  auto candidate = [&](const GidEntry& e) {
    return GidCandidate{static_cast<uint16_t>(e.index), e.gid, e.type,
                        static_cast<uint8_t>(prefixLengthOf(e.gid, e.netdev, addresses))};
  };
  std::vector<GidCandidate> out;
  bool has_default = false;
  for (size_t pos : rankGids(table)) {
    if (out.size() == kMaxGidCandidates) break;
    out.push_back(candidate(table[pos]));
    has_default = has_default || table[pos].index == default_index;
  }
  if (has_default || default_index < 0) return out;
  GidEntry fallback{default_index, default_gid, GidType::kUnknown, ""};
  auto it = std::find_if(table.begin(), table.end(), [&](const GidEntry& e) { return e.index == default_index; });
  const GidCandidate d = candidate(it != table.end() ? *it : fallback);
  if (out.size() == kMaxGidCandidates) out.pop_back();
  out.push_back(d);
  return out;
}

std::vector<GidCandidate> gidCandidatesOf(const DeviceAddress& d) {
  if (!d.gid_candidates.empty() || d.gid_index < 0) return d.gid_candidates;
  return {GidCandidate{static_cast<uint16_t>(d.gid_index), d.gid, GidType::kUnknown, 0}};
}

GidPick matchGids(const DeviceAddress& lo, const DeviceAddress& hi) {
  const std::vector<GidCandidate> a = gidCandidatesOf(lo), b = gidCandidatesOf(hi);
  using Key = std::tuple<int, int, int, int, int, int, int, int>;
  GidPick best{-1, -1, GidMatchKind::kNoMatch};
  Key best_key{};
  for (size_t i = 0; i < a.size(); ++i) {
    if (lo.gid_pinned && a[i].index != lo.gid_index) continue;
    for (size_t j = 0; j < b.size(); ++j) {
      if (hi.gid_pinned && b[j].index != hi.gid_index) continue;
      const Scope scope = scopeOf(a[i].gid);
      if (!typesPair(a[i].type, b[j].type) || scope != scopeOf(b[j].gid)) continue;
      const GidMatchKind kind = naturalKind(a[i], b[j]);
      const int type_rank = a[i].type != b[j].type || a[i].type == GidType::kUnknown ? 0
                            : a[i].type == GidType::kRoceV2                       ? 2
                                                                                  : 1;
      const int subnet_rank = kind == GidMatchKind::kSameSubnet ? 2 : kind == GidMatchKind::kRouted ? 0 : 1;
      const bool lo_default = a[i].index == lo.gid_index, hi_default = b[j].index == hi.gid_index;
      // Compared in this order; ties: each end's default, the lower rank's first, then indices.
      const Key key{type_rank,     scope != Scope::kLinkLocal, subnet_rank, scope == Scope::kIpv4,
                    int(lo_default) + int(hi_default), int(lo_default), -int(a[i].index), -int(b[j].index)};
      if (best.lo < 0 || key > best_key) {
        best = {static_cast<int16_t>(i), static_cast<int16_t>(j), kind};
        best_key = key;
      }
    }
  }
  if (best.lo >= 0 && (lo.gid_pinned || hi.gid_pinned)) best.kind = GidMatchKind::kPinned;
  return best;
}

std::string gidCandidateText(const GidCandidate& c) {
  const char* type = c.type == GidType::kRoceV2 ? "v2" : c.type == GidType::kIbRoceV1 ? "v1" : "?";
  return std::to_string(c.index) + " " + type + " " + addressText(c.gid) +
         (c.prefix_len > 0 ? "/" + std::to_string(c.prefix_len) : "");
}

std::string gidMatchReason(const DeviceAddress& mine, const GidCandidate& my_gid, const DeviceAddress& theirs,
                           const GidCandidate& their_gid, GidMatchKind kind) {
  std::string pinned;
  if (kind == GidMatchKind::kPinned) {
    if (mine.gid_pinned) pinned = "--gid-index " + std::to_string(my_gid.index) + " (or MC_GID_INDEX) here";
    if (theirs.gid_pinned) {
      pinned += (pinned.empty() ? "" : ", ") + std::string("the peer's --gid-index ") + std::to_string(their_gid.index);
    }
    pinned += "; ";
    kind = naturalKind(my_gid, their_gid);
  }
  const std::string type = typeText(my_gid.type, their_gid.type);
  const std::string family = familyText(my_gid.gid);
  switch (kind) {
    case GidMatchKind::kSameSubnet:
      return pinned + type + ", " + family + " " +
             subnetText(my_gid.gid, std::min(my_gid.prefix_len, their_gid.prefix_len)) + " on both ends";
    case GidMatchKind::kRouted:
      return pinned + "no common subnet: routed, " + type + " " + family + " (" +
             subnetText(my_gid.gid, my_gid.prefix_len) + " here, " + subnetText(their_gid.gid, their_gid.prefix_len) +
             " on the peer)";
    case GidMatchKind::kLinkLocal: return pinned + type + ", IPv6 link-local on both ends";
    default: return pinned + type + ", " + family + ", subnet unknown (no prefix length)";
  }
}

std::string gidMismatchError(const std::string& me, const DeviceAddress& mine, const std::string& them,
                             const DeviceAddress& theirs) {
  return "verbs: no RoCE GID pair between " + me + " " + mine.name + " " + candidatesText(mine) + " and " + them + " " +
         theirs.name + " " + candidatesText(theirs) +
         ": both ends need the same RoCE type (v1 / v2) and address family (IPv4, IPv6, link-local)";
}

}  // namespace te::engine::verbs
