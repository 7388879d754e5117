// Slurm topology.conf and host lists: the forms sites keep (topology.conf, scontrol's
// output), and a malformed file named by its line.
#include "bench/analysis/topology_conf.h"

#include <gtest/gtest.h>

#include <fstream>

#include "bench/analysis/topology_source.h"

namespace te::bench {
namespace {

using Names = std::vector<std::string>;

Names expand(const std::string& list) {
  Result<Names> r = expandHostlist(list);
  EXPECT_TRUE(r.isOk()) << list << ": " << r.status().message();
  return r.isOk() ? *r : Names{};
}

std::string expandError(const std::string& list) {
  Result<Names> r = expandHostlist(list);
  EXPECT_FALSE(r.isOk()) << list;
  return r.isOk() ? "" : r.status().message();
}

TEST(Hostlist, ExpandsSlurmBrackets) {
  EXPECT_EQ(expand("node07"), Names{"node07"});
  EXPECT_EQ(expand("node[01-03,10]"), (Names{"node01", "node02", "node03", "node10"}));
  EXPECT_EQ(expand("n[8-10]"), (Names{"n8", "n9", "n10"}));
  EXPECT_EQ(expand("node[08-10]"), (Names{"node08", "node09", "node10"}));
  EXPECT_EQ(expand("a1,b[1-2],c"), (Names{"a1", "b1", "b2", "c"}));
  EXPECT_EQ(expand("r[1-2]n[1-2]"), (Names{"r1n1", "r1n2", "r2n1", "r2n2"}));
  EXPECT_EQ(expand("gpu-[1-2].cl"), (Names{"gpu-1.cl", "gpu-2.cl"}));
}

TEST(Hostlist, RejectsMalformedLists) {
  EXPECT_NE(expandError("n[1-").find("'[' without ']'"), std::string::npos);
  EXPECT_NE(expandError("n1]").find("']' without '['"), std::string::npos);
  EXPECT_NE(expandError("n[3-1]").find("backwards"), std::string::npos);
  EXPECT_NE(expandError("n[a-b]").find("not a number"), std::string::npos);
  EXPECT_NE(expandError("a,,b").find("empty name"), std::string::npos);
  EXPECT_NE(expandError("n[0-99999999]").find("too long"), std::string::npos);
}

constexpr const char* kTwoLevel =
    "# two-level fabric\n"
    "SwitchName=leaf1 Nodes=h[0-1] LinkSpeed=100\n"
    "\n"
    "switchname=leaf2 nodes=h[2-3]   # lower-case keys are Slurm's too\n"
    "SwitchName=leaf3 \\\n"
    "  Nodes=h[4-5]\n"
    "SwitchName=spine1 Switches=leaf[1-3]\n";

Topology parse(const std::string& text) {
  Result<Topology> t = Topology::parse(text, "topo.conf");
  EXPECT_TRUE(t.isOk()) << t.status().message();
  return t.isOk() ? std::move(*t) : Topology::parse("SwitchName=x", "x").value();
}

TEST(TopologyConf, ParsesATwoLevelTree) {
  Topology t = parse(kTwoLevel);
  ASSERT_EQ(t.switches().size(), 4u);
  EXPECT_EQ(t.switches()[2].name, "leaf3");
  EXPECT_EQ(t.switches()[2].line, 5);
  EXPECT_EQ(t.switches()[2].nodes, (Names{"h4", "h5"}));
  EXPECT_EQ(t.switches()[3].level, 1);
  EXPECT_EQ(t.switches()[0].level, 0);
  EXPECT_EQ(t.switches()[0].parent, 3);
  EXPECT_EQ(t.leafOf("h3"), 1);
  EXPECT_EQ(t.leafOf("h3.cluster.example"), 1);  // a job's FQDN matches the short name
  EXPECT_EQ(t.leafOf("h9"), -1);
  EXPECT_EQ(t.lowestCommon(0, 0), 0);
  EXPECT_EQ(t.lowestCommon(0, 2), 3);
  EXPECT_TRUE(t.isUnder(1, 3));
  EXPECT_FALSE(t.isUnder(3, 1));
}

TEST(TopologyConf, ReadsScontrolOutput) {
  // scontrol lists every node under every ancestor: the node's leaf is the lowest.
  Topology t = parse(
      "SwitchName=s0 Level=0 LinkSpeed=1 Nodes=tux[0-1]\n"
      "SwitchName=s1 Level=0 LinkSpeed=1 Nodes=tux[2-3] Switches=(null)\n"
      "SwitchName=s2 Level=1 LinkSpeed=1 Nodes=tux[0-3] Switches=s[0-1]\n");
  EXPECT_EQ(t.leafOf("tux1"), 0);
  EXPECT_EQ(t.leafOf("tux2"), 1);
  EXPECT_EQ(t.switches()[2].level, 1);
}

std::string parseError(const std::string& text) {
  Result<Topology> t = Topology::parse(text, "topo.conf");
  EXPECT_FALSE(t.isOk()) << text;
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return t.isOk() ? "" : t.status().message();
}

TEST(TopologyConf, NamesTheMalformedLine) {
  EXPECT_EQ(parseError("SwitchName=a Nodes=n1\n\nNodes=n2\n"),
            "topo.conf:3: no SwitchName=; allowed SwitchName=NAME with Nodes=HOSTLIST and / or Switches=HOSTLIST "
            "(LinkSpeed=, Level= ignored)");
  EXPECT_NE(parseError("SwitchName=a Nodes=n1 Speed=3\n").find("topo.conf:1: 'Speed=3': allowed SwitchName="),
            std::string::npos);
  EXPECT_NE(parseError("SwitchName=a Nodes\n").find("topo.conf:1: 'Nodes'"), std::string::npos);
  EXPECT_NE(parseError("# c\nSwitchName=a Nodes=n[1-\n").find("topo.conf:2: Nodes=n[1-: '[' without ']'; allowed a Slurm host list"),
            std::string::npos);
  EXPECT_NE(parseError("SwitchName=a Nodes=n1\nSwitchName=s Switches=a,b\n")
                .find("topo.conf:2: Switches= names b, which no SwitchName= line defines"),
            std::string::npos);
  EXPECT_NE(parseError("SwitchName=a Nodes=n1\nSwitchName=a Nodes=n2\n").find("topo.conf:2: switch a is defined twice (first on line 1)"),
            std::string::npos);
  EXPECT_NE(parseError("SwitchName=a Switches=b\nSwitchName=b Switches=a\n").find("in a loop"), std::string::npos);
  EXPECT_NE(parseError("SwitchName=a Nodes=n[1-2]\nSwitchName=b Nodes=n2\n").find("topo.conf:2: node n2 is also under switch a"),
            std::string::npos);
  EXPECT_NE(parseError("SwitchName=a Nodes=n1\nSwitchName=s Switches=a\nSwitchName=t Switches=a\n").find("topo.conf:3: switch a is already below s"),
            std::string::npos);
  EXPECT_NE(parseError("# nothing\n\n").find("topo.conf: no SwitchName= line"), std::string::npos);
}

TEST(TopologyConf, FileErrorsNameTheFlag) {
  Result<std::shared_ptr<const Topology>> missing = loadTopologyFile("/nonexistent/topo.conf");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("--topology /nonexistent/topo.conf: cannot read"), std::string::npos);
  const std::string path = ::testing::TempDir() + "te_topology_bad.conf";
  std::ofstream(path) << "SwitchName=leaf1 Nodes=h[0-1]\nSwitchName=spine Switches=leaf[1-2\n";
  Result<std::shared_ptr<const Topology>> bad = loadTopologyFile(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("--topology: " + path + ":2: Switches=leaf[1-2: '[' without ']'"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace te::bench
