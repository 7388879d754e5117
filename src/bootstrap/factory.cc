#include "bootstrap/factory.h"

#include "common/shown_value.h"

#include "bootstrap/kv/kv_bootstrap.h"
#include "bootstrap/kv/kv_records.h"
#include "bootstrap/kv/kv_store.h"
#include "bootstrap/mpi/mpi_bootstrap.h"

namespace te::bootstrap {
namespace {

Status needFlags(const std::string& spec, const std::string& flags, const std::string& env_names) {
  return invalidArgument("--bootstrap " + shownValue(spec) + " needs " + flags + " (no launcher variable " + env_names +
                         " to take it from; jobs/launch_local.sh N -- te_bench ... passes them on one machine)");
}

}  // namespace

Result<ResolvedBootstrap> resolveBootstrapOptions(const BootstrapOptions& o, const LauncherEnv& env) {
  ResolvedBootstrap r;
  if (o.spec == "auto" || o.spec.empty()) {
    if (env.launcher.empty()) {
      return invalidArgument(
          "no launcher found (no OMPI_COMM_WORLD_*, SLURM_*, PMI_* variables): start te_bench with "
          "mpirun -np N / srun, or pass --bootstrap etcd://host:port or --bootstrap redis://host:port with "
          "--rank, --size and --job-id (jobs/launch_local.sh N -- te_bench --bootstrap URL ... on one machine)");
    }
    r.spec = "mpi";
    return r;
  }
  if (o.spec == "mpi") {
    r.spec = "mpi";
    return r;
  }
  TE_RETURN_IF_ERROR(kv::validateKvUrl(o.spec));
  r.spec = o.spec;
  r.kv = true;
  std::optional<int> rank = o.rank ? o.rank : env.rank;
  std::optional<int> size = o.size ? o.size : env.size;
  r.job_id = o.job_id.empty() ? env.job_id : o.job_id;
  if (!rank && !size) return needFlags(o.spec, "--rank and --size", "SLURM_PROCID / OMPI_COMM_WORLD_RANK / PMI_RANK");
  if (!rank) return needFlags(o.spec, "--rank", "SLURM_PROCID / OMPI_COMM_WORLD_RANK / PMI_RANK");
  if (!size) return needFlags(o.spec, "--size", "SLURM_NTASKS / OMPI_COMM_WORLD_SIZE / PMI_SIZE");
  if (r.job_id.empty()) return needFlags(o.spec, "--job-id, the same on every rank of a job", "SLURM_JOB_ID / OMPI_MCA_orte_ess_jobid");
  if (*size < 1 || *size > kMaxRanks) {
    return invalidArgument("--size " + std::to_string(*size) + ": allowed 1.." + std::to_string(kMaxRanks));
  }
  if (*rank < 0 || *rank >= *size) {
    return invalidArgument("--rank " + std::to_string(*rank) + ": allowed 0.." + std::to_string(*size - 1) +
                           " (--size " + std::to_string(*size) + ")");
  }
  if (!kv::validJobId(r.job_id)) {
    return invalidArgument("--job-id " + shownValue(r.job_id) + ": allowed 1..128 of the characters A-Z a-z 0-9 . _ : -");
  }
  r.rank = *rank;
  r.size = *size;
  return r;
}

Status validateBootstrapOptions(const BootstrapOptions& options, const LauncherEnv& env) {
  return resolveBootstrapOptions(options, env).status();
}

Result<std::unique_ptr<Bootstrap>> createBootstrap(const BootstrapOptions& options, const LauncherEnv& env) {
  const Deadline deadline = deadlineIn(options.timeout);
  TE_ASSIGN_OR_RETURN(ResolvedBootstrap r, resolveBootstrapOptions(options, env));
  if (!r.kv) return createMpiBootstrap(deadline, env);
  TE_ASSIGN_OR_RETURN(kv::KvStorePtr store, kv::connectKvStore({r.spec, options.kv_ttl, options.kv_connect_timeout}));
  kv::KvJobOptions job{r.spec.substr(0, r.spec.find("://")), r.rank, r.size, r.job_id, env.hostname};
  TE_ASSIGN_OR_RETURN(auto bootstrap, kv::KvBootstrap::create(std::move(store), job, deadline));
  return std::unique_ptr<Bootstrap>(std::move(bootstrap));
}

}  // namespace te::bootstrap
