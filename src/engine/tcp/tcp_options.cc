// The TCP transport's entry in the registry: its flags and capabilities.
#include "engine/tcp/tcp_options.h"

#include <net/if.h>

#include "common/shown_value.h"
#include "engine/transport_descriptor.h"

namespace te::engine::tcp {
namespace {

std::string interfacesHere() {
  std::string out;
  if (struct if_nameindex* list = ::if_nameindex()) {
    for (auto* i = list; i->if_index != 0 && i->if_name; ++i) out += (out.empty() ? "" : ", ") + std::string(i->if_name);
    ::if_freenameindex(list);
  }
  return out;
}

// --tcp-interface names an interface of the host this rank runs on.
Status checkHost(const TransportConfig& config, const std::string& host) {
  const std::string& nic = config.options<TcpOptions>().interface;
  if (nic.empty() || ::if_nametoindex(nic.c_str()) != 0) return Status::ok();
  return invalidArgument(flagValue("--tcp-interface", nic) + ": no such interface on " + host + "; allowed one of " +
                         interfacesHere());
}

}  // namespace

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
      .check_host = checkHost,
  };
  return kDescriptor;
}

}  // namespace te::engine::tcp
