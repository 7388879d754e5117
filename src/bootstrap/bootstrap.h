// Bootstrap: how ranks find each other and exchange bytes before and between measurements.
// Implementations: mpi/ (default, under mpirun or srun), local/ (threads in one process, for
// tests), kv/ (etcd, redis). Every collective takes a deadline; a missed deadline is an
// error that names the ranks that did not arrive where the implementation can tell.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/collective.h"
#include "common/status.h"

namespace te::bootstrap {

class Bootstrap : public Collective {
 public:
  // "mpi", "local", "etcd", "redis".
  virtual std::string kind() const = 0;
  // `data` on `root` is copied to every rank; other ranks' `data` is ignored.
  virtual Result<Bytes> broadcast(const Bytes& data, int root, Deadline deadline) = 0;
  // Gathers every rank's bytes at `root` (other ranks get an empty vector).
  virtual Result<std::vector<Bytes>> gather(const Bytes& mine, int root, Deadline deadline);
  // Best-effort abort of the whole job after a fatal error (MPI_Abort for MPI).
  virtual void abortJob(int exit_code) = 0;
};

// Gathers every rank's status at rank 0 and returns, on every rank, the first failure (by
// rank order) or OK. Used so that an error seen by one rank ends the run on all of them.
Status agreeOnStatus(Bootstrap& bootstrap, const Status& mine, Deadline deadline);

}  // namespace te::bootstrap
