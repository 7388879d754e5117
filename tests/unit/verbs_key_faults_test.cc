// The verbs transport's test-only remote-key faults (TE_FAULT_INJECT badrkey / oob), applied
// to the keys table at connect, and the spec parsing they share with the fault decorator.
#include <gtest/gtest.h>

#include "engine/fault/fault_transport.h"
#include "engine/verbs/key_faults.h"

namespace te::engine::verbs {
namespace {

constexpr uint64_t kBase = 0x90000000;
constexpr uint64_t kLength = 8 << 20;

std::vector<PeerKeys> peers(int ranks) {
  std::vector<PeerKeys> out(ranks);
  for (int p = 0; p < ranks; ++p) {
    out[p].hostname = "node0" + std::to_string(p);
    out[p].device_names = {"mlx5_0", "mlx5_1"};
    out[p].regions.push_back(RemoteRegionKeys{kBase + p * kLength, kLength, {0x100u + p, 0x200u + p}});
  }
  return out;
}

TEST(FaultSpec, ParsesTheVerbsKindsNextToTheDecoratorOnes) {
  auto rules = parseFaultSpec("badrkey:0->1;oob:*->2;rate:1->2:20MB");
  ASSERT_TRUE(rules.isOk()) << rules.status().message();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].kind, FaultRule::Kind::kBadRkey);
  EXPECT_EQ((*rules)[1].kind, FaultRule::Kind::kOutOfBounds);
  EXPECT_EQ((*rules)[1].initiator, -1);
  EXPECT_EQ((*rules)[2].kind, FaultRule::Kind::kRate);
  EXPECT_TRUE((*rules)[1].covers(3, 2));
  EXPECT_FALSE((*rules)[1].covers(2, 2)) << "never a rank to itself";
  EXPECT_FALSE((*rules)[0].covers(1, 0));
  auto bad = parseFaultSpec("badkey:0->1");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("badrkey:I->T"), std::string::npos) << bad.status().message();
}

TEST(VerbsKeyFaults, EmptySpecOrOtherKindsChangeNothing) {
  for (const char* spec : {"", "rate:0->1:1MB;fail:0->2;corrupt:0->1", "badrkey:1->2", "oob:2->0"}) {
    auto keys = peers(3);
    auto applied = applyKeyFaults(spec, 0, &keys);
    ASSERT_TRUE(applied.isOk()) << spec;
    EXPECT_TRUE(applied->empty()) << spec;
    const auto fresh = peers(3);
    for (int p = 0; p < 3; ++p) {
      EXPECT_EQ(keys[p].regions[0].addr, fresh[p].regions[0].addr) << spec;
      EXPECT_EQ(keys[p].regions[0].rkeys, fresh[p].regions[0].rkeys) << spec;
    }
  }
}

TEST(VerbsKeyFaults, BadRkeyReplacesEveryRkeyOfThatPeerOnly) {
  auto keys = peers(3);
  auto applied = applyKeyFaults("badrkey:0->2", 0, &keys);
  ASSERT_TRUE(applied.isOk());
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0], "rank 2 (node02): wrong rkeys");
  EXPECT_EQ(keys[2].regions[0].rkeys, (std::vector<uint32_t>{wrongRkey(0x102), wrongRkey(0x202)}));
  EXPECT_NE(wrongRkey(0x102), 0x102u);
  EXPECT_EQ(keys[2].regions[0].addr, kBase + 2 * kLength);
  EXPECT_EQ(keys[1].regions[0].rkeys, (std::vector<uint32_t>{0x101, 0x201})) << "other peers untouched";
}

TEST(VerbsKeyFaults, OutOfBoundsMovesTheAddressPastTheRegionAndKeepsTheLength) {
  auto keys = peers(3);
  auto applied = applyKeyFaults("oob:*->*", 1, &keys);
  ASSERT_TRUE(applied.isOk());
  ASSERT_EQ(applied->size(), 2u) << "ranks 0 and 2, not itself";
  for (int p : {0, 2}) {
    const RemoteRegionKeys& r = keys[p].regions[0];
    EXPECT_EQ(r.addr, kBase + p * kLength + kLength) << "offset 0 is already past the MR";
    EXPECT_EQ(r.length, kLength) << "so requests still pass the bounds check";
    EXPECT_EQ(r.rkeys, (std::vector<uint32_t>{0x100u + p, 0x200u + p}));
  }
  EXPECT_EQ(keys[1].regions[0].addr, kBase + kLength) << "self untouched";
}

TEST(VerbsKeyFaults, BothOnOnePeerAndAMalformedSpec) {
  auto keys = peers(2);
  auto applied = applyKeyFaults("oob:0->1;badrkey:0->1", 0, &keys);
  ASSERT_TRUE(applied.isOk());
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0], "rank 1 (node01): wrong rkeys, remote addresses past the end of its regions");
  auto bad = applyKeyFaults("oob:0-1", 0, &keys);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace te::engine::verbs
