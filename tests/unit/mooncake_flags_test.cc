// Mooncake's transfer_engine_bench and transfer_engine_bench_v1 flags as te_bench reads them
// (bench/cli/mooncake_flags.h, docs/FROM_MOONCAKE.md): each mapped onto te_bench's own setting,
// the one-sided ones noted once, what te_bench cannot do refused in one line.
#include <gtest/gtest.h>

#include "bench/cli/config.h"
#include "bench/cli/mooncake_flags.h"
#include "common/launcher_env.h"
#include "engine/verbs/verbs_options.h"

namespace te::bench {
namespace {

// The config te_bench makes of a command line, its error ("" when none) and its notes.
struct Parsed {
  BenchConfig config;
  std::string error;
  std::string notices() const {
    std::string all;
    for (const std::string& n : config.notices) all += n + "\n";
    return all;
  }
};

Parsed parse(std::vector<const char*> args) {
  Parsed p;
  args.insert(args.begin(), "te_bench");
  const ParseResult r = parseCommandLine(static_cast<int>(args.size()), args.data(), &p.config);
  if (r.outcome == ParseOutcome::kError) p.error = r.error.message();
  return p;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(MooncakeFlags, ClassicInitiatorLineMapsOntoTeBenchFlags) {
  Parsed p = parse({"--metadata_server=redis://127.0.0.1:6379", "--segment_id=10.0.0.2:12345",
                    "--local_server_name=10.0.0.3:12346", "--device_name=erdma_1", "--protocol=tcp", "--operation=read",
                    "--block_size=4096", "--batch_size=32", "--buffer_size=67108864", "--duration=1", "--threads=2",
                    "--report_unit=GiB", "--report_precision=3"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.config.transport, "tcp");
  EXPECT_EQ(p.config.operation, Workload::kRead);
  EXPECT_EQ(p.config.block_size, 4096u);
  EXPECT_EQ(p.config.batch_size, 32u);
  EXPECT_EQ(p.config.buffer_size, 64u << 20);
  EXPECT_DOUBLE_EQ(p.config.duration, 1.0);
  EXPECT_EQ(p.config.threads, 2);
  EXPECT_EQ(p.config.report_unit, RateUnit::kGiB);
  EXPECT_EQ(p.config.report_precision, 3);
  EXPECT_EQ(p.config.bootstrap.spec, "redis://127.0.0.1:6379");
  // --protocol tcp: Mooncake's own docs say --device_name is not needed; it is not used.
  EXPECT_TRUE(p.config.transport_config.options<engine::verbs::VerbsOptions>().devices.empty());
  ASSERT_EQ(p.config.notices.size(), 2u) << p.notices();
  EXPECT_TRUE(has(p.config.notices[0], "--segment_id, --local_server_name: not needed")) << p.notices();
  EXPECT_TRUE(has(p.config.notices[0], "--pairs I:T"));
  EXPECT_TRUE(has(p.config.notices[1], "--device_name (--protocol tcp uses no RDMA device)")) << p.notices();
  EXPECT_EQ(configToJson(p.config)["transport"], "tcp");
}

TEST(MooncakeFlags, RdmaDevicesGoThroughTheVerbsFlag) {
  Parsed p = parse({"--protocol", "rdma", "--device_name", "mlx5_0,mlx5_1", "--slice_size", "1048576"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.config.transport, "verbs");
  const auto& v = p.config.transport_config.options<engine::verbs::VerbsOptions>();
  EXPECT_EQ(v.devices, (std::vector<std::string>{"mlx5_0", "mlx5_1"}));
  EXPECT_EQ(v.slice_size, 1u << 20);
  EXPECT_TRUE(p.config.notices.empty()) << p.notices();
  Parsed auto_discovery = parse({"--device_name", "mlx5_0", "--auto_discovery"});
  EXPECT_TRUE(auto_discovery.config.transport_config.options<engine::verbs::VerbsOptions>().devices.empty());
  EXPECT_TRUE(has(auto_discovery.notices(), "--auto_discovery (te_bench uses every active RDMA device"));
}

TEST(MooncakeFlags, V1MixIntegrityLineMapsOntoTeBenchFlags) {
  Parsed p = parse({"--metadata_type=redis", "--metadata_servers=127.0.0.1:6379", "--remote_segment=mySegment",
                    "--workload=mix", "--integrity_check", "--threads=8", "--duration=20", "--size=131072",
                    "--batch=16"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.config.operation, Workload::kMix);
  EXPECT_TRUE(p.config.integrity_check);
  EXPECT_EQ(p.config.threads, 8);
  EXPECT_DOUBLE_EQ(p.config.duration, 20.0);
  EXPECT_EQ(p.config.block_size, 131072u);
  EXPECT_EQ(p.config.batch_size, 16u);
  EXPECT_FALSE(p.config.bootstrap.size.has_value()) << "v1's --size is the request size, not te_bench's ranks";
  EXPECT_EQ(p.config.bootstrap.spec, "redis://127.0.0.1:6379");
  EXPECT_TRUE(has(p.notices(), "--remote_segment: not needed")) << p.notices();
  EXPECT_TRUE(parse({"--check", "--workload", "mix"}).config.integrity_check);
  // Without a v1 flag on the line --size stays te_bench's rank count.
  Parsed ranks = parse({"--size", "4"});
  ASSERT_EQ(ranks.error, "");
  EXPECT_EQ(ranks.config.bootstrap.size, 4);
  EXPECT_EQ(ranks.config.block_size, 65536u);
  // Nor on a v1 line whose ranks are started by hand (--rank, --job-id).
  Parsed by_hand = parse({"--workload", "read", "--rank", "0", "--size", "2", "--job-id", "j"});
  ASSERT_EQ(by_hand.error, "");
  EXPECT_EQ(by_hand.config.bootstrap.size, 2);
  EXPECT_EQ(by_hand.config.block_size, 65536u);
}

TEST(MooncakeFlags, ModeTargetExitsWithTheTeBenchWayAndInitiatorIsNoted) {
  Parsed target = parse({"--mode=target", "--protocol=tcp"});
  EXPECT_FALSE(target.error.empty());
  EXPECT_EQ(target.error.rfind("--mode target: not needed: te_bench has no target-only process", 0), 0u)
      << target.error;
  EXPECT_TRUE(has(target.error, "--pairs I:T"));
  Parsed initiator = parse({"--mode", "initiator"});
  ASSERT_EQ(initiator.error, "");
  EXPECT_FALSE(initiator.config.quick);
  EXPECT_FALSE(initiator.config.mode_given) << "Mooncake's --mode is not te_bench's";
  EXPECT_TRUE(has(initiator.notices(), "--mode initiator: not needed"));
  Parsed quick = parse({"--mode", "quick"});
  EXPECT_TRUE(quick.config.quick);
  EXPECT_TRUE(quick.config.mode_given);
}

TEST(MooncakeFlags, MemoryAndGpuSpellings) {
  Parsed vram = parse({"--use_vram", "--gpu_id", "-1"});
  ASSERT_EQ(vram.error, "");
  EXPECT_EQ(vram.config.initiator_memory, engine::MemoryKind::kVram);
  EXPECT_EQ(vram.config.target_memory, engine::MemoryKind::kVram);
  EXPECT_EQ(vram.config.gpu_id, -1);
  EXPECT_EQ(parse({"--use_vram", "--gpu_id", "2"}).config.gpu_id, 2);
  EXPECT_EQ(parse({"--use_vram", "--nouse_vram"}).config.target_memory, engine::MemoryKind::kDram);
  EXPECT_EQ(parse({"--use_dram"}).error, "");
}

TEST(MooncakeFlags, MetadataServersBecomeBootstraps) {
  EXPECT_EQ(*bootstrapForMetadataServer("10.0.0.1:2379"), "etcd://10.0.0.1:2379");
  EXPECT_EQ(*bootstrapForMetadataServer("etcd://10.0.0.1:2379,10.0.0.2:2379"), "etcd://10.0.0.1:2379,10.0.0.2:2379");
  EXPECT_EQ(*bootstrapForMetadataServer("redis://10.0.0.1:6379"), "redis://10.0.0.1:6379");
  EXPECT_EQ(*bootstrapForMetadataServer("P2PHANDSHAKE"), "");
  EXPECT_EQ(*bootstrapForMetadataType("p2p", ""), "");
  EXPECT_EQ(*bootstrapForMetadataType("etcd", "10.0.0.1:2379,10.0.0.2:2379"), "etcd://10.0.0.1:2379,10.0.0.2:2379");
  EXPECT_EQ(*bootstrapForMetadataType("redis", "redis://10.0.0.1:6379"), "redis://10.0.0.1:6379");
  const std::string http = bootstrapForMetadataServer("http://g0021:8080/metadata").status().message();
  EXPECT_EQ(http.rfind("--metadata_server http://g0021:8080/metadata: not supported", 0), 0u) << http;
  EXPECT_TRUE(has(http, "use etcd")) << http;
  EXPECT_TRUE(has(http, "or no server under mpirun")) << http;
  EXPECT_TRUE(has(bootstrapForMetadataType("http", "x:1").status().message(), "--metadata_type http: not supported"));
  EXPECT_EQ(bootstrapForMetadataType("redis", "").status().message(),
            "--metadata_type redis: needs --metadata_servers HOST:PORT (te_bench's --bootstrap redis://HOST:PORT)");
  // Under a launcher MPI stays the bootstrap unless a server is named.
  EXPECT_EQ(parse({"--metadata_server", "P2PHANDSHAKE"}).config.bootstrap.spec, "auto");
  EXPECT_EQ(parse({"--metadata_server", "127.0.0.1:2379"}).config.bootstrap.spec, "etcd://127.0.0.1:2379");
}

TEST(MooncakeFlags, WhatTeBenchCannotDoIsOneLineNamingFlagValueAndWhatIsAllowed) {
  struct Case {
    std::vector<const char*> args;
    std::string starts;
  };
  for (const Case& c : std::vector<Case>{
           {{"--protocol", "nvlink"}, "--protocol nvlink: te_bench has no nvlink transport; allowed rdma (te_bench "
                                      "--transport verbs) or tcp (--transport tcp)"},
           {{"--workload", "copy"}, "--workload copy: allowed read, write, mix"},
           {{"--report_unit", "MB"}, "--report_unit MB: allowed GB, GiB, Gb"},
           {{"--batch_size", "0"}, "--batch_size 0: allowed an integer 1..65536 (te_bench's --batch-size)"},
           {{"--batch", "x"}, "--batch x: allowed an integer 1..65536 (te_bench's --batch-size)"},
           {{"--block_size", "abc"}, "--block_size abc: allowed a size"},
           {{"--buffer_size", "0"}, "--buffer_size 0: allowed a size"},
           {{"--gpu_id", "-2"}, "--gpu_id -2: allowed a GPU ordinal 0..1023, or -1 / auto"},
           {{"--device_name="}, "--device_name: no value given; allowed RDMA device names"},
           {{"--metadata_server", "http://h:8080/metadata"}, "--metadata_server http://h:8080/metadata: not supported"},
           {{"--metadata_server", "zk://h:1"}, "--metadata_server zk://h:1: allowed etcd HOST:PORT"},
           {{"--metadata_server", "h:1", "--metadata_type", "etcd"}, "--metadata_server h:1 with --metadata_type"},
           {{"--shmfs"}, "--shmfs: not supported"},
           {{"--mnnvl"}, "--mnnvl: not supported"},
           {{"--use_dram", "--use_vram"}, "--use_dram with --use_vram: not allowed"},
           {{"--use_dram=false"}, "--use_dram false: allowed true"},
           {{"--integrity_check=maybe"}, "--integrity_check maybe: allowed no value (a switch)"},
           {{"--segment_id"}, "--segment_id: no value given; allowed a segment name"},
           {{"--backend", "x"}, "--backend x: allowed classic, tent"},
           {{"--not_a_mooncake_flag=1"}, "--not_a_mooncake_flag=1: not allowed: not a flag of te_bench"},
       }) {
    Parsed p = parse(c.args);
    EXPECT_FALSE(p.error.empty()) << c.starts;
    EXPECT_EQ(p.error.rfind(c.starts, 0), 0u) << "got: " << p.error << "\nwant: " << c.starts;
    EXPECT_EQ(p.error.find('\n'), std::string::npos);
  }
}

TEST(MooncakeFlags, McVariablesOtherThanTheHonouredOnesAreNamedOnce) {
  EXPECT_EQ(ignoredMooncakeVariables({"MC_GID_INDEX", "MC_IB_TC", "MC_IB_SL", "MC_MTU"}), "");
  EXPECT_EQ(ignoredMooncakeVariables({"MC_NUM_QP_PER_EP"}),
            "MC_NUM_QP_PER_EP is Mooncake's QPs per endpoint (te_bench: --qps-per-peer): te_bench ignores it");
  const std::string two = ignoredMooncakeVariables({"MC_GID_INDEX", "MC_LOG_LEVEL", "MC_FOO"});
  EXPECT_TRUE(has(two, "MC_LOG_LEVEL is Mooncake's glog level (te_bench: --log-level); MC_FOO is not a Mooncake "
                       "variable te_bench knows: te_bench ignores them"))
      << two;
  EXPECT_FALSE(has(two, "MC_GID_INDEX"));
  const char* env[] = {"MC_GID_INDEX=3", "MC_SLICE_SIZE=65536", "OMPI_COMM_WORLD_RANK=0", "XMC_NOT=1", nullptr};
  LauncherEnv parsed = parseLauncherEnv(env, "h");
  EXPECT_EQ(parsed.mc_variables, (std::vector<std::string>{"MC_GID_INDEX", "MC_SLICE_SIZE"}));
}

}  // namespace
}  // namespace te::bench
