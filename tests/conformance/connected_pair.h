// Test fixture helper: two ranks of one transport inside one process (two threads, the local
// bootstrap), each with a registered buffer, connected to each other. The buffer is a
// DramBuffer, or (transport_memory) what the transport's allocateBuffer returns, falling back
// to a DramBuffer where it returns none, as the bench does.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bootstrap/local/local_bootstrap.h"
#include "engine/memory/dram_buffer.h"
#include "engine/memory/pattern.h"
#include "engine/transport_registry.h"

namespace te::testing {

// Members in this order so that the transport goes first: a DramBuffer must outlive requests
// still in flight (UCX's software RMA reads it while closing endpoints); a transport's own
// buffer is safe either way.
struct RankSide {
  std::unique_ptr<bootstrap::LocalBootstrap> bootstrap;
  engine::BufferPtr buffer;
  engine::TransportPtr transport;
  engine::RegionId region = 0;
};

class ConnectedPair {
 public:
  // Creates `ranks` transports named `name` with `buffer_size` bytes each and connects them.
  static Result<std::unique_ptr<ConnectedPair>> create(const std::string& name, size_t buffer_size,
                                                       engine::TransportConfig config = {}, int ranks = 2,
                                                       bool transport_memory = false) {
    const engine::TransportInfo* info = engine::findTransport(name);
    if (!info) return notFound("transport " + name + " is not built");
    auto pair = std::make_unique<ConnectedPair>();
    auto group = std::make_shared<bootstrap::LocalGroup>(ranks);
    pair->sides.resize(ranks);
    for (int r = 0; r < ranks; ++r) {
      RankSide& s = pair->sides[r];
      s.bootstrap = std::make_unique<bootstrap::LocalBootstrap>(group, r);
      TE_ASSIGN_OR_RETURN(s.transport, info->create(config));
      if (transport_memory) {
        TE_ASSIGN_OR_RETURN(s.buffer, s.transport->allocateBuffer(buffer_size, engine::MemoryKind::kDram, -1));
      }
      if (!s.buffer) {
        TE_ASSIGN_OR_RETURN(s.buffer, engine::DramBuffer::allocate({buffer_size, -1, false}));
      }
      TE_ASSIGN_OR_RETURN(s.region, s.transport->registerBuffer(*s.buffer));
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

  // Rank 0 WRITEs pattern pieces (odd sizes at unaligned offsets, up to 5 MiB: the buffers
  // need 8 MiB) into rank 1's buffer, checks the bytes there, clears its own buffer, READs the
  // pieces back and checks them. The first difference or failed request is the error.
  Status writeThenReadBack(uint64_t seed = 11) {
    const std::vector<std::pair<uint64_t, uint64_t>> pieces = {
        {0, 1}, {3, 4097}, {8192, 65536}, {100000, 1 << 20}, {3 << 20, 5 << 20}};
    engine::Buffer& local = *sides[0].buffer;
    engine::Buffer& remote = *sides[1].buffer;
    TE_RETURN_IF_ERROR(local.fillPattern(0, local.length(), seed, 0));
    TE_RETURN_IF_ERROR(remote.clear());
    for (engine::OpCode op : {engine::OpCode::kWrite, engine::OpCode::kRead}) {
      std::vector<engine::Request> requests;
      for (size_t i = 0; i < pieces.size(); ++i) {
        engine::Request r;
        r.op = op;
        r.peer = 1;
        r.local_offset = r.remote_offset = pieces[i].first;
        r.length = pieces[i].second;
        r.user_data = i;
        requests.push_back(r);
      }
      TE_ASSIGN_OR_RETURN(std::vector<engine::Completion> done, runToCompletion(0, 0, requests));
      if (done.size() != requests.size()) return internalError("completions: " + std::to_string(done.size()));
      for (const engine::Completion& c : done) {
        if (c.code != StatusCode::kOk) return internalError("request " + std::to_string(c.user_data) + " failed");
      }
      // After the WRITEs the target holds the pattern; after the READs the initiator again.
      engine::Buffer& check = op == engine::OpCode::kWrite ? remote : local;
      for (const auto& [off, len] : pieces) {
        TE_ASSIGN_OR_RETURN(std::optional<engine::PatternMismatch> bad, check.verifyPattern(off, len, seed, off));
        if (bad) {
          return dataLoss(std::string(op == engine::OpCode::kWrite ? "WRITE" : "READ") + " at " +
                          std::to_string(off) + ": first bad byte at " + std::to_string(bad->offset));
        }
      }
      if (op == engine::OpCode::kWrite) TE_RETURN_IF_ERROR(local.clear());
    }
    return Status::ok();
  }

  std::vector<RankSide> sides;
};

}  // namespace te::testing
