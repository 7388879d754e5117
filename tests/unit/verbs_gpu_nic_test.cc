// NIC choice for a GPU buffer: Mooncake's "cuda:N" matrix entries, --devices, else PCIe
// distance on a DGX H100-like layout (fixtures/pci).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "engine/verbs/nic_selection.h"
#include "unit/nccl_topology_fixture.h"
#include "unit/pci_fixture.h"

namespace te::engine::verbs {
namespace {

struct Layout {
  std::map<std::string, PciLocation> gpus;
  std::vector<CandidateNic> nics;
  std::vector<PciLocation> nic_locations;
};

Layout load() {
  Layout l;
  for (auto& [name, loc] : testing::loadPciFixture()) {
    if (name.rfind("gpu", 0) == 0) {
      l.gpus[name] = loc;
    } else {
      l.nics.push_back({name, loc.numa_node});
      l.nic_locations.push_back(loc);
    }
  }
  return l;
}

std::vector<std::string> names(const Layout& l, const NicChoice& c) {
  std::vector<std::string> out;
  for (size_t i : c.indices) out.push_back(l.nics[i].name);
  return out;
}

TEST(VerbsGpuNic, ClosestOnThePcieTree) {
  Layout l = load();
  ASSERT_EQ(l.nics.size(), 5u);
  NicChoice c = chooseNicsForGpu(l.nics, nullptr, 0, l.gpus["gpu0"], l.nic_locations, false);
  EXPECT_EQ(names(l, c), std::vector<std::string>{"mlx5_0"});
  EXPECT_EQ(c.reason, "same PCIe switch as GPU 0 (0000:18:00.0)");
  c = chooseNicsForGpu(l.nics, nullptr, 4, l.gpus["gpu4"], l.nic_locations, false);
  EXPECT_EQ(names(l, c), std::vector<std::string>{"mlx5_4"});
}

TEST(VerbsGpuNic, MatrixAndExplicitDevicesWin) {
  Layout l = load();
  auto matrix = parseNicPriorityMatrix(R"({"cuda:0": [["mlx5_2"], ["mlx5_1"]], "cpu:0": [["mlx5_1"], []]})");
  ASSERT_TRUE(matrix.isOk()) << matrix.status().message();
  NicChoice c = chooseNicsForGpu(l.nics, &*matrix, 0, l.gpus["gpu0"], l.nic_locations, false);
  EXPECT_EQ(names(l, c), std::vector<std::string>{"mlx5_2"});
  EXPECT_EQ(c.reason, "NIC priority matrix, preferred for cuda:0");
  c = chooseNicsForGpu(l.nics, &*matrix, 3, l.gpus["gpu2"], l.nic_locations, false);
  EXPECT_EQ(c.indices.size(), l.nics.size());
  EXPECT_EQ(c.reason, "NIC priority matrix has no entry cuda:3: all devices");
  c = chooseNicsForGpu(l.nics, nullptr, 0, l.gpus["gpu0"], l.nic_locations, true);
  EXPECT_EQ(c.indices.size(), l.nics.size());
  EXPECT_EQ(c.reason, "--devices");
}

TEST(VerbsGpuNic, UnknownGpuLocationUsesEveryDevice) {
  Layout l = load();
  NicChoice c = chooseNicsForGpu(l.nics, nullptr, 0, PciLocation{}, l.nic_locations, false);
  EXPECT_EQ(c.indices.size(), l.nics.size());
  EXPECT_NE(c.reason.find("unknown"), std::string::npos);
}

// An Azure ND H100 v5 VM: sysfs leaves four NICs per GPU; its NCCL topology file picks the
// one beside it, and the reason names the file. A matrix or --devices still wins.
TEST(VerbsGpuNic, NcclTopologyFilePairsWhereSysfsCannot) {
  std::vector<CandidateNic> nics;
  std::vector<PciLocation> sysfs;
  for (int n = 0; n < 8; ++n) {
    nics.push_back({"mlx5_ib" + std::to_string(n), n < 4 ? 0 : 1});
    sysfs.push_back(testing::azureSysfs(testing::azureNicBusId(n), n < 4 ? 0 : 1));
  }
  const std::string path = testing::ncclTopoFixture("azure_ndv5_like.xml");
  Result<NcclTopology> topo = NcclTopology::load(path, "NCCL_TOPO_FILE");
  ASSERT_TRUE(topo.isOk()) << topo.status().message();
  const std::string gpu_bus = testing::azureGpuBusId(2);
  const PciLocation gpu = testing::azureSysfs(gpu_bus, 0);
  NicChoice c = chooseNicsForGpu(nics, nullptr, 2, gpu, sysfs, false);
  EXPECT_EQ(c.indices, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(c.reason, "same NUMA node as GPU 2 (0003:00:00.0)");
  c = chooseNicsForGpu(nics, nullptr, 2, gpu, sysfs, false, &*topo, gpu_bus);
  EXPECT_EQ(c.indices, std::vector<size_t>{2});
  EXPECT_EQ(c.reason, "same PCIe switch as GPU 2 (0003:00:00.0) in NCCL_TOPO_FILE " + path);
  auto matrix = parseNicPriorityMatrix(R"({"cuda:2": [["mlx5_ib7"], []]})");
  ASSERT_TRUE(matrix.isOk());
  c = chooseNicsForGpu(nics, &*matrix, 2, gpu, sysfs, false, &*topo, gpu_bus);
  EXPECT_EQ(c.indices, std::vector<size_t>{7});
  c = chooseNicsForGpu(nics, nullptr, 2, gpu, sysfs, true, &*topo, gpu_bus);
  EXPECT_EQ(c.reason, "--devices");
}

}  // namespace
}  // namespace te::engine::verbs
