// A rank frozen (SIGSTOP, the test hook TE_TEST_STOP_AT) where every rank waits for all the
// others and MPI itself has no deadline: inside MPI_Init, and just after it (the exchange of
// host names, then MPI_Finalize on the failure path). The others leave within the bootstrap
// timeout + 10 s, exit 1, with a line saying what they waited for (issue 18).
#include <gtest/gtest.h>

#include <tuple>

#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;

using FrozenCase = std::tuple<const char*, int, const char*>;  // stage, frozen rank, expected line

class FrozenRank : public ::testing::TestWithParam<FrozenCase> {};

TEST_P(FrozenRank, TheOthersLeaveWithinTheBootstrapTimeout) {
  const auto& [stage, frozen, expected] = GetParam();
  const std::string cmd =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 3 --oversubscribe --bind-to none "
      "--mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1 -x TE_TEST_STOP_AT=" + std::string(stage) +
      ":" + std::to_string(frozen) + " " + kBench + " --transport tcp --buffer-size 16M --duration 0.2 " +
      "--progress off --timeout 4";
  CommandResult r = runCommand(cmd, std::chrono::seconds(60));
  EXPECT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_LT(r.seconds, 4 + 10) << r.output;
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("MPI_Finalize did not complete"), std::string::npos) << "finalized on a failure path\n"
                                                                                << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Stages, FrozenRank,
    ::testing::Values(FrozenCase{"mpi_init", 0, "MPI_Init did not complete within 6 s on rank "},  // 4 + 2
                      FrozenCase{"mpi_init", 1, "MPI_Init did not complete within 4 s on rank 0 ("},
                      FrozenCase{"after_mpi_init", 0, "not every rank arrived"},
                      FrozenCase{"after_mpi_init", 1, "not every rank arrived"}),
    [](const ::testing::TestParamInfo<FrozenCase>& info) {
      return std::string(std::get<0>(info.param)) + "_rank" + std::to_string(std::get<1>(info.param));
    });

}  // namespace
}  // namespace te::testing
