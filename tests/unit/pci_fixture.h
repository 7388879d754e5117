// The PCIe layout fixture (fixtures/pci/dgx_h100_like.txt) as (name, location) in file order.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/topology/pci_affinity.h"

namespace te::testing {

inline std::vector<std::pair<std::string, engine::PciLocation>> loadPciFixture() {
  std::ifstream in(std::string(TE_FIXTURE_DIR) + "/pci/dgx_h100_like.txt");
  std::vector<std::pair<std::string, engine::PciLocation>> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::pair<std::string, engine::PciLocation> entry;
    ss >> entry.first >> entry.second.numa_node >> entry.second.path;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace te::testing
