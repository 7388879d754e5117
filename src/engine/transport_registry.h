// The transports of this tree. Each transport folder adds one line to the list through
// te_register_transport() in its CMakeLists.txt (see cmake/TeTransports.cmake): its name, its
// preference, its description (options, capabilities: engine/transport_descriptor.h) and,
// when built into this binary, its factory. A new transport needs no #ifdef in shared code
// and no edit in src/bench.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "engine/transport.h"
#include "engine/transport_descriptor.h"

namespace te::engine {

struct TransportInfo {
  std::string name;      // "verbs", "ucx", "tcp"
  int preference;        // higher wins for --transport auto
  const TransportDescriptor& (*descriptor)();
  // Cheap check that the transport can run here (device present, library usable). OK or
  // the reason it cannot. nullptr (with create) when the transport is not built in.
  Status (*probe)(const TransportConfig& config);
  Result<TransportPtr> (*create)(const TransportConfig& config);

  bool built() const { return create != nullptr; }
};

// Every transport of the tree, built in or not, in registration order (the order of their
// flags in --help): their options are flags of every build, so one flags file fits all.
const std::vector<TransportInfo>& registeredTransports();

// Built-in transports, best (highest preference) first.
const std::vector<TransportInfo>& builtinTransports();

// A built-in transport by name; nullptr when none.
const TransportInfo* findTransport(const std::string& name);

// A built-in transport by name, created; kInvalidArgument naming the built ones when
// `name` is not one of them.
Result<TransportPtr> createTransport(const std::string& name, const TransportConfig& config);

// A registered transport (built in or not) by name; nullptr when none.
const TransportInfo* findRegisteredTransport(const std::string& name);

// The option of a registered transport whose flag is `flag` ("--qps-per-peer"); nullptr when none.
const TransportOption* findTransportOption(const std::string& flag);

// Names of built transports, comma-separated ("verbs, ucx, tcp").
std::string builtinTransportNames();

// For --transport auto: the most preferred transport whose probe passes, with the reasons
// the better ones were skipped (for a log line).
Result<const TransportInfo*> chooseAutoTransport(const TransportConfig& config,
                                                 std::vector<std::string>* skipped);

}  // namespace te::engine
