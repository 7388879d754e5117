// The UCX worker's bookkeeping without UCX: fragments of the requests in their slots under
// the byte cap, the finished ring; and the parser of ucp_ep_print_info lanes.
#include <gtest/gtest.h>

#include <vector>

#include "engine/ucx/fragment_queue.h"
#include "engine/ucx/ucx_exchange.h"

namespace te::engine::ucx {
namespace {

constexpr uint64_t kMiB = 1 << 20;

Request req(uint64_t length, uint64_t user_data) {
  Request r;
  r.length = length;
  r.user_data = user_data;
  return r;
}

// The worker's pair: its request slots and the fragment queue over them.
struct WorkerRequests {
  WorkerRequests(uint32_t n, uint64_t max_inflight_bytes, uint64_t fragment_size)
      : slots(n), queue(slots, max_inflight_bytes, fragment_size, nullptr) {}
  uint32_t add(const Request& r) { return queue.add(r); }
  Fragment* nextFragment() { return queue.nextFragment(); }
  uint32_t fragmentDone(Fragment* f, StatusCode code) { return queue.fragmentDone(f, code); }
  bool full() const { return queue.full(); }
  uint64_t inflightBytes() const { return queue.inflightBytes(); }
  void finish(uint32_t s) { slots.finish(s); }
  size_t drain(std::span<Completion> out) { return slots.drain(out); }
  bool idle() const { return slots.idle(); }
  RequestSlots slots;
  FragmentQueue queue;
};

std::vector<Fragment*> issueAll(WorkerRequests& t) {
  std::vector<Fragment*> out;
  while (Fragment* f = t.nextFragment()) out.push_back(f);
  return out;
}

TEST(UcxFragmentQueue, SmallRequestIsOneFragmentAndCompletesOnce) {
  WorkerRequests t(8, 16 * kMiB, kMiB);
  t.add(req(4096, 42));
  auto frags = issueAll(t);
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0]->offset, 0u);
  EXPECT_EQ(frags[0]->length, 4096u);
  EXPECT_EQ(t.inflightBytes(), 4096u);
  uint32_t s = t.fragmentDone(frags[0], StatusCode::kOk);
  ASSERT_NE(s, kNoSlot);
  t.finish(s);
  Completion out[4];
  ASSERT_EQ(t.drain(out), 1u);
  EXPECT_EQ(out[0].user_data, 42u);
  EXPECT_EQ(out[0].code, StatusCode::kOk);
  EXPECT_EQ(t.drain(out), 0u);
  EXPECT_TRUE(t.idle());
  EXPECT_EQ(t.inflightBytes(), 0u);
}

TEST(UcxFragmentQueue, LargeRequestIsSplitAndCompletesWithItsLastFragment) {
  WorkerRequests t(8, 64 * kMiB, kMiB);
  t.add(req(3 * kMiB + 5, 7));
  auto frags = issueAll(t);
  ASSERT_EQ(frags.size(), 4u);
  uint64_t covered = 0;
  for (Fragment* f : frags) {
    EXPECT_EQ(f->offset, covered);
    covered += f->length;
  }
  EXPECT_EQ(covered, 3 * kMiB + 5);
  EXPECT_EQ(frags[3]->length, 5u);
  // Out of order completion: only the last one to finish completes the request.
  EXPECT_EQ(t.fragmentDone(frags[2], StatusCode::kOk), kNoSlot);
  EXPECT_EQ(t.fragmentDone(frags[0], StatusCode::kOk), kNoSlot);
  EXPECT_EQ(t.fragmentDone(frags[3], StatusCode::kOk), kNoSlot);
  EXPECT_NE(t.fragmentDone(frags[1], StatusCode::kOk), kNoSlot);
}

TEST(UcxFragmentQueue, BytesInFlightAreCapped) {
  WorkerRequests t(8, 4 * kMiB, kMiB);
  t.add(req(10 * kMiB, 1));
  auto first = issueAll(t);
  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(t.inflightBytes(), 4 * kMiB);
  EXPECT_TRUE(t.full()) << "post() must say kTryAgain at the cap";
  EXPECT_EQ(t.fragmentDone(first[0], StatusCode::kOk), kNoSlot);
  EXPECT_FALSE(t.full());
  auto more = issueAll(t);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0]->offset, 4 * kMiB);
}

TEST(UcxFragmentQueue, FragmentLargerThanTheCapStillMovesAlone) {
  WorkerRequests t(8, 64 * 1024, kMiB);
  t.add(req(2 * kMiB, 1));
  auto frags = issueAll(t);
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(frags[0]->length, kMiB);
  EXPECT_EQ(t.fragmentDone(frags[0], StatusCode::kOk), kNoSlot);
  frags = issueAll(t);
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_NE(t.fragmentDone(frags[0], StatusCode::kOk), kNoSlot);
}

TEST(UcxFragmentQueue, RequestsAreIssuedInOrder) {
  WorkerRequests t(8, 64 * kMiB, kMiB);
  uint32_t a = t.add(req(2 * kMiB, 1));
  uint32_t b = t.add(req(100, 2));
  auto frags = issueAll(t);
  ASSERT_EQ(frags.size(), 3u);
  EXPECT_EQ(frags[0]->slot, a);
  EXPECT_EQ(frags[1]->slot, a);
  EXPECT_EQ(frags[2]->slot, b);
}

TEST(UcxFragmentQueue, SlotsRunOutAndComeBackAfterDrain) {
  WorkerRequests t(2, 64 * kMiB, kMiB);
  t.add(req(10, 1));
  EXPECT_FALSE(t.full());
  t.add(req(10, 2));
  EXPECT_TRUE(t.full());
  for (Fragment* f : issueAll(t)) {
    uint32_t s = t.fragmentDone(f, StatusCode::kOk);
    ASSERT_NE(s, kNoSlot);
    t.finish(s);
  }
  EXPECT_TRUE(t.full()) << "a slot is free only once poll() drained it";
  Completion out[1];
  EXPECT_EQ(t.drain(out), 1u);
  EXPECT_FALSE(t.full());
  EXPECT_EQ(t.drain(out), 1u);
  EXPECT_TRUE(t.idle());
}

TEST(UcxFragmentQueue, FailedFragmentStopsTheRestAndReportsTheError) {
  WorkerRequests t(8, 2 * kMiB, kMiB);
  t.add(req(8 * kMiB, 9));
  t.add(req(100, 10));
  auto frags = issueAll(t);
  ASSERT_EQ(frags.size(), 2u);
  EXPECT_EQ(t.fragmentDone(frags[0], StatusCode::kUnavailable), kNoSlot);  // one still in flight
  uint32_t s = t.fragmentDone(frags[1], StatusCode::kOk);
  ASSERT_NE(s, kNoSlot);
  t.finish(s);
  Completion out[2];
  ASSERT_EQ(t.drain(out), 1u);
  EXPECT_EQ(out[0].user_data, 9u);
  EXPECT_EQ(out[0].code, StatusCode::kUnavailable);
  // The next request is not held back by the failed one.
  frags = issueAll(t);
  ASSERT_EQ(frags.size(), 1u);
  EXPECT_EQ(t.slots[frags[0]->slot].request.user_data, 10u);
}

TEST(UcxFragmentQueue, ZeroLengthRequestFinishesAtOnce) {
  WorkerRequests t(4, kMiB, kMiB);
  t.add(req(0, 5));
  EXPECT_EQ(t.nextFragment(), nullptr);
  Completion out[1];
  ASSERT_EQ(t.drain(out), 1u);
  EXPECT_EQ(out[0].user_data, 5u);
}

TEST(UcxFragmentQueue, FragmentPoolBoundsWhatIsInFlight) {
  // 2 slots, cap 2 MiB / 1 MiB fragments: at most 2 + 2 + 1 fragments exist.
  EXPECT_EQ(FragmentQueue::fragmentCapacity(2, 2 * kMiB, kMiB), 5u);
  WorkerRequests t(2, 2 * kMiB, 4096);
  t.add(req(64 * kMiB, 1));
  auto frags = issueAll(t);
  EXPECT_EQ(frags.size(), 2 * kMiB / 4096);
  EXPECT_LE(frags.size(), FragmentQueue::fragmentCapacity(2, 2 * kMiB, 4096));
}

TEST(UcxFragmentQueue, WaitListsKeepOrder) {
  WorkerRequests t(4, kMiB, kMiB);
  uint32_t a = t.add(req(1, 1));
  uint32_t b = t.add(req(1, 2));
  for (Fragment* f : issueAll(t)) (void)t.fragmentDone(f, StatusCode::kOk);
  SlotList list;
  t.slots.append(list, b);
  t.slots.append(list, a);
  EXPECT_EQ(t.slots.popFront(list), b);
  EXPECT_EQ(t.slots.popFront(list), a);
  EXPECT_EQ(t.slots.popFront(list), kNoSlot);
  EXPECT_TRUE(list.empty());
}

TEST(UcxEpLanes, ParsesUcpEpPrintInfo) {
  const std::string text =
      "#\n# UCP endpoint \n#\n#               peer: <no debug data>\n"
      "#                 lane[0]:  1:sysv/memory.0 md[1]           -> md[1]/sysv/sysdev[255] am am_bw#0\n"
      "#                 lane[1]:  8:tcp/lo.0 md[4]      -> md[4]/tcp/sysdev[255] rma_bw#0 wireup\n"
      "#                  put[0]: 0..<short>..4294967296..<bcopy>..(inf)\n"
      "#                  get[0]: 0..<bcopy>..(inf)\n";
  nlohmann::json lanes = parseEpLanes(text);
  ASSERT_EQ(lanes.size(), 2u);
  EXPECT_EQ(lanes[0]["transport"], "sysv");
  EXPECT_EQ(lanes[0]["device"], "memory");
  EXPECT_EQ(lanes[0]["uses"], "am am_bw#0");
  EXPECT_EQ(lanes[1]["lane"], 1);
  EXPECT_EQ(lanes[1]["transport"], "tcp");
  EXPECT_EQ(lanes[1]["device"], "lo");
  EXPECT_EQ(lanes[1]["uses"], "rma_bw#0 wireup");
  EXPECT_EQ(lanes[0]["rma"], nlohmann::json::array({"put", "get"})) << "lane 0 serves puts and gets";
  EXPECT_FALSE(lanes[1].contains("rma"));
  EXPECT_EQ(laneTransports(lanes), (std::vector<std::string>{"sysv/memory", "tcp/lo"}));
}

TEST(UcxEndpoint, RoundTripsAndRejectsGarbage) {
  PublishedEndpoint e{"node07", 4, {1, 2, 3}, {{0x1000, 4096, MemoryKind::kDram, {9, 9}}}};
  PublishedEndpoint back;
  ASSERT_TRUE(decodeEndpoint(encodeEndpoint(e), 3, &back).isOk());
  EXPECT_EQ(back.hostname, "node07");
  EXPECT_EQ(back.workers, 4);
  EXPECT_EQ(back.worker_address, (Bytes{1, 2, 3}));
  ASSERT_EQ(back.regions.size(), 1u);
  EXPECT_EQ(back.regions[0].base, 0x1000u);
  EXPECT_EQ(back.regions[0].rkey, (Bytes{9, 9}));
  Bytes junk = encodeEndpoint(e);
  junk.resize(junk.size() - 1);
  Status s = decodeEndpoint(junk, 3, &back);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("rank 3"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace te::engine::ucx
