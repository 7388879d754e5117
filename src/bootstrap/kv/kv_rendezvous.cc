// Joining a KV job. Rank 0 creates /te_bench/<job>/epoch (create-if-absent) with a fresh
// random epoch; every rank claims <epoch>/claim/<rank> (create-if-absent); rank 0 waits for
// all claims and writes <epoch>/roster; the others wait for the roster and find themselves
// in it. Keys of an older job with the same id live in another epoch and are never read.
//
// A key held by someone else (the epoch for rank 0, a claim for the others) is either stale
// (its writer died: its lease / TTL is running out) or live (refreshed by a keep-alive). A
// refresh after we first saw the conflict proves the holder alive: a clear error naming both
// hosts. A stale key is waited out (at most the TTL), so a job id can be reused at once
// after a crash.
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "bootstrap/kv/kv_bootstrap.h"
#include "common/logging.h"

namespace te::bootstrap::kv {
namespace {

constexpr auto kConflictPoll = std::chrono::milliseconds(200);
// etcd reports a lease's time to live in whole seconds (rounded down), measured at the
// server: 1 s for the rounding plus 0.5 s for the difference between our clock's and the
// server's view of the time between two looks.
constexpr auto kTtlSlack = std::chrono::milliseconds(1500);

std::string joinRanks(const std::vector<int>& ranks) {
  std::string out;
  for (int r : ranks) out += (out.empty() ? "" : ",") + std::to_string(r);
  return out;
}

void sleepUntilAtMost(std::chrono::microseconds pause, Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  std::this_thread::sleep_for(std::max(std::chrono::microseconds(0), std::min(pause, left)));
}

enum class ConflictEnd { kVanished, kEpochChanged, kAlive };

// Tells a refreshed key from a stale one: a key's time to live only grows when its writer's
// keep-alive refreshes it, so one that is longer than the first look minus the time since
// proves its writer alive (whatever TTL that writer uses).
class TtlWatch {
 public:
  bool refreshed(std::chrono::milliseconds ttl) {
    if (ttl == std::chrono::milliseconds::max()) return true;  // never expires: nobody will remove it
    // Run out (etcd keeps an expired key until the lease is revoked, up to a second later).
    if (ttl <= std::chrono::milliseconds(0)) return false;
    const auto now = Clock::now();
    if (!first_) {
      first_ = now;
      first_ttl_ = ttl;
      return false;
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - *first_);
    return ttl > first_ttl_ - elapsed + kTtlSlack;
  }

  // A key gone long before its time to live ran out was deleted: its writer lived.
  bool goneEarly() const {
    if (!first_ || first_ttl_ == std::chrono::milliseconds::max()) return false;
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *first_);
    return elapsed + kTtlSlack < first_ttl_;
  }

 private:
  std::optional<Clock::time_point> first_;
  std::chrono::milliseconds first_ttl_{0};
};

class Joiner {
 public:
  Joiner(KvStore& store, const KvJobOptions& options, const Identity& me, Deadline deadline)
      : store_(store), o_(options), me_(me), deadline_(deadline), epoch_key_(KeyLayout::epochKey(options.job_id)) {}

  Result<JoinedJob> run() { return o_.rank == 0 ? joinAsRoot() : joinAsMember(); }

 private:
  std::string job() const { return "job '" + o_.job_id + "'"; }

  Status corrupt(const std::string& key, const Status& why) const {
    return internalError(job() + ": key " + key + " is " + why.message() +
                         "; remove it (etcdctl del / redis-cli del) or use another --job-id");
  }

  // Waits while `key`, holding `seen` (by `holder`), is stale, until it vanishes or changes,
  // and tells whether the holder is alive. With `epoch` set, the job's epoch must be alive too
  // (a live rank of a dying job is waited out), and a change of epoch ends the wait.
  Result<ConflictEnd> waitOutConflict(const std::string& key, const Bytes& seen, const std::string& what,
                                      const Identity& holder, uint64_t epoch = 0) {
    const bool watch_epoch = epoch != 0 && key != epoch_key_;
    TtlWatch key_watch, epoch_watch;
    bool logged = false;
    while (true) {
      TE_ASSIGN_OR_RETURN(auto now_held, store_.getWithTtl(key, deadline_));
      // Deleted by its live writer (a duplicate launch that finished): as alive, else the two
      // launches would run one after the other.
      if (!now_held || now_held->value != seen) return key_watch.goneEarly() ? ConflictEnd::kAlive : ConflictEnd::kVanished;
      bool alive = key_watch.refreshed(now_held->ttl);
      if (watch_epoch) {
        TE_ASSIGN_OR_RETURN(auto current, store_.getWithTtl(epoch_key_, deadline_));
        if (!current) return ConflictEnd::kEpochChanged;
        Result<EpochRecord> e = decodeEpoch(current->value);
        if (!e.isOk() || e->epoch != epoch) return ConflictEnd::kEpochChanged;
        alive = epoch_watch.refreshed(current->ttl) && alive;
      }
      if (alive) return ConflictEnd::kAlive;
      if (Clock::now() >= deadline_) {
        return deadlineExceeded(job() + ": " + what + " is held by " + holder.text() +
                                ", whose keys did not expire before the bootstrap timeout");
      }
      if (!logged) {
        TE_LOG(WARN) << job() << ": " << what << " is held by " << holder.text()
                     << " (an earlier run, or a live duplicate); waiting for its keys to expire";
        logged = true;
      }
      sleepUntilAtMost(kConflictPoll, deadline_);
    }
  }

  // A live duplicate: every process of both launches must stop, so the epoch the holder is in
  // is marked aborted (exit 2) too: its rank 0, and any rank of ours that joined it, stop.
  Status heldByLiveProcess(const std::string& what, const Identity& holder, uint64_t epoch) {
    const std::string why = what + " is already held by a live process (" + holder.text() + "); this process is " +
                            me_.text() + ": another job with this --job-id is running, or --rank " +
                            std::to_string(o_.rank) + " was given twice";
    AbortRecord a{o_.rank, 2, me_.host, "the same --job-id launched twice at once? " + why};
    (void)store_.put(KeyLayout(o_.job_id, epoch).abortKey(), encodeAbort(a), Clock::now() + std::chrono::seconds(1));
    return invalidArgument(job() + ": " + why);
  }

  Result<JoinedJob> joinAsRoot() {
    EpochRecord mine{randomNonZero(), o_.size, me_};
    const Bytes value = encodeEpoch(mine);
    while (true) {
      TE_ASSIGN_OR_RETURN(auto existing, store_.createIfAbsent(epoch_key_, value, deadline_));
      if (!existing || *existing == value) break;
      Result<EpochRecord> other = decodeEpoch(*existing);
      if (!other.isOk()) return corrupt(epoch_key_, other.status());
      TE_ASSIGN_OR_RETURN(ConflictEnd end, waitOutConflict(epoch_key_, *existing, "rank 0", other->owner));
      if (end == ConflictEnd::kAlive) return heldByLiveProcess("rank 0", other->owner, other->epoch);
    }
    KeyLayout keys(o_.job_id, mine.epoch);
    Result<JoinedJob> joined = collectClaims(keys, mine.epoch);
    if (!joined.isOk()) {
      // Tell the ranks that wait for the roster why it will not come.
      std::string why = joined.status().message();
      if (why.rfind(job() + ": ", 0) == 0) why = why.substr(job().size() + 2);
      AbortRecord a{0, 1, me_.host, why};
      (void)store_.put(keys.abortKey(), encodeAbort(a), Clock::now() + std::chrono::seconds(1));
    }
    return joined;
  }

  Result<JoinedJob> collectClaims(const KeyLayout& keys, uint64_t epoch) {
    ClaimRecord claim{epoch, 0, o_.size, me_};
    TE_ASSIGN_OR_RETURN(auto existing, store_.createIfAbsent(keys.claimKey(0), encodeClaim(claim), deadline_));
    if (existing) return corrupt(keys.claimKey(0), internalError("a claim in a brand-new epoch"));
    auto check = [&]() -> Status { return checkAbort(keys); };
    std::vector<int> missing;
    Result<std::vector<Bytes>> claims = store_.waitFor(keys.claimPrefix(), o_.size, deadline_, check, &missing);
    if (!claims.isOk()) {
      if (claims.status().code() != StatusCode::kDeadlineExceeded) return claims.status();
      return deadlineExceeded(job() + ": rank" + (missing.size() > 1 ? "s " : " ") + joinRanks(missing) + " of " +
                              std::to_string(o_.size) + " did not arrive before the bootstrap timeout");
    }
    JoinedJob joined{epoch, {}};
    for (int r = 0; r < o_.size; ++r) {
      Result<ClaimRecord> c = decodeClaim((*claims)[r]);
      if (!c.isOk()) return corrupt(keys.claimKey(r), c.status());
      if (c->epoch != epoch || c->rank != r || c->size != o_.size) {
        return corrupt(keys.claimKey(r), internalError("a claim for another rank, epoch or size"));
      }
      joined.ranks.push_back(c->who);
    }
    TE_RETURN_IF_ERROR(store_.put(keys.rosterKey(), encodeRoster({epoch, joined.ranks}), deadline_));
    return joined;
  }

  Status checkAbort(const KeyLayout& keys) {
    TE_ASSIGN_OR_RETURN(auto value, store_.get(keys.abortKey(), deadline_));
    if (!value) return Status::ok();
    Result<AbortRecord> a = decodeAbort(*value);
    if (!a.isOk()) return corrupt(keys.abortKey(), a.status());
    const std::string why = job() + ": rank " + std::to_string(a->rank) + " (" + a->host + ") ended the job: " + a->message;
    return a->exit_code == 2 ? invalidArgument(why) : unavailable(why);
  }

  Result<JoinedJob> joinAsMember() {
    while (true) {
      TE_ASSIGN_OR_RETURN(EpochRecord epoch, waitForEpoch());
      if (epoch.size != o_.size) {
        // A stale epoch of an earlier run may have another size: wait it out.
        TE_ASSIGN_OR_RETURN(ConflictEnd end, waitOutConflict(epoch_key_, encodeEpoch(epoch), "rank 0", epoch.owner));
        if (end != ConflictEnd::kAlive) continue;
        return invalidArgument(job() + ": this rank has --size " + std::to_string(o_.size) + " but rank 0 (" +
                               epoch.owner.text() + ") started the job with --size " + std::to_string(epoch.size));
      }
      KeyLayout keys(o_.job_id, epoch.epoch);
      const Bytes claim = encodeClaim({epoch.epoch, o_.rank, o_.size, me_});
      TE_ASSIGN_OR_RETURN(auto existing, store_.createIfAbsent(keys.claimKey(o_.rank), claim, deadline_));
      if (existing && *existing != claim) {
        Result<ClaimRecord> other = decodeClaim(*existing);
        if (!other.isOk()) return corrupt(keys.claimKey(o_.rank), other.status());
        const std::string what = "rank " + std::to_string(o_.rank);
        TE_ASSIGN_OR_RETURN(ConflictEnd end, waitOutConflict(keys.claimKey(o_.rank), *existing, what, other->who, epoch.epoch));
        if (end == ConflictEnd::kAlive) return heldByLiveProcess(what, other->who, epoch.epoch);
        continue;
      }
      TE_ASSIGN_OR_RETURN(std::optional<JoinedJob> joined, waitForRoster(keys, epoch));
      if (joined) return std::move(*joined);
      // The epoch was stale (or rank 0 restarted): drop the claim and join the new one.
      (void)store_.remove({keys.claimKey(o_.rank)}, deadline_);
    }
  }

  Result<EpochRecord> waitForEpoch() {
    auto pause = std::chrono::microseconds(500);
    while (true) {
      TE_ASSIGN_OR_RETURN(auto value, store_.get(epoch_key_, deadline_));
      if (value) {
        Result<EpochRecord> e = decodeEpoch(*value);
        if (!e.isOk()) return corrupt(epoch_key_, e.status());
        return e;
      }
      if (Clock::now() >= deadline_) {
        return deadlineExceeded(job() + ": rank 0 did not arrive before the bootstrap timeout (no " + epoch_key_ +
                                ")");
      }
      sleepUntilAtMost(pause, deadline_);
      pause = std::min(pause * 2, std::chrono::microseconds(50000));
    }
  }

  // The joined job, or nullopt when the epoch went away or turned out stale.
  Result<std::optional<JoinedJob>> waitForRoster(const KeyLayout& keys, const EpochRecord& epoch) {
    using Out = std::optional<JoinedJob>;
    auto pause = std::chrono::microseconds(500);
    const std::vector<std::string> watched = {keys.rosterKey(), epoch_key_, keys.abortKey()};
    while (true) {
      TE_ASSIGN_OR_RETURN(auto values, store_.getMany(watched, deadline_));
      if (values[2]) TE_RETURN_IF_ERROR(checkAbort(keys));
      if (values[0]) {
        Result<RosterRecord> roster = decodeRoster(*values[0]);
        if (!roster.isOk()) return corrupt(keys.rosterKey(), roster.status());
        if (roster->epoch != epoch.epoch || static_cast<int>(roster->ranks.size()) != o_.size) {
          return corrupt(keys.rosterKey(), internalError("a roster for another epoch or size"));
        }
        const Identity& listed = roster->ranks[o_.rank];
        if (listed.instance == me_.instance) return Out(JoinedJob{epoch.epoch, std::move(roster->ranks)});
        // A roster of an earlier run that holds this rank: wait until that epoch goes.
        const std::string what = "rank " + std::to_string(o_.rank);
        TE_ASSIGN_OR_RETURN(ConflictEnd end, waitOutConflict(epoch_key_, encodeEpoch(epoch), what, listed, epoch.epoch));
        if (end == ConflictEnd::kAlive) return heldByLiveProcess(what, listed, epoch.epoch);
        return Out();
      }
      if (!values[1]) return Out();
      Result<EpochRecord> now_epoch = decodeEpoch(*values[1]);
      if (!now_epoch.isOk() || now_epoch->epoch != epoch.epoch) return Out();
      if (Clock::now() >= deadline_) return missingRanks(keys);
      sleepUntilAtMost(pause, deadline_);
      pause = std::min(pause * 2, std::chrono::microseconds(20000));
    }
  }

  Status missingRanks(const KeyLayout& keys) {
    Result<std::vector<bool>> claims = store_.presentIndexed(keys.claimPrefix(), o_.size, deadline_);
    std::vector<int> missing;
    if (claims.isOk()) {
      for (int r = 0; r < o_.size; ++r) {
        if (!(*claims)[r]) missing.push_back(r);
      }
    }
    if (missing.empty()) {
      return deadlineExceeded(job() + ": no roster from rank 0 (" + keys.rosterKey() +
                              ") before the bootstrap timeout");
    }
    return deadlineExceeded(job() + ": rank" + (missing.size() > 1 ? "s " : " ") + joinRanks(missing) + " of " +
                            std::to_string(o_.size) + " did not arrive before the bootstrap timeout");
  }

  KvStore& store_;
  const KvJobOptions& o_;
  const Identity& me_;
  const Deadline deadline_;
  const std::string epoch_key_;
};

}  // namespace

uint64_t randomNonZero() {
  static thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), static_cast<unsigned>(::getpid()),
                      static_cast<unsigned>(Clock::now().time_since_epoch().count())};
    return std::mt19937_64(seq);
  }();
  uint64_t v = 0;
  while (v == 0) v = gen();
  return v;
}

Result<JoinedJob> joinJob(KvStore& store, const KvJobOptions& options, const Identity& me, Deadline deadline) {
  return Joiner(store, options, me, deadline).run();
}

}  // namespace te::bootstrap::kv
