// A JSON report read back into a RunReport: the inverse of report_json.cc for what the other
// writers read. A field of the wrong type is the user's mistake, named with its place.
#include "bench/report/report_load.h"

#include <cmath>
#include <map>
#include <set>

#include "bench/analysis/topology_conf.h"
#include "bench/report/json_filter.h"
#include "bench/report/report_congestion.h"
#include "common/shown_value.h"

namespace te::bench {
namespace {

using Json = nlohmann::json;

// What a wrong field throws while the report is read; caught once, in loadRunReport.
struct Malformed {
  std::string where, why;
};

const Json& field(const Json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw Malformed{where, std::string("lacks \"") + key + "\""};
  return j[key];
}

template <typename T>
T get(const Json& j, const char* key, const std::string& where) {
  const Json& v = field(j, key, where);
  try {
    return v.get<T>();
  } catch (const Json::exception&) {
    throw Malformed{where + "." + key, "has the wrong type (" + shownValue(v.dump(), 40) + ")"};
  }
}

// A number that may be null (-1 / 0 / nullopt for null, as the writers hold "none").
int intOrNone(const Json& j, const char* key, const std::string& where) {
  return j.contains(key) && j[key].is_null() ? -1 : get<int>(j, key, where);
}
double numberOrZero(const Json& j, const char* key, const std::string& where) {
  return j.contains(key) && j[key].is_null() ? 0 : get<double>(j, key, where);
}

uint64_t nanoseconds(const Json& latency, const char* key, const std::string& where) {
  return static_cast<uint64_t>(std::llround(get<double>(latency, key, where) * 1e3));
}

LatencySummary readLatency(const Json& j, const std::string& where) {
  LatencySummary s;
  s.p50 = nanoseconds(j, "p50", where);
  s.p90 = nanoseconds(j, "p90", where);
  s.p99 = nanoseconds(j, "p99", where);
  s.min = nanoseconds(j, "min", where);
  s.max = nanoseconds(j, "max", where);
  s.mean = get<double>(j, "mean", where) * 1e3;
  s.count = s.max > 0 ? 1 : 0;  // the report holds no count: a request took some time
  return s;
}

Summary readSummary(const Json& j, const std::string& where) {
  Summary s;
  s.count = get<size_t>(j, "links", where);
  s.min = get<double>(j, "min_bytes_per_second", where);
  s.median = get<double>(j, "median_bytes_per_second", where);
  s.mean = get<double>(j, "mean_bytes_per_second", where);
  s.max = get<double>(j, "max_bytes_per_second", where);
  return s;
}

std::vector<GroupSummary> readGroups(const Json& a, const char* key, const std::string& where) {
  std::vector<GroupSummary> out;
  if (!a.contains(key)) return out;
  for (const Json& g : a[key]) {
    out.push_back({get<std::string>(g, "name", where + "." + key), readSummary(field(g, "as_initiator", where), where),
                   readSummary(field(g, "as_target", where), where)});
  }
  return out;
}

PathKind pathKind(const std::string& name, const std::string& where) {
  for (PathKind k : {PathKind::kSameHost, PathKind::kSameSwitch, PathKind::kThroughSwitch, PathKind::kNoCommonSwitch,
                     PathKind::kInterHost}) {
    if (name == pathKindName(k)) return k;
  }
  throw Malformed{where + ".path", "unknown path " + shownValue(name, 40)};
}

class Reader {
 public:
  Reader(const Json& j, LoadedReport* out) : j_(j), out_(out) {}

  void read() {
    RunReport& r = out_->report;
    if (get<int>(j_, "schema_version", "the report") != 1 || get<std::string>(j_, "tool", "the report") != "te_bench") {
      throw Malformed{"the report", "not a te_bench report of schema version 1"};
    }
    r.version = get<std::string>(j_, "version", "the report");
    r.git_revision = get<std::string>(j_, "git_revision", "the report");
    r.start_time = get<std::string>(j_, "start_time", "the report");
    r.end_time = get<std::string>(j_, "end_time", "the report");
    const Json& world = field(j_, "world", "the report");
    r.world_size = get<int>(world, "size", "world");
    r.launcher = get<std::string>(world, "launcher", "world");
    r.bootstrap = get<std::string>(world, "bootstrap", "world");
    for (const Json& rank : field(world, "ranks", "world")) r.hosts.push_back(get<std::string>(rank, "host", "world.ranks"));
    if (r.hosts.size() != static_cast<size_t>(r.world_size)) throw Malformed{"world", "ranks does not list size ranks"};
    const Json& transport = field(j_, "transport", "the report");
    r.transport = get<std::string>(transport, "name", "transport");
    r.transport_details = field(transport, "details", "transport");
    r.transports_details = field(j_, "transports", "the report");
    r.memory = field(j_, "memory", "the report");
    r.options = field(j_, "options", "the report");
    if (!get<bool>(j_, "complete", "the report")) r.failure = get<std::string>(j_, "failure", "the report");
    r.went_on = j_.contains("lost_ranks");
    if (r.went_on) {
      const Json& lost = field(j_, "lost_ranks", "the report");
      if (!lost.is_array()) throw Malformed{"lost_ranks", "is not an array"};
      for (const Json& l : lost) {
        r.lost.push_back({get<int>(l, "rank", "lost_ranks"), get<std::string>(l, "host", "lost_ranks"),
                          get<std::string>(l, "where", "lost_ranks"), get<std::string>(l, "reason", "lost_ranks")});
      }
    }
    readConfig();
    const Json& results = field(j_, "results", "the report");
    if (!results.is_array()) throw Malformed{"results", "is not an array"};
    for (size_t i = 0; i < results.size(); ++i) r.blocks.push_back(readBlock(results[i], "results[" + std::to_string(i) + "]"));
    // Recomputed from the links as the run computed it (the same rates, the same rule).
    addCongestionImpacts(&r);
  }

 private:
  // The options the writers read (report_terminal.cc, report_html.cc, report_topology.cc).
  void readConfig() {
    out_->config = std::make_unique<BenchConfig>();
    BenchConfig& c = *out_->config;
    out_->report.config = &c;
    const Json& o = out_->report.options;
    const std::string at = "options";
    c.command_line = get<std::vector<std::string>>(j_, "command_line", "the report");
    c.transport = get<std::string>(o, "transport", at);
    c.transports = get<std::vector<std::string>>(o, "transports", at);
    c.schedule = get<std::string>(o, "schedule", at);
    c.quick = get<std::string>(o, "mode", at) == "quick";
    c.batch_size = get<uint64_t>(o, "batch_size", at);
    c.batches_in_flight = get<int>(o, "batches_in_flight", at);
    c.threads = get<int>(o, "threads", at);
    c.iterations = get<uint64_t>(o, "iterations", at);
    c.adaptive = field(o, "duration", at).is_string();
    c.duration = get<double>(o, c.adaptive ? "max_duration" : "duration", at);
    if (c.adaptive) {
      c.min_duration = get<double>(o, "min_duration", at);
      c.precision = get<double>(o, "precision", at);
    }
    c.warmup = get<double>(o, "warmup", at);
    c.buffer_size = get<uint64_t>(o, "buffer_size", at);
    c.integrity_check = get<bool>(o, "integrity_check", at);
    c.threshold = get<double>(o, "threshold", at);
    c.retest = get<bool>(o, "retest", at);
    c.ranks_per_node = get<int>(o, "ranks_per_node", at);
    c.report_precision = get<int>(o, "report_precision", at);
    if (!parseRateUnit(get<std::string>(o, "report_unit", at), &c.report_unit)) {
      throw Malformed{"options.report_unit", "unknown unit"};
    }
    if (o.contains("metrics_links")) c.metrics_links = get<std::string>(o, "metrics_links", at);
    // Reports from before --metric are bandwidth reports.
    if (o.contains("metric") && get<std::string>(o, "metric", at) == "latency") {
      c.metric = Metric::kLatency;
      c.latency_threshold = get<double>(o, "latency_threshold", at);
    }
    readTopology(&c);
  }

  // The switch tree back into a Topology: each switch with its child switches, a leaf with
  // the job's hosts under it, in the report's order (the order the run's indices follow).
  void readTopology(BenchConfig* c) {
    const Json& t = field(j_, "topology", "the report");
    if (t.is_null()) return;
    std::string text;
    const Json& switches = field(t, "switches", "topology");
    for (const Json& s : switches) {
      const std::string name = get<std::string>(s, "name", "topology.switches");
      std::string children;
      for (const Json& other : switches) {
        if (other.contains("parent") && other["parent"] == name) children += (children.empty() ? "" : ",") + other["name"].get<std::string>();
      }
      std::string hosts;
      for (const Json& h : field(s, "job_hosts", "topology.switches")) hosts += (hosts.empty() ? "" : ",") + h.get<std::string>();
      text += "SwitchName=" + name + (children.empty() ? "" : " Switches=" + children) +
              (hosts.empty() ? "" : " Nodes=" + hosts) + "\n";
    }
    Result<Topology> parsed = Topology::parse(text, get<std::string>(t, "source", "topology"));
    if (!parsed.isOk()) throw Malformed{"topology", parsed.status().message()};
    c->topology = std::make_shared<Topology>(std::move(*parsed));
    switch_index_.clear();
    for (size_t i = 0; i < c->topology->switches().size(); ++i) switch_index_[c->topology->switches()[i].name] = int(i);
  }

  int switchIndex(const Json& a, const char* key, const std::string& where) {
    if (!a.contains(key) || a[key].is_null()) return -1;
    auto it = switch_index_.find(get<std::string>(a, key, where));
    if (it == switch_index_.end()) throw Malformed{where + "." + key, "names a switch the topology lacks"};
    return it->second;
  }

  LinkResult readLink(const Json& l, const Json& cell, const std::string& at) {
    LinkResult r;
    r.link = {get<int>(l, "initiator", at), get<int>(l, "target", at)};
    const int n = out_->report.world_size;
    if (r.link.initiator < 0 || r.link.initiator >= n || r.link.target < 0 || r.link.target >= n) {
      throw Malformed{at, "a rank outside 0.." + std::to_string(n - 1)};
    }
    r.bytes = get<uint64_t>(l, "bytes", at);
    r.ops = get<uint64_t>(l, "ops", at);
    r.seconds = get<double>(l, "seconds", at);
    r.batches = get<uint64_t>(l, "batches", at);
    r.phase = get<uint32_t>(l, "phase", at);
    r.lower_bound = get<bool>(l, "lower_bound", at);
    r.precision = field(l, "precision", at).is_null() ? -1 : get<double>(l, "precision", at);
    r.latency_ns = readLatency(field(l, "latency_us", at), at + ".latency_us");
    if (l.contains("error")) r.error = get<std::string>(l, "error", at);
    if (l.contains("nics")) {
      for (const Json& t : field(l, "nics", at)) {
        const std::string where = at + ".nics";
        r.nics.push_back({get<std::string>(t, "local", where), get<std::string>(t, "remote", where),
                          get<uint64_t>(t, "bytes", where), get<uint64_t>(t, "slices", where)});
      }
    }
    const std::string status = get<std::string>(l, "status", at);
    r.invalid = status == "invalid";
    r.not_measured = status == "not_measured";
    // A link the run's stop cut has no cell in the matrix; one whose requests failed has.
    r.cut = r.not_measured || (status == "failed" && cell.is_null());
    return r;
  }

  LinkVerdict readVerdict(const Json& a, const std::string& at) {
    LinkVerdict v;
    v.locality = get<std::string>(a, "locality", at) == "intra-host" ? Locality::kIntraHost : Locality::kInterHost;
    v.reference = get<double>(a, "reference_bytes_per_second", at);
    v.ratio = get<double>(a, "ratio", at);
    v.flagged = get<bool>(a, "flagged", at);
    v.retested = get<bool>(a, "retested", at);
    v.retest_bytes_per_second = get<double>(a, "retest_bytes_per_second", at);
    v.confirmed = get<bool>(a, "confirmed", at);
    v.below_expectation = get<bool>(a, "below_expectation", at);
    if (!a.contains("path")) return v;
    v.path_class = 0;  // the writers ask only whether the link has a path
    v.path.kind = pathKind(get<std::string>(a, "path", at), at);
    v.path.common_switch = switchIndex(a, "common_switch", at);
    v.path.initiator_switch = switchIndex(a, "initiator_switch", at);
    v.path.target_switch = switchIndex(a, "target_switch", at);
    const Json& rail = field(a, "rail", at);
    v.path.rail = rail.is_null() ? RailRelation::kNone
                  : rail == railRelationName(RailRelation::kSameRail) ? RailRelation::kSameRail
                                                                       : RailRelation::kCrossRail;
    v.path.initiator_rail = intOrNone(a, "initiator_rail", at);
    v.path.target_rail = intOrNone(a, "target_rail", at);
    return v;
  }

  ResultBlock readBlock(const Json& b, const std::string& at) {
    ResultBlock block{get<std::string>(b, "transport", at), get<std::string>(b, "operation", at),
                      get<uint64_t>(b, "block_size", at), {}, {}, {}, {}, {}, {}};
    // Reports from before --schedule lists: the run's one schedule.
    block.schedule = b.contains("schedule") ? get<std::string>(b, "schedule", at) : out_->config->schedule;
    const Json& links = field(b, "links", at);
    const Json& matrix = field(b, "matrix_bytes_per_second", at);
    bool analysed = true;
    block.links.reserve(links.size());
    for (size_t i = 0; i < links.size(); ++i) {
      const std::string where = at + ".links[" + std::to_string(i) + "]";
      const Json l = unpacked(links[i]);
      const int from = get<int>(l, "initiator", where), to = get<int>(l, "target", where);
      const Json cell = from >= 0 && size_t(from) < matrix.size() && to >= 0 && size_t(to) < matrix[from].size()
                            ? matrix[from][to] : Json();
      block.links.push_back(readLink(l, cell, where));
      if (l.contains("analysis")) block.analysis.verdicts.push_back(readVerdict(l["analysis"], where + ".analysis"));
      else analysed = false;
    }
    if (!analysed) block.analysis.verdicts.clear();
    block.latency = readLatency(field(field(b, "summary", at), "latency_us", at), at + ".summary.latency_us");
    readAnalysis(field(b, "analysis", at), at + ".analysis", &block);
    return block;
  }

  void readAnalysis(const Json& a, const std::string& at, ResultBlock* block) {
    BlockAnalysis& out = block->analysis;
    std::map<std::pair<int, int>, size_t> index;
    for (size_t i = 0; i < block->links.size(); ++i) index[{block->links[i].link.initiator, block->links[i].link.target}] = i;
    auto linkList = [&](const char* key) {
      std::vector<size_t> out_list;
      for (const Json& pair : field(a, key, at)) {
        auto it = index.find({pair.at(0).get<int>(), pair.at(1).get<int>()});
        if (it == index.end()) throw Malformed{at + "." + key, "names a link the block lacks: " + pair.dump()};
        out_list.push_back(it->second);
      }
      return out_list;
    };
    for (const Json& s : field(a, "suspects", at)) {
      const std::string where = at + ".suspects";
      out.suspects.push_back({get<std::string>(s, "kind", where), get<int>(s, "rank", where), get<std::string>(s, "host", where),
                              get<size_t>(s, "flagged_links", where), get<size_t>(s, "total_links", where),
                              get<std::string>(s, "name", where), intOrNone(s, "rail", where), intOrNone(s, "level", where),
                              numberOrZero(s, "ratio", where)});
    }
    if (a.contains("nics")) {
      for (const Json& v : field(a, "nics", at)) {
        const std::string where = at + ".nics";
        out.nics.push_back({get<int>(v, "rank", where), get<std::string>(v, "host", where),
                            get<std::string>(v, "device", where), get<size_t>(v, "links", where),
                            get<size_t>(v, "low_links", where), get<uint64_t>(v, "bytes", where),
                            get<double>(v, "part", where), get<double>(v, "others", where),
                            get<double>(v, "ratio", where), get<bool>(v, "suspect", where)});
      }
    }
    out.unexplained = linkList("slow_links");
    out.failing = linkList("failing_links");
    out.measurement_errors = linkList("measurement_errors");
    out.not_retested = get<size_t>(a, "not_retested", at);
    if (!field(a, "expected_bytes_per_second", at).is_null()) {
      out.expected_bytes_per_second = get<double>(a, "expected_bytes_per_second", at);
    }
    out.intra_host = readSummary(field(a, "intra_host", at), at + ".intra_host");
    out.inter_host = readSummary(field(a, "inter_host", at), at + ".inter_host");
    resolveExtremes(*block, Locality::kIntraHost, &out.intra_host);
    resolveExtremes(*block, Locality::kInterHost, &out.inter_host);
    out.per_rank = readGroups(a, "per_rank", at);
    out.per_host = readGroups(a, "per_host", at);
    out.per_switch = readGroups(a, "per_switch", at);
    out.per_rail = readGroups(a, "per_rail", at);
    readPathAnalysis(a, at, &out);
  }

  // The analysis named its slowest and fastest link by index: the first link of the locality
  // with that rate, as summarize() picks it.
  static void resolveExtremes(const ResultBlock& b, Locality locality, Summary* s) {
    s->min_index = s->max_index = b.links.size();
    if (b.analysis.verdicts.size() != b.links.size()) return;
    for (size_t i = 0; i < b.links.size(); ++i) {
      if (b.links[i].excluded() || b.analysis.verdicts[i].locality != locality) continue;
      const double v = b.links[i].bytesPerSecond();
      if (v == s->min && s->min_index == b.links.size()) s->min_index = i;
      if (v == s->max && s->max_index == b.links.size()) s->max_index = i;
    }
  }

  static void readPathAnalysis(const Json& a, const std::string& at, BlockAnalysis* out) {
    if (a.contains("path_classes")) {
      for (const Json& c : a["path_classes"]) {
        out->path_classes.push_back(get<std::string>(c, "name", at + ".path_classes"));
        out->per_path_class.push_back(readSummary(field(c, "summary", at), at + ".path_classes"));
      }
    }
    if (a.contains("rail_pairs_median_bytes_per_second")) {
      for (const Json& row : a["rail_pairs_median_bytes_per_second"]) {
        out->rail_pairs.emplace_back();
        for (const Json& m : row) {
          Summary s;
          if (!m.is_null()) {
            s.count = 1;  // the report holds the median only
            s.median = m.get<double>();
          }
          out->rail_pairs.back().push_back(s);
        }
      }
    }
    if (a.contains("unplaced_hosts")) out->unplaced_hosts = get<std::vector<std::string>>(a, "unplaced_hosts", at);
  }

  const Json& j_;
  LoadedReport* out_;
  std::map<std::string, int> switch_index_;
};

}  // namespace

Result<std::unique_ptr<LoadedReport>> loadRunReport(const std::string& path) {
  // What no writer but the JSON's reads is dropped as it is parsed: a link's rates (the writers
  // take bytes / seconds) and its samples' rates (the key is the same), the row / column means.
  // Not "samples" itself: the options hold a "samples" too.
  static const std::set<std::string> kUnread = {"bytes_per_second", "ops_per_second", "row_mean_bytes_per_second",
                                                "column_mean_bytes_per_second"};
  // Each link stays packed until it is read (json_filter.h): a million links' DOM is ~12 GB.
  TE_ASSIGN_OR_RETURN(Json j, loadJsonFile(path, kUnread, "a te_bench JSON report file", "links"));
  auto out = std::make_unique<LoadedReport>();
  try {
    Reader(j, out.get()).read();
  } catch (const Malformed& m) {
    return invalidArgument(shownValue(path) + ": not a te_bench JSON report: " + m.where + " " + m.why);
  } catch (const Json::exception& e) {
    return invalidArgument(shownValue(path) + ": not a te_bench JSON report (" + shownValue(e.what(), 120) + ")");
  }
  return out;
}

}  // namespace te::bench
