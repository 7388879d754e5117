// The congestion impact of a run that measured the same links idle and under load
// (--schedule pairs,all-to-all; analysis/congestion.h) in every report: the terminal's
// impact summary, matrix and LOW UNDER LOAD line, the JSON's per-link and per-block fields,
// the CSV's columns and the HTML's impact table.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/report/report.h"

namespace te::bench {

// Each block of a loaded schedule against the idle block (pairs, sequential) of the same
// transport, operation and block size; comparable links and the flag threshold as the
// config's (--threshold). Called on the run's blocks and on a report read back.
void addCongestionImpacts(RunReport* report);

// Link i of block b's impact, or nullptr.
const LinkImpact* impactOf(const ResultBlock& b, size_t i);

void printCongestion(const RunReport& report, const ResultBlock& b, std::ostream& out);

// The link's "congestion" object, or null.
nlohmann::json linkImpactToJson(const LinkImpact& impact);
// The block's "congestion" object (summary and flagged links), or null without one.
nlohmann::json blockImpactToJson(const ResultBlock& b);

// CSV: the columns after the others, and a row's values (starting with a comma).
extern const char* const kCsvCongestionColumns;
std::string csvCongestionValues(const ResultBlock& b, size_t i);

// HTML: a table of loaded / idle per link (up to `max_ranks`) and the summary.
void writeCongestionHtml(const RunReport& report, const ResultBlock& b, int max_ranks, std::ostream& out);

}  // namespace te::bench
