// The TCP transport's options and its registry description (flags --tcp-*, their checks and
// JSON names, capabilities). Compiled in every build.
#pragma once

#include <cstdint>
#include <string>

namespace te::engine {
struct TransportDescriptor;
}

namespace te::engine::tcp {

struct TcpOptions {
  static constexpr const char* kTransport = "tcp";
  int service_threads = 0;          // target-side threads serving peers; 0 = auto
  uint32_t max_inflight = 256;      // requests in flight per connection
  std::string interface;            // advertise this interface's address; empty = auto
};

const TransportDescriptor& descriptor();

}  // namespace te::engine::tcp
