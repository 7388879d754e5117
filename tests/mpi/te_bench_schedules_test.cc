// Every schedule and workload under mpirun -np 4, with the byte-exact integrity check on;
// a throttled link (fault-injecting transport decorator) flagged and localised; expectations
// turned into exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;

std::string mpirun(int np, const std::string& env = "") {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " + env + " mpirun -np " + std::to_string(np) +
         " --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1 " +
         kBench + " --transport tcp --progress off";
}

const std::string kQuick = " --buffer-size 16M --duration 0.25 --warmup 0.05 --threads 2 --batch-size 16";

nlohmann::json runJson(const std::string& cmd, int expected_exit = 0) {
  std::string json = tempPath("sched.json");
  CommandResult r = runCommand(cmd + " --json " + json, std::chrono::seconds(240));
  EXPECT_EQ(r.exit_code, expected_exit) << r.output;
  nlohmann::json j;
  std::ifstream f(json);
  if (f) f >> j;
  std::remove(json.c_str());
  return j;
}

std::set<std::pair<int, int>> linksOf(const nlohmann::json& block) {
  std::set<std::pair<int, int>> out;
  for (const auto& l : block["links"]) {
    EXPECT_GT(l["bytes_per_second"].get<double>(), 0) << l.dump();
    out.insert({l["initiator"].get<int>(), l["target"].get<int>()});
  }
  return out;
}

struct ScheduleCase {
  const char* schedule;
  const char* operation;
  size_t links;
};

void PrintTo(const ScheduleCase& c, std::ostream* os) { *os << c.schedule << "/" << c.operation; }

class Schedules : public ::testing::TestWithParam<ScheduleCase> {};

TEST_P(Schedules, MeasuresTheRightLinksWithVerifiedBytes) {
  const ScheduleCase& c = GetParam();
  nlohmann::json j = runJson(mpirun(4) + kQuick + " --integrity-check --schedule " + c.schedule + " --operation " +
                             c.operation + " --root 1");
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["options"]["integrity_check"], true);
  EXPECT_EQ(j["results"][0]["operation"], c.operation);
  auto links = linksOf(j["results"][0]);
  EXPECT_EQ(links.size(), c.links);
  if (std::string(c.schedule) == "one-to-all") {
    for (const auto& [i, t] : links) EXPECT_EQ(i, 1);
  }
  if (std::string(c.schedule) == "all-to-one") {
    for (const auto& [i, t] : links) EXPECT_EQ(t, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, Schedules,
    ::testing::Values(ScheduleCase{"pairs", "read", 12}, ScheduleCase{"pairs", "mix", 12},
                      ScheduleCase{"shift", "write", 12}, ScheduleCase{"shift", "mix", 12},
                      ScheduleCase{"sequential", "read", 12}, ScheduleCase{"bidir", "write", 12},
                      ScheduleCase{"bidir", "read", 12}, ScheduleCase{"one-to-all", "write", 3},
                      ScheduleCase{"all-to-one", "read", 3}),
    [](const ::testing::TestParamInfo<ScheduleCase>& info) {
      std::string name = std::string(info.param.schedule) + "_" + info.param.operation;
      for (char& ch : name) {
        if (ch == '-') ch = '_';
      }
      return name;
    });

TEST(SchedulesMore, ChosenPairsSizeSweepAndIterations) {
  // --iterations counts submitted batches exactly, however many a thread keeps in flight.
  for (int depth : {1, 3}) {
    SCOPED_TRACE("--batches-in-flight " + std::to_string(depth));
    nlohmann::json j = runJson(mpirun(4) + kQuick + " --pairs 0:3,2:1 --block-size 4K:16K --iterations 5 --samples 5" +
                               " --batches-in-flight " + std::to_string(depth));
    EXPECT_EQ(j["options"]["batches_in_flight"], depth);
    ASSERT_EQ(j["results"].size(), 3u);
    std::vector<uint64_t> sizes;
    for (const auto& b : j["results"]) {
      sizes.push_back(b["block_size"].get<uint64_t>());
      EXPECT_EQ(linksOf(b), (std::set<std::pair<int, int>>{{0, 3}, {2, 1}}));
      for (const auto& l : b["links"]) {
        // 5 batches of 16 per thread, 2 threads.
        EXPECT_EQ(l["ops"].get<uint64_t>(), 2u * 5u * 16u) << l.dump();
        EXPECT_EQ(l["samples"]["count"].get<int>(), 5);
      }
    }
    EXPECT_EQ(sizes, (std::vector<uint64_t>{4096, 8192, 16384}));
  }
}

TEST(SlowLink, AThrottledLinkIsFlaggedAndNoOtherIs) {
  // 1 -> 2 capped at 30 MiB/s while loopback links run at hundreds of MB/s or more.
  nlohmann::json j = runJson(mpirun(4, "TE_FAULT_INJECT='rate:1->2:30M'") + kQuick + " --duration 0.4");
  ASSERT_EQ(j["results"].size(), 1u);
  const auto& a = j["results"][0]["analysis"];
  EXPECT_EQ(a["slow_links"], nlohmann::json::array({{1, 2}})) << a.dump();
  EXPECT_TRUE(a["suspects"].empty()) << a.dump();
  for (const auto& l : j["results"][0]["links"]) {
    bool planted = l["initiator"] == 1 && l["target"] == 2;
    EXPECT_EQ(l["analysis"]["confirmed"].get<bool>(), planted) << l.dump();
  }
}

TEST(SlowLink, ASlowRankIsNamedAsTheSuspect) {
  nlohmann::json j = runJson(mpirun(4, "TE_FAULT_INJECT='rate:3->*:30M;rate:*->3:30M'") + kQuick + " --duration 0.4");
  ASSERT_EQ(j["results"].size(), 1u);
  const auto& a = j["results"][0]["analysis"];
  ASSERT_EQ(a["suspects"].size(), 1u) << a.dump();
  EXPECT_EQ(a["suspects"][0]["rank"], 3) << a.dump();
  EXPECT_TRUE(a["slow_links"].empty()) << "links of the suspect are not listed again: " << a.dump();
}

TEST(Expectation, UnmetExpectationExitsFourAndMetExitsZero) {
  nlohmann::json fail = runJson(mpirun(2) + kQuick + " --expect 10TB/s", 4);
  EXPECT_EQ(fail["results"][0]["analysis"]["failing_links"].size(), 2u);
  nlohmann::json pass = runJson(mpirun(2) + kQuick + " --expect 1MB/s", 0);
  EXPECT_TRUE(pass["results"][0]["analysis"]["failing_links"].empty());
}

TEST(FailedLink, AnInjectedLinkFailureEndsTheRunNamingThePeer) {
  CommandResult r = runCommand(mpirun(2, "TE_FAULT_INJECT='fail:0->1'") + kQuick, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("rank 1"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace te::testing

namespace te::testing {
namespace {

TEST(Integrity, ACorruptedTransferExitsThreeNamingTheOffset) {
  CommandResult r = runCommand(mpirun(2, "TE_FAULT_INJECT='corrupt:0->1'") + kQuick + " --integrity-check",
                               std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("integrity check failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("offset 0x"), std::string::npos) << r.output;
  EXPECT_EQ(countOccurrences(r.output, "te_bench: "), 1u) << "printed once: " << r.output;
}

// 8 and 16 batches of 16 per thread write each of a thread's 64 blocks an even number of
// times: the corruption must not depend on that count (it once cancelled itself there).
TEST(Integrity, ACorruptionIsCaughtWhateverTheNumberOfWrites) {
  for (const char* iterations : {"8", "16"}) {
    CommandResult r = runCommand(mpirun(2, "TE_FAULT_INJECT='corrupt:0->1'") + kQuick +
                                     " --integrity-check --warmup 0 --samples 1 --iterations " + iterations,
                                 std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 3) << "--iterations " << iterations << ": " << r.output;
    EXPECT_NE(r.output.find("integrity check failed"), std::string::npos) << r.output;
  }
}

// One thread drives two links (one-to-all, --threads 1) with two batches in flight; the link
// to rank 1 is throttled to a byte a second, so its batch never finishes while the link to
// rank 2 keeps completing: the stall must still be caught, per batch, and named.
TEST(Stall, AStuckLinkIsNamedWhileAnotherLinkOfTheThreadMoves) {
  CommandResult r = runCommand(mpirun(3, "TE_FAULT_INJECT='rate:0->1:1'") + kQuick +
                                   " --schedule one-to-all --threads 1 --batches-in-flight 2 --timeout 5",
                               std::chrono::seconds(90));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no completion from rank 1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("no completion from rank 2"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace te::testing
