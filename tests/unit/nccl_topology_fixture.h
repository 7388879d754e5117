// The NCCL topology fixtures (fixtures/nccl_topo) and the sysfs paths the same Azure ND H100
// v5 VM shows: Hyper-V gives every GPU and NIC a PCI domain (host bridge) of its own below
// VMBus, so sysfs alone cannot tell which NIC is beside which GPU.
#pragma once

#include <string>
#include <vector>

#include "engine/topology/nccl_topology.h"

namespace te::testing {

inline std::string ncclTopoFixture(const std::string& name) {
  return std::string(TE_FIXTURE_DIR) + "/nccl_topo/" + name;
}

// GPU N (0..7) and NIC N of the Azure layout: bus ids as in azure_ndv5_like.xml.
inline std::string azureGpuBusId(int n) {
  static const char* const kGpus[] = {"0001", "0002", "0003", "0008", "0009", "000a", "000b", "000c"};
  return std::string(kGpus[n]) + ":00:00.0";
}
inline std::string azureNicBusId(int n) { return "010" + std::to_string(n + 1) + ":00:00.0"; }

// The Hyper-V sysfs location of a device there (modelled on the vPCI layout, GUIDs made up).
inline engine::PciLocation azureSysfs(const std::string& bus_id, int numa_node) {
  const std::string domain = bus_id.substr(0, 4);
  return {"/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/" + domain +
              "0000-0000-0000-0000-000000000000/pci" + domain + ":00/" + bus_id,
          numa_node};
}

}  // namespace te::testing
