// The TCP transport's entry in the registry: its flags and capabilities.
#include "engine/tcp/tcp_options.h"

#include "engine/transport_descriptor.h"

namespace te::engine::tcp {

const TransportDescriptor& descriptor() {
  static const TransportDescriptor kDescriptor{
      .options = OptionList<TcpOptions>()
                     .text("--tcp-interface", &TcpOptions::interface, "interface",
                           "tcp: advertise this interface's address",
                           "the name of a network interface of this host, e.g. eth0")
                     .integer("--tcp-service-threads", &TcpOptions::service_threads, "service_threads",
                              "tcp: target-side threads (0: one per worker)", 0, 256, " (0: one per worker)")
                     .integer("--tcp-max-inflight", &TcpOptions::max_inflight, "max_inflight",
                              "tcp: requests in flight per connection", 1, 65536)
                     .done(),
      .capabilities = {.one_sided = false, .dram = true, .vram = true, .max_request_size = 0},  // VRAM: staged
  };
  return kDescriptor;
}

}  // namespace te::engine::tcp
