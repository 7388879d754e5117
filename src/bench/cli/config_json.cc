// The report's echo of a BenchConfig: every effective option (docs/report-schema.md, "options").
#include "bench/cli/config.h"
#include "bench/report/report_writers.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

// The report's echo of each transport's options: {"verbs": {"qps_per_peer": 2, ...}, ...}.
void transportOptionsToJson(const engine::TransportConfig& config, nlohmann::json* out) {
  for (const auto& t : engine::registeredTransports()) {
    nlohmann::json& j = (*out)[t.name] = nlohmann::json::object();
    for (const engine::TransportOption& o : t.descriptor().options) j[o.json_name] = o.json(config);
  }
}

}  // namespace

nlohmann::json configToJson(const BenchConfig& c) {
  // The bootstrap as resolved (auto -> mpi; KV rank / size / job id from flags or launcher).
  auto rb = bootstrap::resolveBootstrapOptions(c.bootstrap, c.env);
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [a, b] : c.pairs) pairs.push_back({a, b});
  auto opt = [](const auto& o) { return o ? nlohmann::json(*o) : nlohmann::json(nullptr); };
  nlohmann::json j = {
      {"transport", c.transport}, {"transports", c.transports},
      {"operation", workloadName(c.operation)}, {"read_ratio", c.read_ratio}, {"seed", c.seed},
      {"block_size", c.block_size}, {"block_sizes", c.block_sizes},
      {"batch_size", c.batch_size}, {"threads", c.threads}, {"batches_in_flight", c.batches_in_flight},
      {"buffer_size", c.buffer_size},
      {"duration", c.adaptive ? nlohmann::json("auto") : nlohmann::json(c.duration)},
      {"min_duration", c.adaptive ? nlohmann::json(c.min_duration) : nlohmann::json(nullptr)},
      {"max_duration", c.adaptive ? nlohmann::json(c.duration) : nlohmann::json(nullptr)},
      {"precision", c.adaptive ? nlohmann::json(c.precision) : nlohmann::json(nullptr)},
      {"iterations", c.iterations}, {"warmup", c.warmup}, {"samples", c.samples},
      {"schedule", c.schedule}, {"mode", c.quick ? "quick" : "exact"}, {"phase_sync", c.phase_sync},
      {"on_failure", c.on_failure},
      {"time_budget", c.time_budget > 0 ? nlohmann::json(c.time_budget) : nlohmann::json(nullptr)},
      {"root", c.root}, {"fan", c.fan > 0 ? nlohmann::json(c.fan) : nlohmann::json(nullptr)},
      {"groups", c.group_from.empty() ? nlohmann::json(nullptr) : nlohmann::json({c.group_from, c.group_to})},
      {"pairs", pairs}, {"ranks_per_node", c.ranks_per_node},
      {"threshold", c.threshold}, {"metric", metricName(c.metric)},
      {"latency_threshold", c.metric == Metric::kLatency ? nlohmann::json(c.latency_threshold) : nlohmann::json(nullptr)},
      {"retest", c.retest}, {"max_retests", c.max_retests},
      {"expect_bytes_per_second", opt(c.expect_bytes_per_second)}, {"expect_line_rate", opt(c.expect_line_rate)},
      {"integrity_check", c.integrity_check},
      {"topology", c.topology_path}, {"metrics_links", c.metrics_links},
      {"report_unit", rateUnitName(c.report_unit)}, {"report_precision", c.report_precision},
      {"log_level", logLevelName(c.log_level)}, {"timeout", c.timeout},
      {"huge_pages", c.huge_pages}, {"numa_node", c.numa_node},
      {"initiator_memory", engine::memoryKindName(c.initiator_memory)},
      {"target_memory", engine::memoryKindName(c.target_memory)},
      {"gpu_id", c.gpu_id < 0 ? nlohmann::json("auto") : nlohmann::json(c.gpu_id)},
      {"bootstrap", rb.isOk() ? rb->spec : c.bootstrap.spec},
      {"rank", rb.isOk() && rb->kv ? nlohmann::json(rb->rank) : opt(c.bootstrap.rank)},
      {"size", rb.isOk() && rb->kv ? nlohmann::json(rb->size) : opt(c.bootstrap.size)},
      {"job_id", rb.isOk() && rb->kv ? rb->job_id : c.bootstrap.job_id},
      {"bootstrap_timeout", c.bootstrap.timeout.count() / 1000.0},
      {"fault_inject", c.fault_inject},
  };
  for (const ReportWriter& w : reportWriters()) j[w.json_name] = c.*w.path;
  transportOptionsToJson(c.transport_config, &j);
  return j;
}

}  // namespace te::bench
