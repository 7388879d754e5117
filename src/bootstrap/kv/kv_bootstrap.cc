#include "bootstrap/kv/kv_bootstrap.h"

#include <unistd.h>

#include <cstdlib>

#include "common/logging.h"

namespace te::bootstrap::kv {
namespace {

// At exit rank 0 waits this long at most for every rank to leave before deleting the job.
constexpr auto kLeaveWait = std::chrono::milliseconds(5000);
constexpr auto kAbortWrite = std::chrono::milliseconds(1000);

}  // namespace

Result<std::unique_ptr<KvBootstrap>> KvBootstrap::create(KvStorePtr store, const KvJobOptions& options,
                                                         Deadline deadline) {
  if (options.size < 1 || options.rank < 0 || options.rank >= options.size) {
    return invalidArgument("--rank " + std::to_string(options.rank) + " --size " + std::to_string(options.size) +
                           ": need 0 <= rank < size");
  }
  if (!validJobId(options.job_id)) {
    return invalidArgument("--job-id '" + options.job_id + "': use 1..128 of the characters A-Z a-z 0-9 . _ : -");
  }
  Identity me{options.host, static_cast<int32_t>(::getpid()),
              randomNonZero()};
  TE_ASSIGN_OR_RETURN(JoinedJob job, joinJob(*store, options, me, deadline));
  return std::unique_ptr<KvBootstrap>(new KvBootstrap(std::move(store), options, std::move(me), std::move(job)));
}

KvBootstrap::KvBootstrap(KvStorePtr store, KvJobOptions options, Identity me, JoinedJob job)
    : store_(std::move(store)), options_(std::move(options)), me_(std::move(me)), job_(std::move(job)),
      keys_(options_.job_id, job_.epoch), excluded_(static_cast<size_t>(options_.size), false) {}

KvBootstrap::~KvBootstrap() {
  const Deadline deadline = Clock::now() + kLeaveWait;
  // Keys of the last collective stay: a slower rank may still be reading them.
  std::vector<KeyValue> left_keys{{keys_.leftPrefix() + std::to_string(rank()), Bytes{}}};
  for (int r = 0; r < size(); ++r) {
    if (excluded_[static_cast<size_t>(r)]) left_keys.push_back({keys_.leftPrefix() + std::to_string(r), Bytes{}});
  }
  Status left = store_->write(left_keys, keys_prev2_, deadline);
  if (!left.isOk()) {
    TE_LOG(WARN) << "leaving the job: " << left.message() << " (its keys expire by themselves)";
    return;
  }
  if (rank() != 0) return;  // the keys expire with this process's lease / TTL, or rank 0 deletes them
  Result<std::vector<Bytes>> all = store_->waitFor(keys_.leftPrefix(), size(), deadline);
  if (!all.isOk()) {
    TE_LOG(INFO) << "not every rank left within " << kLeaveWait.count() << " ms; the job's keys expire by themselves";
    return;
  }
  Status s = store_->removePrefix(KeyLayout::jobPrefix(options_.job_id), deadline);
  if (s.isOk()) s = store_->dropOwnKeys(deadline);
  if (!s.isOk()) TE_LOG(INFO) << "deleting the job's keys: " << s.message();
}

std::string KvBootstrap::rankText(int r) const { return "rank " + std::to_string(r) + " (" + hostname(r) + ")"; }

std::string KvBootstrap::ranksText(const std::vector<int>& ranks) const {
  std::string out;
  const size_t shown = std::min<size_t>(ranks.size(), 16);
  for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + rankText(ranks[i]);
  if (shown < ranks.size()) out += " and " + std::to_string(ranks.size() - shown) + " more";
  return out;
}

Status KvBootstrap::checkAbort(Deadline deadline) {
  TE_ASSIGN_OR_RETURN(auto abort, store_->get(keys_.abortKey(), deadline));
  if (!abort) return Status::ok();
  Result<AbortRecord> a = decodeAbort(*abort);
  if (!a.isOk()) return a.status().withContext("key " + keys_.abortKey());
  const std::string why = "rank " + std::to_string(a->rank) + " (" + a->host + ") ended the job: " + a->message;
  return a->exit_code == 2 ? invalidArgument(why) : unavailable(why);  // 2: a duplicate --job-id
}

std::string KvBootstrap::goneText(const std::vector<int>& gone) const {
  return ranksText(gone) + (gone.size() > 1 ? " are" : " is") +
         " gone: the claim key expired (the process died, hung, or lost " + store_->describe() + " for longer than " +
         std::to_string(store_->ttl().count() / 1000) + " s)";
}

Status KvBootstrap::checkPeers(Deadline deadline) {
  TE_RETURN_IF_ERROR(checkAbort(deadline));
  TE_ASSIGN_OR_RETURN(auto claims, store_->presentIndexed(keys_.claimPrefix(), size(), deadline));
  std::vector<int> gone;
  for (int r = 0; r < size(); ++r) {
    if (!claims[r] && !excluded_[static_cast<size_t>(r)]) gone.push_back(r);
  }
  if (gone.empty()) return Status::ok();
  return unavailable(goneText(gone));
}

Status KvBootstrap::exclude(int r) {
  if (r < 0 || r >= size() || r == rank()) return invalidArgument("exclude: rank " + std::to_string(r));
  excluded_[static_cast<size_t>(r)] = true;
  return Status::ok();
}

KeyValue KvBootstrap::emptyPart(const std::string& prefix, uint64_t op, int r) const {
  return {prefix + std::to_string(r), encodeOpValue(job_.epoch, op, r, job_.ranks[static_cast<size_t>(r)].instance, {})};
}

Result<std::vector<Bytes>> KvBootstrap::exchange(const char* what, uint64_t op, std::vector<KeyValue> puts,
                                                 const std::string& wait_prefix, Deadline deadline,
                                                 const PollCheck& check) {
  // The parts of ranks lost earlier (--on-failure continue): empty, written by each survivor.
  for (int r = 0; r < size(); ++r) {
    if (excluded_[static_cast<size_t>(r)]) puts.push_back(emptyPart(wait_prefix, op, r));
  }
  std::vector<std::string> mine;
  mine.reserve(puts.size());
  for (const auto& kv : puts) mine.push_back(kv.key);
  const std::string context = std::string(what) + " #" + std::to_string(op) + " of job '" + options_.job_id + "'";
  TE_RETURN_IF_ERROR(store_->write(puts, keys_prev2_, deadline).withContext(context));
  keys_prev2_ = std::move(keys_prev_);
  mine.insert(mine.end(), keys_gathered_.begin(), keys_gathered_.end());
  keys_gathered_.clear();
  keys_prev_ = std::move(mine);

  // A duplicate launch of this job id, found by one of its processes a keep-alive period or
  // two after the join, marks this job aborted: look once a second, also in a job whose
  // collectives never wait long enough for waitFor's own checks.
  if (Clock::now() >= next_abort_check_) {
    next_abort_check_ = Clock::now() + std::chrono::seconds(1);
    TE_RETURN_IF_ERROR(checkAbort(deadline).withContext(context));
  }
  std::vector<int> missing;
  Result<std::vector<Bytes>> values =
      store_->waitFor(wait_prefix, size(), deadline, check ? check : PollCheck([&] { return checkPeers(deadline); }),
                      &missing);
  if (!values.isOk()) {
    if (values.status().code() != StatusCode::kDeadlineExceeded || missing.empty()) {
      return values.status().withContext(context);
    }
    return deadlineExceeded(context + ": " + ranksText(missing) + " did not arrive before the deadline");
  }
  std::vector<Bytes> out(size());
  for (int r = 0; r < size(); ++r) {
    Result<Bytes> payload = decodeOpValue((*values)[r], job_.epoch, op, r, job_.ranks[r].instance);
    if (!payload.isOk()) {
      return internalError(context + ": the value from " + rankText(r) + " at " + wait_prefix + std::to_string(r) +
                           " is " + payload.status().message());
    }
    out[r] = std::move(*payload);
  }
  return out;
}

Result<std::vector<Bytes>> KvBootstrap::allGather(const Bytes& mine, Deadline deadline) {
  const uint64_t op = next_op_++;
  const std::string prefix = keys_.opPrefix(op);
  std::vector<KeyValue> puts{{prefix + std::to_string(rank()), encodeOpValue(job_.epoch, op, rank(), me_.instance, mine)}};
  return exchange("allGather", op, std::move(puts), prefix, deadline);
}

Result<std::vector<Bytes>> KvBootstrap::gather(const Bytes& mine, int root, Deadline deadline) {
  if (root < 0 || root >= size()) return invalidArgument("gather: root " + std::to_string(root) + " out of range");
  const uint64_t op = next_op_++;
  const std::string prefix = keys_.opPrefix(op);
  std::vector<KeyValue> puts{{prefix + std::to_string(rank()), encodeOpValue(job_.epoch, op, rank(), me_.instance, mine)}};
  if (rank() == root) return exchange("gather", op, std::move(puts), prefix, deadline);
  const std::string context = "gather #" + std::to_string(op) + " of job '" + options_.job_id + "'";
  TE_RETURN_IF_ERROR(store_->write(puts, {}, deadline).withContext(context));
  keys_gathered_.push_back(puts[0].key);
  return std::vector<Bytes>{};
}

Result<std::vector<std::optional<Bytes>>> KvBootstrap::gatherSurviving(const Bytes& mine, int root, Deadline deadline,
                                                                       Clock::duration, std::string* lost) {
  lost->clear();
  if (rank() != root) {
    TE_RETURN_IF_ERROR(gather(mine, root, deadline).status());
    return std::vector<std::optional<Bytes>>{};
  }
  if (survive_) return gatherSurvivors(mine, deadline, lost);
  const uint64_t op = next_op_;
  Result<std::vector<Bytes>> all = gather(mine, root, deadline);
  std::vector<std::optional<Bytes>> out(size());
  if (all.isOk()) {
    for (int r = 0; r < size(); ++r) out[r] = std::move((*all)[r]);
    return out;
  }
  // A rank gone (its claim expired) or late: keep what the others wrote.
  const std::string prefix = keys_.opPrefix(op);
  TE_ASSIGN_OR_RETURN(auto values, store_->getIndexed(prefix, size(), Clock::now() + kAbortWrite));
  std::vector<int> missing;
  for (int r = 0; r < size(); ++r) {
    Result<Bytes> payload = values[r] ? decodeOpValue(*values[r], job_.epoch, op, r, job_.ranks[r].instance)
                                      : Result<Bytes>(notFound("absent"));
    if (payload.isOk()) out[r] = std::move(*payload);
    else missing.push_back(r);
  }
  if (missing.empty()) return all.status();
  *lost = all.status().message();
  return out;
}

Result<std::vector<std::optional<Bytes>>> KvBootstrap::gatherSurvivors(const Bytes& mine, Deadline deadline,
                                                                       std::string* lost) {
  const uint64_t op = next_op_++;
  const std::string prefix = keys_.opPrefix(op);
  std::vector<bool> gone = excluded_;
  std::vector<int> newly;
  std::vector<std::string> filled;
  // Each poll: a rank whose claim expired before its part arrived is lost; its part is
  // written empty for it, and the wait goes on for the ranks still alive.
  auto check = [&]() -> Status {
    TE_RETURN_IF_ERROR(checkAbort(deadline));
    TE_ASSIGN_OR_RETURN(auto claims, store_->presentIndexed(keys_.claimPrefix(), size(), deadline));
    TE_ASSIGN_OR_RETURN(auto present, store_->presentIndexed(prefix, size(), deadline));
    std::vector<KeyValue> fill;
    for (int r = 0; r < size(); ++r) {
      if (claims[r] || present[r] || gone[static_cast<size_t>(r)]) continue;
      gone[static_cast<size_t>(r)] = true;
      newly.push_back(r);
      fill.push_back(emptyPart(prefix, op, r));
      filled.push_back(fill.back().key);
    }
    return fill.empty() ? Status::ok() : store_->write(fill, {}, deadline);
  };
  std::vector<KeyValue> puts{{prefix + std::to_string(rank()), encodeOpValue(job_.epoch, op, rank(), me_.instance, mine)}};
  Result<std::vector<Bytes>> all = exchange("gather", op, std::move(puts), prefix, deadline, check);
  keys_prev_.insert(keys_prev_.end(), filled.begin(), filled.end());
  std::vector<std::optional<Bytes>> out(size());
  if (all.isOk()) {
    for (int r = 0; r < size(); ++r) {
      if (!gone[static_cast<size_t>(r)]) out[r] = std::move((*all)[r]);
    }
    if (!newly.empty()) *lost = goneText(newly);
    return out;
  }
  if (all.status().code() != StatusCode::kDeadlineExceeded) return all.status();
  // Ranks alive but not through by the deadline count as lost too: keep what arrived.
  TE_ASSIGN_OR_RETURN(auto values, store_->getIndexed(prefix, size(), Clock::now() + kAbortWrite));
  for (int r = 0; r < size(); ++r) {
    if (gone[static_cast<size_t>(r)] || !values[r]) continue;
    Result<Bytes> payload = decodeOpValue(*values[r], job_.epoch, op, r, job_.ranks[r].instance);
    if (payload.isOk()) out[r] = std::move(*payload);
  }
  *lost = all.status().message() + (newly.empty() ? "" : "; " + goneText(newly));
  return out;
}

Result<Bytes> KvBootstrap::tell(const Bytes& data, int root, Deadline deadline, Clock::duration silence) {
  if (root != 0) return Bootstrap::tell(data, root, deadline, silence);
  const uint64_t op = next_op_++;
  const std::string prefix = keys_.opPrefix(op);
  const std::string context = "word #" + std::to_string(op) + " of job '" + options_.job_id + "' from " + rankText(root);
  if (rank() == root) {
    // Kept like a collective's keys (exchange()): every rank has read it once each has
    // written its part of a later collective that the root waits for.
    std::vector<KeyValue> puts{{prefix + "0", encodeOpValue(job_.epoch, op, root, me_.instance, data)}};
    TE_RETURN_IF_ERROR(store_->write(puts, keys_prev2_, deadline).withContext(context));
    keys_prev2_ = std::move(keys_prev_);
    keys_prev_ = {puts[0].key};
    keys_prev_.insert(keys_prev_.end(), keys_gathered_.begin(), keys_gathered_.end());
    keys_gathered_.clear();
    return data;
  }
  auto rootAlive = [&]() -> Status {
    TE_RETURN_IF_ERROR(checkAbort(deadline));
    TE_ASSIGN_OR_RETURN(auto claims, store_->presentIndexed(keys_.claimPrefix(), size(), deadline));
    if (claims[static_cast<size_t>(root)]) return Status::ok();
    return unavailable(rankText(root) + " is gone: the claim key expired (the process died, hung, or lost " +
                       store_->describe() + ")");
  };
  Result<std::vector<Bytes>> values = store_->waitFor(prefix, 1, deadline, rootAlive);
  if (!values.isOk()) return values.status().withContext(context);
  Result<Bytes> payload = decodeOpValue((*values)[0], job_.epoch, op, root, job_.ranks[root].instance);
  if (!payload.isOk()) return payload.status().withContext(context);
  return payload;
}

Result<std::vector<Bytes>> KvBootstrap::allToAll(const std::vector<Bytes>& to_each, Deadline deadline) {
  if (static_cast<int>(to_each.size()) != size()) return invalidArgument("allToAll: need one entry per rank");
  const uint64_t op = next_op_++;
  const std::string prefix = keys_.opPrefix(op);
  std::vector<KeyValue> puts;
  puts.reserve(size());
  for (int dst = 0; dst < size(); ++dst) {
    puts.push_back({prefix + std::to_string(dst) + "/" + std::to_string(rank()),
                    encodeOpValue(job_.epoch, op, rank(), me_.instance, to_each[dst])});
  }
  return exchange("allToAll", op, std::move(puts), prefix + std::to_string(rank()) + "/", deadline);
}

Status KvBootstrap::barrier(Deadline deadline) {
  const uint64_t op = next_op_++;
  const std::string prefix = keys_.opPrefix(op);
  std::vector<KeyValue> puts{{prefix + std::to_string(rank()), encodeOpValue(job_.epoch, op, rank(), me_.instance, {})}};
  return exchange("barrier", op, std::move(puts), prefix, deadline).status();
}

Result<Bytes> KvBootstrap::broadcast(const Bytes& data, int root, Deadline deadline) {
  if (root < 0 || root >= size()) return invalidArgument("broadcast: root " + std::to_string(root) + " out of range");
  // Every rank writes (the others an empty value), so that the clean-up rule above holds.
  TE_ASSIGN_OR_RETURN(auto all, allGather(rank() == root ? data : Bytes{}, deadline));
  return std::move(all[root]);
}

void KvBootstrap::abortJob(int exit_code) {
  AbortRecord a{rank(), exit_code, me_.host, "exited with code " + std::to_string(exit_code) + " (see its log)"};
  (void)store_->put(keys_.abortKey(), encodeAbort(a), Clock::now() + kAbortWrite);
  std::_Exit(exit_code);
}

}  // namespace te::bootstrap::kv
