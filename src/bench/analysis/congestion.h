// Congestion impact (issue 23): the same links measured idle (a schedule where each link runs
// alone or beside disjoint ones: pairs, sequential, bidir) and under a loaded schedule
// (all-to-all, incast, shift, ...), per link loaded / idle throughput and loaded / idle p50
// latency, a summary per pattern as GPCNeT gives it, and the links whose impact is far worse
// than that of comparable links. Pure functions over results: unit-tested on synthetic links.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bench/analysis/analysis.h"
#include "bench/run/results.h"

namespace te::bench {

struct LinkImpact {
  size_t link = 0;                  // index into the loaded block's links
  size_t idle_link = 0;             // index into the idle block's links
  double idle_bytes_per_second = 0;
  double loaded_bytes_per_second = 0;
  double ratio = 0;                 // loaded / idle throughput (1: no impact, lower: worse)
  double latency_ratio = 0;         // loaded / idle p50 request latency (0: unknown)
  Locality locality = Locality::kInterHost;
  double reference = 0;             // median ratio of the comparable links (same locality)
  bool flagged = false;             // ratio below --threshold x reference
};

// The pattern's figure over its links: the median and the worst ratio (and the 1st
// percentile: GPCNeT's tail), the median and the worst latency ratio.
struct ImpactSummary {
  size_t links = 0;
  double median = 0, mean = 0, p1 = 0, worst = 0;
  size_t worst_index = 0;           // into CongestionImpact::links
  double latency_median = 0, latency_worst = 0;
};

struct CongestionImpact {
  std::string idle_schedule;        // the schedule of the block it was compared with
  std::vector<LinkImpact> links;    // the loaded block's links that have an idle rate
  std::vector<int> by_link;         // parallel to the loaded block's links: into links, -1: none
  std::vector<size_t> flagged;      // into links, worst first
  ImpactSummary summary;
};

// Whether a schedule's links run without sharing an endpoint (pairs, sequential, bidir,
// --pairs): the idle baseline of a congestion figure.
bool idleSchedule(const std::string& name);

// Each link of `loaded` that also has a rate in `idle` (the first of its results when a
// schedule measured it twice); comparable links: the same locality. nullopt when no link
// has both rates.
std::optional<CongestionImpact> congestionImpact(const std::vector<LinkResult>& idle, const std::string& idle_schedule,
                                                 const std::vector<LinkResult>& loaded,
                                                 const std::vector<std::string>& hosts, const AnalysisOptions& options);

}  // namespace te::bench
