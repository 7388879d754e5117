// Which NICs a rank uses: Mooncake's NIC priority matrix when given, else the devices on the
// buffer's NUMA node when there are several, else all. Pure logic (names and NUMA nodes in,
// indices out), unit-tested without a device.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/topology/nccl_topology.h"
#include "engine/topology/pci_affinity.h"

namespace te::engine::verbs {

// One location of Mooncake's matrix: {"cpu:0": [["mlx5_0"], ["mlx5_1"]]} -> preferred
// devices first, then ones that are usable but farther away.
struct NicPriority {
  std::vector<std::string> preferred;
  std::vector<std::string> available;
};
using NicPriorityMatrix = std::map<std::string, NicPriority>;

Result<NicPriorityMatrix> parseNicPriorityMatrix(const std::string& json_text);
// kInvalidArgument naming the file when it cannot be read or parsed.
Result<NicPriorityMatrix> loadNicPriorityMatrix(const std::string& path);

struct CandidateNic {
  std::string name;
  int numa_node = -1;  // -1 unknown
};

struct NicChoice {
  std::vector<size_t> indices;  // into the candidate list, in use order
  std::string reason;           // for describe(): "NUMA node 1 of the buffer", ...
};

// `buffer_node` -1: unknown. `explicit_list`: the user named the devices (--devices), so they
// are all used unless a matrix says otherwise. Never returns an empty choice for a non-empty
// candidate list.
NicChoice chooseNics(const std::vector<CandidateNic>& candidates, const NicPriorityMatrix* matrix, int buffer_node,
                     bool explicit_list);

// For a GPU buffer: the matrix entry "cuda:<gpu>" when a matrix is given, all of an explicit
// --devices list, else the devices closest to the GPU on the PCIe tree (`nic_locations`
// parallel to `candidates`, from sysfs). With an NCCL topology file that lists the GPU (by
// `gpu_bus_id`) and some of the NICs, the file's tree is used instead and the reason names it.
NicChoice chooseNicsForGpu(const std::vector<CandidateNic>& candidates, const NicPriorityMatrix* matrix, int gpu,
                           const PciLocation& gpu_location, const std::vector<PciLocation>& nic_locations,
                           bool explicit_list, const NcclTopology* topology = nullptr,
                           const std::string& gpu_bus_id = "");

}  // namespace te::engine::verbs
