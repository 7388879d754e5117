#include "bench/analysis/congestion.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace te::bench {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// The first result with a rate of each link.
std::map<std::pair<int, int>, size_t> ratedLinks(const std::vector<LinkResult>& links) {
  std::map<std::pair<int, int>, size_t> out;
  for (size_t i = 0; i < links.size(); ++i) {
    if (links[i].hasRate()) out.emplace(std::make_pair(links[i].link.initiator, links[i].link.target), i);
  }
  return out;
}

ImpactSummary summarizeImpact(const std::vector<LinkImpact>& links) {
  ImpactSummary s;
  s.links = links.size();
  if (links.empty()) return s;
  std::vector<double> ratios, latency;
  double sum = 0;
  for (size_t i = 0; i < links.size(); ++i) {
    ratios.push_back(links[i].ratio);
    sum += links[i].ratio;
    if (links[i].ratio < links[s.worst_index].ratio) s.worst_index = i;
    if (links[i].latency_ratio > 0) latency.push_back(links[i].latency_ratio);
  }
  s.median = median(ratios);
  s.mean = sum / double(links.size());
  s.worst = links[s.worst_index].ratio;
  std::sort(ratios.begin(), ratios.end());
  // The 1st percentile, nearest rank: the worst link up to 100 links.
  s.p1 = ratios[static_cast<size_t>(std::ceil(0.01 * double(ratios.size()))) - 1];
  s.latency_median = median(latency);
  s.latency_worst = latency.empty() ? 0 : *std::max_element(latency.begin(), latency.end());
  return s;
}

}  // namespace

bool idleSchedule(const std::string& name) { return name == "pairs" || name == "sequential"; }

std::optional<CongestionImpact> congestionImpact(const std::vector<LinkResult>& idle, const std::string& idle_schedule,
                                                 const std::vector<LinkResult>& loaded,
                                                 const std::vector<std::string>& hosts, const AnalysisOptions& options) {
  const auto idle_at = ratedLinks(idle);
  CongestionImpact out;
  out.idle_schedule = idle_schedule;
  for (const auto& [key, i] : ratedLinks(loaded)) {
    auto it = idle_at.find(key);
    if (it == idle_at.end()) continue;
    const LinkResult &a = idle[it->second], &b = loaded[i];
    LinkImpact l;
    l.link = i;
    l.idle_link = it->second;
    l.idle_bytes_per_second = a.bytesPerSecond();
    l.loaded_bytes_per_second = b.bytesPerSecond();
    l.ratio = l.loaded_bytes_per_second / l.idle_bytes_per_second;
    if (a.latency_ns.p50 > 0 && b.latency_ns.p50 > 0) l.latency_ratio = double(b.latency_ns.p50) / double(a.latency_ns.p50);
    l.locality = localityOf(b.link, hosts, options);
    out.links.push_back(l);
  }
  if (out.links.empty()) return std::nullopt;
  out.by_link.assign(loaded.size(), -1);
  for (size_t i = 0; i < out.links.size(); ++i) out.by_link[out.links[i].link] = static_cast<int>(i);
  // Comparable links: the same locality (a path through a shared bottleneck is what this
  // finds, so links are not split by path class as the slow-link analysis does).
  for (Locality where : {Locality::kIntraHost, Locality::kInterHost}) {
    std::vector<double> ratios;
    for (const LinkImpact& l : out.links) {
      if (l.locality == where) ratios.push_back(l.ratio);
    }
    const double reference = median(ratios);
    for (size_t i = 0; i < out.links.size(); ++i) {
      LinkImpact& l = out.links[i];
      if (l.locality != where) continue;
      l.reference = reference;
      l.flagged = ratios.size() >= 3 && l.ratio < options.threshold * reference;
      if (l.flagged) out.flagged.push_back(i);
    }
  }
  std::sort(out.flagged.begin(), out.flagged.end(),
            [&](size_t x, size_t y) { return out.links[x].ratio < out.links[y].ratio; });
  out.summary = summarizeImpact(out.links);
  return out;
}

}  // namespace te::bench
