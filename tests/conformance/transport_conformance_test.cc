// One test body run over every transport built into this binary (tcp, ucx, verbs, ...).
// A transport whose probe fails here (no RDMA device, say) is skipped with the reason.
// Filter one transport with --gtest_filter='*/verbs'.
#include <gtest/gtest.h>

#include "conformance/connected_pair.h"
#include "engine/memory/pattern.h"
#include "engine/transfer_engine.h"

namespace te::testing {
namespace {

using engine::Completion;
using engine::OpCode;
using engine::Request;

constexpr size_t kBuffer = 16 << 20;

class TransportConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const engine::TransportInfo* info = engine::findTransport(GetParam());
    ASSERT_NE(info, nullptr);
    Status probe = info->probe(config_);
    if (!probe.isOk()) GTEST_SKIP() << GetParam() << " cannot run here: " << probe.message();
  }

  // One rank of an in-process group: an engine over GetParam() with a DRAM buffer filled
  // with pattern `seed`, registered and connected (the engine is declared after the buffer).
  struct Rank {
    std::unique_ptr<engine::DramBuffer> buffer;
    std::unique_ptr<engine::TransferEngine> engine;
  };
  Result<Rank> connectRank(bootstrap::LocalBootstrap& bs, uint64_t seed) {
    Rank r;
    TE_ASSIGN_OR_RETURN(r.buffer, engine::DramBuffer::allocate({kBuffer, -1, false}));
    TE_ASSIGN_OR_RETURN(r.engine, engine::TransferEngine::create(GetParam(), config_));
    engine::fillPattern(r.buffer->data(), kBuffer, seed);
    TE_RETURN_IF_ERROR(r.engine->registerLocalMemory(r.buffer->data(), kBuffer, engine::MemoryKind::kDram).status());
    TE_RETURN_IF_ERROR(r.engine->connect(bs, deadlineIn(std::chrono::seconds(30))));
    return r;
  }

  std::unique_ptr<ConnectedPair> connect(int ranks = 2, bool transport_memory = false) {
    auto pair = ConnectedPair::create(GetParam(), kBuffer, config_, ranks, transport_memory);
    EXPECT_TRUE(pair.isOk()) << pair.status().message();
    return pair.isOk() ? std::move(pair).value() : nullptr;
  }

  static Request request(OpCode op, int peer, uint64_t local_offset, uint64_t remote_offset, uint64_t length,
                         uint64_t user_data = 0) {
    Request r;
    r.op = op;
    r.peer = peer;
    r.local_offset = local_offset;
    r.remote_offset = remote_offset;
    r.length = length;
    r.user_data = user_data;
    return r;
  }

  engine::TransportConfig config_{};
};

TEST_P(TransportConformance, ConnectPublishesRegions) {
  auto pair = connect();
  ASSERT_TRUE(pair);
  const auto& regions = pair->sides[0].transport->remoteRegions(1);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].length, kBuffer);
  EXPECT_TRUE(pair->sides[0].transport->remoteRegions(0).empty()) << "self is not a peer";
  EXPECT_FALSE(pair->sides[0].transport->describe().is_null());
}

TEST_P(TransportConformance, WriteThenReadBackIsByteExact) {
  auto pair = connect();
  ASSERT_TRUE(pair);
  Status s = pair->writeThenReadBack();
  EXPECT_TRUE(s.isOk()) << s.message();
}

// The same in the memory the transport allocates itself (allocateBuffer; a DramBuffer where
// the transport has none), which is what the bench transfers from and into.
TEST_P(TransportConformance, WriteThenReadBackInTransportMemory) {
  auto pair = connect(2, true);
  ASSERT_TRUE(pair);
  Status s = pair->writeThenReadBack();
  EXPECT_TRUE(s.isOk()) << s.message();
}

TEST_P(TransportConformance, ManyRequestsInFlightEveryOneCompletesOnce) {
  auto pair = connect();
  ASSERT_TRUE(pair);
  std::vector<Request> requests;
  for (uint64_t i = 0; i < 2000; ++i) {
    requests.push_back(request(i % 2 ? OpCode::kRead : OpCode::kWrite, 1, (i * 4096) % kBuffer,
                               ((i * 7919) % 4096) * 4096, 4096, i));
  }
  auto done = pair->runToCompletion(0, 0, requests);
  ASSERT_TRUE(done.isOk()) << done.status().message();
  std::vector<int> seen(requests.size(), 0);
  for (const Completion& c : *done) {
    ASSERT_LT(c.user_data, requests.size());
    EXPECT_EQ(c.code, StatusCode::kOk);
    ++seen[c.user_data];
  }
  for (int s : seen) EXPECT_EQ(s, 1);
}

TEST_P(TransportConformance, OutOfRangeRemoteOffsetIsRejected) {
  auto pair = connect();
  ASSERT_TRUE(pair);
  engine::TransportWorker& w = pair->sides[0].transport->worker(0);
  std::vector<Request> bad = {request(OpCode::kWrite, 1, 0, kBuffer - 100, 4096)};
  Result<size_t> posted = w.post(bad);
  if (posted.isOk()) {
    // Accepted by the initiator: the completion must then carry the failure.
    std::vector<Completion> out(4);
    size_t n = 0;
    for (int i = 0; i < 10000 && n == 0; ++i) {
      n = w.poll(out);
      if (!n) w.waitForProgress(std::chrono::microseconds(1000));
    }
    ASSERT_EQ(n, 1u);
    EXPECT_NE(out[0].code, StatusCode::kOk);
  } else {
    EXPECT_EQ(posted.status().code(), StatusCode::kInvalidArgument) << posted.status().message();
    EXPECT_NE(posted.status().message().find("outside"), std::string::npos) << posted.status().message();
  }
  // The connection stays usable after a rejected request.
  auto ok = pair->runToCompletion(0, 0, {request(OpCode::kWrite, 1, 0, 0, 4096)});
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_EQ((*ok)[0].code, StatusCode::kOk);
}

TEST_P(TransportConformance, UnknownPeerAndRegionAreRejected) {
  auto pair = connect();
  ASSERT_TRUE(pair);
  engine::TransportWorker& w = pair->sides[0].transport->worker(0);
  EXPECT_EQ(w.post(std::vector<Request>{request(OpCode::kWrite, 7, 0, 0, 64)}).status().code(),
            StatusCode::kInvalidArgument);
  Request r = request(OpCode::kRead, 1, 0, 0, 64);
  r.remote_region = 3;
  EXPECT_EQ(w.post(std::vector<Request>{r}).status().code(), StatusCode::kInvalidArgument);
  r = request(OpCode::kRead, 1, kBuffer, 0, 64);  // local range outside
  EXPECT_EQ(w.post(std::vector<Request>{r}).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(TransportConformance, FourRanksAllPairsThroughTheEngineFacade) {
  constexpr int kRanks = 4;
  constexpr uint64_t kPiece = 65536;
  auto group = std::make_shared<bootstrap::LocalGroup>(kRanks);
  std::vector<std::string> errors(kRanks);
  std::vector<std::thread> threads;
  for (int me = 0; me < kRanks; ++me) {
    threads.emplace_back([&, me] {
      auto fail = [&](const Status& s) { errors[me] = s.message(); };
      bootstrap::LocalBootstrap bs(group, me);
      auto rank = connectRank(bs, 1000 + me);
      if (!rank.isOk()) return fail(rank.status());
      engine::TransferEngine* eng = rank->engine.get();
      uint8_t* base = rank->buffer->data();
      Status s;
      auto batch = eng->allocateBatch(0, kRanks);
      if (!batch.isOk()) return fail(batch.status());
      // READ kPiece bytes from every peer at offset kPiece * me into [8 MiB + kPiece * peer).
      std::vector<engine::TransferRequest> reqs;
      for (int peer = 0; peer < kRanks; ++peer) {
        if (peer == me) continue;
        auto seg = eng->openSegment(peer);
        if (!seg.isOk()) return fail(seg.status());
        engine::TransferRequest t;
        t.opcode = OpCode::kRead;
        t.source = base + (8 << 20) + peer * kPiece;
        t.target_id = *seg;
        t.target_offset = static_cast<uint64_t>(me) * kPiece;
        t.length = kPiece;
        reqs.push_back(t);
      }
      s = eng->submitTransfer(*batch, reqs);
      if (!s.isOk()) return fail(s);
      std::vector<uint32_t> finished(kRanks);
      Deadline deadline = deadlineIn(std::chrono::seconds(30));
      while (!eng->batchDone(*batch)) {
        if (eng->progress(*batch, finished) == 0) eng->waitForProgress(*batch, std::chrono::microseconds(200));
        if (Clock::now() > deadline) return fail(deadlineExceeded("batch did not finish"));
      }
      for (size_t task = 0; task < reqs.size(); ++task) {
        if (eng->getTransferStatus(*batch, task).state != engine::TransferState::kCompleted) {
          return fail(internalError("task " + std::to_string(task) + " not completed"));
        }
      }
      for (int peer = 0; peer < kRanks; ++peer) {
        if (peer == me) continue;
        auto bad = engine::verifyPattern(base + (8 << 20) + peer * kPiece, kPiece, 1000 + peer,
                                         static_cast<uint64_t>(me) * kPiece);
        if (bad) return fail(dataLoss("data read from rank " + std::to_string(peer) + " differs"));
      }
      // Keep serving until every rank has read (the target side must stay up).
      s = bs.barrier(deadlineIn(std::chrono::seconds(30)));
      if (!s.isOk()) return fail(s);
      (void)eng->freeBatch(*batch);
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < kRanks; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
}

// The runner polls a worker once per pass over its batches: a batch that is never polled
// itself must still finish from the completions another batch's poll routed to it.
TEST_P(TransportConformance, OnePollFinishesEveryBatchOfTheWorker) {
  constexpr uint64_t kPiece = 65536;
  auto group = std::make_shared<bootstrap::LocalGroup>(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int me = 0; me < 2; ++me) {
    threads.emplace_back([&, me] {
      auto fail = [&](const Status& s) { errors[me] = s.message(); };
      bootstrap::LocalBootstrap bs(group, me);
      auto rank = connectRank(bs, 2000 + me);
      if (!rank.isOk()) return fail(rank.status());
      engine::TransferEngine* eng = rank->engine.get();
      uint8_t* base = rank->buffer->data();
      Status s;
      if (me == 0) {
        auto seg = eng->openSegment(1);
        if (!seg.isOk()) return fail(seg.status());
        engine::BatchId batches[2];
        for (int k = 0; k < 2; ++k) {
          auto batch = eng->allocateBatch(0, 4);
          if (!batch.isOk()) return fail(batch.status());
          batches[k] = *batch;
          std::vector<engine::TransferRequest> reqs(4);
          for (int i = 0; i < 4; ++i) {  // batch k reads pieces 4k..4k+3 of rank 1
            reqs[i].opcode = OpCode::kRead;
            reqs[i].source = base + (8 << 20) + (4 * k + i) * kPiece;
            reqs[i].target_id = *seg;
            reqs[i].target_offset = (4 * k + i) * kPiece;
            reqs[i].length = kPiece;
          }
          s = eng->submitTransfer(*batch, reqs);
          if (!s.isOk()) return fail(s);
        }
        std::vector<uint32_t> finished(4);
        size_t second = 0;  // tasks of the second batch reported, never polling its worker
        Deadline deadline = deadlineIn(std::chrono::seconds(30));
        while (!eng->batchDone(batches[0]) || !eng->batchDone(batches[1])) {
          size_t n = eng->progress(batches[0], finished, true);
          second += eng->progress(batches[1], finished, false);
          if (n == 0) eng->waitForProgress(batches[0], std::chrono::microseconds(200));
          if (Clock::now() > deadline) return fail(deadlineExceeded("batches did not finish"));
        }
        if (second != 4) return fail(internalError("second batch reported " + std::to_string(second) + " of 4"));
        auto bad = engine::verifyPattern(base + (8 << 20), 8 * kPiece, 2001, 0);
        if (bad) return fail(dataLoss("data read from rank 1 differs"));
        for (auto b : batches) (void)eng->freeBatch(b);
      }
      s = bs.barrier(deadlineIn(std::chrono::seconds(30)));
      if (!s.isOk()) return fail(s);
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < 2; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
}

std::vector<std::string> builtTransports() {
  std::vector<std::string> names;
  for (const auto& t : engine::builtinTransports()) names.push_back(t.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllTransports, TransportConformance, ::testing::ValuesIn(builtTransports()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace te::testing
