// The one place that reads the environment: launcher variables (Open MPI, Slurm, PMI),
// MC_GID_INDEX (Mooncake's name, honoured), NCCL_TOPO_FILE, the RDMA QoS settings (MC_IB_TC,
// NCCL_IB_SL, UCX_IB_*, ...), the names of Mooncake's MC_* variables, TE_LOG_LEVEL and test hooks.
// Everything else gets these values as an argument: BenchConfig::env in the bench, the `env`
// parameter of the bootstrap factory and of the transports' option descriptors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace te {

struct LauncherEnv {
  std::string launcher;            // "openmpi", "slurm", "pmi", or "" when none detected
  std::optional<int> rank;
  std::optional<int> size;
  std::optional<int> local_rank;
  std::optional<int> local_size;
  std::string job_id;              // OMPI_MCA_orte_ess_jobid, SLURM_JOB_ID[.SLURM_STEP_ID], PMIX_NAMESPACE
  std::string slurm_job_id;        // SLURM_JOB_ID under any launcher (mpirun in sbatch too): a Slurm job
  std::optional<int> gid_index;    // MC_GID_INDEX
  std::string log_level;           // TE_LOG_LEVEL
  std::string fault_inject;        // TE_FAULT_INJECT (test-only fault decorator spec)
  std::string test_stop_at;        // TE_TEST_STOP_AT=STAGE:RANK (test-only: that rank stops itself there)
  std::string nccl_topo_file;      // NCCL_TOPO_FILE (GPU-NIC pairing, as NCCL reads it)
  // The RDMA QoS settings that are set, by name, as given (checked where they are used):
  // MC_IB_TC, MC_IB_SL, MC_MTU, NCCL_IB_TC, NCCL_IB_SL, UCX_IB_TRAFFIC_CLASS, UCX_IB_SL,
  // UCX_IB_PATH_MTU.
  std::map<std::string, std::string> qos;
  std::string hostname;            // gethostname()
  std::vector<std::string> mc_variables;  // the names of every MC_* variable set (Mooncake's; bench/cli/mooncake_env.cc)
};

// Reads the process environment once (cached; thread-safe after the first call).
const LauncherEnv& launcherEnv();

// Parses an environment snapshot given as "NAME=value" strings (for unit tests).
LauncherEnv parseLauncherEnv(const char* const* environ_list, const std::string& hostname);

}  // namespace te
