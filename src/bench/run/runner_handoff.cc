// Phase control by hand-off at rank 0 (runner.h, Outcome): after every phase each rank hands
// its links to rank 0, which says whether the schedule goes on. Used where the phases are
// sparse (retests), with --integrity-check, and where the bootstrap has no point-to-point
// messages; runner_paired.cc has the pair handshakes used otherwise.
#include <algorithm>

#include "bench/run/phase_deps.h"
#include "bench/run/runner.h"
#include "bench/run/runner_state.h"
#include "bootstrap/pair_messages.h"
#include "common/bytes.h"
#include "common/logging.h"
#include "common/watchdog.h"

namespace te::bench {
namespace {

// The bootstrap channel of a transport's connection messages (runner_paired.cc uses 0..2).
constexpr int kConnectChannel = 3;

}  // namespace

Status Runner::verifyPhase(const Phase& phase, uint64_t epoch) {
  const int me = bootstrap_.rank();
  std::vector<int> targets, initiators;
  for (const Link& l : phase) {
    if (l.initiator == me) targets.push_back(l.target);
    if (l.target == me) initiators.push_back(l.initiator);
  }
  std::vector<std::string> hosts;
  for (int r = 0; r < bootstrap_.size(); ++r) hosts.push_back(bootstrap_.hostname(r));
  Status s;
  if (!targets.empty()) s = verifyLocalHalf(memory_, grid_, me, targets, config_.operation, epoch, hosts);
  if (s.isOk() && !initiators.empty()) {
    s = verifyExposedHalf(memory_, grid_, me, initiators, config_.operation, epoch, hosts);
  }
  return s;
}

Clock::duration Runner::silence() const { return seconds(std::max(config_.timeout, 2.0)); }

Deadline Runner::handOffDeadline() const {
  // Past the silence rule (heartbeats bound a live rank's phase), a cap: a healthy phase
  // (warm-up, a window extended by up to --duration, the drain) plus --timeout of stall.
  // --iterations has no such bound: its phases last what the batches take.
  if (config_.iterations > 0) return Clock::now() + std::chrono::hours(24);
  return Clock::now() + seconds(config_.warmup + 2 * config_.duration + 2 * config_.timeout + 10);
}

// A rank's hand-off: its phase's status, then its links (no histogram: that goes once, at the end).
Bytes encodeHandOff(const Status& measured, std::vector<LinkResult> links) {
  ByteWriter w;
  w.put<int32_t>(static_cast<int32_t>(measured.code())).putString(measured.message());
  GatheredResults r;
  r.links = std::move(links);
  w.putBytes(serializeResults(r));
  return w.take();
}

Status decodeHandOff(const Bytes& bytes, GatheredResults* links) {
  ByteReader r(bytes);
  int32_t code = 0;
  std::string message;
  Bytes body;
  if (!r.get(&code) || !r.getString(&message) || !r.getBytes(&body)) return internalError("hand-off: truncated");
  if (code != 0) return Status(static_cast<StatusCode>(code), message);
  return deserializeResults(body, links);
}

Phase Runner::liveLinks(const Phase& phase, uint32_t p, std::vector<LinkResult>* cut) const {
  if (lost_.empty()) return phase;
  Phase live;
  for (const Link& l : phase) {
    const int gone = is_lost_[static_cast<size_t>(l.initiator)] ? l.initiator
                     : is_lost_[static_cast<size_t>(l.target)] ? l.target : -1;
    if (gone < 0) {
      live.push_back(l);
      continue;
    }
    if (!cut) continue;
    auto it = std::find_if(lost_.begin(), lost_.end(), [gone](const LostRank& x) { return x.rank == gone; });
    appendCut({l}, -1, p, false, "not measured: rank " + std::to_string(gone) + " (" + bootstrap_.hostname(gone) +
              ") was lost in " + it->where, cut);
  }
  return live;
}

// The word after a phase: 1 go on; 2 go on without the ranks listed (u32 count, i32 ranks).
Status Runner::goOnWithout(const std::vector<int>& ranks, const std::string& where, const std::string& why) {
  ByteWriter w;
  w.put<uint8_t>(ranks.empty() ? 1 : 2).put<uint32_t>(static_cast<uint32_t>(ranks.size()));
  for (int r : ranks) {
    w.put<int32_t>(r);
    is_lost_[static_cast<size_t>(r)] = true;
    lost_.push_back({r, bootstrap_.hostname(r), block_name_.empty() ? where : block_name_ + ", " + where, why});
    TE_RETURN_IF_ERROR(bootstrap_.exclude(r));
  }
  if (!ranks.empty()) {
    TE_LOG(WARN) << where << ": going on without rank(s) lost (--on-failure continue): " << why;
  }
  return bootstrap_.tell(w.take(), 0, handOffDeadline(), silence()).status().withContext("after " + where);
}

Status Runner::applyWord(const Bytes& word, const std::string& where) {
  ByteReader r(word);
  uint8_t kind = 0;
  uint32_t n = 0;
  if (!r.get(&kind) || kind < 1 || kind > 2 || !r.get(&n) || n > static_cast<uint32_t>(bootstrap_.size())) {
    return internalError("rank 0's word after " + where + " is malformed");
  }
  for (uint32_t i = 0; i < n; ++i) {
    int32_t gone = -1;
    if (!r.get(&gone) || gone <= 0 || gone >= bootstrap_.size()) return internalError("rank 0's word after " + where + " is malformed");
    if (gone == bootstrap_.rank()) {
      return unavailable("rank 0 counted this rank as lost in " + where +
                         " (it handed in too late: frozen, or cut off from the bootstrap server); the others went on "
                         "without it (--on-failure continue)");
    }
    is_lost_[static_cast<size_t>(gone)] = true;
    lost_.push_back({gone, bootstrap_.hostname(gone), where, ""});
    TE_RETURN_IF_ERROR(bootstrap_.exclude(gone));
  }
  return Status::ok();
}

Status Runner::handOff(const std::vector<Phase>& phases, size_t p, const Phase& live, const Status& measured,
                       std::vector<LinkResult> links, Outcome* out) {
  const int me = bootstrap_.rank();
  std::string lost;
  Result<std::vector<std::optional<Bytes>>> arrived =
      bootstrap_.gatherSurviving(encodeHandOff(measured, std::move(links)), 0, handOffDeadline(), silence(), &lost);
  const std::string where = "phase " + std::to_string(p + 1) + " of " + std::to_string(phases.size());
  if (!arrived.isOk()) return arrived.status().withContext(where);
  if (me != 0) {
    Result<Bytes> word = bootstrap_.tell({}, 0, handOffDeadline(), silence());
    if (!word.isOk()) return word.status().withContext("after " + where);
    return applyWord(*word, where);
  }
  // Rank 0: keep every link that arrived; the failed and the lost ranks' links of the phase
  // are cut with their reason.
  std::vector<LinkResult>& kept = out->results.links;
  Status first;
  size_t failures = 0;
  std::vector<int> lost_now;
  for (int r = 0; r < bootstrap_.size(); ++r) {
    const std::optional<Bytes>& b = (*arrived)[static_cast<size_t>(r)];
    if (!b) {
      if (is_lost_[static_cast<size_t>(r)]) continue;  // lost in an earlier phase: none of its links ran
      lost_now.push_back(r);
      appendCut(live, r, static_cast<uint32_t>(p), true, "rank " + std::to_string(r) + " (" + bootstrap_.hostname(r) +
              ") lost in " + where, &kept);
      continue;
    }
    GatheredResults mine;
    Status s = decodeHandOff(*b, &mine);
    if (!s.isOk()) {
      if (first.isOk()) first = s;
      ++failures;
      appendCut(live, r, static_cast<uint32_t>(p), true, s.message(), &kept);
      continue;
    }
    for (auto& l : mine.links) {
      l.phase = static_cast<uint32_t>(p);
      kept.push_back(std::move(l));
    }
  }
  if (lost_now.empty() && failures == 0) return goOnWithout({}, where, "");
  if (config_.on_failure == "continue") {
    // A failed link is kept as failed; a lost rank's later links are left out (liveLinks).
    if (failures > 0) {
      TE_LOG(WARN) << where << ": " << failures << " rank(s) failed, first: " << first.message()
                   << "; going on (--on-failure continue)";
    }
    return goOnWithout(lost_now, where, lost.empty() ? "not handed in before the deadline" : lost);
  }
  // The schedule stops here: the lost rank first (it explains the others' stalls), then the
  // first failure, each with how many more.
  std::string why = lost.empty() ? first.message() : lost;
  if (!lost.empty() && failures > 0) why += "; " + std::to_string(failures) + " rank(s) failed too, first: " + first.message();
  else if (failures > 1) why += " (and " + std::to_string(failures - 1) + " more rank(s) failed)";
  for (size_t q = p + 1; q < phases.size(); ++q) {
    appendCut(phases[q], -1, static_cast<uint32_t>(q), false, "not measured: the run stopped in " + where, &kept);
  }
  const StatusCode code = lost.empty() ? first.code() : StatusCode::kDeadlineExceeded;
  out->stopped = Status(code, where + ": " + why);
  return out->stopped;
}

Runner::Outcome Runner::run(const std::vector<Phase>& phases, uint64_t block_size, const ProgressFn& progress,
                            const KeptFn& kept) {
  grid_ = makeGrid(2 * memory_.half(), block_size, config_.threads);
  // A transport that connects per phase does so pair by pair over the point-to-point messages
  // the handshakes need too (without them it exchanges through collectives, in step).
  if (config_.phase_sync == "pairs" && !config_.integrity_check && bootstrap_.hasPointToPoint() &&
      PhaseDeps::suits(phases, bootstrap_.size())) {
    return runPaired(phases, progress, kept);
  }
  return runHandingOff(phases, progress, kept);
}

Status Runner::measureMine(const Phase& phase, size_t p, size_t count, Histogram* latency,
                           std::vector<LinkResult>* links) {
  const int me = bootstrap_.rank();
  if (engine_.transport().connectsPerPhase()) {
    // Connections on demand (transport.h): every rank, before every phase, once the ranks near
    // its links are through the phase before (a hand-off, or the handshakes).
    std::vector<engine::PhaseLink> all;
    all.reserve(phase.size());
    for (const Link& link : phase) all.push_back({link.initiator, link.target});
    bootstrap::PairMessages pairs(bootstrap_, kConnectChannel, silence() / 4, while_measuring_);
    Status connected = engine_.transport().preparePhase(all, bootstrap_, bootstrap_.hasPointToPoint() ? &pairs : nullptr,
                                                        handOffDeadline());
    if (!connected.isOk()) {
      return connected.withContext("phase " + std::to_string(p + 1) + ", rank " + std::to_string(me) + ", connecting");
    }
  }
  std::vector<int> targets;
  for (const Link& link : phase) {
    if (link.initiator == me) targets.push_back(link.target);
  }
  if (targets.empty()) return Status::ok();
  TE_LOG(DEBUG) << "phase " << p + 1 << "/" << count << ": " << targets.size() << " link(s)";
  Result<std::vector<LinkResult>> r = measurePhase(targets, latency);
  // The phase is named by whoever stops the schedule ("phase 3 of 6: rank 2 (node7): ...").
  if (!r.isOk()) return r.status().withContext("rank " + std::to_string(me) + " (" + bootstrap_.hostname(me) + ")");
  *links = std::move(*r);
  return Status::ok();
}

Runner::Outcome Runner::runHandingOff(const std::vector<Phase>& phases, const ProgressFn& progress, const KeptFn& kept) {
  Outcome out;
  GatheredResults& mine = out.results;  // rank 0: every link; elsewhere: the histogram only
  const int me = bootstrap_.rank();
  // A window may be extended by up to --duration (window.h, rule 5).
  const double per_phase = config_.warmup + (config_.iterations ? config_.timeout : 2 * config_.duration);
  const auto phase_timeout = seconds(config_.timeout + per_phase * 2);
  for (size_t p = 0; p < phases.size(); ++p) {
    const uint64_t epoch = ++epoch_;
    if (config_.integrity_check) {
      out.stopped = fillForEpoch(memory_, me, epoch);
      if (!out.stopped.isOk()) return out;
    }
    // The first phase starts together; each later one after rank 0's word on the previous,
    // or with --integrity-check after every rank has filled its buffers for this one.
    if (p == 0 || config_.integrity_check) {
      out.stopped = bootstrap_.barrier(Clock::now() + phase_timeout).withContext("before phase " + std::to_string(p + 1));
      if (!out.stopped.isOk()) return out;
    }
    stopHereForTests(("phase" + std::to_string(p + 1)).c_str(), me);
    if (progress && me == 0) progress(p, phases.size());
    const size_t before = mine.links.size();
    // --on-failure continue: the links of ranks lost earlier are not measured (rank 0 says so).
    const Phase live = liveLinks(phases[p], static_cast<uint32_t>(p), me == 0 ? &mine.links : nullptr);
    std::vector<LinkResult> links;
    Status measured = measureMine(live, p, phases.size(), &mine.latency_ns, &links);
    Status go = handOff(phases, p, live, measured, std::move(links), &out);
    if (go.isOk() && kept && me == 0) kept(mine.links, before, p + 1);
    if (!go.isOk()) {
      // Rank 0's reason is the job's (its own failure among the others'); elsewhere the hand-off
      // or the root's silence (its own failure went to rank 0).
      if (me != 0) out.stopped = go;
      if (!measured.isOk()) TE_LOG(DEBUG) << measured.message();
      return out;
    }
    if (config_.integrity_check) {
      // Every initiator of the phase has finished before anyone looks at the bytes.
      out.stopped = bootstrap_.barrier(Clock::now() + phase_timeout);
      if (out.stopped.isOk()) {
        Status verified = verifyPhase(live, epoch);
        out.stopped = bootstrap::agreeOnStatus(bootstrap_, verified, Clock::now() + phase_timeout);
      }
      if (!out.stopped.isOk()) return out;
    }
  }
  // The latency histograms, once: a rank lost now costs only its share of the percentiles.
  GatheredResults histogram;
  histogram.latency_ns = mine.latency_ns;
  std::string lost;
  Result<std::vector<std::optional<Bytes>>> gathered =
      bootstrap_.gatherSurviving(serializeResults(histogram), 0, handOffDeadline(), silence(), &lost);
  // After the gather: rank 0 may sit out the last phase, which ends when every rank is here.
  if (progress && me == 0) progress(phases.size(), phases.size());
  if (!gathered.isOk()) {
    out.stopped = gathered.status().withContext("latency histograms");
    return out;
  }
  if (me != 0) return out;
  if (!lost.empty()) TE_LOG(WARN) << "latency histograms: " << lost << "; the all-links percentiles leave it out";
  mine.latency_ns = Histogram();
  for (int r = 0; r < bootstrap_.size(); ++r) {
    const std::optional<Bytes>& b = (*gathered)[static_cast<size_t>(r)];
    if (!b) continue;
    GatheredResults h;
    Status s = deserializeResults(*b, &h);
    if (!s.isOk()) {
      out.stopped = s.withContext("results of rank " + std::to_string(r));
      return out;
    }
    mine.latency_ns.merge(h.latency_ns);
  }
  return out;
}

}  // namespace te::bench
