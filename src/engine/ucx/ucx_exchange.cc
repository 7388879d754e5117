#include "engine/ucx/ucx_exchange.h"

#include <algorithm>
#include <sstream>

#include "common/bytes.h"

namespace te::engine::ucx {
namespace {

constexpr uint32_t kMagic = 0x55435845;  // "UCXE"
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxRegions = 1024;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

Bytes encodeEndpoint(const PublishedEndpoint& e) {
  ByteWriter w;
  w.put(kMagic).put(kVersion).putString(e.hostname).put(e.workers).putBytes(e.worker_address);
  w.put<uint32_t>(static_cast<uint32_t>(e.regions.size()));
  for (const auto& r : e.regions) {
    w.put(r.base).put(r.length).put(static_cast<uint8_t>(r.kind)).putBytes(r.rkey);
  }
  return w.take();
}

Status decodeEndpoint(const Bytes& b, int rank, PublishedEndpoint* e) {
  ByteReader r(b);
  auto bad = [rank](const char* what) {
    return internalError("ucx: endpoint of rank " + std::to_string(rank) + " is malformed (" + what + ")");
  };
  uint32_t magic = 0, version = 0, n = 0;
  if (!r.get(&magic) || magic != kMagic) return bad("magic");
  if (!r.get(&version) || version != kVersion) return bad("version: mixed te_bench builds?");
  if (!r.getString(&e->hostname, 1024) || !r.get(&e->workers) || !r.getBytes(&e->worker_address, 1 << 20)) {
    return bad("header");
  }
  if (e->workers <= 0 || e->workers > 1024 || e->worker_address.empty()) return bad("workers");
  if (!r.get(&n) || n > kMaxRegions) return bad("regions");
  e->regions.resize(n);
  for (auto& reg : e->regions) {
    uint8_t kind = 0;
    if (!r.get(&reg.base) || !r.get(&reg.length) || !r.get(&kind) || !r.getBytes(&reg.rkey, 1 << 20)) {
      return bad("regions");
    }
    if (kind > static_cast<uint8_t>(MemoryKind::kVram)) return bad("region kind");
    reg.kind = static_cast<MemoryKind>(kind);
  }
  if (!r.done()) return bad("trailing bytes");
  return Status::ok();
}

// A lane line looks like (UCX 1.13):
// "#                 lane[0]:  8:tcp/lo.0 md[4]      -> md[4]/tcp/sysdev[255] rma_bw#0 am am_bw#0"
// and each RMA lane (one that puts / gets go to when the rkey carries its md) has lines
// "#                  put[0]: 0..<short>..4294967296..<bcopy>..(inf)" (and get[0]), which
// become "rma": ["put", "get"] on that lane.
nlohmann::json parseEpLanes(const std::string& text) {
  nlohmann::json lanes = nlohmann::json::array();
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    for (const char* op : {"put", "get"}) {
      size_t p = line.find(std::string("# ") + op + "[");
      if (p == std::string::npos) p = line.find(std::string(" ") + op + "[");
      if (p == std::string::npos || line.find("]:", p) == std::string::npos) continue;
      int lane = std::atoi(line.c_str() + line.find('[', p) + 1);
      for (auto& l : lanes) {
        if (l["lane"] == lane) l["rma"].push_back(op);
      }
    }
    size_t at = line.find("lane[");
    if (at == std::string::npos) continue;
    size_t close = line.find("]:", at);
    if (close == std::string::npos) continue;
    nlohmann::json lane;
    lane["lane"] = std::atoi(line.c_str() + at + 5);
    std::istringstream rest(line.substr(close + 2));
    std::string rsc;
    rest >> rsc;  // "8:tcp/lo.0"
    size_t colon = rsc.find(':');
    std::string tl_dev = colon == std::string::npos ? rsc : rsc.substr(colon + 1);
    size_t slash = tl_dev.find('/');
    lane["transport"] = tl_dev.substr(0, slash);
    std::string dev = slash == std::string::npos ? "" : tl_dev.substr(slash + 1);
    size_t dot = dev.rfind('.');
    lane["device"] = dot == std::string::npos ? dev : dev.substr(0, dot);
    size_t arrow = line.find("->", close);
    std::string uses;
    if (arrow != std::string::npos) {
      std::istringstream tail(line.substr(arrow + 2));
      std::string word, skip;
      tail >> skip;  // remote md / tl / sysdev
      while (tail >> word) uses += (uses.empty() ? "" : " ") + word;
    }
    lane["uses"] = trim(uses);
    lanes.push_back(std::move(lane));
  }
  return lanes;
}

std::vector<std::string> laneTransports(const nlohmann::json& lanes) {
  std::vector<std::string> names;
  for (const auto& l : lanes) {
    std::string name = l.value("transport", "") + "/" + l.value("device", "");
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace te::engine::ucx
