// Bootstrap: how ranks find each other and exchange bytes before and between measurements.
// Implementations: mpi/ (default, under mpirun or srun), local/ (threads in one process, for
// tests), kv/ (etcd, redis). Every collective takes a deadline; a missed deadline is an
// error that names the ranks that did not arrive where the implementation can tell.
#pragma once

#include <memory>
#include <optional>
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

  // Hand-offs that survive a lost rank (the runner's, after every phase: what was measured
  // must outlive a rank that dies or freezes later). A rank is lost when it sent nothing for
  // `silence`: neither its part nor a heartbeat. A rank that works between two hand-offs (a
  // phase of any length) calls heartbeat() every silence / 4 or so; where the bootstrap
  // knows its ranks' liveness otherwise (etcd / redis: the claim keys' lease) it is a no-op.
  virtual void heartbeat() {}
  // Every rank's bytes at `root`, as far as they arrived: nullopt for a rank lost (by
  // `silence`, or still missing at `deadline`), *lost naming those ranks and why ("" when
  // none). Other ranks get an empty vector; they fail only if the root is unreachable.
  // Default: gather(), all or nothing.
  virtual Result<std::vector<std::optional<Bytes>>> gatherSurviving(const Bytes& mine, int root, Deadline deadline,
                                                                    Clock::duration silence, std::string* lost);
  // `data` from `root` to every rank, each waiting while the root is alive (it heartbeats
  // while it works): a root silent for `silence` is an error naming it. Default: broadcast().
  virtual Result<Bytes> tell(const Bytes& data, int root, Deadline deadline, Clock::duration silence);
};

// Gathers every rank's status at rank 0 and returns, on every rank, the first failure (by
// rank order) or OK. Used so that an error seen by one rank ends the run on all of them.
Status agreeOnStatus(Bootstrap& bootstrap, const Status& mine, Deadline deadline);

}  // namespace te::bootstrap
