#include "engine/verbs/endpoint.h"

#include "common/bytes.h"

namespace te::engine::verbs {
namespace {

constexpr uint32_t kEndpointMagic = 0x56524253;  // "VRBS"
constexpr uint32_t kQpnMagic = 0x5650514e;       // "VPQN"
constexpr uint32_t kVersion = 2;  // 2: RoCE GID candidates
constexpr uint32_t kMaxDevices = 64;
constexpr uint32_t kMaxRegions = 4096;
constexpr size_t kMaxChannels = 1 << 20;

template <typename Bad>
Status decodeGidCandidates(ByteReader& r, DeviceAddress* d, const Bad& bad) {
  uint8_t pinned = 0, n = 0;
  if (!r.get(&pinned) || pinned > 1 || !r.get(&n)) return bad("GID candidates of " + d->name);
  if (n > kMaxGidCandidates) {
    return bad(std::to_string(n) + " GID candidates of " + d->name + ", at most " + std::to_string(kMaxGidCandidates));
  }
  d->gid_pinned = pinned != 0;
  d->gid_candidates.resize(n);
  for (GidCandidate& c : d->gid_candidates) {
    uint8_t type = 0;
    if (!r.get(&c.index) || !r.get(&c.gid) || !r.get(&type) || !r.get(&c.prefix_len)) {
      return bad("GID candidates of " + d->name);
    }
    if (type > static_cast<uint8_t>(GidType::kRoceV2)) return bad("GID type " + std::to_string(type) + " of " + d->name);
    const int most = isIpv4MappedGid(c.gid) ? 32 : 128;
    if (c.prefix_len > most) {
      return bad("GID " + std::to_string(c.index) + " of " + d->name + ": prefix length " + std::to_string(c.prefix_len));
    }
    c.type = static_cast<GidType>(type);
  }
  return Status::ok();
}

}  // namespace

Bytes encodeEndpoint(const RankEndpoint& e) {
  ByteWriter w;
  w.put(kEndpointMagic).put(kVersion).putString(e.hostname).put(e.workers);
  w.put<uint32_t>(static_cast<uint32_t>(e.devices.size()));
  for (const DeviceAddress& d : e.devices) {
    w.putString(d.name).put(d.port).put(static_cast<uint8_t>(d.link_layer)).put(d.active_mtu).put(d.lid);
    w.put(d.gid).put(d.gid_index).put(d.max_qp_rd_atom);
    w.put<uint8_t>(d.gid_pinned ? 1 : 0).put<uint8_t>(static_cast<uint8_t>(d.gid_candidates.size()));
    for (const GidCandidate& c : d.gid_candidates) {
      w.put(c.index).put(c.gid).put(static_cast<uint8_t>(c.type)).put(c.prefix_len);
    }
  }
  w.put<uint32_t>(static_cast<uint32_t>(e.regions.size()));
  for (const RegionDescriptor& r : e.regions) {
    w.put(r.addr).put(r.length).put(static_cast<uint8_t>(r.kind));
    for (uint32_t k : r.rkeys) w.put(k);
  }
  return w.take();
}

Status decodeEndpoint(const Bytes& b, int rank, RankEndpoint* e) {
  ByteReader r(b);
  auto bad = [rank](const std::string& what) {
    return internalError("verbs: endpoint of rank " + std::to_string(rank) + " is malformed (" + what + ")");
  };
  uint32_t magic = 0, version = 0, n = 0;
  if (!r.get(&magic) || magic != kEndpointMagic) return bad("magic: is every rank running --transport verbs?");
  if (!r.get(&version) || version != kVersion) return bad("version: mixed te_bench builds?");
  if (!r.getString(&e->hostname, 1024) || !r.get(&e->workers) || e->workers <= 0 || e->workers > 4096) {
    return bad("header");
  }
  if (!r.get(&n) || n == 0 || n > kMaxDevices) return bad("device count");
  e->devices.resize(n);
  for (DeviceAddress& d : e->devices) {
    uint8_t ll = 0;
    if (!r.getString(&d.name, 256) || !r.get(&d.port) || !r.get(&ll) || !r.get(&d.active_mtu) || !r.get(&d.lid) ||
        !r.get(&d.gid) || !r.get(&d.gid_index) || !r.get(&d.max_qp_rd_atom)) {
      return bad("devices");
    }
    if (ll != static_cast<uint8_t>(LinkLayer::kInfiniBand) && ll != static_cast<uint8_t>(LinkLayer::kEthernet)) {
      return bad("link layer");
    }
    d.link_layer = static_cast<LinkLayer>(ll);
    TE_RETURN_IF_ERROR(decodeGidCandidates(r, &d, bad));
  }
  if (!r.get(&n) || n > kMaxRegions) return bad("region count");
  e->regions.resize(n);
  for (RegionDescriptor& reg : e->regions) {
    uint8_t kind = 0;
    if (!r.get(&reg.addr) || !r.get(&reg.length) || !r.get(&kind) || kind > 1) return bad("regions");
    reg.kind = static_cast<MemoryKind>(kind);
    reg.rkeys.resize(e->devices.size());
    for (uint32_t& k : reg.rkeys) {
      if (!r.get(&k)) return bad("rkeys");
    }
  }
  if (!r.done()) return bad("trailing bytes");
  return Status::ok();
}

Bytes encodeQpNumbers(const std::vector<uint32_t>& qpns) {
  ByteWriter w;
  w.put(kQpnMagic).put<uint32_t>(static_cast<uint32_t>(qpns.size()));
  for (uint32_t q : qpns) w.put(q);
  return w.take();
}

Status decodeQpNumbers(const Bytes& b, int rank, size_t expected, std::vector<uint32_t>* qpns) {
  ByteReader r(b);
  uint32_t magic = 0, n = 0;
  if (!r.get(&magic) || magic != kQpnMagic || !r.get(&n) || n > kMaxChannels) {
    return internalError("verbs: QP numbers from rank " + std::to_string(rank) + " are malformed");
  }
  if (n != expected) {
    return internalError("verbs: rank " + std::to_string(rank) + " made " + std::to_string(n) + " QPs for this pair, " +
                         std::to_string(expected) + " expected (different --qps-per-peer or --threads?)");
  }
  qpns->resize(n);
  for (uint32_t& q : *qpns) {
    if (!r.get(&q)) return internalError("verbs: QP numbers from rank " + std::to_string(rank) + " are truncated");
  }
  return Status::ok();
}

}  // namespace te::engine::verbs
