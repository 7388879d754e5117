// Buffers behind the engine's Buffer interface: host pattern operations and their bounds,
// and what VRAM says on a machine without CUDA or without a GPU driver.
#include <gtest/gtest.h>

#include "bench/run/bench_memory.h"
#include "engine/memory/dram_buffer.h"
#include "engine/memory/numa.h"
#include "engine/memory/vram.h"

namespace te::engine {
namespace {

TEST(Memory, DramBufferPatternsAtLogicalOffsets) {
  auto buf = DramBuffer::allocate({1 << 16, -1, false});
  ASSERT_TRUE(buf.isOk()) << buf.status().message();
  Buffer& b = **buf;
  EXPECT_EQ(b.kind(), MemoryKind::kDram);
  ASSERT_TRUE(b.fillPattern(0, 4096, 7, 1 << 20).isOk());
  // The same bytes as the free function would write at that logical offset.
  std::vector<uint8_t> want(4096);
  fillPattern(want.data(), want.size(), 7, 1 << 20);
  EXPECT_EQ(0, std::memcmp(b.data(), want.data(), want.size()));
  auto ok = b.verifyPattern(0, 4096, 7, 1 << 20);
  ASSERT_TRUE(ok.isOk());
  EXPECT_FALSE(ok->has_value());
  b.data()[100] ^= 0xff;
  auto bad = b.verifyPattern(0, 4096, 7, 1 << 20);
  ASSERT_TRUE(bad.isOk());
  ASSERT_TRUE(bad->has_value());
  EXPECT_EQ((*bad)->offset, (1u << 20) + 100);
  EXPECT_EQ((*bad)->actual, static_cast<uint8_t>(want[100] ^ 0xff));
  EXPECT_EQ(b.verifyPattern(1 << 16, 1, 7, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.fillPattern(4096, 1 << 16, 7, 0).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(b.clear().isOk());
  EXPECT_EQ(b.data()[100], 0);
  EXPECT_EQ(b.dmabuf().status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(b.describe()["kind"], "dram");
}

// These machines have no GPU: with CUDA built the runtime finds no driver, without it the
// build says so. Either way a one-line error, never a crash.
TEST(Memory, VramWithoutAGpuIsAClearError) {
  Result<BufferPtr> v = allocateVram({1 << 20, -1, 0});
  ASSERT_FALSE(v.isOk());
  const std::string m = v.status().message();
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  if (vramBuilt()) {
    EXPECT_EQ(v.status().code(), StatusCode::kUnavailable) << m;
    EXPECT_NE(m.find("cudaGetDeviceCount"), std::string::npos) << m;
  } else {
    EXPECT_EQ(v.status().code(), StatusCode::kUnimplemented) << m;
    EXPECT_NE(m.find("without CUDA"), std::string::npos) << m;
  }
  EXPECT_FALSE(listGpus().isOk());
}

TEST(Memory, NumaPlacementFlagThenDevicesThenNone) {
  bench::NumaPlacement flag = bench::chooseNumaNode(1, 0, "verbs", 2);
  EXPECT_EQ(flag.node, 1);
  EXPECT_EQ(flag.reason, "--numa-node");
  bench::NumaPlacement nic = bench::chooseNumaNode(-1, 1, "verbs", 2);
  EXPECT_EQ(nic.node, 1);
  EXPECT_EQ(nic.reason, "NUMA node of the verbs devices");
  EXPECT_EQ(bench::chooseNumaNode(-1, -1, "verbs", 2).node, -1);
  bench::NumaPlacement single = bench::chooseNumaNode(-1, 0, "verbs", 1);
  EXPECT_EQ(single.node, -1);  // nothing to choose on a one-node host
  EXPECT_EQ(single.reason, "not bound (one NUMA node)");
}

TEST(Memory, NumaNodeBoundIsTheNodeThePagesLandOn) {
  ASSERT_GE(numaNodeCount(), 1);
  EXPECT_TRUE(checkNumaNode(0).isOk());
  Status past = checkNumaNode(numaNodeCount());
  EXPECT_EQ(past.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(past.message().find("NUMA node(s)"), std::string::npos) << past.message();
  auto buffer = DramBuffer::allocate({1 << 20, 0, false});
  ASSERT_TRUE(buffer.isOk()) << buffer.status().message();
  EXPECT_EQ((*buffer)->numaNode(), 0);
  (*buffer)->data()[4096] = 1;  // first touch places the page on node 0
  EXPECT_EQ(numaNodeOfAddress((*buffer)->data() + 4096), 0);
  EXPECT_EQ(DramBuffer::allocate({4096, numaNodeCount(), false}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace te::engine
