// RoCE GID matching without a device: the candidates a port publishes, the pair both ends of
// a QP choose from each other's lists (same subnet, VLAN vs untagged, v1 vs v2, IPv4 vs IPv6,
// --gid-index), the error when nothing pairs, and that both ends always reach the same pair.
#include <gtest/gtest.h>

#include "engine/verbs/endpoint.h"
#include "engine/verbs/gid_match.h"
#include "engine/verbs/gid_plan.h"
#include "engine/verbs/sysfs_topology.h"

namespace te::engine::verbs {
namespace {

constexpr GidType kV1 = GidType::kIbRoceV1;
constexpr GidType kV2 = GidType::kRoceV2;

GidCandidate gid(int index, const char* address, GidType type, int prefix) {
  return GidCandidate{static_cast<uint16_t>(index), *parseGid(address), type, static_cast<uint8_t>(prefix)};
}

// A RoCE device with these candidates, the one at `default_index` its own choice.
DeviceAddress roce(const std::string& name, std::vector<GidCandidate> candidates, int default_index,
                   bool pinned = false) {
  DeviceAddress d;
  d.name = name;
  d.link_layer = LinkLayer::kEthernet;
  d.gid_index = static_cast<int16_t>(default_index);
  for (const GidCandidate& c : candidates) {
    if (c.index == default_index) d.gid = c.gid;
  }
  d.gid_pinned = pinned;
  d.gid_candidates = std::move(candidates);
  return d;
}

struct Pair {
  int lo_index = -1, hi_index = -1;
  GidMatchKind kind = GidMatchKind::kUnused;
};

Pair match(const DeviceAddress& lo, const DeviceAddress& hi) {
  GidPick p = matchGids(lo, hi);
  if (p.lo < 0) return {-1, -1, p.kind};
  return {gidCandidatesOf(lo)[static_cast<size_t>(p.lo)].index, gidCandidatesOf(hi)[static_cast<size_t>(p.hi)].index,
          p.kind};
}

std::string reason(const DeviceAddress& mine, const DeviceAddress& theirs, bool mine_is_lower = true) {
  GidPick p = mine_is_lower ? matchGids(mine, theirs) : matchGids(theirs, mine);
  const size_t m = static_cast<size_t>(mine_is_lower ? p.lo : p.hi), t = static_cast<size_t>(mine_is_lower ? p.hi : p.lo);
  return gidMatchReason(mine, gidCandidatesOf(mine)[m], theirs, gidCandidatesOf(theirs)[t], p.kind);
}

// A typical mlx5 table: v1 / v2 for the link-local address and an IPv4 address.
std::vector<GidCandidate> table(const char* ipv4, int prefix) {
  return {gid(3, ipv4, kV2, prefix), gid(2, ipv4, kV1, prefix), gid(1, "fe80::ba59:9fff:fe12:3456", kV2, 64),
          gid(0, "fe80::ba59:9fff:fe12:3456", kV1, 64)};
}

TEST(VerbsGidMatch, SameSubnetRoceV2Ipv4) {
  DeviceAddress a = roce("mlx5_0", table("::ffff:10.0.2.15", 24), 3);
  DeviceAddress b = roce("mlx5_1", table("::ffff:10.0.2.16", 24), 3);
  Pair p = match(a, b);
  EXPECT_EQ(p.lo_index, 3);
  EXPECT_EQ(p.hi_index, 3);
  EXPECT_EQ(p.kind, GidMatchKind::kSameSubnet);
  EXPECT_EQ(reason(a, b), "RoCE v2, IPv4 10.0.2.0/24 on both ends");
  // The shorter prefix decides: a /16 and a /24 holding both addresses.
  DeviceAddress wide = roce("mlx5_1", table("::ffff:10.0.9.16", 16), 3);
  EXPECT_EQ(match(a, wide).kind, GidMatchKind::kSameSubnet);
  EXPECT_EQ(reason(a, wide), "RoCE v2, IPv4 10.0.0.0/16 on both ends");
}

TEST(VerbsGidMatch, VlanOverUntaggedWhenOnlyTheVlanSharesASubnet) {
  // Both ends chose their untagged netdev's GID (3) on their own, in different subnets; the
  // RoCE VLAN's GIDs (5) share one.
  DeviceAddress a = roce("mlx5_0", {gid(3, "::ffff:192.168.1.5", kV2, 24), gid(5, "::ffff:10.10.0.5", kV2, 24)}, 3);
  DeviceAddress b = roce("mlx5_0", {gid(3, "::ffff:192.168.2.6", kV2, 24), gid(5, "::ffff:10.10.0.6", kV2, 24)}, 3);
  Pair p = match(a, b);
  EXPECT_EQ(p.lo_index, 5);
  EXPECT_EQ(p.hi_index, 5);
  EXPECT_EQ(p.kind, GidMatchKind::kSameSubnet);
  EXPECT_EQ(reason(b, a, false), "RoCE v2, IPv4 10.10.0.0/24 on both ends");
  // No common subnet at all: routed RoCE v2 between the defaults, and said so.
  DeviceAddress c = roce("mlx5_0", {gid(3, "::ffff:192.168.2.6", kV2, 24)}, 3);
  Pair routed = match(a, c);
  EXPECT_EQ(routed.lo_index, 3);
  EXPECT_EQ(routed.kind, GidMatchKind::kRouted);
  EXPECT_EQ(reason(a, c),
            "no common subnet: routed, RoCE v2 IPv4 (192.168.1.0/24 here, 192.168.2.0/24 on the peer)");
}

TEST(VerbsGidMatch, SameRoceTypeV2First) {
  DeviceAddress both = roce("mlx5_0", table("::ffff:10.0.2.15", 24), 3);
  DeviceAddress v1_only = roce("mlx5_1", {gid(0, "::ffff:10.0.2.16", kV1, 24)}, 0);
  Pair p = match(v1_only, both);
  EXPECT_EQ(p.lo_index, 0);
  EXPECT_EQ(p.hi_index, 2) << "the v1 entry of the same address";
  EXPECT_EQ(reason(both, v1_only, false), "RoCE v1, IPv4 10.0.2.0/24 on both ends");
  // v2 in another subnet still beats v1 in the same one.
  DeviceAddress mixed = roce("mlx5_1", {gid(0, "::ffff:10.0.2.16", kV1, 24), gid(1, "::ffff:10.0.3.16", kV2, 24)}, 1);
  EXPECT_EQ(match(both, mixed).hi_index, 1);
  EXPECT_EQ(match(both, mixed).kind, GidMatchKind::kRouted);
  DeviceAddress v2_only = roce("mlx5_0", {gid(3, "::ffff:10.0.2.15", kV2, 24)}, 3);
  EXPECT_EQ(match(v2_only, v1_only).kind, GidMatchKind::kNoMatch);
}

TEST(VerbsGidMatch, FamilyMatchesIpv6OnlyPeerAndLinkLocalOnlyWithLinkLocal) {
  DeviceAddress dual = roce("mlx5_0", {gid(3, "::ffff:10.0.2.15", kV2, 24), gid(4, "fd00:1::15", kV2, 64),
                                       gid(1, "fe80::15", kV2, 64)},
                            3);
  DeviceAddress v6 = roce("mlx5_2", {gid(2, "fd00:1::16", kV2, 64), gid(1, "fe80::16", kV2, 64)}, 2);
  Pair p = match(dual, v6);
  EXPECT_EQ(p.lo_index, 4);
  EXPECT_EQ(p.hi_index, 2);
  EXPECT_EQ(p.kind, GidMatchKind::kSameSubnet);
  EXPECT_EQ(reason(dual, v6), "RoCE v2, IPv6 fd00:1::/64 on both ends");
  DeviceAddress link_local = roce("rxe0", {gid(0, "fe80::16", kV2, 64)}, 0);
  Pair ll = match(dual, link_local);
  EXPECT_EQ(ll.lo_index, 1);
  EXPECT_EQ(ll.kind, GidMatchKind::kLinkLocal);
  EXPECT_EQ(reason(link_local, dual, false), "RoCE v2, IPv6 link-local on both ends");
  DeviceAddress v4_only = roce("mlx5_0", {gid(3, "::ffff:10.0.2.15", kV2, 24)}, 3);
  EXPECT_EQ(match(v4_only, link_local).kind, GidMatchKind::kNoMatch) << "link-local pairs with link-local only";
}

TEST(VerbsGidMatch, GidIndexPinsThatEnd) {
  DeviceAddress a = roce("mlx5_0", table("::ffff:10.0.2.15", 24), 2, /*pinned=*/true);  // RoCE v1
  DeviceAddress b = roce("mlx5_1", table("::ffff:10.0.2.16", 24), 3);
  Pair p = match(a, b);
  EXPECT_EQ(p.lo_index, 2);
  EXPECT_EQ(p.hi_index, 2) << "the peer follows with its v1 entry";
  EXPECT_EQ(p.kind, GidMatchKind::kPinned);
  EXPECT_EQ(reason(a, b), "--gid-index 2 (or MC_GID_INDEX) here; RoCE v1, IPv4 10.0.2.0/24 on both ends");
  EXPECT_EQ(reason(b, a, false), "the peer's --gid-index 2; RoCE v1, IPv4 10.0.2.0/24 on both ends");
  // Both pinned to entries that cannot pair: no match, whatever else they have.
  DeviceAddress c = roce("mlx5_1", table("::ffff:10.0.2.16", 24), 3, /*pinned=*/true);
  EXPECT_EQ(match(a, c).kind, GidMatchKind::kNoMatch);
}

TEST(VerbsGidMatch, TiesGoToEachEndsDefaultThenTheLowestIndex) {
  // Two GIDs in the same subnet at each end (two netdevs, same VLAN).
  DeviceAddress a = roce("mlx5_0", {gid(3, "::ffff:10.0.2.15", kV2, 24), gid(7, "::ffff:10.0.2.25", kV2, 24)}, 7);
  DeviceAddress b = roce("mlx5_0", {gid(3, "::ffff:10.0.2.16", kV2, 24), gid(7, "::ffff:10.0.2.26", kV2, 24)}, 3);
  Pair p = match(a, b);
  EXPECT_EQ(p.lo_index, 7);
  EXPECT_EQ(p.hi_index, 3);
  DeviceAddress c = roce("mlx5_0", {gid(5, "::ffff:10.0.2.16", kV2, 24), gid(4, "::ffff:10.0.2.26", kV2, 24)}, 9);
  EXPECT_EQ(match(a, c).hi_index, 4) << "neither is its default: the lowest index";
}

TEST(VerbsGidMatch, NoMatchNamesBothEndsAndTheirCandidates) {
  DeviceAddress a = roce("mlx5_0", {gid(3, "::ffff:10.0.2.15", kV2, 24)}, 3);
  DeviceAddress b = roce("mlx5_4", {gid(1, "fd00::16", kV2, 64), gid(0, "fd00::16", kV1, 64)}, 1);
  ASSERT_EQ(match(a, b).kind, GidMatchKind::kNoMatch);
  const std::string e = gidMismatchError("node01", a, "node02", b);
  EXPECT_EQ(e,
            "verbs: no RoCE GID pair between node01 mlx5_0 [3 v2 10.0.2.15/24] and node02 mlx5_4 "
            "[1 v2 fd00::16/64, 0 v1 fd00::16/64]: both ends need the same RoCE type (v1 / v2) and address "
            "family (IPv4, IPv6, link-local)");
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(VerbsGidMatch, PeerWithoutCandidatesOffersItsDefault) {
  DeviceAddress a = roce("mlx5_0", table("::ffff:10.0.2.15", 24), 3);
  DeviceAddress old = roce("mlx5_0", {}, 1);
  old.gid = *parseGid("::ffff:10.0.2.16");
  Pair p = match(old, a);
  EXPECT_EQ(p.lo_index, 1);
  EXPECT_EQ(p.hi_index, 3) << "type unknown pairs with either type: the peer's default";
  EXPECT_EQ(p.kind, GidMatchKind::kSubnetUnknown);
}

// ---------------------------------------------------------------- every peer: GidPlan

RankEndpoint rankOf(const std::string& host, std::vector<DeviceAddress> devices) {
  RankEndpoint e;
  e.hostname = host;
  e.devices = std::move(devices);
  return e;
}

TEST(VerbsGidPlan, BothEndsOfEveryPairReachTheSamePair) {
  std::vector<RankEndpoint> world = {
      rankOf("n0", {roce("mlx5_0", {gid(3, "::ffff:192.168.1.5", kV2, 24), gid(5, "::ffff:10.10.0.5", kV2, 24)}, 3),
                    roce("mlx5_1", table("::ffff:10.0.2.15", 24), 3)}),
      rankOf("n1", {roce("mlx5_0", {gid(3, "::ffff:192.168.2.6", kV2, 24), gid(5, "::ffff:10.10.0.6", kV2, 24)}, 3)}),
      rankOf("n2", {roce("mlx5_0", table("::ffff:10.0.2.17", 24), 2, true),
                    roce("mlx5_1", {gid(2, "fd00:1::16", kV2, 64), gid(4, "::ffff:10.10.0.7", kV2, 16)}, 2),
                    roce("mlx5_2", {gid(1, "fe80::1", kV2, 64), gid(0, "::ffff:10.0.2.18", kV2, 24)}, 0)}),
  };
  std::vector<GidPlan> plans;
  for (int r = 0; r < 3; ++r) plans.push_back(GidPlan::make(world, r));
  int pairs = 0;
  for (int r = 0; r < 3; ++r) {
    for (int p = 0; p < 3; ++p) {
      if (p == r) continue;
      const size_t devices = std::max(world[r].devices.size(), world[p].devices.size());
      for (size_t slot = 0; slot < devices; ++slot) {
        const int l = static_cast<int>(slot % world[r].devices.size());
        const int d = static_cast<int>(slot % world[p].devices.size());
        Result<GidPlan::Use> here = plans[r].use(world, p, l, d);
        Result<GidPlan::Use> there = plans[p].use(world, r, d, l);
        ASSERT_EQ(here.isOk(), there.isOk()) << r << "->" << p;
        ++pairs;
        if (!here.isOk()) continue;
        EXPECT_EQ(here->mine.index, there->theirs.index) << r << "->" << p << " slot " << slot;
        EXPECT_EQ(here->mine.gid, there->theirs.gid);
        EXPECT_EQ(here->theirs.index, there->mine.index);
        EXPECT_EQ(here->kind, there->kind);
      }
    }
  }
  EXPECT_EQ(pairs, 2 * (2 + 3 + 3));
  // n0 mlx5_0 with n1: the VLAN pair, not the defaults.
  Result<GidPlan::Use> vlan = plans[0].use(world, 1, 0, 0);
  ASSERT_TRUE(vlan.isOk());
  EXPECT_EQ(vlan->mine.index, 5);
  EXPECT_EQ(vlan->theirs.index, 5);
  // n0 mlx5_1 (slot 1) meets n2 mlx5_1: IPv4 within n2's /16 only, so routed.
  Result<GidPlan::Use> routed = plans[0].use(world, 2, 1, 1);
  ASSERT_TRUE(routed.isOk());
  EXPECT_EQ(routed->kind, GidMatchKind::kRouted);
  EXPECT_EQ(routed->theirs.index, 4);
  // n2 is pinned to its v1 GID 2 on mlx5_0, which n0 mlx5_0 (v2 only) cannot pair with.
  Result<GidPlan::Use> v1 = plans[0].use(world, 2, 0, 0);
  ASSERT_FALSE(v1.isOk()) << "n0 mlx5_0 has no v1 GID for n2's pinned one";
  EXPECT_NE(v1.status().message().find("rank 0 (n0) mlx5_0"), std::string::npos) << v1.status().message();
  EXPECT_NE(v1.status().message().find("rank 2 (n2) mlx5_0 [2 v1 10.0.2.17/24] (--gid-index / MC_GID_INDEX)"),
            std::string::npos)
      << v1.status().message();
}

TEST(VerbsGidPlan, SummaryCountsPairsPerReasonWithTheFirstChoices) {
  std::vector<RankEndpoint> world;
  world.push_back(rankOf("n0", {roce("mlx5_0", {gid(3, "::ffff:192.168.1.5", kV2, 24),
                                                gid(5, "::ffff:10.10.0.5", kV2, 24)}, 3)}));
  for (int r = 1; r < 40; ++r) {
    const std::string vlan = "::ffff:10.10.0." + std::to_string(10 + r);
    const std::string own = "::ffff:192.168." + std::to_string(r % 3 + 2) + ".6";
    world.push_back(rankOf("n" + std::to_string(r), {roce("mlx5_0", {gid(3, own.c_str(), kV2, 24),
                                                                     gid(5, vlan.c_str(), kV2, 24)}, 3)}));
  }
  world.push_back(rankOf("n40", {roce("mlx5_0", {gid(0, "fd00::40", kV2, 64)}, 0)}));
  const GidPlan plan = GidPlan::make(world, 0);
  const nlohmann::json s = plan.summary(0);
  EXPECT_EQ(s["pairs"], 40);
  EXPECT_EQ(s["by_reason"]["same_subnet"], 39);
  EXPECT_EQ(s["by_reason"]["no_match"], 1);
  EXPECT_EQ(s["other_than_default"], 39) << "the VLAN GID 5, not the default 3";
  ASSERT_EQ(s["choices"].size(), 2u) << "one per distinct choice, not one per peer";
  EXPECT_EQ(s["choices"][0]["peer"], 1);
  EXPECT_EQ(s["choices"][0]["gid_index"], 5);
  EXPECT_EQ(s["choices"][0]["peer_gid_index"], 5);
  EXPECT_EQ(s["choices"][0]["reason"], "RoCE v2, IPv4 10.10.0.0/24 on both ends");
  EXPECT_EQ(s["choices"][1]["peer"], 40);
  EXPECT_EQ(s["choices"][1]["gid_index"], -1);
  EXPECT_TRUE(plan.summary(1).is_null());
}

TEST(VerbsGidPlan, InfiniBandPortsAreNotMatched) {
  DeviceAddress ib;
  ib.name = "mlx5_ib0";
  ib.link_layer = LinkLayer::kInfiniBand;
  std::vector<RankEndpoint> world = {rankOf("n0", {ib}), rankOf("n1", {ib})};
  const GidPlan plan = GidPlan::make(world, 0);
  Result<GidPlan::Use> u = plan.use(world, 1, 0, 0);
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->kind, GidMatchKind::kUnused);
  EXPECT_TRUE(plan.summary(0).is_null());
}

// ---------------------------------------------------------------- what a port publishes

TEST(VerbsGidCandidates, BestFirstWithPrefixLengthsAndTheDefault) {
  const std::string fixtures = TE_VERBS_FIXTURE_DIR;
  std::vector<GidEntry> t = readGidTable(fixtures + "/mlx5_0/ports/1");
  std::vector<InterfaceAddress> addresses = {
      {"ens1f0", *parseGid("::ffff:192.168.1.5"), 24},
      {"ens1f0.100", *parseGid("::ffff:10.0.1.5"), 16},
      {"ens1f0", *parseGid("fe80::ba59:9fff:fe12:3456"), 64},
  };
  std::vector<GidCandidate> c = gidCandidates(t, 5, *parseGid("::ffff:192.168.1.5"), addresses);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].index, 5);
  EXPECT_EQ(c[0].type, kV2);
  EXPECT_EQ(c[0].prefix_len, 24);
  EXPECT_EQ(c[1].index, 3) << "the VLAN's v2 GID next";
  EXPECT_EQ(c[1].prefix_len, 16);
  EXPECT_EQ(gidCandidateText(c[1]), "3 v2 10.0.1.5/16");
  EXPECT_EQ(c.back().index, 0);
  EXPECT_EQ(c.back().prefix_len, 64);
  // A long table: at most kMaxGidCandidates, the default kept even when it ranks last.
  std::vector<GidEntry> many;
  for (int i = 0; i < 20; ++i) {
    const std::string a = "::ffff:10.0." + std::to_string(i) + ".1";
    many.push_back(GidEntry{i, *parseGid(a), i == 19 ? kV1 : kV2, "eth" + std::to_string(i)});
  }
  std::vector<GidCandidate> capped = gidCandidates(many, 19, many[19].gid, {});
  ASSERT_EQ(capped.size(), kMaxGidCandidates);
  EXPECT_EQ(capped.back().index, 19);
  EXPECT_EQ(capped.back().prefix_len, 0) << "unknown";
  // No sysfs table (ibv_query_gid only): the default alone, type unknown.
  std::vector<GidCandidate> bare = gidCandidates({}, 1, *parseGid("::ffff:10.0.2.15"), {});
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_EQ(bare[0].type, GidType::kUnknown);
}

TEST(VerbsGidCandidates, PrefixLengthOnItsNetdevElseAnywhere) {
  std::vector<InterfaceAddress> a = {{"eth1", *parseGid("::ffff:10.0.2.15"), 16},
                                     {"eth0", *parseGid("::ffff:10.0.2.15"), 24}};
  EXPECT_EQ(prefixLengthOf(*parseGid("::ffff:10.0.2.15"), "eth0", a), 24);
  EXPECT_EQ(prefixLengthOf(*parseGid("::ffff:10.0.2.15"), "eth0.100", a), 16) << "the first one holding it";
  EXPECT_EQ(prefixLengthOf(*parseGid("::ffff:10.0.2.99"), "eth0", a), 0);
  // This machine's own addresses: loopback is 127.0.0.1/8 wherever getifaddrs works.
  for (const InterfaceAddress& i : readInterfaceAddresses()) {
    if (i.address == *parseGid("::ffff:127.0.0.1")) {
      EXPECT_EQ(i.prefix_len, 8);
    }
  }
}

TEST(VerbsGidCandidates, EndpointCarriesThemAndRejectsBadOnes) {
  RankEndpoint e = rankOf("node07", {roce("mlx5_0", table("::ffff:10.0.2.15", 24), 3, true)});
  e.devices[0].port = 1;
  RankEndpoint back;
  ASSERT_TRUE(decodeEndpoint(encodeEndpoint(e), 7, &back).isOk());
  ASSERT_EQ(back.devices[0].gid_candidates.size(), 4u);
  EXPECT_TRUE(back.devices[0].gid_pinned);
  EXPECT_EQ(back.devices[0].gid_candidates[0].index, 3);
  EXPECT_EQ(back.devices[0].gid_candidates[0].type, kV2);
  EXPECT_EQ(back.devices[0].gid_candidates[0].prefix_len, 24);
  EXPECT_EQ(back.devices[0].gid_candidates[2].gid, *parseGid("fe80::ba59:9fff:fe12:3456"));
  RankEndpoint bad_prefix = e;
  bad_prefix.devices[0].gid_candidates[0].prefix_len = 33;  // an IPv4 address
  Status s = decodeEndpoint(encodeEndpoint(bad_prefix), 5, &back);
  EXPECT_NE(s.message().find("rank 5"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("GID 3 of mlx5_0: prefix length 33"), std::string::npos) << s.message();
  RankEndpoint too_many = e;
  too_many.devices[0].gid_candidates.resize(kMaxGidCandidates + 1);
  s = decodeEndpoint(encodeEndpoint(too_many), 5, &back);
  EXPECT_NE(s.message().find("9 GID candidates of mlx5_0, at most 8"), std::string::npos) << s.message();
  RankEndpoint bad_type = e;
  bad_type.devices[0].gid_candidates[1].type = static_cast<GidType>(7);
  s = decodeEndpoint(encodeEndpoint(bad_type), 5, &back);
  EXPECT_NE(s.message().find("GID type 7 of mlx5_0"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace te::engine::verbs
