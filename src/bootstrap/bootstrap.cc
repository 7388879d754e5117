#include "bootstrap/bootstrap.h"

#include <cstdio>

#include "common/bytes.h"

namespace te::bootstrap {

Result<std::vector<Bytes>> Bootstrap::gather(const Bytes& mine, int root, Deadline deadline) {
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, allGather(mine, deadline));
  if (rank() != root) return std::vector<Bytes>{};
  return all;
}

Result<std::vector<std::optional<Bytes>>> Bootstrap::gatherSurviving(const Bytes& mine, int root, Deadline deadline,
                                                                     Clock::duration, std::string* lost) {
  lost->clear();
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, gather(mine, root, deadline));
  std::vector<std::optional<Bytes>> out;
  for (auto& b : all) out.emplace_back(std::move(b));
  return out;
}

Result<Bytes> Bootstrap::tell(const Bytes& data, int root, Deadline deadline, Clock::duration) {
  return broadcast(data, root, deadline);
}

Status Bootstrap::exclude(int rank) {
  return internalError(kind() + " bootstrap: cannot go on without rank " + std::to_string(rank));
}

Status Bootstrap::post(int, int, Bytes) { return internalError(kind() + " bootstrap: no point-to-point messages"); }

Result<std::optional<Bootstrap::Message>> Bootstrap::receive(int, int) {
  return internalError(kind() + " bootstrap: no point-to-point messages");
}

std::vector<Clock::time_point> Bootstrap::lastHeard() { return std::vector<Clock::time_point>(size()); }

std::string silentRanksText(const Bootstrap& bootstrap, const std::vector<int>& ranks, Clock::duration silence) {
  std::string out;
  for (size_t i = 0; i < ranks.size() && i < 16; ++i) {
    out += (i ? ", " : "") + std::string("rank ") + std::to_string(ranks[i]) + " (" + bootstrap.hostname(ranks[i]) + ")";
  }
  if (ranks.size() > 16) out += " and " + std::to_string(ranks.size() - 16) + " more";
  if (out.empty()) return out;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.0f", std::chrono::duration<double>(silence).count());
  return out + " sent nothing for " + secs + " s (frozen, or lost with its node)";
}

Status agreeOnStatus(Bootstrap& bootstrap, const Status& mine, Deadline deadline) {
  ByteWriter w;
  w.put<int32_t>(static_cast<int32_t>(mine.code())).putString(mine.message());
  TE_ASSIGN_OR_RETURN(std::vector<Bytes> all, bootstrap.allGather(w.take(), deadline));
  for (size_t r = 0; r < all.size(); ++r) {
    if (bootstrap.excluded(static_cast<int>(r))) continue;  // lost earlier (--on-failure continue)
    ByteReader reader(all[r]);
    int32_t code = 0;
    std::string message;
    if (!reader.get(&code) || !reader.getString(&message)) {
      return internalError("agreeOnStatus: malformed status from rank " + std::to_string(r));
    }
    if (code != 0) return Status(static_cast<StatusCode>(code), message);
  }
  return Status::ok();
}

}  // namespace te::bootstrap
