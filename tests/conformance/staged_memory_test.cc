// Memory the CPU must not touch (VRAM) over the TCP transport: it is staged through host
// memory per request. The stand-in device buffer's address range is mapped PROT_NONE, so
// any direct access by the transport would crash the test; its bytes live elsewhere and are
// reached only through copyToHost / copyFromHost, as cudaMemcpy reaches VRAM.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <thread>

#include "bootstrap/local/local_bootstrap.h"
#include "engine/fault/fault_transport.h"
#include "engine/memory/pattern.h"
#include "engine/transport_registry.h"

namespace te::testing {
namespace {

using engine::MemoryKind;
using engine::OpCode;
using engine::Request;

class GuardedDeviceBuffer final : public engine::Buffer {
 public:
  explicit GuardedDeviceBuffer(size_t length) : length_(length), bytes_(length) {
    void* p = ::mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    guard_ = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
  }
  ~GuardedDeviceBuffer() override {
    if (guard_) ::munmap(guard_, length_);
  }
  uint8_t* data() const override { return guard_; }
  size_t length() const override { return length_; }
  MemoryKind kind() const override { return MemoryKind::kVram; }
  nlohmann::json describe() const override { return {{"kind", "vram"}}; }
  Status fillPattern(uint64_t at, uint64_t length, uint64_t seed, uint64_t logical) override {
    engine::fillPattern(bytes_.data() + at, length, seed, logical);
    return Status::ok();
  }
  Result<std::optional<engine::PatternMismatch>> verifyPattern(uint64_t at, uint64_t length, uint64_t seed,
                                                               uint64_t logical) const override {
    return engine::verifyPattern(bytes_.data() + at, length, seed, logical);
  }
  Status clear() override {
    std::fill(bytes_.begin(), bytes_.end(), uint8_t{0});
    return Status::ok();
  }
  Status copyToHost(void* dst, uint64_t at, uint64_t length) const override {
    ++copies_;
    std::memcpy(dst, bytes_.data() + at, length);
    return Status::ok();
  }
  Status copyFromHost(uint64_t at, const void* src, uint64_t length) const override {
    ++copies_;
    std::memcpy(bytes_.data() + at, src, length);
    return Status::ok();
  }
  uint64_t copies() const { return copies_; }

 private:
  size_t length_;
  uint8_t* guard_ = nullptr;
  mutable std::vector<uint8_t> bytes_;
  mutable std::atomic<uint64_t> copies_{0};
};

constexpr size_t kBuffer = 1 << 20;
constexpr uint64_t kPiece = 64 * 1024;

Status runAll(engine::TransportWorker& w, std::vector<Request> requests) {
  std::vector<engine::Completion> out(16);
  size_t posted = 0, done = 0;
  Deadline deadline = deadlineIn(std::chrono::seconds(30));
  while (done < requests.size()) {
    if (posted < requests.size()) {
      Result<size_t> n = w.post(std::span<const Request>(requests).subspan(posted));
      if (n.isOk()) posted += *n;
      else if (n.status().code() != StatusCode::kTryAgain) return n.status();
    }
    size_t got = w.poll(out);
    for (size_t i = 0; i < got; ++i) {
      if (out[i].code != StatusCode::kOk) return w.lastError();
    }
    done += got;
    if (got == 0) w.waitForProgress(std::chrono::microseconds(200));
    if (Clock::now() > deadline) return deadlineExceeded("requests did not complete");
  }
  return Status::ok();
}

// Two connected TCP transports, each with a guarded stand-in device buffer registered as
// region 0; rank 0's transport wrapped in the fault decorator when `fault_spec` is set.
struct StagedPair {
  std::vector<engine::TransportPtr> transports;
  std::vector<std::unique_ptr<GuardedDeviceBuffer>> buffers;
};

void connectStagedPair(StagedPair* pair, const std::string& fault_spec = "") {
  const engine::TransportInfo* info = engine::findTransport("tcp");
  ASSERT_NE(info, nullptr);
  auto group = std::make_shared<bootstrap::LocalGroup>(2);
  std::vector<std::unique_ptr<bootstrap::LocalBootstrap>> bs;
  auto& transports = pair->transports;
  auto& buffers = pair->buffers;
  for (int r = 0; r < 2; ++r) {
    bs.push_back(std::make_unique<bootstrap::LocalBootstrap>(group, r));
    auto t = info->create(engine::TransportConfig{});
    ASSERT_TRUE(t.isOk()) << t.status().message();
    transports.push_back(std::move(*t));
    if (r == 0 && !fault_spec.empty()) {
      auto rules = engine::parseFaultSpec(fault_spec);
      ASSERT_TRUE(rules.isOk()) << rules.status().message();
      transports.back() = engine::wrapWithFaults(std::move(transports.back()), 0, *rules);
    }
    buffers.push_back(std::make_unique<GuardedDeviceBuffer>(kBuffer));
    ASSERT_NE(buffers.back()->data(), nullptr);
    ASSERT_TRUE(buffers.back()->fillPattern(0, kBuffer, 100 + r, 0).isOk());
    auto region = transports.back()->registerBuffer(*buffers.back());
    ASSERT_TRUE(region.isOk()) << region.status().message();
  }
  // The plain address path refuses VRAM instead of touching it.
  EXPECT_EQ(transports[1]->registerMemory(buffers[1]->data(), kBuffer, MemoryKind::kVram).status().code(),
            StatusCode::kInvalidArgument);
  std::vector<Status> connected(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] { connected[r] = transports[r]->connect(*bs[r], deadlineIn(std::chrono::seconds(30))); });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(connected[0].isOk()) << connected[0].message();
  ASSERT_TRUE(connected[1].isOk()) << connected[1].message();
}

TEST(StagedMemory, VramOverTcpIsStagedBothWaysAndByteExact) {
  StagedPair pair;
  ASSERT_NO_FATAL_FAILURE(connectStagedPair(&pair));
  auto& transports = pair.transports;
  auto& buffers = pair.buffers;
  // Rank 0 WRITEs its piece 0 into rank 1's piece 2, then READs rank 1's piece 5 into its piece 7.
  Request write{OpCode::kWrite, 0, 0, 1, 0, 2 * kPiece, kPiece, 1};
  Request read{OpCode::kRead, 0, 7 * kPiece, 1, 0, 5 * kPiece, kPiece, 2};
  ASSERT_TRUE(runAll(transports[0]->worker(0), {write}).isOk()) << transports[0]->worker(0).lastError().message();
  ASSERT_TRUE(runAll(transports[0]->worker(0), {read}).isOk()) << transports[0]->worker(0).lastError().message();

  auto landed = buffers[1]->verifyPattern(2 * kPiece, kPiece, 100, 0);
  ASSERT_TRUE(landed.isOk());
  EXPECT_FALSE(landed->has_value()) << "WRITE did not reach the target's device memory";
  auto read_back = buffers[0]->verifyPattern(7 * kPiece, kPiece, 101, 5 * kPiece);
  ASSERT_TRUE(read_back.isOk());
  EXPECT_FALSE(read_back->has_value()) << "READ did not reach the initiator's device memory";
  auto untouched = buffers[1]->verifyPattern(3 * kPiece, kPiece, 101, 3 * kPiece);
  ASSERT_TRUE(untouched.isOk());
  EXPECT_FALSE(untouched->has_value());
  // One copy per side per request: initiator D2H + target H2D for the WRITE, target D2H +
  // initiator H2D for the READ.
  EXPECT_EQ(buffers[0]->copies(), 2u);
  EXPECT_EQ(buffers[1]->copies(), 2u);
  EXPECT_EQ(transports[0]->describe()["staged_regions"], 1);
}

// The test-only corrupt: rule flips a byte of a WRITE's source through the Buffer, never by
// address (the stand-in's address range would fault), so integrity tests work on VRAM too.
// It flips once: a block written twice (an even number of times) still lands wrong, where a
// flip per WRITE would have put the byte back (the flaky integrity test of stop 15).
TEST(StagedMemory, CorruptFaultReachesDeviceMemoryThroughTheBufferAndStays) {
  StagedPair pair;
  ASSERT_NO_FATAL_FAILURE(connectStagedPair(&pair, "corrupt:0->1"));
  Request write{OpCode::kWrite, 0, 0, 1, 0, 2 * kPiece, kPiece, 1};
  engine::TransportWorker& w = pair.transports[0]->worker(0);
  for (const char* what : {"the corrupt: rule changed nothing", "the second WRITE undid the corruption"}) {
    ASSERT_TRUE(runAll(w, {write}).isOk()) << w.lastError().message();
    auto landed = pair.buffers[1]->verifyPattern(2 * kPiece, kPiece, 100, 0);
    ASSERT_TRUE(landed.isOk());
    ASSERT_TRUE(landed->has_value()) << what;
    EXPECT_EQ((*landed)->offset, kPiece / 2);
  }
}

TEST(StagedMemory, KeyFaultsAreRefusedOutsideVerbs) {
  auto rules = engine::parseFaultSpec("rate:0->1:1MB;badrkey:0->1");
  ASSERT_TRUE(rules.isOk());
  Status s = engine::checkFaultRulesFor(*rules, "tcp");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("badrkey"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("tcp"), std::string::npos) << s.message();
  EXPECT_TRUE(engine::checkFaultRulesFor(*rules, "verbs").isOk());
  EXPECT_EQ(engine::checkFaultRulesFor(*engine::parseFaultSpec("oob:1->0"), "ucx").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine::checkFaultRulesFor(*engine::parseFaultSpec("fail:0->1;corrupt:1->0"), "ucx").isOk());
}

}  // namespace
}  // namespace te::testing
