// Phase control by pair handshakes (phase_deps.h): a rank starts phase p once the ranks near
// its links are through phase p - 1, and streams each phase's links to rank 0, which collects
// them while it measures. No rank waits for the whole world between phases: the first phase
// starts together, the last ends with rank 0's word. A failure ends the schedule everywhere
// (the failing rank, or rank 0 for a rank gone silent, tells every rank to stop) and rank 0
// keeps what arrived, like the hand-off (runner.h, Outcome).
#include <algorithm>
#include <thread>

#include "bench/run/phase_deps.h"
#include "bench/run/runner.h"
#include "bench/run/runner_state.h"
#include "common/logging.h"
#include "common/watchdog.h"

namespace te::bench {
namespace {

// Bootstrap channels: "through phase p" between partners, "stop" to everyone, and what
// goes to rank 0 (each phase's part, then the end).
constexpr int kThrough = 0, kStop = 1, kToRoot = 2;
constexpr uint8_t kPart = 1, kEnd = 2;
// How a rank's schedule ended.
enum class Ending : uint8_t { kCompleted = 0, kFailed = 1, kStopped = 2 };

// Growing sleeps between looks (10 us, doubling up to 1/64 of the time waited, 1..10 ms):
// waiting ranks must leave the cores to the measuring ones (as the MPI bootstrap's waits).
void backOff(std::chrono::microseconds* pause, Clock::time_point started) {
  std::this_thread::sleep_for(*pause);
  const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
  *pause = std::min(*pause * 2, std::clamp(waited / 64, std::chrono::microseconds(1000), std::chrono::microseconds(10000)));
}

std::string phaseOf(size_t p, size_t total) { return "phase " + std::to_string(p + 1) + " of " + std::to_string(total); }

}  // namespace

// Rank 0's view of the others: the parts that arrived (every rank sends one per phase, in
// order), each rank's end, and who fell silent.
struct Runner::RootBook {
  std::vector<uint32_t> parts;   // per rank: phases whose part arrived
  std::vector<char> ended, lost;
  std::vector<Ending> ending;
  std::vector<LinkResult> kept;  // the links, in order of arrival
  std::vector<std::pair<size_t, int>> failed;  // (phase, rank) of each failed part
  std::vector<Status> failures;                // their statuses, same order
  Histogram latency;
  size_t reported = 0;  // kept links handed to the caller's KeptFn
};

// What a rank knows while it runs the schedule by handshakes.
struct Runner::PairedState {
  PairedState(const std::vector<Phase>& schedule, int world)
      : phases(schedule), deps(schedule, world), since(Clock::now()), beat(since) {}
  const std::vector<Phase>& phases;
  PhaseDeps deps;
  Clock::time_point since;  // the run's start: silence counts from here at the earliest
  Clock::time_point beat;   // this rank's last heartbeat
  Ending ending = Ending::kCompleted;
  bool stop_said = false;
  bool root_lost = false;  // this rank stopped because rank 0 fell silent
  std::unique_ptr<RootBook> book;  // rank 0
  // Rank 0: takes what arrived; a rank silent for silence() is lost, and the schedule stops.
  std::function<Status()> poll;
};

void Runner::sayStop(const Status& why, PairedState& st) {
  if (st.stop_said) return;
  st.stop_said = true;
  ByteWriter w;
  w.put<int32_t>(static_cast<int32_t>(why.code())).putString(why.message());
  const Bytes word = w.take();
  for (int r = 0; r < bootstrap_.size(); ++r) {
    if (r != bootstrap_.rank()) (void)bootstrap_.post(r, kStop, word);
  }
}

Status Runner::awaitThrough(std::vector<int> ranks, size_t p, PairedState& st) {
  const int me = bootstrap_.rank();
  const size_t total = st.phases.size();
  // Partners may be a few phases behind (each waits for its own): the cap is the schedule's.
  const Deadline deadline = Clock::now() + (handOffDeadline() - Clock::now()) * static_cast<long>(total);
  const auto started = Clock::now();
  auto pause = std::chrono::microseconds(10);
  while (true) {
    for (size_t i = 0; i < ranks.size();) {
      TE_ASSIGN_OR_RETURN(std::optional<bootstrap::Bootstrap::Message> m, bootstrap_.receive(ranks[i], kThrough));
      if (!m) {
        ++i;
        continue;
      }
      ByteReader r(m->data);
      uint32_t through = 0;
      if (!r.get(&through) || through != p) {
        return internalError("rank " + std::to_string(ranks[i]) + " is through phase " + std::to_string(through + 1) +
                             ", expected " + std::to_string(p + 1));
      }
      ranks.erase(ranks.begin() + static_cast<long>(i));
      pause = std::chrono::microseconds(10);
    }
    if (ranks.empty()) return Status::ok();
    TE_ASSIGN_OR_RETURN(std::optional<bootstrap::Bootstrap::Message> stop, bootstrap_.receive(-1, kStop));
    if (stop) {
      ByteReader r(stop->data);
      int32_t code = 0;
      std::string message;
      if (!r.get(&code) || !r.getString(&message)) return internalError("stop: truncated");
      st.ending = Ending::kStopped;
      return Status(static_cast<StatusCode>(code), message);
    }
    const auto now = Clock::now();
    if (st.poll) {
      TE_RETURN_IF_ERROR(st.poll());
    } else if (now - std::max(st.since, bootstrap_.lastHeard()[0]) >= silence()) {
      st.root_lost = true;
      return deadlineExceeded(phaseOf(p + 1, total) + ": " + bootstrap::silentRanksText(bootstrap_, {0}, silence()));
    }
    if (now >= deadline) {
      std::string who;
      for (int r : ranks) who += (who.empty() ? "rank " : ", rank ") + std::to_string(r);
      return deadlineExceeded(phaseOf(p + 1, total) + ": rank " + std::to_string(me) + " waited in vain for " + who +
                              " to finish " + phaseOf(p, total));
    }
    if (now - st.beat >= silence() / 4) {
      bootstrap_.heartbeat();
      st.beat = now;
    }
    backOff(&pause, started);
  }
}

namespace {

// Rank 0: one rank's part of phase p (its links, or why it has none) into the book.
void takePart(Runner::RootBook& book, const std::vector<Phase>& phases, int from, const Bytes& part) {
  const size_t p = book.parts[static_cast<size_t>(from)]++;
  GatheredResults theirs;
  Status s = decodeHandOff(part, &theirs);
  if (!s.isOk()) {
    book.failed.emplace_back(p, from);
    book.failures.push_back(s);
    appendCut(phases[p], from, static_cast<uint32_t>(p), true, s.message(), &book.kept);
    return;
  }
  for (auto& l : theirs.links) {
    l.phase = static_cast<uint32_t>(p);
    book.kept.push_back(std::move(l));
  }
}

Bytes endMessage(uint8_t how, const Histogram& latency) {
  GatheredResults h;
  h.latency_ns = latency;
  ByteWriter w;
  w.put<uint8_t>(how).putBytes(serializeResults(h));
  return w.take();
}

}  // namespace

Status Runner::pollRoot(PairedState& st, const KeptFn& kept) {
  RootBook& book = *st.book;
  const int world = bootstrap_.size();
  const size_t total = st.phases.size();
  while (true) {
    TE_ASSIGN_OR_RETURN(std::optional<bootstrap::Bootstrap::Message> m, bootstrap_.receive(-1, kToRoot));
    if (!m) break;
    const auto from = static_cast<size_t>(m->from);
    ByteReader r(m->data);
    uint8_t kind = 0;
    Bytes body;
    if (!r.get(&kind) || !r.getBytes(&body)) return internalError("rank " + std::to_string(m->from) + ": truncated part");
    if (kind == kPart) {
      if (book.parts[from] >= total) return internalError("rank " + std::to_string(m->from) + ": a part past the schedule");
      takePart(book, st.phases, m->from, body);
      continue;
    }
    ByteReader e(body);
    uint8_t how = 0;
    Bytes histogram;
    GatheredResults h;
    if (!e.get(&how) || !e.getBytes(&histogram)) return internalError("end of rank " + std::to_string(m->from) + ": truncated");
    TE_RETURN_IF_ERROR(deserializeResults(histogram, &h));
    book.latency.merge(h.latency_ns);
    book.ended[from] = 1;
    book.ending[from] = static_cast<Ending>(how);
  }
  if (kept && book.reported < book.kept.size()) {
    kept(book.kept, book.reported, *std::min_element(book.parts.begin(), book.parts.end()));
    book.reported = book.kept.size();
  }
  // A rank that has not ended and sent nothing (no part, no heartbeat) for silence() is lost.
  const auto now = Clock::now();
  const std::vector<Clock::time_point> heard = bootstrap_.lastHeard();
  std::vector<int> silent;
  for (int r = 1; r < world; ++r) {
    const auto ru = static_cast<size_t>(r);
    if (book.ended[ru] || book.lost[ru]) continue;
    if (now - std::max(st.since, heard[ru]) >= silence()) silent.push_back(r);
  }
  if (silent.empty()) return Status::ok();
  for (int r : silent) book.lost[static_cast<size_t>(r)] = 1;
  const size_t at = std::min<size_t>(book.parts[static_cast<size_t>(silent.front())], total - 1);
  Status why = deadlineExceeded(phaseOf(at, total) + ": " + bootstrap::silentRanksText(bootstrap_, silent, silence()));
  sayStop(why, st);
  if (st.ending == Ending::kCompleted) st.ending = Ending::kStopped;
  return why;
}

Status Runner::handIn(size_t p, const Status& measured, std::vector<LinkResult> links, PairedState& st) {
  Bytes part = encodeHandOff(measured, std::move(links));
  if (st.book) {
    if (st.book->parts[0] == p) takePart(*st.book, st.phases, 0, part);
    return Status::ok();
  }
  ByteWriter w;
  w.put<uint8_t>(kPart).putBytes(part);
  return bootstrap_.post(0, kToRoot, w.take());
}

Runner::Outcome Runner::runPaired(const std::vector<Phase>& phases, const ProgressFn& progress, const KeptFn& kept) {
  Outcome out;
  const int me = bootstrap_.rank();
  const int world = bootstrap_.size();
  const size_t total = phases.size();
  const double per_phase = config_.warmup + (config_.iterations ? config_.timeout : 2 * config_.duration);
  out.stopped = bootstrap_.barrier(Clock::now() + seconds(config_.timeout + per_phase * 2)).withContext("before phase 1");
  if (!out.stopped.isOk()) return out;
  PairedState st(phases, world);
  if (me == 0) {
    st.book = std::make_unique<RootBook>();
    st.book->parts.assign(static_cast<size_t>(world), 0);
    st.book->ended.assign(static_cast<size_t>(world), 0);
    st.book->lost.assign(static_cast<size_t>(world), 0);
    st.book->ending.assign(static_cast<size_t>(world), Ending::kCompleted);
    st.poll = [&] { return pollRoot(st, kept); };
    while_measuring_ = [&] { (void)pollRoot(st, kept); };
  }
  Histogram latency;
  Status stop;
  for (size_t p = 0; p < total && st.ending == Ending::kCompleted; ++p) {
    // Heard at least every silence() / 4 (short phases that never wait included): rank 0
    // counts a rank silent that long as lost, and the others rank 0.
    if (Clock::now() - st.beat >= silence() / 4) {
      bootstrap_.heartbeat();
      st.beat = Clock::now();
    }
    if (p > 0) {
      stop = awaitThrough(st.deps.needs(me, p), p - 1, st);
      if (!stop.isOk()) {
        // Told to stop, or rank 0 gone: nothing to say. Else this rank's own failure (a
        // wait past its cap, MPI): its part of phase p says why, and everyone stops.
        if (st.ending == Ending::kCompleted && !st.root_lost) {
          st.ending = Ending::kFailed;
          (void)handIn(p, stop, {}, st);
          sayStop(stop, st);
        }
        break;
      }
    }
    stopHereForTests(("phase" + std::to_string(p + 1)).c_str(), me);
    if (progress && me == 0) progress(p, total);
    std::vector<LinkResult> links;
    Status measured = measureMine(phases[p], p, phases.size(), &latency, &links);
    Status sent = handIn(p, measured, std::move(links), st);
    if (measured.isOk()) measured = sent;
    if (!measured.isOk()) {
      stop = measured;
      st.ending = Ending::kFailed;
      sayStop(stop, st);
      break;
    }
    for (int r : st.deps.tells(me, p)) {
      ByteWriter w;
      w.put<uint32_t>(static_cast<uint32_t>(p));
      (void)bootstrap_.post(r, kThrough, w.take());
    }
    if (st.poll) (void)st.poll();
  }
  while_measuring_ = nullptr;
  if (me != 0) {
    out.results.latency_ns = latency;
    // Rank 0 lost: nobody to end with (the others see it as this rank did).
    if (st.root_lost) {
      out.stopped = stop;
      return out;
    }
    ByteWriter w;
    w.put<uint8_t>(kEnd).putBytes(endMessage(static_cast<uint8_t>(st.ending), latency));
    out.stopped = bootstrap_.post(0, kToRoot, w.take());
    if (!out.stopped.isOk()) return out;
    // Rank 0's word once every rank has ended (none on a failure: it reports and ends the job).
    const Deadline cap = Clock::now() + (handOffDeadline() - Clock::now()) * static_cast<long>(total);
    Result<Bytes> word = bootstrap_.tell({}, 0, cap, silence());
    if (!word.isOk()) out.stopped = word.status().withContext("after " + phaseOf(total - 1, total));
    return out;
  }
  return finishPaired(st, latency, stop, &out);
}

Runner::Outcome Runner::finishPaired(PairedState& st, const Histogram& latency, Status stop, Outcome* outp) {
  Outcome& out = *outp;
  RootBook& book = *st.book;
  const int world = bootstrap_.size();
  const size_t total = st.phases.size();
  book.ended[0] = 1;
  book.ending[0] = st.ending;
  book.latency.merge(latency);
  // Every rank ends (its part of each phase, then its end) or falls silent.
  const Deadline cap = Clock::now() + (handOffDeadline() - Clock::now()) * static_cast<long>(total);
  const auto started = Clock::now();
  auto pause = std::chrono::microseconds(10);
  while (true) {
    const size_t before = book.kept.size();
    Status polled = pollRoot(st, nullptr);
    if (!polled.isOk() && polled.code() != StatusCode::kDeadlineExceeded) {
      out.stopped = polled;
      return out;
    }
    bool all = true;
    for (int r = 0; r < world; ++r) all = all && (book.ended[static_cast<size_t>(r)] || book.lost[static_cast<size_t>(r)]);
    if (all) break;
    const auto now = Clock::now();
    if (now >= cap) {
      for (int r = 0; r < world; ++r) {
        if (!book.ended[static_cast<size_t>(r)]) book.lost[static_cast<size_t>(r)] = 1;
      }
      break;
    }
    if (now - st.beat >= silence() / 4) {
      bootstrap_.heartbeat();
      st.beat = now;
    }
    if (book.kept.size() != before) pause = std::chrono::microseconds(10);
    backOff(&pause, started);
  }
  out.results.latency_ns = book.latency;
  std::vector<LinkResult>& links = out.results.links;
  links = std::move(book.kept);
  std::vector<int> lost;
  bool completed = true;
  for (int r = 0; r < world; ++r) {
    const auto ru = static_cast<size_t>(r);
    if (book.lost[ru]) lost.push_back(r);
    completed = completed && !book.lost[ru] && book.ending[ru] == Ending::kCompleted && book.parts[ru] == total;
  }
  completed = completed && book.failures.empty() && stop.isOk();
  // In schedule order, as the hand-off keeps them: by phase, then initiator (each rank's in
  // the order it measured them).
  auto byPhase = [](const LinkResult& a, const LinkResult& b) {
    return a.phase != b.phase ? a.phase < b.phase : a.link.initiator < b.link.initiator;
  };
  if (completed) {
    std::stable_sort(links.begin(), links.end(), byPhase);
    Result<Bytes> said = bootstrap_.tell({1}, 0, cap, silence());
    out.stopped = said.status().withContext("after " + phaseOf(total - 1, total));
    return out;
  }
  // Where the schedule stopped: the earliest phase a rank failed or was lost in (or the
  // failure rank 0 saw: a phase it waited for in vain).
  size_t origin = total;
  for (const auto& f : book.failed) origin = std::min(origin, f.first);
  for (int r : lost) origin = std::min<size_t>(origin, book.parts[static_cast<size_t>(r)]);
  if (origin == total) origin = std::min<size_t>(total - 1, book.parts[0]);
  const std::string where = phaseOf(origin, total);
  for (int r = 0; r < world; ++r) {
    size_t from = book.parts[static_cast<size_t>(r)];
    if (book.lost[static_cast<size_t>(r)] && from < total) {
      appendCut(st.phases[from], r, static_cast<uint32_t>(from), true,
                "rank " + std::to_string(r) + " (" + bootstrap_.hostname(r) + ") lost in " + phaseOf(from, total), &links);
      ++from;
    }
    for (size_t q = from; q < total; ++q) {
      appendCut(st.phases[q], r, static_cast<uint32_t>(q), false, "not measured: the run stopped in " + where, &links);
    }
  }
  std::stable_sort(links.begin(), links.end(), byPhase);
  // The reason: the lost ranks first (they explain the others' stalls), then the first failure.
  size_t first_at = 0;
  for (size_t i = 1; i < book.failed.size(); ++i) {
    if (book.failed[i].first < book.failed[first_at].first) first_at = i;
  }
  const Status first = book.failures.empty() ? stop : book.failures[first_at];
  const size_t failures = book.failures.size();
  const std::string silent = bootstrap::silentRanksText(bootstrap_, lost, silence());
  std::string why = lost.empty() ? first.message() : silent;
  if (!lost.empty() && failures > 0) why += "; " + std::to_string(failures) + " rank(s) failed too, first: " + first.message();
  else if (failures > 1) why += " (and " + std::to_string(failures - 1) + " more rank(s) failed)";
  const StatusCode code = lost.empty() ? (first.isOk() ? StatusCode::kInternal : first.code()) : StatusCode::kDeadlineExceeded;
  // A failure's own text may start with its phase already.
  out.stopped = Status(code, why.rfind("phase ", 0) == 0 ? why : where + ": " + why);
  return out;
}

}  // namespace te::bench
