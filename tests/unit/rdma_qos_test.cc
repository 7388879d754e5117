// --traffic-class, --service-level, --mtu: flags, their defaults from the environment (MC_*
// before NCCL_*), who set each, the report's echo, and bad values (flag or variable) refused
// with one line naming it.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "bench/cli/config.h"
#include "common/launcher_env.h"
#include "engine/rdma_qos.h"
#include "engine/ucx/ucx_options.h"
#include "engine/verbs/verbs_options.h"

namespace te::bench {
namespace {

using engine::RdmaQosOptions;

ParseResult parse(std::vector<const char*> args, BenchConfig* config) {
  args.insert(args.begin(), "te_bench");
  return parseCommandLine(static_cast<int>(args.size()), args.data(), config);
}

BenchConfig parsed(std::vector<const char*> args) {
  BenchConfig config;
  ParseResult r = parse(std::move(args), &config);
  EXPECT_EQ(r.outcome, ParseOutcome::kRun) << r.error.message();
  return config;
}

// The config after the flags, finished again with this environment (the test process's own
// has none of these variables).
BenchConfig withEnvironment(std::vector<const char*> args, std::vector<const char*> env) {
  BenchConfig c = parsed(std::move(args));
  env.push_back(nullptr);
  const LauncherEnv e = parseLauncherEnv(env.data(), "node1");
  engine::verbs::descriptor().finish(c.transport_config, e);
  return c;
}

const RdmaQosOptions& qos(const BenchConfig& c) { return c.transport_config.options<RdmaQosOptions>(); }

// The transport-level checks of the options (validateConfig also wants a launcher).
Status checked(const BenchConfig& c) { return engine::verbs::descriptor().validate(c.transport_config); }

TEST(RdmaQos, DefaultsAreZeroAndNoCap) {
  BenchConfig c = withEnvironment({}, {});
  EXPECT_EQ(qos(c).traffic_class, 0);
  EXPECT_EQ(qos(c).service_level, 0);
  EXPECT_EQ(qos(c).mtu, 4096);
  EXPECT_EQ(qos(c).traffic_class_from, "default");
  EXPECT_EQ(qos(c).service_level_from, "default");
  EXPECT_EQ(qos(c).mtu_from, "default");
  EXPECT_TRUE(checked(c).isOk());
}

TEST(RdmaQos, FlagsSetTheValuesAndTheReportEchoesThemWithTheirSource) {
  BenchConfig c = parsed({"--traffic-class", "106", "--service-level", "3", "--mtu", "1024"});
  EXPECT_EQ(qos(c).traffic_class, 106);
  EXPECT_EQ(qos(c).service_level, 3);
  EXPECT_EQ(qos(c).mtu, 1024);
  EXPECT_EQ(qos(c).traffic_class_from, "flag");
  EXPECT_EQ(qos(c).mtu_from, "flag");
  nlohmann::json j = configToJson(c);
  EXPECT_EQ(j["verbs"]["traffic_class"], 106);
  EXPECT_EQ(j["verbs"]["traffic_class_from"], "flag");
  EXPECT_EQ(j["verbs"]["service_level"], 3);
  EXPECT_EQ(j["verbs"]["service_level_from"], "flag");
  EXPECT_EQ(j["verbs"]["mtu"], 1024);
  EXPECT_EQ(j["verbs"]["mtu_from"], "flag");
}

TEST(RdmaQos, MooncakesVariablesComeBeforeNccls) {
  BenchConfig c = withEnvironment({}, {"MC_IB_TC=96", "NCCL_IB_TC=106", "NCCL_IB_SL=5", "MC_MTU=2048"});
  EXPECT_EQ(qos(c).traffic_class, 96);
  EXPECT_EQ(qos(c).traffic_class_from, "MC_IB_TC");
  EXPECT_EQ(qos(c).service_level, 5);
  EXPECT_EQ(qos(c).service_level_from, "NCCL_IB_SL");
  EXPECT_EQ(qos(c).mtu, 2048);
  EXPECT_EQ(qos(c).mtu_from, "MC_MTU");
  EXPECT_TRUE(checked(c).isOk());
  // An empty variable is not set.
  c = withEnvironment({}, {"MC_IB_SL=", "NCCL_IB_SL=7"});
  EXPECT_EQ(qos(c).service_level, 7);
  EXPECT_EQ(qos(c).service_level_from, "NCCL_IB_SL");
}

TEST(RdmaQos, AFlagBeatsTheEnvironmentEvenABadValueThere) {
  BenchConfig c = withEnvironment({"--traffic-class", "0", "--mtu", "512"}, {"MC_IB_TC=abc", "MC_MTU=9000"});
  EXPECT_EQ(qos(c).traffic_class, 0);
  EXPECT_EQ(qos(c).traffic_class_from, "flag");
  EXPECT_EQ(qos(c).mtu, 512);
  EXPECT_TRUE(checked(c).isOk()) << checked(c).message();
}

TEST(RdmaQos, ABadVariableIsOneLineNamingItTheValueAndWhatIsAllowed) {
  struct Case {
    const char* env;
    std::string says;
  };
  for (const Case& k : std::vector<Case>{
           {"MC_IB_TC=256", "MC_IB_TC=256: allowed an integer 0..255 (the traffic class, as --traffic-class)"},
           {"NCCL_IB_TC=0x6a", "NCCL_IB_TC=0x6a: allowed an integer 0..255 (the traffic class, as --traffic-class)"},
           {"MC_IB_SL=16", "MC_IB_SL=16: allowed an integer 0..15 (the service level, as --service-level)"},
           {"NCCL_IB_SL=-1", "NCCL_IB_SL=-1: allowed an integer 0..15 (the service level, as --service-level)"},
           {"MC_MTU=256", "MC_MTU=256: allowed 512, 1024, 2048 or 4096 (the path MTU cap, as --mtu)"},
           {"MC_MTU=1500", "MC_MTU=1500: allowed 512, 1024, 2048 or 4096 (the path MTU cap, as --mtu)"},
       }) {
    BenchConfig c = withEnvironment({}, {k.env});
    EXPECT_EQ(validateConfig(c).message(), k.says);  // before the launcher is looked for
    Status s = checked(c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << k.env;
    EXPECT_EQ(s.message(), k.says);
  }
  // The variable that is not used is not checked: MC_IB_TC decides.
  EXPECT_TRUE(checked(withEnvironment({}, {"MC_IB_TC=3", "NCCL_IB_TC=x"})).isOk());
}

TEST(RdmaQos, BadFlagsAreRefusedWithWhatIsAllowed) {
  struct Case {
    std::vector<const char*> args;
    std::string says;
  };
  const std::string mtu = "allowed an integer 256..4096 that is a power of two: 256, 512, 1024, 2048 or 4096";
  for (const Case& k : std::vector<Case>{
           {{"--traffic-class", "256"}, "--traffic-class 256: allowed an integer 0..255"},
           {{"--traffic-class", "-1"}, "--traffic-class -1: allowed an integer 0..255"},
           {{"--service-level", "16"}, "--service-level 16: allowed an integer 0..15"},
           {{"--mtu", "128"}, "--mtu 128: " + mtu},
           {{"--mtu", "8192"}, "--mtu 8192: " + mtu},
           {{"--mtu", "1500"}, "--mtu 1500: " + mtu},
       }) {
    BenchConfig c;
    ParseResult r = parse(k.args, &c);
    Status s = r.outcome == ParseOutcome::kError ? r.error : validateConfig(c);
    EXPECT_EQ(s.message(), k.says) << k.args[0] << " " << k.args[1];
  }
}

// UCX keeps a UCX_IB_* setting the user made: its finish records them.
TEST(RdmaQos, UcxRecordsTheUsersOwnIbSettings) {
  BenchConfig c = parsed({});
  std::vector<const char*> env = {"UCX_IB_SL=4", "UCX_IB_TRAFFIC_CLASS=96", "UCX_TLS=rc", nullptr};
  engine::ucx::descriptor().finish(c.transport_config, parseLauncherEnv(env.data(), "node1"));
  const auto& ib = c.transport_config.options<engine::ucx::UcxOptions>().ib_env;
  EXPECT_EQ(ib, (std::map<std::string, std::string>{{"UCX_IB_SL", "4"}, {"UCX_IB_TRAFFIC_CLASS", "96"}}));
}

}  // namespace
}  // namespace te::bench
