#include "engine/topology/pci_affinity.h"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace te::engine {
namespace {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '/');) {
    if (part.rfind("pci", 0) == 0 || (!out.empty() && part.find(':') != std::string::npos)) out.push_back(part);
  }
  return out;  // {"pci0000:17", "0000:17:00.0", ..., the device}
}

}  // namespace

const char* pciDistanceName(PciDistance d) {
  switch (d) {
    case PciDistance::kSameSwitch: return "same PCIe switch";
    case PciDistance::kSameRootPort: return "same PCIe root port";
    case PciDistance::kSameHostBridge: return "same PCIe host bridge";
    case PciDistance::kSameNumaNode: return "same NUMA node";
    case PciDistance::kSystem: return "across NUMA nodes";
  }
  return "?";
}

PciDistance pciDistance(const PciLocation& a, const PciLocation& b) {
  const std::vector<std::string> pa = components(a.path), pb = components(b.path);
  if (!pa.empty() && !pb.empty() && pa[0] == pb[0]) {
    // Bridges both sit under (the endpoints themselves excluded).
    size_t shared = 0;
    while (shared + 1 < pa.size() && shared + 1 < pb.size() && pa[shared + 1] == pb[shared + 1]) ++shared;
    shared = std::min(shared, std::min(pa.size(), pb.size()) - 1);
    if (shared >= 2) return PciDistance::kSameSwitch;  // a bridge below the root port
    if (shared == 1) return PciDistance::kSameRootPort;
    return PciDistance::kSameHostBridge;
  }
  if (a.numa_node >= 0 && a.numa_node == b.numa_node) return PciDistance::kSameNumaNode;
  return PciDistance::kSystem;
}

PciLocation readPciLocation(const std::string& device_link) {
  PciLocation loc;
  char resolved[PATH_MAX];
  if (::realpath(device_link.c_str(), resolved) == nullptr) return loc;
  loc.path = resolved;
  std::ifstream numa(loc.path + "/numa_node");
  if (!(numa >> loc.numa_node)) loc.numa_node = -1;
  return loc;
}

std::string pciDeviceLink(const std::string& bus_id, const std::string& sysfs) {
  return sysfs + "/bus/pci/devices/" + bus_id;
}

PciAffinity closestDevices(const PciLocation& device, const std::string& device_name,
                           const std::vector<PciLocation>& candidates) {
  PciAffinity out;
  if (device.path.empty()) {
    for (size_t i = 0; i < candidates.size(); ++i) out.indices.push_back(i);
    out.reason = "PCIe location of " + device_name + " unknown: all devices";
    return out;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    const PciDistance d = pciDistance(device, candidates[i]);
    if (out.indices.empty() || d < out.distance) {
      out.indices.assign(1, i);
      out.distance = d;
    } else if (d == out.distance) {
      out.indices.push_back(i);
    }
  }
  out.reason = std::string(pciDistanceName(out.distance)) + " as " + device_name;
  return out;
}

}  // namespace te::engine
