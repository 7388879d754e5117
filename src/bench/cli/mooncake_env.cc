// Mooncake's metadata services as te_bench bootstraps, and its MC_* environment variables:
// which te_bench honours and what the others are (kvcache-ai/Mooncake doc/en/transfer-engine.md,
// "Advanced Runtime Options").
#include <algorithm>

#include "bench/cli/mooncake_flags.h"
#include "common/shown_value.h"

namespace te::bench {
namespace {

constexpr const char* kNoHttp =
    "not supported: te_bench has no HTTP metadata client; use etcd (HOST:PORT, etcd://HOST:PORT) or redis "
    "(redis://HOST:PORT), or no server under mpirun / srun";

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Honoured by te_bench's verbs transport.
constexpr const char* kHonoured[] = {"MC_GID_INDEX", "MC_IB_TC", "MC_IB_SL", "MC_MTU"};

struct Known {
  const char* name;
  const char* what;  // "Mooncake's ..."
};

constexpr Known kKnown[] = {
    {"MC_NUM_CQ_PER_CTX", "CQs per device (te_bench: one CQ per worker thread, --threads)"},
    {"MC_NUM_COMP_CHANNELS_PER_CTX", "completion channels per device"},
    {"MC_IB_PORT", "IB port (te_bench: --ib-port)"},
    {"MC_IB_PCI_RELAXED_ORDERING", "PCIe relaxed ordering switch"},
    {"MC_MAX_CQE_PER_CTX", "CQ size per device"},
    {"MC_MAX_EP_PER_CTX", "endpoints per device"},
    {"MC_NUM_QP_PER_EP", "QPs per endpoint (te_bench: --qps-per-peer)"},
    {"MC_MAX_SGE", "SGEs per QP"},
    {"MC_MAX_WR", "work requests per QP (te_bench: --max-wr)"},
    {"MC_MAX_INLINE", "inline bytes per QP"},
    {"MC_WORKERS_PER_CTX", "worker threads per device (te_bench: --threads)"},
    {"MC_SLICE_SIZE", "slice size (te_bench: --slice-size)"},
    {"MC_RETRY_CNT", "transfer retry count"},
    {"MC_LOG_LEVEL", "glog level (te_bench: --log-level)"},
    {"MC_LOG_DIR", "log directory"},
    {"MC_DISABLE_METACACHE", "metadata cache switch"},
    {"MC_HANDSHAKE_LISTEN_BACKLOG", "handshake listen backlog"},
    {"MC_HANDSHAKE_MAX_LENGTH", "handshake message limit"},
    {"MC_REDIS_PASSWORD", "redis password (te_bench's redis bootstrap uses none)"},
    {"MC_REDIS_DB_INDEX", "redis database index"},
    {"MC_FRAGMENT_RATIO", "last-slice merge ratio"},
    {"MC_ENABLE_DEST_DEVICE_AFFINITY", "same-name NIC affinity"},
    {"MC_ENABLE_PARALLEL_REG_MR", "parallel memory registration"},
    {"MC_FORCE_HCA", "force RDMA (te_bench: --transport verbs)"},
    {"MC_FORCE_TCP", "force TCP (te_bench: --transport tcp)"},
    {"MC_FORCE_MNNVL", "force multi-node NVLink"},
    {"MC_INTRA_NVLINK", "intra-node NVLink switch"},
    {"MC_MIN_PRC_PORT", "lowest RPC port"},
    {"MC_MAX_PRC_PORT", "highest RPC port"},
    {"MC_PATH_ROUNDROBIN", "round-robin path selection"},
    {"MC_ENDPOINT_STORE_TYPE", "endpoint store (FIFO / SIEVE)"},
};

}  // namespace

Result<std::string> bootstrapForMetadataServer(const std::string& value) {
  if (value.empty() || value == "P2PHANDSHAKE") return std::string();
  if (startsWith(value, "http://") || startsWith(value, "https://")) {
    return invalidArgument(flagValue("--metadata_server", value) + ": " + kNoHttp);
  }
  if (startsWith(value, "etcd://") || startsWith(value, "redis://")) return value;
  if (value.find("://") != std::string::npos) {
    return invalidArgument(flagValue("--metadata_server", value) + ": allowed " + mooncakeAllowedValues("--metadata_server"));
  }
  return "etcd://" + value;  // Mooncake's default: a bare HOST:PORT is etcd
}

Result<std::string> bootstrapForMetadataType(const std::string& type, const std::string& servers) {
  if (type.empty() || type == "p2p") return std::string();
  if (type == "http") return invalidArgument(flagValue("--metadata_type", type) + ": " + kNoHttp);
  if (type != "etcd" && type != "redis") {
    return invalidArgument(flagValue("--metadata_type", type) + ": allowed " + mooncakeAllowedValues("--metadata_type"));
  }
  if (servers.empty()) {
    return invalidArgument("--metadata_type " + type + ": needs --metadata_servers HOST:PORT (te_bench's --bootstrap " +
                           type + "://HOST:PORT)");
  }
  const std::string scheme = type + "://";
  if (startsWith(servers, scheme.c_str())) return servers;
  if (servers.find("://") != std::string::npos) {
    return invalidArgument(flagValue("--metadata_servers", servers) + ": allowed " +
                           mooncakeAllowedValues("--metadata_servers") + " (or " + scheme + "HOST:PORT)");
  }
  return scheme + servers;
}

std::string ignoredMooncakeVariables(const std::vector<std::string>& names) {
  std::string out;
  int ignored = 0;
  for (const std::string& name : names) {
    if (std::find(std::begin(kHonoured), std::end(kHonoured), name) != std::end(kHonoured)) continue;
    ++ignored;
    const Known* known = std::find_if(std::begin(kKnown), std::end(kKnown), [&](const Known& k) { return name == k.name; });
    out += (out.empty() ? "" : "; ") + shownValue(name, 48) + " is " +
           (known != std::end(kKnown) ? std::string("Mooncake's ") + known->what : "not a Mooncake variable te_bench knows");
  }
  return out.empty() ? out : out + ": te_bench ignores " + (ignored > 1 ? "them" : "it");
}

}  // namespace te::bench
