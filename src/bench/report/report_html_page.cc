#include "bench/report/report_html_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/report/format.h"

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

std::string fixed(double v, int precision) { return bench::fixed(v, precision); }

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
table.heatmap col.edge-host { border-left: 2px solid #999; }
table.heatmap col.edge-switch { border-left: 3px solid #222; }
table.heatmap tr.edge-host > * { border-top: 2px solid #999; }
table.heatmap tr.edge-switch > * { border-top: 3px solid #222; }
ul.findings li { margin: 0.15em 0; }
.ok { color: #2a7a2a; }
.bad { color: #b00020; font-weight: bold; }
.canvas-heatmap { position: relative; display: inline-block; }
canvas.heatmap { border: 1px solid #ddd; image-rendering: pixelated; }
.canvas-heatmap .tip { min-height: 1.4em; font-size: 0.9em; color: #333; }
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
  // Large runs: a canvas per block, a pixel (or a few) per link, from the JSON beside it.
  function hsl(h, s, l) {  // as cellColour() on the server: returns [r, g, b]
    s /= 100; l /= 100;
    var k = function (n) { return (n + h / 30) % 12; };
    var a = s * Math.min(l, 1 - l);
    var f = function (n) { return Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1)))); };
    return [f(0), f(8), f(4)];
  }
  var canvases = document.querySelectorAll("canvas.heatmap");
  for (var c = 0; c < canvases.length; ++c) {
    (function (canvas) {
      var d = JSON.parse(canvas.parentNode.querySelector('script[type="application/json"]').textContent);
      var px = parseInt(canvas.getAttribute("data-px"), 10) || 1, n = d.n;
      var order = d.order && d.order.length === n ? d.order : [], at = [];  // position -> rank, rank -> position
      for (var k = 0; k < n; ++k) { if (order.length < n) order.push(k); at[order[k]] = k; }
      var ctx = canvas.getContext("2d");
      var img = ctx.createImageData(n * px, n * px);
      var drawn = 0;
      for (var pi = 0; pi < n; ++pi) {
        for (var pt = 0; pt < n; ++pt) {
          var i = order[pi], t = order[pt];
          var v = d.mbps[i * n + t], rgb;
          if (v === null) rgb = [238, 238, 238];
          else if (v < 0) rgb = [51, 51, 51];
          else {
            var fr = d.max_mbps > 0 ? Math.min(1, v / d.max_mbps) : 0;
            rgb = hsl(Math.round(120 * fr), 70, Math.round(62 + 14 * fr));
          }
          if (v !== null) ++drawn;
          for (var y = 0; y < px; ++y) {
            for (var x = 0; x < px; ++x) {
              var o = ((pi * px + y) * n * px + pt * px + x) * 4;
              img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
            }
          }
        }
      }
      ctx.putImageData(img, 0, 0);
      (d.edge || []).forEach(function (e, k) {  // host (1) and switch (2) lines, as the table's
        if (!e || k === 0) return;
        ctx.fillStyle = e === 2 ? "#222" : "#999";
        ctx.fillRect(k * px - 1, 0, e, n * px);
        ctx.fillRect(0, k * px - 1, n * px, e);
      });
      ctx.lineWidth = 1;
      function outline(list, colour, dash) {  // a square around each listed cell, as the legend says
        ctx.strokeStyle = colour;
        ctx.setLineDash(dash);
        list.forEach(function (cell) {
          ctx.strokeRect(at[cell % n] * px - 1.5, at[Math.floor(cell / n)] * px - 1.5, px + 3, px + 3);
        });
      }
      outline(d.slow, "#000", []);
      outline(d.under_load, "#444", [2, 2]);
      var tip = canvas.parentNode.querySelector(".tip");
      canvas.addEventListener("mousemove", function (e) {
        var box = canvas.getBoundingClientRect();
        var pt = Math.floor((e.clientX - box.left) / px), pi = Math.floor((e.clientY - box.top) / px);
        if (pi < 0 || pt < 0 || pi >= n || pt >= n) return;
        var i = order[pi], t = order[pt];
        var v = d.mbps[i * n + t], f = factors[select ? select.value : "GB/s"];
        var what = v === null ? "not measured" : v < 0 ? "failed" : (v * 1e6 * f).toFixed(precision) + " " + select.value;
        if (d.slow.indexOf(i * n + t) >= 0) what += ", SLOW";
        else if (d.under_load.indexOf(i * n + t) >= 0) what += ", slow only under load";
        tip.textContent = i + "->" + t + ": " + what + " (" + d.hosts[i] + " -> " + d.hosts[t] + ")";
      });
      canvas.setAttribute("data-drawn", String(drawn));
    })(canvases[c]);
  }
  // Tells a headless browser check that the whole script ran.
  document.body.setAttribute("data-script", "ok");
})();
)js";
}

}  // namespace te::bench::html
