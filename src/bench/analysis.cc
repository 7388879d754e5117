// Slow-link analysis of one result block: a per-link reference that one slow rank or host
// cannot drag down, suspects, expectation checks and per-rank / per-host summaries.
#include "bench/analysis.h"

#include <algorithm>
#include <cmath>

namespace te::bench {
namespace {

// An errored or empty link carries no throughput to compare with; it is flagged instead.
bool measuredCleanly(const LinkResult& l) { return l.error.empty() && l.bytes > 0 && l.seconds > 0; }

int rankCount(const std::vector<LinkResult>& links, const std::vector<std::string>& hosts) {
  int n = static_cast<int>(hosts.size());
  for (const auto& l : links) n = std::max({n, l.link.initiator + 1, l.link.target + 1});
  return n;
}

bool touches(const Link& link, int rank) { return link.initiator == rank || link.target == rank; }

// The cleanly measured links of one locality class, sorted by throughput, with the sorted
// positions of the links touching each rank. The reference of a link is the median of the
// links sharing no endpoint with it: found by skipping the excluded positions, so a block
// of L links costs O(L x N log N) instead of O(L^2).
class ReferencePool {
 public:
  ReferencePool(const std::vector<LinkResult>& links, const std::vector<Locality>& locality, Locality cls, int n)
      : by_rank_(static_cast<size_t>(n)) {
    std::vector<size_t> members;
    for (size_t i = 0; i < links.size(); ++i) {
      if (locality[i] == cls && measuredCleanly(links[i])) members.push_back(i);
    }
    std::sort(members.begin(), members.end(), [&links](size_t a, size_t b) {
      return links[a].bytesPerSecond() < links[b].bytesPerSecond();
    });
    for (size_t pos = 0; pos < members.size(); ++pos) {
      const Link& l = links[members[pos]].link;
      sorted_.push_back(links[members[pos]].bytesPerSecond());
      if (l.initiator >= 0) by_rank_[l.initiator].push_back(pos);
      if (l.target >= 0 && l.target != l.initiator) by_rank_[l.target].push_back(pos);
    }
  }

  double referenceFor(const Link& link) const {
    std::vector<size_t> excluded;
    for (int r : {link.initiator, link.target}) {
      if (r >= 0 && static_cast<size_t>(r) < by_rank_.size()) {
        excluded.insert(excluded.end(), by_rank_[r].begin(), by_rank_[r].end());
      }
    }
    std::sort(excluded.begin(), excluded.end());
    excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
    const size_t remaining = sorted_.size() - excluded.size();
    if (remaining >= 2) return medianSkipping(remaining, excluded);
    return medianSkipping(sorted_.size(), {});
  }

 private:
  // The k-th (0-based) value of sorted_ once the `excluded` positions (sorted) are removed.
  double kthSkipping(size_t k, const std::vector<size_t>& excluded) const {
    size_t pos = k;
    for (size_t e : excluded) {
      if (e > pos) break;
      ++pos;
    }
    return sorted_[pos];
  }

  double medianSkipping(size_t remaining, const std::vector<size_t>& excluded) const {
    if (remaining == 0) return 0;
    if (remaining % 2) return kthSkipping(remaining / 2, excluded);
    return (kthSkipping(remaining / 2 - 1, excluded) + kthSkipping(remaining / 2, excluded)) / 2;
  }

  std::vector<double> sorted_;
  std::vector<std::vector<size_t>> by_rank_;
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

// Nodes in order of their first rank, each with its ranks.
struct NodeGroup {
  std::string name;
  std::vector<int> ranks;
};

std::vector<NodeGroup> nodeGroups(int n, const std::vector<std::string>& hosts, const AnalysisOptions& options) {
  std::vector<NodeGroup> groups;
  for (int r = 0; r < n; ++r) {
    std::string name = nodeName(r, hosts, options);
    auto it = std::find_if(groups.begin(), groups.end(), [&name](const NodeGroup& g) { return g.name == name; });
    if (it == groups.end()) {
      groups.push_back({name, {r}});
    } else {
      it->ranks.push_back(r);
    }
  }
  return groups;
}

void summarizeGroups(const std::vector<LinkResult>& links, const std::vector<NodeGroup>& groups, int n,
                     BlockAnalysis* a) {
  std::vector<std::vector<size_t>> rows(n), cols(n);
  std::vector<size_t> intra, inter;
  for (size_t i = 0; i < links.size(); ++i) {
    const Link& l = links[i].link;
    if (l.initiator >= 0) rows[l.initiator].push_back(i);
    if (l.target >= 0) cols[l.target].push_back(i);
    (a->verdicts[i].locality == Locality::kIntraHost ? intra : inter).push_back(i);
  }
  a->intra_host = summarizeLinks(links, intra);
  a->inter_host = summarizeLinks(links, inter);
  a->per_rank.clear();
  for (int r = 0; r < n; ++r) {
    a->per_rank.push_back({std::to_string(r), summarizeLinks(links, rows[r]), summarizeLinks(links, cols[r])});
  }
  a->per_host.clear();
  for (const auto& g : groups) {
    std::vector<size_t> g_rows, g_cols;
    for (int r : g.ranks) {
      g_rows.insert(g_rows.end(), rows[r].begin(), rows[r].end());
      g_cols.insert(g_cols.end(), cols[r].begin(), cols[r].end());
    }
    std::sort(g_rows.begin(), g_rows.end());
    std::sort(g_cols.begin(), g_cols.end());
    a->per_host.push_back({g.name, summarizeLinks(links, g_rows), summarizeLinks(links, g_cols)});
  }
}

// "Most of its links": at least half, and never a single link (that is a slow link, not a
// slow endpoint).
bool mostlySlow(size_t slow, size_t total) { return slow >= std::max<size_t>(2, (total + 1) / 2); }

struct LinkCounts {
  size_t slow = 0, total = 0;
};

// Confirmed slow links over links touching `ranks` (a link inside the set counts once).
LinkCounts countLinks(const std::vector<LinkResult>& links, const BlockAnalysis& a, const std::vector<int>& ranks,
                      bool inter_host_only) {
  LinkCounts c;
  for (size_t i = 0; i < links.size(); ++i) {
    if (inter_host_only && a.verdicts[i].locality != Locality::kInterHost) continue;
    bool touching = std::any_of(ranks.begin(), ranks.end(), [&](int r) { return touches(links[i].link, r); });
    if (!touching) continue;
    ++c.total;
    if (a.verdicts[i].confirmed) ++c.slow;
  }
  return c;
}

// Names hosts whose every rank is slow (a single-rank host: by its inter-host links) and,
// elsewhere, slow ranks. Returns, per rank, whether a named suspect covers it.
std::vector<bool> findSuspects(const std::vector<LinkResult>& links, const std::vector<NodeGroup>& groups, int n,
                               BlockAnalysis* a) {
  std::vector<bool> rank_slow(n), covered(n);
  std::vector<LinkCounts> per_rank(n);
  for (int r = 0; r < n; ++r) {
    per_rank[r] = countLinks(links, *a, {r}, false);
    rank_slow[r] = mostlySlow(per_rank[r].slow, per_rank[r].total);
  }
  a->suspects.clear();
  for (const auto& g : groups) {
    const bool single = g.ranks.size() == 1;
    LinkCounts host = countLinks(links, *a, g.ranks, single);
    bool host_slow = single ? mostlySlow(host.slow, host.total)
                            : std::all_of(g.ranks.begin(), g.ranks.end(), [&](int r) { return rank_slow[r]; });
    if (host_slow) {
      a->suspects.push_back({"host", single ? g.ranks[0] : -1, g.name, host.slow, host.total});
      for (int r : g.ranks) covered[r] = true;
      continue;
    }
    for (int r : g.ranks) {
      if (!rank_slow[r]) continue;
      a->suspects.push_back({"rank", r, g.name, per_rank[r].slow, per_rank[r].total});
      covered[r] = true;
    }
  }
  return covered;
}

// Everything that depends on which flagged links are confirmed.
void finishAnalysis(const std::vector<LinkResult>& links, const std::vector<std::string>& hosts,
                    const AnalysisOptions& options, BlockAnalysis* a) {
  const int n = rankCount(links, hosts);
  std::vector<bool> covered = findSuspects(links, nodeGroups(n, hosts, options), n, a);
  a->unexplained.clear();
  a->failing.clear();
  a->expected_bytes_per_second = expectedBytesPerSecond(options);
  for (size_t i = 0; i < links.size(); ++i) {
    LinkVerdict& v = a->verdicts[i];
    const Link& l = links[i].link;
    bool explained = (l.initiator >= 0 && covered[l.initiator]) || (l.target >= 0 && covered[l.target]);
    if (v.confirmed && !explained) a->unexplained.push_back(i);
    // A link slow in the all-pairs run but fast alone meets the expectation: the shortfall
    // was contention elsewhere, not the link.
    double achieved = v.retested ? v.retest_bytes_per_second : links[i].bytesPerSecond();
    bool failed = v.retested ? false : !measuredCleanly(links[i]);
    v.below_expectation = a->expected_bytes_per_second && (failed || achieved < *a->expected_bytes_per_second);
    if (v.below_expectation) a->failing.push_back(i);
  }
}

}  // namespace

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
  std::vector<Locality> locality(links.size());
  for (size_t i = 0; i < links.size(); ++i) locality[i] = localityOf(links[i].link, hosts, options);
  const ReferencePool intra(links, locality, Locality::kIntraHost, n);
  const ReferencePool inter(links, locality, Locality::kInterHost, n);
  a.verdicts.resize(links.size());
  for (size_t i = 0; i < links.size(); ++i) {
    LinkVerdict& v = a.verdicts[i];
    const double bps = links[i].bytesPerSecond();
    v.locality = locality[i];
    v.reference = (v.locality == Locality::kIntraHost ? intra : inter).referenceFor(links[i].link);
    v.ratio = v.reference > 0 ? bps / v.reference : 0;
    v.flagged = !measuredCleanly(links[i]) || bps < options.threshold * v.reference;
    v.confirmed = v.flagged;
  }
  summarizeGroups(links, nodeGroups(n, hosts, options), n, &a);
  finishAnalysis(links, hosts, options, &a);
  return a;
}

std::vector<Link> linksToRetest(const std::vector<LinkResult>& links, const BlockAnalysis& analysis) {
  std::vector<Link> out;
  for (size_t i = 0; i < links.size() && i < analysis.verdicts.size(); ++i) {
    if (analysis.verdicts[i].flagged) out.push_back(links[i].link);
  }
  return out;
}

void applyRetests(const std::vector<LinkResult>& links, const std::vector<LinkResult>& retests,
                  const std::vector<std::string>& hosts, const AnalysisOptions& options, BlockAnalysis* analysis) {
  if (analysis->verdicts.size() != links.size()) *analysis = analyzeLinks(links, hosts, options);
  for (size_t i = 0; i < links.size(); ++i) {
    LinkVerdict& v = analysis->verdicts[i];
    v.retested = false;
    v.retest_bytes_per_second = 0;
    v.confirmed = v.flagged;
    if (!v.flagged) continue;
    auto r = std::find_if(retests.begin(), retests.end(),
                          [&](const LinkResult& x) { return x.link == links[i].link; });
    if (r == retests.end()) continue;  // not measured alone: the all-pairs verdict stands
    v.retested = true;
    v.retest_bytes_per_second = r->bytesPerSecond();
    v.confirmed = !measuredCleanly(*r) || r->bytesPerSecond() < options.threshold * v.reference;
  }
  finishAnalysis(links, hosts, options, analysis);
}

}  // namespace te::bench
