// Every port, the right fabric, without a device: one link layer per run, when a QP needs a
// GRH, and the P_Key index and ack timeout the QP attributes carry.
#include <gtest/gtest.h>

#include "engine/verbs/connection.h"
#include "engine/verbs/device_discovery.h"
#include "engine/verbs/qp_state.h"
#include "engine/verbs/slicing.h"

namespace te::engine::verbs {
namespace {

constexpr LinkLayer kIb = LinkLayer::kInfiniBand;
constexpr LinkLayer kEth = LinkLayer::kEthernet;

TEST(VerbsPorts, OneLinkLayerPerRunInfiniBandFirst) {
  std::string left_out;
  EXPECT_EQ(oneLinkLayer({kIb, kIb}, &left_out), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(left_out, "");
  EXPECT_EQ(oneLinkLayer({kEth, kEth, kEth}, &left_out), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(left_out, "");
  EXPECT_EQ(oneLinkLayer({kEth, kIb, kEth, kIb}, &left_out), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(left_out, "InfiniBand ports only: 2 Ethernet (RoCE) port(s) left out");
}

PortFacts ibPort(uint64_t subnet) {
  PortFacts f;
  f.link_layer = kIb;
  f.gid_index = -1;
  for (int i = 0; i < 8; ++i) f.gid[i] = static_cast<uint8_t>(subnet >> (56 - 8 * i));
  f.gid[15] = 1;
  return f;
}

DeviceAddress peerOf(const PortFacts& f) {
  DeviceAddress a;
  a.link_layer = f.link_layer;
  a.gid = f.gid;
  a.gid[15] = 2;
  return a;
}

TEST(VerbsPorts, GrhWhenRoceAskedRequiredOrAcrossSubnetsAsNccl) {
  const uint64_t kLinkLocal = 0xfe80000000000000ull;
  PortFacts me = ibPort(kLinkLocal);
  EXPECT_EQ(globalRoutingReason(me, peerOf(me)), "") << "same subnet: LID routing";
  EXPECT_EQ(globalRoutingReason(me, peerOf(ibPort(0xfec0000000000001ull))), "the peer is in another subnet");
  DeviceAddress silent = peerOf(me);
  silent.gid = {};
  EXPECT_EQ(globalRoutingReason(me, silent), "") << "a peer without a GID cannot be routed to by one";
  PortFacts required = me;
  required.grh_required = true;
  EXPECT_EQ(globalRoutingReason(required, peerOf(me)), "the port requires a GRH");
  PortFacts asked = me;
  asked.gid_index = 0;
  EXPECT_EQ(globalRoutingReason(asked, peerOf(me)), "--gid-index");
  PortFacts roce = me;
  roce.link_layer = kEth;
  EXPECT_EQ(globalRoutingReason(roce, peerOf(roce)), "RoCE");
}

TEST(VerbsPorts, PkeyIndexAndAckTimeoutReachTheQpAttributes) {
  EXPECT_EQ(initAttr(1).get().pkey_index, 0);
  EXPECT_EQ(initAttr(2, 5).get().pkey_index, 5);
  EXPECT_EQ(initAttr(2, 5).get().port_num, 2);
  EXPECT_EQ(rtsAttr(77, 8).get().timeout, 14) << "today's default, perftest's";
  EXPECT_EQ(rtsAttr(77, 8, 7, 20).get().timeout, 20);
  // The stall watchdog stays beyond the retry budget a longer timeout buys (8 tries of
  // 4.096 us x 2^20 ~ 34 s).
  EXPECT_DOUBLE_EQ(stallTimeoutSeconds(0, 256, 14), 10.0);
  EXPECT_GT(stallTimeoutSeconds(64 << 10, 256, 20), 2 * 8 * 4.096e-6 * (1 << 20));
}

}  // namespace
}  // namespace te::engine::verbs
