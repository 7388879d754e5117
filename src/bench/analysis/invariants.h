// Checks every run applies to its rates before anything is analysed or printed (the
// accounting of bench/run/window.h makes them hold; a violation is a bug or a broken clock, and
// is reported as a measurement error instead of a number):
//   - no link faster than the line rate of the NICs at either end, where it is known;
//   - the links of one rank that ran in the same phase together no faster than its NICs,
//     in each direction the data went (WRITE: initiator -> target; READ: target ->
//     initiator; mix: both directions at most twice the line rate).
// Pure functions over results, unit-tested on synthetic blocks.
#pragma once

#include <string>
#include <vector>

#include "bench/cli/config.h"
#include "bench/run/results.h"

namespace te::bench {

// Headroom over the line rate before a rate counts as impossible: clocks and rounding, not
// the protocol (a link's payload rate is below its signalling rate anyway).
constexpr double kLineRateSlack = 0.01;

// `line_rates` by rank, bytes/s, 0 where unknown. Marks the links that break a rule invalid
// with the reason in their error; returns how many it marked.
size_t checkRates(std::vector<LinkResult>& links, const std::vector<double>& line_rates, Workload operation);

}  // namespace te::bench
