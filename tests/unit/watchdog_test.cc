// The watchdog that bounds MPI_Init: it fires once past its deadline, never when disarmed.
#include "common/watchdog.h"

#include <gtest/gtest.h>

#include <atomic>

namespace te {
namespace {

TEST(Watchdog, FiresPastItsDeadline) {
  std::atomic<bool> fired{false};
  {
    Watchdog w(Clock::now() + std::chrono::milliseconds(20), [&fired] { fired = true; });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(fired);
}

TEST(Watchdog, DisarmedBeforeItsDeadlineItNeverFires) {
  std::atomic<bool> fired{false};
  { Watchdog w(Clock::now() + std::chrono::seconds(30), [&fired] { fired = true; }); }
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace te
