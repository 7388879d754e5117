// --groups by host or switch (issue 23): "leaf1:leaf2" (the ranks on the hosts under each
// switch of the topology), "node01,node02:node03" (the ranks on each host), mixed with ranks
// and ranges ("0-3:node07"). Resolved once the world is known, by rank 0, which alone may
// hold the switch tree (scontrol show topology), and told to the others.
#pragma once

#include <string>
#include <vector>

#include "bench/analysis/topology_conf.h"
#include "bootstrap/bootstrap.h"
#include "common/status.h"

namespace te::bench {

struct BenchConfig;

// Whether --groups names a host or a switch (anything but ranks and ranges).
bool groupsNameHosts(const std::string& text);

// FROM:TO with each element a rank, a range, a host of the job or a switch of `topology`
// (may be null). The error names the element and the hosts and switches there are.
Status resolveGroups(const std::string& text, const std::vector<std::string>& hosts, const Topology* topology,
                     std::vector<int>* from, std::vector<int>* to);

// c->group_names into c->group_from / group_to on every rank (rank 0 resolves, broadcasts).
Status shareGroups(BenchConfig* c, bootstrap::Bootstrap& bs, Deadline deadline);

}  // namespace te::bench
