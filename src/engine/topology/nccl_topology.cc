#include "engine/topology/nccl_topology.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <pugixml.hpp>

namespace te::engine {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "0000:1a:00.1" -> "0000:1a:00.0"; other strings unchanged.
std::string firstFunction(const std::string& bus_id) {
  const size_t dot = bus_id.rfind('.');
  return dot == std::string::npos ? bus_id : bus_id.substr(0, dot + 1) + "0";
}

struct Walker {
  std::map<std::string, PciLocation>* by_bus_id;
  std::map<std::string, std::string>* net_bus_id;

  // `path` ends with the bridges above `node`; `numa` is the enclosing <cpu numaid>.
  void visit(const pugi::xml_node& node, const std::string& path, int numa) {
    for (const pugi::xml_node& child : node.children()) {
      const std::string name = child.name();
      if (name == "pci") {
        const std::string bus_id = lower(child.attribute("busid").as_string());
        if (bus_id.empty()) continue;
        // A top-level <pci> of a <cpu> opens its own root ("pci..." and a stand-in root port),
        // so that two of them compare as the same NUMA node only, and devices below one bridge
        // of the file as the same switch (NCCL's dumps start below the root ports).
        const std::string here =
            path.empty() ? "/nccl-topo/pci" + bus_id + "/root-" + bus_id + "/" + bus_id : path + "/" + bus_id;
        (*by_bus_id)[bus_id] = {here, numa};
        visit(child, here, numa);
      } else if (name == "nic") {
        for (const pugi::xml_node& net : child.children("net")) {
          const std::string net_name = net.attribute("name").as_string();
          const std::string owner = path.empty() ? "" : path.substr(path.rfind('/') + 1);
          if (!net_name.empty() && !owner.empty()) (*net_bus_id)[net_name] = owner;
        }
      } else if (name == "cpu") {
        visit(child, "", child.attribute("numaid").as_int(-1));
      } else {
        visit(child, path, numa);
      }
    }
  }
};

}  // namespace

Result<NcclTopology> NcclTopology::parse(const std::string& xml_text, const std::string& source) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_string(xml_text.c_str());
  if (!parsed) {
    return invalidArgument(source + ": not NCCL topology XML (" + parsed.description() + " at byte " +
                           std::to_string(parsed.offset) + ")");
  }
  const pugi::xml_node system = doc.child("system");
  if (!system) return invalidArgument(source + ": not NCCL topology XML (no <system> element)");
  NcclTopology t;
  t.source_ = source;
  Walker{&t.by_bus_id_, &t.net_bus_id_}.visit(system, "", -1);
  if (t.by_bus_id_.empty()) return invalidArgument(source + ": NCCL topology lists no <pci busid=...> device");
  return t;
}

Result<NcclTopology> NcclTopology::load(const std::string& path, const std::string& flag) {
  const std::string source = flag + " " + path;
  std::ifstream in(path);
  if (!in) return invalidArgument(source + ": cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), source);
}

PciLocation NcclTopology::locate(const std::string& bus_id) const {
  const std::string id = lower(bus_id);
  auto it = by_bus_id_.find(id);
  if (it == by_bus_id_.end()) it = by_bus_id_.find(firstFunction(id));
  return it == by_bus_id_.end() ? PciLocation{} : it->second;
}

PciLocation NcclTopology::locateNet(const std::string& net_name) const {
  auto it = net_bus_id_.find(net_name);
  return it == net_bus_id_.end() ? PciLocation{} : locate(it->second);
}

std::optional<TopologyPlacement> placeByTopology(const NcclTopology& topology, const std::string& gpu_bus_id,
                                                 const std::vector<std::string>& nic_names,
                                                 const std::vector<PciLocation>& nic_sysfs) {
  TopologyPlacement p;
  p.gpu = topology.locate(gpu_bus_id);
  if (gpu_bus_id.empty() || p.gpu.path.empty()) return std::nullopt;
  bool any = false;
  for (size_t i = 0; i < nic_names.size(); ++i) {
    const PciLocation& sysfs = i < nic_sysfs.size() ? nic_sysfs[i] : PciLocation{};
    PciLocation at = sysfs.path.empty() ? PciLocation{} : topology.locate(sysfs.path.substr(sysfs.path.rfind('/') + 1));
    if (at.path.empty()) at = topology.locateNet(nic_names[i]);
    if (at.path.empty()) at.numa_node = sysfs.numa_node;
    any = any || !at.path.empty();
    p.nics.push_back(std::move(at));
  }
  if (!any) return std::nullopt;
  return p;
}

std::string ncclConfTopoFile(const std::string& conf_path) {
  std::ifstream in(conf_path);
  std::string found;
  for (std::string line; std::getline(in, line);) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t eq = line.find('=', start);
    if (eq == std::string::npos || line.substr(start, eq - start) != "NCCL_TOPO_FILE") continue;
    found = line.substr(eq + 1);
    const size_t end = found.find_last_not_of(" \t\r");
    found = end == std::string::npos ? "" : found.substr(0, end + 1);
  }
  return found;  // the last line wins, as NCCL reads them in order
}

}  // namespace te::engine
