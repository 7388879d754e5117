// Progress of a block's phases on rank 0's stderr. On a terminal, one line rewritten in
// place ("tcp write 64 KiB  phase 3/6  ETA 0:07"). In a batch job's log (stderr not a
// terminal) a rewritten line would be one garbled line, so whole lines instead, and only for
// runs long enough to want them: a plan once the first phase is timed, then a line every
// interval, then the time taken. Pure over (done, total, elapsed), so unit-tested.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

namespace te::bench {

enum class ProgressMode { kOff, kLive, kLog };

struct ProgressPolicy {
  ProgressMode mode = ProgressMode::kOff;
  double min_total_seconds = 0;  // kLog: stay quiet when the block should take less
  double interval_seconds = 0;   // kLog: at most one line per interval
};

// --progress auto | on | off, and whether stderr is a terminal. auto: live on a terminal,
// else log lines for blocks of a minute or more, one a minute; on: live on a terminal, else
// log lines for every block, one every 10 s.
ProgressPolicy progressPolicy(const std::string& flag, bool stderr_is_tty);

// "0:07", "12:05", "1:02:03".
std::string formatClock(double seconds);

class ProgressReporter {
 public:
  ProgressReporter(ProgressPolicy policy, std::string what, std::ostream& out)
      : policy_(policy), what_(std::move(what)), out_(out) {}
  // Called with done = 0 .. total as phases finish, `elapsed` since the block started.
  void update(size_t done, size_t total, double elapsed);
  // --time-budget: what was left of it when the block started; each line then says what is
  // left now ("budget left 7:12").
  void setBudgetLeft(double seconds) { budget_left_ = seconds; }

 private:
  void live(size_t done, size_t total, double eta, const std::string& budget);
  void log(size_t done, size_t total, double elapsed, double eta, const std::string& budget);

  ProgressPolicy policy_;
  std::string what_;
  std::ostream& out_;
  bool speaking_ = false;        // kLog: the plan line was printed
  bool quiet_ = false;           // kLog: decided the block is too short to report
  double last_line_ = 0;         // kLog: elapsed at the last line
  double budget_left_ = -1;      // < 0: no --time-budget
};

}  // namespace te::bench
