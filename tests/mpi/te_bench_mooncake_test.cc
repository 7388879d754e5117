// The command lines of Mooncake's own documentation (transfer_engine_bench's target and
// initiator, doc/en/transfer-engine.md; transfer_engine_bench_v1's target and mix + integrity
// initiator, doc/en/v1/transfer-engine-bench-v1.md), with --protocol tcp so they run here,
// under mpirun -np 2, the metadata server a real redis this test starts: each runs and its
// JSON report shows the mapped settings, or exits 2 with one line naming te_bench's way.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bootstrap/kv/kv_store.h"
#include "service_process.h"
#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;
// Short windows: the point is the mapping and the plumbing, not the speed.
const std::string kShort = " --duration 0.4 --warmup 0.05 --buffer-size 16M --progress off";

std::string mpirun(const std::string& env = "") {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " + env +
         " mpirun -q -np 2 --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp"
         " --mca mpi_yield_when_idle 1 " + kBench + " ";
}

nlohmann::json readJson(const std::string& path) {
  std::ifstream f(path);
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  std::remove(path.c_str());
  return j;
}

void expectTwoLinksMeasured(const nlohmann::json& j) {
  ASSERT_FALSE(j.is_discarded());
  ASSERT_EQ(j["results"].size(), 1u);
  ASSERT_EQ(j["results"][0]["links"].size(), 2u);
  for (const auto& l : j["results"][0]["links"]) EXPECT_GT(l["bytes_per_second"].get<double>(), 0) << l.dump();
}

class MooncakeCommandLines : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const auto& b : bootstrap::kv::kvBackends()) {
      if (std::string(b.scheme) == "redis" && !b.connect) why_ = std::string("redis bootstrap not built: ") + b.missing_reason;
    }
    if (why_.empty()) redis_ = services_test::ServiceServer::start("redis", &why_).release();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }
  void SetUp() override {
    if (!redis_) GTEST_SKIP() << why_;
  }
  // "redis://127.0.0.1:PORT" and its "127.0.0.1:PORT".
  static std::string url() { return redis_->url(); }
  static std::string hostPort() { return url().substr(std::string("redis://").size()); }

  static services_test::ServiceServer* redis_;
  static std::string why_;
};
services_test::ServiceServer* MooncakeCommandLines::redis_ = nullptr;
std::string MooncakeCommandLines::why_;

TEST_F(MooncakeCommandLines, ClassicTargetExitsTwoWithOneLineNamingTheTeBenchWay) {
  CommandResult r = runCommand(mpirun() + "--mode=target --metadata_server=" + url() +
                                   " --local_server_name=10.0.0.2:12345 --device_name=erdma_0 --protocol=tcp",
                               std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(countOccurrences(r.output, "te_bench:"), 1u) << r.output;
  EXPECT_NE(r.output.find("te_bench: --mode target: not needed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--pairs I:T"), std::string::npos) << r.output;
}

TEST_F(MooncakeCommandLines, ClassicInitiatorOverRedisRunsEveryPair) {
  const std::string json = tempPath("classic.json");
  CommandResult r = runCommand(mpirun("MC_NUM_QP_PER_EP=4 MC_GID_INDEX=3") + "--metadata_server=" + url() +
                                   " --segment_id=10.0.0.2:12345 --local_server_name=10.0.0.3:12346"
                                   " --device_name=erdma_1 --protocol=tcp --operation=write --block_size=16384"
                                   " --batch_size=16 --threads=2 --report_unit=GiB --report_precision=3" +
                                   kShort + " --json " + json,
                               std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Each note once for the job, from rank 0.
  EXPECT_EQ(countOccurrences(r.output, "te_bench: note: --segment_id, --local_server_name: not needed"), 1u) << r.output;
  EXPECT_EQ(countOccurrences(r.output, "--device_name (--protocol tcp uses no RDMA device)"), 1u) << r.output;
  EXPECT_EQ(countOccurrences(r.output, "MC_NUM_QP_PER_EP is Mooncake's QPs per endpoint"), 1u) << r.output;
  EXPECT_EQ(r.output.find("MC_GID_INDEX"), std::string::npos) << "honoured, not named: " << r.output;
  nlohmann::json j = readJson(json);
  expectTwoLinksMeasured(j);
  const auto& o = j["options"];
  EXPECT_EQ(o["transport"], "tcp");
  EXPECT_EQ(o["operation"], "write");
  EXPECT_EQ(o["block_size"], 16384);
  EXPECT_EQ(o["batch_size"], 16);
  EXPECT_EQ(o["threads"], 2);
  EXPECT_EQ(o["report_unit"], "GiB/s");
  EXPECT_EQ(o["report_precision"], 3);
  EXPECT_EQ(o["bootstrap"], url());
  EXPECT_EQ(j["world"]["bootstrap"], "redis");
}

TEST_F(MooncakeCommandLines, ClassicInitiatorWithoutAServerUsesMpi) {
  const std::string json = tempPath("classic_mpi.json");
  CommandResult r = runCommand(mpirun() + "--metadata_server=P2PHANDSHAKE --segment_id=TARGET_NAME --protocol=tcp"
                                   " --operation=read --threads=2" + kShort + " --json " + json,
                               std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = readJson(json);
  expectTwoLinksMeasured(j);
  EXPECT_EQ(j["options"]["operation"], "read");
  EXPECT_EQ(j["options"]["bootstrap"], "mpi");
}

TEST_F(MooncakeCommandLines, V1TargetRunsEveryPairOverRedis) {
  const std::string json = tempPath("v1_target.json");
  CommandResult r = runCommand(mpirun() + "--metadata_type=redis --metadata_servers=" + hostPort() +
                                   " --local_segment=mySegment --protocol=tcp --threads=2" + kShort + " --json " + json,
                               std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(countOccurrences(r.output, "te_bench: note: --local_segment: not needed"), 1u) << r.output;
  nlohmann::json j = readJson(json);
  expectTwoLinksMeasured(j);
  EXPECT_EQ(j["options"]["bootstrap"], url());
}

TEST_F(MooncakeCommandLines, V1MixWithIntegrityCheckRunsAndVerifies) {
  const std::string json = tempPath("v1_mix.json");
  CommandResult r = runCommand(mpirun() + "--metadata_type=redis --metadata_servers=" + hostPort() +
                                   " --remote_segment=mySegment --workload=mix --integrity_check --threads=8"
                                   " --duration=20 --protocol=tcp --size=8192 --batch=8" + kShort + " --json " + json,
                               std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = readJson(json);
  expectTwoLinksMeasured(j);
  const auto& o = j["options"];
  EXPECT_EQ(o["operation"], "mix");
  EXPECT_EQ(o["integrity_check"], true);
  EXPECT_EQ(o["threads"], 8);
  EXPECT_EQ(o["block_size"], 8192);
  EXPECT_EQ(o["batch_size"], 8);
  EXPECT_EQ(o["bootstrap"], url());
}

// The older documented form: a bare HOST:PORT is Mooncake's etcd.
TEST(MooncakeEtcd, BareHostPortIsEtcd) {
  std::string why;
  for (const auto& b : bootstrap::kv::kvBackends()) {
    if (std::string(b.scheme) == "etcd" && !b.connect) GTEST_SKIP() << "etcd bootstrap not built: " << b.missing_reason;
  }
  std::unique_ptr<services_test::ServiceServer> etcd = services_test::ServiceServer::start("etcd", &why);
  if (!etcd) GTEST_SKIP() << why;
  const std::string host_port = etcd->url().substr(std::string("etcd://").size());
  const std::string json = tempPath("etcd.json");
  CommandResult r = runCommand(mpirun() + "--metadata_server=" + host_port +
                                   " --segment_id=10.0.0.2:12345 --protocol=tcp --threads=2" + kShort + " --json " + json,
                               std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = readJson(json);
  expectTwoLinksMeasured(j);
  EXPECT_EQ(j["options"]["bootstrap"], etcd->url());
  EXPECT_EQ(j["world"]["bootstrap"], "etcd");
}

TEST_F(MooncakeCommandLines, HttpMetadataAndUnknownFlagsExitTwoWithOneLine) {
  CommandResult http = runCommand(mpirun() + "--metadata_server=http://127.0.0.1:8080/metadata --protocol=tcp",
                                  std::chrono::seconds(60));
  EXPECT_EQ(http.exit_code, 2) << http.output;
  EXPECT_EQ(countOccurrences(http.output, "te_bench:"), 1u) << http.output;
  EXPECT_NE(http.output.find("not supported"), std::string::npos) << http.output;
  EXPECT_NE(http.output.find("use etcd"), std::string::npos) << http.output;
  CommandResult unknown = runCommand(mpirun() + "--protocol=tcp --no_such_flag=1", std::chrono::seconds(60));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_EQ(countOccurrences(unknown.output, "te_bench:"), 1u) << unknown.output;
  EXPECT_NE(unknown.output.find("--no_such_flag"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace te::testing
