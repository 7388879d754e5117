#include "common/status.h"

#include <gtest/gtest.h>

namespace te {
namespace {

TEST(Status, ContextIsAddedOnceInFront) {
  const Status s = unavailable("remote access error");
  EXPECT_EQ(s.withContext("verbs").message(), "verbs: remote access error");
  // The engine's message already names the transport: the caller's context is not doubled.
  EXPECT_EQ(s.withContext("verbs").withContext("verbs").message(), "verbs: remote access error");
  EXPECT_EQ(s.withContext("verbs").withContext("phase 3 of 6").message(), "phase 3 of 6: verbs: remote access error");
  // Only a whole leading context counts: "verbsx: ..." and "verbs" alone are other messages.
  EXPECT_EQ(unavailable("verbsx: a").withContext("verbs").message(), "verbs: verbsx: a");
  EXPECT_EQ(unavailable("verbs").withContext("verbs").message(), "verbs: verbs");
  EXPECT_EQ(unavailable("verbs: ").withContext("verbs").message(), "verbs: verbs: ");
  EXPECT_EQ(unavailable("x").withContext("verbs").code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Status::ok().withContext("verbs").isOk());
}

}  // namespace
}  // namespace te
