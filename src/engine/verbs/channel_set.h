// The RC QPs of one rank and the workers that post on them: the workers (their CQs) are made
// once; QPs are made peer by peer, all at connect() or as phases need them (connections on
// demand, peer_plan.h), and released again. Between phases each worker gets a SendPath over
// the lanes connected then, so the data path never sees a connection come or go.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/collective.h"
#include "engine/verbs/connection.h"

namespace te::engine::verbs {

class ChannelSet {
 public:
  // The workers and their CQs, sized for `planned_peers` peers connected at once (a phase that
  // needs more gets shallower send queues: the CQs never overflow). No QP yet.
  static Result<std::unique_ptr<ChannelSet>> create(ChannelSetup setup, int planned_peers);
  ~ChannelSet();

  // Makes the QPs of `peers` and exchanges QP numbers with one allToAll: every rank calls it
  // (with its own peers, or none) when any rank connects. QPs reach RTS; rebuild() hands them
  // to the workers.
  Status connectPeers(const std::vector<int>& peers, Collective& collective, Deadline deadline);
  // The same pair by pair, through point-to-point messages: to each of `peers` its QP numbers,
  // then "ready" once this end is at RTS; returns when every one of them is ready too. Only
  // the ranks of a new pair take part (each calls it with the other among its peers).
  Status connectPairwise(const std::vector<int>& peers, PeerMessages& pairs, Deadline deadline);
  // Takes `peers`' QPs out of service (destroyed by the next rebuild, once no path uses them).
  void releasePeers(const std::vector<int>& peers);
  // Gives each worker a SendPath over the connected lanes (nothing may be in flight), then
  // destroys the released QPs.
  Status rebuild();

  int numWorkers() const { return static_cast<int>(workers_.size()); }
  VerbsWorker& worker(int i) { return *workers_[static_cast<size_t>(i)]; }

  // For describe(): the lanes now ("qps", "lanes_per_worker", ...), the QoS, and counts.
  const nlohmann::json& summary() const { return summary_; }
  nlohmann::json qos() const { return qosSummary(setup_, used_, static_cast<size_t>(qps_live_)); }
  uint64_t qpsCreated() const { return qps_created_; }
  uint64_t qpsLive() const { return qps_live_; }
  uint64_t qpsLiveMax() const { return qps_live_max_; }
  int peersLive() const { return peers_live_; }
  int peersLiveMax() const { return peers_live_max_; }
  // Queue memory pinned (modelled on mlx5, queue_sizing.h): the QPs' at their peak (send
  // queue and a page for the receive queue and doorbell each), and the CQs', made once.
  uint64_t qpBytesMax() const { return qp_bytes_max_; }
  uint64_t cqBytes() const;
  const CqPlan& cqPlan() const { return cq_plan_; }
  const GidPlan& gids() const { return setup_.gids; }

 private:
  explicit ChannelSet(ChannelSetup setup) : setup_(std::move(setup)) {}
  // Makes one peer's QPs (in INIT), their numbers into `qpns`.
  Result<std::unique_ptr<PeerChannels>> makePeer(int peer, std::vector<uint32_t>* qpns);
  // A peer's QPs are at RTS: they count as live from now.
  void adopt(std::unique_ptr<PeerChannels> pc);

  ChannelSetup setup_;
  CqPlan cq_plan_;
  SendPathConfig base_;  // every peer's keys; lanes added per rebuild
  std::chrono::milliseconds stall_{0};
  QpSettings used_;
  nlohmann::json summary_;
  uint64_t qps_created_ = 0, qps_live_ = 0, qps_live_max_ = 0;
  uint64_t qp_bytes_ = 0, qp_bytes_max_ = 0;
  int peers_live_ = 0, peers_live_max_ = 0;
  // Teardown order: QPs (peers_, released_) before the workers' CQs.
  std::vector<std::unique_ptr<VerbsWorker>> workers_;
  std::vector<std::unique_ptr<PeerChannels>> peers_;  // by rank; null: not connected
  std::vector<std::unique_ptr<PeerChannels>> released_;
};

}  // namespace te::engine::verbs
