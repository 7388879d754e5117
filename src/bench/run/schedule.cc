#include "bench/run/schedule.h"

#include <set>

namespace te::bench {
namespace {

// Rounds of the circle method: each a list of unordered pairs (a < b), byes dropped.
std::vector<std::vector<std::pair<int, int>>> tournamentRounds(int n) {
  std::vector<std::vector<std::pair<int, int>>> rounds;
  if (n < 2) return rounds;
  const int m = n % 2 == 0 ? n : n + 1;
  std::vector<int> slots(m);
  for (int i = 0; i < m; ++i) slots[i] = i;
  for (int round = 0; round < m - 1; ++round) {
    std::vector<std::pair<int, int>> pairs;
    for (int i = 0; i < m / 2; ++i) {
      int a = slots[i], b = slots[m - 1 - i];
      if (a >= n || b >= n) continue;  // bye
      pairs.emplace_back(std::min(a, b), std::max(a, b));
    }
    rounds.push_back(std::move(pairs));
    int last = slots[m - 1];
    for (int i = m - 1; i > 1; --i) slots[i] = slots[i - 1];
    slots[1] = last;
  }
  return rounds;
}

}  // namespace

std::vector<Phase> pairsSchedule(int n) {
  std::vector<Phase> phases;
  auto rounds = tournamentRounds(n);
  for (size_t r = 0; r < rounds.size(); ++r) {
    Phase forward, backward;
    for (auto [a, b] : rounds[r]) {
      // Alternate which side goes first so no rank is always the first initiator.
      if (r % 2 == 1) std::swap(a, b);
      forward.push_back({a, b});
      backward.push_back({b, a});
    }
    phases.push_back(std::move(forward));
    phases.push_back(std::move(backward));
  }
  return phases;
}

std::vector<Phase> shiftSchedule(int n) {
  std::vector<Phase> phases;
  for (int k = 1; k < n; ++k) {
    Phase p;
    for (int r = 0; r < n; ++r) p.push_back({r, (r + k) % n});
    phases.push_back(std::move(p));
  }
  return phases;
}

std::vector<Phase> sequentialSchedule(int n) {
  std::vector<Phase> phases;
  for (int i = 0; i < n; ++i) {
    for (int t = 0; t < n; ++t) {
      if (i != t) phases.push_back({{i, t}});
    }
  }
  return phases;
}

std::vector<Phase> bidirSchedule(int n) {
  std::vector<Phase> phases;
  for (const auto& round : tournamentRounds(n)) {
    Phase p;
    for (auto [a, b] : round) {
      p.push_back({a, b});
      p.push_back({b, a});
    }
    phases.push_back(std::move(p));
  }
  return phases;
}

std::vector<Phase> oneToAllSchedule(int n, int root) {
  Phase p;
  for (int r = 0; r < n; ++r) {
    if (r != root) p.push_back({root, r});
  }
  return p.empty() ? std::vector<Phase>{} : std::vector<Phase>{p};
}

std::vector<Phase> allToOneSchedule(int n, int root) {
  Phase p;
  for (int r = 0; r < n; ++r) {
    if (r != root) p.push_back({r, root});
  }
  return p.empty() ? std::vector<Phase>{} : std::vector<Phase>{p};
}

std::vector<Phase> packLinks(const std::vector<Link>& links) {
  std::vector<Phase> phases;
  std::vector<std::set<int>> busy;
  for (const Link& l : links) {
    size_t i = 0;
    while (i < phases.size() && (busy[i].count(l.initiator) || busy[i].count(l.target))) ++i;
    if (i == phases.size()) {
      phases.emplace_back();
      busy.emplace_back();
    }
    phases[i].push_back(l);
    busy[i].insert(l.initiator);
    busy[i].insert(l.target);
  }
  return phases;
}

Result<std::vector<Phase>> makeSchedule(const std::string& name, int n, int root,
                                        const std::vector<std::pair<int, int>>& pairs) {
  if (!pairs.empty()) {
    std::vector<Link> links;
    std::set<std::pair<int, int>> seen;
    for (const auto& [a, b] : pairs) {
      if (seen.insert({a, b}).second) links.push_back({a, b});
    }
    if (name == "sequential") {
      std::vector<Phase> phases;
      for (const Link& l : links) phases.push_back({l});
      return phases;
    }
    return packLinks(links);
  }
  const ScheduleInfo* info = findSchedule(name);
  if (!info) return invalidArgument("--schedule " + name + ": unknown");
  return info->make(n, root);
}

const std::vector<ScheduleInfo>& schedules() {
  static const std::vector<ScheduleInfo> kSchedules = {
      {"pairs", [](int n, int) { return pairsSchedule(n); }, false, false},
      {"shift", [](int n, int) { return shiftSchedule(n); }, false, false},
      {"sequential", [](int n, int) { return sequentialSchedule(n); }, false, false},
      {"bidir", [](int n, int) { return bidirSchedule(n); }, false, false},
      {"one-to-all", oneToAllSchedule, true, false},
      {"all-to-one", allToOneSchedule, true, true},
  };
  return kSchedules;
}

const ScheduleInfo* findSchedule(const std::string& name) {
  for (const ScheduleInfo& s : schedules()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::string scheduleNames() {
  std::string out;
  for (const ScheduleInfo& s : schedules()) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

}  // namespace te::bench
