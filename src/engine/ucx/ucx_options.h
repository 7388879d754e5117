// The UCX transport's options and its registry description (flags --ucx-*, their checks and
// JSON names, capabilities). Compiled in every build, with or without UCX.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace te::engine {
struct TransportDescriptor;
}

namespace te::engine::ucx {

struct UcxOptions {
  static constexpr const char* kTransport = "ucx";
  uint64_t max_inflight_bytes = 64ull << 20;  // per worker
  uint64_t fragment_size = 1ull << 20;        // large requests are split into pieces
  // allocateBuffer returns DRAM from ucp_mem_map(UCP_MEM_MAP_ALLOCATE) (sysv / posix segments
  // that shared-memory peers map: direct RMA); false: nullptr, the caller's memory is registered.
  bool allocate = true;
  // A WRITE completes once a flush shows that its data reached the target (remote), or as
  // soon as UCX no longer needs the source buffer (local: what ucx_perftest's put_bw counts;
  // over software RMA the data may then still sit in socket buffers or the peer's queue).
  bool remote_write_completion = true;
  // UCX_IB_TRAFFIC_CLASS / UCX_IB_SL / UCX_IB_PATH_MTU as the user set them: UCX reads them
  // itself, and --traffic-class / --service-level / --mtu do not override them.
  std::map<std::string, std::string> ib_env;
};

const TransportDescriptor& descriptor();

}  // namespace te::engine::ucx
