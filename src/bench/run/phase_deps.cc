#include "bench/run/phase_deps.h"

#include <algorithm>

namespace te::bench {

bool PhaseDeps::suits(const std::vector<Phase>& phases, int world) {
  if (phases.size() < 2 || world < 2) return false;
  std::vector<char> busy(static_cast<size_t>(world));
  for (const Phase& phase : phases) {
    std::fill(busy.begin(), busy.end(), 0);
    for (const Link& l : phase) busy[static_cast<size_t>(l.initiator)] = busy[static_cast<size_t>(l.target)] = 1;
    if (std::count(busy.begin(), busy.end(), 1) < world - 1) return false;
  }
  return true;
}

std::vector<std::vector<int>> PhaseDeps::partners(size_t p) const {
  std::vector<std::vector<int>> out(static_cast<size_t>(world_));
  for (const Link& l : phases_[p]) {
    out[static_cast<size_t>(l.initiator)].push_back(l.target);
    out[static_cast<size_t>(l.target)].push_back(l.initiator);
  }
  return out;
}

std::vector<std::vector<int>> PhaseDeps::targets(size_t p) const {
  std::vector<std::vector<int>> out(static_cast<size_t>(world_));
  for (const Link& l : phases_[p]) out[static_cast<size_t>(l.initiator)].push_back(l.target);
  return out;
}

std::vector<int> PhaseDeps::needsOf(int rank, const std::vector<std::vector<int>>& before,
                                    const std::vector<int>& targets) {
  std::vector<int> out = before[static_cast<size_t>(rank)];
  for (int t : targets) {
    out.push_back(t);
    const auto& theirs = before[static_cast<size_t>(t)];
    out.insert(out.end(), theirs.begin(), theirs.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  out.erase(std::remove(out.begin(), out.end(), rank), out.end());
  return out;
}

std::vector<int> PhaseDeps::needs(int rank, size_t p) const {
  if (p == 0 || p >= phases_.size()) return {};
  return needsOf(rank, partners(p - 1), targets(p)[static_cast<size_t>(rank)]);
}

std::vector<int> PhaseDeps::tells(int rank, size_t p) const {
  if (p + 1 >= phases_.size()) return {};
  const std::vector<std::vector<int>> before = partners(p);
  const std::vector<std::vector<int>> next = targets(p + 1);
  std::vector<int> out;
  for (int w = 0; w < world_; ++w) {
    if (w == rank) continue;
    const std::vector<int> n = needsOf(w, before, next[static_cast<size_t>(w)]);
    if (std::binary_search(n.begin(), n.end(), rank)) out.push_back(w);
  }
  return out;
}

}  // namespace te::bench
