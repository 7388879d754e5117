// The verbs data path's logic without an RDMA device: wr_id layout, signalling and send-queue
// credits, the request slot table, and SendPath (slicing, QP / NIC spreading, WR chains,
// completion matching, failures, the stall watchdog's inputs) driven through a recording
// ibv_post_send that plays the QPs and the CQ.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>

#include "engine/verbs/qp_state.h"
#include "engine/verbs/send_path.h"
#include "engine/verbs/slicing.h"

namespace te::engine::verbs {
namespace {

constexpr uint64_t kRegion = 64 << 20;
constexpr uint64_t kLocalBase = 0x1000000;
constexpr uint64_t kRemoteBase = 0x90000000;

// ---------------------------------------------------------------- wr_id, credits, slots

TEST(VerbsWrId, RoundTripsEveryField) {
  for (WrTag t : {WrTag{0, 0, 0, false}, WrTag{kMaxSlots - 1, kMaxLanes - 1, kMaxRetire, true}, WrTag{12345, 77, 64, true},
                  WrTag{1, 2, 3, false}}) {
    WrTag d = decodeWrId(encodeWrId(t));
    EXPECT_EQ(d.slot, t.slot);
    EXPECT_EQ(d.lane, t.lane);
    EXPECT_EQ(d.retire, t.retire);
    EXPECT_EQ(d.counts, t.counts);
  }
  // Setting the counts bit later keeps the rest.
  uint64_t id = encodeWrId(WrTag{9, 8, 7, false}) | kCountsBit;
  EXPECT_TRUE(decodeWrId(id).counts);
  EXPECT_EQ(decodeWrId(id).retire, 7u);
}

TEST(VerbsCredits, SignalsEveryKthAndRetires) {
  EXPECT_EQ(signalInterval(1), 1u);
  EXPECT_EQ(signalInterval(8), 2u);
  EXPECT_EQ(signalInterval(256), 64u);
  EXPECT_EQ(signalInterval(4096), 64u);
  LaneCredits c(8, 3);
  EXPECT_EQ(c.take(), 0u);
  EXPECT_EQ(c.take(), 0u);
  EXPECT_EQ(c.take(), 3u);  // third WR of the run is signalled and retires all three
  EXPECT_EQ(c.run(), 0u);
  EXPECT_EQ(c.take(), 0u);
  EXPECT_EQ(c.closeRun(), 1u);  // end of a pass: the last WR closes the run
  EXPECT_EQ(c.free(), 4u);
  c.retire(3);
  c.retire(1);
  EXPECT_EQ(c.free(), 8u);
}

TEST(VerbsRequestSlots, FinishOnlyWhenFullyPostedAndNoSignalPending) {
  RequestSlots t(3);
  Request r;
  r.user_data = 10;
  uint32_t a = t.acquire(r);
  r.user_data = 11;
  uint32_t b = t.acquire(r);
  EXPECT_FALSE(finishIfDone(t, b)) << "not fully posted";
  t[b].fully_posted = true;
  EXPECT_TRUE(finishIfDone(t, b));
  EXPECT_FALSE(finishIfDone(t, b)) << "finishes once";
  t[a].fully_posted = true;
  t[a].pending = 1;
  EXPECT_FALSE(finishIfDone(t, a)) << "a signal is pending";
  t[a].pending = 0;
  t[a].code = StatusCode::kUnavailable;
  EXPECT_TRUE(finishIfDone(t, a));
  std::vector<Completion> out(2);
  ASSERT_EQ(t.drain(out), 2u);
  EXPECT_EQ(out[0].user_data, 11u);  // finish order, not slot order
  EXPECT_EQ(out[1].user_data, 10u);
  EXPECT_EQ(out[1].code, StatusCode::kUnavailable);
  uint32_t c = t.acquire(r);
  EXPECT_EQ(t[c].posted, 0u) << "a reused slot starts over";
  EXPECT_FALSE(t[c].fully_posted);
}

// ---------------------------------------------------------------- SendPath over a recorder

// Plays the QPs and the CQ: keeps each lane's posted WRs in order, completes them on demand
// like an RC send queue (in order per lane, CQEs for signalled WRs and for every WR once one
// failed), and checks independently that no lane ever holds more than `depth` WRs that no
// signalled completion has retired.
struct FakeQps {
  struct Wr {
    uint64_t wr_id;
    unsigned flags;
    ibv_wr_opcode opcode;
    uint64_t local;
    uint32_t length;
    uint32_t lkey;
    uint64_t remote;
    uint32_t rkey;
  };
  std::vector<std::deque<Wr>> queued;  // per lane: posted, not executed
  std::vector<uint32_t> unretired;     // per lane: SQ entries in use, as the HW sees it
  std::vector<uint32_t> since_signal;  // per lane: executed since the last signalled one
  std::vector<Wr> log;
  std::vector<uint32_t> depth;
  int posts = 0;
  int fail_with = 0;
  bool overflow = false;

  explicit FakeQps(const SendPathConfig& c) {
    for (const LaneSpec& l : c.lanes) depth.push_back(l.depth);
    queued.resize(depth.size());
    unretired.assign(depth.size(), 0);
    since_signal.assign(depth.size(), 0);
  }

  static int post(void* ctx, ibv_qp*, ibv_send_wr* wr, ibv_send_wr** bad) {
    auto* f = static_cast<FakeQps*>(ctx);
    ++f->posts;
    if (f->fail_with) {
      *bad = wr;
      return f->fail_with;
    }
    for (; wr; wr = wr->next) {
      Wr w{wr->wr_id, wr->send_flags, wr->opcode, wr->sg_list->addr, wr->sg_list->length, wr->sg_list->lkey,
           wr->wr.rdma.remote_addr, wr->wr.rdma.rkey};
      uint32_t lane = decodeWrId(wr->wr_id).lane;
      f->queued[lane].push_back(w);
      f->log.push_back(w);
      if (++f->unretired[lane] > f->depth[lane]) f->overflow = true;
    }
    return 0;
  }

  // Executes up to n WRs of a lane successfully; returns how many completions were reported.
  int complete(SendPath& p, uint32_t lane, size_t n = SIZE_MAX) {
    int cqes = 0;
    while (n-- > 0 && !queued[lane].empty()) {
      Wr w = queued[lane].front();
      queued[lane].pop_front();
      ++since_signal[lane];
      if (w.flags & IBV_SEND_SIGNALED) {
        unretired[lane] -= since_signal[lane];
        since_signal[lane] = 0;
        ibv_wc wc{};
        wc.wr_id = w.wr_id;
        wc.status = IBV_WC_SUCCESS;
        p.onCompletion(wc);
        ++cqes;
      }
    }
    return cqes;
  }
  void completeAll(SendPath& p) {
    for (uint32_t l = 0; l < queued.size(); ++l) complete(p, l);
  }
  // The first queued WR of the lane fails with `status`; the rest are flushed.
  void fail(SendPath& p, uint32_t lane, ibv_wc_status status) {
    bool first = true;
    while (!queued[lane].empty()) {
      ibv_wc wc{};
      wc.wr_id = queued[lane].front().wr_id;
      wc.status = first ? status : IBV_WC_WR_FLUSH_ERR;
      queued[lane].pop_front();
      p.onCompletion(wc);
      first = false;
    }
  }
  size_t outstanding() const {
    size_t n = 0;
    for (const auto& q : queued) n += q.size();
    return n;
  }
};

SendPathConfig makeConfig(int ranks, int devices, int qps, uint32_t depth, uint64_t slice, uint32_t max_inline = 0) {
  SendPathConfig c;
  c.rank = 0;
  c.slice_size = slice;
  for (int d = 0; d < devices; ++d) c.local_device_names.push_back("mlx5_" + std::to_string(d));
  LocalRegionKeys l{kLocalBase, kRegion, {}};
  for (int d = 0; d < devices; ++d) l.lkeys.push_back(0x100 + d);
  c.local_regions.push_back(l);
  c.peers.resize(ranks);
  for (int p = 1; p < ranks; ++p) {
    c.peers[p].hostname = "node0" + std::to_string(p);
    RemoteRegionKeys r{kRemoteBase, kRegion, {}};
    for (int d = 0; d < devices; ++d) {
      c.peers[p].device_names.push_back("mlx5_" + std::to_string(d));
      r.rkeys.push_back(0x200 + 16 * p + d);
    }
    c.peers[p].regions.push_back(r);
    for (int ch = 0; ch < devices * qps; ++ch) {
      auto d = static_cast<uint16_t>(ch % devices);
      c.lanes.push_back(LaneSpec{nullptr, p, d, d, depth, max_inline});
    }
  }
  return c;
}

Request req(OpCode op, int peer, uint64_t local_offset, uint64_t remote_offset, uint64_t length, uint64_t user = 0) {
  Request r;
  r.op = op;
  r.peer = peer;
  r.local_offset = local_offset;
  r.remote_offset = remote_offset;
  r.length = length;
  r.user_data = user;
  return r;
}

struct Harness {
  explicit Harness(SendPathConfig c) : config(std::move(c)), fake(config) {
    auto p = SendPath::create(config, &FakeQps::post, &fake);
    EXPECT_TRUE(p.isOk()) << p.status().message();
    path = std::move(p).value();
  }
  std::vector<Completion> drain() {
    std::vector<Completion> out(4096);
    out.resize(path->drain(out));
    return out;
  }
  SendPathConfig config;
  FakeQps fake;
  std::unique_ptr<SendPath> path;
};

TEST(VerbsSendPath, SlicesCoverTheRequestAndSpreadOverQpsAndNics) {
  constexpr uint64_t kSlice = 4096;
  Harness h(makeConfig(2, 2, 2, 64, kSlice));  // 2 NICs x 2 QPs = 4 lanes to rank 1
  const uint64_t len = 5 * kSlice + 3;
  ASSERT_EQ(*h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 100, 200, len, 7)}), 1u);
  ASSERT_EQ(h.fake.log.size(), 6u);
  EXPECT_EQ(h.fake.posts, 4) << "one ibv_post_send per lane chain";
  uint64_t covered = 0;
  // Order in the log is by lane chain; rebuild by offset.
  std::map<uint64_t, FakeQps::Wr> by_offset;
  for (const auto& w : h.fake.log) by_offset[w.local - kLocalBase - 100] = w;
  uint32_t slice_index = 0;
  for (const auto& [off, w] : by_offset) {
    EXPECT_EQ(off, covered);
    EXPECT_EQ(w.remote, kRemoteBase + 200 + off);
    EXPECT_EQ(w.length, std::min<uint64_t>(kSlice, len - off));
    EXPECT_EQ(w.opcode, IBV_WR_RDMA_WRITE);
    const uint32_t lane = decodeWrId(w.wr_id).lane;
    EXPECT_EQ(lane, slice_index % 4) << "round robin over the peer's lanes";
    const uint32_t device = lane % 2;  // lanes alternate NICs
    EXPECT_EQ(w.lkey, 0x100u + device);
    EXPECT_EQ(w.rkey, 0x200u + 16 + device);
    covered += w.length;
    ++slice_index;
  }
  EXPECT_EQ(covered, len);
  h.fake.completeAll(*h.path);
  auto done = h.drain();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].user_data, 7u);
  EXPECT_EQ(done[0].code, StatusCode::kOk);
}

TEST(VerbsSendPath, LastSliceOnEachLaneIsSignalledAndTheRequestWaitsForAll) {
  Harness h(makeConfig(2, 1, 3, 64, 1000));
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kRead, 1, 0, 0, 7000, 1)}).isOk());  // 7 slices, 3 lanes
  // Lanes get slices {0,3,6}, {1,4}, {2,5}: the last on each is signalled and counts.
  int signalled = 0;
  for (const auto& w : h.fake.log) {
    const WrTag t = decodeWrId(w.wr_id);
    const uint64_t idx = (w.local - kLocalBase) / 1000;
    const bool last_on_lane = idx >= 4;
    EXPECT_EQ((w.flags & IBV_SEND_SIGNALED) != 0, last_on_lane) << "slice " << idx;
    EXPECT_EQ(t.counts, last_on_lane) << "slice " << idx;
    EXPECT_EQ(w.flags & IBV_SEND_INLINE, 0u) << "READ is never inline";
    if (last_on_lane) {
      EXPECT_EQ(t.retire, idx == 6 ? 3u : 2u);
      ++signalled;
    }
  }
  EXPECT_EQ(signalled, 3);
  h.fake.complete(*h.path, 0);
  h.fake.complete(*h.path, 1);
  EXPECT_TRUE(h.drain().empty()) << "lane 2 has not completed yet";
  h.fake.complete(*h.path, 2);
  EXPECT_EQ(h.drain().size(), 1u);
  for (uint32_t l = 0; l < 3; ++l) EXPECT_EQ(h.path->credits(l).free(), 64u) << "credits returned";
}

TEST(VerbsSendPath, EveryKthWrIsSignalledSoTheSendQueueNeverFills) {
  // depth 8 -> k = 2; one lane; a 40-slice request must flow through an 8-deep queue.
  Harness h(makeConfig(2, 1, 1, 8, 64));
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 40 * 64, 5)}).isOk());
  EXPECT_EQ(h.fake.log.size(), 8u) << "stops at the queue depth";
  int rounds = 0;
  while (h.drain().empty() && rounds++ < 100) {
    // Complete only part of the queue each time, then let the path refill it.
    h.fake.complete(*h.path, 0, 3);
    h.path->pump();
    ASSERT_FALSE(h.fake.overflow) << "more WRs outstanding than the send queue holds";
  }
  EXPECT_EQ(h.fake.log.size(), 40u);
  // Any k = 2 consecutive WRs include a signalled one.
  for (size_t i = 1; i < h.fake.log.size(); ++i) {
    EXPECT_TRUE((h.fake.log[i - 1].flags | h.fake.log[i].flags) & IBV_SEND_SIGNALED) << "WRs " << i - 1 << ", " << i;
  }
  EXPECT_TRUE(h.fake.log.back().flags & IBV_SEND_SIGNALED);
  EXPECT_LT(rounds, 100);
}

TEST(VerbsSendPath, SmallWritesGoInline) {
  Harness h(makeConfig(2, 1, 1, 64, 4096, /*max_inline=*/64));
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 64), req(OpCode::kWrite, 1, 0, 0, 65),
                                                req(OpCode::kRead, 1, 0, 0, 8)})
                  .isOk());
  ASSERT_EQ(h.fake.log.size(), 3u);
  EXPECT_TRUE(h.fake.log[0].flags & IBV_SEND_INLINE);
  EXPECT_FALSE(h.fake.log[1].flags & IBV_SEND_INLINE);
  EXPECT_FALSE(h.fake.log[2].flags & IBV_SEND_INLINE);
  EXPECT_EQ(h.fake.posts, 1) << "three requests, one lane: one chain";
}

TEST(VerbsSendPath, WritesFromGpuMemoryNeverGoInline) {
  // The CPU copies inline data from the source address: from VRAM that is a crash (or
  // garbage), so a region the CPU cannot read is posted by DMA whatever its size.
  SendPathConfig c = makeConfig(2, 1, 1, 64, 4096, /*max_inline=*/64);
  c.local_regions[0].host_readable = false;
  Harness h(c);
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 8), req(OpCode::kWrite, 1, 0, 0, 64)})
                  .isOk());
  ASSERT_EQ(h.fake.log.size(), 2u);
  for (const auto& w : h.fake.log) EXPECT_EQ(w.flags & IBV_SEND_INLINE, 0u) << "a " << w.length << "-byte WRITE";
}

TEST(VerbsMrAccess, RemoteReadWriteAndRelaxedOrderingUnlessTurnedOff) {
  constexpr int kRemote = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
  EXPECT_EQ(mrAccess(true), kRemote | IBV_ACCESS_RELAXED_ORDERING);
  EXPECT_EQ(mrAccess(false), kRemote);
}

TEST(VerbsSendPath, FullTableIsTryAgainAndZeroLengthCompletesAtOnce) {
  SendPathConfig c = makeConfig(2, 1, 1, 64, 4096);
  c.table_capacity = 2;
  Harness h(c);
  std::vector<Request> three = {req(OpCode::kWrite, 1, 0, 0, 10, 1), req(OpCode::kWrite, 1, 0, 0, 0, 2),
                                req(OpCode::kWrite, 1, 0, 0, 10, 3)};
  auto n = h.path->post(three);
  ASSERT_TRUE(n.isOk());
  EXPECT_EQ(*n, 2u);
  auto again = h.path->post(std::span<const Request>(three).subspan(2));
  EXPECT_EQ(again.status().code(), StatusCode::kTryAgain);
  auto done = h.drain();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].user_data, 2u) << "zero-length request needs no WR";
  EXPECT_EQ(*h.path->post(std::span<const Request>(three).subspan(2)), 1u);
}

TEST(VerbsSendPath, BoundsChecksLikeTheTcpWorker) {
  Harness h(makeConfig(3, 1, 1, 64, 4096));
  auto outside = h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, kRegion - 100, 4096)});
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(outside.status().message().find("outside"), std::string::npos) << outside.status().message();
  EXPECT_EQ(h.path->post(std::vector<Request>{req(OpCode::kWrite, 7, 0, 0, 64)}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(h.path->post(std::vector<Request>{req(OpCode::kWrite, 0, 0, 0, 64)}).status().code(),
            StatusCode::kInvalidArgument)
      << "self is not a peer";
  Request r = req(OpCode::kRead, 1, 0, 0, 64);
  r.remote_region = 3;
  EXPECT_EQ(h.path->post(std::vector<Request>{r}).status().code(), StatusCode::kInvalidArgument);
  r = req(OpCode::kRead, 1, kRegion, 0, 64);
  auto local = h.path->post(std::vector<Request>{r});
  EXPECT_EQ(local.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(local.status().message().find("outside"), std::string::npos);
  // A bad request after good ones: the good prefix is accepted.
  auto prefix = h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 64), req(OpCode::kWrite, 9, 0, 0, 64)});
  ASSERT_TRUE(prefix.isOk());
  EXPECT_EQ(*prefix, 1u);
  EXPECT_TRUE(h.fake.log.size() == 1);
}

TEST(VerbsSendPath, WorkCompletionErrorFailsTheRequestAndTakesThePeerOutOfService) {
  Harness h(makeConfig(3, 1, 2, 64, 1024));
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 8 * 1024, 1),
                                                req(OpCode::kRead, 2, 0, 0, 4096, 2)})
                  .isOk());
  // Rank 1's first lane fails; its second lane completes normally.
  h.fake.fail(*h.path, 0, IBV_WC_REM_ACCESS_ERR);
  h.fake.complete(*h.path, 1);
  h.fake.completeAll(*h.path);
  auto done = h.drain();
  ASSERT_EQ(done.size(), 2u);
  std::map<uint64_t, StatusCode> codes;
  for (const Completion& c : done) codes[c.user_data] = c.code;
  EXPECT_EQ(codes[1], StatusCode::kUnavailable);
  EXPECT_EQ(codes[2], StatusCode::kOk) << "the other peer is not affected";
  const std::string msg = h.path->error().message();
  EXPECT_NE(msg.find("remote access error"), std::string::npos) << msg;  // ibv_wc_status_str
  EXPECT_NE(msg.find("rank 1 (node01)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("RDMA WRITE"), std::string::npos) << msg;
  EXPECT_TRUE(h.path->peerBroken(1));
  auto again = h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 64)});
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kWrite, 2, 0, 0, 64)}).isOk());
}

TEST(VerbsSendPath, BacklogOfABrokenPeerFailsInsteadOfHanging) {
  // One lane of depth 4: a 32-slice request is mostly backlog when the lane fails.
  Harness h(makeConfig(2, 1, 1, 4, 64));
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kRead, 1, 0, 0, 32 * 64, 1),
                                                req(OpCode::kRead, 1, 0, 0, 64, 2)})
                  .isOk());
  EXPECT_EQ(h.fake.outstanding(), 4u);
  h.fake.fail(*h.path, 0, IBV_WC_RETRY_EXC_ERR);
  h.path->pump();
  auto done = h.drain();
  ASSERT_EQ(done.size(), 2u);
  for (const Completion& c : done) EXPECT_EQ(c.code, StatusCode::kUnavailable);
  EXPECT_NE(h.path->error().message().find("transport retry counter exceeded"), std::string::npos)
      << h.path->error().message();
  EXPECT_EQ(h.path->inFlight(), 0u);
}

TEST(VerbsSendPath, PostFailureFailsItsRequestsAndNamesTheVerb) {
  Harness h(makeConfig(2, 1, 2, 64, 1024));
  h.fake.fail_with = ENOMEM;
  auto n = h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 4096, 1)});
  ASSERT_TRUE(n.isOk());
  h.path->pump();
  auto done = h.drain();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].code, StatusCode::kUnavailable);
  EXPECT_NE(h.path->error().message().find("ibv_post_send"), std::string::npos) << h.path->error().message();
  EXPECT_NE(h.path->error().message().find("Cannot allocate memory"), std::string::npos);
}

// Random requests to three peers, completions delivered lane by lane in random order and
// amounts: every request completes exactly once, and no send queue overflows.
TEST(VerbsSendPath, RandomTrafficCompletesEveryRequestExactlyOnce) {
  SendPathConfig c = makeConfig(4, 2, 2, 16, 4096);
  c.table_capacity = 64;
  Harness h(c);
  std::mt19937_64 rng(42);
  std::vector<Request> all;
  for (uint64_t i = 0; i < 3000; ++i) {
    uint64_t len = rng() % 3 == 0 ? rng() % 100000 : rng() % 9000;
    all.push_back(req(rng() % 2 ? OpCode::kRead : OpCode::kWrite, 1 + static_cast<int>(rng() % 3), rng() % (kRegion - len),
                      rng() % (kRegion - len), len, i));
  }
  std::vector<int> seen(all.size(), 0);
  size_t posted = 0, finished = 0;
  for (int step = 0; step < 200000 && finished < all.size(); ++step) {
    if (posted < all.size()) {
      auto n = h.path->post(std::span<const Request>(all).subspan(posted, std::min<size_t>(7, all.size() - posted)));
      if (n.isOk()) posted += *n;
      ASSERT_TRUE(n.isOk() || n.status().code() == StatusCode::kTryAgain) << n.status().message();
    }
    uint32_t lane = static_cast<uint32_t>(rng() % h.path->laneCount());
    h.fake.complete(*h.path, lane, rng() % 6);
    h.path->pump();
    ASSERT_FALSE(h.fake.overflow);
    for (const Completion& done : h.drain()) {
      ASSERT_EQ(done.code, StatusCode::kOk);
      ++seen[done.user_data];
      ++finished;
    }
  }
  ASSERT_EQ(finished, all.size());
  for (int s : seen) EXPECT_EQ(s, 1);
  EXPECT_EQ(h.fake.outstanding(), 0u);
  for (uint32_t l = 0; l < h.path->laneCount(); ++l) EXPECT_EQ(h.path->credits(l).free(), 16u) << "lane " << l;
}

// Slices go to the lane with the fewest WRs outstanding: a lane that completes slowly (its
// NIC, port or path) gets fewer, its NIC's bytes show it, and even lanes stay even.
TEST(VerbsSendPath, SlowLaneGetsFewerSlicesAndItsNicCarriesLess) {
  for (bool slow : {true, false}) {
    Harness h(makeConfig(2, 2, 2, 64, 4096));  // lanes 0, 2 on mlx5_0; 1, 3 on mlx5_1
    for (int step = 0; step < 400; ++step) {
      auto n = h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 8 * 4096, step)});
      ASSERT_TRUE(n.isOk() || n.status().code() == StatusCode::kTryAgain) << n.status().message();
      for (uint32_t l = 0; l < 4; ++l) {
        if (l != 3 || !slow || step % 4 == 0) h.fake.complete(*h.path, l, 6);
      }
      h.path->pump();
      ASSERT_FALSE(h.fake.overflow);
      (void)h.drain();
    }
    std::vector<double> slices(4, 0);
    for (const auto& w : h.fake.log) slices[decodeWrId(w.wr_id).lane] += 1;
    const double others = (slices[0] + slices[1] + slices[2]) / 3;
    std::vector<NicTraffic> nics;
    h.path->addNicTraffic(1, &nics);
    ASSERT_EQ(nics.size(), 2u);
    EXPECT_EQ(nics[0].local_device, "mlx5_0");
    EXPECT_EQ(nics[0].slices, static_cast<uint64_t>(slices[0] + slices[2]));
    EXPECT_EQ(nics[1].slices, static_cast<uint64_t>(slices[1] + slices[3]));
    if (slow) {
      EXPECT_LT(slices[3], 0.5 * others) << slices[0] << " " << slices[1] << " " << slices[2] << " " << slices[3];
      EXPECT_LT(nics[1].bytes, 0.8 * nics[0].bytes);
    } else {
      for (double n : slices) EXPECT_NEAR(n, others, 0.05 * others);
    }
  }
}

TEST(VerbsSendPath, LaneBusyAndCompletionCountsFeedTheStallWatchdog) {
  Harness h(makeConfig(2, 1, 2, 64, 1024));
  EXPECT_FALSE(h.path->laneBusy(0));
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 2048, 1)}).isOk());
  EXPECT_TRUE(h.path->laneBusy(0));
  EXPECT_TRUE(h.path->laneBusy(1));
  EXPECT_EQ(h.path->laneCompletions(0), 0u);
  h.fake.complete(*h.path, 0);
  EXPECT_FALSE(h.path->laneBusy(0));
  EXPECT_EQ(h.path->laneCompletions(0), 1u);
  // The watchdog fails a stalled lane; flushed WRs then fail its request.
  h.path->failLane(1, unavailable("verbs: no completion to rank 1 for 14 s"));
  EXPECT_FALSE(h.path->laneBusy(1)) << "a dead lane is not watched any more";
  h.fake.fail(*h.path, 1, IBV_WC_WR_FLUSH_ERR);
  auto done = h.drain();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].code, StatusCode::kUnavailable);
  EXPECT_NE(h.path->error().message().find("no completion"), std::string::npos) << "the watchdog's cause is kept";
}

TEST(VerbsSendPath, AbortAllFailsEverythingInFlightAndIgnoresLateCompletions) {
  Harness h(makeConfig(3, 1, 1, 4, 64));
  ASSERT_TRUE(h.path->post(std::vector<Request>{req(OpCode::kWrite, 1, 0, 0, 64 * 20, 1),  // mostly backlog
                                                req(OpCode::kRead, 2, 0, 0, 64, 2), req(OpCode::kRead, 2, 0, 0, 0, 3)})
                  .isOk());
  h.path->abortAll(unavailable("verbs: ibv_poll_cq on mlx5_0: Input/output error"));
  h.fake.completeAll(*h.path);  // late completions must not touch recycled slots
  h.path->pump();
  auto done = h.drain();
  ASSERT_EQ(done.size(), 3u);
  std::map<uint64_t, StatusCode> codes;
  for (const Completion& c : done) codes[c.user_data] = c.code;
  EXPECT_EQ(codes[1], StatusCode::kUnavailable);
  EXPECT_EQ(codes[2], StatusCode::kUnavailable);
  EXPECT_EQ(codes[3], StatusCode::kOk) << "finished before the abort";
  EXPECT_EQ(h.path->inFlight(), 0u);
  auto again = h.path->post(std::vector<Request>{req(OpCode::kWrite, 2, 0, 0, 64)});
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(again.status().message().find("ibv_poll_cq"), std::string::npos);
}

TEST(VerbsStall, TimeoutIsBeyondTheRetryBudgetAndScalesWithSlices) {
  EXPECT_GE(stallTimeoutSeconds(64 << 10, 256), 10.0);
  EXPECT_LE(stallTimeoutSeconds(64 << 10, 256), 20.0);
  EXPECT_GT(stallTimeoutSeconds(64 << 20, 256), 1000.0);
}

}  // namespace
}  // namespace te::engine::verbs
