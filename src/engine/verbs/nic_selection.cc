#include "engine/verbs/nic_selection.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace te::engine::verbs {
namespace {

bool readNames(const nlohmann::json& j, std::vector<std::string>* out) {
  if (!j.is_array()) return false;
  for (const auto& n : j) {
    if (!n.is_string()) return false;
    out->push_back(n.get<std::string>());
  }
  return true;
}

std::vector<size_t> pick(const std::vector<CandidateNic>& c, const std::vector<std::string>& names) {
  std::vector<size_t> out;
  for (const std::string& n : names) {
    for (size_t i = 0; i < c.size(); ++i) {
      if (c[i].name == n) out.push_back(i);
    }
  }
  return out;
}

std::vector<size_t> all(size_t n) {
  std::vector<size_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = i;
  return out;
}

}  // namespace

Result<NicPriorityMatrix> parseNicPriorityMatrix(const std::string& json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalidArgument("not valid JSON");
  if (!j.is_object()) return invalidArgument("expected an object {\"cpu:0\": [[preferred...], [available...]], ...}");
  NicPriorityMatrix out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const nlohmann::json& v = it.value();
    NicPriority p;
    bool ok = v.is_array() && !v.empty() && v.size() <= 2 && readNames(v[0], &p.preferred) &&
              (v.size() < 2 || readNames(v[1], &p.available));
    if (!ok) {
      return invalidArgument("entry \"" + it.key() + "\": expected [[preferred devices], [available devices]]");
    }
    out.emplace(it.key(), std::move(p));
  }
  return out;
}

Result<NicPriorityMatrix> loadNicPriorityMatrix(const std::string& path) {
  std::ifstream in(path);
  if (!in) return invalidArgument("--nic-priority-matrix " + path + ": cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  Result<NicPriorityMatrix> m = parseNicPriorityMatrix(ss.str());
  if (!m.isOk()) return invalidArgument("--nic-priority-matrix " + path + ": " + m.status().message());
  return m;
}

namespace {

// Mooncake's matrix entry for `where` ("cpu:0", "cuda:3"): preferred, then available, then all.
NicChoice fromMatrix(const std::vector<CandidateNic>& candidates, const NicPriorityMatrix& matrix,
                     const std::string& where, const std::string& unknown_where) {
  NicChoice out;
  auto it = where.empty() ? matrix.end() : matrix.find(where);
  if (it != matrix.end()) {
    out.indices = pick(candidates, it->second.preferred);
    if (!out.indices.empty()) {
      out.reason = "NIC priority matrix, preferred for " + where;
      return out;
    }
    out.indices = pick(candidates, it->second.available);
    if (!out.indices.empty()) {
      out.reason = "NIC priority matrix, available for " + where + " (no preferred device is active)";
      return out;
    }
    out.indices = all(candidates.size());
    out.reason = "NIC priority matrix names no active device for " + where + ": all devices";
    return out;
  }
  out.indices = all(candidates.size());
  out.reason = where.empty() ? "NIC priority matrix given but " + unknown_where + ": all devices"
                             : "NIC priority matrix has no entry " + where + ": all devices";
  return out;
}

}  // namespace

NicChoice chooseNics(const std::vector<CandidateNic>& candidates, const NicPriorityMatrix* matrix, int buffer_node,
                     bool explicit_list) {
  NicChoice out;
  if (candidates.empty()) return out;
  const std::string where = buffer_node >= 0 ? "cpu:" + std::to_string(buffer_node) : "";
  if (matrix) return fromMatrix(candidates, *matrix, where, "the buffer's NUMA node is unknown");
  if (explicit_list) {
    out.indices = all(candidates.size());
    out.reason = "--devices";
    return out;
  }
  if (candidates.size() > 1 && buffer_node >= 0) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].numa_node == buffer_node) out.indices.push_back(i);
    }
    if (!out.indices.empty()) {
      out.reason = "devices on NUMA node " + std::to_string(buffer_node) + " of the buffer";
      return out;
    }
    out.indices = all(candidates.size());
    out.reason = "no device on NUMA node " + std::to_string(buffer_node) + " of the buffer: all devices";
    return out;
  }
  out.indices = all(candidates.size());
  out.reason = candidates.size() == 1 ? "the only active device" : "all active devices (buffer NUMA node unknown)";
  return out;
}


NicChoice chooseNicsForGpu(const std::vector<CandidateNic>& candidates, const NicPriorityMatrix* matrix, int gpu,
                           const PciLocation& gpu_location, const std::vector<PciLocation>& nic_locations,
                           bool explicit_list, const NcclTopology* topology, const std::string& gpu_bus_id) {
  NicChoice out;
  if (candidates.empty()) return out;
  const std::string where = "cuda:" + std::to_string(gpu);
  if (matrix) return fromMatrix(candidates, *matrix, where, "the GPU is unknown");
  if (explicit_list) {
    out.indices = all(candidates.size());
    out.reason = "--devices";
    return out;
  }
  std::optional<TopologyPlacement> placed;
  if (topology) {
    std::vector<std::string> names;
    for (const CandidateNic& c : candidates) names.push_back(c.name);
    placed = placeByTopology(*topology, gpu_bus_id, names, nic_locations);
  }
  const PciLocation& at = placed ? placed->gpu : gpu_location;
  PciAffinity a = closestDevices(
      at, "GPU " + std::to_string(gpu) + (at.path.empty() ? "" : " (" + at.path.substr(at.path.rfind('/') + 1) + ")"),
      placed ? placed->nics : nic_locations);
  out.indices = a.indices;
  out.reason = placed ? a.reason + " in " + topology->source() : a.reason;
  return out;
}

}  // namespace te::engine::verbs
