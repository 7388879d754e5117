// The transports' shared worker mechanics (engine/worker): the slot table and its finished
// ring, the post() prefix contract, the framed writev sender over a real socket pair with
// partial writes, the idle wait, and peer labels.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <numeric>
#include <vector>

#include "engine/worker/accept_prefix.h"
#include "engine/worker/frame_ring.h"
#include "engine/worker/peer_label.h"
#include "engine/worker/poll_set.h"
#include "engine/worker/slot_table.h"

namespace te::engine::worker {
namespace {

struct Progress {
  uint64_t done = 0;
};

Request req(uint64_t user_data, int peer = 1, uint64_t length = 8) {
  Request r;
  r.user_data = user_data;
  r.peer = peer;
  r.length = length;
  return r;
}

// ---------------------------------------------------------------- slot table

TEST(SlotTable, AcquireFinishDrainInFinishOrder) {
  SlotTable<Progress> t(3);
  EXPECT_TRUE(t.idle());
  const uint32_t a = t.acquire(req(10));
  const uint32_t b = t.acquire(req(11));
  const uint32_t c = t.acquire(req(12));
  EXPECT_EQ(a, 0u) << "the lowest slots first";
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.inUse(), 3u);
  t[c].code = StatusCode::kUnavailable;
  EXPECT_TRUE(t.finish(c));
  EXPECT_FALSE(t.finish(c)) << "a slot finishes once";
  EXPECT_TRUE(t.finish(a));
  EXPECT_EQ(t.finishedCount(), 2u);
  EXPECT_TRUE(t.full()) << "a finished slot is free only once drained";
  Completion out[1];
  ASSERT_EQ(t.drain(out), 1u);
  EXPECT_EQ(out[0].user_data, 12u);
  EXPECT_EQ(out[0].code, StatusCode::kUnavailable);
  EXPECT_FALSE(t.full());
  ASSERT_EQ(t.drain(out), 1u);
  EXPECT_EQ(out[0].user_data, 10u);
  EXPECT_EQ(out[0].code, StatusCode::kOk);
  EXPECT_EQ(t.drain(out), 0u);
  EXPECT_EQ(t.inUse(), 1u);
  (void)b;
}

TEST(SlotTable, ReusedSlotStartsOverAndTheLastFreedComesFirst) {
  SlotTable<Progress> t(4);
  const uint32_t a = t.acquire(req(1));
  t[a].done = 99;
  t[a].code = StatusCode::kInvalidArgument;
  t.finish(a);
  Completion out[1];
  ASSERT_EQ(t.drain(out), 1u);
  const uint32_t again = t.acquire(req(2));
  EXPECT_EQ(again, a) << "warm slot reused";
  EXPECT_EQ(t[again].done, 0u);
  EXPECT_EQ(t[again].code, StatusCode::kOk);
  EXPECT_FALSE(t[again].finished);
  EXPECT_EQ(t[again].request.user_data, 2u);
}

TEST(SlotTable, FinishedRingWrapsAroundAndKeepsOrder) {
  // Many more completions than slots, finished out of slot order and drained a few at a
  // time: the ring wraps many times and hands every request over once, in finish order.
  SlotTable<Progress> t(5);
  uint64_t next_id = 0;
  std::vector<uint64_t> finished_order, drained;
  std::vector<uint32_t> live;
  for (int round = 0; round < 200; ++round) {
    while (!t.full()) live.push_back(t.acquire(req(next_id++)));
    // Finish from the back, so finish order differs from slot and acquire order.
    for (int k = 0; k < 3 && !live.empty(); ++k) {
      const uint32_t s = live.back();
      live.pop_back();
      finished_order.push_back(t[s].request.user_data);
      ASSERT_TRUE(t.finish(s));
    }
    Completion out[2];
    const size_t n = t.drain(out);
    for (size_t i = 0; i < n; ++i) drained.push_back(out[i].user_data);
  }
  for (uint32_t s : live) {
    finished_order.push_back(t[s].request.user_data);
    t.finish(s);
  }
  std::vector<Completion> out(16);
  while (size_t n = t.drain(out)) {
    for (size_t i = 0; i < n; ++i) drained.push_back(out[i].user_data);
  }
  EXPECT_EQ(drained, finished_order);
  EXPECT_EQ(drained.size(), next_id);
  EXPECT_TRUE(t.idle());
}

TEST(SlotTable, SlotListsAreFifos) {
  SlotTable<Progress> t(4);
  const uint32_t a = t.acquire(req(1));
  const uint32_t b = t.acquire(req(2));
  const uint32_t c = t.acquire(req(3));
  SlotList list;
  EXPECT_EQ(t.popFront(list), kNoSlot);
  t.append(list, b);
  t.append(list, a);
  EXPECT_EQ(t.popFront(list), b);
  t.append(list, c);
  EXPECT_EQ(list.head, a);
  EXPECT_EQ(t.popFront(list), a);
  EXPECT_EQ(t.popFront(list), c);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.tail, kNoSlot);
}

// ---------------------------------------------------------------- post()'s prefix contract

// Offers requests to a fake worker: user_data 100+ has no room, 200+ is refused.
Result<size_t> offerAll(const std::vector<Request>& requests, std::vector<uint64_t>* taken) {
  return acceptPrefix(std::span<const Request>(requests), [&](const Request& r) {
    if (r.user_data >= 200) return Offer::refused(invalidArgument("refused " + std::to_string(r.user_data)));
    if (r.user_data >= 100) return Offer::noRoom();
    taken->push_back(r.user_data);
    return Offer::taken();
  });
}

TEST(AcceptPrefix, TakesAPrefixAndStopsAtNoRoomOrARefusal) {
  std::vector<uint64_t> taken;
  Result<size_t> all = offerAll({req(1), req(2), req(3)}, &taken);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(*all, 3u);

  taken.clear();
  Result<size_t> some = offerAll({req(1), req(100), req(2)}, &taken);
  ASSERT_TRUE(some.isOk());
  EXPECT_EQ(*some, 1u);
  EXPECT_EQ(taken, std::vector<uint64_t>{1}) << "nothing is offered past the end of the prefix";

  taken.clear();
  Result<size_t> before_refusal = offerAll({req(1), req(2), req(201)}, &taken);
  ASSERT_TRUE(before_refusal.isOk()) << "a refusal after accepted requests ends the prefix";
  EXPECT_EQ(*before_refusal, 2u);
}

TEST(AcceptPrefix, FirstRefusedIsItsReasonAndNoRoomIsTryAgain) {
  std::vector<uint64_t> taken;
  Result<size_t> refused = offerAll({req(201), req(1)}, &taken);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "refused 201");
  EXPECT_TRUE(taken.empty());

  Result<size_t> full = offerAll({req(100), req(1)}, &taken);
  ASSERT_FALSE(full.isOk());
  EXPECT_EQ(full.status().code(), StatusCode::kTryAgain);
  EXPECT_TRUE(taken.empty());

  Result<size_t> none = offerAll({}, &taken);
  ASSERT_FALSE(none.isOk());
  EXPECT_EQ(none.status().code(), StatusCode::kTryAgain);
}

// ---------------------------------------------------------------- framed writev sender

struct TestHeader {
  uint32_t seq = 0;
  uint32_t length = 0;
};

struct SocketPair {
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0) << std::strerror(errno);
    int small = 4096;  // the kernel rounds it up, still far below what is queued below
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  }
  ~SocketPair() {
    if (fds[0] >= 0) ::close(fds[0]);
    if (fds[1] >= 0) ::close(fds[1]);
  }
  // Everything readable now, appended to `into`.
  void readAvailable(std::vector<uint8_t>* into) {
    uint8_t buf[65536];
    ssize_t n;
    while ((n = ::read(fds[1], buf, sizeof(buf))) > 0) into->insert(into->end(), buf, buf + n);
  }
  int fds[2] = {-1, -1};
};

TEST(FrameRing, PartialWritesResumeMidFrameAndKeepTheStreamFramed) {
  SocketPair sp;
  FrameRing<TestHeader, int> ring(8);
  std::vector<std::vector<uint8_t>> payloads;
  for (uint32_t i = 0; i < 6; ++i) {
    // Payloads of odd sizes, larger than the socket buffers, and one without a payload.
    payloads.emplace_back(i == 2 ? 0 : 100000 + 777 * i);
    std::iota(payloads.back().begin(), payloads.back().end(), static_cast<uint8_t>(i * 31));
  }
  for (uint32_t i = 0; i < payloads.size(); ++i) {
    const uint32_t len = static_cast<uint32_t>(payloads[i].size());
    ring.push(TestHeader{i, len}, payloads[i].empty() ? nullptr : payloads[i].data(), len).tag = static_cast<int>(i);
  }
  EXPECT_EQ(ring.size(), 6u);
  EXPECT_TRUE(ring.hasUnsent());

  std::vector<uint8_t> received;
  int rounds = 0;
  uint64_t last_written = 0;
  while (ring.hasUnsent()) {
    ASSERT_EQ(ring.send(sp.fds[0]), 0);
    EXPECT_GT(ring.bytesWritten(), last_written) << "each round moves bytes (the reader drained the socket)";
    last_written = ring.bytesWritten();
    sp.readAvailable(&received);
    ASSERT_LT(++rounds, 10000);
  }
  sp.readAvailable(&received);
  EXPECT_GT(rounds, 2) << "the sends were partial: the socket took less than was queued";
  EXPECT_EQ(ring.sentCount(), 6u);
  EXPECT_EQ(ring.size(), 6u) << "written frames stay until popped";

  std::vector<uint8_t> expected;
  for (uint32_t i = 0; i < payloads.size(); ++i) {
    TestHeader h{i, static_cast<uint32_t>(payloads[i].size())};
    const auto* hb = reinterpret_cast<const uint8_t*>(&h);
    expected.insert(expected.end(), hb, hb + sizeof(h));
    expected.insert(expected.end(), payloads[i].begin(), payloads[i].end());
  }
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "header, payload, header, ... in order, no byte lost or repeated";
  EXPECT_EQ(ring.bytesWritten(), expected.size());

  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(ring.front().tag, i);
    ring.pop();
  }
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.sentCount(), 0u);
}

TEST(FrameRing, WrapsAroundItsCapacity) {
  SocketPair sp;
  FrameRing<TestHeader> ring(3);
  std::vector<uint8_t> received;
  uint8_t payload[5] = {1, 2, 3, 4, 5};
  for (uint32_t i = 0; i < 10; ++i) {
    ASSERT_FALSE(ring.full());
    ring.push(TestHeader{i, 5}, payload, 5);
    if (ring.full() || i == 9) {
      ASSERT_EQ(ring.send(sp.fds[0]), 0);
      while (ring.sentCount() > 0) ring.pop();
    }
  }
  EXPECT_TRUE(ring.empty());
  sp.readAvailable(&received);
  ASSERT_EQ(received.size(), 10 * (sizeof(TestHeader) + 5));
  for (uint32_t i = 0; i < 10; ++i) {
    TestHeader h;
    std::memcpy(&h, received.data() + i * (sizeof(TestHeader) + 5), sizeof(h));
    EXPECT_EQ(h.seq, i);
  }
}

TEST(FrameRing, ABrokenStreamIsAnErrno) {
  std::signal(SIGPIPE, SIG_IGN);  // as te_bench's main does
  SocketPair sp;
  ::close(sp.fds[1]);
  sp.fds[1] = -1;
  FrameRing<TestHeader> ring(2);
  ring.push(TestHeader{1, 0}, nullptr, 0);
  EXPECT_EQ(ring.send(sp.fds[0]), EPIPE);
  EXPECT_TRUE(ring.hasUnsent());
}

// ---------------------------------------------------------------- idle wait, labels

TEST(PollSet, ReturnsWhenAnFdIsReadyAndTimesOutOtherwise) {
  SocketPair sp;
  PollSet<4> idle;
  idle.add(sp.fds[1], POLLIN);
  EXPECT_EQ(idle.wait(std::chrono::microseconds(2000)), 0) << "nothing to read: timed out";
  ASSERT_EQ(::write(sp.fds[0], "x", 1), 1);
  PollSet<4> ready;
  ready.add(sp.fds[1], POLLIN);
  EXPECT_FALSE(ready.full());
  EXPECT_EQ(ready.wait(std::chrono::seconds(10)), 1);
  PollSet<1> none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.wait(std::chrono::microseconds(100)), 0) << "without fds it sleeps";
}

TEST(PeerLabel, NamesRankAndHost) {
  EXPECT_EQ(peerLabel(3, "node07"), "rank 3 (node07)");
  EXPECT_EQ(peerLabel(12, "gpu-node-0042.cluster.example.org"), "rank 12 (gpu-node-0042.cluster.example.org)");
}

}  // namespace
}  // namespace te::engine::worker
