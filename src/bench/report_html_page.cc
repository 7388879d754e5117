#include "bench/report_html_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace te::bench::html {

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double v, int precision) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", std::clamp(precision, 0, 9), v);
  return buf;
}

std::string rate(double bytes_per_second, RateUnit unit, int precision) {
  return fixed(toRateUnit(bytes_per_second, unit), precision) + " " + rateUnitName(unit);
}

std::string cellColour(double fraction) {
  double f = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) : 0.0;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "hsl(%d,70%%,%d%%)", static_cast<int>(std::lround(120 * f)),
                static_cast<int>(std::lround(62 + 14 * f)));
  return buf;
}

const char* pageStyle() {
  return R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
.meta { color: #555; margin: 0.2em 0; }
.legend span { display: inline-block; padding: 0 0.6em; margin-right: 0.4em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
th .host { display: block; font-weight: normal; font-size: 0.75em; color: #666; }
th.hl { background: #cde; }
td.diag { background: repeating-linear-gradient(45deg, #eee, #eee 4px, #fff 4px, #fff 8px); }
td.missing { color: #999; text-align: center; }
td.cell { min-width: 3.5em; }
td.failed { background: #333; color: #fff; }
td.flagged { outline: 3px dashed #444; outline-offset: -3px; }
td.flagged.confirmed { outline: 3px solid #000; }
td.mean { background: #f9f9f9; font-style: italic; }
ul.findings li { margin: 0.15em 0; }
.ok { color: #2a7a2a; }
.bad { color: #b00020; font-weight: bold; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
)css";
}

const char* pageScript() {
  return R"js(
(function () {
  "use strict";
  var factors = { "GB/s": 1e-9, "GiB/s": 1 / 1073741824, "Gb/s": 8e-9 };
  var select = document.getElementById("unit");
  var precision = parseInt(document.body.getAttribute("data-precision") || "2", 10);
  function render() {
    var f = factors[select.value];
    if (!f) return;
    var values = document.querySelectorAll("[data-bps]");
    for (var i = 0; i < values.length; ++i) {
      var el = values[i];
      var bps = parseFloat(el.getAttribute("data-bps"));
      if (isNaN(bps) || el.classList.contains("failed")) continue;
      el.textContent = (bps * f).toFixed(precision) + (el.classList.contains("rate") ? " " + select.value : "");
    }
    var names = document.querySelectorAll(".unit-name");
    for (var j = 0; j < names.length; ++j) names[j].textContent = select.value;
  }
  if (select) select.addEventListener("change", render);
  function highlight(cell, on) {
    var table = cell.closest("table");
    var heads = table.querySelectorAll('th[data-rank="' + cell.getAttribute("data-initiator") + '"].row, ' +
                                        'th[data-rank="' + cell.getAttribute("data-target") + '"].col');
    for (var i = 0; i < heads.length; ++i) heads[i].classList.toggle("hl", on);
  }
  var tables = document.querySelectorAll("table.heatmap");
  for (var t = 0; t < tables.length; ++t) {
    tables[t].addEventListener("mouseover", function (e) {
      var cell = e.target.closest ? e.target.closest("td.cell") : null;
      if (cell) highlight(cell, true);
    });
    tables[t].addEventListener("mouseout", function (e) {
      var cell = e.target.closest ? e.target.closest("td.cell") : null;
      if (cell) highlight(cell, false);
    });
  }
  // Tells a headless browser check that the whole script ran.
  document.body.setAttribute("data-script", "ok");
})();
)js";
}

}  // namespace te::bench::html
