#include "engine/verbs/gid_plan.h"

#include <algorithm>

#include "engine/worker/peer_label.h"

namespace te::engine::verbs {

GidPlan GidPlan::make(const std::vector<RankEndpoint>& endpoints, int rank) {
  GidPlan p;
  p.rank_ = rank;
  const RankEndpoint& me = endpoints[static_cast<size_t>(rank)];
  const size_t mine = me.devices.size();
  p.stats_.resize(mine);
  for (Stats& s : p.stats_) s.by_kind.assign(static_cast<size_t>(GidMatchKind::kNoMatch) + 1, 0);
  p.picks_.resize(endpoints.size());
  for (size_t peer = 0; peer < endpoints.size(); ++peer) {
    if (static_cast<int>(peer) == rank) continue;
    const std::vector<DeviceAddress>& theirs = endpoints[peer].devices;
    p.picks_[peer].assign(mine * theirs.size(), GidPick{});
    for (size_t slot = 0; slot < std::max(mine, theirs.size()); ++slot) {
      const size_t l = slot % mine, r = slot % theirs.size();
      const DeviceAddress& a = me.devices[l];
      const DeviceAddress& b = theirs[r];
      GidPick& pick = p.picks_[peer][l * theirs.size() + r];
      if (a.link_layer != LinkLayer::kEthernet || b.link_layer != LinkLayer::kEthernet) continue;
      if (pick.kind != GidMatchKind::kUnused) continue;  // this device pair came up already
      // The lower rank's device first at both ends: both reach the same pair.
      pick = rank < static_cast<int>(peer) ? matchGids(a, b) : matchGids(b, a);
      p.count(endpoints, static_cast<int>(peer), static_cast<int>(l), static_cast<int>(r));
    }
  }
  return p;
}

Result<GidPlan::Use> GidPlan::use(const std::vector<RankEndpoint>& endpoints, int peer, int local_device,
                                  int remote_device) const {
  const size_t theirs = endpoints[static_cast<size_t>(peer)].devices.size();
  const std::vector<GidPick>& picks = picks_[static_cast<size_t>(peer)];
  const size_t at = static_cast<size_t>(local_device) * theirs + static_cast<size_t>(remote_device);
  if (at >= picks.size() || picks[at].kind == GidMatchKind::kUnused) return Use{};
  const GidPick& pick = picks[at];
  const DeviceAddress& a = endpoints[static_cast<size_t>(rank_)].devices[static_cast<size_t>(local_device)];
  const DeviceAddress& b = endpoints[static_cast<size_t>(peer)].devices[static_cast<size_t>(remote_device)];
  if (pick.kind == GidMatchKind::kNoMatch) {
    return unavailable(gidMismatchError(worker::peerLabel(rank_, endpoints[static_cast<size_t>(rank_)].hostname), a,
                                        worker::peerLabel(peer, endpoints[static_cast<size_t>(peer)].hostname), b));
  }
  const bool lower = rank_ < peer;
  return Use{gidCandidatesOf(a)[static_cast<size_t>(lower ? pick.lo : pick.hi)],
             gidCandidatesOf(b)[static_cast<size_t>(lower ? pick.hi : pick.lo)], pick.kind};
}

void GidPlan::count(const std::vector<RankEndpoint>& endpoints, int peer, int local_device, int remote_device) {
  Stats& s = stats_[static_cast<size_t>(local_device)];
  const GidPick& pick = picks_[static_cast<size_t>(peer)][static_cast<size_t>(local_device) *
                                                             endpoints[static_cast<size_t>(peer)].devices.size() +
                                                         static_cast<size_t>(remote_device)];
  ++s.pairs;
  ++s.by_kind[static_cast<size_t>(pick.kind)];
  const DeviceAddress& a = endpoints[static_cast<size_t>(rank_)].devices[static_cast<size_t>(local_device)];
  const DeviceAddress& b = endpoints[static_cast<size_t>(peer)].devices[static_cast<size_t>(remote_device)];
  Result<Use> u = use(endpoints, peer, local_device, remote_device);
  const int mine = u.isOk() ? u->mine.index : -1, theirs = u.isOk() ? u->theirs.index : -1;
  if (u.isOk() && mine != a.gid_index) ++s.other_than_default;
  if (s.choices.size() >= kMaxChoices) return;
  const auto key = std::make_tuple(mine, theirs, pick.kind);
  if (std::find(s.seen.begin(), s.seen.end(), key) != s.seen.end()) return;
  s.seen.push_back(key);
  nlohmann::json c = {{"peer", peer}, {"peer_device", b.name}, {"gid_index", mine}, {"peer_gid_index", theirs}};
  c["reason"] = u.isOk() ? gidMatchReason(a, u->mine, b, u->theirs, pick.kind) : u.status().message();
  s.choices.push_back(std::move(c));
}

nlohmann::json GidPlan::summary(size_t local_device) const {
  if (local_device >= stats_.size() || stats_[local_device].pairs == 0) return nullptr;
  const Stats& s = stats_[local_device];
  nlohmann::json by_reason = nlohmann::json::object();
  for (size_t k = 0; k < s.by_kind.size(); ++k) {
    if (s.by_kind[k] > 0) by_reason[gidMatchKindName(static_cast<GidMatchKind>(k))] = s.by_kind[k];
  }
  return {{"pairs", s.pairs}, {"by_reason", by_reason}, {"other_than_default", s.other_than_default},
          {"choices", s.choices}};
}

}  // namespace te::engine::verbs
