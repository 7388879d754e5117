#include "bootstrap/local/local_bootstrap.h"

#include <cstdlib>

namespace te::bootstrap {

LocalGroup::LocalGroup(int size, std::vector<std::string> hostnames)
    : size_(size), hostnames_(std::move(hostnames)) {
  hostnames_.resize(size, "localhost");
}

Result<std::vector<std::vector<Bytes>>> LocalGroup::exchange(uint64_t op_id, int rank,
                                                             std::vector<Bytes> data,
                                                             Deadline deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  Op& op = ops_[op_id];
  if (op.contributions.empty()) op.contributions.resize(size_);
  op.contributions[rank] = std::move(data);
  ++op.arrived;
  cv_.notify_all();
  if (!cv_.wait_until(lock, deadline, [&] { return op.arrived == size_; })) {
    std::string missing;
    for (int r = 0; r < size_; ++r) {
      if (!op.contributions[r]) missing += (missing.empty() ? "" : ",") + std::to_string(r);
    }
    return deadlineExceeded("local bootstrap: ranks " + missing + " did not arrive in time");
  }
  std::vector<std::vector<Bytes>> out;
  out.reserve(size_);
  for (auto& c : op.contributions) out.push_back(*c);
  if (++op.departed == size_) ops_.erase(op_id);
  return out;
}

Result<std::vector<Bytes>> LocalBootstrap::allGather(const Bytes& mine, Deadline deadline) {
  TE_ASSIGN_OR_RETURN(auto all, group_->exchange(next_op_++, rank_, {mine}, deadline));
  std::vector<Bytes> out;
  for (auto& c : all) out.push_back(std::move(c[0]));
  return out;
}

Result<std::vector<Bytes>> LocalBootstrap::allToAll(const std::vector<Bytes>& to_each,
                                                    Deadline deadline) {
  if (static_cast<int>(to_each.size()) != size()) {
    return invalidArgument("allToAll: need one entry per rank");
  }
  TE_ASSIGN_OR_RETURN(auto all, group_->exchange(next_op_++, rank_, to_each, deadline));
  std::vector<Bytes> out;
  for (auto& c : all) out.push_back(std::move(c[rank_]));
  return out;
}

Status LocalBootstrap::barrier(Deadline deadline) {
  return group_->exchange(next_op_++, rank_, {Bytes{}}, deadline).status();
}

Result<Bytes> LocalBootstrap::broadcast(const Bytes& data, int root, Deadline deadline) {
  TE_ASSIGN_OR_RETURN(auto all, allGather(rank_ == root ? data : Bytes{}, deadline));
  return all[root];
}

void LocalBootstrap::abortJob(int exit_code) { std::_Exit(exit_code); }

}  // namespace te::bootstrap
