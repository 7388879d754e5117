// The verbs transport's set-up logic without an RDMA device: the channel plan both ends
// agree on, endpoint encoding, QP attribute builders, line rate, GID auto-selection and NUMA
// lookups on a recorded sysfs tree (fixtures/verbs_sysfs), NIC choice (Mooncake's priority
// matrix, NUMA locality).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/verbs/device_discovery.h"
#include "engine/verbs/endpoint.h"
#include "engine/verbs/nic_selection.h"
#include "engine/verbs/qp_state.h"
#include "engine/verbs/sysfs_topology.h"

namespace te::engine::verbs {
namespace {

const std::string kFixtures = TE_VERBS_FIXTURE_DIR;

// ---------------------------------------------------------------- channel plan, endpoints

TEST(VerbsChannelPlan, BothEndsAgreeAndWorkersSpreadOverNics) {
  // Rank a: 2 workers, 2 NICs; rank b: 1 worker, 1 NIC; 2 QPs per NIC pair.
  ChannelPlan a = planChannels(2, 2, 1, 1, 2);
  ChannelPlan b = planChannels(1, 1, 2, 2, 2);
  ASSERT_EQ(a.count(), b.count());
  EXPECT_EQ(a.count(), 2 * 2 * 2);
  std::map<int, std::set<int>> devices_of_worker;
  for (int c = 0; c < a.count(); ++c) {
    EXPECT_EQ(a.device(c, 2), b.device(c, 2)) << "a's device as seen from b";
    EXPECT_EQ(b.device(c, 1), 0);
    EXPECT_EQ(b.worker(c, 1), 0);
    devices_of_worker[a.worker(c, 2)].insert(a.device(c, 2));
  }
  EXPECT_EQ(devices_of_worker[0].size(), 2u) << "each worker uses both NICs";
  EXPECT_EQ(devices_of_worker[1].size(), 2u);
  // Consecutive channels of a worker alternate NICs.
  EXPECT_NE(a.device(0, 2), a.device(1, 2));
}

TEST(VerbsEndpoint, RoundTripAndRejectsForeignBytes) {
  RankEndpoint e;
  e.hostname = "node07";
  e.workers = 3;
  DeviceAddress d;
  d.name = "mlx5_1";
  d.port = 2;
  d.link_layer = LinkLayer::kEthernet;
  d.active_mtu = IBV_MTU_4096;
  d.lid = 0;
  d.gid = *parseGid("::ffff:10.0.0.7");
  d.gid_index = 3;
  d.max_qp_rd_atom = 16;
  e.devices = {d, d};
  e.devices[1].name = "mlx5_2";
  e.regions.push_back(RegionDescriptor{0x7f0000000000, 1 << 30, MemoryKind::kDram, {0xabc, 0xdef}});
  RankEndpoint back;
  ASSERT_TRUE(decodeEndpoint(encodeEndpoint(e), 7, &back).isOk());
  EXPECT_EQ(back.hostname, "node07");
  EXPECT_EQ(back.workers, 3);
  ASSERT_EQ(back.devices.size(), 2u);
  EXPECT_EQ(back.devices[1].name, "mlx5_2");
  EXPECT_EQ(back.devices[0].gid, d.gid);
  EXPECT_EQ(back.devices[0].gid_index, 3);
  EXPECT_EQ(back.devices[0].link_layer, LinkLayer::kEthernet);
  ASSERT_EQ(back.regions.size(), 1u);
  EXPECT_EQ(back.regions[0].rkeys, (std::vector<uint32_t>{0xabc, 0xdef}));
  Bytes junk = encodeEndpoint(e);
  junk.resize(junk.size() - 1);
  Status s = decodeEndpoint(junk, 5, &back);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("rank 5"), std::string::npos);
  EXPECT_FALSE(decodeEndpoint(Bytes{1, 2, 3}, 5, &back).isOk());

  std::vector<uint32_t> qpns;
  ASSERT_TRUE(decodeQpNumbers(encodeQpNumbers({1, 2, 3}), 2, 3, &qpns).isOk());
  EXPECT_EQ(qpns, (std::vector<uint32_t>{1, 2, 3}));
  Status mismatch = decodeQpNumbers(encodeQpNumbers({1, 2}), 2, 4, &qpns);
  EXPECT_NE(mismatch.message().find("--qps-per-peer"), std::string::npos) << mismatch.message();
}

// ---------------------------------------------------------------- QP attributes

TEST(VerbsQpAttr, StateTransitionsCarryTheirMaskBits) {
  QpAttr init = initAttr(1);
  EXPECT_EQ(init.mask(), IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
  EXPECT_EQ(init.get().qp_access_flags, kRemoteAccess);
  RtrParams p;
  p.remote_qpn = 0x1234;
  p.remote_psn = initialPsn(0x1234);
  p.path_mtu = IBV_MTU_1024;
  p.global = true;
  p.sgid_index = 3;
  p.max_dest_rd_atomic = 16;
  QpAttr rtr = rtrAttr(p);
  EXPECT_EQ(rtr.mask(), IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
                            IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
  EXPECT_EQ(rtr.get().ah_attr.is_global, 1);
  EXPECT_EQ(rtr.get().ah_attr.grh.sgid_index, 3);
  EXPECT_EQ(rtr.get().dest_qp_num, 0x1234u);
  QpAttr rts = rtsAttr(77, 8);
  EXPECT_EQ(rts.mask(),
            IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
  EXPECT_EQ(rts.get().timeout, 14);
  EXPECT_EQ(rts.get().retry_cnt, 7);
  EXPECT_EQ(rts.get().rnr_retry, 7);
  EXPECT_EQ(rts.get().max_rd_atomic, 8);
  EXPECT_LE(initialPsn(0xffffffu), 0xffffffu);
  EXPECT_EQ(mtuBytes(IBV_MTU_4096), 4096);
}

TEST(VerbsPortFacts, LineRateFromSpeedAndWidth) {
  EXPECT_DOUBLE_EQ(lineRateGbps(32, 2), 100.0);   // 4x EDR
  EXPECT_DOUBLE_EQ(lineRateGbps(64, 2), 200.0);   // 4x HDR
  EXPECT_DOUBLE_EQ(lineRateGbps(128, 2), 400.0);  // 4x NDR
  EXPECT_DOUBLE_EQ(lineRateGbps(1, 1), 2.5);      // 1x SDR (Soft-RoCE reports this)
  EXPECT_DOUBLE_EQ(lineRateGbps(0, 2), 0.0);
}

// ---------------------------------------------------------------- sysfs: GIDs, NUMA

TEST(VerbsGid, ParsesAndClassifies) {
  auto g = parseGid("0000:0000:0000:0000:0000:ffff:0a00:020f");
  ASSERT_TRUE(g);
  EXPECT_TRUE(isIpv4MappedGid(*g));
  EXPECT_EQ(gidToString(*g), "0000:0000:0000:0000:0000:ffff:0a00:020f");
  EXPECT_TRUE(isLinkLocalGid(*parseGid("fe80::1")));
  EXPECT_FALSE(parseGid("not a gid"));
  EXPECT_TRUE(isZeroGid(*parseGid("::")));
}

TEST(VerbsGid, AutoSelectsRoceV2Ipv4OnThePortNetdev) {
  auto table = readGidTable(kFixtures + "/mlx5_0/ports/1");
  ASSERT_EQ(table.size(), 6u) << "zero entries are skipped";
  auto c = chooseGid(table);
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->index, 5) << c->why;  // not 3: that one is on the VLAN netdev
  EXPECT_EQ(c->type, GidType::kRoceV2);
  EXPECT_EQ(c->netdev, "ens1f0");
  EXPECT_NE(c->why.find("IPv4-mapped"), std::string::npos);
}

TEST(VerbsGid, SoftRoceIpv6OnlyAndEmptyTables) {
  auto rxe = chooseGid(readGidTable(kFixtures + "/rxe0/ports/1"));
  ASSERT_TRUE(rxe.isOk());
  EXPECT_EQ(rxe->index, 1);
  auto v6 = chooseGid(readGidTable(kFixtures + "/mlx5_2/ports/1"));
  ASSERT_TRUE(v6.isOk());
  EXPECT_EQ(v6->index, 3) << "RoCE v2 with a global IPv6 address";
  auto ib = chooseGid(readGidTable(kFixtures + "/mlx5_ib0/ports/1"));
  ASSERT_TRUE(ib.isOk());
  EXPECT_EQ(ib->index, 0);
  EXPECT_EQ(chooseGid(readGidTable(kFixtures + "/empty0/ports/1")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(readGidTable(kFixtures + "/no_such_device/ports/1").empty());
}

TEST(VerbsNuma, DeviceNodeFromSysfs) {
  EXPECT_EQ(readDeviceNumaNode(kFixtures + "/mlx5_0"), 1);
  EXPECT_EQ(readDeviceNumaNode(kFixtures + "/mlx5_2"), 0);
  EXPECT_EQ(readDeviceNumaNode(kFixtures + "/mlx5_ib0"), -1);
  EXPECT_EQ(readDeviceNumaNode(kFixtures + "/rxe0"), -1) << "no PCI device";
}

// ---------------------------------------------------------------- NIC choice

TEST(VerbsNicPriority, ParsesMooncakeMatrix) {
  auto m = loadNicPriorityMatrix(kFixtures + "/../verbs_nic_priority_matrix.json");
  ASSERT_TRUE(m.isOk()) << m.status().message();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ(m->at("cpu:1").preferred, (std::vector<std::string>{"mlx5_2", "mlx5_3"}));
  EXPECT_EQ(m->at("cuda:0").available.size(), 3u);
  auto one_list = parseNicPriorityMatrix(R"({"cpu:0": [["mlx5_0"]]})");
  ASSERT_TRUE(one_list.isOk());
  EXPECT_TRUE(one_list->at("cpu:0").available.empty());
  for (const char* bad : {"[1,2]", "{\"cpu:0\": \"mlx5_0\"}", "{\"cpu:0\": [[1]]}", "{", "{\"cpu:0\": []}"}) {
    EXPECT_EQ(parseNicPriorityMatrix(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto missing = loadNicPriorityMatrix("/nonexistent/matrix.json");
  EXPECT_NE(missing.status().message().find("--nic-priority-matrix /nonexistent/matrix.json"), std::string::npos);
}

TEST(VerbsNicPriority, MatrixThenNumaThenAll) {
  std::vector<CandidateNic> nics = {{"mlx5_0", 0}, {"mlx5_1", 0}, {"mlx5_2", 1}, {"mlx5_3", 1}};
  auto m = *loadNicPriorityMatrix(kFixtures + "/../verbs_nic_priority_matrix.json");
  NicChoice c = chooseNics(nics, &m, 1, false);
  EXPECT_EQ(c.indices, (std::vector<size_t>{2, 3}));
  EXPECT_NE(c.reason.find("cpu:1"), std::string::npos);
  // Preferred devices not active here: the matrix's "available" list.
  std::vector<CandidateNic> only_first = {{"mlx5_0", 0}, {"mlx5_1", 0}};
  c = chooseNics(only_first, &m, 1, false);
  EXPECT_EQ(c.indices, (std::vector<size_t>{0, 1}));
  EXPECT_NE(c.reason.find("available"), std::string::npos);
  // No matrix: the NICs of the buffer's node.
  c = chooseNics(nics, nullptr, 0, false);
  EXPECT_EQ(c.indices, (std::vector<size_t>{0, 1}));
  c = chooseNics(nics, nullptr, 3, false);
  EXPECT_EQ(c.indices.size(), 4u) << "no NIC on that node: all";
  c = chooseNics(nics, nullptr, -1, false);
  EXPECT_EQ(c.indices.size(), 4u);
  c = chooseNics(nics, nullptr, 1, true);
  EXPECT_EQ(c.indices.size(), 4u) << "--devices: the user's list as given";
  c = chooseNics({{"rxe0", -1}}, nullptr, 0, false);
  EXPECT_EQ(c.indices, (std::vector<size_t>{0}));
}

}  // namespace
}  // namespace te::engine::verbs
