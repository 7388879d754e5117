// te_bench over UCX (loopback tcp and shared memory) under mpirun, the side-by-side
// comparison mode, and UCX's error path; skipped where this build has no UCX.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/transport_registry.h"
#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;
const std::string kCheck = std::string(TE_TESTS_DIR) + "/support/check_report.py";

std::string mpirun(int np, const std::string& env) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " + env + " mpirun -np " + std::to_string(np) +
         " --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1 " +
         kBench + " --progress off --buffer-size 16M --duration 0.3 --warmup 0.05 --threads 2 --batch-size 16";
}

class TeBenchUcx : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!engine::findTransport("ucx")) GTEST_SKIP() << "this build has no UCX transport (TE_WITH_UCX)";
  }
};

struct UcxCase {
  const char* name;
  const char* env;
  int np;
  const char* operation;
  const char* write_completion = "remote";
  const char* extra = "";  // more te_bench flags
};

void PrintTo(const UcxCase& c, std::ostream* os) { *os << c.name; }

class TeBenchUcxRuns : public TeBenchUcx, public ::testing::WithParamInterface<UcxCase> {};

TEST_P(TeBenchUcxRuns, FullMatrixOverUcx) {
  const UcxCase& c = GetParam();
  std::string json = tempPath("ucx.json");
  CommandResult r = runCommand(mpirun(c.np, c.env) + " --transport ucx --operation " + c.operation +
                                   " --ucx-write-completion " + c.write_completion + " " + c.extra + " --json " + json,
                               std::chrono::seconds(180));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  CommandResult check = runCommand("python3 " + kCheck + " " + json + " " + std::to_string(c.np) + " ucx --blocks 1",
                                   std::chrono::seconds(30));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  std::ifstream f(json);
  nlohmann::json j;
  f >> j;
  // The transports UCX chose per peer are in the report.
  EXPECT_FALSE(j["transport"]["details"].dump().empty());
  EXPECT_EQ(j["options"]["ucx"]["write_completion"], c.write_completion);
  std::remove(json.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Tls, TeBenchUcxRuns,
    ::testing::Values(UcxCase{"tcp_np2_write", "UCX_TLS=tcp UCX_NET_DEVICES=lo", 2, "write"},
                      UcxCase{"tcp_np4_read", "UCX_TLS=tcp UCX_NET_DEVICES=lo", 4, "read"},
                      UcxCase{"sm_np2_read", "UCX_TLS=sm,self", 2, "read"},
                      UcxCase{"sm_np4_write", "UCX_TLS=sm,self", 4, "write"},
                      UcxCase{"tcp_np2_write_local", "UCX_TLS=tcp UCX_NET_DEVICES=lo", 2, "write", "local"},
                      // Many small WRITEs, several flushes in flight per endpoint, every block
                      // verified at its target after the phase (a WRITE finished before its data
                      // landed can leave a block there torn or missing).
                      UcxCase{"tcp_np4_write_verified", "UCX_TLS=tcp UCX_NET_DEVICES=lo", 4, "write", "remote",
                              "--integrity-check --block-size 4K --batches-in-flight 8"}),
    [](const ::testing::TestParamInfo<UcxCase>& info) { return std::string(info.param.name); });

TEST_F(TeBenchUcx, ComparisonModeRunsBothTransports) {
  std::string json = tempPath("cmp.json");
  CommandResult r = runCommand(mpirun(2, "UCX_TLS=sm,self") + " --transport tcp,ucx --json " + json,
                               std::chrono::seconds(180));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("comparison"), std::string::npos) << r.output;
  std::ifstream f(json);
  nlohmann::json j;
  f >> j;
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["transport"], "tcp");
  EXPECT_EQ(j["results"][1]["transport"], "ucx");
  EXPECT_TRUE(j["transports"].contains("tcp") && j["transports"].contains("ucx"));
  std::remove(json.c_str());
}

TEST_F(TeBenchUcx, UnusableUcxIsOneLineAndExitOne) {
  CommandResult r = runCommand(mpirun(2, "UCX_TLS=nosuchtl") + " --transport ucx", std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("te_bench: --transport ucx:"), std::string::npos) << r.output;
  EXPECT_EQ(countOccurrences(r.output, "te_bench: "), 1u) << r.output;
}

}  // namespace
}  // namespace te::testing
