// Analysis of one result block: slow links (below --threshold x the median of comparable
// links: same transport, same locality, sharing no endpoint with the link where at least two
// such links exist, so one slow rank or host does not lower its own reference), suspects
// (a rank or host most of whose links are slow), expectations (--expect RATE,
// --expect-line-rate FRACTION) and per-rank / per-host summaries. With a topology (or rails:
// several ranks per host) the comparable links are those of the same path class
// (topology_analysis.h), and suspects form one ladder: a switch, uplink or rail that explains
// slow links is named instead of the hosts and ranks behind it. Pure functions over results:
// unit-tested on synthetic matrices.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/analysis/topology_analysis.h"
#include "bench/run/results.h"

namespace te::bench {

enum class Locality { kIntraHost, kInterHost };
const char* localityName(Locality l);  // "intra-host", "inter-host"

struct AnalysisOptions {
  double threshold = 0.8;                      // flag links below threshold x reference
  int ranks_per_node = 0;                      // > 0: node = rank / ranks_per_node, else hosts
  std::optional<double> expect_bytes_per_second;
  std::optional<double> expect_line_rate;      // fraction of line_rate_bytes_per_second
  double line_rate_bytes_per_second = 0;       // from the transport (0: unknown)
  std::shared_ptr<const Topology> topology;    // --topology / scontrol; null: hosts only
  // --metric latency: links are judged on their rate at queue depth one, block_size / p50,
  // and flagged above latency_threshold x the p50 of comparable links (below 1 / it x their
  // rate at depth one). Everything else (references, suspects, retests) is the same rule.
  bool latency = false;
  double latency_threshold = 2.0;
  uint64_t block_size = 0;                     // the block's, for the rate at depth one
};

// The rate a link is judged at: its throughput, or with options.latency block_size / p50
// (0 when it has no latency); and the fraction of its reference below which it is flagged.
double linkRate(const LinkResult& link, const AnalysisOptions& options);
double flagBelow(const AnalysisOptions& options);
// The latency in microseconds a rate at depth one stands for (--metric latency's reports).
double latencyOfRate(double bytes_per_second, uint64_t block_size);

struct LinkVerdict {
  Locality locality = Locality::kInterHost;
  double reference = 0;            // bytes/s the link was compared with
  double ratio = 0;                // link / reference
  bool flagged = false;            // below threshold in the all-pairs run
  bool retested = false;
  double retest_bytes_per_second = 0;
  bool confirmed = false;          // still below threshold when measured alone (or no retest)
  bool below_expectation = false;
  LinkPath path;                   // same host / switch / through which switch, rail relation
  int path_class = -1;             // index into BlockAnalysis::path_classes: what it was compared with
};

// The ladder, highest first: "switch" (inside and uplink slow), "uplink" (the links through
// a switch's uplink), "rail", "host", "nic" (one NIC of a host that carries less than its
// others on the same links: nic_analysis.h), "rank". A suspect explains its links: lower suspects
// are judged on the links no higher one explains.
struct Suspect {
  std::string kind;                // "switch", "uplink", "rail", "host" or "rank"
  int rank = -1;                   // for kind "rank"
  std::string host;
  size_t flagged_links = 0;        // confirmed slow links touching it
  size_t total_links = 0;          // measured links touching it
  std::string name;                // switch / uplink: the switch; rail: its number
  int rail = -1;                   // rail: its number; rank: its rail when there are rails
  int level = -1;                  // switch / uplink: the switch's level (0: a leaf)
  double ratio = 0;                // switch / uplink / rail: its links' median / its peers'
};

// One NIC of one rank, over the measured links through it (as the initiator's local NIC or
// the target's remote one). Its part on a link: its share of the link's bytes times the
// number of the rank's NICs the link used (1: its even part; 0.5: half of it).
struct NicVerdict {
  int rank = -1;
  std::string host;
  std::string device;
  size_t links = 0;       // measured links through it
  size_t low_links = 0;   // links on which its part was below the threshold
  uint64_t bytes = 0;     // through it, over every measured link through it
  double part = 0;        // median of its parts
  double others = 0;      // median of the parts of the rank's other NICs (their medians)
  double ratio = 0;       // part / others
  bool suspect = false;   // ratio below the threshold
};

struct GroupSummary {              // one rank or one host
  std::string name;                // "3" or "node07"
  Summary as_initiator;            // its row(s)
  Summary as_target;               // its column(s)
};
// In every Summary of a BlockAnalysis, min_index / max_index index ResultBlock::links (not
// the subset summarised), so a report can name the slowest link. Failed links count as 0.

struct BlockAnalysis {
  std::vector<LinkVerdict> verdicts;   // parallel to ResultBlock::links
  std::vector<Suspect> suspects;       // kind "nic" too: nic_analysis.h
  std::vector<NicVerdict> nics;        // ranks that used two NICs or more: each NIC's part
  std::vector<size_t> unexplained;     // confirmed slow links not touching a suspect
  std::vector<size_t> failing;         // links below the expectation
  std::vector<size_t> measurement_errors;  // invalid links (invariants.h): no rate, no verdict
  size_t not_retested = 0;             // flagged links with no retest result (over the cap)
  std::optional<double> expected_bytes_per_second;
  Summary intra_host, inter_host;
  std::vector<GroupSummary> per_rank, per_host;
  std::vector<std::string> path_classes;     // names (topology_analysis.h PathClasses)
  std::vector<Summary> per_path_class;       // parallel to path_classes
  std::vector<GroupSummary> per_switch;      // links touching the hosts under each leaf switch
  std::vector<GroupSummary> per_rail;        // links between hosts touching each rail
  std::vector<std::vector<Summary>> rail_pairs;  // [initiator rail][target rail], between hosts
  std::vector<std::string> unplaced_hosts;   // hosts of the job in no switch: each its own group
};

// The node a rank belongs to: hosts[rank], or "node<rank / ranks_per_node>" when
// options.ranks_per_node > 0 (hostnames that do not tell nodes apart, e.g. containers).
std::string nodeName(int rank, const std::vector<std::string>& hosts, const AnalysisOptions& options);
Locality localityOf(const Link& link, const std::vector<std::string>& hosts, const AnalysisOptions& options);

// --expect, or --expect-line-rate x the line rate (ignored while the line rate is unknown);
// with both, the stricter. nullopt: nothing to check (a caller that was given
// --expect-line-rate can tell the user the line rate was unknown).
std::optional<double> expectedBytesPerSecond(const AnalysisOptions& options);

// First pass, on the all-pairs result. `hosts` is indexed by rank.
BlockAnalysis analyzeLinks(const std::vector<LinkResult>& links, const std::vector<std::string>& hosts,
                           const AnalysisOptions& options);

// Links flagged in the first pass, to be measured alone: the `max` furthest below their
// reference (failed ones first), so a bad node's thousands of links at cluster scale cost
// minutes, not hours. The others keep the all-pairs verdict (BlockAnalysis::not_retested).
std::vector<Link> linksToRetest(const std::vector<LinkResult>& links, const BlockAnalysis& analysis,
                                size_t max = SIZE_MAX);

// Folds retest results in (a flagged link stays flagged only if it is slow alone too) and
// recomputes suspects, unexplained links and expectation failures. Without retests
// (--retest off) call it with an empty vector: flagged links count as confirmed.
void applyRetests(const std::vector<LinkResult>& links, const std::vector<LinkResult>& retests,
                  const std::vector<std::string>& hosts, const AnalysisOptions& options, BlockAnalysis* analysis);

}  // namespace te::bench
