// GPU -> NIC affinity from PCIe paths: a fixture laid out like a DGX H100 node, and a real
// sysfs-like tree of symlinks for the reader.
#include "engine/topology/pci_affinity.h"
#include "unit/pci_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace te::engine {
namespace {

std::map<std::string, PciLocation> loadFixture() {
  std::map<std::string, PciLocation> out;
  for (auto& [name, loc] : testing::loadPciFixture()) out[name] = loc;
  return out;
}

std::vector<std::string> closest(const std::string& gpu) {
  auto all = loadFixture();
  std::vector<std::string> names;
  std::vector<PciLocation> nics;
  for (const auto& [name, loc] : all) {
    if (name.rfind("mlx5", 0) == 0) {
      names.push_back(name);
      nics.push_back(loc);
    }
  }
  PciAffinity a = closestDevices(all.at(gpu), gpu, nics);
  std::vector<std::string> out;
  for (size_t i : a.indices) out.push_back(names[i]);
  return out;
}

TEST(PciAffinity, FixtureLoads) { EXPECT_EQ(loadFixture().size(), 9u); }

TEST(PciAffinity, DistanceClasses) {
  auto f = loadFixture();
  EXPECT_EQ(pciDistance(f["gpu0"], f["mlx5_0"]), PciDistance::kSameSwitch);
  EXPECT_EQ(pciDistance(f["gpu0"], f["mlx5_2"]), PciDistance::kSameHostBridge);
  EXPECT_EQ(pciDistance(f["gpu0"], f["mlx5_1"]), PciDistance::kSameNumaNode);
  EXPECT_EQ(pciDistance(f["gpu0"], f["mlx5_4"]), PciDistance::kSystem);
  PciLocation port_mate{"/sys/devices/pci0000:15/0000:15:01.0/0000:77:00.0", 0};
  EXPECT_EQ(pciDistance(f["gpu0"], port_mate), PciDistance::kSameRootPort);
}

TEST(PciAffinity, ClosestNicPerGpu) {
  EXPECT_EQ(closest("gpu0"), std::vector<std::string>{"mlx5_0"});
  EXPECT_EQ(closest("gpu1"), std::vector<std::string>{"mlx5_0"});  // same switch, other port
  EXPECT_EQ(closest("gpu2"), std::vector<std::string>{"mlx5_1"});
  EXPECT_EQ(closest("gpu4"), std::vector<std::string>{"mlx5_4"});
}

TEST(PciAffinity, FallsBackToNumaThenAll) {
  auto f = loadFixture();
  PciLocation lone{"/sys/devices/pci0000:c0/0000:c0:01.0/0000:c1:00.0", 1};
  std::vector<PciLocation> nics = {f["mlx5_0"], f["mlx5_4"], f["mlx5_5"]};
  PciAffinity a = closestDevices(lone, "gpu7", nics);
  EXPECT_EQ(a.distance, PciDistance::kSameNumaNode);
  EXPECT_EQ(a.indices, (std::vector<size_t>{1, 2}));
  EXPECT_NE(a.reason.find("same NUMA node as gpu7"), std::string::npos);
  PciAffinity unknown = closestDevices(PciLocation{}, "gpu7", nics);
  EXPECT_EQ(unknown.indices.size(), 3u);
  EXPECT_NE(unknown.reason.find("unknown"), std::string::npos);
}

TEST(PciAffinity, ReadsASysfsTree) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("te_pci_" + std::to_string(::getpid()));
  fs::path dev = root / "devices/pci0000:15/0000:15:01.0/0000:16:00.0";
  fs::create_directories(dev);
  std::ofstream(dev / "numa_node") << "1\n";
  fs::create_directories(root / "bus/pci/devices");
  fs::create_directory_symlink(dev, root / "bus/pci/devices/0000:16:00.0");
  PciLocation loc = readPciLocation(pciDeviceLink("0000:16:00.0", root.string()));
  EXPECT_EQ(loc.path, fs::canonical(dev).string());
  EXPECT_EQ(loc.numa_node, 1);
  EXPECT_TRUE(readPciLocation(pciDeviceLink("0000:99:00.0", root.string())).path.empty());
  fs::remove_all(root);
}

}  // namespace
}  // namespace te::engine
