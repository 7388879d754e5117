#include "engine/verbs/sysfs_topology.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace te::engine::verbs {

std::optional<std::string> readSysfsLine(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  size_t b = line.find_first_not_of(" \t\r\n");
  size_t e = line.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return std::string();
  return line.substr(b, e - b + 1);
}

std::optional<Gid> parseGid(const std::string& text) {
  Gid g{};
  // The kernel's form: eight groups of four hex digits; inet_pton accepts it too.
  if (::inet_pton(AF_INET6, text.c_str(), g.data()) != 1) return std::nullopt;
  return g;
}

std::string gidToString(const Gid& g) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x", g[0], g[1],
                g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
  return buf;
}

bool isZeroGid(const Gid& g) {
  for (uint8_t b : g) {
    if (b != 0) return false;
  }
  return true;
}

bool isIpv4MappedGid(const Gid& g) {
  for (int i = 0; i < 10; ++i) {
    if (g[i] != 0) return false;
  }
  return g[10] == 0xff && g[11] == 0xff;
}

bool isLinkLocalGid(const Gid& g) { return g[0] == 0xfe && (g[1] & 0xc0) == 0x80; }

std::vector<GidEntry> readGidTable(const std::string& port_dir) {
  std::vector<GidEntry> out;
  // Tables are small (mlx5: 255 entries at most); stop after a long run of absent files.
  int missing = 0;
  for (int i = 0; i < 1024 && missing < 32; ++i) {
    auto text = readSysfsLine(port_dir + "/gids/" + std::to_string(i));
    if (!text) {
      ++missing;
      continue;
    }
    missing = 0;
    auto gid = parseGid(*text);
    if (!gid || isZeroGid(*gid)) continue;
    GidEntry e;
    e.index = i;
    e.gid = *gid;
    auto type = readSysfsLine(port_dir + "/gid_attrs/types/" + std::to_string(i));
    if (type) {
      if (*type == "RoCE v2") {
        e.type = GidType::kRoceV2;
      } else if (type->find("v1") != std::string::npos || *type == "IB") {
        e.type = GidType::kIbRoceV1;
      }
    }
    e.netdev = readSysfsLine(port_dir + "/gid_attrs/ndevs/" + std::to_string(i)).value_or("");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<size_t> rankGids(const std::vector<GidEntry>& table) {
  // The port's own netdev: GID 0 is the default GID, derived from that netdev.
  std::string port_netdev;
  for (const GidEntry& e : table) {
    if (e.index == 0) port_netdev = e.netdev;
  }
  auto score = [&](const GidEntry& e) {
    int s = 0;
    if (e.type == GidType::kRoceV2) s += 8;
    if (isIpv4MappedGid(e.gid)) s += 4;
    if (!isLinkLocalGid(e.gid)) s += 2;
    if (!port_netdev.empty() && e.netdev == port_netdev) s += 1;
    return s;
  };
  std::vector<size_t> order(table.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int sa = score(table[a]), sb = score(table[b]);
    return sa != sb ? sa > sb : table[a].index < table[b].index;
  });
  return order;
}

Result<GidChoice> chooseGid(const std::vector<GidEntry>& table) {
  if (table.empty()) return notFound("the GID table has no non-zero entry");
  const GidEntry* best = &table[rankGids(table).front()];
  GidChoice c{best->index, best->gid, best->type, best->netdev, ""};
  c.why = best->type == GidType::kRoceV2 ? "RoCE v2" : best->type == GidType::kIbRoceV1 ? "RoCE v1" : "type unknown";
  c.why += isIpv4MappedGid(best->gid) ? ", IPv4-mapped" : isLinkLocalGid(best->gid) ? ", link-local" : ", IPv6";
  if (!best->netdev.empty()) c.why += ", on " + best->netdev;
  return c;
}

namespace {

int maskBits(const uint8_t* mask, size_t bytes) {
  int n = 0;
  for (size_t i = 0; i < bytes; ++i) n += __builtin_popcount(mask[i]);
  return n;
}

}  // namespace

std::vector<InterfaceAddress> readInterfaceAddresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_netmask == nullptr || a->ifa_name == nullptr) continue;
    InterfaceAddress ia;
    ia.netdev = a->ifa_name;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      const auto* mask = reinterpret_cast<const sockaddr_in*>(a->ifa_netmask);
      ia.address[10] = 0xff;
      ia.address[11] = 0xff;
      std::memcpy(ia.address.data() + 12, &in->sin_addr, 4);
      ia.prefix_len = maskBits(reinterpret_cast<const uint8_t*>(&mask->sin_addr), 4);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      const auto* mask = reinterpret_cast<const sockaddr_in6*>(a->ifa_netmask);
      std::memcpy(ia.address.data(), &in6->sin6_addr, 16);
      ia.prefix_len = maskBits(reinterpret_cast<const uint8_t*>(&mask->sin6_addr), 16);
    } else {
      continue;
    }
    out.push_back(std::move(ia));
  }
  ::freeifaddrs(list);
  return out;
}

int prefixLengthOf(const Gid& gid, const std::string& netdev, const std::vector<InterfaceAddress>& addresses) {
  int anywhere = 0;
  for (const InterfaceAddress& a : addresses) {
    if (a.address != gid) continue;
    if (netdev.empty() || a.netdev == netdev) return a.prefix_len;
    if (anywhere == 0) anywhere = a.prefix_len;
  }
  return anywhere;
}

int readDeviceNumaNode(const std::string& device_dir) {
  auto text = readSysfsLine(device_dir + "/device/numa_node");
  if (!text || text->empty()) return -1;
  try {
    int n = std::stoi(*text);
    return n >= 0 ? n : -1;
  } catch (...) {
    return -1;
  }
}

}  // namespace te::engine::verbs
