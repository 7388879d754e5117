// The verbs transport's options and its registry description (flags --devices, --gid-index,
// ..., their checks and JSON names, capabilities). Compiled in every build, with or without
// libibverbs, so a flags file works on every build.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace te::engine {
struct TransportDescriptor;
}

namespace te::engine::verbs {

struct VerbsOptions {
  static constexpr const char* kTransport = "verbs";
  std::vector<std::string> devices;  // empty = every device with an active port
  int gid_index = -1;                // -1 = auto (RoCE v2, IPv4-mapped); MC_GID_INDEX
  int qps_per_peer = 2;
  // Connections on demand: peers a rank keeps connected at once, the least recently used
  // released first (a phase that needs more connects them all). 0: every peer, connected up
  // front (the full mesh); -1: auto, 0 up to kEagerWorld ranks, else kAutoMaxPeers.
  int max_connected_peers = -1;
  static constexpr int kEagerWorld = 64;
  static constexpr int kAutoMaxPeers = 16;
  uint64_t slice_size = 64 * 1024;
  int max_wr = 256;
  std::string nic_priority_matrix;   // Mooncake's JSON file; empty = automatic
  // NCCL topology XML for placing NICs beside a GPU; empty = none. `topo_file_from` says who
  // named it: "--topo-file" (unreadable: an error) or NCCL_TOPO_FILE / nccl.conf (a warning).
  std::string topo_file;
  std::string topo_file_from;
  int ib_port = 0;                   // 0 = every active port
  // Ack timeout of every RC QP: 4.096 us x 2^ib_timeout (perftest's 14; NCCL_IB_TIMEOUT is 20
  // on large fabrics, where 14 retransmits too early under congestion).
  int ib_timeout = 14;
  int pkey_index = -1;               // -1 = the first full-member P_Key (as UCX), else index 0
  // IBV_ACCESS_RELAXED_ORDERING on every registration (DRAM and VRAM, as NCCL and perftest
  // set it): PCIe writes may pass each other, which GPUDirect needs for its full rate.
  bool relaxed_ordering = true;
  std::string fault_inject;          // TE_FAULT_INJECT (test-only): its badrkey / oob rules act here
};

const TransportDescriptor& descriptor();

// --max-connected-peers for a world of `world_size` ranks: 0 (every peer, up front) or the cap.
// Auto (-1) is on demand only for a caller that prepares its phases (TransportConfig).
int effectiveMaxPeers(const VerbsOptions& o, int world_size, bool prepares_phases);

}  // namespace te::engine::verbs
