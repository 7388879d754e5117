#include "bench/run/progress.h"

#include <cmath>
#include <cstdio>

namespace te::bench {

ProgressPolicy progressPolicy(const std::string& flag, bool stderr_is_tty) {
  if (flag == "off") return {};
  if (stderr_is_tty) return {ProgressMode::kLive, 0, 0};
  if (flag == "on") return {ProgressMode::kLog, 0, 10};
  return {ProgressMode::kLog, 60, 60};
}

std::string formatClock(double seconds) {
  const long s = seconds > 0 ? std::lround(seconds) : 0;
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  return buf;
}

namespace {

std::string perPhase(double seconds) {
  if (seconds >= 60) return formatClock(seconds);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", seconds);
  return buf;
}

}  // namespace

void ProgressReporter::update(size_t done, size_t total, double elapsed) {
  const double eta = done > 0 && done <= total ? elapsed / double(done) * double(total - done) : 0;
  const std::string budget = budget_left_ < 0 ? "" : "  budget left " + formatClock(budget_left_ - elapsed);
  if (policy_.mode == ProgressMode::kLive) live(done, total, eta, budget);
  if (policy_.mode == ProgressMode::kLog) log(done, total, elapsed, eta, budget);
}

void ProgressReporter::live(size_t done, size_t total, double eta, const std::string& budget) {
  out_ << "\r\033[Kte_bench: " << what_ << "  phase " << done << "/" << total << "  ETA " << formatClock(eta) << budget
       << (done == total ? "\n" : "");
  out_.flush();
}

void ProgressReporter::log(size_t done, size_t total, double elapsed, double eta, const std::string& budget) {
  if (quiet_ || done == 0 || total == 0) return;
  const bool plan = !speaking_ && done < total;
  if (!speaking_) {
    // The first phase timed says how long the block takes.
    if (elapsed + eta < policy_.min_total_seconds) {
      quiet_ = true;
      return;
    }
    speaking_ = true;
    last_line_ = elapsed;
  }
  if (plan) {
    out_ << "te_bench: " << what_ << ": " << total << " phases, " << perPhase(elapsed / double(done))
         << " each: about " << formatClock(elapsed + eta) << budget << "\n";
  } else if (done == total) {
    out_ << "te_bench: " << what_ << ": " << total << (total == 1 ? " phase" : " phases") << " in "
         << formatClock(elapsed) << "\n";
  } else if (elapsed - last_line_ >= policy_.interval_seconds) {
    last_line_ = elapsed;
    out_ << "te_bench: " << what_ << ": phase " << done << "/" << total << ", " << formatClock(elapsed)
         << " elapsed, ETA " << formatClock(eta) << budget << "\n";
  }
  out_.flush();
}

}  // namespace te::bench
