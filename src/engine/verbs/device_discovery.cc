#include "engine/verbs/device_discovery.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "common/logging.h"
#include "engine/verbs/gid_match.h"
#include "engine/verbs/qp_state.h"

namespace te::engine::verbs {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

Gid toGid(const ibv_gid& g) {
  Gid out;
  std::memcpy(out.data(), g.raw, 16);
  return out;
}

// The GID table of a port: from sysfs, else (no sysfs) the entries ibv_query_gid shows.
std::vector<GidEntry> roceGidTable(ibv_context* ctx, const char* sysfs_dir, const ibv_port_attr& pa, int port) {
  std::vector<GidEntry> table = readGidTable(std::string(sysfs_dir) + "/ports/" + std::to_string(port));
  if (!table.empty()) return table;
  for (int i = 0; i < pa.gid_tbl_len && i < 256; ++i) {
    ibv_gid g{};
    if (ibv_query_gid(ctx, static_cast<uint8_t>(port), i, &g) != 0) continue;
    if (!isZeroGid(toGid(g))) table.push_back(GidEntry{i, toGid(g), GidType::kUnknown, ""});
  }
  return table;
}

// The GID of an Ethernet (RoCE) port: --gid-index when given, else auto-selection; and the
// candidates a peer may match (gid_match.h), pinned to that one with --gid-index.
Status chooseRoceGid(ibv_context* ctx, const char* sysfs_dir, const ibv_port_attr& pa, const VerbsOptions& o,
                     PortFacts* f) {
  const std::string where = f->device + " port " + std::to_string(f->port);
  const std::vector<GidEntry> table = roceGidTable(ctx, sysfs_dir, pa, f->port);
  if (o.gid_index >= 0) {
    if (o.gid_index >= pa.gid_tbl_len) {
      return invalidArgument("verbs: --gid-index " + std::to_string(o.gid_index) + ": " + where + " has " +
                             std::to_string(pa.gid_tbl_len) + " GID entries");
    }
    ibv_gid g{};
    int rc = ibv_query_gid(ctx, static_cast<uint8_t>(f->port), o.gid_index, &g);
    if (rc != 0) return verbsError("ibv_query_gid(" + std::to_string(o.gid_index) + ")", where, verbsErrno(rc));
    if (isZeroGid(toGid(g))) {
      return invalidArgument("verbs: --gid-index " + std::to_string(o.gid_index) + " (or MC_GID_INDEX): entry is empty on " +
                             where + " (see `show_gids` or " + sysfs_dir + "/ports/" + std::to_string(f->port) + "/gids)");
    }
    f->gid_index = o.gid_index;
    f->gid = toGid(g);
    f->gid_choice = "--gid-index / MC_GID_INDEX";
    f->gid_pinned = true;
  } else {
    Result<GidChoice> c = chooseGid(table);
    if (!c.isOk()) return unavailable("verbs: no usable RoCE GID on " + where + ": " + c.status().message());
    f->gid_index = c->index;
    f->gid = c->gid;
    f->gid_choice = "auto: " + c->why;
  }
  f->gid_candidates = gidCandidates(table, f->gid_index, f->gid, readInterfaceAddresses());
  return Status::ok();
}

// The P_Key of every QP on the port: --pkey-index, else the first full member (bit 15 set, as
// UCX chooses), else index 0.
Status choosePkey(ibv_context* ctx, const ibv_port_attr& pa, const VerbsOptions& o, PortFacts* f) {
  const std::string where = f->device + " port " + std::to_string(f->port);
  if (o.pkey_index >= 0) {
    if (o.pkey_index >= pa.pkey_tbl_len) {
      return invalidArgument("verbs: --pkey-index " + std::to_string(o.pkey_index) + ": " + where + " has " +
                             std::to_string(pa.pkey_tbl_len) + " P_Key entries");
    }
    uint16_t pkey = 0;
    int rc = ibv_query_pkey(ctx, static_cast<uint8_t>(f->port), o.pkey_index, &pkey);
    if (rc != 0) return verbsError("ibv_query_pkey(" + std::to_string(o.pkey_index) + ")", where, verbsErrno(rc));
    f->pkey_index = o.pkey_index;
    f->pkey = ntohs(pkey);
    f->pkey_choice = "--pkey-index";
    return Status::ok();
  }
  for (int i = 0; i < pa.pkey_tbl_len; ++i) {
    uint16_t pkey = 0;
    if (ibv_query_pkey(ctx, static_cast<uint8_t>(f->port), i, &pkey) != 0) break;
    const uint16_t host = ntohs(pkey);
    if ((host & 0x8000) != 0 && (host & 0x7fff) != 0) {
      f->pkey_index = i;
      f->pkey = host;
      f->pkey_choice = "auto: the first full-member P_Key";
      return Status::ok();
    }
  }
  uint16_t pkey = 0;
  f->pkey_index = 0;
  f->pkey = ibv_query_pkey(ctx, static_cast<uint8_t>(f->port), 0, &pkey) == 0 ? ntohs(pkey) : 0xffff;
  f->pkey_choice = "auto: no full-member P_Key, index 0";
  return Status::ok();
}

const char* linkLayerName(LinkLayer l) { return l == LinkLayer::kEthernet ? "Ethernet" : "InfiniBand"; }

// Fills the facts of `port` if it is active; the reason it is not usable otherwise.
Result<bool> readPort(ibv_context* ctx, ibv_device* dev, const ibv_device_attr& da, int port, const VerbsOptions& o,
                      PortFacts* f, std::string* why_not) {
  ibv_port_attr pa{};
  int rc = ibv_query_port(ctx, static_cast<uint8_t>(port), &pa);
  if (rc != 0) return verbsError("ibv_query_port(" + std::to_string(port) + ")", ibv_get_device_name(dev), verbsErrno(rc));
  const std::string where = std::string(ibv_get_device_name(dev)) + " port " + std::to_string(port);
  if (pa.state != IBV_PORT_ACTIVE) {
    *why_not = where + " " + ibv_port_state_str(pa.state);
    return false;
  }
  // Only RDMA over InfiniBand and RoCE: iWARP (Ethernet link layer, another transport) and a
  // link layer the provider leaves unspecified are not what the QPs here are set up for.
  if (dev->transport_type != IBV_TRANSPORT_IB) {
    *why_not = where + " is not an InfiniBand / RoCE device (node type " +
               ibv_node_type_str(dev->node_type) + ")";
    return false;
  }
  if (pa.link_layer != IBV_LINK_LAYER_INFINIBAND && pa.link_layer != IBV_LINK_LAYER_ETHERNET) {
    *why_not = where + " link layer " + std::to_string(pa.link_layer) + " (neither InfiniBand nor Ethernet)";
    return false;
  }
  f->device = ibv_get_device_name(dev);
  f->port = port;
  f->link_layer = pa.link_layer == IBV_LINK_LAYER_ETHERNET ? LinkLayer::kEthernet : LinkLayer::kInfiniBand;
  f->port_choice = o.ib_port > 0 ? "--ib-port " + std::to_string(o.ib_port)
                                 : std::string("active, ") + linkLayerName(f->link_layer);
  f->grh_required = (pa.flags & IBV_QPF_GRH_REQUIRED) != 0;
  TE_RETURN_IF_ERROR(choosePkey(ctx, pa, o, f));
  f->state = ibv_port_state_str(pa.state);
  f->active_mtu = pa.active_mtu;
  f->speed_code = pa.active_speed;
  f->width_code = pa.active_width;
  f->numa_node = readDeviceNumaNode(dev->ibdev_path);
  f->lid = pa.lid;
  f->max_qp_rd_atom = std::max(1, std::min(da.max_qp_rd_atom, 255));
  f->max_qp_init_rd_atom = std::max(1, std::min(da.max_qp_init_rd_atom, 255));
  f->max_qp_wr = da.max_qp_wr;
  f->max_cqe = da.max_cqe;
  f->retry_count = da.vendor_id == kSoftRoceVendorId ? kSoftRoceRetryCount : kRetryCount;
  if (f->link_layer == LinkLayer::kEthernet) {
    TE_RETURN_IF_ERROR(chooseRoceGid(ctx, dev->ibdev_path, pa, o, f));
  } else {
    ibv_gid g{};
    if (ibv_query_gid(ctx, static_cast<uint8_t>(port), std::max(o.gid_index, 0), &g) == 0) f->gid = toGid(g);
    f->gid_index = o.gid_index;  // IB: GRH only when asked for
    f->gid_choice = o.gid_index >= 0 ? "--gid-index / MC_GID_INDEX"
                                    : "LID routing (GID 0 where a GRH is needed: required, or another subnet)";
    if (f->lid == 0 && o.gid_index < 0) {
      *why_not = f->device + " port " + std::to_string(port) + " has no LID (is the subnet manager running?)";
      return false;
    }
  }
  return true;
}

}  // namespace

double laneGbps(int speed_code) {
  switch (speed_code) {
    case 1: return 2.5;    // SDR
    case 2: return 5.0;    // DDR
    case 4: return 10.0;   // QDR
    case 8: return 10.0;   // FDR10
    case 16: return 14.0;  // FDR
    case 32: return 25.0;  // EDR
    case 64: return 50.0;  // HDR
    case 128: return 100.0;  // NDR
    default: return 0.0;
  }
}

int widthLanes(int width_code) {
  switch (width_code) {
    case 1: return 1;
    case 2: return 4;
    case 4: return 8;
    case 8: return 12;
    case 16: return 2;
    default: return 0;
  }
}

Result<std::vector<VerbsDevice>> discoverDevices(const VerbsOptions& o) {
  TE_ASSIGN_OR_RETURN(DeviceList list, getDeviceList());
  std::vector<ibv_device*> all(list.list.get(), list.list.get() + list.count);
  std::vector<std::string> names;
  for (ibv_device* d : all) names.push_back(ibv_get_device_name(d));
  std::vector<ibv_device*> wanted;
  if (o.devices.empty()) {
    wanted = all;
  } else {
    for (const std::string& n : o.devices) {
      auto it = std::find(names.begin(), names.end(), n);
      if (it == names.end()) {
        return invalidArgument("verbs: --devices " + n + ": no such RDMA device (found: " + joined(names) + ")");
      }
      wanted.push_back(all[it - names.begin()]);
    }
  }
  std::vector<VerbsDevice> out;
  std::vector<std::string> unusable;
  for (ibv_device* dev : wanted) {
    TE_ASSIGN_OR_RETURN(ContextPtr opened, openDevice(dev));
    std::shared_ptr<ibv_context> ctx(std::move(opened));
    ibv_device_attr da{};
    int rc = ibv_query_device(ctx.get(), &da);
    if (rc != 0) return verbsError("ibv_query_device", ibv_get_device_name(dev), verbsErrno(rc));
    if (o.ib_port > da.phys_port_cnt) {
      return invalidArgument("verbs: --ib-port " + std::to_string(o.ib_port) + ": " + ibv_get_device_name(dev) +
                             " has " + std::to_string(da.phys_port_cnt) + " port(s)");
    }
    // Every port (a dual-port HCA gives two), or the one --ib-port names.
    const size_t before = out.size();
    std::string why_not;
    for (int port = o.ib_port > 0 ? o.ib_port : 1; port <= (o.ib_port > 0 ? o.ib_port : da.phys_port_cnt); ++port) {
      PortFacts facts;
      std::string reason;
      TE_ASSIGN_OR_RETURN(bool usable, readPort(ctx.get(), dev, da, port, o, &facts, &reason));
      if (usable) {
        out.push_back(VerbsDevice{ctx, std::move(facts)});
      } else {
        TE_LOG(DEBUG) << "verbs: skipped " << reason;
        unusable.push_back(reason);
        why_not += (why_not.empty() ? "" : "; ") + reason;
      }
    }
    if (out.size() == before && !o.devices.empty()) {
      return unavailable("verbs: --devices " + std::string(ibv_get_device_name(dev)) + ": " + why_not);
    }
  }
  if (out.empty()) return unavailable("verbs: no RDMA device with an active port (" + joined(unusable) + ")");
  if (o.devices.empty()) {
    std::vector<LinkLayer> layers;
    for (const VerbsDevice& d : out) layers.push_back(d.facts.link_layer);
    std::string left_out;
    std::vector<size_t> keep = oneLinkLayer(layers, &left_out);
    if (!left_out.empty()) {
      std::vector<VerbsDevice> kept;
      for (size_t i : keep) kept.push_back(std::move(out[i]));
      out = std::move(kept);
      TE_LOG(INFO) << "verbs: " << left_out << " (--devices names devices to use both kinds)";
    }
  }
  return out;
}

std::vector<size_t> oneLinkLayer(const std::vector<LinkLayer>& layers, std::string* left_out) {
  const size_t ib = static_cast<size_t>(std::count(layers.begin(), layers.end(), LinkLayer::kInfiniBand));
  std::vector<size_t> keep;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (ib == 0 || ib == layers.size() || layers[i] == LinkLayer::kInfiniBand) keep.push_back(i);
  }
  left_out->clear();
  if (keep.size() < layers.size()) {
    *left_out = "InfiniBand ports only: " + std::to_string(layers.size() - keep.size()) + " Ethernet (RoCE) port(s) left out";
  }
  return keep;
}

namespace {

nlohmann::json candidatesJson(const std::vector<GidCandidate>& candidates) {
  nlohmann::json out = nlohmann::json::array();
  for (const GidCandidate& c : candidates) out.push_back(gidCandidateText(c));
  return out;
}

}  // namespace

nlohmann::json portFactsJson(const PortFacts& f) {
  return {{"name", f.device},
          {"port", f.port},
          {"link_layer", f.link_layer == LinkLayer::kEthernet ? "Ethernet" : "InfiniBand"},
          {"state", f.state},
          {"active_mtu", mtuBytes(f.active_mtu)},
          {"speed_gbps_per_lane", laneGbps(f.speed_code)},
          {"width", widthLanes(f.width_code)},
          {"rate_gbps", lineRateGbps(f.speed_code, f.width_code)},
          {"numa_node", f.numa_node},
          {"gid_index", f.gid_index},
          {"gid", gidToString(f.gid)},
          {"gid_choice", f.gid_choice},
          {"gid_candidates", candidatesJson(f.gid_candidates)},
          {"port_choice", f.port_choice},
          {"grh_required", f.grh_required},
          {"pkey_index", f.pkey_index},
          {"pkey", f.pkey},
          {"pkey_choice", f.pkey_choice},
          {"lid", f.lid},
          {"max_qp_rd_atom", f.max_qp_rd_atom},
          {"retry_cnt", f.retry_count}};
}

DeviceAddress deviceAddress(const PortFacts& f) {
  DeviceAddress a;
  a.name = f.device;
  a.port = static_cast<uint8_t>(f.port);
  a.link_layer = f.link_layer;
  a.active_mtu = static_cast<uint8_t>(f.active_mtu);
  a.lid = f.lid;
  a.gid = f.gid;
  a.gid_index = static_cast<int16_t>(f.gid_index);
  a.max_qp_rd_atom = static_cast<uint8_t>(f.max_qp_rd_atom);
  a.gid_pinned = f.gid_pinned;
  a.gid_candidates = f.gid_candidates;
  return a;
}

}  // namespace te::engine::verbs
