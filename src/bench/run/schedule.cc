#include "bench/run/schedule.h"

#include <algorithm>
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

std::vector<Phase> allToAllSchedule(int n) {
  Phase p;
  for (int i = 0; i < n; ++i) {
    // Each initiator starts with the rank after it, so not every rank hits rank 0 first.
    for (int k = 1; k < n; ++k) p.push_back({i, (i + k) % n});
  }
  return p.empty() ? std::vector<Phase>{} : std::vector<Phase>{p};
}

std::vector<Phase> incastSchedule(int n, int fan) {
  std::vector<Phase> phases;
  const int k = fan > 0 ? std::min(fan, n - 1) : n - 1;
  for (int t = 0; t < n && k > 0; ++t) {
    Phase p;
    for (int j = 1; j <= k; ++j) p.push_back({(t + j) % n, t});
    phases.push_back(std::move(p));
  }
  return phases;
}

std::vector<Phase> outcastSchedule(int n, int fan) {
  std::vector<Phase> phases;
  const int k = fan > 0 ? std::min(fan, n - 1) : n - 1;
  for (int i = 0; i < n && k > 0; ++i) {
    Phase p;
    for (int j = 1; j <= k; ++j) p.push_back({i, (i + j) % n});
    phases.push_back(std::move(p));
  }
  return phases;
}

std::vector<Phase> mToNSchedule(const std::vector<int>& from, const std::vector<int>& to) {
  Phase p;
  for (int i : from) {
    for (int t : to) {
      if (i != t) p.push_back({i, t});
    }
  }
  return p.empty() ? std::vector<Phase>{} : std::vector<Phase>{p};
}

namespace {

// "3" or "0-7" into out; false when malformed.
bool parseRankRange(const std::string& item, std::vector<int>* out) {
  const size_t dash = item.find('-');
  auto number = [](const std::string& t, int* v) {
    if (t.empty() || t.size() > 7 || t.find_first_not_of("0123456789") != std::string::npos) return false;
    *v = std::stoi(t);
    return true;
  };
  int lo = 0, hi = 0;
  if (dash == std::string::npos) {
    if (!number(item, &lo)) return false;
    hi = lo;
  } else if (!number(item.substr(0, dash), &lo) || !number(item.substr(dash + 1), &hi) || hi < lo) {
    return false;
  }
  if (hi - lo > (1 << 16)) return false;
  for (int r = lo; r <= hi; ++r) out->push_back(r);
  return true;
}

}  // namespace

bool parseRankList(const std::string& text, std::vector<int>* out) {
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    if (!parseRankRange(text.substr(at, comma - at), out)) return false;
    at = comma + 1;
  }
  std::set<int> unique(out->begin(), out->end());
  out->assign(unique.begin(), unique.end());
  return !out->empty();
}

Status parseGroups(const std::string& text, std::vector<int>* from, std::vector<int>* to) {
  const size_t colon = text.find(':');
  from->clear();
  to->clear();
  if (colon == std::string::npos || !parseRankList(text.substr(0, colon), from) ||
      !parseRankList(text.substr(colon + 1), to)) {
    return invalidArgument("--groups " + text.substr(0, 64) +
                           ": allowed FROM:TO, each a comma list of ranks and ranges, e.g. 0-7:8-15 or 0,2:1,3");
  }
  return Status::ok();
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

Result<std::vector<Phase>> makeSchedule(const std::string& name, int n, const ScheduleArgs& args,
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
  return info->make(n, args);
}

const std::vector<ScheduleInfo>& schedules() {
  static const std::vector<ScheduleInfo> kSchedules = {
      // name, generator, rooted, shared_target, fanned, grouped, loaded
      {"pairs", [](int n, const ScheduleArgs&) { return pairsSchedule(n); }, false, false, false, false, false},
      {"shift", [](int n, const ScheduleArgs&) { return shiftSchedule(n); }, false, false, false, false, false},
      {"sequential", [](int n, const ScheduleArgs&) { return sequentialSchedule(n); }, false, false, false, false, false},
      {"bidir", [](int n, const ScheduleArgs&) { return bidirSchedule(n); }, false, false, false, false, false},
      {"one-to-all", [](int n, const ScheduleArgs& a) { return oneToAllSchedule(n, a.root); }, true, false, false, false, true},
      {"all-to-one", [](int n, const ScheduleArgs& a) { return allToOneSchedule(n, a.root); }, true, true, false, false, true},
      {"all-to-all", [](int n, const ScheduleArgs&) { return allToAllSchedule(n); }, false, true, false, false, true},
      {"incast", [](int n, const ScheduleArgs& a) { return incastSchedule(n, a.fan); }, false, true, true, false, true},
      {"outcast", [](int n, const ScheduleArgs& a) { return outcastSchedule(n, a.fan); }, false, false, true, false, true},
      {"m-to-n", [](int, const ScheduleArgs& a) { return mToNSchedule(a.from, a.to); }, false, true, false, true, true},
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

std::vector<std::string> scheduleList(const std::string& text) {
  std::vector<std::string> out;
  size_t from = 0;
  for (;;) {
    const size_t comma = text.find(',', from);
    out.push_back(text.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (comma == std::string::npos) return out;
    from = comma + 1;
  }
}

bool anySchedule(const std::string& list, bool ScheduleInfo::*property) {
  for (const std::string& name : scheduleList(list)) {
    const ScheduleInfo* s = findSchedule(name);
    if (s && s->*property) return true;
  }
  return false;
}

}  // namespace te::bench
