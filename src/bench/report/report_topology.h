// The topology in the reports: each link's path (JSON, CSV), a block's per-class, per-switch
// and per-rail summaries, the switch tree, and on the terminal the hosts by switch and the
// suspects by level. Documented in docs/report-schema.md.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/report/report.h"

namespace te::bench {

const Topology* topologyOf(const RunReport& report);

// Fields added to a link's "analysis" object.
void addLinkPath(const LinkVerdict& v, const Topology* topology, nlohmann::json* analysis);
// Fields added to a block's "analysis" object (path_classes, per_switch, per_rail, rail_pairs,
// unplaced_hosts).
void addPathAnalysis(const BlockAnalysis& a, nlohmann::json* analysis);
nlohmann::json suspectToJson(const Suspect& s);
// The report's "topology": its source and switches (null without one).
nlohmann::json topologyToJson(const RunReport& report);

// The heatmap's order: ranks by leaf switch (in the file's order, hosts in no switch last),
// then host, then rail; `edge[k]` is 2 where order[k] starts a switch, 1 a host, else 0.
// Without a topology the ranks in their own order, edges at hosts.
struct RankOrder {
  std::vector<int> order;
  std::vector<int> edge;
};
RankOrder heatmapOrder(const RunReport& report);

// CSV: the columns after lower_bound, and one row's values for them (each led by a comma).
extern const char* const kCsvPathColumns;
std::string csvPathValues(const LinkVerdict* v, const Topology* topology);

// "hosts by switch:" lines (false without a topology: the caller prints the plain list).
bool printHostsBySwitch(const RunReport& report, std::ostream& out);
// "uplink leaf2", "rail 3", "host h4", "rank 11 (h2)", "rank 11 (rail 3 on host h2)".
std::string suspectName(const Suspect& s);
// What was found: "3 of its 6 links slow (between hosts, median 0.41 x its peers')", or
// for a NIC "it carried 0.33 x the share of rank 0's other NICs on the same links (...)".
std::string suspectFinding(const Suspect& s);
// "SUSPECT uplink leaf2 ..." lines, highest level first; a rail or a rank on a rail with the
// NICs its ranks chose (memory.ranks[r].nics, where the transport says).
void printSuspects(const RunReport& report, const BlockAnalysis& a, std::ostream& out);
// Medians per path class, with rails the rail x rail medians.
void printPathSummaries(const RunReport& report, const ResultBlock& block, std::ostream& out);

}  // namespace te::bench
