// Link schedules: which directed links (initiator -> target) run together in each phase.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace te::bench {

struct Link {
  int initiator;
  int target;
  bool operator==(const Link& o) const { return initiator == o.initiator && target == o.target; }
};

// Links measured at the same time.
using Phase = std::vector<Link>;

// Round-robin tournament (circle method): N-1 rounds of disjoint pairs (N rounds with a
// bye for odd N); each round is two phases, one per direction, so every directed link is
// measured while its two endpoints do nothing else. 2(N-1) phases for even N, 2N for odd.
std::vector<Phase> pairsSchedule(int n);

// mpiGraph's congestion view: phase k (1..N-1) runs every rank r -> (r + k) mod N at once.
std::vector<Phase> shiftSchedule(int n);

// One directed link at a time: exact and slow (N(N-1) phases).
std::vector<Phase> sequentialSchedule(int n);

// Tournament rounds with both directions of each pair at once (N-1 or N phases).
std::vector<Phase> bidirSchedule(int n);

// One phase: root -> every other rank (outcast) / every other rank -> root (incast).
std::vector<Phase> oneToAllSchedule(int n, int root);
std::vector<Phase> allToOneSchedule(int n, int root);

// The fabric under load (issue 23). all-to-all: one phase, every rank driving every other at
// once (a mixture-of-experts exchange). incast: N phases, phase t the `fan` ranks after t
// (mod N) into t, so every rank is a target once (prefill nodes writing to a decode node);
// outcast: phase i, i into the `fan` ranks after it. With fan N - 1 every link is measured
// once. m-to-n: one phase, every rank of `from` driving every rank of `to`.
std::vector<Phase> allToAllSchedule(int n);
std::vector<Phase> incastSchedule(int n, int fan);
std::vector<Phase> outcastSchedule(int n, int fan);
std::vector<Phase> mToNSchedule(const std::vector<int>& from, const std::vector<int>& to);

// Packs chosen links into as few phases as a greedy pass finds, no rank in two links of
// a phase (for --pairs and for re-measuring flagged links).
std::vector<Phase> packLinks(const std::vector<Link>& links);

// What a schedule may take besides the world size: --root, --fan (0: N - 1), --groups.
struct ScheduleArgs {
  int root = 0;
  int fan = 0;
  std::vector<int> from, to;  // --groups FROM:TO
};

// One row per schedule --schedule names: what the CLI, the validation and makeSchedule read.
// A new schedule is a generator above and one row in kSchedules (schedule.cc).
struct ScheduleInfo {
  const char* name;
  std::vector<Phase> (*make)(int n, const ScheduleArgs& args);
  bool rooted;         // uses --root (which must be a rank of the world)
  bool shared_target;  // several initiators reach one target at once (mixed READs and WRITEs tear its blocks)
  bool fanned;         // uses --fan
  bool grouped;        // uses --groups (required)
  bool loaded;         // a rank drives or serves several links at once: per-rank totals are reported
};
const std::vector<ScheduleInfo>& schedules();
const ScheduleInfo* findSchedule(const std::string& name);  // nullptr: no such schedule
std::string scheduleNames();                                // "pairs, shift, ...", for help and errors
// --schedule's list, "pairs,all-to-all" (the same links idle and under load: a congestion
// impact, analysis/congestion.h): the names in order, empty ones kept for the validation.
std::vector<std::string> scheduleList(const std::string& text);
// Whether a schedule of the list has the property (e.g. &ScheduleInfo::rooted).
bool anySchedule(const std::string& list, bool ScheduleInfo::*property);

// The schedule named by --schedule for N ranks (or the --pairs links when given).
Result<std::vector<Phase>> makeSchedule(const std::string& name, int n, const ScheduleArgs& args,
                                        const std::vector<std::pair<int, int>>& pairs);

// "0-7:8-15", "0,2,4:1,3,5" (--groups): two lists of ranks (each a comma list of ranks and
// ranges), into from / to. Ranks are checked against the world later.
Status parseGroups(const std::string& text, std::vector<int>* from, std::vector<int>* to);
// "0-3,7": ranks and ranges, sorted, each once; false when malformed or empty.
bool parseRankList(const std::string& text, std::vector<int>* out);

}  // namespace te::bench
