// The switch tree of a fabric in Slurm's topology.conf form (topology/tree):
// `SwitchName=leaf1 Nodes=node[01-16]`, `SwitchName=spine1 Switches=leaf[1-4]`, and the same
// lines as `scontrol show topology` prints them (with Level= and every node under every
// ancestor). Pure parsing: no file or process access here (topology_source.h reads them).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace te::bench {

// Slurm host list: "node[01-16,20]", "a1,b[1-2]", "r[1-2]n[1-2]" -> names in order. The
// width of a range's first number pads the others (node[08-10] -> node08 node09 node10).
Result<std::vector<std::string>> expandHostlist(const std::string& list);

struct TopologySwitch {
  std::string name;
  std::vector<std::string> nodes;  // as listed (expanded); under scontrol also the descendants'
  std::vector<int> children;       // switches below this one
  int parent = -1;                 // -1: a root
  int level = 0;                   // 0: a leaf (no switch below); a parent: 1 + its highest child
  int line = 0;                    // where it was defined
};

class Topology {
 public:
  // `source` names the text in errors ("topo.conf", "scontrol show topology"): a malformed
  // line is kInvalidArgument "SOURCE:LINE: what, allowed ...".
  static Result<Topology> parse(const std::string& text, const std::string& source);

  const std::string& source() const { return source_; }
  const std::vector<TopologySwitch>& switches() const { return switches_; }
  // The lowest switch listing `host` (also by its short name, before the first '.'); -1 none.
  int leafOf(const std::string& host) const;
  // The lowest switch above both switches (a switch is above itself); -1: different trees.
  int lowestCommon(int a, int b) const;
  // Whether `sw` is `ancestor` or below it.
  bool isUnder(int sw, int ancestor) const;

 private:
  Status link(const std::vector<std::vector<std::string>>& child_names);
  Status assignLevels();

  std::string source_;
  std::vector<TopologySwitch> switches_;
  std::unordered_map<std::string, int> leaf_of_;  // host -> lowest switch listing it
};

}  // namespace te::bench
