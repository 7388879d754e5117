#include "engine/transport_registry.h"

#include <algorithm>

#include "transport_list.inc"  // generated: TE_TRANSPORT_INCLUDES and the list

namespace te::engine {

const std::vector<TransportInfo>& builtinTransports() {
  static const std::vector<TransportInfo> list = [] {
    auto l = generated::builtinTransportList();
    std::stable_sort(l.begin(), l.end(),
                     [](const TransportInfo& a, const TransportInfo& b) { return a.preference > b.preference; });
    return l;
  }();
  return list;
}

const TransportInfo* findTransport(const std::string& name) {
  for (const auto& t : builtinTransports()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string builtinTransportNames() {
  std::string out;
  for (const auto& t : builtinTransports()) out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

Result<const TransportInfo*> chooseAutoTransport(const TransportConfig& config,
                                                 std::vector<std::string>* skipped) {
  for (const auto& t : builtinTransports()) {
    Status s = t.probe(config);
    if (s.isOk()) return &t;
    if (skipped) skipped->push_back(t.name + ": " + s.message());
  }
  return unavailable("no transport can run here (built: " + builtinTransportNames() + ")");
}

}  // namespace te::engine
