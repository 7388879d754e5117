#include "bench/analysis/nic_analysis.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace te::bench {
namespace {

double median(const std::vector<double>& v) { return summarize(v).median; }

// One NIC's part on one link, and who was at the other end. Small: 1024 ranks of 8 NICs
// hold 16 million of them.
struct Part {
  float part = 0;
  uint32_t link = 0;
  int32_t other = -1;
};
using Key = std::pair<int, std::string>;  // (rank, device)
constexpr int kMaxRounds = 32;            // suspects named one by one before the rest at once

// One end of one link: its NICs' parts, added to `parts[(rank, device)]`.
void tallyEnd(const LinkResult& link, uint32_t index, bool local, std::map<Key, std::vector<Part>>* parts,
              std::map<Key, uint64_t>* bytes_of) {
  const int rank = local ? link.link.initiator : link.link.target;
  const int other = local ? link.link.target : link.link.initiator;
  std::vector<std::pair<std::string, uint64_t>> by_device;
  uint64_t total = 0;
  for (const engine::NicTraffic& t : link.nics) {
    const std::string& device = local ? t.local_device : t.remote_device;
    auto it = std::find_if(by_device.begin(), by_device.end(), [&](const auto& d) { return d.first == device; });
    if (it == by_device.end()) it = by_device.insert(by_device.end(), {device, 0});
    it->second += t.bytes;
    total += t.bytes;
  }
  if (by_device.size() < 2 || total == 0) return;  // one NIC: nothing to compare on this link
  for (const auto& [device, bytes] : by_device) {
    (*parts)[{rank, device}].push_back(
        {static_cast<float>(double(bytes) / double(total) * double(by_device.size())), index, other});
    (*bytes_of)[{rank, device}] += bytes;
  }
}

// Each NIC of each rank with two or more, on the link ends not `explained`.
std::vector<NicVerdict> judge(const std::map<Key, std::vector<Part>>& parts, const std::map<Key, uint64_t>& bytes_of,
                              const std::set<std::pair<int, uint32_t>>& explained, const std::vector<std::string>& nodes,
                              double threshold) {
  std::map<int, std::map<std::string, std::vector<const Part*>>> by_rank;
  for (const auto& [key, list] : parts) {
    for (const Part& p : list) {
      if (!explained.count({key.first, p.link})) by_rank[key.first][key.second].push_back(&p);
    }
  }
  std::vector<NicVerdict> out;
  for (const auto& [rank, devices] : by_rank) {
    if (devices.size() < 2) continue;
    std::map<std::string, double> medians;
    for (const auto& [device, list] : devices) {
      std::vector<double> v;
      for (const Part* p : list) v.push_back(p->part);
      medians[device] = median(v);
    }
    for (const auto& [device, list] : devices) {
      NicVerdict v;
      v.rank = rank;
      v.host = rank >= 0 && static_cast<size_t>(rank) < nodes.size() ? nodes[static_cast<size_t>(rank)] : "";
      v.device = device;
      v.links = list.size();
      for (const Part* p : list) v.low_links += p->part < threshold ? 1 : 0;
      v.bytes = bytes_of.at({rank, device});
      v.part = medians[device];
      std::vector<double> others;
      for (const auto& [other, m] : medians) {
        if (other != device) others.push_back(m);
      }
      v.others = median(others);
      v.ratio = v.others > 0 ? v.part / v.others : 0;
      v.suspect = v.others > 0 && v.ratio < threshold;
      out.push_back(std::move(v));
    }
  }
  return out;
}

}  // namespace

std::vector<NicVerdict> nicVerdicts(const std::vector<LinkResult>& links, const std::vector<std::string>& nodes,
                                    double threshold) {
  std::map<Key, std::vector<Part>> parts;
  std::map<Key, uint64_t> bytes_of;
  for (size_t i = 0; i < links.size(); ++i) {
    const LinkResult& l = links[i];
    if (!l.hasRate() || l.nics.empty()) continue;
    tallyEnd(l, static_cast<uint32_t>(i), true, &parts, &bytes_of);
    tallyEnd(l, static_cast<uint32_t>(i), false, &parts, &bytes_of);
  }
  // A slow lane lowers the part of the NICs at both of its ends. Like the suspects ladder,
  // the clearest suspect (lowest ratio) is named first and explains the other ends of its
  // links; a NIC at such an end that has links elsewhere is judged on those alone. One whose
  // every link goes to the suspect's rank cannot be told from it and is named too.
  std::map<int, std::set<int>> partners;  // rank -> the ranks its tallied links go to
  for (const auto& [key, list] : parts) {
    for (const Part& p : list) partners[key.first].insert(p.other);
  }
  std::set<std::pair<int, uint32_t>> explained;
  std::set<Key> named;
  std::vector<NicVerdict> verdicts;
  for (int round = 0;; ++round) {
    verdicts = judge(parts, bytes_of, explained, nodes, threshold);
    const NicVerdict* next = nullptr;
    for (const NicVerdict& v : verdicts) {
      if (v.suspect && !named.count({v.rank, v.device}) && (next == nullptr || v.ratio < next->ratio)) next = &v;
    }
    if (next == nullptr) break;
    if (round == kMaxRounds) {  // a whole rail of them: each round costs a pass over every link
      for (const NicVerdict& v : verdicts) {
        if (v.suspect) named.insert({v.rank, v.device});
      }
      break;
    }
    named.insert({next->rank, next->device});
    for (const Part& p : parts[{next->rank, next->device}]) {
      const std::set<int>& seen = partners[p.other];
      const bool elsewhere = seen.size() > 1 || (seen.size() == 1 && *seen.begin() != next->rank);
      if (elsewhere) explained.insert({p.other, p.link});
    }
  }
  for (NicVerdict& v : verdicts) v.suspect = v.suspect || named.count({v.rank, v.device}) > 0;
  return verdicts;
}

std::vector<Suspect> nicSuspects(const std::vector<NicVerdict>& verdicts) {
  std::vector<Suspect> out;
  for (const NicVerdict& v : verdicts) {
    if (!v.suspect) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](const Suspect& s) { return s.host == v.host && s.name == v.device; });
    if (same != out.end()) {
      same->flagged_links += v.low_links;
      same->total_links += v.links;
      same->ratio = std::min(same->ratio, v.ratio);
      continue;
    }
    Suspect s;
    s.kind = "nic";
    s.rank = v.rank;
    s.host = v.host;
    s.name = v.device;
    s.flagged_links = v.low_links;
    s.total_links = v.links;
    s.ratio = v.ratio;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace te::bench
