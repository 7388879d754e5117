// Per-NIC verdicts (issue 21): a rank that stripes its slices over several NICs moves, on
// each link, a share of the link's bytes through each of them. Lanes take slices as their
// credits come back, so a NIC that is slow (or whose port, cable or switch port is) carries
// a smaller share than the rank's other NICs on the same links, even where the link's total
// looks only slightly low. Pure logic over LinkResult::nics, unit-tested on synthetic links.
#pragma once

#include <string>
#include <vector>

#include "bench/analysis/analysis.h"
#include "bench/run/results.h"

namespace te::bench {


// Every rank that used two NICs or more on some link, each of its NICs. `nodes` names each
// rank's node (analysis.h, nodeName). Links without a rate or without NIC traffic are left out.
std::vector<NicVerdict> nicVerdicts(const std::vector<LinkResult>& links, const std::vector<std::string>& nodes,
                                    double threshold);

// Suspects of kind "nic" (name: the device), one per host and device: the ranks of a host
// share its NICs, so the first suspect rank stands for them (ratio: the lowest).
std::vector<Suspect> nicSuspects(const std::vector<NicVerdict>& verdicts);

}  // namespace te::bench
