#include "bootstrap/factory.h"

#include "bootstrap/mpi/mpi_bootstrap.h"

namespace te::bootstrap {

Status validateBootstrapOptions(const BootstrapOptions& options) {
  if (options.spec == "mpi") return Status::ok();
  return invalidArgument("--bootstrap " + options.spec + ": allowed values are mpi");
}

Result<std::unique_ptr<Bootstrap>> createBootstrap(const BootstrapOptions& options) {
  Deadline deadline = deadlineIn(options.timeout);
  if (options.spec == "mpi") return createMpiBootstrap(deadline);
  return invalidArgument("--bootstrap " + options.spec + ": unknown bootstrap (allowed: mpi)");
}

}  // namespace te::bootstrap
