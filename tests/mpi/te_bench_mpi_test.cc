// The real te_bench under mpirun -np 2 / 4 on this machine: reports parsed and checked,
// bad input checked for exit code and one-line message, a killed rank for a bounded exit.
#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;

std::string mpirun(int np, const std::string& program = kBench) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np " + std::to_string(np) +
         " --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp"
         " --mca mpi_yield_when_idle 1 " + program;
}

// Small, quick runs: the point is the shape and the plumbing, not the speed.
const std::string kQuick = " --buffer-size 16M --duration 0.3 --warmup 0.05 --threads 2 --batch-size 16";

nlohmann::json readJson(const std::string& path) {
  std::ifstream f(path);
  nlohmann::json j;
  f >> j;
  return j;
}

void expectFullMatrix(const nlohmann::json& j, int n) {
  ASSERT_EQ(j["schema_version"], 1);
  ASSERT_EQ(j["world"]["size"], n);
  ASSERT_EQ(j["world"]["ranks"].size(), static_cast<size_t>(n));
  for (const auto& r : j["world"]["ranks"]) EXPECT_FALSE(r["host"].get<std::string>().empty());
  EXPECT_FALSE(j["git_revision"].get<std::string>().empty());
  EXPECT_FALSE(j["start_time"].get<std::string>().empty());
  ASSERT_EQ(j["results"].size(), 1u);
  const auto& block = j["results"][0];
  ASSERT_EQ(block["links"].size(), static_cast<size_t>(n * (n - 1)));
  for (const auto& l : block["links"]) {
    EXPECT_GT(l["bytes_per_second"].get<double>(), 0) << l.dump();
    EXPECT_GT(l["ops"].get<uint64_t>(), 0u);
    EXPECT_GT(l["latency_us"]["p99"].get<double>(), 0);
    EXPECT_GE(l["latency_us"]["p99"].get<double>(), l["latency_us"]["p50"].get<double>());
    EXPECT_EQ(l["status"], "ok");
  }
  // The block's latency over every request, from one histogram per rank merged at rank 0.
  const auto& all = block["summary"]["latency_us"];
  EXPECT_GT(all["p50"].get<double>(), 0) << all.dump();
  EXPECT_GE(all["p99"].get<double>(), all["p50"].get<double>());
  EXPECT_GE(all["max"].get<double>(), all["p99"].get<double>());
  const auto& m = block["matrix_bytes_per_second"];
  ASSERT_EQ(m.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(m[i].size(), static_cast<size_t>(n));
    for (int t = 0; t < n; ++t) {
      if (i == t) {
        EXPECT_TRUE(m[i][t].is_null());
      } else {
        EXPECT_GT(m[i][t].get<double>(), 0) << i << "->" << t;
      }
    }
  }
}

TEST(MpiBootstrap, GatherToEveryRootDeliversEveryPartIntact) {
  CommandResult r = runCommand(mpirun(4, TE_BOOTSTRAP_CHECK_PATH), std::chrono::seconds(90));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mpi_bootstrap_check: 4 ranks ok"), std::string::npos) << r.output;
  // Past MPI's int counts a gather goes in rounds: here rounds of at most 64 bytes, so the
  // 17-byte parts pair up and the 1 MiB part is a round of its own.
  r = runCommand(mpirun(4, std::string(TE_BOOTSTRAP_CHECK_PATH) + " 64"), std::chrono::seconds(90));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mpi_bootstrap_check: 4 ranks ok"), std::string::npos) << r.output;
}

// TCP needs a socket per worker, peer and direction: past a hard open-file limit that is
// one line with the numbers and exit 1 (below it, te_bench raises the soft limit itself).
TEST(TeBenchMpi, TooLowAnOpenFileLimitForTcpIsOneLineAndExitOne) {
  CommandResult r = runCommand("ulimit -n 200 && " + mpirun(3) + kQuick + " --transport tcp --threads 64",
                               std::chrono::seconds(90));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("tcp: 64 workers x 2 peers, both ways, needs 256 open files"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("raise `ulimit -n`"), std::string::npos) << r.output;
}

TEST(TeBenchMpi, TwoRanksWriteGivesAFullMatrixAndEchoesOptions) {
  std::string json = tempPath("np2.json");
  CommandResult r = runCommand(mpirun(2) + kQuick + " --transport tcp --operation write --block-size 64K --json " +
                                   json, std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("rows: initiator"), std::string::npos) << r.output;
  nlohmann::json j = readJson(json);
  expectFullMatrix(j, 2);
  EXPECT_EQ(j["options"]["block_size"], 65536);
  EXPECT_EQ(j["options"]["threads"], 2);
  EXPECT_EQ(j["options"]["operation"], "write");
  EXPECT_EQ(j["transport"]["name"], "tcp");
  EXPECT_EQ(j["results"][0]["operation"], "write");
  std::remove(json.c_str());
}

TEST(TeBenchMpi, FourRanksReadGivesAFullMatrix) {
  std::string json = tempPath("np4.json");
  CommandResult r = runCommand(mpirun(4) + kQuick + " --transport tcp --operation read --block_size 1M --json " + json,
                               std::chrono::seconds(180));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = readJson(json);
  expectFullMatrix(j, 4);
  EXPECT_EQ(j["options"]["operation"], "read");
  EXPECT_EQ(j["options"]["block_size"], 1 << 20);
  std::remove(json.c_str());
}

TEST(TeBenchMpi, AutoTransportRunsHere) {
  CommandResult r = runCommand(mpirun(2) + kQuick, std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("transport "), std::string::npos);
}

struct BadInput {
  const char* name;
  int np;
  std::string flags;
  std::string message;  // a part of the one-line error
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

class TeBenchBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(TeBenchBadInput, ExitsTwoWithOneLineNamingTheFlag) {
  const BadInput& c = GetParam();
  CommandResult r = runCommand(mpirun(c.np) + " " + c.flags, std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_LT(r.seconds, 30);
  EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  // Printed once (by rank 0), not once per rank.
  EXPECT_EQ(countOccurrences(r.output, "te_bench: "), 1u) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TeBenchBadInput,
    ::testing::Values(
        BadInput{"UnknownTransport", 2, "--transport carrier-pigeon", "--transport carrier-pigeon"},
        BadInput{"ZeroBlock", 2, "--block-size 0", "--block-size 0"},
        BadInput{"BlockOverBuffer", 2, "--block-size 2M --buffer-size 1M", "larger than half of --buffer-size"},
        BadInput{"ZeroBatch", 2, "--batch-size 0", "--batch-size 0"},
        BadInput{"NegativeDuration", 2, "--duration -1", "--duration"},
        BadInput{"UnknownFlag", 2, "--frobnicate", "--frobnicate"},
        BadInput{"OneRank", 1, "--buffer-size 1M", "at least 2 ranks"},
        BadInput{"UnwritableJson", 2, "--buffer-size 1M --json /nonexistent-dir/report.json",
                 "--json /nonexistent-dir/report.json"},
        BadInput{"UnknownMemoryKind", 2, "--memory hbm", "--memory hbm: allowed values are dram, vram"},
        BadInput{"BadGpuId", 2, "--memory vram --gpu-id first", "--gpu-id first"},
        BadInput{"MissingTopoFile", 2, "--topo-file /nonexistent/topo.xml",
                 "--topo-file /nonexistent/topo.xml: cannot read the file"},
        BadInput{"MissingTopology", 2, "--topology /nonexistent/topo.conf",
                 "--topology /nonexistent/topo.conf: cannot read the file"},
        BadInput{"MalformedTopology", 2, "--topology " TE_TESTS_DIR "/cluster/topology/malformed.conf",
                 "--topology: " TE_TESTS_DIR "/cluster/topology/malformed.conf:3: Nodes=node[2-3: '[' without ']'"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return std::string(info.param.name); });

// These machines have no GPU (and a build may have no CUDA): VRAM is an environment
// failure, exit 1, one line from rank 0 naming the flag and the cause, before any buffer.
TEST(TeBenchMpi, VramWithoutAGpuIsOneLineAndExitOne) {
  for (const std::string flags : {"--memory vram", "--target-memory vram", "--use_vram --gpu_id 0"}) {
    CommandResult r = runCommand(mpirun(2) + kQuick + " --transport tcp " + flags, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 1) << flags << "\n" << r.output;
    EXPECT_LT(r.seconds, 30);
    EXPECT_EQ(countOccurrences(r.output, "te_bench: "), 1u) << r.output;
    const std::string want = flags == "--target-memory vram" ? "te_bench: --target-memory vram: " : "te_bench: --memory vram: ";
    EXPECT_NE(r.output.find(want), std::string::npos) << r.output;
    EXPECT_TRUE(r.output.find("cudaGetDeviceCount") != std::string::npos ||
                r.output.find("built without CUDA") != std::string::npos) << r.output;
  }
}

// DRAM -> DRAM report: both sides and every rank's buffers are in the JSON.
TEST(TeBenchMpi, MemoryOfEverySideAndRankIsReported) {
  std::string json = tempPath("memory.json");
  CommandResult r = runCommand(mpirun(2) + kQuick + " --transport tcp --integrity-check --json " + json,
                               std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json m = readJson(json)["memory"];
  EXPECT_EQ(m["kind"], "dram");
  EXPECT_EQ(m["bytes"], 16 << 20);
  EXPECT_EQ(m["initiator"]["bytes"], 8 << 20);
  EXPECT_EQ(m["target"]["kind"], "dram");
  ASSERT_EQ(m["ranks"].size(), 2u);
  EXPECT_EQ(m["ranks"][1]["target"]["bytes"], 8 << 20);
  EXPECT_FALSE(m["numa_reason"].get<std::string>().empty());
  EXPECT_EQ(readJson(json)["options"]["initiator_memory"], "dram");
  std::remove(json.c_str());
}

// Rank of a te_bench process from its environment (Open MPI sets OMPI_COMM_WORLD_RANK).
int rankOfPid(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/environ");
  std::string env((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string key = std::string("OMPI_COMM_WORLD_RANK=");
  size_t pos = env.find(key);
  return pos == std::string::npos ? -1 : std::atoi(env.c_str() + pos + key.size());
}

TEST(TeBenchMpi, AKilledRankEndsTheJobWithinBoundedTimeNamingIt) {
  const std::string marker = "dead-peer-" + std::to_string(::getpid());
  // Long enough that the kill lands mid-run.
  std::string cmd = mpirun(4) + " --buffer-size 16M --threads 1 --duration 20 --warmup 0 --timeout 20 --job-id " + marker;
  CommandResult result;
  std::thread runner([&] { result = runCommand(cmd, std::chrono::seconds(90)); });
  // Find a te_bench rank that is not rank 0 and kill it once the run is underway.
  int victim_rank = -1;
  for (int attempt = 0; attempt < 100 && victim_rank < 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (attempt < 10) continue;  // ~2 s: connected and measuring
    DIR* proc = ::opendir("/proc");
    while (dirent* e = ::readdir(proc)) {
      int pid = std::atoi(e->d_name);
      if (pid <= 0) continue;
      std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
      std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
      if (args.find(marker) == std::string::npos || args.rfind(kBench, 0) != 0) continue;
      int rank = rankOfPid(pid);
      if (rank == 2) {
        ::kill(pid, SIGKILL);
        victim_rank = rank;
        break;
      }
    }
    ::closedir(proc);
  }
  runner.join();
  ASSERT_EQ(victim_rank, 2) << "no rank 2 process found to kill\n" << result.output;
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_FALSE(result.timed_out) << result.output;
  EXPECT_LT(result.seconds, 60) << result.output;
  EXPECT_NE(result.output.find("rank 2"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace te::testing
