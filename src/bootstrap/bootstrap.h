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

  // --on-failure continue: a job that goes on without a lost rank. survivingLosses(): whether
  // this bootstrap can (etcd / redis: every rank's keys are its own; MPI ends the whole job
  // when a process dies). Once enabled, gatherSurviving at the root keeps waiting for the
  // ranks still alive after one is lost (until its deadline), rather than stopping there.
  virtual bool enableSurvivingLosses() { return false; }
  // Every later collective of this rank goes on without `rank` (its part: empty bytes; a
  // gatherSurviving: nullopt). Every surviving rank must exclude the same ranks, at the same
  // point of the job (the runner does it on rank 0's word).
  virtual Status exclude(int rank);
  virtual bool excluded(int /*rank*/) const { return false; }

  // Point to point, for the runner's pair handshakes (a phase starts once the ranks near its
  // links are through the previous one, with no hand-off at rank 0 in between). A bootstrap
  // without it (the default) leaves the runner to hand off at rank 0 after every phase.
  virtual bool hasPointToPoint() const { return false; }
  static constexpr int kChannels = 4;
  // Queues `data` for rank `to` on `channel` (0..kChannels-1) and returns at once: messages
  // from one rank to another on one channel arrive in the order posted.
  virtual Status post(int to, int channel, Bytes data);
  struct Message {
    int from = -1;
    Bytes data;
  };
  // The oldest message on `channel` from `from` (-1: from any rank), if one has arrived.
  virtual Result<std::optional<Message>> receive(int from, int channel);
  // When this rank last heard from each rank (a heartbeat or a message): rank 0 hears every
  // rank's heartbeats, every rank hears rank 0's. The epoch when never.
  virtual std::vector<Clock::time_point> lastHeard();
};

// "rank 2 (node7), rank 5 (node9) sent nothing for 4 s (frozen, or lost with its node)";
// "" for no ranks.
std::string silentRanksText(const Bootstrap& bootstrap, const std::vector<int>& ranks, Clock::duration silence);

// Gathers every rank's status at rank 0 and returns, on every rank, the first failure (by
// rank order) or OK. Used so that an error seen by one rank ends the run on all of them.
Status agreeOnStatus(Bootstrap& bootstrap, const Status& mine, Deadline deadline);

}  // namespace te::bootstrap
