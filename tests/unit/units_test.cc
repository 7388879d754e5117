#include "common/units.h"

#include <gtest/gtest.h>

namespace te {
namespace {

TEST(ParseSize, AcceptsPlainAndBinaryUnits) {
  EXPECT_EQ(*parseSize("4096"), 4096u);
  EXPECT_EQ(*parseSize("64K"), 65536u);
  EXPECT_EQ(*parseSize("64k"), 65536u);
  EXPECT_EQ(*parseSize("64KB"), 65536u);
  EXPECT_EQ(*parseSize("64KiB"), 65536u);
  EXPECT_EQ(*parseSize("1M"), 1u << 20);
  EXPECT_EQ(*parseSize("1GiB"), 1ull << 30);
  EXPECT_EQ(*parseSize("2g"), 2ull << 30);
  EXPECT_EQ(*parseSize("1T"), 1ull << 40);
  EXPECT_EQ(*parseSize("0"), 0u);
}

TEST(ParseSize, RejectsGarbageWithTheReason) {
  for (const char* bad : {"", "K", "-1", "1.5M", "12Q", "1 M", "0x10"}) {
    Result<uint64_t> r = parseSize(bad);
    EXPECT_FALSE(r.isOk()) << bad;
    if (!r.isOk()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_NE(parseSize("12Q").status().message().find("unit"), std::string::npos);
  EXPECT_FALSE(parseSize("99999999999999999999").isOk());
  EXPECT_FALSE(parseSize("20000000T").isOk());  // overflows 64 bits
}

TEST(FormatSize, ReadsLikeAPerson) {
  EXPECT_EQ(formatSize(65536), "64 KiB");
  EXPECT_EQ(formatSize(1 << 20), "1 MiB");
  EXPECT_EQ(formatSize(1536), "1.50 KiB");
  EXPECT_EQ(formatSize(12), "12 B");
}

TEST(RateUnit, ConvertsBytesPerSecond) {
  RateUnit u;
  ASSERT_TRUE(parseRateUnit("GB", &u));
  EXPECT_DOUBLE_EQ(toRateUnit(2e9, u), 2.0);
  ASSERT_TRUE(parseRateUnit("Gb", &u));
  EXPECT_DOUBLE_EQ(toRateUnit(1e9, u), 8.0);
  ASSERT_TRUE(parseRateUnit("GiB", &u));
  EXPECT_DOUBLE_EQ(toRateUnit(double(1ull << 30), u), 1.0);
  EXPECT_FALSE(parseRateUnit("MB", &u));
}

}  // namespace
}  // namespace te
