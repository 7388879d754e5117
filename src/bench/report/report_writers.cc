#include "bench/report/report_writers.h"

namespace te::bench {

const std::vector<ReportWriter>& reportWriters() {
  static const std::vector<ReportWriter> kWriters = {
      {"--json", "json", "write the JSON report to FILE", &BenchConfig::json_path, writeJsonReport, false},
      {"--csv", "csv", "write one CSV row per link to FILE", &BenchConfig::csv_path, writeCsvReport, true},
      {"--html", "html", "write a self-contained HTML heatmap to FILE", &BenchConfig::html_path, writeHtmlReport,
       true},
      {"--metrics", "metrics",
       "write Prometheus metrics (text exposition format, atomically) to FILE, e.g. node_exporter's textfile "
       "directory",
       &BenchConfig::metrics_path, writeMetricsReport, true},
  };
  return kWriters;
}

Status checkReportPaths(const BenchConfig& config) {
  for (const ReportWriter& w : reportWriters()) {
    const std::string& path = config.*w.path;
    if (!path.empty()) TE_RETURN_IF_ERROR(checkWritable(path, w.flag));
  }
  return Status::ok();
}

}  // namespace te::bench
