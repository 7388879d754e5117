#include "bench/run/group_names.h"

#include <algorithm>
#include <set>

#include "bench/cli/config.h"
#include "bench/run/schedule.h"
#include "common/shown_value.h"

namespace te::bench {
namespace {

bool isRanks(const std::string& element) {
  return !element.empty() && element.find_first_not_of("0123456789-") == std::string::npos;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  for (;;) {
    const size_t next = text.find(sep, at);
    out.push_back(text.substr(at, next == std::string::npos ? std::string::npos : next - at));
    if (next == std::string::npos) return out;
    at = next + 1;
  }
}

// "h0, h1, ... (N in all)": what --groups may name.
std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 8; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 8) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out.empty() ? "none" : out;
}

Status resolveSide(const std::string& text, const std::string& side, const std::vector<std::string>& hosts,
                   const Topology* topology, std::vector<int>* out) {
  std::set<int> ranks;
  for (const std::string& element : split(side, ',')) {
    if (isRanks(element)) {
      std::vector<int> some;
      if (!parseRankList(element, &some)) {
        return invalidArgument("--groups " + shownValue(text, 64) + ": " + shownValue(element, 32) +
                               " is not a rank or a range (e.g. 0-7)");
      }
      ranks.insert(some.begin(), some.end());
      continue;
    }
    int sw = -1;
    if (topology) {
      for (size_t s = 0; s < topology->switches().size(); ++s) {
        if (topology->switches()[s].name == element) sw = static_cast<int>(s);
      }
    }
    size_t found = 0;
    for (size_t r = 0; r < hosts.size(); ++r) {
      const bool here = sw >= 0 ? topology->isUnder(topology->leafOf(hosts[r]), sw)
                                : hosts[r] == element || hosts[r].substr(0, hosts[r].find('.')) == element;
      if (here) ranks.insert(static_cast<int>(r)), ++found;
    }
    if (found > 0) continue;
    std::vector<std::string> unique_hosts = hosts, switches;
    std::sort(unique_hosts.begin(), unique_hosts.end());
    unique_hosts.erase(std::unique(unique_hosts.begin(), unique_hosts.end()), unique_hosts.end());
    if (topology) {
      for (const TopologySwitch& s : topology->switches()) switches.push_back(s.name);
    }
    return invalidArgument("--groups " + shownValue(text, 64) + ": " + shownValue(element, 32) +
                           (sw >= 0 ? " is a switch with no rank of the job under it"
                                    : " is neither a rank, a host of the job nor a switch of the topology") +
                           "; hosts: " + listed(unique_hosts) +
                           (topology ? "; switches: " + listed(switches) : "; no topology (--topology FILE)"));
  }
  out->assign(ranks.begin(), ranks.end());
  return Status::ok();
}

std::string rankList(const std::vector<int>& ranks) {
  std::string out;
  for (int r : ranks) out += (out.empty() ? "" : ",") + std::to_string(r);
  return out;
}

}  // namespace

bool groupsNameHosts(const std::string& text) {
  return text.find_first_not_of("0123456789,-:") != std::string::npos;
}

Status resolveGroups(const std::string& text, const std::vector<std::string>& hosts, const Topology* topology,
                     std::vector<int>* from, std::vector<int>* to) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) {
    return invalidArgument("--groups " + shownValue(text, 64) + ": allowed FROM:TO, each a comma list of ranks, "
                           "ranges, hosts or switches, e.g. 0-7:8-15 or leaf1:leaf2");
  }
  TE_RETURN_IF_ERROR(resolveSide(text, text.substr(0, colon), hosts, topology, from));
  TE_RETURN_IF_ERROR(resolveSide(text, text.substr(colon + 1), hosts, topology, to));
  if (!mToNSchedule(*from, *to).empty()) return Status::ok();
  return invalidArgument("--groups " + shownValue(text, 64) + ": no link (both groups are the same single rank)");
}

Status shareGroups(BenchConfig* c, bootstrap::Bootstrap& bs, Deadline deadline) {
  if (c->group_names.empty()) return Status::ok();
  std::string word;
  if (bs.rank() == 0) {
    std::vector<std::string> hosts;
    for (int r = 0; r < bs.size(); ++r) hosts.push_back(bs.hostname(r));
    std::vector<int> from, to;
    Status resolved = resolveGroups(c->group_names, hosts, c->topology.get(), &from, &to);
    word = resolved.isOk() ? rankList(from) + ":" + rankList(to) : "!" + resolved.message();
  }
  TE_ASSIGN_OR_RETURN(Bytes got, bs.broadcast(Bytes(word.begin(), word.end()), 0, deadline));
  word.assign(got.begin(), got.end());
  if (!word.empty() && word[0] == '!') return invalidArgument(word.substr(1));
  return parseGroups(word, &c->group_from, &c->group_to);
}

}  // namespace te::bench
