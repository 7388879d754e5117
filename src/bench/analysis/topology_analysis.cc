// Path classes of links and the fabric's suspects (see topology_analysis.h).
#include "bench/analysis/topology_analysis.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>

namespace te::bench {
namespace {

double medianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double upper = v[mid];
  if (v.size() % 2) return upper;
  return (*std::max_element(v.begin(), v.begin() + mid) + upper) / 2;
}

// Links of one part of the fabric (members), each with the unit inside the part it touches
// (a host under a switch, a rank on a rail), and the links that cross no part of it (peers).
struct PartLinks {
  std::vector<std::pair<size_t, int>> members;  // (link, unit); a link may appear per unit
  std::vector<size_t> peers;
};

struct Judged {
  bool slow = false;
  double ratio = 0, peer = 0;
};

// Slow: the members' median below threshold x the peers', and so on most of its units (at
// least two): one slow host under a switch is the host's fault, not the uplink's. Where
// members join two units of the part (`pairwise`: inside a switch, along a rail) a slow
// unit drags its partners' links down too, so the members must stay slow without the
// slowest unit's links.
Judged judge(const PartLinks& part, const std::vector<double>& norm, double threshold, bool pairwise) {
  Judged j;
  std::vector<double> peers, members;
  std::unordered_map<int, std::vector<double>> by_unit;
  for (size_t i : part.peers) peers.push_back(norm[i]);
  for (size_t k = 0; k < part.members.size(); ++k) {
    const auto [link, unit] = part.members[k];
    if (k == 0 || part.members[k - 1].first != link) members.push_back(norm[link]);
    by_unit[unit].push_back(norm[link]);
  }
  if (members.size() < 2 || peers.size() < 2) return j;
  j.peer = medianOf(std::move(peers));
  if (j.peer <= 0) return j;
  j.ratio = medianOf(std::move(members)) / j.peer;
  size_t slow_units = 0;
  int worst = -1;
  double worst_median = 0;
  for (auto& [unit, values] : by_unit) {
    const double m = medianOf(std::move(values));
    slow_units += m < threshold * j.peer;
    if (worst < 0 || m < worst_median) std::tie(worst, worst_median) = std::pair{unit, m};
  }
  j.slow = j.ratio < threshold && by_unit.size() >= 2 && slow_units * 2 > by_unit.size();
  if (!j.slow || !pairwise) return j;
  std::vector<size_t> touching_worst;
  for (const auto& [link, unit] : part.members) {
    if (unit == worst) touching_worst.push_back(link);
  }
  std::sort(touching_worst.begin(), touching_worst.end());
  std::vector<double> rest;
  for (size_t k = 0; k < part.members.size(); ++k) {
    const size_t link = part.members[k].first;
    if ((k == 0 || part.members[k - 1].first != link) && !std::binary_search(touching_worst.begin(), touching_worst.end(), link)) {
      rest.push_back(norm[link]);
    }
  }
  j.slow = rest.size() >= 2 && medianOf(std::move(rest)) < threshold * j.peer;
  return j;
}

bool interHost(const LinkPath& p) { return p.kind != PathKind::kSameHost; }

// A switch's uplink (links with one host under it, against links that cross its level
// elsewhere) and its inside (links whose lowest common switch it is, against the other
// switches' of its level).
void judgeSwitch(int s, const std::vector<double>& norm, const PathClasses& classes, const RankPlacement& placement,
                 const Topology& topo, double threshold, const std::vector<LinkResult>& links,
                 std::vector<FabricSuspect>* out) {
  const TopologySwitch& sw = topo.switches()[s];
  PartLinks crossing, inside;
  for (size_t i = 0; i < links.size(); ++i) {
    const LinkPath& p = classes.paths[i];
    // A link to a host in no switch leaves through the uplink too: a member, never a peer.
    if (norm[i] < 0 || p.kind == PathKind::kSameHost || p.kind == PathKind::kInterHost) continue;
    const bool a = topo.isUnder(p.initiator_switch, s), b = topo.isUnder(p.target_switch, s);
    const int level = p.common_switch >= 0 ? topo.switches()[p.common_switch].level : -1;
    const int ha = placement.host_of[links[i].link.initiator], hb = placement.host_of[links[i].link.target];
    if (a != b) crossing.members.push_back({i, a ? ha : hb});
    else if (!a && level > sw.level && p.kind == PathKind::kThroughSwitch) crossing.peers.push_back(i);
    if (p.common_switch == s) {
      inside.members.push_back({i, ha});
      inside.members.push_back({i, hb});
    } else if (level == sw.level && p.common_switch >= 0) {
      inside.peers.push_back(i);
    }
  }
  const Judged up = judge(crossing, norm, threshold, false), in = judge(inside, norm, threshold, true);
  // Slow inside but not across: the hosts' business (the rank / host rule), not the switch's.
  if (!up.slow && !(in.slow && sw.parent < 0)) return;
  FabricSuspect f{in.slow ? "switch" : "uplink", sw.name, s, -1, sw.level, in.slow ? in.ratio : up.ratio,
                  in.slow ? in.peer : up.peer, {}};
  for (const auto& [link, unit] : crossing.members) f.links.push_back(link);
  if (in.slow) {
    for (const auto& [link, unit] : inside.members) f.links.push_back(link);
  }
  std::sort(f.links.begin(), f.links.end());
  f.links.erase(std::unique(f.links.begin(), f.links.end()), f.links.end());
  out->push_back(std::move(f));
}

// A rail: its same-rail links between hosts against the other rails'. It explains every
// link between hosts that touches it.
void judgeRail(int r, const std::vector<double>& norm, const PathClasses& classes, const RankPlacement& placement,
               double threshold, const std::vector<LinkResult>& links, std::vector<FabricSuspect>* out) {
  PartLinks part;
  std::vector<size_t> touching;
  for (size_t i = 0; i < links.size(); ++i) {
    const LinkPath& p = classes.paths[i];
    if (norm[i] < 0 || !interHost(p)) continue;
    const int a = links[i].link.initiator, b = links[i].link.target;
    const bool on_rail = placement.rail_of[a] == r || placement.rail_of[b] == r;
    if (on_rail) touching.push_back(i);
    if (p.rail != RailRelation::kSameRail) continue;
    if (on_rail) {
      part.members.push_back({i, a});
      part.members.push_back({i, b});
    } else {
      part.peers.push_back(i);
    }
  }
  const Judged j = judge(part, norm, threshold, true);
  if (j.slow) out->push_back({"rail", std::to_string(r), -1, r, -1, j.ratio, j.peer, std::move(touching)});
}

}  // namespace

const char* pathKindName(PathKind kind) {
  switch (kind) {
    case PathKind::kSameHost: return "same-host";
    case PathKind::kSameSwitch: return "same-switch";
    case PathKind::kThroughSwitch: return "through-switch";
    case PathKind::kNoCommonSwitch: return "no-common-switch";
    case PathKind::kInterHost: return "inter-host";
  }
  return "?";
}

const char* railRelationName(RailRelation r) {
  return r == RailRelation::kSameRail ? "same-rail" : r == RailRelation::kCrossRail ? "cross-rail" : "";
}

RankPlacement placeRanks(const std::vector<std::string>& node_of_rank, const Topology* topology) {
  RankPlacement p;
  std::unordered_map<std::string, int> index;
  std::vector<int> count;
  for (const std::string& name : node_of_rank) {
    auto [it, added] = index.emplace(name, static_cast<int>(p.host_names.size()));
    if (added) {
      p.host_names.push_back(name);
      count.push_back(0);
      const int leaf = topology ? topology->leafOf(name) : -1;
      p.host_leaf.push_back(leaf);
      if (topology && leaf < 0) p.unplaced.push_back(name);
    }
    p.host_of.push_back(it->second);
    p.rail_of.push_back(count[it->second]++);
    p.leaf_of.push_back(p.host_leaf[it->second]);
    p.rails = std::max(p.rails, count[it->second]);
  }
  return p;
}

PathClasses classifyLinks(const std::vector<LinkResult>& links, const RankPlacement& placement,
                          const Topology* topology) {
  PathClasses c;
  std::unordered_map<std::string, int> index;
  const int n = static_cast<int>(placement.host_of.size());
  for (const LinkResult& l : links) {
    const int a = l.link.initiator, b = l.link.target;
    LinkPath p;
    if (a < 0 || b < 0 || a >= n || b >= n) {
      c.paths.push_back(p);
      c.class_of.push_back(-1);
      continue;
    }
    p.initiator_switch = placement.leaf_of[a];
    p.target_switch = placement.leaf_of[b];
    if (placement.host_of[a] == placement.host_of[b]) {
      p.kind = PathKind::kSameHost;
    } else if (topology) {
      p.common_switch = topology->lowestCommon(p.initiator_switch, p.target_switch);
      p.kind = p.common_switch < 0 ? PathKind::kNoCommonSwitch
               : p.common_switch == p.initiator_switch && p.common_switch == p.target_switch ? PathKind::kSameSwitch
                                                                                            : PathKind::kThroughSwitch;
    }
    if (placement.railsInUse() && interHost(p)) {
      p.rail = placement.rail_of[a] == placement.rail_of[b] ? RailRelation::kSameRail : RailRelation::kCrossRail;
    }
    if (placement.railsInUse()) std::tie(p.initiator_rail, p.target_rail) = std::pair{placement.rail_of[a], placement.rail_of[b]};
    std::string name = pathKindName(p.kind);
    if (p.kind == PathKind::kThroughSwitch) name += " level " + std::to_string(topology->switches()[p.common_switch].level);
    if (p.rail != RailRelation::kNone) name += std::string(" ") + railRelationName(p.rail);
    auto [it, added] = index.emplace(name, static_cast<int>(c.names.size()));
    if (added) c.names.push_back(name);
    c.paths.push_back(p);
    c.class_of.push_back(it->second);
  }
  return c;
}

std::string describePath(const LinkPath& path, const Topology* topology) {
  std::string s = pathKindName(path.kind);
  if (topology && path.common_switch >= 0) {
    const TopologySwitch& sw = topology->switches()[path.common_switch];
    s += " " + sw.name;
    if (path.kind == PathKind::kThroughSwitch) s += " (level " + std::to_string(sw.level) + ")";
  }
  if (path.rail != RailRelation::kNone) s += std::string(", ") + railRelationName(path.rail);
  return s;
}

std::vector<double> classMedians(const std::vector<double>& rate, const PathClasses& classes) {
  std::vector<std::vector<double>> values(classes.names.size());
  for (size_t i = 0; i < rate.size(); ++i) {
    if (rate[i] >= 0 && classes.class_of[i] >= 0) values[classes.class_of[i]].push_back(rate[i]);
  }
  std::vector<double> out;
  for (auto& v : values) out.push_back(medianOf(std::move(v)));
  return out;
}

std::vector<FabricSuspect> judgeFabric(const std::vector<double>& rate, const PathClasses& classes,
                                       const RankPlacement& placement, const Topology* topology, double threshold,
                                       const std::vector<LinkResult>& links) {
  // Each link as a fraction of its class's median: a part is judged over links of several
  // classes (levels, rails) at once.
  const std::vector<double> medians = classMedians(rate, classes);
  std::vector<double> norm(rate.size(), -1);
  for (size_t i = 0; i < rate.size(); ++i) {
    const int c = classes.class_of[i];
    if (rate[i] >= 0 && c >= 0 && medians[c] > 0) norm[i] = rate[i] / medians[c];
  }
  std::vector<FabricSuspect> out;
  if (topology) {
    for (size_t s = 0; s < topology->switches().size(); ++s) {
      judgeSwitch(static_cast<int>(s), norm, classes, placement, *topology, threshold, links, &out);
    }
  }
  if (placement.railsInUse()) {
    for (int r = 0; r < placement.rails; ++r) judgeRail(r, norm, classes, placement, threshold, links, &out);
  }
  return out;
}

}  // namespace te::bench
