// The topology in the reports (see report_topology.h).
#include "bench/report/report_topology.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "bench/analysis/topology_conf.h"
#include "common/units.h"

namespace te::bench {
namespace {

std::string switchName(const Topology* t, int s) { return t && s >= 0 ? t->switches()[s].name : ""; }

nlohmann::json orNull(int v) { return v >= 0 ? nlohmann::json(v) : nlohmann::json(nullptr); }
nlohmann::json nameOrNull(const Topology* t, int s) { return s >= 0 && t ? nlohmann::json(switchName(t, s)) : nlohmann::json(nullptr); }

nlohmann::json summaryJson(const Summary& s) {
  return {{"links", s.count}, {"min_bytes_per_second", s.min}, {"median_bytes_per_second", s.median},
          {"mean_bytes_per_second", s.mean}, {"max_bytes_per_second", s.max}};
}

std::string rate(const RunReport& report, double bps) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", report.config->report_precision, toRateUnit(bps, report.config->report_unit));
  return buf;
}

// The ladder's order: what explains most first.
int ladderLevel(const std::string& kind) {
  static const char* const kOrder[] = {"switch", "uplink", "rail", "host", "nic", "rank"};
  for (int i = 0; i < 6; ++i) {
    if (kind == kOrder[i]) return i;
  }
  return 6;
}

// Each rank's node as the analysis names it (--ranks-per-node overrides host names).
std::vector<std::string> nodesOf(const RunReport& report) {
  AnalysisOptions options;
  options.ranks_per_node = report.config ? report.config->ranks_per_node : 0;
  std::vector<std::string> out;
  const int n = report.world_size > 0 ? report.world_size : static_cast<int>(report.hosts.size());
  for (int r = 0; r < n; ++r) out.push_back(nodeName(r, report.hosts, options));
  return out;
}

}  // namespace

const Topology* topologyOf(const RunReport& report) { return report.config ? report.config->topology.get() : nullptr; }

void addLinkPath(const LinkVerdict& v, const Topology* t, nlohmann::json* j) {
  if (v.path_class < 0) return;
  (*j)["path"] = pathKindName(v.path.kind);
  (*j)["common_switch"] = nameOrNull(t, v.path.common_switch);
  (*j)["initiator_switch"] = nameOrNull(t, v.path.initiator_switch);
  (*j)["target_switch"] = nameOrNull(t, v.path.target_switch);
  (*j)["rail"] = v.path.rail == RailRelation::kNone ? nlohmann::json(nullptr) : nlohmann::json(railRelationName(v.path.rail));
  (*j)["initiator_rail"] = orNull(v.path.initiator_rail);
  (*j)["target_rail"] = orNull(v.path.target_rail);
}

void addPathAnalysis(const BlockAnalysis& a, nlohmann::json* j) {
  nlohmann::json classes = nlohmann::json::array();
  for (size_t c = 0; c < a.path_classes.size(); ++c) {
    classes.push_back({{"name", a.path_classes[c]},
                       {"summary", summaryJson(c < a.per_path_class.size() ? a.per_path_class[c] : Summary{})}});
  }
  auto groups = [](const std::vector<GroupSummary>& g) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : g) {
      out.push_back({{"name", x.name}, {"as_initiator", summaryJson(x.as_initiator)}, {"as_target", summaryJson(x.as_target)}});
    }
    return out;
  };
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& row : a.rail_pairs) {
    nlohmann::json r = nlohmann::json::array();
    for (const Summary& s : row) r.push_back(s.count ? nlohmann::json(s.median) : nlohmann::json(nullptr));
    pairs.push_back(r);
  }
  (*j)["path_classes"] = classes;
  (*j)["per_switch"] = groups(a.per_switch);
  (*j)["per_rail"] = groups(a.per_rail);
  (*j)["rail_pairs_median_bytes_per_second"] = pairs;
  (*j)["unplaced_hosts"] = a.unplaced_hosts;
}

nlohmann::json suspectToJson(const Suspect& s) {
  nlohmann::json j = {{"kind", s.kind}, {"rank", s.rank}, {"host", s.host}, {"flagged_links", s.flagged_links},
                      {"total_links", s.total_links}};
  j["name"] = s.name;
  j["rail"] = orNull(s.rail);
  j["level"] = orNull(s.level);
  j["ratio"] = s.ratio > 0 ? nlohmann::json(s.ratio) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json topologyToJson(const RunReport& report) {
  const Topology* t = topologyOf(report);
  if (!t) return nullptr;
  nlohmann::json switches = nlohmann::json::array();
  for (const TopologySwitch& s : t->switches()) {
    nlohmann::json hosts = nlohmann::json::array();  // the job's hosts whose leaf it is
    for (const std::string& h : nodesOf(report)) {
      if (switchName(t, t->leafOf(h)) == s.name && std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
    }
    switches.push_back({{"name", s.name}, {"level", s.level}, {"parent", s.parent >= 0 ? nlohmann::json(switchName(t, s.parent)) : nlohmann::json(nullptr)},
                        {"job_hosts", hosts}});
  }
  return {{"source", t->source()}, {"switches", switches}};
}

RankOrder heatmapOrder(const RunReport& report) {
  const Topology* t = topologyOf(report);
  const std::vector<std::string> nodes = nodesOf(report);
  const int n = static_cast<int>(nodes.size());
  std::vector<int> host_first(n), leaf(n);
  for (int r = 0; r < n; ++r) {
    host_first[r] = static_cast<int>(std::find(nodes.begin(), nodes.end(), nodes[r]) - nodes.begin());
    const int l = t ? t->leafOf(nodes[r]) : -1;
    leaf[r] = l < 0 ? n + 1 : l;  // no switch: after every switch
  }
  RankOrder o;
  for (int r = 0; r < n; ++r) o.order.push_back(r);
  std::stable_sort(o.order.begin(), o.order.end(), [&](int a, int b) {
    return std::pair{leaf[a], host_first[a]} < std::pair{leaf[b], host_first[b]};
  });
  for (int k = 0; k < n; ++k) {
    const int r = o.order[k], p = k ? o.order[k - 1] : -1;
    o.edge.push_back(k == 0 ? 0 : leaf[r] != leaf[p] ? 2 : host_first[r] != host_first[p] ? 1 : 0);
  }
  return o;
}

const char* const kCsvPathColumns = "path,common_switch,initiator_switch,target_switch,rail,initiator_rail,target_rail";

std::string csvPathValues(const LinkVerdict* v, const Topology* t) {
  if (!v || v->path_class < 0) return ",,,,,,";
  auto num = [](int x) { return x >= 0 ? std::to_string(x) : std::string(); };
  const LinkPath& p = v->path;
  return std::string(",") + pathKindName(p.kind) + "," + switchName(t, p.common_switch) + "," +
         switchName(t, p.initiator_switch) + "," + switchName(t, p.target_switch) + "," + railRelationName(p.rail) + "," +
         num(p.initiator_rail) + "," + num(p.target_rail);
}

bool printHostsBySwitch(const RunReport& report, std::ostream& out) {
  const Topology* t = topologyOf(report);
  if (!t) return false;
  std::map<int, std::vector<std::string>> by_switch;  // leaf (-1: none) -> "host (ranks)"
  std::vector<std::string> seen;
  const std::vector<std::string> nodes = nodesOf(report);
  for (size_t r = 0; r < nodes.size(); ++r) {
    const std::string& h = nodes[r];
    if (std::find(seen.begin(), seen.end(), h) != seen.end()) continue;
    seen.push_back(h);
    std::string ranks;
    for (size_t q = r; q < nodes.size(); ++q) {
      if (nodes[q] == h) ranks += (ranks.empty() ? "" : ",") + std::to_string(q);
    }
    by_switch[t->leafOf(h)].push_back(h + "=" + ranks);
  }
  out << "hosts by switch (" << t->source() << "):\n";
  for (const auto& [leaf, hosts] : by_switch) {
    const TopologySwitch* sw = leaf >= 0 ? &t->switches()[leaf] : nullptr;
    out << "  " << (sw ? sw->name + (sw->parent >= 0 ? " (under " + switchName(t, sw->parent) + ")" : "")
                      : std::string("in no switch (each its own group)"))
        << ":";
    for (size_t k = 0; k < hosts.size(); ++k) out << (k % 6 == 0 && k ? "\n     " : "") << " " << hosts[k];
    out << "\n";
  }
  return true;
}

std::string suspectName(const Suspect& s) {
  if (s.kind == "switch" || s.kind == "uplink" || s.kind == "rail") return s.kind + " " + s.name;
  if (s.kind == "nic") return "NIC " + s.name + " on host " + s.host;
  if (s.kind == "rank") {
    return "rank " + std::to_string(s.rank) + " (" + (s.rail >= 0 ? "rail " + std::to_string(s.rail) + " on host " : "") +
           s.host + ")";
  }
  return s.kind + " " + s.host;
}

std::string suspectFinding(const Suspect& s) {
  char ratio[64] = "";
  if (s.kind == "nic") {
    std::snprintf(ratio, sizeof(ratio), "%.2f", s.ratio);
    return std::string("it carried ") + ratio + " x the share of rank " + std::to_string(s.rank) +
           "'s other NICs on the same links (below its even part on " + std::to_string(s.flagged_links) + " of " +
           std::to_string(s.total_links) + " links)";
  }
  if (s.ratio > 0) std::snprintf(ratio, sizeof(ratio), ", median %.2f x its peers'", s.ratio);
  std::string out = std::to_string(s.flagged_links) + " of its " + std::to_string(s.total_links) + " links slow";
  if (s.kind == "uplink") out += std::string(" (all through its uplink") + ratio + ")";
  else if (s.kind == "switch") out += std::string(" (inside it and through its uplink") + ratio + ")";
  else if (s.kind == "rail") out += std::string(" (between hosts") + ratio + ")";
  return out;
}

namespace {

// The NICs the ranks on `rail` (or just `rank`) chose, distinct, as the transport reported
// them: "mlx5_3" or "mlx5_3,mlx5_7"; "" where it did not (tcp, ucx).
std::string railNics(const RunReport& report, int rail, int rank) {
  const nlohmann::json ranks =
      report.memory.is_object() ? report.memory.value("ranks", nlohmann::json::array()) : nlohmann::json::array();
  const std::vector<std::string> nodes = nodesOf(report);
  std::vector<std::string> nics;
  for (size_t r = 0; r < nodes.size() && r < ranks.size(); ++r) {
    const int local = static_cast<int>(std::count(nodes.begin(), nodes.begin() + static_cast<long>(r), nodes[r]));
    if (local != rail || (rank >= 0 && static_cast<int>(r) != rank) || !ranks[r].is_object()) continue;
    for (const nlohmann::json& n : ranks[r].value("nics", nlohmann::json::array())) {
      if (n.is_string() && std::find(nics.begin(), nics.end(), n.get<std::string>()) == nics.end()) nics.push_back(n);
    }
  }
  std::string out;
  for (const std::string& n : nics) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

void printSuspects(const RunReport& report, const BlockAnalysis& a, std::ostream& out) {
  std::vector<const Suspect*> order;
  for (const Suspect& s : a.suspects) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(),
                   [](const Suspect* x, const Suspect* y) { return ladderLevel(x->kind) < ladderLevel(y->kind); });
  for (const Suspect* s : order) {
    out << "SUSPECT " << suspectName(*s) << ": " << suspectFinding(*s);
    const std::string nics = s->rail >= 0 ? railNics(report, s->rail, s->kind == "rank" ? s->rank : -1) : "";
    if (!nics.empty()) out << "; NIC " << nics;
    out << "\n";
  }
}

void printPathSummaries(const RunReport& report, const ResultBlock& block, std::ostream& out) {
  const BlockAnalysis& a = block.analysis;
  const bool paths = a.path_classes.size() > 1 || topologyOf(report);
  if (paths) {
    out << "by path (median " << rateUnitName(report.config->report_unit) << ", links):";
    for (size_t c = 0; c < a.path_classes.size() && c < a.per_path_class.size(); ++c) {
      out << (c ? "; " : " ") << a.path_classes[c] << " " << rate(report, a.per_path_class[c].median) << " ("
          << a.per_path_class[c].count << ")";
    }
    out << "\n";
  }
  if (!a.per_switch.empty()) {
    out << "by switch (median of links from its hosts):";
    for (const GroupSummary& g : a.per_switch) out << " " << g.name << " " << rate(report, g.as_initiator.median);
    out << "\n";
  }
  if (a.rail_pairs.empty()) return;
  out << "rail x rail between hosts (median " << rateUnitName(report.config->report_unit) << ", rows: initiator rail):\n";
  for (size_t r = 0; r < a.rail_pairs.size(); ++r) {
    out << "  rail " << r << ":";
    for (const Summary& s : a.rail_pairs[r]) out << " " << (s.count ? rate(report, s.median) : "-");
    out << "\n";
  }
}

}  // namespace te::bench
