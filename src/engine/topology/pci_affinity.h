// PCIe distance between devices (a GPU and the NICs), from their sysfs paths: the NIC that
// shares a PCIe switch with the GPU beats one under the same root port, then the same host
// bridge, then the same NUMA node, then any. Pure functions over path strings, so unit tests
// run them on recorded layouts; readPciLocation is the only one that reads sysfs.
#pragma once

#include <string>
#include <vector>

namespace te::engine {

struct PciLocation {
  std::string path;   // resolved: /sys/devices/pci0000:17/0000:17:00.0/.../0000:1a:00.0
  int numa_node = -1;
};

enum class PciDistance { kSameSwitch, kSameRootPort, kSameHostBridge, kSameNumaNode, kSystem };
const char* pciDistanceName(PciDistance d);  // "same PCIe switch", ...

PciDistance pciDistance(const PciLocation& a, const PciLocation& b);

// `device_link`: /sys/bus/pci/devices/<bdf> or /sys/class/infiniband/<dev>/device. An empty
// path when it cannot be resolved.
PciLocation readPciLocation(const std::string& device_link);
// The PCI device link of a bus id ("0000:18:00.0") under `sysfs` (normally "/sys").
std::string pciDeviceLink(const std::string& bus_id, const std::string& sysfs = "/sys");

struct PciAffinity {
  std::vector<size_t> indices;  // the closest candidates, in candidate order
  PciDistance distance = PciDistance::kSystem;
  std::string reason;           // "same PCIe switch as GPU 0000:1a:00.0"
};

// The candidates closest to `device` (all of them when none can be placed).
PciAffinity closestDevices(const PciLocation& device, const std::string& device_name,
                           const std::vector<PciLocation>& candidates);

}  // namespace te::engine
