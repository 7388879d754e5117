// Measured results: one LinkResult per directed link, their wire form (gathered to rank 0)
// and the summary statistics that reports print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/run/schedule.h"
#include "engine/types.h"
#include "common/collective.h"
#include "common/histogram.h"
#include "common/status.h"

namespace te::bench {

// A link's per-request latency, summarised on the rank that measured it: rank 0 holds N^2
// links, and a full histogram each (11 KiB) would be 12 GB at 1024 ranks.
struct LatencySummary {
  uint64_t count = 0, min = 0, max = 0;
  uint64_t p50 = 0, p90 = 0, p99 = 0;
  double mean = 0;
  static LatencySummary of(const Histogram& h);
};

// A link's rate is its bytes over its window by the rule of bench/run/window.h: what the link
// achieved, never more.
struct LinkResult {
  Link link{0, 0};
  uint64_t bytes = 0;
  uint64_t ops = 0;
  uint64_t batches = 0;         // measured batches the rate rests on
  double seconds = 0;           // measured window: first measured submission to last completion
  uint32_t phase = 0;           // the schedule's phase (links of a phase ran at once)
  bool lower_bound = false;     // too few batches: the true rate may be higher
  bool invalid = false;         // a measurement error (error says which): no rate to show
  // The run stopped (a rank lost, a link dead) before this link's window ended: `failed` when
  // its phase was running, `not_measured` when it never ran; error says why. No rate, no
  // verdict, no place in the summaries, like a measurement error.
  bool cut = false;
  bool not_measured = false;
  LatencySummary latency_ns;    // per-request completion latency within its batch
  uint64_t failed = 0;
  std::string error;            // empty when the link measured cleanly
  std::vector<double> samples;  // bytes/s in consecutive sub-windows of the measurement
  // The 95% interval's half-width over the rate, from the bytes completed per slice of the
  // window (window.h, estimateRate); < 0: too few slices to say.
  double precision = -1;
  // What the initiator posted through each (its NIC, the target's NIC) pair over the phase,
  // warm-up included (verbs; empty for transports that do not choose NICs): the split of
  // the link's bytes over NICs, for the per-NIC verdict (analysis/nic_analysis.h). Empty
  // where the link used one pair: nothing to split.
  std::vector<engine::NicTraffic> nics;

  double bytesPerSecond() const { return seconds > 0 ? double(bytes) / seconds : 0.0; }
  // A rate to show and compare: measured, not failed, not a measurement error.
  bool hasRate() const { return error.empty() && !invalid && !cut && bytes > 0 && seconds > 0; }
  // Left out of the matrix, the summaries and the analysis: nothing to compare.
  bool excluded() const { return invalid || cut; }
  const char* statusName() const {
    return invalid ? "invalid" : not_measured ? "not_measured" : error.empty() ? "ok" : "failed";
  }
  double opsPerSecond() const { return seconds > 0 ? double(ops) / seconds : 0.0; }
};

// Appends the links of `phase` that `initiator` starts (all of them for -1), marked as a
// run's stop left them: `failed` when the phase ran (`ran`), else `not_measured`; `why` says.
void appendCut(const Phase& phase, int initiator, uint32_t p, bool ran, const std::string& why,
               std::vector<LinkResult>* out);

// A rank the run went on without (--on-failure continue): lost (dead, frozen, cut off from
// the bootstrap server) in `where` ("tcp write 64 KiB, phase 3 of 6"), and why.
struct LostRank {
  int rank = -1;
  std::string host;
  std::string where;
  std::string reason;
};

// What one rank sends rank 0 after a schedule: its links, and one histogram of the latency
// of all their requests (for the block's all-links percentiles), not one per link.
struct GatheredResults {
  std::vector<LinkResult> links;
  Histogram latency_ns;
};
Bytes serializeResults(const GatheredResults& results);
// Appends the links to out->links and merges the histogram into out->latency_ns.
Status deserializeResults(const Bytes& bytes, GatheredResults* out);

// Order statistics of a set of values.
struct Summary {
  size_t count = 0;
  double min = 0, median = 0, mean = 0, max = 0;
  size_t min_index = 0, max_index = 0;  // into the input
};
Summary summarize(const std::vector<double>& values);

// N x N throughput matrix (bytes/s); nullopt on the diagonal and for unmeasured links.
using Matrix = std::vector<std::vector<std::optional<double>>>;
Matrix throughputMatrix(const std::vector<LinkResult>& results, int n);
// --metric latency: each link's p50 in microseconds; nullopt where throughputMatrix has none
// or the link recorded no latency.
Matrix latencyMatrix(const std::vector<LinkResult>& results, int n);

// A rank's load in a schedule where it drives or serves several links at once (issue 23):
// the sum of its links' rates as initiator (injection) and as target (ejection) in the phase
// where each was largest, and how many links that phase had it in. A saturated NIC shows as
// a total at the line rate with each link below its share; a congested path as a total
// below it.
struct RankLoad {
  double injection = 0, ejection = 0;    // bytes/s
  uint32_t links_out = 0, links_in = 0;  // in the phase of each maximum
};
std::vector<RankLoad> rankLoads(const std::vector<LinkResult>& links, int n);
// Whether some rank had more than one link of a phase (the totals say more than a link).
bool loadedSchedule(const std::vector<LinkResult>& links);

// Mean of each row (initiator) and column (target) over measured links.
std::vector<std::optional<double>> rowMeans(const Matrix& m);
std::vector<std::optional<double>> columnMeans(const Matrix& m);

}  // namespace te::bench
