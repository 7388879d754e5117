// --traffic-class, --service-level, --mtu: declared once, shared by verbs and UCX.
#include "engine/rdma_qos.h"

#include <initializer_list>

#include "common/shown_value.h"

namespace te::engine {
namespace {

constexpr const char* kMtuNote = " that is a power of two: 256, 512, 1024, 2048 or 4096";

bool isIbMtu(long v) { return v == 256 || v == 512 || v == 1024 || v == 2048 || v == 4096; }

// A plain decimal (no sign, no spaces) of at most 9 digits; -1 otherwise.
long decimal(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stol(text);
}

// The first of `names` that is set decides; a value outside what `ok` takes is an error that
// names the variable.
void fromEnvironment(const LauncherEnv& env, std::initializer_list<const char*> names, bool (*ok)(long),
                     const std::string& allowed, int* value, std::string* from, std::string* error) {
  for (const char* name : names) {
    auto it = env.qos.find(name);
    if (it == env.qos.end() || it->second.empty()) continue;
    const long v = decimal(it->second);
    if (!ok(v)) {
      if (error->empty()) *error = std::string(name) + "=" + shownValue(it->second) + ": allowed " + allowed;
      return;
    }
    *value = static_cast<int>(v);
    *from = name;
    return;
  }
}

}  // namespace

std::vector<TransportOption> rdmaQosOptions() {
  return OptionList<RdmaQosOptions>()
      .integer("--traffic-class", &RdmaQosOptions::traffic_class, "traffic_class",
               "verbs: traffic class of every QP, on RoCE v2 the IP DS field, e.g. 106 = DSCP 26 + ECT (ucx too, as "
               "UCX_IB_TRAFFIC_CLASS; default MC_IB_TC, NCCL_IB_TC, else 0)",
               0, 255, "", false)
      .recordsSource(&RdmaQosOptions::traffic_class_from, "flag")
      .reportOnly("traffic_class_from", &RdmaQosOptions::traffic_class_from)
      .integer("--service-level", &RdmaQosOptions::service_level, "service_level",
               "verbs: IB service level of every QP (ucx too, as UCX_IB_SL; default MC_IB_SL, NCCL_IB_SL, else 0)", 0,
               15, "", false)
      .recordsSource(&RdmaQosOptions::service_level_from, "flag")
      .reportOnly("service_level_from", &RdmaQosOptions::service_level_from)
      .integer("--mtu", &RdmaQosOptions::mtu, "mtu",
               "verbs: cap on the path MTU, which is the smallest of it and both ports' active MTU (ucx too, as "
               "UCX_IB_PATH_MTU; default MC_MTU, else 4096: no cap)",
               256, 4096, kMtuNote, false)
      .recordsSource(&RdmaQosOptions::mtu_from, "flag")
      .reportOnly("mtu_from", &RdmaQosOptions::mtu_from)
      .done();
}

void finishRdmaQos(TransportConfig& config, const LauncherEnv& env) {
  RdmaQosOptions& q = config.options<RdmaQosOptions>();
  if (q.traffic_class_from != "flag") {
    fromEnvironment(env, {"MC_IB_TC", "NCCL_IB_TC"}, [](long v) { return v >= 0 && v <= 255; },
                    "an integer 0..255 (the traffic class, as --traffic-class)", &q.traffic_class,
                    &q.traffic_class_from, &q.env_error);
  }
  if (q.service_level_from != "flag") {
    fromEnvironment(env, {"MC_IB_SL", "NCCL_IB_SL"}, [](long v) { return v >= 0 && v <= 15; },
                    "an integer 0..15 (the service level, as --service-level)", &q.service_level,
                    &q.service_level_from, &q.env_error);
  }
  if (q.mtu_from != "flag") {
    // Mooncake reads MC_MTU as one of these four.
    fromEnvironment(env, {"MC_MTU"}, [](long v) { return v >= 512 && isIbMtu(v); },
                    "512, 1024, 2048 or 4096 (the path MTU cap, as --mtu)", &q.mtu, &q.mtu_from, &q.env_error);
  }
}

Status validateRdmaQos(const TransportConfig& config) {
  const RdmaQosOptions& q = config.options<RdmaQosOptions>();
  if (!q.env_error.empty()) return invalidArgument(q.env_error);
  if (!isIbMtu(q.mtu)) return invalidArgument("--mtu " + std::to_string(q.mtu) + ": allowed an integer 256..4096" + kMtuNote);
  return Status::ok();
}

nlohmann::json rdmaQosJson(const RdmaQosOptions& q) {
  return {{"traffic_class", q.traffic_class}, {"traffic_class_from", q.traffic_class_from},
          {"service_level", q.service_level}, {"service_level_from", q.service_level_from},
          {"mtu_cap", q.mtu},                 {"mtu_cap_from", q.mtu_from}};
}

}  // namespace te::engine
