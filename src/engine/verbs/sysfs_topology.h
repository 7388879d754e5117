// Host facts read without verbs: RoCE GID table entries and their types, a device's NUMA
// node (sysfs), the prefix length of an interface address (getifaddrs). Pure functions over
// a directory or a list so that unit tests run them on a recorded fixture
// (tests/unit/fixtures/verbs_sysfs).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace te::engine::verbs {

using Gid = std::array<uint8_t, 16>;

// "0000:0000:0000:0000:0000:ffff:0a00:020f" (sysfs form) or "::ffff:10.0.2.15" -> bytes.
std::optional<Gid> parseGid(const std::string& text);
std::string gidToString(const Gid& gid);  // sysfs form
bool isZeroGid(const Gid& gid);
bool isIpv4MappedGid(const Gid& gid);     // ::ffff:a.b.c.d
bool isLinkLocalGid(const Gid& gid);      // fe80::/10

enum class GidType { kUnknown, kIbRoceV1, kRoceV2 };

struct GidEntry {
  int index = 0;
  Gid gid{};
  GidType type = GidType::kUnknown;
  std::string netdev;  // gid_attrs/ndevs/<i>; empty when unknown
};

// Reads every non-zero entry of <port_dir>/gids/<i> with gid_attrs/types/<i> and
// gid_attrs/ndevs/<i> (port_dir = /sys/class/infiniband/<dev>/ports/<port>). Entries whose
// files cannot be read (the kernel answers EINVAL for unused ones) are skipped.
std::vector<GidEntry> readGidTable(const std::string& port_dir);

struct GidChoice {
  int index = -1;
  Gid gid{};
  GidType type = GidType::kUnknown;
  std::string netdev;
  std::string why;  // "RoCE v2, IPv4-mapped, on eth0"
};

// RoCE GID auto-selection: RoCE v2 over v1, IPv4-mapped over global IPv6 over link-local,
// the port's own netdev (the one of GID 0) over VLAN / macvlan netdevs; lowest index on ties.
// kNotFound when the table has no usable entry.
Result<GidChoice> chooseGid(const std::vector<GidEntry>& table);
// Positions in `table`, best first in chooseGid's order.
std::vector<size_t> rankGids(const std::vector<GidEntry>& table);

// One address of a network interface (getifaddrs): IPv4 as an IPv4-mapped GID.
struct InterfaceAddress {
  std::string netdev;
  Gid address{};
  int prefix_len = 0;
};
std::vector<InterfaceAddress> readInterfaceAddresses();
// The prefix length of `gid`'s address on `netdev` (on any interface when `netdev` is empty
// or does not hold it); 0 when unknown.
int prefixLengthOf(const Gid& gid, const std::string& netdev, const std::vector<InterfaceAddress>& addresses);

// <device_dir>/device/numa_node (device_dir = /sys/class/infiniband/<dev>); -1 when unknown.
int readDeviceNumaNode(const std::string& device_dir);

// Trimmed first line of a file, or nullopt.
std::optional<std::string> readSysfsLine(const std::string& path);

}  // namespace te::engine::verbs
