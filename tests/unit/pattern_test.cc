#include "engine/memory/pattern.h"

#include <gtest/gtest.h>

#include <vector>

namespace te::engine {
namespace {

TEST(Pattern, VerifiesWhatItFilledAtAnyOffset) {
  std::vector<uint8_t> buf(10000);
  fillPattern(buf.data(), buf.size(), 42);
  EXPECT_FALSE(verifyPattern(buf.data(), buf.size(), 42).has_value());
  // A sub-range verifies with its logical offset, unaligned too.
  EXPECT_FALSE(verifyPattern(buf.data() + 13, 777, 42, 13).has_value());
  std::vector<uint8_t> part(777);
  fillPattern(part.data(), part.size(), 42, 13);
  EXPECT_EQ(std::vector<uint8_t>(buf.begin() + 13, buf.begin() + 13 + 777), part);
}

TEST(Pattern, ReportsTheFirstDifferingByte) {
  std::vector<uint8_t> buf(4096);
  fillPattern(buf.data(), buf.size(), 7);
  buf[1234] ^= 0x5a;
  auto m = verifyPattern(buf.data(), buf.size(), 7);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->offset, 1234u);
  EXPECT_EQ(m->actual, static_cast<uint8_t>(m->expected ^ 0x5a));
  EXPECT_TRUE(verifyPattern(buf.data(), buf.size(), 8).has_value()) << "another seed differs";
}

TEST(Pattern, SeedsDifferPerRankAndEpoch) {
  EXPECT_NE(patternSeed(0, 0), patternSeed(1, 0));
  EXPECT_NE(patternSeed(0, 0), patternSeed(0, 1));
}

}  // namespace
}  // namespace te::engine
