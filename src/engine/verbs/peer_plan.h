// Connections on demand (--max-connected-peers): which pairs of ranks hold RC QPs, phase by
// phase. Every rank runs the same plan over the same phases (the schedule is known to all), so
// both ends of a pair connect it and release it in the same phase without telling each other,
// and every rank knows whether any pair of the world connects in a phase: then, and only then,
// all of them join one exchange of QP numbers. Each rank keeps at most `cap` peers connected
// and releases its least recently used first; a phase that needs more (all-to-all, incast)
// connects what it needs and the cap applies again after it. Pure: no device, for unit tests.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "engine/types.h"

namespace te::engine::verbs {

// One link of a phase, as the transport is told it: initiator and target ranks.
using PlanLink = PhaseLink;

struct PhasePeers {
  bool exchange = false;     // some pair of the world connects in this phase: every rank joins
  std::vector<int> connect;  // this rank's peers to connect now, ascending
  std::vector<int> release;  // this rank's peers released now (none of them needed), ascending
};

class PeerPlan {
 public:
  // `cap` 0: no cap (nothing is ever released). `channels(a, b)`: the QPs a pair holds at each
  // end (ChannelPlan::count), for the per-rank QP counts; null counts one per pair.
  PeerPlan(int world, int cap, std::function<uint32_t(int, int)> channels = nullptr);

  // The next phase's links (the same on every rank; self-links and ranks outside the world
  // are ignored). Returns what rank `me` does now.
  PhasePeers next(std::span<const PlanLink> links, int me);

  bool connected(int rank, int peer) const;
  int liveCount(int rank) const { return live_count_[static_cast<size_t>(rank)]; }
  // Per rank, since the plan began: QPs created, the most live at once, the most peers at once.
  uint64_t qpsCreated(int rank) const { return created_[static_cast<size_t>(rank)]; }
  uint64_t qpsLiveMax(int rank) const { return live_qps_max_[static_cast<size_t>(rank)]; }
  int peersLiveMax(int rank) const { return peers_max_[static_cast<size_t>(rank)]; }
  uint64_t exchanges() const { return exchanges_; }
  int cap() const { return cap_; }

 private:
  struct Entry {
    int peer;
    uint64_t used;  // the phase that last needed the pair
    bool dead;      // released in this phase; compacted at its end
  };
  Entry* find(int rank, int peer);
  void release(int rank, int peer, int me, PhasePeers* out);
  void evict(int rank, int me, PhasePeers* out);

  const int world_;
  const int cap_;
  std::function<uint32_t(int, int)> channels_;
  uint64_t clock_ = 0;
  uint64_t exchanges_ = 0;
  std::vector<std::vector<Entry>> live_;  // per rank, sorted by peer
  std::vector<int> live_count_;           // entries not dead
  std::vector<uint64_t> live_qps_, live_qps_max_, created_;
  std::vector<int> peers_max_;
  // Per phase, reused: the peers each rank needs, the new pairs, the ranks touched.
  std::vector<std::vector<int>> need_;
  std::vector<int> touched_;
  std::vector<std::vector<int>> fresh_;
};

}  // namespace te::engine::verbs
