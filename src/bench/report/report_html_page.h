// Building blocks of the HTML report: escaping, number and colour formatting, and the
// inline style sheet and script (the page must work offline, so nothing is linked).
#pragma once

#include <string>

#include "common/units.h"

namespace te::bench::html {

// Escapes &, <, >, " and ' so any string is safe as element text or a quoted attribute.
std::string escape(const std::string& s);

// Fixed-point text of `v` with `precision` digits after the point.
std::string fixed(double v, int precision);

// Text of a bytes/s value in a unit, with the unit's name: "11.20 GB/s".
std::string rate(double bytes_per_second, RateUnit unit, int precision);

// Background colour of a heatmap cell whose throughput is `fraction` of the block's
// maximum: red (0) through yellow to green (1).
std::string cellColour(double fraction);

// The inline <style> contents.
const char* pageStyle();
// The inline <script> contents: switches the unit of every [data-bps] value and highlights
// the row and column headers of the hovered cell. The page is complete without it.
const char* pageScript();

}  // namespace te::bench::html
