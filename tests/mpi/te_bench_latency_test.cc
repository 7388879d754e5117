// --metric latency under mpirun (issue 21 item 3), over TCP and UCX: a link whose
// completions the fault-injecting transport holds back 2 ms answers far above its peers, is
// flagged, retested alone and named; the others stay near each other. The JSON holds the p50
// matrix and each link's p50 / p99 / max; the terminal and HTML show the latency matrix.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/transport_registry.h"
#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;

class LatencyMetric : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!engine::findTransport(GetParam())) GTEST_SKIP() << "this build has no " << GetParam() << " transport";
  }
};

TEST_P(LatencyMetric, AHeldBackLinkIsFlaggedRetestedAndNamed) {
  const std::string json = tempPath("latency.json"), html = tempPath("latency.html");
  const std::string cmd =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 UCX_NET_DEVICES=lo UCX_TLS=tcp "
      "TE_FAULT_INJECT='burst:0->2:2' mpirun -np 3 --oversubscribe --bind-to none --mca pml ob1 --mca btl "
      "self,vader,tcp --mca mpi_yield_when_idle 1 " + kBench + " --transport " + GetParam() +
      " --metric latency --operation read --duration 0.5 --warmup 0.1 --buffer-size 4M --progress off --json " + json +
      " --html " + html;
  CommandResult r = runCommand(cmd, std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("latency p50 us, one request outstanding"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("HIGH LATENCY links (p50 above 2 x the median p50 of comparable links, confirmed alone; us): "
                          "0->2 (p50 "),
            std::string::npos)
      << r.output;
  nlohmann::json report;
  std::ifstream(json) >> report;
  const nlohmann::json& b = report["results"][0];
  EXPECT_EQ(b["metric"], "latency");
  EXPECT_EQ(b["block_size"], 8);
  EXPECT_EQ(report["options"]["batch_size"], 1);
  EXPECT_EQ(report["options"]["latency_threshold"], 2.0);
  ASSERT_EQ(b["matrix_latency_p50_us"].size(), 3u);
  for (const auto& l : b["links"]) {
    const int i = l["initiator"], t = l["target"];
    const double p50 = l["latency_us"]["p50"];
    EXPECT_EQ(b["matrix_latency_p50_us"][i][t].get<double>(), p50) << l.dump();
    EXPECT_LE(l["latency_us"]["p50"].get<double>(), l["latency_us"]["p99"].get<double>()) << l.dump();
    EXPECT_LE(l["latency_us"]["p99"].get<double>(), l["latency_us"]["max"].get<double>()) << l.dump();
    EXPECT_GT(l["ops"].get<uint64_t>(), 50u) << l.dump();  // one at a time, for the window
    if (i == 0 && t == 2) {
      EXPECT_GE(p50, 2000.0) << l.dump();  // held back 2 ms after it finished
      EXPECT_TRUE(l["analysis"]["flagged"].get<bool>()) << l.dump();
      EXPECT_TRUE(l["analysis"]["retested"].get<bool>()) << l.dump();
      EXPECT_TRUE(l["analysis"]["confirmed"].get<bool>()) << l.dump();
      EXPECT_GE(l["analysis"]["retest_latency_us"].get<double>(), 2000.0) << l.dump();
      EXPECT_LT(l["analysis"]["reference_latency_us"].get<double>(), 1000.0) << l.dump();
    } else {
      EXPECT_LT(p50, 1000.0) << l.dump();
      EXPECT_FALSE(l["analysis"]["confirmed"].get<bool>()) << l.dump();
    }
  }
  std::ifstream h(html);
  std::stringstream page;
  page << h.rdbuf();
  EXPECT_NE(page.str().find("<table class=\"heatmap latency\">"), std::string::npos);
  EXPECT_NE(page.str().find("HIGH LATENCY"), std::string::npos);
  std::remove(json.c_str());
  std::remove(html.c_str());
}

INSTANTIATE_TEST_SUITE_P(Transports, LatencyMetric, ::testing::Values("tcp", "ucx"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace te::testing
