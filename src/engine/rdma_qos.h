// The RDMA QoS settings that verbs and UCX share: --traffic-class, --service-level and --mtu,
// their defaults from the environment (MC_IB_TC / MC_IB_SL / MC_MTU as Mooncake reads them,
// then NCCL_IB_TC / NCCL_IB_SL) and where each value came from. The flags are declared with
// verbs' registry entry; UCX reads the same values. Standard library and the descriptor only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/transport_descriptor.h"

namespace te::engine {

struct RdmaQosOptions {
  static constexpr const char* kTransport = "rdma_qos";  // its slot in TransportConfig
  int traffic_class = 0;  // GRH traffic class; on RoCE v2 the IP DS field (DSCP << 2 | ECN)
  int service_level = 0;  // IB service level (virtual lane); RoCE drivers may map it to a priority
  int mtu = 4096;         // cap on the path MTU in bytes; 4096: the ports' active MTUs decide
  // Who set each: "flag", "MC_IB_TC", "NCCL_IB_TC", ..., or "default".
  std::string traffic_class_from = "default";
  std::string service_level_from = "default";
  std::string mtu_from = "default";
  std::string env_error;  // the variable that would set a value holds a bad one: validate says so
};

// The three flags with their report echo (options.verbs.traffic_class, ..._from).
std::vector<TransportOption> rdmaQosOptions();
// After the flags: what they left unset, from MC_* then NCCL_* (a bad value is kept for
// validateRdmaQos, which names the variable).
void finishRdmaQos(TransportConfig& config, const LauncherEnv& env);
// A bad environment value, or an --mtu that is not an IB MTU; OK otherwise.
Status validateRdmaQos(const TransportConfig& config);
// The settings and their sources, for a transport's describe().
nlohmann::json rdmaQosJson(const RdmaQosOptions& qos);

}  // namespace te::engine
