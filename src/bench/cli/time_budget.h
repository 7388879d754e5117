// --time-budget: te_bench picks the windows and the mode that fit a run into the budget, by
// a model of its own phases, and says what it chose and what that costs before it starts.
//
//   run ~ start-up + blocks x phases x (warm-up + window + control) + retests + reports
//
// control per phase (the hand-off to rank 0 and its word back): 20 ms + 20 us per rank, plus
// 2 ms per rank beyond the cores of the busiest host (ranks sharing cores wait for them:
// measured on 2 cores, ~50 ms a phase at 8 ranks, ~130 ms at 64; docs/PERFORMANCE.md, "Time
// to verdict"). A tenth of the budget is
// kept for retests (--max-retests is lowered to what fits) and 5 s for start-up and reports.
// The exact schedule is kept while its windows can be at least 0.1 s (--duration auto, the
// cap what fits, at most 2 s); else --mode quick (N-1 phases); else the budget is refused.
#pragma once

#include <string>

#include "bench/cli/config.h"
#include "common/status.h"

namespace te::bench {

// "90", "90s", "10m", "1.5h": seconds; else an error naming --time-budget.
Result<double> parseTimeBudget(const std::string& text);

// Where a run's phases spend their time besides the windows.
struct World {
  int ranks = 2;
  int busiest_host = 1;  // ranks on the host with the most
  int cores = 1;         // of this host (std::thread::hardware_concurrency)
  size_t transports = 1;
};
double controlPerPhase(const World& w);

// Fits `c` (with c.time_budget > 0) to the world: windows, warm-up, mode and retests.
// Returns the plan line; exit-2 errors when nothing fits.
Result<std::string> fitTimeBudget(BenchConfig* c, const World& w);

// How many of `wanted` retests the budget still has room for at `now` (each a phase of
// warm-up + the window's cap + 0.1 s, with 5 s kept for the reports); `wanted` without one.
size_t retestsThatFit(const BenchConfig& c, size_t wanted, Clock::time_point now);

}  // namespace te::bench
