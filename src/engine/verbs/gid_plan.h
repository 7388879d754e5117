// The RoCE GID pair of every (my device, peer device) pair a rank's channels use, matched at
// connect (gid_match.h) for every peer at once, so that the report counts them all, also
// where connections are made on demand.
#pragma once

#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/verbs/endpoint.h"
#include "engine/verbs/gid_match.h"

namespace te::engine::verbs {

// This rank's side of every pair, and what it chose, per local device.
class GidPlan {
 public:
  GidPlan() = default;
  // The device pairs of the channel plan: slot s pairs device s % mine with s % theirs.
  static GidPlan make(const std::vector<RankEndpoint>& endpoints, int rank);

  struct Use {
    GidCandidate mine;
    GidCandidate theirs;
    GidMatchKind kind = GidMatchKind::kUnused;
  };
  // kUnused when not planned (InfiniBand); on kNoMatch an error naming both ends.
  Result<Use> use(const std::vector<RankEndpoint>& endpoints, int peer, int local_device, int remote_device) const;
  // Per local device: {pairs, by_reason: {kind: count}, other_than_default, choices: [the
  // first kMaxChoices distinct ones, with a peer]}; null for a device not matched (InfiniBand).
  nlohmann::json summary(size_t local_device) const;
  static constexpr size_t kMaxChoices = 4;

 private:
  struct Stats {
    uint64_t pairs = 0;
    uint64_t other_than_default = 0;
    std::vector<uint64_t> by_kind;
    std::vector<std::tuple<int, int, GidMatchKind>> seen;  // (my index, peer's index, kind) listed
    nlohmann::json choices = nlohmann::json::array();
  };
  void count(const std::vector<RankEndpoint>& endpoints, int peer, int local_device, int remote_device);

  int rank_ = -1;
  std::vector<std::vector<GidPick>> picks_;  // [peer][local * peer's devices + remote]
  std::vector<Stats> stats_;                 // per local device
};

}  // namespace te::engine::verbs
