#include "engine/ucx/ucx_config.h"

#include <uct/api/uct.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/logging.h"
#include "engine/ucx/ucx_handles.h"

namespace te::engine::ucx {
namespace {

struct QosSetting {
  const char* name;  // without the UCX_ prefix
  std::string value, from;  // from == "default": UCX keeps its own default
  std::string skip;         // why the value cannot be handed on; empty when it can
};

// Whether UCX's ib component has a device (an IB or RoCE NIC) here: without one the UCX_IB_*
// settings reach nothing, and UCX would warn "invalid configuration" for each worker.
bool ucxHasIbDevice() {
  uct_component_h* components = nullptr;
  unsigned count = 0;
  if (uct_query_components(&components, &count) != UCS_OK) return false;
  bool found = false;
  for (unsigned i = 0; i < count && !found; ++i) {
    uct_component_attr_t attr{};
    attr.field_mask = UCT_COMPONENT_ATTR_FIELD_NAME | UCT_COMPONENT_ATTR_FIELD_MD_RESOURCE_COUNT;
    found = uct_component_query(components[i], &attr) == UCS_OK && std::string(attr.name) == "ib" &&
            attr.md_resource_count > 0;
  }
  uct_release_component_list(components);
  return found;
}

}  // namespace

std::map<std::string, std::string> printedConfig(const ucp_config_t* config) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* stream = open_memstream(&buf, &len);
  if (!stream) return {};
  ucp_config_print(config, stream, nullptr, UCS_CONFIG_PRINT_CONFIG);
  std::fclose(stream);
  std::istringstream in(std::string(buf, len));
  std::free(buf);
  std::map<std::string, std::string> out;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && line[0] != '#') out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

Result<nlohmann::json> applyQos(ucp_config_t* config, const RdmaQosOptions& qos,
                                const std::map<std::string, std::string>& user_env) {
  const QosSetting settings[] = {
      {"IB_TRAFFIC_CLASS", std::to_string(qos.traffic_class), qos.traffic_class_from, ""},
      {"IB_SL", std::to_string(qos.service_level), qos.service_level_from, ""},
      // UCX takes 512..4096 as the MTU itself (not a cap on the port's): only a chosen one.
      {"IB_PATH_MTU", std::to_string(qos.mtu), qos.mtu_from,
       qos.mtu < 512 ? "UCX_IB_PATH_MTU takes 512, 1024, 2048 or 4096" : ""},
  };
  nlohmann::json out = nlohmann::json::object();
  const bool ib = ucxHasIbDevice();
  for (const QosSetting& s : settings) {
    const std::string variable = std::string("UCX_") + s.name;
    auto user = user_env.find(variable);
    if (user != user_env.end()) {
      if (s.from != "default") {
        TE_LOG(WARN) << "ucx: " << variable << "=" << user->second << " from the environment is kept; " << s.value
                     << " (" << s.from << ") is not passed on";
      }
      out[variable] = {{"value", user->second}, {"from", variable + " (environment)"}};
      continue;
    }
    if (s.from == "default" || !s.skip.empty()) {
      if (!s.skip.empty()) TE_LOG(WARN) << "ucx: " << s.skip << "; " << s.value << " (" << s.from << ") not passed on";
      out[variable] = {{"value", "UCX's default"}, {"from", "default"}};
      continue;
    }
    if (!ib) {
      out[variable] = {{"value", "not passed on: UCX sees no IB device here"}, {"from", s.from}};
      continue;
    }
    ucs_status_t st = ucp_config_modify(config, s.name, s.value.c_str());
    if (st != UCS_OK) return ucxError("ucp_config_modify(" + std::string(s.name) + ", " + s.value + ")", st);
    out[variable] = {{"value", s.value}, {"from", s.from}};
  }
  // What UCX holds now, read back (the value as UCX prints it).
  const std::map<std::string, std::string> printed = printedConfig(config);
  for (const QosSetting& s : settings) {
    auto it = printed.find(s.name);
    if (it != printed.end()) out[std::string("UCX_") + s.name]["value"] = it->second;
  }
  return out;
}

}  // namespace te::engine::ucx
