// UCX's configuration as te_bench sees it: what ucp_config_print says, and the QoS settings
// (--traffic-class, --service-level, --mtu) handed on as UCX's own UCX_IB_* settings.
#pragma once

#include <ucp/api/ucp.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/rdma_qos.h"

namespace te::engine::ucx {

// "NAME=value" lines of ucp_config_print, by NAME (UCX_TLS; a setting made with
// ucp_config_modify shows without the UCX_ prefix, e.g. IB_SL).
std::map<std::string, std::string> printedConfig(const ucp_config_t* config);

// Sets UCX_IB_TRAFFIC_CLASS, UCX_IB_SL and UCX_IB_PATH_MTU from `qos` where a flag or the
// environment (MC_*, NCCL_*) chose a value, unless the user set that UCX variable
// (`user_env`, kept as it is) or UCX has no IB device here (nothing would use them). Returns,
// per variable, the value UCX got and who chose it.
Result<nlohmann::json> applyQos(ucp_config_t* config, const RdmaQosOptions& qos,
                                const std::map<std::string, std::string>& user_env);

}  // namespace te::engine::ucx
