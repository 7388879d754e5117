// Initiator side of the TCP transport: one persistent connection per peer for this worker,
// a fixed ring of in-flight requests per connection (pipelined; replies come back in order),
// non-blocking sends with writev and payloads received straight into the local region.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/tcp/socket.h"
#include "engine/tcp/tcp_server.h"
#include "engine/tcp/wire.h"
#include "engine/transport.h"
#include "engine/worker/accept_prefix.h"

namespace te::engine::tcp {

struct PeerView {
  std::string hostname;
  std::string label;  // "rank 3 (node07)", for messages (worker::peerLabel)
  std::vector<RemoteRegionInfo> regions;
};

class TcpWorker final : public TransportWorker {
 public:
  TcpWorker(int rank, const std::vector<RegionView>* local, const std::vector<PeerView>* peers,
            uint32_t max_inflight);
  ~TcpWorker() override;

  void setConnection(int peer, Fd fd);

  Result<size_t> post(std::span<const Request> requests) override;
  size_t poll(std::span<Completion> out) override;
  void waitForProgress(std::chrono::microseconds max_wait) override;
  Status lastError() const override { return error_; }

 private:
  struct Conn;
  Status validate(const Request& r) const;
  // Queues `r` on its connection; sends what `*last` (the connection of the previous
  // request) queued when `r` goes elsewhere, so batches to several peers pipeline.
  worker::Offer offer(const Request& r, Conn** last);
  void activate(Conn& c);
  void sendSome(Conn& c);
  size_t receiveSome(Conn& c, std::span<Completion> out);
  size_t failAll(Conn& c, std::span<Completion> out);
  void markBroken(Conn& c, const std::string& why);

  const int rank_;
  const std::vector<RegionView>* local_;
  const std::vector<PeerView>* peers_;
  const uint32_t max_inflight_;
  std::vector<std::unique_ptr<Conn>> conns_;  // by peer rank; null for self
  std::vector<int> active_;                   // peers with requests outstanding
  Status error_;
};

}  // namespace te::engine::tcp
