// The list of transports built into this binary. Each transport folder adds one line to it
// through te_register_transport() in its CMakeLists.txt (see cmake/TeTransports.cmake), so a
// new transport needs no #ifdef in shared code.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "engine/transport.h"

namespace te::engine {

struct TransportInfo {
  std::string name;      // "verbs", "ucx", "tcp"
  int preference;        // higher wins for --transport auto
  // Cheap check that the transport can run here (device present, library usable). OK or
  // the reason it cannot.
  Status (*probe)(const TransportConfig& config);
  Result<TransportPtr> (*create)(const TransportConfig& config);
};

// Built-in transports, best (highest preference) first.
const std::vector<TransportInfo>& builtinTransports();

const TransportInfo* findTransport(const std::string& name);

// Names of built transports, comma-separated ("verbs, ucx, tcp").
std::string builtinTransportNames();

// For --transport auto: the most preferred transport whose probe passes, with the reasons
// the better ones were skipped (for a log line).
Result<const TransportInfo*> chooseAutoTransport(const TransportConfig& config,
                                                 std::vector<std::string>* skipped);

}  // namespace te::engine
