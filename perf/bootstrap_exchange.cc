// te_bootstrap_exchange: times a full endpoint exchange through a bootstrap, the way the
// engine connects: allGather of --gather-bytes per rank, then allToAll of --pair-bytes per
// pair, --iterations times after a warm-up, and counts the KV round trips each rank makes.
// Rank 0 prints one JSON line. Driven by perf/bootstrap_scaling.sh:
//   mpirun -np 16 te_bootstrap_exchange --bootstrap mpi
//   jobs/launch_local.sh 16 -- te_bootstrap_exchange --bootstrap etcd://127.0.0.1:2379
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "bootstrap/factory.h"
#include "bootstrap/kv/kv_bootstrap.h"

namespace {

using namespace te;

struct Args {
  bootstrap::BootstrapOptions bootstrap;
  int iterations = 5;
  size_t gather_bytes = 4096;
  size_t pair_bytes = 64;
};

bool parse(int argc, char** argv, Args* a) {
  a->bootstrap.timeout = std::chrono::milliseconds(300000);
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (flag == "--bootstrap") a->bootstrap.spec = v;
    else if (flag == "--rank") a->bootstrap.rank = std::atoi(v.c_str());
    else if (flag == "--size") a->bootstrap.size = std::atoi(v.c_str());
    else if (flag == "--job-id") a->bootstrap.job_id = v;
    else if (flag == "--iterations") a->iterations = std::max(1, std::atoi(v.c_str()));
    else if (flag == "--gather-bytes") a->gather_bytes = std::strtoull(v.c_str(), nullptr, 10);
    else if (flag == "--pair-bytes") a->pair_bytes = std::strtoull(v.c_str(), nullptr, 10);
    else return false;
  }
  return true;
}

struct RankReport {
  double setup_s = 0;
  double exchange_s[64] = {};
  uint64_t round_trips = 0;  // per exchange, excluding polls that found keys missing
  uint64_t polls = 0;        // per exchange
  uint64_t bytes_sent = 0;   // per exchange
  uint64_t bytes_received = 0;
};

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int run(const Args& a) {
  const auto t0 = Clock::now();
  auto created = bootstrap::createBootstrap(a.bootstrap, launcherEnv());
  if (!created.isOk()) {
    std::cerr << "te_bootstrap_exchange: " << created.status().message() << std::endl;
    return 1;
  }
  bootstrap::Bootstrap& bs = **created;
  const auto* kv = dynamic_cast<const bootstrap::kv::KvBootstrap*>(&bs);
  RankReport me;
  me.setup_s = seconds(Clock::now() - t0);
  const int n = bs.size();
  const int iterations = std::min(a.iterations, 64);
  auto fail = [&](const Status& s) {
    std::cerr << "te_bootstrap_exchange rank " << bs.rank() << ": " << s.message() << std::endl;
    return 1;
  };
  bootstrap::kv::KvStats total;  // summed over the measured exchanges, barriers excluded
  for (int it = -1; it < iterations; ++it) {  // -1: warm-up
    const Deadline d = deadlineIn(std::chrono::seconds(300));
    Status s = bs.barrier(d);
    if (!s.isOk()) return fail(s);
    const bootstrap::kv::KvStats before = kv ? kv->stats() : bootstrap::kv::KvStats{};
    const auto start = Clock::now();
    auto g = bs.allGather(Bytes(a.gather_bytes, static_cast<uint8_t>(bs.rank())), d);
    if (!g.isOk()) return fail(g.status());
    auto t = bs.allToAll(std::vector<Bytes>(n, Bytes(a.pair_bytes, 7)), d);
    if (!t.isOk()) return fail(t.status());
    if (it < 0) continue;
    me.exchange_s[it] = seconds(Clock::now() - start);
    if (kv) {
      const auto& after = kv->stats();
      total.round_trips += after.round_trips - before.round_trips;
      total.polls += after.polls - before.polls;
      total.bytes_sent += after.bytes_sent - before.bytes_sent;
      total.bytes_received += after.bytes_received - before.bytes_received;
    }
  }
  me.round_trips = (total.round_trips - total.polls) / iterations;
  me.polls = total.polls / iterations;
  me.bytes_sent = total.bytes_sent / iterations;
  me.bytes_received = total.bytes_received / iterations;
  Bytes blob(sizeof(RankReport));
  std::memcpy(blob.data(), &me, sizeof(RankReport));
  auto all = bs.allGather(blob, deadlineIn(std::chrono::seconds(300)));
  if (!all.isOk()) return fail(all.status());
  if (bs.rank() == 0) {
    std::vector<RankReport> reports(n);
    for (int r = 0; r < n; ++r) {
      if ((*all)[r].size() != sizeof(RankReport)) return fail(internalError("odd report size from a rank"));
      std::memcpy(&reports[r], (*all)[r].data(), sizeof(RankReport));
    }
    std::vector<double> per_iteration;  // the slowest rank's time per exchange
    for (int it = 0; it < iterations; ++it) {
      double worst = 0;
      for (const auto& rep : reports) worst = std::max(worst, rep.exchange_s[it]);
      per_iteration.push_back(worst);
    }
    std::sort(per_iteration.begin(), per_iteration.end());
    double setup = 0, rtt_max = 0, rtt_sum = 0, polls_sum = 0, sent = 0, received = 0;
    for (const auto& rep : reports) {
      setup = std::max(setup, rep.setup_s);
      rtt_max = std::max<double>(rtt_max, rep.round_trips);
      rtt_sum += rep.round_trips;
      polls_sum += rep.polls;
      sent += rep.bytes_sent;
      received += rep.bytes_received;
    }
    std::printf(
        "{\"bootstrap\": \"%s\", \"ranks\": %d, \"setup_s\": %.3f, \"exchange_ms_median\": %.2f, "
        "\"exchange_ms_max\": %.2f, \"round_trips_per_rank\": %s, \"round_trips_per_rank_max\": %s, "
        "\"polls_per_rank\": %s, \"kib_sent_per_rank\": %s, \"kib_received_per_rank\": %s}\n",
        bs.kind().c_str(), n, setup, 1e3 * per_iteration[per_iteration.size() / 2], 1e3 * per_iteration.back(),
        kv ? std::to_string(rtt_sum / n).c_str() : "null", kv ? std::to_string(rtt_max).c_str() : "null",
        kv ? std::to_string(polls_sum / n).c_str() : "null",
        kv ? std::to_string(sent / n / 1024).c_str() : "null", kv ? std::to_string(received / n / 1024).c_str() : "null");
  }
  Status s = bs.barrier(deadlineIn(std::chrono::seconds(60)));
  return s.isOk() ? 0 : fail(s);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, &a)) {
    std::cerr << "usage: te_bootstrap_exchange --bootstrap mpi|etcd://h:p|redis://h:p [--rank R --size N --job-id J]"
                 " [--iterations 5] [--gather-bytes 4096] [--pair-bytes 64]"
              << std::endl;
    return 2;
  }
  return run(a);
}
