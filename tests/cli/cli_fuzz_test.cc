// The te_bench command line fuzzed from its own option table (listFlags): every flag with
// garbage, empty, negative, zero, fractional, overflowing, huge, very long and control-character
// values. Each command line is a user's mistake or an accepted value: exit 2, exactly one line
// on stderr and nothing on stdout. A refused value's line names the flag, the value (cut when
// long) and what is allowed; a numeric flag's line is checked word for word against the range
// in the table. The bulk runs te_bench as one process without a launcher (flags are checked
// before the launcher is looked for: an accepted value ends at "no launcher found"); a handful
// run under mpirun, where only rank 0 may speak.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>

#include "bench/cli/config_flags.h"
#include "cli/bench_process.h"
#include "common/shown_value.h"

extern char** environ;

namespace te::testing {
namespace {

using bench::FlagInfo;
using bench::NumberRange;

const std::string kBench = TE_BENCH_PATH;
const std::string kNoLauncher = "te_bench: no launcher found";

struct Case {
  std::vector<std::string> args;  // after the program
  std::string flag, value;        // what is fuzzed
  const FlagInfo* info = nullptr;
};

// Tried with every flag that takes a value; numeric flags get numericExtras() too.
const std::vector<std::string>& badValues() {
  static const std::vector<std::string> kValues = {
      "abc", "", "-1", "0", "0.5", "99999999999999999999", "1e308", std::string(10000, 'x'),
      std::string("a\x01" "b\x1b[31m")};
  return kValues;
}
const std::vector<std::string>& numericExtras() {
  static const std::vector<std::string> kValues = {"nan", std::string(10000, '9')};
  return kValues;
}

// The oracle for a numeric flag, independent of the parser: a plain decimal in the range.
bool acceptedNumber(const NumberRange& r, const std::string& v) {
  const bool integer_text = !v.empty() && v.size() < 30 &&
                            v.find_first_not_of("0123456789", v[0] == '-' ? 1 : 0) == std::string::npos &&
                            v != "-";
  const bool real_text = integer_text || v == "0.5" || v == "1e308";
  if (r.integer ? !integer_text : !real_text) return false;
  const long double x = std::stold(v);
  return (r.lo_open ? x > r.lo : x >= r.lo) && (r.hi_open ? x < r.hi : x <= r.hi);
}

std::vector<Case> generateCases(const std::vector<FlagInfo>& flags) {
  std::vector<Case> cases;
  for (const FlagInfo& f : flags) {
    if (!f.takes_value) {  // a switch given a value
      cases.push_back({{f.name + "=abc"}, f.name, "abc", &f});
      continue;
    }
    for (const std::string& v : badValues()) cases.push_back({{f.name, v}, f.name, v, &f});
    for (const std::string& v : f.range ? numericExtras() : std::vector<std::string>{}) {
      cases.push_back({{f.name, v}, f.name, v, &f});
    }
    cases.push_back({{f.name + "=-5"}, f.name, "-5", &f});  // the = form, a negative
  }
  return cases;
}

std::vector<BenchRun> runAll(const std::vector<Case>& cases, int threads) {
  std::vector<BenchRun> runs(cases.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < cases.size(); i = next++) {
        std::vector<std::string> argv = {kBench};
        argv.insert(argv.end(), cases[i].args.begin(), cases[i].args.end());
        runs[i] = runProcess(argv, {}, std::chrono::seconds(20));
      }
    });
  }
  for (auto& t : pool) t.join();
  return runs;
}

// What the one stderr line must say for this case; "" when it is right. Counts acceptances.
std::string problemWith(const Case& c, const BenchRun& r, size_t* accepted) {
  if (r.exit_code != 2) return "exit " + std::to_string(r.exit_code) + ", not 2";
  if (!r.out.empty()) return "stdout not empty: " + shownValue(r.out, 200);
  if (lineCount(r.err) != 1 || r.err.back() != '\n') return "not exactly one line on stderr: " + shownValue(r.err, 300);
  const std::string line = r.err.substr(0, r.err.size() - 1);
  if (line.size() > 400) return "a line of " + std::to_string(line.size()) + " characters";
  if (line.find('\x1b') != std::string::npos || line.find('\x01') != std::string::npos) return "control characters";
  const bool no_launcher = line.rfind(kNoLauncher, 0) == 0;
  if (c.info->range && acceptedNumber(*c.info->range, c.value)) {
    ++*accepted;
    return no_launcher ? "" : "an allowed value refused: " + line;
  }
  if (c.info->range) {  // refused, word for word
    const std::string want = "te_bench: " + flagValue(c.flag, c.value) + ": allowed " + bench::allowedText(*c.info->range);
    return line == want ? "" : "got '" + line + "', want '" + want + "'";
  }
  if (no_launcher && !c.value.empty() && c.info->takes_value) {
    ++*accepted;
    return "";
  }
  if (line.rfind("te_bench: " + c.flag, 0) != 0) return "does not start with the flag: " + line;
  if (line.find("allowed") == std::string::npos) return "does not say what is allowed: " + line;
  if (line.find(shownValue(c.value)) == std::string::npos) return "does not show the value: " + line;
  return "";
}

TEST(CliFuzz, EveryFlagWithBadValuesExitsTwoWithOneLineNamingFlagValueAndWhatIsAllowed) {
  const std::vector<FlagInfo> flags = bench::listFlags();
  ASSERT_GT(flags.size(), 50u);
  const std::vector<Case> cases = generateCases(flags);
  ASSERT_GE(cases.size(), 500u);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<BenchRun> runs = runAll(cases, 4);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t accepted = 0, failed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string problem = problemWith(cases[i], runs[i], &accepted);
    if (problem.empty()) continue;
    ++failed;
    ADD_FAILURE() << shownValue(cases[i].args[0], 80) << " " << (cases[i].args.size() > 1 ? shownValue(cases[i].args[1], 80) : "")
                  << ": " << problem;
  }
  // Most of these values are wrong for most flags; a parser that took everything would pass
  // the "no launcher" branch above, so the refusals are counted too.
  EXPECT_LT(accepted, cases.size() / 4) << "accepted " << accepted << " of " << cases.size();
  std::cout << cases.size() << " command lines over " << flags.size() << " flags in " << seconds << " s: "
            << cases.size() - accepted << " refused, " << accepted << " accepted, " << failed << " wrong\n";
  RecordProperty("command_lines", static_cast<int>(cases.size()));
}

// etcd / redis ranks started by hand each print their own mistake (nobody else will); under a
// launcher (jobs/launch_local.sh sets LOCAL_RANK) rank 0 alone prints, for the whole job.
TEST(CliFuzz, KvRanksOtherThanZeroSayWhatIsWrongOncePerJob) {
  const std::vector<std::string> kv = {kBench, "--bootstrap", "redis://127.0.0.1:9", "--job-id", "fuzz"};
  struct KvCase {
    std::vector<std::string> args;
    std::string says;
  };
  for (const KvCase& c : std::vector<KvCase>{
           {{"--rank", "2", "--size", "2"}, "te_bench: --rank 2: allowed 0..1 (--size 2)"},
           {{"--rank", "-1", "--size", "2"}, "te_bench: --rank -1: allowed an integer 0..1048575"},
           {{"--rank", "1", "--size", "2", "--threads", "0"}, "te_bench: --threads 0: allowed an integer 1..256"},
           {{"--rank", "1", "--size", "0"}, "te_bench: --size 0: allowed an integer 1..1048576"},
       }) {
    std::vector<std::string> argv = kv;
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    BenchRun alone = runProcess(argv, {});
    EXPECT_EQ(alone.exit_code, 2) << c.says;
    EXPECT_EQ(alone.err, c.says + "\n");
    BenchRun second = runProcess(argv, {"LOCAL_RANK=1", "LOCAL_WORLD_SIZE=2"});
    EXPECT_EQ(second.exit_code, 2) << c.says;
    EXPECT_EQ(second.err, "") << "rank 0 of the launch says it";
    BenchRun first = runProcess(argv, {"LOCAL_RANK=0", "LOCAL_WORLD_SIZE=2"});
    EXPECT_EQ(first.err, c.says + "\n");
  }
}

// A bad QoS default in the environment (MC_IB_TC, NCCL_IB_SL, MC_MTU) is a mistake like a bad
// flag: exit 2, one line naming the variable, its value and what is allowed, once per job.
TEST(CliFuzz, BadQosVariablesSayWhichOnceAndExitTwo) {
  struct EnvCase {
    std::vector<std::string> env, args;
    std::string says;
  };
  const std::string mtu = "allowed an integer 256..4096 that is a power of two: 256, 512, 1024, 2048 or 4096";
  for (const EnvCase& c : std::vector<EnvCase>{
           {{"MC_IB_TC=300"}, {}, "MC_IB_TC=300: allowed an integer 0..255 (the traffic class, as --traffic-class)"},
           {{"NCCL_IB_TC=abc"}, {}, "NCCL_IB_TC=abc: allowed an integer 0..255 (the traffic class, as --traffic-class)"},
           {{"NCCL_IB_SL=16"}, {}, "NCCL_IB_SL=16: allowed an integer 0..15 (the service level, as --service-level)"},
           {{"MC_MTU=1500"}, {}, "MC_MTU=1500: allowed 512, 1024, 2048 or 4096 (the path MTU cap, as --mtu)"},
           {{}, {"--mtu", "1500"}, "--mtu 1500: " + mtu},
           {{}, {"--mtu", "1500", "--transport", "tcp"}, "--mtu 1500: " + mtu},
       }) {
    std::vector<std::string> argv = {kBench};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    BenchRun alone = runProcess(argv, c.env);
    EXPECT_EQ(alone.exit_code, 2) << c.says;
    EXPECT_EQ(alone.err, "te_bench: " + c.says + "\n");
    EXPECT_EQ(alone.out, "");
    std::vector<std::string> env = c.env;
    env.insert(env.end(), {"LOCAL_RANK=1", "LOCAL_WORLD_SIZE=2"});
    BenchRun second = runProcess(argv, env);
    EXPECT_EQ(second.exit_code, 2) << c.says;
    EXPECT_EQ(second.err, "") << "rank 0 of the launch says it";
  }
  // A flag beats the variable, which is then not looked at; good values go on to the launcher.
  BenchRun r = runProcess({kBench, "--traffic-class", "106", "--transport", "tcp"}, {"MC_IB_TC=300", "MC_MTU=1024"});
  EXPECT_EQ(r.err.rfind(kNoLauncher, 0), 0u) << r.err;
}

std::vector<std::string> currentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string v = *e;
    if (v.rfind("PATH=", 0) != 0) env.push_back(v);
  }
  env.push_back("OMPI_ALLOW_RUN_AS_ROOT=1");
  env.push_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
  return env;
}

// Under mpirun every rank sees the same flags and the same host: one line, from rank 0.
TEST(CliFuzz, UnderMpirunOneLinePerJob) {
  if (::system("command -v mpirun > /dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun";
  // -q: mpirun's own notes on a rank's non-zero exit are not te_bench's output.
  const std::vector<std::string> mpirun = {"mpirun", "-q", "-np", "3", "--oversubscribe", "--bind-to", "none",
                                           "--mca", "pml", "ob1", "--mca", "btl", "self,vader,tcp", kBench,
                                           "--transport", "tcp", "--progress", "off"};
  struct MpiCase {
    std::vector<std::string> args;
    std::string flag;
  };
  for (const MpiCase& c : std::vector<MpiCase>{
           {{"--threads", "abc"}, "--threads abc"},
           {{"--numa-node", "1023"}, "--numa-node 1023"},
           {{"--tcp-interface", "nonexistent0"}, "--tcp-interface nonexistent0"},
           {{"--buffer-size", "64T"}, "--buffer-size 64 TiB"},
           {{"--json", "/proc/version"}, "--json /proc/version"},
           {{"--metrics", "/nonexistent-dir/te_bench.prom"}, "--metrics /nonexistent-dir/te_bench.prom"},
       }) {
    std::vector<std::string> argv = mpirun;
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    BenchRun r = runProcess(argv, currentEnvironment(), std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 2) << c.flag << ": " << r.err;
    EXPECT_EQ(lineCount(r.err), 1u) << c.flag << ": " << r.err;
    EXPECT_EQ(r.err.rfind("te_bench: " + c.flag, 0), 0u) << r.err;
    EXPECT_NE(r.err.find("allowed"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "") << c.flag;
  }
}

// --huge-pages where there are none: one warning for the job from rank 0, not one per rank
// and buffer.
TEST(CliFuzz, HugePagesFallbackIsOneLinePerJob) {
  if (::system("command -v mpirun > /dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun";
  const bool none_here = slurp("/proc/meminfo").find("HugePages_Total:       0") != std::string::npos ||
                         slurp("/proc/meminfo").find("HugePages_Total") == std::string::npos;
  BenchRun r = runProcess({"mpirun", "-q", "-np", "3", "--oversubscribe", "--bind-to", "none", "--mca", "pml", "ob1",
                           "--mca", "btl", "self,vader,tcp", kBench, "--transport", "tcp", "--progress", "off",
                           "--huge-pages", "--buffer-size", "4M", "--duration", "0.1", "--warmup", "0", "--threads",
                           "1", "--no-retest"},
                          currentEnvironment(), std::chrono::seconds(90));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const size_t warnings = countOccurrences(r.err, "te_bench: warning: --huge-pages");
  EXPECT_EQ(countOccurrences(r.err, "bytes unavailable"), 0u) << "a rank's own warning: " << r.err;
  EXPECT_LE(warnings, 1u) << r.err;
  if (none_here) {
    EXPECT_EQ(warnings, 1u) << r.err;
    EXPECT_NE(r.err.find("rank(s) 0,1,2 of 3"), std::string::npos) << r.err;
  }
}

// `te_bench compare` through the binary: what aborted (a directory) is one line and exit 2.
TEST(CliFuzz, CompareOfWhatIsNotAReportExitsTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"/tmp", "/tmp"}, {"/proc/version", "/proc/version"}, {"/dev/null", "/dev/null"},
           {std::string(10000, 'r'), "/tmp"}, {"/tmp", "/tmp", "--threshold", ""}, {"/tmp", "/tmp", "--threshold", "nan"}}) {
    std::vector<std::string> argv = {kBench, "compare"};
    argv.insert(argv.end(), args.begin(), args.end());
    BenchRun r = runProcess(argv, {});
    EXPECT_EQ(r.exit_code, 2) << shownValue(args[0]) << ": " << r.err;
    EXPECT_EQ(lineCount(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("te_bench compare: ", 0), 0u) << r.err;
    EXPECT_LT(r.err.size(), 400u);
  }
}

// `te_bench report` of what is not a JSON report, or with a bad flag: one line and exit 2.
TEST(CliFuzz, ReportOfWhatIsNotAReportExitsTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"/tmp"}, {"/proc/version"}, {"/dev/null"}, {"/nonexistent.json"}, {std::string(10000, 'r')},
           {"/dev/null", "--metrics-links", "some"}, {"/dev/null", "--csv", "/nonexistent-dir/x.csv"},
           {"/dev/null", "--no-such-flag"}, {}}) {
    std::vector<std::string> argv = {kBench, "report"};
    argv.insert(argv.end(), args.begin(), args.end());
    BenchRun r = runProcess(argv, {});
    const std::string what = args.empty() ? "(nothing)" : shownValue(args.back());
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
    EXPECT_EQ(lineCount(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("te_bench report: ", 0), 0u) << r.err;
    EXPECT_LT(r.err.size(), 400u);
    EXPECT_EQ(r.out, "") << what;
  }
}

}  // namespace
}  // namespace te::testing
