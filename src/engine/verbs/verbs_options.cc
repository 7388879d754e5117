// The verbs transport's entry in the registry: its flags (with the QoS flags UCX shares,
// engine/rdma_qos.h), the defaults it takes from the environment (MC_GID_INDEX, MC_IB_TC, ...,
// NCCL_TOPO_FILE, TE_FAULT_INJECT) and its capabilities.
#include "engine/verbs/verbs_options.h"

#include "common/shown_value.h"
#include "engine/rdma_qos.h"
#include "engine/topology/nccl_topology.h"
#include "engine/transport_descriptor.h"

namespace te::engine::verbs {
namespace {

constexpr const char* kTopoFileAllowed = "an NCCL topology XML file, or off";

// --topo-file: the flag, else NCCL's own setting (environment, then /etc/nccl.conf); off: none.
void resolveTopoFile(VerbsOptions& v, const LauncherEnv& env) {
  if (v.topo_file == "off") {
    v.topo_file.clear();
  } else if (!v.topo_file.empty()) {
    v.topo_file_from = "--topo-file";
  } else if (!env.nccl_topo_file.empty()) {
    v.topo_file = env.nccl_topo_file;
    v.topo_file_from = "NCCL_TOPO_FILE";
  } else if (std::string conf = ncclConfTopoFile(); !conf.empty()) {
    v.topo_file = conf;
    v.topo_file_from = "NCCL_TOPO_FILE of /etc/nccl.conf";
  }
}

void finish(TransportConfig& config, const LauncherEnv& env) {
  VerbsOptions& v = config.options<VerbsOptions>();
  if (v.gid_index < 0 && env.gid_index) v.gid_index = *env.gid_index;
  v.fault_inject = env.fault_inject;  // verbs applies the badrkey / oob rules itself
  resolveTopoFile(v, env);
  finishRdmaQos(config, env);
}

std::vector<TransportOption> joined(std::vector<TransportOption> a, std::vector<TransportOption> b) {
  for (TransportOption& o : b) a.push_back(std::move(o));
  return a;
}

// The QoS settings (UCX's too); then a file the user named must be there and parse, whatever
// the transport (NCCL's own NCCL_TOPO_FILE is only warned about, when verbs loads it).
Status validate(const TransportConfig& config) {
  TE_RETURN_IF_ERROR(validateRdmaQos(config));
  const VerbsOptions& v = config.options<VerbsOptions>();
  if (v.topo_file_from != "--topo-file") return Status::ok();
  Status topo = NcclTopology::load(v.topo_file, "--topo-file").status();
  if (topo.isOk()) return topo;
  // The loader's message starts "--topo-file PATH: ": the path again, whole.
  std::string why = topo.message();
  const std::string prefix = "--topo-file " + v.topo_file + ": ";
  if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
  return Status(topo.code(),
                flagValue("--topo-file", v.topo_file) + ": " + shownValue(why, 200) + "; allowed " + kTopoFileAllowed);
}

}  // namespace

int effectiveMaxPeers(const VerbsOptions& o, int world_size, bool prepares_phases) {
  if (o.max_connected_peers >= 0) return o.max_connected_peers >= world_size - 1 ? 0 : o.max_connected_peers;
  return !prepares_phases || world_size <= VerbsOptions::kEagerWorld ? 0 : VerbsOptions::kAutoMaxPeers;
}

const TransportDescriptor& descriptor() {
  static const TransportDescriptor kDescriptor{
      .options = joined(
          OptionList<VerbsOptions>()
              .text("--devices", &VerbsOptions::devices, "devices",
                    "verbs: RDMA devices to use, e.g. mlx5_0,mlx5_1 (default: all active)",
                    "RDMA device names, comma separated, e.g. mlx5_0,mlx5_1")
              .integer("--gid-index", &VerbsOptions::gid_index, "gid_index",
                       "verbs: RoCE GID index (default: auto, or MC_GID_INDEX)", -1, 255, " (-1: auto)", false)
              .integer("--ib-port", &VerbsOptions::ib_port, "ib_port", "verbs: port number (0: every active port)", 0,
                       255, " (0: every active port)")
              .integer("--ib-timeout", &VerbsOptions::ib_timeout, "ib_timeout",
                       "verbs: RC ack timeout exponent, 4.096 us x 2^N (perftest uses 14; NCCL_IB_TIMEOUT 20 for large "
                       "fabrics)",
                       0, 31)
              .integer("--pkey-index", &VerbsOptions::pkey_index, "pkey_index",
                       "verbs: P_Key table index of every QP (default: the first full-member P_Key, as UCX; else 0)",
                       -1, 65535, " (-1: auto)", false)
              .integer("--qps-per-peer", &VerbsOptions::qps_per_peer, "qps_per_peer",
                       "verbs: RC QPs per peer and device", 1, 64)
              .integer("--max-connected-peers", &VerbsOptions::max_connected_peers, "max_connected_peers",
                       "verbs: peers a rank keeps connected at once; the others connect when a phase needs them and "
                       "the least recently used are released (0: every peer, up front; default: 0 up to 64 ranks, "
                       "else 16)",
                       -1, 1 << 20, " (-1: auto)", false)
              .size("--slice-size", &VerbsOptions::slice_size, "slice_size",
                    "verbs: requests are split into slices of this size (default 64K)")
              .integer("--max-wr", &VerbsOptions::max_wr, "max_wr", "verbs: send queue depth per QP", 1, 32768)
              .text("--nic-priority-matrix", &VerbsOptions::nic_priority_matrix, "nic_priority_matrix",
                    "verbs: Mooncake NIC priority matrix (JSON file)", "a Mooncake NIC priority matrix (a JSON file)")
              .text("--topo-file", &VerbsOptions::topo_file, "topo_file",
                    "verbs: NCCL topology XML that pairs GPUs with NICs where sysfs cannot (cloud VMs); off: none "
                    "(default: NCCL_TOPO_FILE, from the environment or /etc/nccl.conf)",
                    kTopoFileAllowed)
              .reportOnly("topo_file_from", &VerbsOptions::topo_file_from)
              .choice("--relaxed-ordering", &VerbsOptions::relaxed_ordering, "relaxed_ordering",
                      "verbs: register memory with relaxed PCIe ordering (on, as NCCL and perftest; GPUDirect "
                      "needs it for its full rate) or strict (off, for a platform that mishandles it)",
                      "on", "off")
              .done(),
          rdmaQosOptions()),
      .capabilities = {.one_sided = true, .dram = true, .vram = true, .max_request_size = 0},
      .applies_key_faults = true,
      .finish = finish,
      .validate = validate,
  };
  return kDescriptor;
}

}  // namespace te::engine::verbs
