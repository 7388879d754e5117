// A rank frozen (SIGSTOP, the test hook TE_TEST_STOP_AT) inside MPI_Init, where every rank
// waits for all the others and MPI itself has no deadline: the others leave within the
// bootstrap timeout + 10 s, exit 1, with a line saying what they waited for (issue 18).
#include <gtest/gtest.h>

#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;

class FrozenInMpiInit : public ::testing::TestWithParam<int> {};

TEST_P(FrozenInMpiInit, TheOthersLeaveWithinTheBootstrapTimeout) {
  const int frozen = GetParam();
  const std::string cmd =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 3 --oversubscribe --bind-to none "
      "--mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1 -x TE_TEST_STOP_AT=mpi_init:" +
      std::to_string(frozen) + " " + kBench + " --transport tcp --buffer-size 16M --duration 0.2 --progress off " +
      "--timeout 4";
  CommandResult r = runCommand(cmd, std::chrono::seconds(60));
  EXPECT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_LT(r.seconds, 4 + 10) << r.output;
  EXPECT_NE(r.output.find("MPI_Init did not complete within"), std::string::npos) << r.output;
  // A rank that waited names itself, never the frozen one as the one that waited first.
  const int waiter = frozen == 0 ? 1 : 0;
  EXPECT_NE(r.output.find("on rank " + std::to_string(waiter) + " ("), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Ranks, FrozenInMpiInit, ::testing::Values(0, 1),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "rank" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace te::testing
