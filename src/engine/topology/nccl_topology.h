// NCCL's topology file (NCCL_TOPO_FILE, the XML that NCCL_TOPO_DUMP_FILE writes and that
// clouds ship for their GPU VMs, e.g. Azure's ndv5-topo.xml) as a second source of PCIe
// locations. Inside such VMs sysfs puts every GPU and NIC on its own host bridge, so the
// sysfs distance can only say "same NUMA node"; the file says which NIC sits beside which
// GPU. Devices are found by PCI bus id, NICs also by the <net name=...> they carry.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/topology/pci_affinity.h"

namespace te::engine {

class NcclTopology {
 public:
  // kInvalidArgument naming `source` (the flag and file) when it cannot be read or parsed.
  static Result<NcclTopology> parse(const std::string& xml_text, const std::string& source);
  static Result<NcclTopology> load(const std::string& path, const std::string& flag);

  // A location pciDistance() can compare with the others of this file: the path runs
  // through the file's bridges. Devices below a common bridge of the file compare as the
  // same PCIe switch; under different top-level <pci> of one <cpu>, as the same NUMA node
  // (the file does not say whether they share a host bridge).
  // Empty path when the file does not list the device. `bus_id` "0000:1a:00.0" (any case);
  // another function of the same device is accepted, as NCCL lists a NIC's first function.
  PciLocation locate(const std::string& bus_id) const;
  PciLocation locateNet(const std::string& net_name) const;

  size_t size() const { return by_bus_id_.size(); }
  const std::string& source() const { return source_; }

 private:
  std::map<std::string, PciLocation> by_bus_id_;  // lower-case bus id -> location
  std::map<std::string, std::string> net_bus_id_;  // <net name> -> bus id of its <pci>
  std::string source_;
};

// Where a GPU and the NICs sit by the file: the GPU (by bus id) and at least one NIC (by the
// bus id at the end of its sysfs location, else by name) must be listed, else std::nullopt
// and sysfs decides. NICs the file does not list keep only their sysfs NUMA node.
struct TopologyPlacement {
  PciLocation gpu;
  std::vector<PciLocation> nics;  // parallel to the NICs given
};
std::optional<TopologyPlacement> placeByTopology(const NcclTopology& topology, const std::string& gpu_bus_id,
                                                 const std::vector<std::string>& nic_names,
                                                 const std::vector<PciLocation>& nic_sysfs);

// NCCL_TOPO_FILE from NCCL's own configuration file (lines NAME=value, '#' comments), as
// cloud images set it (Azure: /etc/nccl.conf); empty when the file or the line is absent.
std::string ncclConfTopoFile(const std::string& conf_path = "/etc/nccl.conf");

}  // namespace te::engine
