// Connections on demand (engine/verbs/peer_plan.h) without a device: over the real schedules,
// every rank's plan agrees on each pair (both ends connect and release it in the same phase),
// live peers stay under the cap except where one phase needs more, reused pairs cost no
// exchange, and the per-rank QP counts add up.
#include <gtest/gtest.h>

#include <set>

#include "bench/run/schedule.h"
#include "engine/verbs/peer_plan.h"
#include "engine/verbs/verbs_options.h"

namespace te::engine::verbs {
namespace {

std::vector<PlanLink> linksOf(const bench::Phase& phase) {
  std::vector<PlanLink> out;
  for (const bench::Link& l : phase) out.push_back({l.initiator, l.target});
  return out;
}

// Peers rank r needs in a phase.
std::set<int> needs(const bench::Phase& phase, int r) {
  std::set<int> out;
  for (const bench::Link& l : phase) {
    if (l.initiator == r) out.insert(l.target);
    if (l.target == r) out.insert(l.initiator);
  }
  return out;
}

// Runs one plan per rank (as every rank does) over `phases`; checks agreement, needs, the cap.
struct World {
  World(int n, int cap) : n(n), cap(cap) {
    for (int r = 0; r < n; ++r) plans.emplace_back(n, cap);
    connected.assign(n, std::set<int>());
  }
  void run(const std::vector<bench::Phase>& phases) {
    for (const bench::Phase& phase : phases) {
      const std::vector<PlanLink> links = linksOf(phase);
      std::vector<PhasePeers> did;
      for (int r = 0; r < n; ++r) did.push_back(plans[r].next(links, r));
      bool any_new = false;
      for (int r = 0; r < n; ++r) {
        EXPECT_EQ(did[r].exchange, did[0].exchange) << "ranks disagree on the exchange";
        for (int p : did[r].release) {
          ASSERT_TRUE(connected[r].count(p)) << r << " releases " << p << ", not connected";
          EXPECT_FALSE(needs(phase, r).count(p)) << r << " releases " << p << ", needed now";
          connected[r].erase(p);
          EXPECT_TRUE(std::count(did[p].release.begin(), did[p].release.end(), r)) << "release not mutual";
        }
      }
      for (int r = 0; r < n; ++r) {
        for (int p : did[r].connect) {
          EXPECT_FALSE(connected[r].count(p)) << r << " connects " << p << " twice";
          connected[r].insert(p);
          EXPECT_TRUE(std::count(did[p].connect.begin(), did[p].connect.end(), r)) << "connect not mutual";
          any_new = true;
        }
      }
      EXPECT_EQ(did[0].exchange, any_new);
      exchanges += did[0].exchange ? 1 : 0;
      for (int r = 0; r < n; ++r) {
        for (int p : needs(phase, r)) EXPECT_TRUE(connected[r].count(p)) << r << " lacks " << p;
        if (cap > 0) {
          EXPECT_LE(connected[r].size(), std::max<size_t>(cap, needs(phase, r).size())) << "rank " << r;
        }
        EXPECT_EQ(plans[0].liveCount(r), static_cast<int>(connected[r].size()));
        most = std::max(most, connected[r].size());
      }
    }
  }
  int n, cap;
  std::vector<PeerPlan> plans;
  std::vector<std::set<int>> connected;
  int exchanges = 0;
  size_t most = 0;
};

TEST(VerbsPeerPlan, PairsAtCapOneHoldOnePeerAndReuseTheReversedPhase) {
  for (int n : {2, 3, 4, 7, 16}) {
    World w(n, 1);
    const auto phases = bench::pairsSchedule(n);
    w.run(phases);
    EXPECT_EQ(w.most, 1u) << n;
    // Each round's two directions share one connection: an exchange per round, not per phase.
    EXPECT_EQ(w.exchanges, static_cast<int>(phases.size()) / 2) << n;
  }
}

TEST(VerbsPeerPlan, NoCapKeepsEveryPeer) {
  World w(6, 0);
  w.run(bench::pairsSchedule(6));
  for (int r = 0; r < 6; ++r) EXPECT_EQ(w.connected[r].size(), 5u);
}

TEST(VerbsPeerPlan, AllToAllExceedsTheCapForItsPhaseOnly) {
  World w(8, 2);
  w.run(bench::allToAllSchedule(8));
  EXPECT_EQ(w.most, 7u);
  // The next phase (a retest of one link) shrinks every rank back to the cap.
  w.run({{{0, 5}}});
  for (int r = 0; r < 8; ++r) EXPECT_LE(w.connected[r].size(), 2u) << r;
  EXPECT_TRUE(w.connected[0].count(5));
}

TEST(VerbsPeerPlan, ShiftIncastAndRetestsStayConsistent) {
  World w(9, 3);
  w.run(bench::shiftSchedule(9));
  w.run(bench::incastSchedule(9, 4));
  w.run(bench::packLinks({{0, 1}, {2, 8}, {0, 1}, {8, 2}}));
  w.run(bench::pairsSchedule(9));
  EXPECT_LE(w.most, 4u);  // incast: a target with 4 initiators
}

TEST(VerbsPeerPlan, LeastRecentlyUsedGoesFirst) {
  PeerPlan p(5, 2);
  p.next(std::vector<PlanLink>{{0, 1}}, 0);
  p.next(std::vector<PlanLink>{{0, 2}}, 0);
  p.next(std::vector<PlanLink>{{1, 0}}, 0);  // 1 used again: 2 is now the oldest
  PhasePeers d = p.next(std::vector<PlanLink>{{0, 3}}, 0);
  EXPECT_EQ(d.connect, std::vector<int>{3});
  EXPECT_EQ(d.release, std::vector<int>{2});
  EXPECT_TRUE(p.connected(0, 1));
  EXPECT_FALSE(p.connected(2, 0));
  // Nothing new anywhere: no exchange; self-links and ranks outside the world are ignored.
  d = p.next(std::vector<PlanLink>{{3, 0}, {4, 4}, {0, 9}}, 0);
  EXPECT_FALSE(d.exchange);
  EXPECT_TRUE(d.connect.empty() && d.release.empty());
}

TEST(VerbsPeerPlan, CountsQpsPerRank) {
  // Rank 0 has 2 devices: its pairs hold 4 QPs, the others' 2.
  PeerPlan p(4, 1, [](int a, int b) { return a == 0 || b == 0 ? 4u : 2u; });
  for (const bench::Phase& phase : bench::pairsSchedule(4)) p.next(linksOf(phase), 0);
  EXPECT_EQ(p.qpsCreated(0), 3u * 4u);  // three peers, one at a time
  EXPECT_EQ(p.qpsLiveMax(0), 4u);
  EXPECT_EQ(p.qpsCreated(1), 4u + 2u + 2u);
  EXPECT_EQ(p.qpsLiveMax(1), 4u);
  EXPECT_EQ(p.peersLiveMax(2), 1);
  EXPECT_EQ(p.exchanges(), 3u);
}

TEST(VerbsPeerPlan, ThousandRanksPairsScheduleStaysSmall) {
  const int n = 1024;
  PeerPlan p(n, 16, [](int, int) { return 8u; });
  for (const bench::Phase& phase : bench::pairsSchedule(n)) p.next(linksOf(phase), 0);
  for (int r : {0, 511, 1023}) {
    EXPECT_EQ(p.qpsCreated(r), 1023u * 8u);
    EXPECT_EQ(p.qpsLiveMax(r), 16u * 8u);  // the cap, not N
    EXPECT_LE(p.liveCount(r), 16);
  }
}

TEST(VerbsPeerPlan, TheCapInEffect) {
  VerbsOptions o;  // auto
  EXPECT_EQ(effectiveMaxPeers(o, 64, true), 0);                                // small world: the full mesh
  EXPECT_EQ(effectiveMaxPeers(o, 1024, true), VerbsOptions::kAutoMaxPeers);    // the bench prepares phases
  EXPECT_EQ(effectiveMaxPeers(o, 1024, false), 0);  // a caller that never calls preparePhase
  o.max_connected_peers = 1;
  EXPECT_EQ(effectiveMaxPeers(o, 4, false), 1);     // asked for: on demand
  EXPECT_EQ(effectiveMaxPeers(o, 2, true), 0);      // one peer anyway: up front
  o.max_connected_peers = 0;
  EXPECT_EQ(effectiveMaxPeers(o, 1024, true), 0);
}

}  // namespace
}  // namespace te::engine::verbs
