// Lean queues (engine/verbs/queue_sizing.h): depth and inline data from what the run posts,
// and the mlx5 queue-memory model against rdma-core's arithmetic worked by hand.
#include <gtest/gtest.h>

#include "engine/verbs/queue_sizing.h"

namespace te::engine::verbs {
namespace {

TEST(VerbsQueueSizing, DepthFollowsWhatAWorkerCanHaveOutstanding) {
  EXPECT_EQ(depthNeeded(0, 65536, 65536, 2), 0u);                // unknown: --max-wr decides
  EXPECT_EQ(depthNeeded(256, 65536, 65536, 2), 128u);            // 128 x 2 batches over 2 lanes
  EXPECT_EQ(depthNeeded(256, 1 << 20, 65536, 2), 2048u);         // 16 slices a request
  EXPECT_EQ(depthNeeded(16, 4096, 65536, 4), kMinLaneDepth);     // never below the floor
  EXPECT_EQ(depthNeeded(100, 100000, 65536, 3), 67u);            // ceil(100 x 2 / 3)
}

TEST(VerbsQueueSizing, InlineOnlyWhereAWriteFits) {
  EXPECT_EQ(inlineWanted(~0ull, 65536, true), kInlineWanted);  // unknown
  EXPECT_EQ(inlineWanted(0, 65536, true), 0u);                 // READs only
  EXPECT_EQ(inlineWanted(64, 65536, true), kInlineWanted);
  EXPECT_EQ(inlineWanted(65536, 65536, true), 0u);
  EXPECT_EQ(inlineWanted(4096, 64, true), kInlineWanted);      // slices of 64 B
  EXPECT_EQ(inlineWanted(64, 65536, false), 0u);               // VRAM: never inline
}

TEST(VerbsQueueSizing, Mlx5WqeAndQueueBytes) {
  // ibv_create_qp (every RC op: room for a memory-window bind): 192 B of overhead.
  EXPECT_EQ(sendWqeBytes(0, false), 256u);    // 192 + 16, in 64 B blocks
  EXPECT_EQ(sendWqeBytes(128, false), 384u);  // 192 + 132 -> 336
  // Only RDMA WRITE / READ declared: ctrl + raddr, 32 B.
  EXPECT_EQ(sendWqeBytes(0, true), 64u);
  EXPECT_EQ(sendWqeBytes(28, true), 64u);     // what mlx5 then reports as max_inline_data
  EXPECT_EQ(sendWqeBytes(128, true), 192u);
  EXPECT_EQ(sendQueueBytes(256, 128, false), 128u * 1024);  // 96 KiB, a power of two
  EXPECT_EQ(sendQueueBytes(256, 0, true), 16u * 1024);
  EXPECT_EQ(sendQueueBytes(0, 0, true), 0u);
}

}  // namespace
}  // namespace te::engine::verbs
