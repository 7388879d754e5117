// Bootstrap over a KvStore, shared by etcd and redis: ranks meet under /te_bench/<job>/,
// rank 0 opens a fresh epoch, every rank claims its number, rank 0 publishes the roster
// (hostnames included), and each collective is one numbered set of keys: a rank writes its
// part in one request and polls (with backoff, up to the deadline) one prefix for the others'.
// allToAll writes one key per destination, so a rank sends and receives O(N) bytes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bootstrap/bootstrap.h"
#include "bootstrap/kv/kv_records.h"
#include "bootstrap/kv/kv_store.h"

namespace te::bootstrap::kv {

struct KvJobOptions {
  std::string kind;    // "etcd" | "redis": what kind() reports
  int rank = 0;
  int size = 0;
  std::string job_id;  // validJobId()
  std::string host;    // this process's host name
};

// Where the join stands; also the state a bootstrap keeps.
struct JoinedJob {
  uint64_t epoch = 0;
  std::vector<Identity> ranks;  // from the roster: host, pid, instance per rank
};

class KvBootstrap final : public Bootstrap {
 public:
  // Joins the job (see kv_rendezvous.cc): fails with kDeadlineExceeded naming the ranks that
  // did not arrive, or with an error naming both hosts when a rank is claimed twice.
  static Result<std::unique_ptr<KvBootstrap>> create(KvStorePtr store, const KvJobOptions& options,
                                                     Deadline deadline);
  // Writes "left"; rank 0 waits (briefly) for every rank's and then deletes the job's keys.
  ~KvBootstrap() override;

  int rank() const override { return options_.rank; }
  int size() const override { return options_.size; }
  const std::string& hostname(int rank) const override { return job_.ranks[rank].host; }
  std::string kind() const override { return options_.kind; }

  Result<std::vector<Bytes>> allGather(const Bytes& mine, Deadline deadline) override;
  Result<std::vector<Bytes>> allToAll(const std::vector<Bytes>& to_each, Deadline deadline) override;
  Status barrier(Deadline deadline) override;
  Result<Bytes> broadcast(const Bytes& data, int root, Deadline deadline) override;
  // Only the root reads: the others write their key and go on (one round trip).
  Result<std::vector<Bytes>> gather(const Bytes& mine, int root, Deadline deadline) override;
  // At the root: waits until every rank's key is there, a rank's claim has expired (the
  // claims' lease is the liveness: `silence` is not used), or the deadline; keeps what arrived.
  Result<std::vector<std::optional<Bytes>>> gatherSurviving(const Bytes& mine, int root, Deadline deadline,
                                                            Clock::duration silence, std::string* lost) override;
  // The root writes one key; the others wait for it while the root's claim lives (a rank
  // lost elsewhere is the root's to name, not theirs).
  Result<Bytes> tell(const Bytes& data, int root, Deadline deadline, Clock::duration silence) override;
  // --on-failure continue (bootstrap.h): a lost rank's part of every later collective is an
  // empty value that each survivor writes for it, so that the others' waits still complete.
  bool enableSurvivingLosses() override {
    survive_ = true;
    return true;
  }
  Status exclude(int rank) override;
  bool excluded(int rank) const override { return excluded_[static_cast<size_t>(rank)]; }
  // Marks the job aborted (the other ranks stop within a second) and exits.
  [[noreturn]] void abortJob(int exit_code) override;

  const KvStats& stats() const { return store_->stats(); }
  const KeyLayout& keys() const { return keys_; }

 private:
  KvBootstrap(KvStorePtr store, KvJobOptions options, Identity me, JoinedJob job);
  // One numbered collective: write `puts`, wait for `size()` keys under `wait_prefix`.
  // `check` replaces checkPeers while waiting (gatherSurvivors).
  Result<std::vector<Bytes>> exchange(const char* what, uint64_t op, std::vector<KeyValue> puts,
                                      const std::string& wait_prefix, Deadline deadline, const PollCheck& check = {});
  // The root's gatherSurviving with --on-failure continue: a rank whose claim expires gets an
  // empty part written for it (nullopt in the result) and the wait goes on for the others.
  Result<std::vector<std::optional<Bytes>>> gatherSurvivors(const Bytes& mine, Deadline deadline, std::string* lost);
  // "rank 2 (h) is gone: the claim key expired (...)".
  std::string goneText(const std::vector<int>& gone) const;
  KeyValue emptyPart(const std::string& prefix, uint64_t op, int rank) const;
  // Abort marker or a rank whose claim expired: the reason to stop waiting.
  Status checkPeers(Deadline deadline);
  Status checkAbort(Deadline deadline);
  std::string rankText(int rank) const;  // "rank 3 (node07)"
  std::string ranksText(const std::vector<int>& ranks) const;

  KvStorePtr store_;
  const KvJobOptions options_;
  const Identity me_;
  const JoinedJob job_;
  const KeyLayout keys_;
  uint64_t next_op_ = 0;
  bool survive_ = false;
  std::vector<bool> excluded_;  // per rank: lost earlier, its parts written by the others
  Clock::time_point next_abort_check_{};  // exchange() reads the abort key at most once a second
  // This rank's keys of the last two collectives: everyone has read a collective's keys once
  // every rank has written the next one, so keys are deleted two collectives later.
  std::vector<std::string> keys_prev_, keys_prev2_;
  // Keys this rank wrote for a gather it did not root: the root has read them once this rank
  // has been through a later collective that waits for the root, so they join the keys of
  // the next such collective and go with them.
  std::vector<std::string> keys_gathered_;
};

// Joins (kv_rendezvous.cc): rank 0 opens the epoch and publishes the roster, the others
// claim their rank in it. Keys of an earlier job with this id (crashed, or still running)
// are waited out while they expire, or refused, naming both hosts, when their owner lives.
Result<JoinedJob> joinJob(KvStore& store, const KvJobOptions& options, const Identity& me, Deadline deadline);

// A random 64-bit number that is never 0 (instances, epochs).
uint64_t randomNonZero();

}  // namespace te::bootstrap::kv
