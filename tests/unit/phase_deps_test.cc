// Pair handshakes between phases (bench/run/phase_deps.h): who waits for whom, and that a link
// never shares an endpoint with a link of another phase, whatever the links' durations.
#include "bench/run/phase_deps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "bench/run/schedule.h"

namespace te::bench {
namespace {

// Each rank's start and finish of every phase under the rule: a rank starts phase p once it
// and the ranks it needs are through phase p - 1; its links last a random time.
struct Simulated {
  std::vector<std::vector<double>> start, finish;  // [phase][rank]
};

Simulated simulate(const std::vector<Phase>& phases, int n, uint32_t seed) {
  PhaseDeps deps(phases, n);
  std::mt19937 rng(seed);
  std::exponential_distribution<double> length(1.0);
  Simulated s;
  for (size_t p = 0; p < phases.size(); ++p) {
    s.start.emplace_back(n, 0.0);
    s.finish.emplace_back(n, 0.0);
    for (int r = 0; r < n; ++r) {
      double at = p == 0 ? 0.0 : s.finish[p - 1][r];
      for (int w : deps.needs(r, p)) at = std::max(at, s.finish[p - 1][w]);
      s.start[p][r] = at;
      const bool initiates = std::any_of(phases[p].begin(), phases[p].end(), [&](const Link& l) { return l.initiator == r; });
      s.finish[p][r] = at + (initiates ? length(rng) : 0.0);
    }
  }
  return s;
}

TEST(PhaseDeps, TellsAreTheInverseOfNeeds) {
  for (int n : {2, 3, 4, 5, 8, 9}) {
    for (const auto& phases : {pairsSchedule(n), bidirSchedule(n)}) {
      PhaseDeps deps(phases, n);
      for (size_t p = 0; p + 1 < phases.size(); ++p) {
        for (int r = 0; r < n; ++r) {
          for (int w : deps.tells(r, p)) {
            const auto need = deps.needs(w, p + 1);
            EXPECT_TRUE(std::binary_search(need.begin(), need.end(), r)) << n << " ranks, phase " << p << ": " << r << "->" << w;
          }
          for (int w : deps.needs(r, p + 1)) {
            const auto tell = deps.tells(w, p);
            EXPECT_NE(std::find(tell.begin(), tell.end(), r), tell.end()) << n << " ranks, phase " << p;
          }
        }
      }
      EXPECT_TRUE(deps.tells(0, phases.size() - 1).empty()) << "nobody waits after the last phase";
    }
  }
}

TEST(PhaseDeps, AFewRanksWaitForEachOtherNotTheWorld) {
  const int n = 64;
  const std::vector<Phase> phases = pairsSchedule(n);
  PhaseDeps deps(phases, n);
  for (size_t p = 1; p < phases.size(); ++p) {
    for (int r = 0; r < n; ++r) EXPECT_LE(deps.needs(r, p).size(), 3u) << "phase " << p << ", rank " << r;
  }
}

TEST(PhaseDeps, ALinkNeverSharesAnEndpointWithAnotherPhasesLink) {
  for (int n : {4, 5, 8, 13}) {
    for (const auto& phases : {pairsSchedule(n), bidirSchedule(n)}) {
      for (uint32_t seed = 1; seed <= 5; ++seed) {
        const Simulated s = simulate(phases, n, seed);
        // Each link is active from its initiator's start to its finish of the phase.
        struct Active { size_t phase; Link link; double from, to; };
        std::vector<Active> all;
        for (size_t p = 0; p < phases.size(); ++p) {
          for (const Link& l : phases[p]) all.push_back({p, l, s.start[p][l.initiator], s.finish[p][l.initiator]});
        }
        for (const Active& a : all) {
          for (const Active& b : all) {
            if (a.phase == b.phase) continue;
            const bool shared = a.link.initiator == b.link.initiator || a.link.initiator == b.link.target ||
                                a.link.target == b.link.initiator || a.link.target == b.link.target;
            const bool overlap = a.from < b.to && b.from < a.to;
            EXPECT_FALSE(shared && overlap) << n << " ranks, seed " << seed << ": " << a.link.initiator << "->"
                                            << a.link.target << " (phase " << a.phase << ") and " << b.link.initiator
                                            << "->" << b.link.target << " (phase " << b.phase << ")";
          }
        }
      }
    }
  }
}

TEST(PhaseDeps, StragglersDoNotAddUpAsTheyDoWithAHandOffPerPhase) {
  // Links of random length (exponential, mean 1): a hand-off after every phase waits for
  // each phase's slowest link; with handshakes a straggler holds up only the ranks near it.
  for (int n : {16, 64}) {
    const std::vector<Phase> phases = pairsSchedule(n);
    PhaseDeps deps(phases, n);
    std::mt19937 rng(7);
    std::exponential_distribution<double> length(1.0);
    std::vector<double> finish(n, 0.0);
    double hand_off = 0;
    for (size_t p = 0; p < phases.size(); ++p) {
      std::vector<double> took(n, 0.0), next(n);
      for (const Link& l : phases[p]) took[l.initiator] = length(rng);
      hand_off += *std::max_element(took.begin(), took.end());
      for (int r = 0; r < n; ++r) {
        double at = finish[r];
        for (int w : deps.needs(r, p)) at = std::max(at, finish[w]);
        next[r] = at + took[r];
      }
      finish = next;
    }
    const double handshakes = *std::max_element(finish.begin(), finish.end());
    EXPECT_LT(handshakes, 0.8 * hand_off) << n << " ranks: " << handshakes << " s against " << hand_off << " s";
  }
}

TEST(PhaseDeps, SuitsOnlySchedulesThatKeepEveryRankBusy) {
  EXPECT_TRUE(PhaseDeps::suits(pairsSchedule(8), 8));
  EXPECT_TRUE(PhaseDeps::suits(pairsSchedule(7), 7));
  EXPECT_TRUE(PhaseDeps::suits(bidirSchedule(9), 9));
  EXPECT_FALSE(PhaseDeps::suits({{{0, 1}}, {{2, 3}}}, 8)) << "links re-measured alone";
  EXPECT_FALSE(PhaseDeps::suits(pairsSchedule(8), 16)) << "phases that leave ranks idle";
  EXPECT_FALSE(PhaseDeps::suits({pairsSchedule(8)[0]}, 8)) << "a single phase";
}

}  // namespace
}  // namespace te::bench
