// The transports' option descriptors (engine/<name>/<name>_options.cc) and what the bench
// builds from them: flags, their checks, the JSON echo. Every registered transport, built in
// or not, so a flags file fits every build.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "bench/cli/config.h"
#include "bench/cli/config_flags.h"
#include "engine/fault/fault_transport.h"
#include "engine/tcp/tcp_options.h"
#include "engine/transport_registry.h"
#include "engine/ucx/ucx_options.h"
#include "engine/verbs/verbs_options.h"

namespace te::bench {
namespace {

using Kind = engine::TransportOption::Kind;

BenchConfig parsed(std::vector<const char*> args) {
  args.insert(args.begin(), "te_bench");
  BenchConfig config;
  ParseResult r = parseCommandLine(static_cast<int>(args.size()), args.data(), &config);
  EXPECT_EQ(r.outcome, ParseOutcome::kRun) << r.error.message();
  return config;
}

TEST(TransportOptions, EveryTransportOfTheTreeIsRegisteredBuiltOrNot) {
  std::set<std::string> names;
  for (const auto& t : engine::registeredTransports()) names.insert(t.name);
  EXPECT_EQ(names, (std::set<std::string>{"verbs", "ucx", "tcp"}));
  for (const auto& t : engine::builtinTransports()) EXPECT_TRUE(t.built()) << t.name;
  EXPECT_TRUE(engine::findTransport("tcp"));  // always built
}

// Each option names its transport in its help, says what it allows, and is a flag of te_bench
// with the same range / allowed text as the descriptor.
TEST(TransportOptions, EveryDescriptorIsAFlagThatSaysWhatItAllows) {
  std::set<std::string> flags;
  for (const FlagInfo& f : listFlags()) flags.insert(f.name);
  for (const auto& t : engine::registeredTransports()) {
    std::set<std::string> json_names;
    for (const engine::TransportOption& o : t.descriptor().options) {
      EXPECT_TRUE(json_names.insert(o.json_name).second) << t.name << " " << o.json_name;
      if (o.kind == Kind::kReportOnly) continue;
      EXPECT_TRUE(flags.count(o.flag)) << o.flag;
      EXPECT_EQ(o.help.rfind(t.name + ": ", 0), 0u) << o.flag;
      if (o.kind == Kind::kInteger) {
        ASSERT_NE(numberRange(o.flag), nullptr) << o.flag;
        EXPECT_EQ(numberRange(o.flag), &o.range);
      } else {
        EXPECT_EQ(numberRange(o.flag), nullptr) << o.flag;
        EXPECT_FALSE(o.allowed.empty()) << o.flag;
        EXPECT_EQ(allowedValues(o.flag), o.allowed);
      }
    }
  }
}

// Defaults, flags and the JSON echo meet in the options struct of the transport.
TEST(TransportOptions, FlagsFillTheTransportsOptionsAndTheReportEchoesThem) {
  BenchConfig c = parsed({"--qps-per-peer", "8", "--devices", "mlx5_0,mlx5_1", "--slice-size", "1M",
                          "--ucx-alloc", "off", "--tcp-max-inflight", "17", "--tcp-interface", "lo"});
  const auto& v = c.transport_config.options<engine::verbs::VerbsOptions>();
  EXPECT_EQ(v.qps_per_peer, 8);
  EXPECT_EQ(v.devices, (std::vector<std::string>{"mlx5_0", "mlx5_1"}));
  EXPECT_EQ(v.slice_size, 1u << 20);
  EXPECT_EQ(v.max_wr, 256);  // untouched: its default
  EXPECT_FALSE(c.transport_config.options<engine::ucx::UcxOptions>().allocate);
  EXPECT_EQ(c.transport_config.options<engine::tcp::TcpOptions>().max_inflight, 17u);
  EXPECT_EQ(c.transport_config.options<engine::tcp::TcpOptions>().interface, "lo");
  nlohmann::json j = configToJson(c);
  EXPECT_EQ(j["verbs"]["qps_per_peer"], 8);
  EXPECT_EQ(j["verbs"]["devices"], nlohmann::json({"mlx5_0", "mlx5_1"}));
  EXPECT_EQ(j["verbs"]["slice_size"], 1u << 20);
  EXPECT_EQ(j["ucx"]["allocate"], false);
  EXPECT_EQ(j["ucx"]["write_completion"], "remote");
  EXPECT_EQ(j["tcp"]["max_inflight"], 17);
  for (const auto& t : engine::registeredTransports()) {
    ASSERT_TRUE(j.contains(t.name)) << t.name;
    EXPECT_EQ(j[t.name].size(), t.descriptor().options.size()) << t.name;
    for (const engine::TransportOption& o : t.descriptor().options) {
      EXPECT_EQ(j[t.name][o.json_name], o.json(c.transport_config)) << o.json_name;
    }
  }
}

// A config built in code skipped the parser: validateConfig checks it against the descriptors.
TEST(TransportOptions, ValidationOfACodeBuiltConfigUsesTheDescriptors) {
  BenchConfig c = parsed({});
  c.transport_config.options<engine::verbs::VerbsOptions>().qps_per_peer = 0;
  EXPECT_EQ(validateConfig(c).message(), "--qps-per-peer 0: allowed an integer 1..64");
  c = parsed({});
  c.transport_config.options<engine::ucx::UcxOptions>().fragment_size = 0;
  EXPECT_EQ(validateConfig(c).message(), std::string("--ucx-fragment-size 0: allowed ") + engine::kAllowedSize);
  c = parsed({});
  c.transport_config.options<engine::tcp::TcpOptions>().service_threads = 257;
  EXPECT_EQ(validateConfig(c).message(), "--tcp-service-threads 257: allowed an integer 0..256 (0: one per worker)");
  c = parsed({"--integrity-check"});
  c.transport_config.options<engine::ucx::UcxOptions>().remote_write_completion = false;
  EXPECT_EQ(validateConfig(c).message().rfind("--integrity-check with --ucx-write-completion local: ", 0), 0u);
}

// Capabilities come from the registry entry: who applies key faults, what memory each moves.
TEST(TransportOptions, CapabilitiesAreTheRegistryEntrys) {
  const engine::TransportInfo* verbs = engine::findRegisteredTransport("verbs");
  const engine::TransportInfo* tcp = engine::findRegisteredTransport("tcp");
  ASSERT_TRUE(verbs && tcp);
  EXPECT_TRUE(verbs->descriptor().applies_key_faults);
  EXPECT_FALSE(tcp->descriptor().applies_key_faults);
  EXPECT_TRUE(tcp->descriptor().capabilities.vram);  // staged through host memory
  EXPECT_FALSE(engine::findRegisteredTransport("ucx")->descriptor().capabilities.vram);
  auto rules = engine::parseFaultSpec("badrkey:0->1");
  ASSERT_TRUE(rules.isOk());
  EXPECT_TRUE(engine::checkFaultRulesFor(*rules, "verbs").isOk());
  EXPECT_EQ(engine::checkFaultRulesFor(*rules, "tcp").message(),
            "TE_FAULT_INJECT: badrkey rules act only in the verbs transport, not in tcp");
}

// What the options need of a rank's host is the transport's to say (check_host): an
// interface this host lacks is a flag mistake naming the flag, the value, the host and the
// interfaces it has.
TEST(TransportOptions, TheHostCheckIsTheTransportsOwn) {
  const engine::TransportDescriptor& tcp = engine::tcp::descriptor();
  ASSERT_TRUE(tcp.check_host);
  BenchConfig c = parsed({"--tcp-interface", "lo"});
  EXPECT_TRUE(tcp.check_host(c.transport_config, "node7").isOk());
  c = parsed({"--tcp-interface", "nonexistent0"});
  Status s = tcp.check_host(c.transport_config, "node7");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--tcp-interface nonexistent0: no such interface on node7; allowed one of "),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("lo"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace te::bench
