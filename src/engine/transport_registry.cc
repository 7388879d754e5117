#include "engine/transport_registry.h"

#include <algorithm>

#include "transport_list.inc"  // generated: TE_TRANSPORT_INCLUDES and the list

namespace te::engine {

const std::vector<TransportInfo>& registeredTransports() {
  static const std::vector<TransportInfo> list = generated::registeredTransportList();
  return list;
}

const std::vector<TransportInfo>& builtinTransports() {
  static const std::vector<TransportInfo> list = [] {
    std::vector<TransportInfo> l;
    for (const auto& t : registeredTransports()) {
      if (t.built()) l.push_back(t);
    }
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

Result<TransportPtr> createTransport(const std::string& name, const TransportConfig& config) {
  const TransportInfo* info = findTransport(name);
  if (!info) {
    return invalidArgument("--transport " + name + ": not built into this binary (built: " + builtinTransportNames() +
                           ")");
  }
  return info->create(config);
}

const TransportInfo* findRegisteredTransport(const std::string& name) {
  for (const auto& t : registeredTransports()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TransportOption* findTransportOption(const std::string& flag) {
  for (const auto& t : registeredTransports()) {
    for (const TransportOption& o : t.descriptor().options) {
      if (!o.flag.empty() && o.flag == flag) return &o;
    }
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
