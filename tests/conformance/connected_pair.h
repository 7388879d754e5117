// Test fixture helper: two ranks of one transport inside one process (two threads, the local
// bootstrap), each with a registered buffer, connected to each other.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bootstrap/local/local_bootstrap.h"
#include "engine/memory/dram_buffer.h"
#include "engine/transport_registry.h"

namespace te::testing {

struct RankSide {
  std::unique_ptr<bootstrap::LocalBootstrap> bootstrap;
  engine::TransportPtr transport;
  std::unique_ptr<engine::DramBuffer> buffer;
  engine::RegionId region = 0;
};

class ConnectedPair {
 public:
  // Creates `ranks` transports named `name` with `buffer_size` bytes each and connects them.
  static Result<std::unique_ptr<ConnectedPair>> create(const std::string& name, size_t buffer_size,
                                                       engine::TransportConfig config = {}, int ranks = 2) {
    const engine::TransportInfo* info = engine::findTransport(name);
    if (!info) return notFound("transport " + name + " is not built");
    auto pair = std::make_unique<ConnectedPair>();
    auto group = std::make_shared<bootstrap::LocalGroup>(ranks);
    pair->sides.resize(ranks);
    for (int r = 0; r < ranks; ++r) {
      RankSide& s = pair->sides[r];
      s.bootstrap = std::make_unique<bootstrap::LocalBootstrap>(group, r);
      TE_ASSIGN_OR_RETURN(s.transport, info->create(config));
      TE_ASSIGN_OR_RETURN(s.buffer, engine::DramBuffer::allocate({buffer_size, -1, false}));
      TE_ASSIGN_OR_RETURN(s.region, s.transport->registerMemory(s.buffer->data(), buffer_size, engine::MemoryKind::kDram));
    }
    std::vector<Status> results(ranks);
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks; ++r) {
      threads.emplace_back([&, r] {
        RankSide& s = pair->sides[r];
        results[r] = s.transport->connect(*s.bootstrap, deadlineIn(std::chrono::seconds(30)));
      });
    }
    for (auto& t : threads) t.join();
    for (const Status& st : results) TE_RETURN_IF_ERROR(st);
    return pair;
  }

  // Posts `requests` on rank `rank`'s worker `worker` and polls until all completed or the
  // deadline passes. Returns the completions (in completion order).
  Result<std::vector<engine::Completion>> runToCompletion(int rank, int worker,
                                                          const std::vector<engine::Request>& requests,
                                                          std::chrono::seconds timeout = std::chrono::seconds(30)) {
    engine::TransportWorker& w = sides[rank].transport->worker(worker);
    std::vector<engine::Completion> done;
    std::vector<engine::Completion> scratch(64);
    size_t posted = 0;
    Deadline deadline = deadlineIn(timeout);
    while (done.size() < requests.size()) {
      if (posted < requests.size()) {
        Result<size_t> n = w.post(std::span<const engine::Request>(requests).subspan(posted));
        if (n.isOk()) {
          posted += *n;
        } else if (n.status().code() != StatusCode::kTryAgain) {
          return n.status();
        }
      }
      size_t got = w.poll(scratch);
      done.insert(done.end(), scratch.begin(), scratch.begin() + got);
      if (got == 0) w.waitForProgress(std::chrono::microseconds(200));
      if (Clock::now() > deadline) return deadlineExceeded("requests did not complete in time");
    }
    return done;
  }

  std::vector<RankSide> sides;
};

}  // namespace te::testing
