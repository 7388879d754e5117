// Locality as a path: each link's class (same host, same switch, through a switch at some
// level of the tree, with rails same-rail or cross-rail), and the fabric's suspects: a
// switch, a switch's uplink or a rail whose links are slow against their peers at its level
// (the links that cross no part of it). Pure functions over results (analysis.cc uses them).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/analysis/topology_conf.h"
#include "bench/run/results.h"

namespace te::bench {

enum class PathKind { kSameHost, kSameSwitch, kThroughSwitch, kNoCommonSwitch, kInterHost };
// "same-host", "same-switch", "through-switch", "no-common-switch" (a host in no switch, or
// separate trees), "inter-host" (no topology).
const char* pathKindName(PathKind kind);

enum class RailRelation { kNone, kSameRail, kCrossRail };
const char* railRelationName(RailRelation r);  // "", "same-rail", "cross-rail"

struct LinkPath {
  PathKind kind = PathKind::kInterHost;
  int common_switch = -1;                     // lowest switch above both hosts
  int initiator_switch = -1, target_switch = -1;  // the hosts' leaf switches (-1: none)
  RailRelation rail = RailRelation::kNone;
  int initiator_rail = -1, target_rail = -1;  // with rails: each rank's local index on its host
};

// Where each rank sits: its host (node), its rail (local index on the host: the i-th rank of
// a host is on rail i, one GPU / NIC each) and its host's leaf switch.
struct RankPlacement {
  std::vector<std::string> host_names;  // node groups in order of their first rank
  std::vector<int> host_of, rail_of, leaf_of;  // by rank
  std::vector<int> host_leaf;           // by host: leaf switch or -1
  std::vector<std::string> unplaced;    // hosts of the job in no switch of the topology
  int rails = 1;                        // ranks on the fullest host
  bool railsInUse() const { return rails > 1 && host_names.size() > 1; }
};
// `node_of_rank`: each rank's node name (analysis.h nodeName).
RankPlacement placeRanks(const std::vector<std::string>& node_of_rank, const Topology* topology);

// Links compared with each other: same kind, same level of common switch, same rail relation.
struct PathClasses {
  std::vector<LinkPath> paths;          // parallel to the links
  std::vector<int> class_of;            // index into names; -1 for a link with a bad rank
  std::vector<std::string> names;       // "same-host", "through-switch level 1 same-rail", ...
};
PathClasses classifyLinks(const std::vector<LinkResult>& links, const RankPlacement& placement,
                          const Topology* topology);

// "same-switch leaf1", "through-switch spine1 (level 1)", "inter-host"; with rails the
// relation is appended ("..., same-rail").
std::string describePath(const LinkPath& path, const Topology* topology);

struct FabricSuspect {
  std::string kind;          // "switch", "uplink" or "rail"
  std::string name;          // the switch's name, or the rail's number
  int switch_index = -1;
  int rail = -1;
  int level = -1;            // the switch's level
  double ratio = 0;          // median of its links / median of its peers (each over its class)
  double peer_ratio = 0;     // its peers' median as a fraction of their classes' medians
  std::vector<size_t> links; // links it explains (index into the block's links)
};

// `rate[i]`: link i's rate to judge (measured alone where retested; 0 failed; < 0 no rate).
// A switch's uplink is named when the links crossing it are below `threshold` x the links
// crossing the other switches of its level and not it, on most of its hosts (so one slow
// host is not an uplink); a switch when the links inside it are slow too; a rail when its
// same-rail links are slow against the other rails' on most of its ranks.
std::vector<FabricSuspect> judgeFabric(const std::vector<double>& rate, const PathClasses& classes,
                                       const RankPlacement& placement, const Topology* topology, double threshold,
                                       const std::vector<LinkResult>& links);

// The median rate of each class (index as PathClasses::names; 0 where none): a member of a
// fabric suspect is expected to reach peer_ratio x its class's median.
std::vector<double> classMedians(const std::vector<double>& rate, const PathClasses& classes);

}  // namespace te::bench
