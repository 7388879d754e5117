// What a transport tells the rest of te_bench about itself, as a NIXL plugin does: its
// options (flag, default, help, what a value may be, JSON name), its capabilities, and hooks
// for what a table cannot say (defaults from the environment, a file that must parse). The
// registry entry of every transport carries one (engine/<name>/<name>_options.cc); the bench
// builds its flags, their checks and the report's echo of them from it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/launcher_env.h"
#include "common/status.h"
#include "engine/transport.h"

namespace te::engine {

// The range of a numeric option: "an integer 1..64", "a number > 0 and <= 1 seconds".
struct OptionRange {
  long double lo = 0, hi = 0;  // long double holds every int64 / uint64 exactly
  bool integer = true;
  bool lo_open = false;        // lo itself is not allowed
  bool hi_open = false;
  const char* note = "";       // after the range: " seconds", " (-1: auto)"
};

// What a size option allows (and the bench's own size flags).
inline constexpr const char* kAllowedSize =
    "a size of at least 1 byte, e.g. 4096, 64K, 1M, 1GiB (units K, M, G, T, KiB, MiB, GiB, TiB)";

// kInteger, kSize: long double; kText, kChoice: the text; kList: the names.
using OptionValue = std::variant<long double, std::string, std::vector<std::string>>;

struct TransportOption {
  enum class Kind {
    kInteger,     // an integer in `range`
    kSize,        // a size with units ("64K"), at least 1 byte
    kText,        // a path, a name: `allowed` says what
    kList,        // comma-separated names
    kChoice,      // one of `choices`
    kReportOnly,  // no flag: a value the transport resolved, shown in the report
  };
  Kind kind = Kind::kText;
  std::string flag;        // "--qps-per-peer"
  std::string json_name;   // "qps_per_peer": its key in the report's object for the transport
  std::string help;        // "verbs: RC QPs per peer and device"
  std::string allowed;     // what a value may be, for errors (kInteger: said by `range`)
  OptionRange range;       // kInteger
  std::vector<std::string> choices;  // kChoice
  bool show_default = false;         // --help prints the default
  std::function<void(TransportConfig&, const OptionValue&)> set;
  std::function<OptionValue(const TransportConfig&)> get;
  std::function<nlohmann::json(const TransportConfig&)> json;
};

struct TransportDescriptor {
  std::vector<TransportOption> options;  // in --help order
  TransportCapabilities capabilities;    // what the transport's capabilities() returns
  bool applies_key_faults = false;       // TE_FAULT_INJECT badrkey / oob act in the transport itself
  // After the flags: what they left unset, from the launcher's environment; paths resolved.
  std::function<void(TransportConfig&, const LauncherEnv&)> finish = {};
  // Checks beyond each option's own range (a file that must parse); OK when none.
  std::function<Status(const TransportConfig&)> validate = {};
  // Why --integrity-check cannot verify what these options move, as "--flag value: why";
  // OK when it can.
  std::function<Status(const TransportConfig&)> integrity_conflict = {};
  // What the options ask of the host a rank runs on (an interface it must have), checked on
  // every rank before anything is allocated; `host` names it in the error. OK when nothing.
  std::function<Status(const TransportConfig&, const std::string& host)> check_host = {};
};

// Builds a transport's option list from members of its options struct `Options`.
template <typename Options>
class OptionList {
  using Kind = TransportOption::Kind;

 public:
  template <typename T>
  OptionList& integer(std::string flag, T Options::*member, std::string json_name, std::string help, long double lo,
                      long double hi, const char* note = "", bool show_default = true) {
    TransportOption& o = add(Kind::kInteger, std::move(flag), std::move(json_name), std::move(help), member);
    o.range = {lo, hi, true, false, false, note};
    o.show_default = show_default;
    o.set = [member](TransportConfig& c, const OptionValue& v) {
      c.options<Options>().*member = static_cast<T>(std::get<long double>(v));
    };
    o.get = [member](const TransportConfig& c) -> OptionValue { return static_cast<long double>(c.options<Options>().*member); };
    return *this;
  }
  OptionList& size(std::string flag, uint64_t Options::*member, std::string json_name, std::string help) {
    TransportOption& o = add(Kind::kSize, std::move(flag), std::move(json_name), std::move(help), member);
    o.allowed = kAllowedSize;
    o.set = [member](TransportConfig& c, const OptionValue& v) {
      c.options<Options>().*member = static_cast<uint64_t>(std::get<long double>(v));
    };
    o.get = [member](const TransportConfig& c) -> OptionValue { return static_cast<long double>(c.options<Options>().*member); };
    return *this;
  }
  template <typename T>  // std::string (kText) or std::vector<std::string> (kList)
  OptionList& text(std::string flag, T Options::*member, std::string json_name, std::string help, std::string allowed) {
    const Kind kind = std::is_same_v<T, std::string> ? Kind::kText : Kind::kList;
    TransportOption& o = add(kind, std::move(flag), std::move(json_name), std::move(help), member);
    o.allowed = std::move(allowed);
    o.set = [member](TransportConfig& c, const OptionValue& v) { c.options<Options>().*member = std::get<T>(v); };
    o.get = [member](const TransportConfig& c) -> OptionValue { return c.options<Options>().*member; };
    return *this;
  }
  // A switch written as a word: `when_true` sets the member, `when_false` clears it. The
  // report shows the member (true / false); echoAsText() makes it show the word.
  OptionList& choice(std::string flag, bool Options::*member, std::string json_name, std::string help,
                     std::string when_true, std::string when_false) {
    TransportOption& o = add(Kind::kChoice, std::move(flag), std::move(json_name), std::move(help), member);
    o.choices = {when_true, when_false};
    o.allowed = "values are " + when_true + ", " + when_false;
    o.show_default = true;
    o.set = [member, when_true](TransportConfig& c, const OptionValue& v) {
      c.options<Options>().*member = std::get<std::string>(v) == when_true;
    };
    o.get = [member, when_true, when_false](const TransportConfig& c) -> OptionValue {
      return c.options<Options>().*member ? when_true : when_false;
    };
    return *this;
  }
  OptionList& echoAsText() {
    auto get = list_.back().get;
    list_.back().json = [get](const TransportConfig& c) { return nlohmann::json(std::get<std::string>(get(c))); };
    return *this;
  }
  // The flag, when given, also writes `word` into `from` (so the report can say who set it:
  // the flag, or an environment variable that finish() read).
  OptionList& recordsSource(std::string Options::*from, std::string word) {
    auto set = list_.back().set;
    list_.back().set = [set, from, word](TransportConfig& c, const OptionValue& v) {
      set(c, v);
      c.options<Options>().*from = word;
    };
    return *this;
  }
  OptionList& reportOnly(std::string json_name, std::string Options::*member) {
    add(Kind::kReportOnly, "", std::move(json_name), "", member);
    return *this;
  }
  std::vector<TransportOption> done() { return std::move(list_); }

 private:
  template <typename T>
  TransportOption& add(Kind kind, std::string flag, std::string json_name, std::string help, T Options::*member) {
    TransportOption& o = list_.emplace_back();
    o.kind = kind;
    o.flag = std::move(flag);
    o.json_name = std::move(json_name);
    o.help = std::move(help);
    o.json = [member](const TransportConfig& c) { return nlohmann::json(c.options<Options>().*member); };
    return o;
  }

  std::vector<TransportOption> list_;
};

}  // namespace te::engine
