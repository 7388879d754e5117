// The UCX transport's own memory (allocateBuffer: ucp_mem_map ALLOCATE) over shared memory
// and loopback tcp: WRITE then READ are byte exact, regions inside such a buffer reuse its
// memory handle, and over sm,self the peer's segment is mapped (ucp_rkey_ptr) and an sm
// transport (sysv / posix) serves the RMA lanes, where registered memory gets neither.
// UCX_TLS is set per test (UCX reads it in ucp_config_read); skipped without UCX.
#include <gtest/gtest.h>

#include <cstdlib>

#include "conformance/connected_pair.h"
#include "engine/ucx/ucx_options.h"

namespace te::testing {
namespace {

constexpr size_t kBuffer = 8 << 20;

// Sets an environment variable for one scope (UCX's own settings, read by ucp_config_read).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct TlsCase {
  const char* name;
  const char* tls;
  const char* net_devices;
  bool shared_memory;
};

void PrintTo(const TlsCase& c, std::ostream* os) { *os << c.name; }

// True when some lane of `peer` (describe()'s "peers" entry) runs on sysv or posix and
// serves puts and gets (ucp_ep_print_info's put[lane] / get[lane] lines).
bool hasSharedMemoryRmaLane(const nlohmann::json& peer) {
  for (const auto& lane : peer["lanes"]) {
    std::string tl = lane.value("transport", "");
    if ((tl == "sysv" || tl == "posix") && lane.value("rma", nlohmann::json::array()).size() == 2) return true;
  }
  return false;
}

class UcxMemory : public ::testing::TestWithParam<TlsCase> {
 protected:
  void SetUp() override {
    if (!engine::findTransport("ucx")) GTEST_SKIP() << "this build has no UCX transport (TE_WITH_UCX)";
    tls_.emplace("UCX_TLS", GetParam().tls);
    if (GetParam().net_devices) devices_.emplace("UCX_NET_DEVICES", GetParam().net_devices);
    Status probe = engine::findTransport("ucx")->probe(config_);
    if (!probe.isOk()) GTEST_SKIP() << "ucx cannot run here: " << probe.message();
  }

  std::unique_ptr<ConnectedPair> connect(bool transport_memory) {
    auto pair = ConnectedPair::create("ucx", kBuffer, config_, 2, transport_memory);
    EXPECT_TRUE(pair.isOk()) << pair.status().message();
    return pair.isOk() ? std::move(pair).value() : nullptr;
  }

  engine::TransportConfig config_{};
  std::optional<ScopedEnv> tls_;
  std::optional<ScopedEnv> devices_;
};

TEST_P(UcxMemory, AllocatedBuffersWriteThenReadBack) {
  auto pair = connect(true);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->sides[1].buffer->describe().value("memory", ""), "ucp_mem_map ALLOCATE");
  nlohmann::json d = pair->sides[0].transport->describe();
  EXPECT_EQ(d.value("memory", ""), "ucp_mem_map ALLOCATE") << d.dump();
  ASSERT_EQ(d["peers"].size(), 1u) << d.dump();
  if (GetParam().shared_memory) {
    EXPECT_EQ(d["peers"][0].value("regions_mapped", 0), 1) << d.dump();
    EXPECT_TRUE(hasSharedMemoryRmaLane(d["peers"][0])) << d["peers"][0].dump();
  }
  Status s = pair->writeThenReadBack();
  EXPECT_TRUE(s.isOk()) << s.message();
}

TEST_P(UcxMemory, RegisteredBuffersAreNotMapped) {
  config_.options<engine::ucx::UcxOptions>().allocate = false;
  auto pair = connect(true);  // allocateBuffer returns none: DramBuffers, registered
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->sides[1].buffer->describe().value("memory", "registered"), "registered");
  nlohmann::json d = pair->sides[0].transport->describe();
  EXPECT_EQ(d.value("memory", ""), "registered") << d.dump();
  EXPECT_EQ(d.value("allocate", true), false);
  EXPECT_EQ(d["peers"][0].value("regions_mapped", -1), 0) << d.dump();
  Status s = pair->writeThenReadBack();
  EXPECT_TRUE(s.isOk()) << s.message();
}

INSTANTIATE_TEST_SUITE_P(Tls, UcxMemory,
                         ::testing::Values(TlsCase{"sm_self", "sm,self", nullptr, true},
                                           TlsCase{"tcp_lo", "tcp", "lo", false}),
                         [](const ::testing::TestParamInfo<TlsCase>& info) { return std::string(info.param.name); });

// One transport, not connected: what allocateBuffer and registration do.
class UcxAllocate : public UcxMemory {
 protected:
  engine::TransportPtr transport() {
    auto t = engine::findTransport("ucx")->create(config_);
    EXPECT_TRUE(t.isOk()) << t.status().message();
    return t.isOk() ? std::move(t).value() : nullptr;
  }
  // allocateBuffer(kBuffer bytes of DRAM on `numa_node`), which must return a buffer.
  static engine::BufferPtr allocated(engine::Transport& t, int numa_node = -1) {
    auto b = t.allocateBuffer(kBuffer, engine::MemoryKind::kDram, numa_node);
    EXPECT_TRUE(b.isOk() && *b) << b.status().message();
    return b.isOk() ? std::move(b).value() : nullptr;
  }
};

TEST_P(UcxAllocate, RegionInsideAnAllocatedBufferSharesItsHandle) {
  engine::TransportPtr t = transport();
  ASSERT_TRUE(t);
  engine::BufferPtr buffer = allocated(*t);
  ASSERT_TRUE(buffer);
  ASSERT_GE(buffer->length(), kBuffer);
  // A piece in the middle, by address: found inside the allocation, not mapped again.
  auto region = t->registerMemory(buffer->data() + 4096, 1 << 20, engine::MemoryKind::kDram);
  ASSERT_TRUE(region.isOk()) << region.status().message();
  EXPECT_EQ(t->describe().value("memory", ""), "ucp_mem_map ALLOCATE");
  // Memory from elsewhere is registered.
  auto other = engine::DramBuffer::allocate({1 << 20, -1, false});
  ASSERT_TRUE(other.isOk());
  ASSERT_TRUE(t->registerBuffer(**other).isOk());
  EXPECT_EQ(t->describe().value("memory", ""), "mixed (ucp_mem_map ALLOCATE and registered)");
}

TEST_P(UcxAllocate, VramAndAllocateOffGiveNoBuffer) {
  engine::TransportPtr t = transport();
  ASSERT_TRUE(t);
  auto vram = t->allocateBuffer(kBuffer, engine::MemoryKind::kVram, -1);
  ASSERT_TRUE(vram.isOk()) << vram.status().message();
  EXPECT_FALSE(*vram);
  config_.options<engine::ucx::UcxOptions>().allocate = false;
  engine::TransportPtr off = transport();
  ASSERT_TRUE(off);
  auto none = off->allocateBuffer(kBuffer, engine::MemoryKind::kDram, -1);
  ASSERT_TRUE(none.isOk());
  EXPECT_FALSE(*none);
}

TEST_P(UcxAllocate, BufferMayOutliveItsTransport) {
  engine::BufferPtr buffer;
  {
    engine::TransportPtr t = transport();
    ASSERT_TRUE(t);
    buffer = allocated(*t);
    ASSERT_TRUE(buffer);
    ASSERT_TRUE(t->registerBuffer(*buffer).isOk());
  }
  // The context lives as long as the buffer's memory handle: the pages are still usable.
  ASSERT_TRUE(buffer->fillPattern(0, kBuffer, 5, 0).isOk());
  auto bad = buffer->verifyPattern(0, kBuffer, 5, 0);
  ASSERT_TRUE(bad.isOk());
  EXPECT_FALSE(bad->has_value());
  buffer.reset();
}

TEST_P(UcxAllocate, NumaNodeZeroIsBoundOrSaysWhy) {
  engine::TransportPtr t = transport();
  ASSERT_TRUE(t);
  engine::BufferPtr buffer = allocated(*t, 0);
  ASSERT_TRUE(buffer);
  nlohmann::json d = buffer->describe();
  RecordProperty("buffer", d.dump());
  EXPECT_TRUE(buffer->numaNode() == 0 || d.contains("numa_note")) << d.dump();
  EXPECT_TRUE(buffer->clear().isOk());
  auto too_far = t->allocateBuffer(kBuffer, engine::MemoryKind::kDram, 4096);
  EXPECT_EQ(too_far.status().code(), StatusCode::kInvalidArgument);
}

// Tearing a pair down with requests in flight (software RMA in registered memory over sm,
// puts still queued in the FIFO) neither crashes nor hangs, the buffers outliving the transport.
TEST_P(UcxMemory, TeardownWithRequestsInFlight) {
  config_.options<engine::ucx::UcxOptions>().allocate = false;  // registered: software RMA, so requests stay in flight
  for (int round = 0; round < 3; ++round) {
    auto pair = connect(true);
    ASSERT_TRUE(pair);
    std::vector<engine::Request> requests(128);
    for (size_t i = 0; i < requests.size(); ++i) {
      requests[i].op = i % 2 ? engine::OpCode::kRead : engine::OpCode::kWrite;
      requests[i].peer = 1;
      requests[i].local_offset = requests[i].remote_offset = i * 65536;
      requests[i].length = 65536;
    }
    engine::TransportWorker& w = pair->sides[0].transport->worker(0);
    ASSERT_TRUE(w.post(requests).isOk());
    std::vector<engine::Completion> out(requests.size());
    (void)w.poll(out);
  }
}

// VRAM goes to UCX as UCS_MEMORY_TYPE_CUDA; a UCX without CUDA (Debian's) says so in one line.
TEST_P(UcxAllocate, VramInAUcxWithoutCudaSaysSo) {
  engine::TransportPtr t = transport();
  ASSERT_TRUE(t);
  for (const auto& type : t->describe()["memory_types"]) {
    if (type == "cuda") GTEST_SKIP() << "this UCX has CUDA support";
  }
  std::vector<uint8_t> host(1 << 16);
  auto r = t->registerMemory(host.data(), host.size(), engine::MemoryKind::kVram);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("no CUDA memory support"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Tls, UcxAllocate, ::testing::Values(TlsCase{"sm_self", "sm,self", nullptr, true}),
                         [](const ::testing::TestParamInfo<TlsCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace te::testing
