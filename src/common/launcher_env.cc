#include "common/launcher_env.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>

extern char** environ;

namespace te {
namespace {

std::optional<int> toInt(const std::map<std::string, std::string>& env, const char* name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(it->second.c_str(), &end, 10);
  if (*end != '\0' || v < 0 || v > 1 << 30) return std::nullopt;
  return static_cast<int>(v);
}

std::string toStr(const std::map<std::string, std::string>& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

}  // namespace

LauncherEnv parseLauncherEnv(const char* const* environ_list, const std::string& hostname) {
  std::map<std::string, std::string> env;
  for (const char* const* p = environ_list; p && *p; ++p) {
    const char* eq = std::strchr(*p, '=');
    if (eq) env.emplace(std::string(*p, eq), std::string(eq + 1));
  }
  LauncherEnv out;
  out.hostname = hostname;
  // Open MPI first: under `mpirun` inside a Slurm allocation both sets exist and the
  // OMPI_* ones describe this job step.
  if (auto r = toInt(env, "OMPI_COMM_WORLD_RANK")) {
    out.launcher = "openmpi";
    out.rank = r;
    out.size = toInt(env, "OMPI_COMM_WORLD_SIZE");
    out.local_rank = toInt(env, "OMPI_COMM_WORLD_LOCAL_RANK");
    out.local_size = toInt(env, "OMPI_COMM_WORLD_LOCAL_SIZE");
    out.job_id = toStr(env, "OMPI_MCA_orte_ess_jobid");
  } else if (auto r = toInt(env, "SLURM_PROCID")) {
    out.launcher = "slurm";
    out.rank = r;
    out.size = toInt(env, "SLURM_NTASKS");
    out.local_rank = toInt(env, "SLURM_LOCALID");
    out.local_size = toInt(env, "SLURM_NTASKS_PER_NODE");
  } else if (auto r = toInt(env, "PMI_RANK")) {
    out.launcher = "pmi";
    out.rank = r;
    out.size = toInt(env, "PMI_SIZE");
  } else if (auto r = toInt(env, "PMIX_RANK")) {
    out.launcher = "pmix";
    out.rank = r;
  }
  // torchrun's names, which many launchers (and jobs/launch_local.sh) set: --gpu-id auto
  // then spreads the ranks of a node over its GPUs without MPI or Slurm too.
  if (!out.local_rank) {
    out.local_rank = toInt(env, "LOCAL_RANK");
    out.local_size = toInt(env, "LOCAL_WORLD_SIZE");
  }
  out.slurm_job_id = toStr(env, "SLURM_JOB_ID");
  if (out.job_id.empty()) {
    std::string slurm_job = toStr(env, "SLURM_JOB_ID");
    std::string slurm_step = toStr(env, "SLURM_STEP_ID");
    out.job_id = slurm_job.empty() ? "" : slurm_job + (slurm_step.empty() ? "" : "." + slurm_step);
  }
  // PMIx launchers (prterun, srun --mpi=pmix) name the job by its namespace.
  if (out.job_id.empty()) out.job_id = toStr(env, "PMIX_NAMESPACE");
  out.gid_index = toInt(env, "MC_GID_INDEX");
  for (const auto& [name, value] : env) {
    if (name.rfind("MC_", 0) == 0) out.mc_variables.push_back(name);
  }
  out.log_level = toStr(env, "TE_LOG_LEVEL");
  out.fault_inject = toStr(env, "TE_FAULT_INJECT");
  out.test_stop_at = toStr(env, "TE_TEST_STOP_AT");
  out.nccl_topo_file = toStr(env, "NCCL_TOPO_FILE");
  for (const char* name : {"MC_IB_TC", "MC_IB_SL", "MC_MTU", "NCCL_IB_TC", "NCCL_IB_SL", "UCX_IB_TRAFFIC_CLASS",
                           "UCX_IB_SL", "UCX_IB_PATH_MTU"}) {
    if (auto it = env.find(name); it != env.end()) out.qos[name] = it->second;
  }
  return out;
}

const LauncherEnv& launcherEnv() {
  static const LauncherEnv env = [] {
    char host[256] = {0};
    if (::gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "unknown");
    return parseLauncherEnv(environ, host);
  }();
  return env;
}

}  // namespace te
