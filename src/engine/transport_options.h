// Settings handed to a transport factory: common ones plus one plain struct per transport.
// The bench fills them from flags and environment; transports never read either themselves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace te::engine {

struct TcpOptions {
  int service_threads = 0;          // target-side threads serving peers; 0 = auto
  uint32_t max_inflight = 256;      // requests in flight per connection
  std::string interface;            // advertise this interface's address; empty = auto
};

struct VerbsOptions {
  std::vector<std::string> devices;  // empty = every device with an active port
  int gid_index = -1;                // -1 = auto (RoCE v2, IPv4-mapped); MC_GID_INDEX
  int qps_per_peer = 2;
  uint64_t slice_size = 64 * 1024;
  int max_wr = 256;
  std::string nic_priority_matrix;   // Mooncake's JSON file; empty = automatic
  // NCCL topology XML for placing NICs beside a GPU; empty = none. `topo_file_from` says who
  // named it: "--topo-file" (unreadable: an error) or NCCL_TOPO_FILE / nccl.conf (a warning).
  std::string topo_file;
  std::string topo_file_from;
  int ib_port = 0;                   // 0 = first active port
  std::string fault_inject;          // TE_FAULT_INJECT (test-only): its badrkey / oob rules act here
};

struct UcxOptions {
  uint64_t max_inflight_bytes = 64ull << 20;  // per worker
  uint64_t fragment_size = 1ull << 20;        // large requests are split into pieces
  // allocateBuffer returns DRAM from ucp_mem_map(UCP_MEM_MAP_ALLOCATE) (sysv / posix segments
  // that shared-memory peers map: direct RMA); false: nullptr, the caller's memory is registered.
  bool allocate = true;
  // A WRITE completes once a flush shows that its data reached the target (remote), or as
  // soon as UCX no longer needs the source buffer (local: what ucx_perftest's put_bw counts;
  // over software RMA the data may then still sit in socket buffers or the peer's queue).
  bool remote_write_completion = true;
};

struct TransportConfig {
  int num_workers = 1;  // one TransportWorker per bench thread
  TcpOptions tcp;
  VerbsOptions verbs;
  UcxOptions ucx;
};

}  // namespace te::engine
