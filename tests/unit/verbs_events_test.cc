// Loud failures without a device: async event names and what they mean for a lane, the
// dead-lane reason a failed completion carries, and the RLIMIT_MEMLOCK arithmetic and line.
#include <gtest/gtest.h>

#include "engine/verbs/async_events.h"
#include "engine/verbs/pin_limits.h"
#include "engine/verbs/send_path.h"

namespace te::engine::verbs {
namespace {

TEST(VerbsAsyncEvents, NamesMeaningsAndScopes) {
  EXPECT_EQ(asyncEventName(IBV_EVENT_PORT_ERR), "IBV_EVENT_PORT_ERR");
  EXPECT_STREQ(asyncEventMeaning(IBV_EVENT_PORT_ERR), "port down");
  EXPECT_EQ(asyncEventName(IBV_EVENT_DEVICE_FATAL), "IBV_EVENT_DEVICE_FATAL");
  EXPECT_EQ(asyncEventName(IBV_EVENT_GID_CHANGE), "IBV_EVENT_GID_CHANGE");
  EXPECT_EQ(asyncEventName(IBV_EVENT_QP_ACCESS_ERR), "IBV_EVENT_QP_ACCESS_ERR");
  EXPECT_EQ(asyncEventName(999), "IBV_EVENT_999") << "an event this build does not know still has a name";
  EXPECT_EQ(asyncEventScope(IBV_EVENT_PORT_ERR), EventScope::kPort);
  EXPECT_EQ(asyncEventScope(IBV_EVENT_LID_CHANGE), EventScope::kPort);
  EXPECT_EQ(asyncEventScope(IBV_EVENT_PKEY_CHANGE), EventScope::kPort);
  EXPECT_EQ(asyncEventScope(IBV_EVENT_QP_FATAL), EventScope::kQp);
  EXPECT_EQ(asyncEventScope(IBV_EVENT_QP_REQ_ERR), EventScope::kQp);
  EXPECT_EQ(asyncEventScope(IBV_EVENT_CQ_ERR), EventScope::kCq);
  EXPECT_EQ(asyncEventScope(IBV_EVENT_DEVICE_FATAL), EventScope::kDevice);
  EXPECT_EQ(asyncEventSeverity(IBV_EVENT_PORT_ACTIVE), 0);
  EXPECT_EQ(asyncEventSeverity(IBV_EVENT_COMM_EST), 0);
  EXPECT_GT(asyncEventSeverity(IBV_EVENT_DEVICE_FATAL), asyncEventSeverity(IBV_EVENT_PORT_ERR));
  EXPECT_GT(asyncEventSeverity(IBV_EVENT_PORT_ERR), asyncEventSeverity(IBV_EVENT_GID_CHANGE));
}

TEST(VerbsAsyncEvents, LaneFaultNamesTheMostSevereEventOfItsPortDeviceOrQp) {
  DeviceHealth h("rxe0");
  EXPECT_EQ(laneFaultText(&h, 1, nullptr), "") << "no event: nothing to add to the completion's status";
  h.record(IBV_EVENT_PORT_ACTIVE, 1);
  EXPECT_EQ(laneFaultText(&h, 1, nullptr), "") << "an informational event explains nothing";
  EXPECT_EQ(h.epoch(), 0u);
  h.record(IBV_EVENT_GID_CHANGE, 1);
  EXPECT_EQ(laneFaultText(&h, 1, nullptr), "rxe0 port 1 changed its GID table (IBV_EVENT_GID_CHANGE)");
  h.record(IBV_EVENT_PORT_ERR, 1);
  EXPECT_EQ(laneFaultText(&h, 1, nullptr), "rxe0 port 1 went down (IBV_EVENT_PORT_ERR)");
  h.record(IBV_EVENT_LID_CHANGE, 1);
  EXPECT_EQ(laneFaultText(&h, 1, nullptr), "rxe0 port 1 went down (IBV_EVENT_PORT_ERR)") << "a lesser event never hides it";
  EXPECT_EQ(laneFaultText(&h, 2, nullptr), "") << "port 2 is not affected";
  EXPECT_FALSE(laneOutOfService(&h, 2, nullptr));
  EXPECT_TRUE(laneOutOfService(&h, 1, nullptr));
  EXPECT_GT(h.epoch(), 0u);

  QpHealth qp;
  qp.label = "to rank 1 (node01)";
  EXPECT_FALSE(laneOutOfService(&h, 2, &qp));
  qp.event.store(IBV_EVENT_QP_FATAL + 1);
  EXPECT_EQ(laneFaultText(&h, 2, &qp), "its QP failed (IBV_EVENT_QP_FATAL)");
  EXPECT_TRUE(laneOutOfService(&h, 2, &qp));
  EXPECT_EQ(laneFaultText(&h, 1, &qp), "rxe0 port 1 went down (IBV_EVENT_PORT_ERR)") << "the port is the root cause";

  h.record(IBV_EVENT_DEVICE_FATAL, 0);
  EXPECT_EQ(laneFaultText(&h, 2, nullptr), "rxe0 failed (IBV_EVENT_DEVICE_FATAL)");
  EXPECT_TRUE(laneOutOfService(&h, 2, nullptr));
}

TEST(VerbsAsyncEvents, CqErrorIsNamedButTakesNoLaneOutOfService) {
  DeviceHealth h("mlx5_0");
  h.record(IBV_EVENT_CQ_ERR, 0);
  EXPECT_EQ(laneFaultText(&h, 1, nullptr), "mlx5_0 had a completion queue error (IBV_EVENT_CQ_ERR)");
  EXPECT_FALSE(laneOutOfService(&h, 1, nullptr)) << "one worker's CQ: its own poll fails";
}

// A completion that fails on a lane whose port went down says so before the wc status.
TEST(VerbsAsyncEvents, FailedCompletionNamesThePortEvent) {
  DeviceHealth h("rxe0");
  SendPathConfig c;
  c.slice_size = 4096;
  c.local_device_names = {"rxe0"};
  c.local_regions.push_back(LocalRegionKeys{0x1000, 1 << 20, {0x11}});
  c.peers.resize(2);
  c.peers[1].hostname = "vm1";
  c.peers[1].device_names = {"rxe0"};
  c.peers[1].regions.push_back(RemoteRegionKeys{0x9000, 1 << 20, {0x22}});
  LaneSpec lane{nullptr, 1, 0, 0, 16, 0};
  lane.health = &h;
  lane.port = 1;
  c.lanes.push_back(lane);
  static std::vector<uint64_t> posted;
  posted.clear();
  auto post = [](void*, ibv_qp*, ibv_send_wr* wr, ibv_send_wr**) {
    for (; wr; wr = wr->next) posted.push_back(wr->wr_id);
    return 0;
  };
  auto path = SendPath::create(c, post, nullptr);
  ASSERT_TRUE(path.isOk()) << path.status().message();
  Request r;
  r.op = OpCode::kWrite;
  r.peer = 1;
  r.length = 4096;
  ASSERT_TRUE((*path)->post(std::span<const Request>(&r, 1)).isOk());
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ((*path)->laneFault(0), "");
  h.record(IBV_EVENT_PORT_ERR, 1);
  EXPECT_EQ((*path)->laneFault(0), "rxe0 port 1 went down (IBV_EVENT_PORT_ERR)");
  ibv_wc wc{};
  wc.wr_id = posted[0];
  wc.status = IBV_WC_RETRY_EXC_ERR;
  (*path)->onCompletion(wc);
  const std::string msg = (*path)->error().message();
  EXPECT_NE(msg.find("rank 1 (vm1)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rxe0 port 1 went down (IBV_EVENT_PORT_ERR)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("transport retry counter exceeded"), std::string::npos) << "the wc status stays: " << msg;
  EXPECT_LT(msg.find("IBV_EVENT_PORT_ERR"), msg.find("retry counter")) << "the cause first: " << msg;
}

TEST(VerbsPinLimits, EstimateIsBuffersPerNicPlusQueues) {
  PinEstimate p{256ull << 20, 2, 8, 256};
  EXPECT_EQ(p.queueBytes(), 8 * (256 * (kWqeBytesEstimate + kCqeBytesEstimate) + kQpFixedBytesEstimate));
  EXPECT_EQ(p.total(), 2 * (256ull << 20) + p.queueBytes());
  // 1024 ranks, 4 workers, 1 NIC, 2 QPs per peer: 8184 QPs, ~0.9 GiB of queues at 256 deep.
  EXPECT_EQ(plannedQps(1024, 4, 1, 2), 8184u);
  EXPECT_EQ(plannedQps(1, 4, 1, 2), 0u) << "alone: no QP";
  EXPECT_EQ(plannedQps(3, 1, 2, 1), 4u);
}

TEST(VerbsPinLimits, ShortfallIsOneLineWithTheNumbersAndTheFix) {
  PinEstimate p{256ull << 20, 1, 4, 256};  // queues 4 x (256 x 448 + 4096) = 475136 B
  EXPECT_EQ(memlockShortfall(kUnlimited, p), "") << "unlimited passes";
  EXPECT_EQ(memlockShortfall(p.total(), p), "") << "exactly enough passes";
  EXPECT_EQ(memlockShortfall(64 << 10, p),
            "verbs: RLIMIT_MEMLOCK is 64 KiB but this run pins ~257 MiB (buffers 256 MiB x 1 NIC + queues ~464 KiB); "
            "raise it: ulimit -l unlimited (or LimitMEMLOCK= in slurm/systemd)");
  PinEstimate two{1ull << 30, 2, 0, 0};
  EXPECT_NE(memlockShortfall(1ull << 30, two).find("buffers 1 GiB x 2 NICs"), std::string::npos)
      << memlockShortfall(1ull << 30, two);
  EXPECT_EQ(memlockShortfall(1ull << 30, two).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace te::engine::verbs
