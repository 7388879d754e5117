#include "bench/cli/time_budget.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "bench/cli/config_flags.h"
#include "bench/cli/measure_flags.h"
#include "bench/run/progress.h"
#include "bench/run/schedule.h"
#include "common/shown_value.h"

namespace te::bench {
namespace {

constexpr double kStartAndReports = 5;   // seconds
constexpr double kRetestShare = 0.1;     // of the budget
constexpr double kShortestWindow = 0.1;  // seconds
constexpr double kLongestWindow = 2;     // seconds

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2g s", s);
  return buf;
}

}  // namespace

double controlPerPhase(const World& w) {
  return 0.02 + 20e-6 * w.ranks + 0.002 * std::max(0, w.busiest_host - w.cores);
}

size_t retestsThatFit(const BenchConfig& c, size_t wanted, Clock::time_point now) {
  if (c.time_budget <= 0) return wanted;
  const double left = c.time_budget - kStartAndReports - std::chrono::duration<double>(now - c.started).count();
  const double per_retest = c.warmup + c.duration + 0.1;
  return left <= 0 ? 0 : std::min(wanted, static_cast<size_t>(left / per_retest));
}

Result<double> parseTimeBudget(const std::string& text) {
  const std::string allowed = ": allowed a time of 10 s to 30 days: seconds, or a number with s, m, h or d (90, 10m, 1.5h)";
  double unit = 1;
  std::string number = text;
  if (!number.empty() && std::string("smhd").find(number.back()) != std::string::npos) {
    unit = number.back() == 'm' ? 60 : number.back() == 'h' ? 3600 : number.back() == 'd' ? 86400 : 1;
    number.pop_back();
  }
  const bool plain = !number.empty() && number.size() <= 16 && number.find_first_not_of("0123456789.") == std::string::npos &&
                     std::count(number.begin(), number.end(), '.') <= 1 && number != ".";
  const double v = plain ? std::strtod(number.c_str(), nullptr) * unit : 0;
  if (!plain || v < 10 || v > 30 * 86400.0) return invalidArgument(flagValue("--time-budget", text) + allowed);
  return v;
}

Result<std::string> fitTimeBudget(BenchConfig* c, const World& w) {
  const int ranks = w.ranks;
  const double budget = c->time_budget;
  const double blocks = static_cast<double>(c->block_sizes.size() * std::max<size_t>(w.transports, 1));
  const double control = controlPerPhase(w);
  const double measuring = budget * (1 - kRetestShare) - kStartAndReports;
  double shortest_need = 0;
  for (bool quick : {c->quick, true}) {
    const std::string schedule = quick ? "bidir" : c->schedule;
    Result<std::vector<Phase>> phases = makeSchedule(schedule, ranks, scheduleArgsOf(*c), c->pairs);
    if (!phases.isOk()) return phases.status();
    const double count = blocks * static_cast<double>(phases->size());
    const double per_phase = measuring / count - control;
    // The warm-up takes at most a fifth of what a phase may use (it ends early anyway with
    // auto windows once the rate stops rising).
    const double warmup = std::min(c->warmup, std::max(0.0, per_phase / 5));
    const double window = std::floor(std::min(kLongestWindow, per_phase - warmup) * 100) / 100;
    shortest_need = count * (control + kShortestWindow + std::min(c->warmup, 0.05));
    if (window < kShortestWindow) {
      if (c->quick || c->mode_given) break;  // --mode was asked for: keep it
      continue;
    }
    if (quick && !c->quick) {
      c->quick = true;
      c->schedule = "bidir";
    }
    c->adaptive = true;
    c->duration = window;
    c->min_duration = std::min(kShortestWindow, window);
    c->warmup = warmup;
    const double per_retest = warmup + window + control;
    const int retests = static_cast<int>(budget * kRetestShare / per_retest);
    c->max_retests = std::min(c->max_retests, std::max(retests, 1));
    const double planned = kStartAndReports + count * (control + warmup + window) + c->max_retests * per_retest;
    return std::string("te_bench: --time-budget ") + formatClock(budget) + ": " +
           (c->quick ? "--mode quick (" : "exact ") + c->schedule + (c->quick ? ")" : "") + ", " +
           std::to_string(static_cast<long>(count)) + " phases, windows " + seconds(c->min_duration) + "-" +
           seconds(window) + " until the rate is known to +-" + std::to_string(static_cast<int>(100 * c->precision)) +
           "% (a window that reaches " + seconds(window) + " first reports the precision it reached), warm-up " +
           seconds(warmup) + ", at most " + std::to_string(c->max_retests) + " retests: at most " +
           formatClock(planned);
  }
  return invalidArgument("--time-budget " + formatClock(budget) + ": too short for " + std::to_string(ranks) +
                         " ranks; allowed at least " + formatClock((shortest_need + kStartAndReports) / (1 - kRetestShare)) +
                         " (" + (c->mode_given && !c->quick ? "the exact schedule" : "--mode quick") + ", " +
                         seconds(kShortestWindow) + " windows)");
}

}  // namespace te::bench
