// Slurm topology.conf and host-list parsing (see topology_conf.h).
#include "bench/analysis/topology_conf.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <sstream>

#include "common/shown_value.h"

namespace te::bench {
namespace {

constexpr size_t kMaxHostlistNames = 1 << 20;  // a typo like n[0-999999999] must not eat the memory

std::vector<std::string> splitTopLevel(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  int depth = 0;
  for (char ch : s) {
    depth += ch == '[' ? 1 : ch == ']' ? -1 : 0;
    if (ch == sep && depth == 0) out.emplace_back();
    else out.back() += ch;
  }
  return out;
}

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
}

// One range of a bracket: "7" or "01-16", numbers as written (their width kept).
Status rangeNumbers(const std::string& range, std::vector<std::string>* out) {
  const size_t dash = range.find('-');
  const std::string lo = range.substr(0, dash), hi = dash == std::string::npos ? lo : range.substr(dash + 1);
  if (!allDigits(lo) || !allDigits(hi) || lo.size() > 9 || hi.size() > 9) {
    return invalidArgument("'" + shownValue(range, 40) + "' is not a number or a range like 01-16");
  }
  const long a = std::stol(lo), b = std::stol(hi);
  if (a > b) return invalidArgument("range '" + range + "' runs backwards");
  if (size_t(b - a) >= kMaxHostlistNames) return invalidArgument("range '" + range + "' is too long");
  for (long v = a; v <= b; ++v) {
    std::string digits = std::to_string(v);
    out->push_back(std::string(lo.size() > digits.size() ? lo.size() - digits.size() : 0, '0') + digits);
  }
  return Status::ok();
}

// Expands the first bracket of `rest` and recurses on what follows it.
Status expandItem(const std::string& prefix, const std::string& rest, std::vector<std::string>* out) {
  const size_t open = rest.find('['), stray = rest.find(']');
  if (stray != std::string::npos && (open == std::string::npos || stray < open)) return invalidArgument("']' without '['");
  if (open == std::string::npos) {
    if (out->size() >= kMaxHostlistNames) return invalidArgument("more than 1048576 names");
    out->push_back(prefix + rest);
    return Status::ok();
  }
  const size_t close = rest.find(']', open);
  if (close == std::string::npos) return invalidArgument("'[' without ']'");
  std::vector<std::string> numbers;
  for (const std::string& range : splitTopLevel(rest.substr(open + 1, close - open - 1), ',')) {
    TE_RETURN_IF_ERROR(rangeNumbers(range, &numbers));
  }
  for (const std::string& n : numbers) TE_RETURN_IF_ERROR(expandItem(prefix + rest.substr(0, open) + n, rest.substr(close + 1), out));
  return Status::ok();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

struct ConfLine {
  int number;
  std::string text;
};

// Lines without comments or blanks, a trailing '\' joining the next (slurm.conf's rule).
std::vector<ConfLine> confLines(const std::string& text) {
  std::vector<ConfLine> out;
  std::istringstream in(text);
  std::string raw, pending;
  int number = 0, start = 0;
  while (std::getline(in, raw)) {
    ++number;
    raw = raw.substr(0, raw.find('#'));
    while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.pop_back();
    if (pending.empty()) start = number;
    const bool continued = !raw.empty() && raw.back() == '\\';
    pending += (continued ? raw.substr(0, raw.size() - 1) : raw) + " ";
    if (continued) continue;
    if (pending.find_first_not_of(" \t\r") != std::string::npos) out.push_back({start, pending});
    pending.clear();
  }
  if (!pending.empty() && pending.find_first_not_of(" \t\r") != std::string::npos) out.push_back({start, pending});
  return out;
}

const char* const kAllowedKeys = "allowed SwitchName=NAME with Nodes=HOSTLIST and / or Switches=HOSTLIST (LinkSpeed=, Level= ignored)";

}  // namespace

Result<std::vector<std::string>> expandHostlist(const std::string& list) {
  std::vector<std::string> out;
  for (const std::string& item : splitTopLevel(list, ',')) {
    if (item.empty()) return invalidArgument("an empty name in '" + shownValue(list, 60) + "'");
    TE_RETURN_IF_ERROR(expandItem("", item, &out));
  }
  return out;
}

Result<Topology> Topology::parse(const std::string& text, const std::string& source) {
  Topology t;
  t.source_ = source;
  std::vector<std::vector<std::string>> child_names;
  std::unordered_map<std::string, int> index;
  for (const ConfLine& line : confLines(text)) {
    const std::string at = source + ":" + std::to_string(line.number) + ": ";
    TopologySwitch sw;
    sw.line = line.number;
    std::vector<std::string> children;
    std::istringstream tokens(line.text);
    for (std::string token; tokens >> token;) {
      const size_t eq = token.find('=');
      const std::string key = lower(token.substr(0, eq == std::string::npos ? 0 : eq));
      const std::string value = eq == std::string::npos ? "" : token.substr(eq + 1);
      if (value == "(null)") continue;  // scontrol's word for none (a leaf's Switches=)
      if (eq == std::string::npos || value.empty() ||
          (key != "switchname" && key != "nodes" && key != "switches" && key != "linkspeed" && key != "level")) {
        return invalidArgument(at + "'" + shownValue(token, 40) + "': " + kAllowedKeys);
      }
      if (key == "switchname") sw.name = value;
      if (key != "nodes" && key != "switches") continue;
      Result<std::vector<std::string>> names = expandHostlist(value);
      if (!names.isOk()) {
        return invalidArgument(at + token.substr(0, eq) + "=" + shownValue(value, 60) + ": " + names.status().message() +
                               "; allowed a Slurm host list such as node[01-16,20]");
      }
      (key == "nodes" ? sw.nodes : children) = std::move(*names);
    }
    if (sw.name.empty()) return invalidArgument(at + "no SwitchName=; " + kAllowedKeys);
    if (auto it = index.find(sw.name); it != index.end()) {
      return invalidArgument(at + "switch " + sw.name + " is defined twice (first on line " +
                             std::to_string(t.switches_[it->second].line) + ")");
    }
    index[sw.name] = static_cast<int>(t.switches_.size());
    t.switches_.push_back(std::move(sw));
    child_names.push_back(std::move(children));
  }
  if (t.switches_.empty()) return invalidArgument(source + ": no SwitchName= line; " + kAllowedKeys);
  TE_RETURN_IF_ERROR(t.link(child_names));
  TE_RETURN_IF_ERROR(t.assignLevels());
  return t;
}

Status Topology::link(const std::vector<std::vector<std::string>>& child_names) {
  std::unordered_map<std::string, int> index;
  for (size_t s = 0; s < switches_.size(); ++s) index[switches_[s].name] = static_cast<int>(s);
  for (size_t s = 0; s < switches_.size(); ++s) {
    const std::string at = source_ + ":" + std::to_string(switches_[s].line) + ": ";
    for (const std::string& name : child_names[s]) {
      auto it = index.find(name);
      if (it == index.end()) return invalidArgument(at + "Switches= names " + shownValue(name, 40) + ", which no SwitchName= line defines");
      TopologySwitch& child = switches_[it->second];
      if (child.parent >= 0 || it->second == static_cast<int>(s)) {
        return invalidArgument(at + "switch " + name + " is already below " +
                               (child.parent >= 0 ? switches_[child.parent].name : name) + "; allowed one parent per switch");
      }
      child.parent = static_cast<int>(s);
      switches_[s].children.push_back(it->second);
    }
  }
  return Status::ok();
}

Status Topology::assignLevels() {
  // Heights from the roots down; a switch no root reaches is in a loop.
  std::vector<bool> reached(switches_.size());
  std::function<int(int)> height = [&](int s) {
    reached[s] = true;
    int h = 0;
    for (int c : switches_[s].children) h = std::max(h, height(c) + 1);
    return switches_[s].level = h;
  };
  for (size_t s = 0; s < switches_.size(); ++s) {
    if (switches_[s].parent < 0) height(static_cast<int>(s));
  }
  for (size_t s = 0; s < switches_.size(); ++s) {
    if (!reached[s]) {
      return invalidArgument(source_ + ":" + std::to_string(switches_[s].line) + ": switch " + switches_[s].name +
                             " is in a loop of Switches= (each switch must have a root above it)");
    }
  }
  for (size_t s = 0; s < switches_.size(); ++s) {
    for (const std::string& host : switches_[s].nodes) {
      auto [it, added] = leaf_of_.emplace(host, static_cast<int>(s));
      if (added || it->second == static_cast<int>(s)) continue;
      const int other = it->second;
      if (isUnder(static_cast<int>(s), other)) it->second = static_cast<int>(s);
      else if (!isUnder(other, static_cast<int>(s))) {
        return invalidArgument(source_ + ":" + std::to_string(switches_[s].line) + ": node " + host +
                               " is also under switch " + switches_[other].name + " (line " +
                               std::to_string(switches_[other].line) + "); allowed one leaf switch per node");
      }
    }
  }
  return Status::ok();
}

int Topology::leafOf(const std::string& host) const {
  auto it = leaf_of_.find(host);
  if (it == leaf_of_.end()) it = leaf_of_.find(host.substr(0, host.find('.')));
  return it == leaf_of_.end() ? -1 : it->second;
}

bool Topology::isUnder(int sw, int ancestor) const {
  for (int s = sw; s >= 0; s = switches_[s].parent) {
    if (s == ancestor) return true;
  }
  return false;
}

int Topology::lowestCommon(int a, int b) const {
  if (a < 0 || b < 0) return -1;
  for (int s = a; s >= 0; s = switches_[s].parent) {
    if (isUnder(b, s)) return s;
  }
  return -1;
}

}  // namespace te::bench
