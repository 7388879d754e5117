#include "bench/run/transport_choice.h"

#include <algorithm>

#include "common/bytes.h"
#include "engine/transport_registry.h"

namespace te::bench {

Result<TransportChoice> chooseTransport(const std::string& requested, const BenchConfig& config,
                                        bootstrap::Bootstrap& bootstrap) {
  const auto& builtin = engine::builtinTransports();
  // Probe locally: one flag per built transport, plus the first reason for a failure.
  ByteWriter w;
  std::vector<std::string> reasons(builtin.size());
  for (size_t i = 0; i < builtin.size(); ++i) {
    bool wanted = requested == "auto" || requested == builtin[i].name;
    Status s = wanted ? builtin[i].probe(config.transport_config) : unavailable("not requested");
    reasons[i] = s.message();
    w.put<uint8_t>(static_cast<uint8_t>(s.code())).putString(s.message());
  }
  Deadline deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(config.timeout * 1000));
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, bootstrap.allGather(w.take(), deadline));
  // usable[i]: the transport passed its probe on every rank; else the first rank that failed.
  std::vector<int> failed_rank(builtin.size(), -1);
  std::vector<StatusCode> failed_code(builtin.size(), StatusCode::kOk);
  for (size_t r = 0; r < all.size(); ++r) {
    ByteReader reader(all[r]);
    for (size_t i = 0; i < builtin.size(); ++i) {
      uint8_t code = 0;
      std::string why;
      if (!reader.get(&code) || !reader.getString(&why)) return internalError("transport probe: malformed reply");
      if (code != 0 && failed_rank[i] < 0) {
        failed_rank[i] = static_cast<int>(r);
        failed_code[i] = static_cast<StatusCode>(code);
        if (static_cast<int>(r) != bootstrap.rank()) reasons[i] = why;
      }
    }
  }
  TransportChoice choice;
  for (size_t i = 0; i < builtin.size(); ++i) {
    const std::string where = failed_rank[i] >= 0 ? " on rank " + std::to_string(failed_rank[i]) + " (" +
                                                         bootstrap.hostname(failed_rank[i]) + ")"
                                                   : "";
    if (requested != "auto") {
      if (builtin[i].name != requested) continue;
      if (failed_rank[i] >= 0) {
        // Name the transports that do work here, so the user knows what to pass instead.
        std::string others;
        for (const auto& t : builtin) {
          if (t.name != requested && t.probe(config.transport_config).isOk()) {
            others += (others.empty() ? "" : ", ") + t.name;
          }
        }
        // A bad device name or GID index is the user's mistake (exit 2); no device is not.
        return Status(failed_code[i] == StatusCode::kInvalidArgument ? StatusCode::kInvalidArgument
                                                                      : StatusCode::kUnavailable,
                      "--transport " + requested + ": " + reasons[i] + where + " (available here: " +
                          (others.empty() ? "none" : others) + ")");
      }
      choice.name = builtin[i].name;
      return choice;
    }
    if (failed_rank[i] < 0) {
      choice.name = builtin[i].name;
      return choice;
    }
    choice.note += (choice.note.empty() ? "" : "; ") + builtin[i].name + ": " + reasons[i] + where;
  }
  return unavailable("--transport " + requested + ": no transport works on every rank (" + choice.note + ")");
}

}  // namespace te::bench

namespace te::bench {

Result<std::vector<std::string>> chooseTransports(const BenchConfig& config, bootstrap::Bootstrap& bootstrap,
                                                  std::string* skipped) {
  std::vector<std::string> chosen;
  for (const std::string& name : config.transports) {
    Result<TransportChoice> c = chooseTransport(name, config, bootstrap);
    if (!c.isOk()) {
      if (config.transport != "all") return c.status();
      *skipped += (skipped->empty() ? "" : "; ") + c.status().message();
      continue;
    }
    if (!c->note.empty()) *skipped += (skipped->empty() ? "" : "; ") + c->note;
    if (std::find(chosen.begin(), chosen.end(), c->name) == chosen.end()) chosen.push_back(c->name);
  }
  if (chosen.empty()) return unavailable("--transport " + config.transport + ": no transport works here (" + *skipped + ")");
  return chosen;
}

}  // namespace te::bench
