// Progress lines: live on a terminal, whole and sparse lines in a batch job's log.
#include "bench/run/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace te::bench {
namespace {

TEST(Progress, PolicyFollowsTheFlagAndTheTerminal) {
  EXPECT_EQ(progressPolicy("off", true).mode, ProgressMode::kOff);
  EXPECT_EQ(progressPolicy("auto", true).mode, ProgressMode::kLive);
  EXPECT_EQ(progressPolicy("on", true).mode, ProgressMode::kLive);
  const ProgressPolicy log_auto = progressPolicy("auto", false);
  EXPECT_EQ(log_auto.mode, ProgressMode::kLog);
  EXPECT_EQ(log_auto.min_total_seconds, 60);
  EXPECT_EQ(log_auto.interval_seconds, 60);
  const ProgressPolicy log_on = progressPolicy("on", false);
  EXPECT_EQ(log_on.mode, ProgressMode::kLog);
  EXPECT_EQ(log_on.min_total_seconds, 0);
  EXPECT_EQ(log_on.interval_seconds, 10);
}

TEST(Progress, ClockShowsHoursOnlyWhenThereAreAny) {
  EXPECT_EQ(formatClock(0), "0:00");
  EXPECT_EQ(formatClock(7.4), "0:07");
  EXPECT_EQ(formatClock(725), "12:05");
  EXPECT_EQ(formatClock(3723), "1:02:03");
  EXPECT_EQ(formatClock(-3), "0:00");
}

TEST(Progress, LiveRewritesOneLineAndEndsIt) {
  std::ostringstream out;
  ProgressReporter r({ProgressMode::kLive, 0, 0}, "tcp write 64 KiB", out);
  r.update(0, 4, 0);
  r.update(2, 4, 10);
  r.update(4, 4, 20);
  EXPECT_EQ(out.str(),
            "\r\033[Kte_bench: tcp write 64 KiB  phase 0/4  ETA 0:00"
            "\r\033[Kte_bench: tcp write 64 KiB  phase 2/4  ETA 0:10"
            "\r\033[Kte_bench: tcp write 64 KiB  phase 4/4  ETA 0:00\n");
}

TEST(Progress, LogOfALongBlockPlansThenReportsEachIntervalThenTheTotal) {
  std::ostringstream out;
  ProgressReporter r({ProgressMode::kLog, 60, 60}, "verbs read 1 MiB", out);
  // 2046 phases of 2.2 s: a cluster-sized pairs schedule.
  const size_t total = 2046;
  for (size_t done = 0; done <= total; ++done) r.update(done, total, 2.2 * double(done));
  const std::string log = out.str();
  EXPECT_EQ(log.find('\r'), std::string::npos);
  EXPECT_EQ(log.rfind("te_bench: verbs read 1 MiB: 2046 phases, 2.2 s each: about 1:15:01\n", 0), 0u) << log;
  EXPECT_NE(log.find("te_bench: verbs read 1 MiB: phase 29/2046, 1:04 elapsed, ETA 1:13:57\n"), std::string::npos) << log;
  const std::string last = "te_bench: verbs read 1 MiB: 2046 phases in 1:15:01\n";
  ASSERT_GE(log.size(), last.size());
  EXPECT_EQ(log.substr(log.size() - last.size()), last);
  // One line a minute, not one per phase: 75 minutes -> the plan, ~74 progress lines, the end.
  const auto lines = std::count(log.begin(), log.end(), '\n');
  EXPECT_GE(lines, 70);
  EXPECT_LE(lines, 80);
}

TEST(Progress, LogOfAShortBlockSaysNothing) {
  std::ostringstream out;
  ProgressReporter r({ProgressMode::kLog, 60, 60}, "tcp write 64 KiB", out);
  for (size_t done = 0; done <= 6; ++done) r.update(done, 6, 1.1 * double(done));
  EXPECT_EQ(out.str(), "");
}

TEST(Progress, LogWithProgressOnSpeaksForShortBlocksToo) {
  std::ostringstream out;
  ProgressReporter r({ProgressMode::kLog, 0, 10}, "tcp write 64 KiB", out);
  for (size_t done = 0; done <= 3; ++done) r.update(done, 3, 1.0 * double(done));
  EXPECT_EQ(out.str(),
            "te_bench: tcp write 64 KiB: 3 phases, 1.0 s each: about 0:03\n"
            "te_bench: tcp write 64 KiB: 3 phases in 0:03\n");
}

TEST(Progress, LogOfOnePhaseIsOneLine) {
  std::ostringstream out;
  ProgressReporter r({ProgressMode::kLog, 0, 10}, "tcp write 64 KiB retest", out);
  r.update(0, 1, 0);
  r.update(1, 1, 1.2);
  EXPECT_EQ(out.str(), "te_bench: tcp write 64 KiB retest: 1 phase in 0:01\n");
}

}  // namespace
}  // namespace te::bench
