#include "common/histogram.h"

#include <gtest/gtest.h>

TEST(Histogram, Empty) {
  te::Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
}
