#include "bootstrap/mpi/mpi_bootstrap.h"

#include "bootstrap/mpi/mpi_postbox.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <thread>

#include "common/launcher_env.h"
#include "common/watchdog.h"

namespace te::bootstrap {
namespace {

std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  return std::string(text, len);
}

// The most bytes one MPI_Igatherv carries (its counts are ints); lowered by a test.
uint64_t gather_round_limit = INT_MAX;

class MpiBootstrap final : public Bootstrap {
 public:
  MpiBootstrap(int rank, int size, Clock::duration timeout, std::string host)
      : rank_(rank), size_(size), host_(std::move(host)), timeout_(timeout), heard_(size) {}
  // MPI_Finalize waits for every rank too: a failure path that found a rank frozen or lost
  // would hang in it. Bounded like MPI_Init; healthy ranks reach it together (they wait for
  // rank 0's reports before), so the bootstrap timeout is room enough.
  ~MpiBootstrap() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    postbox_.drop();
    Watchdog watchdog(Clock::now() + timeout_, [this] {
      std::fprintf(stderr, "te_bench: MPI_Finalize did not complete within %.0f s on rank %d (%s): another rank is "
                   "frozen or was lost\n", std::chrono::duration<double>(timeout_).count(), rank_,
                   host_.c_str());
      std::fflush(stderr);
      std::_Exit(1);
    });
    MPI_Finalize();
  }

  Status init(Deadline deadline) {
    TE_ASSIGN_OR_RETURN(auto all, allGather(Bytes(host_.begin(), host_.end()), deadline));
    for (auto& b : all) hostnames_.emplace_back(b.begin(), b.end());
    return Status::ok();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const std::string& hostname(int rank) const override { return hostnames_[rank]; }
  std::string kind() const override { return "mpi"; }

  Result<std::vector<Bytes>> allGather(const Bytes& mine, Deadline deadline) override {
    TE_ASSIGN_OR_RETURN(std::vector<uint64_t> lens, everyLength(mine.size(), "allGather (sizes)", deadline));
    MPI_Request req;
    std::vector<int> counts(size_), displs(size_);
    TE_RETURN_IF_ERROR(layout(lens, &counts, &displs));
    std::vector<uint8_t> flat(static_cast<size_t>(displs.back()) + counts.back());
    TE_RETURN_IF_ERROR(check("MPI_Iallgatherv",
                             MPI_Iallgatherv(mine.data(), static_cast<int>(mine.size()), MPI_BYTE,
                                             flat.data(), counts.data(), displs.data(), MPI_BYTE,
                                             MPI_COMM_WORLD, &req)));
    TE_RETURN_IF_ERROR(wait(&req, "allGather", deadline));
    return split(flat, counts, displs);
  }

  // Only the root receives: results of N^2 links gathered with allgather would reach every
  // rank (N times the traffic, and every rank holding all of it). MPI counts are ints, so a
  // gather of more than 2 GiB (the results of ~3,800 ranks) goes in rounds of ranks, each
  // round under the limit; every rank knows the lengths, so all agree on the rounds.
  Result<std::vector<Bytes>> gather(const Bytes& mine, int root, Deadline deadline) override {
    if (root < 0 || root >= size_) return invalidArgument("gather: root " + std::to_string(root) + " out of range");
    if (mine.size() > static_cast<size_t>(INT_MAX)) return internalError("gather: this rank's message is over 2 GiB");
    TE_ASSIGN_OR_RETURN(std::vector<uint64_t> lens, everyLength(mine.size(), "gather (sizes)", deadline));
    MPI_Request req;
    const bool at_root = rank_ == root;
    std::vector<Bytes> out(at_root ? size_ : 0);
    for (int first = 0; first < size_;) {
      int last = first;  // this round: ranks first..last-1
      uint64_t total = 0;
      while (last < size_ && (last == first || total + lens[last] <= gatherRoundLimit())) total += lens[last++];
      std::vector<int> counts(size_, 0), displs(size_, 0);
      for (int r = first, at = 0; r < last; at += counts[r], ++r) {
        counts[r] = static_cast<int>(lens[r]);
        displs[r] = at;
      }
      const bool sending = rank_ >= first && rank_ < last;
      std::vector<uint8_t> flat(at_root ? total + 1 : 1);
      TE_RETURN_IF_ERROR(check("MPI_Igatherv", MPI_Igatherv(mine.data(), sending ? counts[rank_] : 0, MPI_BYTE,
                                                            flat.data(), counts.data(), displs.data(), MPI_BYTE,
                                                            root, MPI_COMM_WORLD, &req)));
      TE_RETURN_IF_ERROR(wait(&req, "gather", deadline));
      for (int r = first; at_root && r < last; ++r) out[r].assign(flat.begin() + displs[r], flat.begin() + displs[r] + counts[r]);
      first = last;
    }
    return out;
  }

  Result<std::vector<Bytes>> allToAll(const std::vector<Bytes>& to_each, Deadline deadline) override {
    if (static_cast<int>(to_each.size()) != size_) return invalidArgument("allToAll: need one entry per rank");
    std::vector<uint64_t> send_lens(size_), recv_lens(size_);
    for (int r = 0; r < size_; ++r) send_lens[r] = to_each[r].size();
    MPI_Request req;
    TE_RETURN_IF_ERROR(check("MPI_Ialltoall", MPI_Ialltoall(send_lens.data(), 1, MPI_UINT64_T, recv_lens.data(), 1,
                                                            MPI_UINT64_T, MPI_COMM_WORLD, &req)));
    TE_RETURN_IF_ERROR(wait(&req, "allToAll (sizes)", deadline));
    std::vector<int> scounts(size_), sdispls(size_), rcounts(size_), rdispls(size_);
    TE_RETURN_IF_ERROR(layout(send_lens, &scounts, &sdispls));
    TE_RETURN_IF_ERROR(layout(recv_lens, &rcounts, &rdispls));
    std::vector<uint8_t> send(static_cast<size_t>(sdispls.back()) + scounts.back());
    for (int r = 0; r < size_; ++r) std::copy(to_each[r].begin(), to_each[r].end(), send.begin() + sdispls[r]);
    std::vector<uint8_t> recv(static_cast<size_t>(rdispls.back()) + rcounts.back());
    TE_RETURN_IF_ERROR(check("MPI_Ialltoallv",
                             MPI_Ialltoallv(send.data(), scounts.data(), sdispls.data(), MPI_BYTE, recv.data(),
                                            rcounts.data(), rdispls.data(), MPI_BYTE, MPI_COMM_WORLD, &req)));
    TE_RETURN_IF_ERROR(wait(&req, "allToAll", deadline));
    return split(recv, rcounts, rdispls);
  }

  Status barrier(Deadline deadline) override {
    MPI_Request req;
    TE_RETURN_IF_ERROR(check("MPI_Ibarrier", MPI_Ibarrier(MPI_COMM_WORLD, &req)));
    return wait(&req, "barrier", deadline);
  }

  Result<Bytes> broadcast(const Bytes& data, int root, Deadline deadline) override {
    uint64_t len = rank_ == root ? data.size() : 0;
    MPI_Request req;
    TE_RETURN_IF_ERROR(check("MPI_Ibcast", MPI_Ibcast(&len, 1, MPI_UINT64_T, root, MPI_COMM_WORLD, &req)));
    TE_RETURN_IF_ERROR(wait(&req, "broadcast (size)", deadline));
    if (len > static_cast<uint64_t>(INT_MAX)) return internalError("broadcast: over 2 GiB");
    Bytes out = rank_ == root ? data : Bytes(len);
    TE_RETURN_IF_ERROR(check("MPI_Ibcast", MPI_Ibcast(out.data(), static_cast<int>(len), MPI_BYTE, root,
                                                      MPI_COMM_WORLD, &req)));
    TE_RETURN_IF_ERROR(wait(&req, "broadcast", deadline));
    return out;
  }

  void abortJob(int exit_code) override { MPI_Abort(MPI_COMM_WORLD, exit_code); }

  // Point to point, so the root knows who arrived: a collective with a rank lost tells
  // nothing and never completes. Heartbeats are empty messages of their own tag; non-root
  // ranks send theirs to the root, the root to everyone.
  void heartbeat() override {
    static const uint8_t beat = 0;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_ || (rank_ != 0 && r != 0)) continue;
      MPI_Request req;
      if (MPI_Isend(&beat, 0, MPI_BYTE, r, kTagHeartbeat, MPI_COMM_WORLD, &req) == MPI_SUCCESS) MPI_Request_free(&req);
    }
  }

  Result<std::vector<std::optional<Bytes>>> gatherSurviving(const Bytes& mine, int root, Deadline deadline,
                                                            Clock::duration silence, std::string* lost) override {
    lost->clear();
    if (mine.size() > static_cast<size_t>(INT_MAX)) return internalError("gather: this rank's message is over 2 GiB");
    if (rank_ != root) {
      // A part over MPI's eager limit waits for the root to take it: while the root lives
      // (its heartbeats), however long; a root silent for `silence` is named.
      MPI_Request req;
      TE_RETURN_IF_ERROR(check("MPI_Isend", MPI_Isend(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, root,
                                                      kTagHandOff, MPI_COMM_WORLD, &req)));
      TE_RETURN_IF_ERROR(whileAlive(root, deadline, silence, [&](bool* done) {
        int flag = 0;
        Status s = check("MPI_Test", MPI_Test(&req, &flag, MPI_STATUS_IGNORE));
        *done = flag != 0;
        return s;
      }));
      return std::vector<std::optional<Bytes>>{};
    }
    std::vector<std::optional<Bytes>> out(size_);
    out[rank_] = mine;
    std::vector<Clock::time_point> heard(size_, Clock::now());
    int pending = size_ - 1;
    std::vector<int> lost_ranks;
    std::vector<char> gone(size_, 0);
    Pause pause;
    Clock::time_point beat = Clock::now();
    while (pending > 0) {
      drainHeartbeats(&heard);
      // The ranks that have handed over wait for the root's word while it waits for a slow
      // one: they hear it live.
      if (Clock::now() - beat > silence / 4) {
        heartbeat();
        beat = Clock::now();
      }
      // A rank may have sent its part of the next hand-off already (only its part of this
      // one is taken): look at the first sender, then, if it is done, at each pending rank.
      int flag = 0;
      MPI_Status st;
      TE_RETURN_IF_ERROR(check("MPI_Iprobe", MPI_Iprobe(MPI_ANY_SOURCE, kTagHandOff, MPI_COMM_WORLD, &flag, &st)));
      auto waiting_for = [&](int r) { return !out[r] && !gone[r]; };
      if (flag && !waiting_for(st.MPI_SOURCE)) {
        flag = 0;
        for (int r = 0; r < size_ && !flag; ++r) {
          if (!waiting_for(r)) continue;
          TE_RETURN_IF_ERROR(check("MPI_Iprobe", MPI_Iprobe(r, kTagHandOff, MPI_COMM_WORLD, &flag, &st)));
        }
      }
      if (flag) {
        int count = 0;
        MPI_Get_count(&st, MPI_BYTE, &count);
        Bytes b(static_cast<size_t>(count));
        TE_RETURN_IF_ERROR(check("MPI_Recv", MPI_Recv(b.data(), count, MPI_BYTE, st.MPI_SOURCE, kTagHandOff,
                                                      MPI_COMM_WORLD, MPI_STATUS_IGNORE)));
        out[st.MPI_SOURCE] = std::move(b);
        --pending;
        pause.reset();
        continue;
      }
      const auto now = Clock::now();
      for (int r = 0; r < size_; ++r) {
        if (!waiting_for(r) || (now - heard[r] < silence && now < deadline)) continue;
        gone[r] = 1;
        lost_ranks.push_back(r);
        --pending;
      }
      pause.sleep();
    }
    *lost = lostText(lost_ranks, silence);
    return out;
  }

  bool hasPointToPoint() const override { return true; }
  Status post(int to, int channel, Bytes data) override {
    if (to < 0 || to >= size_ || to == rank_) return internalError("post: to rank " + std::to_string(to));
    return postbox_.post(to, channel, std::move(data));
  }
  Result<std::optional<Message>> receive(int from, int channel) override {
    TE_ASSIGN_OR_RETURN(std::optional<Message> m, postbox_.receive(from, channel));
    if (m) heard_[m->from] = Clock::now();
    return m;
  }
  std::vector<Clock::time_point> lastHeard() override {
    drainHeartbeats(nullptr);
    return heard_;
  }

  Result<Bytes> tell(const Bytes& data, int root, Deadline deadline, Clock::duration silence) override {
    if (rank_ == root) {
      if (data.size() > static_cast<size_t>(INT_MAX)) return internalError("tell: over 2 GiB");
      std::vector<MPI_Request> reqs;
      for (int r = 0; r < size_; ++r) {
        if (r == rank_) continue;
        reqs.emplace_back();
        TE_RETURN_IF_ERROR(check("MPI_Isend", MPI_Isend(data.data(), static_cast<int>(data.size()), MPI_BYTE, r,
                                                        kTagTell, MPI_COMM_WORLD, &reqs.back())));
      }
      for (auto& req : reqs) TE_RETURN_IF_ERROR(wait(&req, "word from the root", deadline));
      return data;
    }
    Bytes word;
    TE_RETURN_IF_ERROR(whileAlive(root, deadline, silence, [&](bool* done) -> Status {
      int flag = 0;
      MPI_Status st;
      TE_RETURN_IF_ERROR(check("MPI_Iprobe", MPI_Iprobe(root, kTagTell, MPI_COMM_WORLD, &flag, &st)));
      if (!flag) return Status::ok();
      int count = 0;
      MPI_Get_count(&st, MPI_BYTE, &count);
      word.resize(static_cast<size_t>(count));
      *done = true;
      return check("MPI_Recv", MPI_Recv(word.data(), count, MPI_BYTE, root, kTagTell, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    }));
    return word;
  }

 private:
  static uint64_t gatherRoundLimit() { return gather_round_limit; }

  // Every rank's message length, on every rank.
  Result<std::vector<uint64_t>> everyLength(uint64_t mine, const char* what, Deadline deadline) {
    std::vector<uint64_t> lens(size_);
    MPI_Request req;
    TE_RETURN_IF_ERROR(check("MPI_Iallgather", MPI_Iallgather(&mine, 1, MPI_UINT64_T, lens.data(), 1, MPI_UINT64_T,
                                                              MPI_COMM_WORLD, &req)));
    TE_RETURN_IF_ERROR(wait(&req, what, deadline));
    return lens;
  }

  static constexpr int kTagHeartbeat = 9001, kTagHandOff = 9002, kTagTell = 9003, kTagPost = 9010;

  // Growing sleeps between tests of what a rank waits for (as wait() below).
  struct Pause {
    Clock::time_point start = Clock::now();
    std::chrono::microseconds pause{10};
    void reset() { pause = std::chrono::microseconds(10); }
    void sleep() {
      std::this_thread::sleep_for(pause);
      const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
      pause = std::min(pause * 2, std::clamp(waited / 64, std::chrono::microseconds(1000), std::chrono::microseconds(10000)));
    }
  };

  // Heartbeats that arrived: each sender was alive when it sent it (into heard_, and into
  // `heard` when given).
  void drainHeartbeats(std::vector<Clock::time_point>* heard) {
    while (true) {
      int flag = 0;
      MPI_Status st;
      if (MPI_Iprobe(MPI_ANY_SOURCE, kTagHeartbeat, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS || !flag) return;
      uint8_t beat = 0;
      MPI_Recv(&beat, 0, MPI_BYTE, st.MPI_SOURCE, kTagHeartbeat, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      heard_[st.MPI_SOURCE] = Clock::now();
      if (heard) (*heard)[st.MPI_SOURCE] = heard_[st.MPI_SOURCE];
    }
  }

  // Calls poll(&done) until it sets done, while `from` lives: a rank silent (no heartbeat)
  // for `silence`, or still not done at `deadline`, is lost.
  template <typename Poll>
  Status whileAlive(int from, Deadline deadline, Clock::duration silence, Poll poll) {
    std::vector<Clock::time_point> heard(size_, Clock::now());
    Pause pause;
    while (true) {
      bool done = false;
      TE_RETURN_IF_ERROR(poll(&done));
      if (done) return Status::ok();
      drainHeartbeats(&heard);
      const auto now = Clock::now();
      if (now - heard[from] >= silence || now >= deadline) return deadlineExceeded(lostText({from}, silence));
      pause.sleep();
    }
  }

  std::string lostText(const std::vector<int>& ranks, Clock::duration silence) const {
    return silentRanksText(*this, ranks, silence);
  }

  static Status check(const char* what, int rc) {
    if (rc == MPI_SUCCESS) return Status::ok();
    return unavailable(std::string(what) + ": " + mpiError(rc));
  }

  static Status layout(const std::vector<uint64_t>& lens, std::vector<int>* counts, std::vector<int>* displs) {
    uint64_t total = 0;
    for (size_t r = 0; r < lens.size(); ++r) {
      // MPI counts and displacements are ints.
      if (total + lens[r] > static_cast<uint64_t>(INT_MAX)) {
        return internalError("bootstrap: the ranks' messages add up to over 2 GiB, more than one MPI collective carries");
      }
      (*counts)[r] = static_cast<int>(lens[r]);
      (*displs)[r] = static_cast<int>(total);
      total += lens[r];
    }
    return Status::ok();
  }

  static std::vector<Bytes> split(const std::vector<uint8_t>& flat, const std::vector<int>& counts,
                                  const std::vector<int>& displs) {
    std::vector<Bytes> out(counts.size());
    for (size_t r = 0; r < counts.size(); ++r) {
      out[r].assign(flat.begin() + displs[r], flat.begin() + displs[r] + counts[r]);
    }
    return out;
  }

  // Tests the request with growing sleeps (10 us .. 1 ms, then up to 1/64 of the time waited,
  // at most 10 ms): waiting ranks must not take the cores that the measuring ranks need, and a
  // rank that waits out a whole phase wakes ~100 times a second, not 1000, so it preempts the
  // measuring threads less, at a cost of under 2% of the time it waited.
  Status wait(MPI_Request* req, const char* what, Deadline deadline) {
    const auto start = Clock::now();
    auto pause = std::chrono::microseconds(10);
    while (true) {
      int done = 0;
      int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
      if (rc != MPI_SUCCESS) return check(what, rc);
      if (done) return Status::ok();
      if (Clock::now() > deadline) {
        // The request cannot be cancelled portably; the caller aborts the job.
        return deadlineExceeded(std::string("MPI ") + what + ": not every rank arrived before the deadline" +
                                " (a rank is stuck, dead, or far behind)");
      }
      std::this_thread::sleep_for(pause);
      const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
      const auto cap = std::clamp(waited / 64, std::chrono::microseconds(1000), std::chrono::microseconds(10000));
      pause = std::min(pause * 2, cap);
    }
  }

  const int rank_;
  const int size_;
  const std::string host_;
  const Clock::duration timeout_;
  std::vector<std::string> hostnames_;
  std::vector<Clock::time_point> heard_;  // the last heartbeat or message from each rank
  MpiPostbox postbox_{kTagPost};
};

// MPI_Init waits for every rank of the job: a rank that is frozen or never started holds
// the others forever. Past the deadline they leave, exit 1, with one line: rank 0 at the
// deadline; the others 2 s later, which mpirun spares them when rank 0 could leave (it ends
// the job at the first exit), so the line is printed once unless rank 0 is the one lost.
Status initWithWatchdog(Deadline deadline, const LauncherEnv& env) {
  const int rank = env.rank.value_or(0);
  const Deadline expiry = deadline + (rank == 0 ? std::chrono::seconds(0) : std::chrono::seconds(2));
  const double waited = std::chrono::duration<double>(expiry - Clock::now()).count();
  Watchdog watchdog(expiry, [rank, waited, expiry, &env] {
    // Woken well past its deadline: this process was the one stopped (and is being ended).
    if (Clock::now() - expiry > std::chrono::seconds(1)) {
      std::fprintf(stderr, "te_bench: rank %d (%s) was stopped past the MPI_Init deadline\n", rank,
                   env.hostname.c_str());
    } else {
      std::fprintf(stderr,
                   "te_bench: MPI_Init did not complete within %.0f s on rank %d (%s): another rank is frozen, "
                   "was lost or never started (--bootstrap-timeout)\n",
                   waited, rank, env.hostname.c_str());
    }
    std::fflush(stderr);
    std::_Exit(1);
  });
  stopHereForTests("mpi_init");
  int provided = 0;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  return rc == MPI_SUCCESS ? Status::ok() : unavailable("MPI_Init_thread: " + mpiError(rc));
}

}  // namespace

void setMpiGatherRoundLimitForTests(uint64_t bytes) { gather_round_limit = std::clamp<uint64_t>(bytes, 1, INT_MAX); }

Result<std::unique_ptr<Bootstrap>> createMpiBootstrap(Deadline deadline, const LauncherEnv& env) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  const Clock::duration timeout = std::max<Clock::duration>(deadline - Clock::now(), std::chrono::seconds(1));
  if (!initialized) TE_RETURN_IF_ERROR(initWithWatchdog(deadline, env));
  stopHereForTests("after_mpi_init");
  // Errors come back as codes, not as an abort inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  auto bootstrap = std::make_unique<MpiBootstrap>(rank, size, timeout, env.hostname);
  Status ready = bootstrap->init(deadline);
  if (!ready.isOk()) {
    // A rank did not arrive: MPI_Finalize would wait for it. Never finalized on a failure
    // path; the process leaves with the error, and the launcher ends the job.
    (void)bootstrap.release();
    return ready;
  }
  return std::unique_ptr<Bootstrap>(std::move(bootstrap));
}

}  // namespace te::bootstrap
