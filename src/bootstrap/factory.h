// Chooses and creates the bootstrap named by --bootstrap: "mpi" (the default under mpirun /
// srun), "etcd://host:port[,host:port...]" or "redis://host:port".
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bootstrap/bootstrap.h"
#include "common/launcher_env.h"

namespace te::bootstrap {

// The most ranks a job may have (--size), whatever the bootstrap.
constexpr int kMaxRanks = 1 << 20;

struct BootstrapOptions {
  // "auto": mpi when a launcher (mpirun, srun, PMI) started this process, else an error
  // asking for --bootstrap. Or "mpi" | "etcd://host:port[,..]" | "redis://host:port".
  std::string spec = "auto";
  std::optional<int> rank;          // --rank (KV bootstraps), else from the launcher env
  std::optional<int> size;          // --size
  std::string job_id;               // --job-id, else from the launcher env
  std::chrono::milliseconds timeout{60000};
  // KV bootstraps: lease / key TTL; a crashed job's keys vanish this long after it died.
  std::chrono::milliseconds kv_ttl{10000};
  std::chrono::milliseconds kv_connect_timeout{5000};
};

// The options after defaults and the launcher's environment: what the run uses.
struct ResolvedBootstrap {
  std::string spec;  // "mpi" or the KV url
  bool kv = false;
  int rank = -1;     // KV only (MPI learns them from MPI)
  int size = -1;
  std::string job_id;
};

// Applies the defaults and the launcher env; kInvalidArgument names the flag to pass.
Result<ResolvedBootstrap> resolveBootstrapOptions(const BootstrapOptions& options, const LauncherEnv& env);

// Checks the spec's syntax (scheme, host:port list) and that rank / size / job id are known,
// without contacting anything.
Status validateBootstrapOptions(const BootstrapOptions& options, const LauncherEnv& env);

// Connects and joins: kUnavailable naming the url when the server cannot be reached,
// kDeadlineExceeded naming the ranks that did not arrive within options.timeout. `env` is
// the launcher's environment (launcherEnv() in the program; the factory never reads it).
Result<std::unique_ptr<Bootstrap>> createBootstrap(const BootstrapOptions& options, const LauncherEnv& env);

}  // namespace te::bootstrap
