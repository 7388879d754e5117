#include "bench/cli/config.h"
#include "bench/cli/config_flags.h"
#include "bench/cli/time_budget.h"
#include "engine/ucx/ucx_options.h"
#include "engine/verbs/verbs_options.h"
#include "support/parse_args.h"

#include <gtest/gtest.h>

#include <vector>

namespace te::bench {
namespace {

using testing::Parsed;
Parsed parse(std::vector<const char*> args) { return testing::parseArgs(std::move(args)); }
// Parses and validates; returns the first error message or "".
std::string errorOf(std::vector<const char*> args) { return testing::argsError(std::move(args)); }

TEST(Config, DefaultsMatchTheDocumentation) {
  Parsed p = parse({});
  ASSERT_EQ(p.result.outcome, ParseOutcome::kRun);
  EXPECT_EQ(p.config.transport, "auto");
  EXPECT_EQ(p.config.operation, Workload::kWrite);
  EXPECT_EQ(p.config.block_size, 65536u);
  EXPECT_EQ(p.config.batch_size, 128u);
  EXPECT_EQ(p.config.threads, 4);
  EXPECT_EQ(p.config.buffer_size, 1ull << 30);
  EXPECT_DOUBLE_EQ(p.config.duration, 2.0);
  EXPECT_EQ(p.config.schedule, "pairs");
  EXPECT_EQ(p.config.transport_config.num_workers, 4);
  // Without a launcher in the environment the bootstrap must be named.
  Parsed named = parse({"--bootstrap", "mpi"});
  EXPECT_TRUE(validateConfig(named.config).isOk()) << validateConfig(named.config).message();
  EXPECT_EQ(p.config.on_failure, "stop");
  Parsed going_on = parse({"--on-failure", "continue", "--bootstrap", "redis://127.0.0.1:6379", "--rank", "0",
                           "--size", "2", "--job-id", "j"});
  EXPECT_TRUE(validateConfig(going_on.config).isOk()) << validateConfig(going_on.config).message();
}

TEST(Config, ParsesUnitsAndMooncakeSpellings) {
  Parsed p = parse({"--block_size", "1M", "--buffer_size", "2GiB", "--batch_size", "32", "--threads", "2",
                    "--operation", "read", "--duration", "0.5", "--transport", "tcp", "--report-unit", "Gb"});
  ASSERT_EQ(p.result.outcome, ParseOutcome::kRun) << p.result.error.message();
  EXPECT_EQ(p.config.block_size, 1u << 20);
  EXPECT_EQ(p.config.buffer_size, 2ull << 30);
  EXPECT_EQ(p.config.batch_size, 32u);
  EXPECT_EQ(p.config.threads, 2);
  EXPECT_EQ(p.config.operation, Workload::kRead);
  EXPECT_EQ(p.config.report_unit, RateUnit::kGb);
  EXPECT_EQ(p.config.transport_config.num_workers, 2);
  Parsed q = parse({"--block-size", "64K", "--buffer-size", "64M"});
  EXPECT_EQ(q.config.block_size, 65536u);
  EXPECT_EQ(q.config.buffer_size, 64u << 20);
}

TEST(Config, BadValuesNameTheFlagTheValueAndWhatIsAllowed) {
  struct Case {
    std::vector<const char*> args;
    std::vector<std::string> must_contain;
  };
  const std::vector<Case> cases = {
      {{"--transport", "carrier-pigeon"}, {"--transport", "carrier-pigeon", "tcp"}},
      {{"--operation", "copy"}, {"--operation", "copy", "read, write, mix"}},
      {{"--on-failure", "ignore"}, {"--on-failure", "ignore", "stop, continue"}},
      {{"--on-failure", "continue", "--bootstrap", "mpi"}, {"--on-failure continue", "etcd://", "redis://"}},
      {{"--block-size", "0"}, {"--block-size", "0"}},
      {{"--block-size", "2G", "--buffer-size", "1G"}, {"--block-size", "larger than half of --buffer-size"}},
      {{"--block-size", "12Q"}, {"--block-size", "12Q"}},
      {{"--batch-size", "0"}, {"--batch-size", "0", "1..65536"}},
      {{"--threads", "0"}, {"--threads", "0"}},
      {{"--batches-in-flight", "0"}, {"--batches-in-flight", "0", "1..16"}},
      {{"--batches-in-flight", "17"}, {"--batches-in-flight", "17", "1..16"}},
      {{"--threads", "128", "--batches-in-flight", "16"}, {"--threads 128", "--batches-in-flight 16", "1024"}},
      {{"--operation", "mix", "--integrity-check", "--buffer-size", "4M", "--block-size", "64K", "--threads", "1",
        "--batch-size", "16", "--batches-in-flight", "3"},
       {"--batch-size 16", "--batches-in-flight 3", "32 blocks"}},
      {{"--duration", "-1"}, {"--duration"}},
      {{"--duration", "0"}, {"--duration"}},
      {{"--schedule", "random"}, {"--schedule", "random", "pairs, shift"}},
      {{"--block-size", "4K:1K"}, {"--block-size", "4K:1K"}},
      {{"--pairs", "0:0"}, {"--pairs", "0:0"}},
      {{"--pairs", "1-2"}, {"--pairs", "1-2"}},
      {{"--expect", "fast"}, {"--expect", "fast"}},
      {{"--threshold", "1.5"}, {"--threshold"}},
      {{"--read-ratio", "2"}, {"--read-ratio"}},
      {{"--progress", "sometimes"}, {"--progress", "sometimes"}},
      {{"--metrics-links", "everything"}, {"--metrics-links", "everything", "flagged, all"}},
      {{"--metrics", ""}, {"--metrics", "a path to a file to write"}},
      {{"--max-retests", "-1"}, {"--max-retests -1", "0..2147483647"}},
      {{"--transport", "tcp,bogus"}, {"--transport", "bogus"}},
      {{"--report-unit", "MB"}, {"--report-unit", "MB", "GB, GiB, Gb"}},
      {{"--log-level", "loud"}, {"--log-level", "loud"}},
      {{"--no-such-flag"}, {"--no-such-flag"}},
      {{"--bootstrap", "zookeeper://x"}, {"--bootstrap", "zookeeper://x"}},
      {{"--qps-per-peer", "0"}, {"--qps-per-peer", "0"}},
  };
  for (const Case& c : cases) {
    std::string err = errorOf(c.args);
    ASSERT_FALSE(err.empty()) << c.args[0];
    EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << err;
    for (const std::string& part : c.must_contain) {
      EXPECT_NE(err.find(part), std::string::npos) << "'" << err << "' should mention '" << part << "'";
    }
  }
}

TEST(Config, SizeSweepsRatesPairsAndMix) {
  Parsed p = parse({"--block-size", "4K:64K", "--operation", "mix", "--read-ratio", "0.25", "--pairs", "0:3,2:1",
                    "--expect", "23GB/s", "--transport", "tcp", "--buffer-size", "1M", "--bootstrap", "mpi"});
  ASSERT_EQ(p.result.outcome, ParseOutcome::kRun) << p.result.error.message();
  EXPECT_EQ(p.config.block_sizes, (std::vector<uint64_t>{4096, 8192, 16384, 32768, 65536}));
  EXPECT_EQ(p.config.block_size, 65536u);
  EXPECT_EQ(p.config.operation, Workload::kMix);
  EXPECT_DOUBLE_EQ(p.config.read_ratio, 0.25);
  EXPECT_EQ(p.config.pairs, (std::vector<std::pair<int, int>>{{0, 3}, {2, 1}}));
  EXPECT_DOUBLE_EQ(*p.config.expect_bytes_per_second, 23e9);
  EXPECT_TRUE(validateConfig(p.config).isOk());
  EXPECT_EQ(*parseBlockSizes("4K,1M"), (std::vector<uint64_t>{4096, 1 << 20}));
  EXPECT_DOUBLE_EQ(*parseRate("200Gb/s"), 25e9);
  EXPECT_DOUBLE_EQ(*parseRate("1.5GiB/s"), 1.5 * (1ull << 30));
  EXPECT_FALSE(parseRate("12 parsecs").isOk());
  Parsed last = parse({"--threads", "2", "--threads", "3"});
  EXPECT_EQ(last.config.threads, 3) << "a repeated flag takes the last value";
}

TEST(Config, NeedsTwoRanksForPairs) {
  Parsed p = parse({});
  Status s = validateForWorld(p.config, 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("at least 2 ranks"), std::string::npos);
  EXPECT_TRUE(validateForWorld(p.config, 2).isOk());
}

TEST(Config, HelpAndVersionExitCleanly) {
  Parsed help = parse({"--help"});
  EXPECT_EQ(help.result.outcome, ParseOutcome::kExitOk);
  EXPECT_NE(help.result.output.find("--block-size"), std::string::npos);
  Parsed version = parse({"--version"});
  EXPECT_EQ(version.result.outcome, ParseOutcome::kExitOk);
  EXPECT_NE(version.result.output.find("te_bench"), std::string::npos);
}

TEST(Config, JsonEchoesEveryEffectiveOption) {
  Parsed p = parse({"--block-size", "1M", "--threads", "3"});
  nlohmann::json j = configToJson(p.config);
  EXPECT_EQ(j["block_size"], 1u << 20);
  EXPECT_EQ(j["threads"], 3);
  EXPECT_EQ(j["batches_in_flight"], 2);
  for (const char* key : {"transport", "operation", "batch_size", "buffer_size", "duration", "warmup", "schedule",
                          "report_unit", "timeout", "tcp", "verbs", "ucx", "bootstrap"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

}  // namespace
}  // namespace te::bench

namespace te::bench {
namespace {

TEST(Config, MemoryKindsPerSideAndGpu) {
  Parsed d = parse({});
  EXPECT_EQ(d.config.initiator_memory, engine::MemoryKind::kDram);
  EXPECT_EQ(d.config.target_memory, engine::MemoryKind::kDram);
  EXPECT_EQ(d.config.gpu_id, -1);
  Parsed v = parse({"--memory", "vram", "--gpu-id", "3"});
  ASSERT_EQ(v.result.outcome, ParseOutcome::kRun);
  EXPECT_EQ(v.config.initiator_memory, engine::MemoryKind::kVram);
  EXPECT_EQ(v.config.target_memory, engine::MemoryKind::kVram);
  EXPECT_EQ(v.config.gpu_id, 3);
  Parsed m = parse({"--memory", "vram", "--initiator-memory", "dram"});
  EXPECT_EQ(m.config.initiator_memory, engine::MemoryKind::kDram);
  EXPECT_EQ(m.config.target_memory, engine::MemoryKind::kVram);
  Parsed mooncake = parse({"--use_vram", "--gpu_id", "auto"});
  EXPECT_EQ(mooncake.config.target_memory, engine::MemoryKind::kVram);
  EXPECT_EQ(mooncake.config.gpu_id, -1);
  nlohmann::json j = configToJson(m.config);
  EXPECT_EQ(j["initiator_memory"], "dram");
  EXPECT_EQ(j["target_memory"], "vram");
  EXPECT_EQ(j["gpu_id"], "auto");
}

TEST(Config, BadMemoryFlagsNameTheFlagAndTheAllowedValues) {
  EXPECT_EQ(errorOf({"--memory", "hbm"}), "--memory hbm: allowed values are dram, vram");
  EXPECT_EQ(errorOf({"--target-memory", "gpu"}), "--target-memory gpu: allowed values are dram, vram");
  EXPECT_EQ(errorOf({"--gpu-id", "x"}), "--gpu-id x: allowed a GPU ordinal 0..1023 or auto");
  EXPECT_EQ(errorOf({"--gpu-id", "-2"}), "--gpu-id -2: allowed a GPU ordinal 0..1023 or auto");
  EXPECT_EQ(errorOf({"--ucx-alloc", "maybe"}), "--ucx-alloc maybe: allowed values are on, off");
}

TEST(Config, UcxWritesCompleteRemotelyUnlessToldAndLocalOnesCannotBeVerified) {
  EXPECT_TRUE(parse({}).config.transport_config.options<engine::ucx::UcxOptions>().remote_write_completion);
  Parsed local = parse({"--ucx-write-completion", "local"});
  EXPECT_FALSE(local.config.transport_config.options<engine::ucx::UcxOptions>().remote_write_completion);
  EXPECT_EQ(configToJson(local.config)["ucx"]["write_completion"], "local");
  EXPECT_EQ(configToJson(parse({}).config)["ucx"]["write_completion"], "remote");
  EXPECT_EQ(errorOf({"--ucx-write-completion", "eventual"}),
            "--ucx-write-completion eventual: allowed values are remote, local");
  EXPECT_NE(errorOf({"--ucx-write-completion", "local", "--integrity-check"}).find("cannot be verified"),
            std::string::npos);
}

TEST(Config, UcxAllocationIsOnByDefaultAndCanBeTurnedOff) {
  EXPECT_TRUE(parse({}).config.transport_config.options<engine::ucx::UcxOptions>().allocate);
  Parsed off = parse({"--ucx-alloc", "off"});
  EXPECT_FALSE(off.config.transport_config.options<engine::ucx::UcxOptions>().allocate);
  EXPECT_EQ(configToJson(off.config)["ucx"]["allocate"], false);
}

// --topo-file wins over NCCL's own setting and says so; off turns every source off. (The
// environment and /etc/nccl.conf sources are read by launcherEnv / ncclConfTopoFile, tested
// with the topology.)
TEST(Config, TopoFileFlagIsNamedAsItsSourceAndOffMeansNone) {
  Parsed named = parse({"--topo-file", "/opt/microsoft/ndv5-topo.xml"});
  const auto& v = named.config.transport_config.options<engine::verbs::VerbsOptions>();
  EXPECT_EQ(v.topo_file, "/opt/microsoft/ndv5-topo.xml");
  EXPECT_EQ(v.topo_file_from, "--topo-file");
  EXPECT_EQ(configToJson(named.config)["verbs"]["topo_file"], "/opt/microsoft/ndv5-topo.xml");
  EXPECT_EQ(errorOf({"--topo-file", "/nonexistent/topo.xml"}), "--topo-file /nonexistent/topo.xml: cannot read the file; allowed an NCCL topology XML file, or off");
  EXPECT_EQ(errorOf({"--topo-file", TE_FIXTURE_DIR "/nccl_topo/azure_ndv5_like.xml"}).find("topo"), std::string::npos);
  EXPECT_NE(errorOf({"--topo-file", TE_FIXTURE_DIR "/verbs_nic_priority_matrix.json"}).find("not NCCL topology XML"),
            std::string::npos);
  Parsed off = parse({"--topo-file", "off"});
  EXPECT_EQ(off.config.transport_config.options<engine::verbs::VerbsOptions>().topo_file, "");
  EXPECT_EQ(off.config.transport_config.options<engine::verbs::VerbsOptions>().topo_file_from, "");
}

}  // namespace
}  // namespace te::bench

namespace te::bench {
namespace {

// The inputs the CLI fuzzing of issue 18 found accepted, wrapped or echoed wrongly.
TEST(Config, FuzzFindingsAreRefusedNamingTheFlagTheValueAndTheRange) {
  const std::vector<std::pair<std::vector<const char*>, std::string>> cases = {
      {{"--iterations", "-1"}, "--iterations -1: allowed an integer 0..1000000000000"},
      {{"--seed", "-1"}, "--seed -1: allowed an integer 0..18446744073709551615"},
      {{"--bootstrap-timeout", "-1"}, "--bootstrap-timeout -1: allowed a number from 1 to 86400 seconds"},
      {{"--pairs", ":1"}, "--pairs :1: ':1' is not allowed; allowed INITIATOR:TARGET"},
      {{"--pairs", "0:99999999999"}, "--pairs 0:99999999999: "},
      {{"--warmup", ""}, "--warmup '': allowed a number from 0 to 3600 seconds"},
      {{"--read-ratio", ""}, "--read-ratio '': allowed a number from 0 to 1"},
      {{"--max-retests", ""}, "--max-retests '': allowed an integer 0..2147483647"},
      {{"--numa-node", ""}, "--numa-node '': allowed an integer -1..1023"},
      {{"--gid-index", ""}, "--gid-index '': allowed an integer -1..255"},
      {{"--ib-timeout", "32"}, "--ib-timeout 32: allowed an integer 0..31"},
      {{"--ib-timeout", "-1"}, "--ib-timeout -1: allowed an integer 0..31"},
      {{"--pkey-index", "-2"}, "--pkey-index -2: allowed an integer -1..65535"},
      {{"--pkey-index", "65536"}, "--pkey-index 65536: allowed an integer -1..65535"},
      {{"--iterations", ""}, "--iterations '': allowed"},
      {{"--seed", ""}, "--seed '': allowed"},
      {{"--root", ""}, "--root '': allowed an integer 0..1048575"},
      {{"--transport", ""}, "--transport '': allowed auto, all, or a list of "},
      {{"--timeout", "0.5"}, "--timeout 0.5: allowed a number from 1 to 86400 seconds"},
      {{"--batch-size", "-1"}, "--batch-size -1: allowed an integer 1..65536"},
      {{"--threads", ""}, "--threads '': allowed an integer 1..256"},
      {{"--threads", "99999999999999999999"}, "--threads 99999999999999999999: allowed an integer 1..256"},
      {{"--duration", "nan"}, "--duration nan: allowed a number > 0 and <= 86400 seconds"},
      {{"--threshold", "1"}, "--threshold 1: allowed a number > 0 and < 1"},
      {{"--rank", "-1"}, "--rank -1: allowed an integer 0..1048575"},
      {{"--json", ""}, "--json '': allowed a path to a file to write"},
      {{"--threads"}, "--threads: no value given; allowed an integer 1..256"},
  };
  for (const auto& [args, says] : cases) {
    EXPECT_EQ(errorOf(args).rfind(says, 0), 0u) << "'" << errorOf(args) << "' should start with '" << says << "'";
  }
  // A long value is cut in the message, not echoed whole.
  const std::string huge(10000, '7');
  std::string err = errorOf({"--threads", huge.c_str()});
  EXPECT_EQ(err, "--threads " + huge.substr(0, 64) + "...: allowed an integer 1..256");
  err = errorOf({"--schedule", huge.c_str()});
  EXPECT_LT(err.size(), 260u) << err;  // the value cut to 64 characters, then the allowed names
  // Values in range still parse, to their exact value.
  Parsed p = parse({"--seed", "18446744073709551615", "--iterations", "10", "--numa-node", "-1", "--warmup", "0",
                    "--pairs", "0:1048575", "--timeout", "1"});
  ASSERT_EQ(p.result.outcome, ParseOutcome::kRun) << p.result.error.message();
  EXPECT_EQ(p.config.seed, UINT64_MAX);
  EXPECT_EQ(p.config.iterations, 10u);
  EXPECT_EQ(p.config.pairs, (std::vector<std::pair<int, int>>{{0, 1048575}}));
  EXPECT_EQ(p.config.bootstrap.timeout, std::chrono::seconds(1));
}

// Every flag that takes a value says what it allows, which is what a refusal prints.
TEST(Config, EveryFlagWithAValueKnowsWhatItAllows) {
  std::vector<FlagInfo> flags = listFlags();
  EXPECT_GT(flags.size(), 50u);
  size_t numeric = 0;
  for (const FlagInfo& f : flags) {
    if (!f.takes_value) continue;
    numeric += f.range != nullptr;
    EXPECT_TRUE(f.range || !allowedValues(f.name).empty()) << f.name;
  }
  EXPECT_GE(numeric, 20u);
  EXPECT_EQ(allowedText(*numberRange("--threads")), "an integer 1..256");
  EXPECT_EQ(allowedText(*numberRange("--expect-line-rate")), "a number > 0 and <= 1");
  EXPECT_TRUE(checkNumber("--threads", 256).isOk());
  EXPECT_EQ(checkNumber("--threads", 257).message(), "--threads 257: allowed an integer 1..256");
}

TEST(Config, DurationAutoHasAFloorACapAndAPrecision) {
  Parsed fixed = parse({"--duration", "0.5"});
  EXPECT_FALSE(fixed.config.adaptive);
  EXPECT_DOUBLE_EQ(fixed.config.duration, 0.5);
  EXPECT_EQ(configToJson(fixed.config)["duration"], 0.5);
  EXPECT_TRUE(configToJson(fixed.config)["precision"].is_null());
  Parsed autod = parse({"--duration", "auto"});
  ASSERT_NE(autod.result.outcome, ParseOutcome::kError);
  EXPECT_TRUE(autod.config.adaptive);
  EXPECT_DOUBLE_EQ(autod.config.duration, 2.0);
  EXPECT_DOUBLE_EQ(autod.config.min_duration, 0.1);
  EXPECT_DOUBLE_EQ(autod.config.precision, 0.02);
  nlohmann::json j = configToJson(autod.config);
  EXPECT_EQ(j["duration"], "auto");
  EXPECT_EQ(j["max_duration"], 2.0);
  EXPECT_EQ(j["min_duration"], 0.1);
  // Any of the three alone means auto.
  Parsed tuned = parse({"--precision", "0.05", "--max-duration", "0.5"});
  EXPECT_TRUE(tuned.config.adaptive);
  EXPECT_DOUBLE_EQ(tuned.config.precision, 0.05);
  EXPECT_DOUBLE_EQ(tuned.config.duration, 0.5);
  EXPECT_EQ(errorOf({"--duration", "auto", "--min-duration", "0.2"}).find("duration"), std::string::npos);
}

TEST(Config, DurationAutoRefusesWhatCannotHold) {
  EXPECT_NE(errorOf({"--duration", "2", "--precision", "0.05"}).find("--precision with --duration 2: allowed only with "
                                                                      "--duration auto"),
            std::string::npos);
  EXPECT_NE(errorOf({"--min-duration", "3"}).find("--min-duration 3: allowed at most --max-duration (2)"),
            std::string::npos);
  EXPECT_NE(errorOf({"--duration", "automatic"}).find("--duration automatic: allowed a number > 0 and <= 86400 "
                                                      "seconds, or auto"),
            std::string::npos);
  EXPECT_NE(errorOf({"--duration", ""}).find("--duration '': allowed a number > 0"), std::string::npos);
  EXPECT_NE(errorOf({"--precision", "1"}).find("--precision 1: allowed"), std::string::npos);
}


TEST(Config, QuickModeIsABidirScreenWithAutoWindowsAndRetests) {
  Parsed q = parse({"--mode", "quick"});
  ASSERT_NE(q.result.outcome, ParseOutcome::kError) << q.result.error.message();
  EXPECT_TRUE(q.config.quick);
  EXPECT_EQ(q.config.schedule, "bidir");
  EXPECT_TRUE(q.config.adaptive);
  EXPECT_DOUBLE_EQ(q.config.precision, 0.05);
  EXPECT_DOUBLE_EQ(q.config.duration, 1.0);
  EXPECT_TRUE(q.config.retest);
  EXPECT_EQ(configToJson(q.config)["mode"], "quick");
  Parsed fixed = parse({"--mode", "quick", "--duration", "0.5", "--schedule", "bidir"});
  EXPECT_FALSE(fixed.config.adaptive);
  EXPECT_DOUBLE_EQ(fixed.config.duration, 0.5);
  EXPECT_EQ(configToJson(parse({}).config)["mode"], "exact");
  EXPECT_NE(errorOf({"--mode", "fast"}).find("--mode fast: allowed values are exact, quick"), std::string::npos);
  EXPECT_NE(errorOf({"--mode", "quick", "--schedule", "pairs"}).find("allowed only --schedule bidir"),
            std::string::npos);
  EXPECT_NE(errorOf({"--mode", "quick", "--no-retest"}).find("allowed only with retests"), std::string::npos);
  EXPECT_NE(errorOf({"--mode", "quick", "--pairs", "0:1"}).find("allowed only without --pairs"), std::string::npos);
}


TEST(TimeBudget, ParsesTimesAndRefusesTheRest) {
  EXPECT_DOUBLE_EQ(*parseTimeBudget("90"), 90);
  EXPECT_DOUBLE_EQ(*parseTimeBudget("10m"), 600);
  EXPECT_DOUBLE_EQ(*parseTimeBudget("1.5h"), 5400);
  EXPECT_DOUBLE_EQ(*parseTimeBudget("2d"), 172800);
  for (const char* bad : {"", "5", "m", "10x", "-10m", "1e3", "1.2.3m", "40d", "."}) {
    Result<double> r = parseTimeBudget(bad);
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_NE(r.status().message().find("allowed a time of 10 s to 30 days"), std::string::npos) << bad;
  }
  EXPECT_NE(errorOf({"--time-budget", "10m", "--duration", "2"}).find("--time-budget 10m with --duration: allowed "
                                                                      "only without it"),
            std::string::npos);
  Parsed ok = parse({"--time-budget", "10m", "--precision", "0.05"});
  EXPECT_DOUBLE_EQ(ok.config.time_budget, 600);
  EXPECT_EQ(configToJson(ok.config)["time_budget"], 600.0);
}

// The model of time_budget.h: what fits stays exact; a tighter budget switches to quick; a
// budget nothing fits is refused with what would.
TEST(TimeBudget, KeepsExactWhileItFitsThenQuickThenRefuses) {
  BenchConfig roomy;
  roomy.time_budget = 600;
  Result<std::string> plan = fitTimeBudget(&roomy, {64, 1, 8, 1});
  ASSERT_TRUE(plan.isOk()) << plan.status().message();
  EXPECT_FALSE(roomy.quick);
  EXPECT_TRUE(roomy.adaptive);
  EXPECT_DOUBLE_EQ(roomy.duration, 2.0);  // 126 phases of 4 s fit: the cap stays 2 s
  EXPECT_NE(plan->find("exact pairs, 126 phases"), std::string::npos) << *plan;

  BenchConfig big;
  big.time_budget = 300;  // 1024 ranks, one per host: exact needs more, quick fits
  plan = fitTimeBudget(&big, {1024, 1, 64, 1});
  ASSERT_TRUE(plan.isOk()) << plan.status().message();
  EXPECT_TRUE(big.quick);
  EXPECT_EQ(big.schedule, "bidir");
  EXPECT_NE(plan->find("--mode quick (bidir), 1023 phases"), std::string::npos) << *plan;
  // What it planned fits the budget by the same model.
  const double per_phase = controlPerPhase({1024, 1, 64, 1}) + big.warmup + big.duration;
  EXPECT_LE(5 + 1023 * per_phase + big.max_retests * per_phase, 300.0);

  BenchConfig exact_asked;
  exact_asked.time_budget = 300;
  exact_asked.mode_given = true;
  Result<std::string> refused = fitTimeBudget(&exact_asked, {1024, 1, 64, 1});
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("too short for 1024 ranks; allowed at least"), std::string::npos)
      << refused.status().message();

  BenchConfig tiny;
  tiny.time_budget = 10;
  EXPECT_FALSE(fitTimeBudget(&tiny, {64, 64, 2, 1}).isOk());
}


TEST(TimeBudget, RetestsStopWhereTheBudgetEnds) {
  BenchConfig c;
  EXPECT_EQ(retestsThatFit(c, 64, Clock::now()), 64u);  // no budget: --max-retests
  c.time_budget = 60;
  c.warmup = 0.2;
  c.duration = 1.65;  // 1.95 s a retest
  c.started = Clock::now() - std::chrono::seconds(35);
  EXPECT_EQ(retestsThatFit(c, 64, Clock::now()), 10u);  // 60 - 5 - 35 = 20 s left
  EXPECT_EQ(retestsThatFit(c, 3, Clock::now()), 3u);
  c.started = Clock::now() - std::chrono::seconds(70);
  EXPECT_EQ(retestsThatFit(c, 64, Clock::now()), 0u);
}

}  // namespace
}  // namespace te::bench
