#include "engine/verbs/peer_plan.h"

#include <algorithm>

namespace te::engine::verbs {

PeerPlan::PeerPlan(int world, int cap, std::function<uint32_t(int, int)> channels)
    : world_(world),
      cap_(cap),
      channels_(std::move(channels)),
      live_(static_cast<size_t>(world)),
      live_count_(static_cast<size_t>(world), 0),
      live_qps_(static_cast<size_t>(world), 0),
      live_qps_max_(static_cast<size_t>(world), 0),
      created_(static_cast<size_t>(world), 0),
      peers_max_(static_cast<size_t>(world), 0),
      need_(static_cast<size_t>(world)),
      fresh_(static_cast<size_t>(world)) {}

PeerPlan::Entry* PeerPlan::find(int rank, int peer) {
  std::vector<Entry>& l = live_[static_cast<size_t>(rank)];
  auto it = std::lower_bound(l.begin(), l.end(), peer, [](const Entry& e, int p) { return e.peer < p; });
  return it != l.end() && it->peer == peer ? &*it : nullptr;
}

bool PeerPlan::connected(int rank, int peer) const {
  if (rank < 0 || rank >= world_) return false;
  const std::vector<Entry>& l = live_[static_cast<size_t>(rank)];
  auto it = std::lower_bound(l.begin(), l.end(), peer, [](const Entry& e, int p) { return e.peer < p; });
  return it != l.end() && it->peer == peer && !it->dead;
}

void PeerPlan::release(int rank, int peer, int me, PhasePeers* out) {
  const uint32_t qps = channels_ ? channels_(rank, peer) : 1;
  for (auto [a, b] : {std::pair{rank, peer}, std::pair{peer, rank}}) {
    Entry* e = find(a, b);
    e->dead = true;
    --live_count_[static_cast<size_t>(a)];
    live_qps_[static_cast<size_t>(a)] -= qps;
    if (a == me) out->release.push_back(b);
  }
}

// Releases the rank's least recently used peers that this phase does not need, down to the
// cap (or to what the phase needs, when that is more).
void PeerPlan::evict(int rank, int me, PhasePeers* out) {
  const size_t r = static_cast<size_t>(rank);
  const int limit = std::max(cap_, static_cast<int>(need_[r].size()));
  const int count = live_count_[r] + static_cast<int>(fresh_[r].size());
  if (count <= limit) return;
  std::vector<std::pair<uint64_t, int>> idle;  // (last used, peer): the oldest first
  for (const Entry& e : live_[r]) {
    if (!e.dead && e.used < clock_) idle.emplace_back(e.used, e.peer);
  }
  const size_t k = std::min(idle.size(), static_cast<size_t>(count - limit));
  std::partial_sort(idle.begin(), idle.begin() + static_cast<long>(k), idle.end());
  for (size_t i = 0; i < k; ++i) release(rank, idle[i].second, me, out);
}

PhasePeers PeerPlan::next(std::span<const PlanLink> links, int me) {
  PhasePeers out;
  ++clock_;
  for (int r : touched_) {
    need_[static_cast<size_t>(r)].clear();
    fresh_[static_cast<size_t>(r)].clear();
  }
  touched_.clear();
  auto add = [this](int r, int p) {
    std::vector<int>& n = need_[static_cast<size_t>(r)];
    if (n.empty()) touched_.push_back(r);
    n.push_back(p);
  };
  for (const PlanLink& l : links) {
    const int a = l.initiator, b = l.target;
    if (a == b || a < 0 || b < 0 || a >= world_ || b >= world_) continue;
    add(a, b);
    add(b, a);
  }
  // What each rank needs: pairs already live are touched, the others connect.
  for (int r : touched_) {
    std::vector<int>& n = need_[static_cast<size_t>(r)];
    std::sort(n.begin(), n.end());
    n.erase(std::unique(n.begin(), n.end()), n.end());
    for (int p : n) {
      if (Entry* e = find(r, p); e != nullptr) {
        e->used = clock_;
      } else {
        fresh_[static_cast<size_t>(r)].push_back(p);
      }
    }
  }
  if (cap_ > 0) {
    for (int r = 0; r < world_; ++r) evict(r, me, &out);
    for (std::vector<Entry>& l : live_) {
      l.erase(std::remove_if(l.begin(), l.end(), [](const Entry& e) { return e.dead; }), l.end());
    }
  }
  for (int r : touched_) {
    const size_t ru = static_cast<size_t>(r);
    std::vector<Entry>& l = live_[ru];
    const size_t old = l.size();
    for (int p : fresh_[ru]) {
      const uint32_t qps = channels_ ? channels_(r, p) : 1;
      l.push_back({p, clock_, false});
      ++live_count_[ru];
      live_qps_[ru] += qps;
      created_[ru] += qps;
      out.exchange = true;
    }
    std::inplace_merge(l.begin(), l.begin() + static_cast<long>(old), l.end(),
                       [](const Entry& a, const Entry& b) { return a.peer < b.peer; });
    live_qps_max_[ru] = std::max(live_qps_max_[ru], live_qps_[ru]);
    peers_max_[ru] = std::max(peers_max_[ru], live_count_[ru]);
  }
  if (me >= 0 && me < world_) out.connect = fresh_[static_cast<size_t>(me)];
  std::sort(out.release.begin(), out.release.end());
  if (out.exchange) ++exchanges_;
  return out;
}

}  // namespace te::engine::verbs
