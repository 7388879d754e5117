// The rate invariants of invariants.h.
#include "bench/analysis/invariants.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

namespace te::bench {
namespace {

std::string gbps(double bytes_per_second) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GB/s", bytes_per_second / 1e9);
  return buf;
}

double lineOf(const std::vector<double>& line_rates, int rank) {
  return rank >= 0 && static_cast<size_t>(rank) < line_rates.size() ? line_rates[rank] : 0.0;
}

bool markInvalid(LinkResult& l, const std::string& why) {
  if (l.invalid) return false;  // the first reason stands
  l.invalid = true;
  l.error = "measurement error: " + why;
  return true;
}

// Each link alone against the slower of its two ends.
size_t checkLinks(std::vector<LinkResult>& links, const std::vector<double>& line_rates) {
  size_t marked = 0;
  for (LinkResult& l : links) {
    if (!l.hasRate()) continue;
    const double a = lineOf(line_rates, l.link.initiator), b = lineOf(line_rates, l.link.target);
    const double limit = a > 0 && b > 0 ? std::min(a, b) : std::max(a, b);
    if (limit <= 0 || l.bytesPerSecond() <= limit * (1 + kLineRateSlack)) continue;
    marked += markInvalid(l, gbps(l.bytesPerSecond()) + " exceeds the line rate " + gbps(limit) + " of its NICs");
  }
  return marked;
}

}  // namespace

size_t checkRates(std::vector<LinkResult>& links, const std::vector<double>& line_rates, Workload operation) {
  size_t marked = checkLinks(links, line_rates);
  // Per (phase, rank, direction): the sum of the rates of the rank's links whose data left
  // (direction 0) or reached (1) it. Mix moves both ways: one sum against twice the rate.
  using Key = std::tuple<uint32_t, int, int>;
  std::map<Key, std::vector<size_t>> groups;
  for (size_t i = 0; i < links.size(); ++i) {
    const LinkResult& l = links[i];
    if (!l.hasRate()) continue;
    if (operation == Workload::kMix) {
      groups[{l.phase, l.link.initiator, 0}].push_back(i);
      groups[{l.phase, l.link.target, 0}].push_back(i);
      continue;
    }
    const int source = operation == Workload::kWrite ? l.link.initiator : l.link.target;
    const int sink = operation == Workload::kWrite ? l.link.target : l.link.initiator;
    groups[{l.phase, source, 0}].push_back(i);
    groups[{l.phase, sink, 1}].push_back(i);
  }
  for (const auto& [key, members] : groups) {
    const auto& [phase, rank, direction] = key;
    const double line = lineOf(line_rates, rank) * (operation == Workload::kMix ? 2 : 1);
    if (line <= 0 || members.size() < 2) continue;  // a single link was checked above
    double sum = 0;
    for (size_t i : members) sum += links[i].bytesPerSecond();
    if (sum <= line * (1 + kLineRateSlack)) continue;
    const char* way = operation == Workload::kMix ? "through" : direction == 0 ? "out of" : "into";
    const std::string why = "rank " + std::to_string(rank) + "'s " + std::to_string(members.size()) +
                            " links of phase " + std::to_string(phase + 1) + " together moved " + gbps(sum) + " " +
                            way + " it, over its NICs' line rate " + gbps(line);
    for (size_t i : members) marked += markInvalid(links[i], why);
  }
  return marked;
}

}  // namespace te::bench
