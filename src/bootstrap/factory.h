// Chooses and creates the bootstrap named by --bootstrap ("mpi", later etcd:// and redis://).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bootstrap/bootstrap.h"

namespace te::bootstrap {

struct BootstrapOptions {
  std::string spec = "mpi";         // "mpi" | "etcd://host:port[,..]" | "redis://host:port"
  std::optional<int> rank;          // --rank (KV bootstraps), else from the launcher env
  std::optional<int> size;          // --size
  std::string job_id;               // --job-id
  std::chrono::milliseconds timeout{60000};
};

// Checks the spec's syntax (scheme, host:port list) without contacting anything.
Status validateBootstrapOptions(const BootstrapOptions& options);

Result<std::unique_ptr<Bootstrap>> createBootstrap(const BootstrapOptions& options);

}  // namespace te::bootstrap
