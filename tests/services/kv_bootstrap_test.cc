// The KV bootstrap against real servers, ranks as threads of this process (each with its own
// connection): collectives, concurrent jobs, a missing rank, a rank claimed twice, a job id
// reused after a crash, planted garbage, abort and dead-rank detection, a killed server.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "bootstrap/kv/kv_bootstrap.h"
#include "bootstrap/kv/kv_url.h"
#include "common/bytes.h"
#include "services_fixture.h"

namespace te::services_test {
namespace {

using namespace std::chrono_literals;
using bootstrap::kv::KeyLayout;
using bootstrap::kv::KvBootstrap;
using Body = std::function<Status(KvBootstrap&)>;

struct RankSpec {
  int rank;
  std::string host;
};

std::vector<RankSpec> ranks(int n) {
  std::vector<RankSpec> out;
  for (int r = 0; r < n; ++r) out.push_back({r, "host-" + std::string(1, static_cast<char>('a' + r))});
  return out;
}

std::string text(const Status& s) { return s.isOk() ? "OK" : s.message(); }

class KvBootstrapTest : public BackendTest {
 protected:
  // Runs each spec in a thread: connect, join `job`, run `body`, leave. Statuses by spec.
  std::vector<Status> runJob(const std::string& job, int size, const std::vector<RankSpec>& specs, const Body& body,
                             std::chrono::milliseconds timeout = 20s, std::chrono::milliseconds ttl = 10s,
                             const std::string& server_url = "") {
    std::vector<Status> out(specs.size());
    std::vector<std::thread> threads;
    const Deadline deadline = deadlineIn(timeout);
    for (size_t i = 0; i < specs.size(); ++i) {
      threads.emplace_back([&, i] {
        auto store = bootstrap::kv::connectKvStore({server_url.empty() ? url() : server_url, ttl, 2000ms});
        if (!store.isOk()) {
          out[i] = store.status();
          return;
        }
        auto bs = KvBootstrap::create(std::move(store).value(),
                                      {GetParam(), specs[i].rank, size, job, specs[i].host}, deadline);
        if (!bs.isOk()) {
          out[i] = bs.status();
          ++join_failures_;
          return;
        }
        out[i] = body(**bs);
      });
    }
    for (auto& t : threads) t.join();
    return out;
  }

  std::atomic<int> join_failures_{0};

  size_t keysLeft(const std::string& job) {
    auto s = connect();
    auto all = s->list(KeyLayout::jobPrefix(job), deadlineIn(5s));
    EXPECT_TRUE(all.isOk());
    return all.isOk() ? all->size() : 0;
  }
};

Bytes tagged(int from, int to, int round) {
  ByteWriter w;
  w.put<int32_t>(from).put<int32_t>(to).put<int32_t>(round);
  return w.take();
}

TEST_P(KvBootstrapTest, CollectivesDeliverEveryRanksBytesAndTheJobCleansUp) {
  const std::string job = uniqueName("coll");
  constexpr int kSize = 4, kRounds = 25;
  auto body = [&](KvBootstrap& bs) -> Status {
    const int me = bs.rank();
    if (bs.hostname(me) != "host-" + std::string(1, static_cast<char>('a' + me))) {
      return internalError("hostname of self: " + bs.hostname(me));
    }
    for (int round = 0; round < kRounds; ++round) {
      const Deadline d = deadlineIn(10s);
      TE_ASSIGN_OR_RETURN(auto all, bs.allGather(tagged(me, -1, round), d));
      for (int r = 0; r < kSize; ++r) {
        if (all[r] != tagged(r, -1, round)) return internalError("allGather: wrong bytes from " + std::to_string(r));
      }
      std::vector<Bytes> to_each;
      for (int r = 0; r < kSize; ++r) to_each.push_back(tagged(me, r, round));
      TE_ASSIGN_OR_RETURN(auto got, bs.allToAll(to_each, d));
      for (int r = 0; r < kSize; ++r) {
        if (got[r] != tagged(r, me, round)) return internalError("allToAll: wrong bytes from " + std::to_string(r));
      }
      TE_RETURN_IF_ERROR(bs.barrier(d));
      const int root = round % kSize;
      TE_ASSIGN_OR_RETURN(Bytes b, bs.broadcast(me == root ? tagged(root, root, round) : Bytes{1, 2, 3}, root, d));
      if (b != tagged(root, root, round)) return internalError("broadcast: wrong bytes");
    }
    // Old collectives are deleted as the job goes: only the last two remain per rank.
    return Status::ok();
  };
  auto statuses = runJob(job, kSize, ranks(kSize), body);
  for (int r = 0; r < kSize; ++r) EXPECT_TRUE(statuses[r].isOk()) << "rank " << r << ": " << text(statuses[r]);
  EXPECT_EQ(keysLeft(job), 0u) << "rank 0 deletes the job's keys once every rank left";
}

TEST_P(KvBootstrapTest, GatherReachesOnlyTheRootAndCostsTheOthersOneWrite) {
  const std::string job = uniqueName("gather");
  constexpr int kSize = 4, kRounds = 6;
  std::vector<uint64_t> non_root_round_trips(kSize, 0);
  auto body = [&](KvBootstrap& bs) -> Status {
    const int me = bs.rank();
    for (int round = 0; round < kRounds; ++round) {
      // Gathers back to back, to different roots: none of them may delete keys a root has
      // yet to read.
      for (int g = 0; g < 3; ++g) {
        const int root = (round + g) % kSize;
        const auto before = bs.stats();
        TE_ASSIGN_OR_RETURN(auto got, bs.gather(tagged(me, root, round), root, deadlineIn(10s)));
        if (me != root) {
          if (!got.empty()) return internalError("gather: a rank that is not the root received bytes");
          non_root_round_trips[me] = std::max<uint64_t>(non_root_round_trips[me], bs.stats().round_trips - before.round_trips);
          continue;
        }
        if (got.size() != kSize) return internalError("gather: the root got " + std::to_string(got.size()) + " parts");
        for (int r = 0; r < kSize; ++r) {
          if (got[r] != tagged(r, root, round)) return internalError("gather: wrong bytes from " + std::to_string(r));
        }
      }
      if (round % 2) TE_RETURN_IF_ERROR(bs.barrier(deadlineIn(10s)));
    }
    return bs.barrier(deadlineIn(10s));
  };
  auto statuses = runJob(job, kSize, ranks(kSize), body);
  for (int r = 0; r < kSize; ++r) {
    ASSERT_TRUE(statuses[r].isOk()) << "rank " << r << ": " << text(statuses[r]);
    EXPECT_EQ(non_root_round_trips[r], 1u) << "rank " << r << ": a gather it does not root is one write";
  }
  EXPECT_EQ(keysLeft(job), 0u) << "rank 0 deletes the job's keys once every rank left";
}

TEST_P(KvBootstrapTest, RoundTripsPerRankStayConstantPerCollective) {
  const std::string job = uniqueName("rtt");
  constexpr int kSize = 8;
  std::vector<uint64_t> writes_and_reads(kSize);
  auto body = [&](KvBootstrap& bs) -> Status {
    TE_RETURN_IF_ERROR(bs.barrier(deadlineIn(10s)));
    const auto before = bs.stats();
    TE_RETURN_IF_ERROR(bs.allGather(Bytes(4096, 1), deadlineIn(10s)).status());
    TE_RETURN_IF_ERROR(bs.allToAll(std::vector<Bytes>(kSize, Bytes(64, 2)), deadlineIn(10s)).status());
    const auto after = bs.stats();
    writes_and_reads[bs.rank()] = (after.round_trips - before.round_trips) - (after.polls - before.polls);
    return bs.barrier(deadlineIn(10s));
  };
  auto statuses = runJob(job, kSize, ranks(kSize), body);
  for (int r = 0; r < kSize; ++r) {
    ASSERT_TRUE(statuses[r].isOk()) << text(statuses[r]);
    // One write and one successful read per collective (plus a peer check if a wait was long).
    EXPECT_LE(writes_and_reads[r], 8u) << "rank " << r;
  }
}

TEST_P(KvBootstrapTest, TwoJobsOnOneServerNeverSeeEachOther) {
  const std::string job_a = uniqueName("jobA"), job_b = uniqueName("jobB");
  std::vector<Status> a, b;
  auto body_for = [&](const std::string& tag) {
    return [tag](KvBootstrap& bs) -> Status {
      for (int round = 0; round < 10; ++round) {
        Bytes mine(tag.begin(), tag.end());
        mine.push_back(static_cast<uint8_t>(bs.rank()));
        TE_ASSIGN_OR_RETURN(auto all, bs.allGather(mine, deadlineIn(10s)));
        for (int r = 0; r < bs.size(); ++r) {
          Bytes want(tag.begin(), tag.end());
          want.push_back(static_cast<uint8_t>(r));
          if (all[r] != want) return internalError(tag + ": saw another job's bytes");
        }
      }
      return Status::ok();
    };
  };
  std::thread ta([&] { a = runJob(job_a, 4, ranks(4), body_for("A")); });
  std::thread tb([&] { b = runJob(job_b, 3, ranks(3), body_for("B")); });
  ta.join();
  tb.join();
  for (auto& s : a) EXPECT_TRUE(s.isOk()) << text(s);
  for (auto& s : b) EXPECT_TRUE(s.isOk()) << text(s);
}

TEST_P(KvBootstrapTest, MissingRankTimesOutNamingIt) {
  const std::string job = uniqueName("missing");
  const auto t0 = Clock::now();
  auto specs = ranks(4);
  specs.pop_back();  // rank 3 never starts
  auto statuses = runJob(job, 4, specs, [](KvBootstrap&) { return Status::ok(); }, 2s);
  EXPECT_LT(Clock::now() - t0, 6s);
  for (size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_FALSE(statuses[i].isOk()) << "rank " << i;
    EXPECT_NE(statuses[i].message().find("rank 3 of 4 did not arrive"), std::string::npos)
        << "rank " << i << ": " << text(statuses[i]);
  }
  EXPECT_EQ(statuses[0].code(), StatusCode::kDeadlineExceeded);

  // Without rank 0 the others say that rank 0 is missing.
  specs = ranks(3);
  specs.erase(specs.begin());
  statuses = runJob(uniqueName("missing0"), 3, specs, [](KvBootstrap&) { return Status::ok(); }, 1s);
  for (auto& s : statuses) {
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << text(s);
    EXPECT_NE(s.message().find("rank 0 did not arrive"), std::string::npos) << text(s);
  }
}

// A run: a barrier every 100 ms for 8 s (longer than a duplicate takes to be found with a
// 2 s TTL), as a te_bench run meets its peers between phases.
Status runForEightSeconds(KvBootstrap& bs) {
  for (const auto end = Clock::now() + 8s; Clock::now() < end;) {
    TE_RETURN_IF_ERROR(bs.barrier(deadlineIn(10s)));
    std::this_thread::sleep_for(100ms);
  }
  return Status::ok();
}

// A rank claimed twice (the same --job-id launched twice, or --rank given twice): the loser
// names both hosts, and the job it collided with is ended too, so no process runs in a job
// that mixes two launches.
TEST_P(KvBootstrapTest, RankClaimedTwiceNamesBothHostsAndEndsTheJob) {
  for (int dup : {1, 0}) {
    const std::string job = uniqueName("dup");
    std::vector<RankSpec> specs = {{0, "host-a"}, {1, "host-b"}, {2, "host-c"}, {dup, "host-dup"}};
    auto statuses = runJob(job, 3, specs, runForEightSeconds, 20s, 2s);
    int losers = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
      EXPECT_EQ(statuses[i].code(), StatusCode::kInvalidArgument) << specs[i].host << ": " << text(statuses[i]);
      if (statuses[i].message().find("ended the job") != std::string::npos) {
        EXPECT_NE(statuses[i].message().find("launched twice"), std::string::npos) << text(statuses[i]);
        continue;
      }
      EXPECT_NE(statuses[i].message().find("already held by a live process"), std::string::npos) << text(statuses[i]);
      ++losers;
      EXPECT_EQ(specs[i].rank, dup);
      const std::string other = specs[i].host == "host-dup" ? (dup == 0 ? "host-a" : "host-b") : "host-dup";
      EXPECT_NE(statuses[i].message().find(specs[i].host), std::string::npos) << text(statuses[i]);
      EXPECT_NE(statuses[i].message().find(other), std::string::npos) << text(statuses[i]);
    }
    EXPECT_EQ(losers, 1) << "duplicate rank " << dup;
  }
}

// Two launches of one job id at once: every process of both fails, none runs a job of the
// other's ranks, and neither runs after the other.
TEST_P(KvBootstrapTest, SameJobIdLaunchedTwiceAtOnceFailsEveryProcess) {
  const std::string job = uniqueName("twice");
  std::vector<RankSpec> specs = {{0, "first-0"}, {1, "first-1"}, {0, "second-0"}, {1, "second-1"}};
  auto statuses = runJob(job, 2, specs, runForEightSeconds, 20s, 2s);
  for (size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(statuses[i].code(), StatusCode::kInvalidArgument) << specs[i].host << ": " << text(statuses[i]);
    EXPECT_NE(statuses[i].message().find(job), std::string::npos) << text(statuses[i]);
  }
}

// One redis command over a plain socket (RESP), its raw reply: the test plants what te_bench
// never writes.
std::string redisCommand(const bootstrap::kv::HostPort& at, const std::vector<std::string>& args) {
  std::string request = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) request += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(at.port));
  ::inet_pton(AF_INET, at.host.c_str(), &addr.sin_addr);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) reply.assign(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

// A key of another type (a redis list) where the epoch belongs: every rank fails at once,
// naming the key, instead of rank 0 failing and the others waiting out the timeout.
TEST_P(KvBootstrapTest, RedisKeyOfTheWrongTypeFailsEveryRankAtOnce) {
  if (GetParam() != "redis") GTEST_SKIP() << "redis only: etcd keys have no type";
  using namespace bootstrap::kv;
  const std::string job = uniqueName("wrongtype");
  auto parsed = parseKvUrl(url());
  ASSERT_TRUE(parsed.isOk());
  ASSERT_EQ(redisCommand(parsed->endpoints[0], {"RPUSH", KeyLayout::epochKey(job), "x"}), ":1\r\n");
  const auto t0 = Clock::now();
  auto statuses = runJob(job, 3, ranks(3), [](KvBootstrap&) { return Status::ok(); }, 20s);
  EXPECT_LT(Clock::now() - t0, 5s);
  for (const Status& s : statuses) {
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << text(s);
    EXPECT_NE(s.message().find("WRONGTYPE"), std::string::npos) << text(s);
    EXPECT_NE(s.message().find("redis-cli del " + KeyLayout::epochKey(job)), std::string::npos) << text(s);
  }
  EXPECT_EQ(redisCommand(parsed->endpoints[0], {"DEL", KeyLayout::epochKey(job)}), ":1\r\n");
}

// Keys of an earlier run of this job id that crashed: its epoch, claims, roster and a
// collective, written by a store whose keep-alive then stops (as when a process dies).
void plantCrashedJob(const std::string& url, const std::string& job, bool with_roster) {
  using namespace bootstrap::kv;
  auto store = connectKvStore({url, 2000ms, 2000ms});
  ASSERT_TRUE(store.isOk()) << store.status().message();
  const uint64_t epoch = 0x0123456789abcdefULL;
  KeyLayout keys(job, epoch);
  std::vector<Identity> old;
  for (int r = 0; r < 4; ++r) old.push_back({"old-host", 1000 + r, 500u + r});
  std::vector<KeyValue> puts = {{KeyLayout::epochKey(job), encodeEpoch({epoch, 4, old[0]})}};
  for (int r = 0; r < 4; r += with_roster ? 1 : 2) puts.push_back({keys.claimKey(r), encodeClaim({epoch, r, 4, old[r]})});
  if (with_roster) {
    puts.push_back({keys.rosterKey(), encodeRoster({epoch, old})});
    for (int r = 0; r < 4; ++r) {
      puts.push_back({keys.opPrefix(0) + std::to_string(r), encodeOpValue(epoch, 0, r, old[r].instance, Bytes{9})});
    }
  }
  ASSERT_TRUE((*store)->write(puts, {}, deadlineIn(5s)).isOk());
}  // the store goes: its keys expire within 2 s

TEST_P(KvBootstrapTest, JobIdReusedAfterACrashDoesNotSeeStaleKeys) {
  for (bool with_roster : {true, false}) {
    const std::string job = uniqueName("stale");
    plantCrashedJob(url(), job, with_roster);
    // The new run may have another size than the crashed one (4).
    const int size = with_roster ? 4 : 3;
    auto statuses = runJob(job, size, ranks(size), [](KvBootstrap& bs) -> Status {
      TE_ASSIGN_OR_RETURN(auto all, bs.allGather(Bytes{static_cast<uint8_t>(bs.rank())}, deadlineIn(10s)));
      for (int r = 0; r < bs.size(); ++r) {
        if (all[r] != Bytes{static_cast<uint8_t>(r)}) return internalError("stale value from rank " + std::to_string(r));
        if (bs.hostname(r) == "old-host") return internalError("stale roster");
      }
      return Status::ok();
    });
    for (auto& s : statuses) EXPECT_TRUE(s.isOk()) << (with_roster ? "after roster: " : "during join: ") << text(s);
  }
}

TEST_P(KvBootstrapTest, JobIdHeldByALiveJobIsRefusedNamingBothHosts) {
  using namespace bootstrap::kv;
  const std::string job = uniqueName("live");
  KvStorePtr holder = connect(2000ms);  // alive (keep-alive running) for the whole test
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder->put(KeyLayout::epochKey(job), encodeEpoch({77, 2, {"other-host", 4242, 1}}), deadlineIn(5s)).isOk());
  const auto t0 = Clock::now();
  auto statuses = runJob(job, 2, {{0, "host-a"}}, [](KvBootstrap&) { return Status::ok(); }, 20s, 2s);
  EXPECT_LT(Clock::now() - t0, 10s);
  EXPECT_EQ(statuses[0].code(), StatusCode::kInvalidArgument) << text(statuses[0]);
  EXPECT_NE(statuses[0].message().find("other-host pid 4242"), std::string::npos) << text(statuses[0]);
  EXPECT_NE(statuses[0].message().find("host host-a"), std::string::npos) << text(statuses[0]);
}

TEST_P(KvBootstrapTest, GarbageUnderTheJobPrefixIsAnErrorNotACrash) {
  using namespace bootstrap::kv;
  // A foreign value where the epoch belongs.
  {
    const std::string job = uniqueName("garbage-epoch");
    KvStorePtr planter = connect();
    ASSERT_TRUE(planter->put(KeyLayout::epochKey(job), bytesOf("{\"not\": \"ours\"}"), deadlineIn(5s)).isOk());
    auto statuses = runJob(job, 2, ranks(2), [](KvBootstrap&) { return Status::ok(); }, 10s);
    for (auto& s : statuses) {
      EXPECT_EQ(s.code(), StatusCode::kInternal) << text(s);
      EXPECT_NE(s.message().find("not a te_bench epoch (bad magic)"), std::string::npos) << text(s);
      EXPECT_NE(s.message().find(KeyLayout::epochKey(job)), std::string::npos) << text(s);
    }
  }
  // Garbage, and a well-formed value of another epoch, where a rank's contribution belongs.
  for (bool well_formed : {false, true}) {
    const std::string job = uniqueName("garbage-op");
    KvStorePtr planter = connect();
    std::atomic<bool> rank0_done{false};
    auto statuses = runJob(job, 2, ranks(2), [&](KvBootstrap& bs) -> Status {
      if (bs.rank() == 1) {
        const auto end = Clock::now() + 10s;
        while (!rank0_done && Clock::now() < end) std::this_thread::sleep_for(10ms);
        return Status::ok();
      }
      Bytes junk = well_formed ? encodeOpValue(1, 0, 1, 1, Bytes{1}) : Bytes{0xde, 0xad, 0xbe, 0xef};
      Status planted = planter->put(bs.keys().opPrefix(0) + "1", junk, deadlineIn(5s));
      Status s = planted.isOk() ? bs.allGather(Bytes{0}, deadlineIn(5s)).status() : planted;
      rank0_done = true;
      return s;
    });
    EXPECT_EQ(statuses[0].code(), StatusCode::kInternal) << text(statuses[0]);
    EXPECT_NE(statuses[0].message().find("rank 1 (host-b)"), std::string::npos) << text(statuses[0]);
    EXPECT_NE(statuses[0].message().find(well_formed ? "written for epoch" : "bad magic"), std::string::npos)
        << text(statuses[0]);
  }
}

TEST_P(KvBootstrapTest, AbortOrDeadRankStopsTheOthersQuickly) {
  using namespace bootstrap::kv;
  for (bool abort : {true, false}) {
    const std::string job = uniqueName(abort ? "abort" : "dead");
    KvStorePtr side = connect();
    std::vector<double> waited(4);
    auto statuses = runJob(job, 4, ranks(4), [&](KvBootstrap& bs) -> Status {
      if (bs.rank() == 3) {
        // Rank 3 "dies": an abort record (abortJob) or its claim gone (lease expired).
        Status s = abort ? side->put(bs.keys().abortKey(), encodeAbort({3, 1, "host-d", "boom"}), deadlineIn(5s))
                         : side->remove({bs.keys().claimKey(3)}, deadlineIn(5s));
        std::this_thread::sleep_for(2500ms);
        return s;
      }
      const auto t0 = Clock::now();
      Status s = bs.barrier(deadlineIn(20s));
      waited[bs.rank()] = std::chrono::duration<double>(Clock::now() - t0).count();
      return s;
    });
    EXPECT_TRUE(statuses[3].isOk()) << text(statuses[3]);
    for (int r = 0; r < 3; ++r) {
      EXPECT_EQ(statuses[r].code(), StatusCode::kUnavailable) << text(statuses[r]);
      EXPECT_NE(statuses[r].message().find(abort ? "rank 3 (host-d) ended the job: boom" : "rank 3 (host-d) is gone"),
                std::string::npos)
          << text(statuses[r]);
      EXPECT_LT(waited[r], 2.5) << "rank " << r << " waited for the barrier";
    }
  }
}

TEST_P(KvBootstrapTest, ServerKilledDuringTheJoinIsAnErrorNotAHang) {
  std::string why;
  auto own = ServiceServer::start(GetParam(), &why);
  ASSERT_TRUE(own) << why;
  std::thread killer([&] {
    std::this_thread::sleep_for(1500ms);
    own->killNow();
  });
  const auto t0 = Clock::now();
  auto specs = ranks(4);
  specs.pop_back();  // they wait for rank 3 when the server dies
  auto statuses = runJob(uniqueName("killed"), 4, specs, [](KvBootstrap&) { return Status::ok(); }, 60s, 10s,
                         own->url());
  killer.join();
  EXPECT_LT(Clock::now() - t0, 8s);
  const std::string hostport = own->url().substr(own->url().find("://") + 3);
  for (auto& s : statuses) {
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << text(s);
    EXPECT_NE(s.message().find(hostport), std::string::npos) << text(s);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, KvBootstrapTest, ::testing::Values("etcd", "redis"), backendName);

}  // namespace
}  // namespace te::services_test
