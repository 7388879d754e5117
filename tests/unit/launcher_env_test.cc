#include "common/launcher_env.h"

#include <gtest/gtest.h>

namespace te {
namespace {

TEST(LauncherEnv, OpenMpiWinsOverSlurmInsideAnAllocation) {
  const char* env[] = {"OMPI_COMM_WORLD_RANK=3", "OMPI_COMM_WORLD_SIZE=8", "OMPI_COMM_WORLD_LOCAL_RANK=1",
                       "SLURM_PROCID=0", "SLURM_NTASKS=2", "SLURM_JOB_ID=77", "MC_GID_INDEX=3",
                       "NCCL_TOPO_FILE=/opt/microsoft/ndv5-topo.xml", nullptr};
  LauncherEnv e = parseLauncherEnv(env, "node07");
  EXPECT_EQ(e.launcher, "openmpi");
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.size, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.job_id, "77");
  EXPECT_EQ(e.gid_index, 3);
  EXPECT_EQ(e.nccl_topo_file, "/opt/microsoft/ndv5-topo.xml");
  EXPECT_EQ(e.hostname, "node07");
}

// The QoS settings are kept as given (checked where they are used), only those that are set.
TEST(LauncherEnv, QosSettingsAsGiven) {
  const char* env[] = {"MC_IB_TC=106", "NCCL_IB_SL=x", "UCX_IB_PATH_MTU=2048", "UCX_TLS=rc", "MC_MTU=", nullptr};
  LauncherEnv e = parseLauncherEnv(env, "h");
  EXPECT_EQ(e.qos, (std::map<std::string, std::string>{
                       {"MC_IB_TC", "106"}, {"NCCL_IB_SL", "x"}, {"UCX_IB_PATH_MTU", "2048"}, {"MC_MTU", ""}}));
}

TEST(LauncherEnv, SlurmAndPmiAndNothing) {
  const char* slurm[] = {"SLURM_PROCID=5", "SLURM_NTASKS=6", "SLURM_JOB_ID=12", "SLURM_STEP_ID=0", nullptr};
  LauncherEnv s = parseLauncherEnv(slurm, "h");
  EXPECT_EQ(s.launcher, "slurm");
  EXPECT_EQ(s.rank, 5);
  EXPECT_EQ(s.job_id, "12.0");
  const char* pmi[] = {"PMI_RANK=1", "PMI_SIZE=2", nullptr};
  EXPECT_EQ(parseLauncherEnv(pmi, "h").launcher, "pmi");
  const char* none[] = {"HOME=/root", "OMPI_COMM_WORLD_RANK=notanumber", nullptr};
  LauncherEnv n = parseLauncherEnv(none, "h");
  EXPECT_EQ(n.launcher, "");
  EXPECT_FALSE(n.rank.has_value());
}

// torchrun's LOCAL_RANK (also set by jobs/launch_local.sh) where the launcher gives none;
// Open MPI's own local rank wins where both are set.
TEST(LauncherEnv, LocalRankFromTorchrunNamesWhenTheLauncherHasNone) {
  const char* local[] = {"LOCAL_RANK=3", "LOCAL_WORLD_SIZE=8", nullptr};
  LauncherEnv l = parseLauncherEnv(local, "h");
  EXPECT_EQ(l.local_rank, 3);
  EXPECT_EQ(l.local_size, 8);
  const char* both[] = {"OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_LOCAL_RANK=1", "LOCAL_RANK=5", nullptr};
  EXPECT_EQ(parseLauncherEnv(both, "h").local_rank, 1);
}

}  // namespace
}  // namespace te
