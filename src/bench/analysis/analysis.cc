// Slow-link analysis of one result block: a per-link reference that one slow rank or host
// cannot drag down, suspects, expectation checks and per-rank / per-host summaries.
#include "bench/analysis/analysis.h"

#include "bench/analysis/nic_analysis.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <unordered_map>

namespace te::bench {
namespace {

// A directed rank pair as one number, for hashing.
uint64_t linkKey(int initiator, int target) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(initiator)) << 32) | static_cast<uint32_t>(target);
}

// An errored or empty link carries no throughput to compare with; it is flagged instead. A
// measurement error (invalid) is neither: it is listed on its own.
bool measuredCleanly(const LinkResult& l) { return l.hasRate(); }

int rankCount(const std::vector<LinkResult>& links, const std::vector<std::string>& hosts) {
  int n = static_cast<int>(hosts.size());
  for (const auto& l : links) n = std::max({n, l.link.initiator + 1, l.link.target + 1});
  return n;
}

// The cleanly measured links of one path class, sorted by throughput, with the sorted
// positions of the links touching each rank. The reference of a link is the median of the
// links sharing no endpoint with it: the k-th value once a rank pair's positions are left
// out is found by binary search over counts of them, so a block of L links costs
// O(L log^2 N) (a million links at 1024 ranks: well under a second, not 20 s).
class ReferencePool {
 public:
  ReferencePool(const std::vector<LinkResult>& links, const std::vector<double>& rate, const std::vector<int>& class_of,
                int cls, int n)
      : by_rank_(static_cast<size_t>(n)) {
    // A rate that is only a lower bound (too few batches) would drag the reference down: it
    // is left out while at least two others remain.
    std::vector<size_t> members, precise;
    for (size_t i = 0; i < links.size(); ++i) {
      if (class_of[i] != cls || !measuredCleanly(links[i]) || rate[i] <= 0) continue;
      members.push_back(i);
      if (!links[i].lower_bound) precise.push_back(i);
    }
    if (precise.size() >= 2) members.swap(precise);
    std::sort(members.begin(), members.end(), [&rate](size_t a, size_t b) { return rate[a] < rate[b]; });
    for (size_t pos = 0; pos < members.size(); ++pos) {
      const Link& l = links[members[pos]].link;
      sorted_.push_back(rate[members[pos]]);
      if (l.initiator >= 0) by_rank_[l.initiator].push_back(pos);
      if (l.target >= 0 && l.target != l.initiator) by_rank_[l.target].push_back(pos);
      if (l.initiator >= 0 && l.target >= 0 && l.target != l.initiator) pos_of_[linkKey(l.initiator, l.target)].push_back(pos);
    }
  }

  size_t size() const { return sorted_.size(); }

  double referenceFor(const Link& link) const {
    Excluded ex{positionsOf(link.initiator), link.target == link.initiator ? kNone : positionsOf(link.target), {}};
    // Links between the two endpoints (either way) touch both: counted once.
    if (link.target != link.initiator) {
      for (const Link& both : {link, Link{link.target, link.initiator}}) {
        auto it = pos_of_.find(linkKey(both.initiator, both.target));
        if (it != pos_of_.end()) ex.common.insert(ex.common.end(), it->second.begin(), it->second.end());
      }
      std::sort(ex.common.begin(), ex.common.end());
    }
    const size_t excluded = ex.a.size() + ex.b.size() - ex.common.size();
    const size_t remaining = sorted_.size() - excluded;
    if (remaining >= 2) return median(remaining, &ex);
    return median(sorted_.size(), nullptr);
  }

 private:
  static inline const std::vector<size_t> kNone{};

  struct Excluded {
    const std::vector<size_t>& a;  // sorted positions left out
    const std::vector<size_t>& b;
    std::vector<size_t> common;    // in both a and b
    size_t countUpTo(size_t pos) const {
      auto le = [pos](const std::vector<size_t>& v) {
        return static_cast<size_t>(std::upper_bound(v.begin(), v.end(), pos) - v.begin());
      };
      return le(a) + le(b) - le(common);
    }
  };

  const std::vector<size_t>& positionsOf(int rank) const {
    return rank >= 0 && static_cast<size_t>(rank) < by_rank_.size() ? by_rank_[rank] : kNone;
  }

  // The k-th (0-based) value of sorted_ once the excluded positions are removed: the first
  // position with k + 1 positions kept up to it.
  double kth(size_t k, const Excluded* ex) const {
    if (!ex) return sorted_[k];
    size_t lo = k, hi = sorted_.size() - 1;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (mid + 1 - ex->countUpTo(mid) >= k + 1) hi = mid;
      else lo = mid + 1;
    }
    return sorted_[lo];
  }

  double median(size_t remaining, const Excluded* ex) const {
    if (remaining == 0) return 0;
    if (remaining % 2) return kth(remaining / 2, ex);
    return (kth(remaining / 2 - 1, ex) + kth(remaining / 2, ex)) / 2;
  }

  std::vector<double> sorted_;
  std::vector<std::vector<size_t>> by_rank_;
  std::unordered_map<uint64_t, std::vector<size_t>> pos_of_;  // positions of each directed rank pair
};

// Summary over a subset of links, with min_index / max_index mapped back to `links`.
Summary summarizeLinks(const std::vector<LinkResult>& links, const std::vector<size_t>& subset) {
  std::vector<double> values;
  values.reserve(subset.size());
  for (size_t i : subset) values.push_back(links[i].bytesPerSecond());
  Summary s = summarize(values);
  if (s.count) {
    s.min_index = subset[s.min_index];
    s.max_index = subset[s.max_index];
  }
  return s;
}

// Nodes in order of their first rank, each with its ranks, and each rank's node.
struct NodeGroup {
  std::string name;
  std::vector<int> ranks;
};
struct NodeLayout {
  std::vector<NodeGroup> groups;
  std::vector<size_t> group_of;  // by rank
};

NodeLayout nodeLayout(int n, const std::vector<std::string>& hosts, const AnalysisOptions& options) {
  NodeLayout layout;
  for (int r = 0; r < n; ++r) {
    std::string name = nodeName(r, hosts, options);
    auto it = std::find_if(layout.groups.begin(), layout.groups.end(),
                           [&name](const NodeGroup& g) { return g.name == name; });
    if (it == layout.groups.end()) it = layout.groups.insert(layout.groups.end(), NodeGroup{name, {}});
    it->ranks.push_back(r);
    layout.group_of.push_back(static_cast<size_t>(it - layout.groups.begin()));
  }
  return layout;
}

bool validLink(const Link& l, size_t n) {
  return l.initiator >= 0 && l.target >= 0 && size_t(l.initiator) < n && size_t(l.target) < n;
}

void summarizeGroups(const std::vector<LinkResult>& links, const NodeLayout& layout, BlockAnalysis* a) {
  const size_t n = layout.group_of.size();
  std::vector<std::vector<size_t>> rows(n), cols(n), host_rows(layout.groups.size()), host_cols(layout.groups.size());
  std::vector<size_t> intra, inter;
  for (size_t i = 0; i < links.size(); ++i) {
    const Link& l = links[i].link;
    if (links[i].excluded()) continue;  // no rate to summarise
    (a->verdicts[i].locality == Locality::kIntraHost ? intra : inter).push_back(i);
    if (!validLink(l, n)) continue;
    rows[l.initiator].push_back(i);
    cols[l.target].push_back(i);
    host_rows[layout.group_of[l.initiator]].push_back(i);
    host_cols[layout.group_of[l.target]].push_back(i);
  }
  a->intra_host = summarizeLinks(links, intra);
  a->inter_host = summarizeLinks(links, inter);
  a->per_rank.clear();
  for (size_t r = 0; r < n; ++r) {
    a->per_rank.push_back({std::to_string(r), summarizeLinks(links, rows[r]), summarizeLinks(links, cols[r])});
  }
  a->per_host.clear();
  for (size_t g = 0; g < layout.groups.size(); ++g) {
    a->per_host.push_back({layout.groups[g].name, summarizeLinks(links, host_rows[g]), summarizeLinks(links, host_cols[g])});
  }
}

// Per path class, per leaf switch (links touching its hosts) and per rail (links between
// hosts), and the rail x rail medians.
void summarizePaths(const std::vector<LinkResult>& links, const RankPlacement& placement, const Topology* topology,
                    BlockAnalysis* a) {
  const size_t n = placement.host_of.size();
  const size_t rails = placement.railsInUse() ? static_cast<size_t>(placement.rails) : 0;
  std::vector<std::vector<size_t>> by_class(a->path_classes.size());
  std::vector<std::vector<size_t>> leaf_rows(topology ? topology->switches().size() : 0), leaf_cols(leaf_rows.size());
  std::vector<std::vector<size_t>> rail_rows(rails), rail_cols(rails), pairs(rails * rails);
  for (size_t i = 0; i < links.size(); ++i) {
    const Link& l = links[i].link;
    const LinkVerdict& v = a->verdicts[i];
    if (links[i].excluded() || !validLink(l, n) || v.path_class < 0) continue;
    by_class[v.path_class].push_back(i);
    if (v.path.initiator_switch >= 0) leaf_rows[v.path.initiator_switch].push_back(i);
    if (v.path.target_switch >= 0) leaf_cols[v.path.target_switch].push_back(i);
    if (rails == 0 || v.path.kind == PathKind::kSameHost) continue;
    const size_t ri = static_cast<size_t>(placement.rail_of[l.initiator]), rt = static_cast<size_t>(placement.rail_of[l.target]);
    rail_rows[ri].push_back(i);
    rail_cols[rt].push_back(i);
    pairs[ri * rails + rt].push_back(i);
  }
  a->per_path_class.clear();
  for (const auto& members : by_class) a->per_path_class.push_back(summarizeLinks(links, members));
  a->per_switch.clear();
  for (size_t s = 0; s < leaf_rows.size(); ++s) {
    if (leaf_rows[s].empty() && leaf_cols[s].empty()) continue;
    a->per_switch.push_back({topology->switches()[s].name, summarizeLinks(links, leaf_rows[s]), summarizeLinks(links, leaf_cols[s])});
  }
  a->per_rail.clear();
  a->rail_pairs.assign(rails, std::vector<Summary>(rails));
  for (size_t r = 0; r < rails; ++r) {
    a->per_rail.push_back({std::to_string(r), summarizeLinks(links, rail_rows[r]), summarizeLinks(links, rail_cols[r])});
    for (size_t t = 0; t < rails; ++t) a->rail_pairs[r][t] = summarizeLinks(links, pairs[r * rails + t]);
  }
  a->unplaced_hosts = placement.unplaced;
}

// "Most of its links": at least half, and never a single link (that is a slow link, not a
// slow endpoint).
bool mostlySlow(size_t slow, size_t total) { return slow >= std::max<size_t>(2, (total + 1) / 2); }

struct LinkCounts {
  size_t slow = 0, total = 0;
  int slow_peer = -1;           // the other end of a slow link
  bool several = false;         // slow towards two peers or more
  bool trimmed = false;         // a fabric suspect explains some of its links
  void add(bool is_slow, int peer) {
    ++total;
    if (!is_slow) return;
    ++slow;
    several = several || (slow_peer >= 0 && slow_peer != peer);
    slow_peer = peer;
  }
  // Where a switch, uplink or rail took some of its links, what is left may be the links to
  // one peer (two hosts under a leaf): a slow link, not a slow endpoint, unless slow
  // towards several.
  bool slowEndpoint() const { return mostlySlow(slow, total) && (!trimmed || several); }
};

// Names hosts whose every rank is slow and, elsewhere, slow ranks, over the links no fabric
// suspect explains. A host with one rank has only inter-host links, so the rank rule on its
// links is the host rule and it is named as the host. Returns, per rank, whether a named
// suspect covers it.
std::vector<bool> findSuspects(const std::vector<LinkResult>& links, const NodeLayout& layout,
                               const std::vector<bool>& explained, BlockAnalysis* a) {
  const size_t n = layout.group_of.size();
  std::vector<LinkCounts> per_rank(n), per_host(layout.groups.size());
  for (size_t i = 0; i < links.size(); ++i) {
    const Link& l = links[i].link;
    if (!validLink(l, n) || links[i].excluded()) continue;
    if (explained[i]) {
      per_rank[l.initiator].trimmed = per_rank[l.target].trimmed = true;
      continue;
    }
    const bool slow = a->verdicts[i].confirmed;
    const int gi = static_cast<int>(layout.group_of[l.initiator]), gt = static_cast<int>(layout.group_of[l.target]);
    per_rank[l.initiator].add(slow, l.target);
    if (l.target != l.initiator) per_rank[l.target].add(slow, l.initiator);
    per_host[gi].add(slow, gt);  // a link inside the host counts once
    if (gt != gi) per_host[gt].add(slow, gi);
  }
  auto rank_slow = [&per_rank](int r) { return per_rank[r].slowEndpoint(); };
  std::vector<bool> covered(n);
  for (size_t g = 0; g < layout.groups.size(); ++g) {
    const NodeGroup& group = layout.groups[g];
    const bool single = group.ranks.size() == 1;
    if (std::all_of(group.ranks.begin(), group.ranks.end(), rank_slow)) {
      a->suspects.push_back({"host", single ? group.ranks[0] : -1, group.name, per_host[g].slow, per_host[g].total, {}, -1, -1, 0});
      for (int r : group.ranks) covered[r] = true;
      continue;
    }
    for (int r : group.ranks) {
      if (!rank_slow(r)) continue;
      a->suspects.push_back({"rank", r, group.name, per_rank[r].slow, per_rank[r].total, {}, -1, -1, 0});
      covered[r] = true;
    }
  }
  return covered;
}

std::vector<std::string> nodeNames(int n, const std::vector<std::string>& hosts, const AnalysisOptions& options) {
  std::vector<std::string> out;
  for (int r = 0; r < n; ++r) out.push_back(nodeName(r, hosts, options));
  return out;
}

// The rate each link is judged at: measured alone where it was retested, 0 failed, -1 none.
std::vector<double> judgedRates(const std::vector<LinkResult>& links, const AnalysisOptions& options,
                                const BlockAnalysis& a) {
  std::vector<double> rate(links.size(), -1);
  for (size_t i = 0; i < links.size(); ++i) {
    if (links[i].excluded() || a.verdicts[i].path_class < 0) continue;
    const LinkVerdict& v = a.verdicts[i];
    rate[i] = v.retested ? v.retest_bytes_per_second : measuredCleanly(links[i]) ? linkRate(links[i], options) : 0;
  }
  return rate;
}

PathClasses classesOf(const BlockAnalysis& a) {
  PathClasses c;
  c.names = a.path_classes;
  for (const LinkVerdict& v : a.verdicts) {
    c.paths.push_back(v.path);
    c.class_of.push_back(v.path_class);
  }
  return c;
}

// First pass: what each link a slow switch, uplink or rail explains should reach (its
// peers' fraction of its class's median); 0 for the others.
std::vector<double> fabricReferences(const std::vector<LinkResult>& links, const RankPlacement& placement,
                                     const AnalysisOptions& options, const BlockAnalysis& a) {
  const PathClasses classes = classesOf(a);
  const std::vector<double> rate = judgedRates(links, options, a);
  const std::vector<double> medians = classMedians(rate, classes);
  std::vector<double> reference(links.size(), 0);
  for (const FabricSuspect& f :
       judgeFabric(rate, classes, placement, options.topology.get(), flagBelow(options), links)) {
    for (size_t i : f.links) reference[i] = std::max(reference[i], f.peer_ratio * medians[a.verdicts[i].path_class]);
  }
  return reference;
}

// The top of the ladder: switches, uplinks and rails, on the rates as measured alone where
// retested. Returns, per link, whether one of them explains it.
std::vector<bool> nameFabricSuspects(const std::vector<LinkResult>& links, const RankPlacement& placement,
                                     const AnalysisOptions& options, BlockAnalysis* a) {
  std::vector<bool> explained(links.size());
  for (const FabricSuspect& f : judgeFabric(judgedRates(links, options, *a), classesOf(*a), placement,
                                            options.topology.get(), flagBelow(options), links)) {
    size_t slow = 0;
    for (size_t i : f.links) {
      slow += a->verdicts[i].confirmed;
      explained[i] = true;
    }
    a->suspects.push_back({f.kind, -1, "", slow, f.links.size(), f.name, f.rail, f.level, f.ratio});
  }
  return explained;
}

// Everything that depends on which flagged links are confirmed.
void finishAnalysis(const std::vector<LinkResult>& links, const std::vector<std::string>& hosts,
                    const AnalysisOptions& options, BlockAnalysis* a) {
  const int n = rankCount(links, hosts);
  const NodeLayout layout = nodeLayout(n, hosts, options);
  const RankPlacement placement = placeRanks(nodeNames(n, hosts, options), options.topology.get());
  a->suspects.clear();
  const std::vector<bool> explained = nameFabricSuspects(links, placement, options, a);
  std::vector<bool> covered = findSuspects(links, layout, explained, a);
  for (Suspect& s : a->suspects) {
    if (s.kind == "rank" && placement.railsInUse()) s.rail = placement.rail_of[s.rank];
  }
  // A NIC carrying less than its rank's others: named whether or not its links are flagged
  // (one NIC of eight at half speed leaves the rank only slightly low).
  a->nics = nicVerdicts(links, nodeNames(n, hosts, options), options.threshold);
  for (Suspect& s : nicSuspects(a->nics)) a->suspects.push_back(std::move(s));
  a->unexplained.clear();
  a->failing.clear();
  a->expected_bytes_per_second = expectedBytesPerSecond(options);
  for (size_t i = 0; i < links.size(); ++i) {
    LinkVerdict& v = a->verdicts[i];
    const Link& l = links[i].link;
    if (links[i].cut) continue;  // the run stopped first: said as such, not as a shortfall
    const bool by_suspect = explained[i] || (validLink(l, covered.size()) && (covered[l.initiator] || covered[l.target]));
    if (v.confirmed && !by_suspect) a->unexplained.push_back(i);
    // A link slow in the all-pairs run but fast alone meets the expectation: the shortfall
    // was contention elsewhere, not the link.
    double achieved = v.retested ? v.retest_bytes_per_second : links[i].bytesPerSecond();
    bool failed = v.retested ? false : !measuredCleanly(links[i]);
    v.below_expectation = a->expected_bytes_per_second && (failed || achieved < *a->expected_bytes_per_second);
    if (v.below_expectation) a->failing.push_back(i);
  }
}

}  // namespace

double linkRate(const LinkResult& link, const AnalysisOptions& options) {
  if (!options.latency) return link.bytesPerSecond();
  return link.latency_ns.p50 > 0 ? double(options.block_size) * 1e9 / double(link.latency_ns.p50) : 0;
}

double flagBelow(const AnalysisOptions& options) {
  return options.latency ? 1 / options.latency_threshold : options.threshold;
}

double latencyOfRate(double bytes_per_second, uint64_t block_size) {
  return bytes_per_second > 0 ? double(block_size) * 1e6 / bytes_per_second : 0;
}

const char* localityName(Locality l) { return l == Locality::kIntraHost ? "intra-host" : "inter-host"; }

std::string nodeName(int rank, const std::vector<std::string>& hosts, const AnalysisOptions& options) {
  if (options.ranks_per_node > 0) return "node" + std::to_string(rank / options.ranks_per_node);
  if (rank >= 0 && static_cast<size_t>(rank) < hosts.size()) return hosts[rank];
  return "rank" + std::to_string(rank);  // unknown host: a node of its own
}

Locality localityOf(const Link& link, const std::vector<std::string>& hosts, const AnalysisOptions& options) {
  return nodeName(link.initiator, hosts, options) == nodeName(link.target, hosts, options) ? Locality::kIntraHost
                                                                                          : Locality::kInterHost;
}

std::optional<double> expectedBytesPerSecond(const AnalysisOptions& options) {
  std::optional<double> expected = options.expect_bytes_per_second;
  if (options.expect_line_rate && options.line_rate_bytes_per_second > 0) {
    double from_line = *options.expect_line_rate * options.line_rate_bytes_per_second;
    expected = expected ? std::max(*expected, from_line) : from_line;
  }
  return expected;
}

BlockAnalysis analyzeLinks(const std::vector<LinkResult>& links, const std::vector<std::string>& hosts,
                           const AnalysisOptions& options) {
  BlockAnalysis a;
  const int n = rankCount(links, hosts);
  const RankPlacement placement = placeRanks(nodeNames(n, hosts, options), options.topology.get());
  const PathClasses classes = classifyLinks(links, placement, options.topology.get());
  a.path_classes = classes.names;
  a.verdicts.resize(links.size());
  for (size_t i = 0; i < links.size(); ++i) {
    a.verdicts[i].path = classes.paths[i];
    a.verdicts[i].path_class = classes.class_of[i];
    a.verdicts[i].locality = localityOf(links[i].link, hosts, options);
  }
  // A link a slow switch, uplink or rail explains is expected to reach what its peers reach;
  // the others are compared within their class without those links, which would drag the
  // reference down (every cross-leaf link slow at once).
  const std::vector<double> fabric_reference = fabricReferences(links, placement, options, a);
  std::vector<int> pool_class = classes.class_of;
  bool explained = false;
  for (size_t i = 0; i < links.size(); ++i) {
    if (fabric_reference[i] <= 0) continue;
    pool_class[i] = -1;
    explained = true;
  }
  // `whole`: a class the explained links emptied falls back to all of its links.
  std::vector<double> rate(links.size());
  for (size_t i = 0; i < links.size(); ++i) rate[i] = linkRate(links[i], options);
  std::vector<ReferencePool> pools, whole;
  for (size_t c = 0; c < classes.names.size(); ++c) {
    pools.emplace_back(links, rate, pool_class, static_cast<int>(c), n);
    if (explained) whole.emplace_back(links, rate, classes.class_of, static_cast<int>(c), n);
  }
  for (size_t i = 0; i < links.size(); ++i) {
    LinkVerdict& v = a.verdicts[i];
    const double bps = rate[i];
    if (fabric_reference[i] > 0) v.reference = fabric_reference[i];
    else if (v.path_class >= 0) v.reference = (!explained || pools[v.path_class].size() >= 2 ? pools : whole)[v.path_class].referenceFor(links[i].link);
    v.ratio = v.reference > 0 ? bps / v.reference : 0;
    if (links[i].invalid) {
      a.measurement_errors.push_back(i);
      continue;
    }
    if (links[i].cut) continue;
    v.flagged = !measuredCleanly(links[i]) || bps <= 0 || bps < flagBelow(options) * v.reference;
    v.confirmed = v.flagged;
  }
  summarizeGroups(links, nodeLayout(n, hosts, options), &a);
  summarizePaths(links, placement, options.topology.get(), &a);
  finishAnalysis(links, hosts, options, &a);
  return a;
}

std::vector<Link> linksToRetest(const std::vector<LinkResult>& links, const BlockAnalysis& analysis, size_t max) {
  std::vector<size_t> flagged;
  for (size_t i = 0; i < links.size() && i < analysis.verdicts.size(); ++i) {
    if (analysis.verdicts[i].flagged) flagged.push_back(i);
  }
  // Worst first: the lowest ratio to the reference (a failed link's is 0); ties in link order.
  std::stable_sort(flagged.begin(), flagged.end(),
                   [&](size_t a, size_t b) { return analysis.verdicts[a].ratio < analysis.verdicts[b].ratio; });
  if (flagged.size() > max) flagged.resize(max);
  std::vector<Link> out;
  for (size_t i : flagged) out.push_back(links[i].link);
  return out;
}

void applyRetests(const std::vector<LinkResult>& links, const std::vector<LinkResult>& retests,
                  const std::vector<std::string>& hosts, const AnalysisOptions& options, BlockAnalysis* analysis) {
  if (analysis->verdicts.size() != links.size()) *analysis = analyzeLinks(links, hosts, options);
  std::unordered_map<uint64_t, const LinkResult*> by_link;
  for (const LinkResult& r : retests) by_link[linkKey(r.link.initiator, r.link.target)] = &r;
  analysis->not_retested = 0;
  for (size_t i = 0; i < links.size(); ++i) {
    LinkVerdict& v = analysis->verdicts[i];
    v.retested = false;
    v.retest_bytes_per_second = 0;
    v.confirmed = v.flagged;
    if (!v.flagged) continue;
    auto found = by_link.find(linkKey(links[i].link.initiator, links[i].link.target));
    // Not measured alone, or alone with a measurement error: the all-pairs verdict stands.
    if (found == by_link.end() || found->second->invalid) {
      ++analysis->not_retested;
      continue;
    }
    const LinkResult* r = found->second;
    v.retested = true;
    v.retest_bytes_per_second = linkRate(*r, options);
    v.confirmed = !measuredCleanly(*r) || v.retest_bytes_per_second <= 0 ||
                  v.retest_bytes_per_second < flagBelow(options) * v.reference;
  }
  finishAnalysis(links, hosts, options, analysis);
}

}  // namespace te::bench
