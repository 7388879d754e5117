// In-process bootstrap: N threads of one process act as N ranks. For unit and conformance
// tests (a pair of transports connected inside one test binary).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bootstrap/bootstrap.h"

namespace te::bootstrap {

// Shared state of one group of local ranks. Create one, then one LocalBootstrap per rank.
class LocalGroup {
 public:
  explicit LocalGroup(int size, std::vector<std::string> hostnames = {});
  int size() const { return size_; }
  const std::string& hostname(int rank) const { return hostnames_[rank]; }

  // Rendezvous number `op` of `rank`: contributes `data`, returns every rank's contribution.
  Result<std::vector<std::vector<Bytes>>> exchange(uint64_t op, int rank,
                                                   std::vector<Bytes> data, Deadline deadline);

 private:
  struct Op {
    std::vector<std::optional<std::vector<Bytes>>> contributions;
    int arrived = 0;
    int departed = 0;
  };
  const int size_;
  std::vector<std::string> hostnames_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<uint64_t, Op> ops_;
};

class LocalBootstrap final : public Bootstrap {
 public:
  LocalBootstrap(std::shared_ptr<LocalGroup> group, int rank) : group_(std::move(group)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return group_->size(); }
  const std::string& hostname(int rank) const override { return group_->hostname(rank); }
  std::string kind() const override { return "local"; }

  Result<std::vector<Bytes>> allGather(const Bytes& mine, Deadline deadline) override;
  Result<std::vector<Bytes>> allToAll(const std::vector<Bytes>& to_each, Deadline deadline) override;
  Status barrier(Deadline deadline) override;
  Result<Bytes> broadcast(const Bytes& data, int root, Deadline deadline) override;
  void abortJob(int exit_code) override;

 private:
  std::shared_ptr<LocalGroup> group_;
  int rank_;
  uint64_t next_op_ = 0;
};

}  // namespace te::bootstrap
