// NCCL topology files as a source of PCIe locations: the Azure ND H100 v5 layout (where
// sysfs says only "same NUMA node") and an NCCL_TOPO_DUMP_FILE-shaped bare-metal file.
#include "engine/topology/nccl_topology.h"
#include "unit/nccl_topology_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace te::engine {
namespace {

using testing::azureGpuBusId;
using testing::azureNicBusId;
using testing::azureSysfs;
using testing::ncclTopoFixture;

NcclTopology loadFixture(const std::string& name) {
  Result<NcclTopology> t = NcclTopology::load(ncclTopoFixture(name), "--topo-file");
  if (!t.isOk()) {
    ADD_FAILURE() << t.status().message();
    return NcclTopology{};
  }
  return std::move(*t);
}

TEST(NcclTopology, AzureFilePairsEachGpuWithOneNic) {
  NcclTopology t = loadFixture("azure_ndv5_like.xml");
  EXPECT_EQ(t.size(), 24u);  // 8 bridges, 8 GPUs, 8 NICs
  for (int g = 0; g < 8; ++g) {
    const PciLocation gpu = t.locate(azureGpuBusId(g));
    ASSERT_FALSE(gpu.path.empty()) << azureGpuBusId(g);
    EXPECT_EQ(gpu.numa_node, g < 4 ? 0 : 1);
    for (int n = 0; n < 8; ++n) {
      const PciDistance want = n == g ? PciDistance::kSameSwitch
                               : (n < 4) == (g < 4) ? PciDistance::kSameNumaNode
                                                    : PciDistance::kSystem;
      EXPECT_EQ(pciDistance(gpu, t.locate(azureNicBusId(n))), want) << "GPU " << g << ", NIC " << n;
    }
  }
}

TEST(NcclTopology, SysfsAloneTiesWhereTheFileDecides) {
  NcclTopology t = loadFixture("azure_ndv5_like.xml");
  std::vector<std::string> names;
  std::vector<PciLocation> sysfs;
  for (int n = 0; n < 8; ++n) {
    names.push_back("mlx5_ib" + std::to_string(n));
    sysfs.push_back(azureSysfs(azureNicBusId(n), n < 4 ? 0 : 1));
  }
  const PciAffinity by_sysfs = closestDevices(azureSysfs(azureGpuBusId(5), 1), "GPU 5", sysfs);
  EXPECT_EQ(by_sysfs.distance, PciDistance::kSameNumaNode);
  EXPECT_EQ(by_sysfs.indices, (std::vector<size_t>{4, 5, 6, 7}));

  std::optional<TopologyPlacement> placed = placeByTopology(t, azureGpuBusId(5), names, sysfs);
  ASSERT_TRUE(placed.has_value());
  const PciAffinity by_file = closestDevices(placed->gpu, "GPU 5", placed->nics);
  EXPECT_EQ(by_file.distance, PciDistance::kSameSwitch);
  EXPECT_EQ(by_file.indices, std::vector<size_t>{5});
}

TEST(NcclTopology, PlacementNeedsTheGpuAndOneNicInTheFile) {
  NcclTopology t = loadFixture("azure_ndv5_like.xml");
  const std::vector<std::string> names = {"mlx5_ib0", "eth_nic"};
  const std::vector<PciLocation> sysfs = {azureSysfs(azureNicBusId(0), 0), {"/sys/devices/pci0000:00/0000:00:05.0", 0}};
  EXPECT_FALSE(placeByTopology(t, "0000:99:00.0", names, sysfs).has_value()) << "GPU not in the file";
  EXPECT_FALSE(placeByTopology(t, "", names, sysfs).has_value()) << "GPU bus id unknown";
  EXPECT_FALSE(placeByTopology(t, azureGpuBusId(0), {"eth_nic"}, {sysfs[1]}).has_value()) << "no NIC in the file";
  std::optional<TopologyPlacement> placed = placeByTopology(t, azureGpuBusId(0), names, sysfs);
  ASSERT_TRUE(placed.has_value());
  EXPECT_TRUE(placed->nics[1].path.empty()) << "a NIC the file does not list keeps no path";
  EXPECT_EQ(placed->nics[1].numa_node, 0) << "but keeps its sysfs NUMA node";
}

TEST(NcclTopology, DumpFindsNicsByNameOtherFunctionsAndAnyCase) {
  NcclTopology t = loadFixture("dump_like.xml");
  const PciLocation gpu0 = t.locate("0000:0c:00.0");  // the file writes 0000:0C:00.0
  ASSERT_FALSE(gpu0.path.empty());
  const PciLocation mlx5_0 = t.locateNet("mlx5_0");
  ASSERT_FALSE(mlx5_0.path.empty());
  EXPECT_EQ(mlx5_0.path, t.locate("0000:0E:00.1").path) << "the second port's function maps to the listed first";
  EXPECT_EQ(pciDistance(gpu0, mlx5_0), PciDistance::kSameSwitch);
  EXPECT_EQ(pciDistance(gpu0, t.locateNet("mlx5_bond_0")), PciDistance::kSameNumaNode);
  EXPECT_EQ(pciDistance(t.locate("0000:8c:00.0"), t.locate("0000:8d:00.0")), PciDistance::kSameSwitch);
  EXPECT_EQ(pciDistance(gpu0, t.locate("0000:8d:00.0")), PciDistance::kSystem);
  EXPECT_TRUE(t.locateNet("mlx5_9").path.empty());
  // By name where the NIC's sysfs location is unknown.
  std::optional<TopologyPlacement> placed = placeByTopology(t, "0000:0c:00.0", {"mlx5_bond_0", "mlx5_0"}, {});
  ASSERT_TRUE(placed.has_value());
  EXPECT_EQ(closestDevices(placed->gpu, "GPU 0", placed->nics).indices, std::vector<size_t>{1});
}

TEST(NcclTopology, BadFilesAreOneLineErrorsNamingTheSource) {
  Result<NcclTopology> missing = NcclTopology::load("/nonexistent/topo.xml", "--topo-file");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "--topo-file /nonexistent/topo.xml: cannot read the file");
  Result<NcclTopology> garbage = NcclTopology::parse("<system><cpu>", "NCCL_TOPO_FILE t.xml");
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(garbage.status().message().rfind("NCCL_TOPO_FILE t.xml: not NCCL topology XML (", 0), 0u)
      << garbage.status().message();
  EXPECT_NE(NcclTopology::parse("<graphs/>", "f").status().message().find("no <system>"), std::string::npos);
  EXPECT_NE(NcclTopology::parse("<system><cpu numaid='0'/></system>", "f").status().message().find("lists no"),
            std::string::npos);
}

TEST(NcclTopology, ConfFileNamesTheTopologyLikeNcclReadsIt) {
  char dir[] = "/tmp/te_nccl_conf_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string conf = std::string(dir) + "/nccl.conf";
  std::ofstream(conf) << "# Azure's NDv5 image\nNCCL_IB_PCI_RELAXED_ORDERING=1\n"
                         "  NCCL_TOPO_FILE=/opt/old.xml\nNCCL_TOPO_FILE=/opt/microsoft/ndv5/topo.xml  \r\n"
                         "#NCCL_TOPO_FILE=/commented.xml\nNCCL_TOPO_FILE_EXTRA=/not/this\n";
  EXPECT_EQ(ncclConfTopoFile(conf), "/opt/microsoft/ndv5/topo.xml");
  std::ofstream(conf) << "NCCL_DEBUG=INFO\n";
  EXPECT_EQ(ncclConfTopoFile(conf), "");
  EXPECT_EQ(ncclConfTopoFile(std::string(dir) + "/absent.conf"), "");
  std::remove(conf.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace te::engine
