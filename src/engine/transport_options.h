// Settings handed to a transport factory: the common ones plus one plain options struct per
// transport, declared in its folder (engine/<name>/<name>_options.h) and kept here by the
// transport's name. The bench fills them from flags and environment through the option
// descriptors of the registry; transports never read either themselves.
#pragma once

#include <any>
#include <map>
#include <string>
#include <type_traits>

namespace te::engine {

struct TransportConfig {
  int num_workers = 1;  // one TransportWorker per bench thread
  // What the run will do, for limits checked before anything is registered (the verbs
  // transport's RLIMIT_MEMLOCK): host memory it registers and the ranks it talks to. 0 when
  // unknown (a transport built in code: then the first region is all it counts).
  uint64_t pinned_host_bytes = 0;
  int world_size = 0;
  // What the run posts, for queues sized to it (verbs: send-queue depth, inline data): each
  // worker's requests outstanding at most, the largest request, the smallest WRITE (0: the run
  // posts none). 0 / kUnknown when unknown (a transport built in code): the options decide.
  static constexpr uint64_t kUnknown = ~0ull;
  uint64_t requests_in_flight = 0;
  uint64_t largest_request = 0;
  uint64_t smallest_write = kUnknown;
  // The caller calls Transport::preparePhase before every phase (the bench's runner does): a
  // transport may then connect peers on demand by default (verbs above 64 ranks).
  bool prepares_phases = false;

  // The options of one transport (`Options::kTransport` names it); its defaults until set.
  template <typename Options>
  Options& options() {
    std::any& slot = by_transport_[Options::kTransport];
    if (!slot.has_value()) slot = Options{};
    return *std::any_cast<Options>(&slot);
  }
  template <typename Options>
  const Options& options() const {
    static const Options kDefaults{};
    auto it = by_transport_.find(Options::kTransport);
    return it == by_transport_.end() ? kDefaults : *std::any_cast<Options>(&it->second);
  }

 private:
  std::map<std::string, std::any> by_transport_;
};

}  // namespace te::engine
