// Every rate te_bench prints is one the link achieved (issue 25): the fault-injecting
// transport caps a link (rate:, a token bucket per worker, so the link's ceiling is known
// exactly) and hands its completions over late and in bursts (burst:), and the short
// windows that let the old accounting print rates a link never reached must stay under
// that ceiling, over TCP and UCX alike. A link with a few batches per window is reported
// as a lower bound, with the count it rests on.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/transport_registry.h"
#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;
constexpr double kMiB = 1024.0 * 1024.0;

std::string mpirun(int np, const std::string& env, const std::string& transport) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 UCX_NET_DEVICES=lo UCX_TLS=tcp " + env +
         " mpirun -np " + std::to_string(np) +
         " --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1 " +
         kBench + " --transport " + transport +
         " --progress off --buffer-size 16M --threads 2 --batch-size 16 --no-retest";
}

struct BenchRun {
  nlohmann::json report;
  std::string output;
};

BenchRun run(const std::string& cmd) {
  const std::string json = tempPath("rates.json");
  CommandResult r = runCommand(cmd + " --json " + json, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  BenchRun out{{}, r.output};
  std::ifstream f(json);
  if (f) f >> out.report;
  std::remove(json.c_str());
  return out;
}

const nlohmann::json* findLink(const nlohmann::json& report, int initiator, int target) {
  for (const auto& l : report["results"][0]["links"]) {
    if (l["initiator"] == initiator && l["target"] == target) return &l;
  }
  return nullptr;
}

class HonestRates : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!engine::findTransport(GetParam())) GTEST_SKIP() << "this build has no " << GetParam() << " transport";
  }
};

// Two workers capped at 20 MiB/s each: the link can never move more than 40 MiB/s, plus the
// one 64 KiB request a bucket admits ahead. Completions come 60 ms late, in bursts. (Each
// phase starts with one request in flight and doubles it per completion: --warmup 0.5 lets
// the pipeline grow to what a 60 ms round trip needs.)
TEST_P(HonestRates, LateBurstsOfCompletionsNeverLiftALinkOverItsCeiling) {
  for (const char* op : {"write", "read"}) {
    BenchRun r = run(mpirun(2, "TE_FAULT_INJECT='rate:0->1:20M;burst:0->1:60'", GetParam()) +
                " --duration 0.3 --warmup 0.5 --operation " + op);
    ASSERT_EQ(r.report["results"].size(), 1u) << r.output;
    const nlohmann::json* l = findLink(r.report, 0, 1);
    ASSERT_NE(l, nullptr) << r.output;
    const double ceiling = 2 * 20 * kMiB;
    EXPECT_LE((*l)["bytes_per_second"].get<double>(), ceiling * 1.03) << op << " " << l->dump();
    EXPECT_GT((*l)["bytes_per_second"].get<double>(), ceiling * 0.3) << op << " " << l->dump();
    EXPECT_EQ((*l)["status"], "ok") << l->dump();
    // The rate is its bytes over its window, and rests on the batches it says.
    EXPECT_NEAR((*l)["bytes_per_second"].get<double>() * (*l)["seconds"].get<double>(), (*l)["bytes"].get<double>(),
                1.0);
    // Batches of at most --batch-size requests (fewer while the link's pace allows no more).
    EXPECT_EQ((*l)["bytes"].get<uint64_t>(), (*l)["ops"].get<uint64_t>() * 65536) << l->dump();
    EXPECT_LE((*l)["ops"].get<uint64_t>(), (*l)["batches"].get<uint64_t>() * 16) << l->dump();
    // A sample spans less time: the bucket's one request ahead per worker weighs more.
    for (const auto& s : (*l)["samples"]["bytes_per_second"]) {
      EXPECT_LE(s.get<double>(), ceiling * 1.15) << op << " " << l->dump();
    }
    // The uncapped direction is measured as usual.
    const nlohmann::json* back = findLink(r.report, 1, 0);
    ASSERT_NE(back, nullptr);
    EXPECT_GT((*back)["bytes_per_second"].get<double>(), ceiling) << back->dump();
  }
}

// 2 x 128 KiB/s: two 64 KiB requests a second per worker, a handful of batches per window
// even once it is extended to twice --duration (whatever their size: the link's budget splits
// what it may have in flight into small ones). The rate is printed as a lower bound with its
// count, never inflated.
TEST_P(HonestRates, ASlowLinkWithAFewBatchesPerWindowIsALowerBound) {
  BenchRun r = run(mpirun(2, "TE_FAULT_INJECT='rate:0->1:128K;burst:0->1:100'", GetParam()) +
              " --duration 0.4 --warmup 0.05 --operation write");
  ASSERT_EQ(r.report["results"].size(), 1u) << r.output;
  const nlohmann::json* l = findLink(r.report, 0, 1);
  ASSERT_NE(l, nullptr) << r.output;
  EXPECT_TRUE((*l)["lower_bound"].get<bool>()) << l->dump();
  EXPECT_LT((*l)["batches"].get<uint64_t>(), 8u) << l->dump();  // 2 threads x 2 in flight, twice
  EXPECT_GE((*l)["batches"].get<uint64_t>(), 1u) << l->dump();
  // Each worker's bucket: 128 KiB/s over the window, plus the one request it admits ahead.
  const double seconds = (*l)["seconds"].get<double>();
  EXPECT_LE((*l)["bytes"].get<double>(), 2 * (128 * 1024 * seconds + 65536) * 1.05) << l->dump();
  // The window was extended past --duration, by at most --duration (plus the drain).
  EXPECT_GT(seconds, 0.4) << l->dump();
  EXPECT_LT(seconds, 0.8 + 1.0) << l->dump();
  EXPECT_EQ(r.report["results"][0]["analysis"]["lower_bound_links"], 1) << r.output;
  EXPECT_NE(r.output.find("LOWER BOUND: 1 of 2 link rates (+)"), std::string::npos) << r.output;
  const nlohmann::json* fast = findLink(r.report, 1, 0);
  ASSERT_NE(fast, nullptr);
  EXPECT_FALSE((*fast)["lower_bound"].get<bool>()) << fast->dump();
}

// --duration auto (issue 19): a steady link (the bucket's cap) is known to --precision long
// before --max-duration and its window ends there; its rate stays under the ceiling and the
// report says the window and the precision. A precision no link can reach runs to the cap,
// and the terminal says so.
TEST_P(HonestRates, AnAdaptiveWindowEndsOnceTheRateIsKnown) {
  BenchRun r = run(mpirun(2, "TE_FAULT_INJECT='rate:0->1:20M'", GetParam()) +
                   " --duration auto --min-duration 0.2 --max-duration 4 --precision 0.1 --warmup 0.3");
  ASSERT_EQ(r.report["results"].size(), 1u) << r.output;
  EXPECT_EQ(r.report["options"]["duration"], "auto");
  const nlohmann::json* l = findLink(r.report, 0, 1);
  ASSERT_NE(l, nullptr) << r.output;
  const double ceiling = 2 * 20 * kMiB;
  EXPECT_LE((*l)["bytes_per_second"].get<double>(), ceiling * 1.03) << l->dump();
  EXPECT_GT((*l)["bytes_per_second"].get<double>(), ceiling * 0.5) << l->dump();
  ASSERT_TRUE((*l)["precision"].is_number()) << l->dump();
  // Reported over the whole window, its drain included: near what the window ended on. The
  // drain's slices are not what the window stopped on, and on a loaded 2-core CI machine one
  // of them can be starved (a CI run saw 0.18), so "near" is within 3x of --precision.
  EXPECT_LE((*l)["precision"].get<double>(), 0.3) << l->dump();
  EXPECT_GE((*l)["seconds"].get<double>(), 0.2) << l->dump();
  EXPECT_LT((*l)["seconds"].get<double>(), 2.0) << l->dump();  // known long before the 4 s cap
  EXPECT_LE((*l)["samples"]["count"], 5) << l->dump();  // the slices merged into at most --samples
  for (const auto& link : r.report["results"][0]["links"]) {
    EXPECT_LT(link["seconds"].get<double>(), 4.0 + 1.0) << link.dump();  // the cap, plus the drain
  }
  EXPECT_NE(r.output.find("WINDOWS: "), std::string::npos) << r.output;

  BenchRun cap = run(mpirun(2, "TE_FAULT_INJECT='rate:0->1:20M'", GetParam()) +
                     " --duration auto --min-duration 0.1 --max-duration 0.5 --precision 0.0001 --warmup 0.1");
  const nlohmann::json* c = findLink(cap.report, 0, 1);
  ASSERT_NE(c, nullptr) << cap.output;
  EXPECT_GE((*c)["seconds"].get<double>(), 0.5) << c->dump();
  EXPECT_GT((*c)["precision"].get<double>(), 0.0001) << c->dump();
  EXPECT_NE(cap.output.find("by --max-duration 0.50 s"), std::string::npos) << cap.output;
}

// --time-budget (issue 19): the plan is said before the run, and the run keeps it.
TEST(TimeBudget, ARunSaysItsPlanAndKeepsIt) {
  const auto start = std::chrono::steady_clock::now();
  BenchRun r = run(mpirun(4, "", "tcp") + " --time-budget 20s");
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(wall, 20.0) << r.output;
  EXPECT_NE(r.output.find("te_bench: --time-budget 0:20: exact pairs, 6 phases, windows 0.1 s-"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.report["options"]["time_budget"], 20.0);
  EXPECT_EQ(r.report["options"]["duration"], "auto");
  EXPECT_EQ(r.report["results"][0]["links"].size(), 12u);
  // Six block sizes: 36 exact phases do not fit 10 s with 0.1 s windows, 18 quick ones do.
  BenchRun quick = run(mpirun(4, "", "tcp") + " --time-budget 10s --block-size 4K,8K,16K,32K,64K,128K");
  EXPECT_NE(quick.output.find("--mode quick (bidir), 18 phases"), std::string::npos) << quick.output;
  EXPECT_EQ(quick.report["options"]["mode"], "quick");
}

INSTANTIATE_TEST_SUITE_P(Transports, HonestRates, ::testing::Values("tcp", "ucx"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace te::testing
