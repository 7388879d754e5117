// The real te_bench binary over etcd and redis, as separate processes (jobs/launch_local.sh
// or started one by one): the full matrix in the JSON report, two jobs at once on one server,
// a rank that never comes, the server killed during the exchange, a job id reused after a
// crash, a job id in use, garbage under the job's prefix.
#include <signal.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bootstrap/kv/kv_records.h"
#include "services_fixture.h"

namespace te::services_test {
namespace {

using namespace std::chrono_literals;
using bootstrap::kv::KeyLayout;

const std::vector<std::string> kRunFlags = {"--transport", "tcp",     "--buffer-size", "16M", "--duration",
                                            "0.5",         "--warmup", "0.1",           "--threads", "2"};

class TeBenchServicesTest : public BackendTest {
 protected:
  std::vector<std::string> rankArgs(const std::string& url, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {TE_BENCH_PATH, "--bootstrap", url};
    argv.insert(argv.end(), kRunFlags.begin(), kRunFlags.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // launch_local.sh N -- te_bench ... --json FILE; returns the run and the parsed report.
  RunResult launch(int n, const std::string& job, const std::string& json_path, std::vector<std::string> extra = {},
                   const std::string& server_url = "", std::map<std::string, std::string> env = {}) {
    extra.insert(extra.end(), {"--json", json_path, "--bootstrap-timeout", "30"});
    std::vector<std::string> argv = {LAUNCH_LOCAL_PATH, std::to_string(n), "--"};
    auto te = rankArgs(server_url.empty() ? url() : server_url, extra);
    argv.insert(argv.end(), te.begin(), te.end());
    env.insert({{"TE_JOB_ID", job}, {"TE_LAUNCH_TIMEOUT", "80"}});
    return runToEnd(argv, 90s, env);
  }

  std::unique_ptr<ChildProcess> startRank(int rank, int size, const std::string& job, std::vector<std::string> extra,
                                          const std::string& server_url = "") {
    extra.insert(extra.end(), {"--rank", std::to_string(rank), "--size", std::to_string(size), "--job-id", job});
    return ChildProcess::start(rankArgs(server_url.empty() ? url() : server_url, extra));
  }

  std::string tempJson(const std::string& stem) { return "/tmp/" + uniqueName("te_services_" + stem) + ".json"; }

  // The whole matrix measured: 12 links for 4 ranks, each with bytes moved.
  void expectFullMatrix(const std::string& json_path, int n) {
    std::ifstream in(json_path);
    ASSERT_TRUE(in.good()) << "no report at " << json_path;
    nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << "report is not JSON";
    ASSERT_TRUE(report["results"].is_array() && !report["results"].empty());
    const auto& links = report["results"][0]["links"];
    ASSERT_TRUE(links.is_array());
    EXPECT_EQ(links.size(), static_cast<size_t>(n * (n - 1)));
    for (const auto& l : links) EXPECT_GT(l.value("bytes_per_second", 0.0), 0.0) << l.dump();
    EXPECT_EQ(report["world"].value("bootstrap", ""), GetParam());
    EXPECT_EQ(report["world"].value("size", 0), n);
    std::remove(json_path.c_str());
  }

  size_t keysLeft(const std::string& job) {
    auto s = connect();
    auto all = s->list(KeyLayout::jobPrefix(job), deadlineIn(5s));
    return all.isOk() ? all->size() : 999;
  }

  // Waits until a key under the job's prefix ends with `suffix` (the run reached that point).
  bool waitForKey(const std::string& job, const std::string& suffix, int count, std::chrono::seconds timeout) {
    auto s = connect();
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      auto all = s->list(KeyLayout::jobPrefix(job), deadlineIn(5s));
      int n = 0;
      if (all.isOk()) {
        for (const auto& [k, v] : *all) n += k.find(suffix) != std::string::npos;
      }
      if (n >= count) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

TEST_P(TeBenchServicesTest, FourRanksMeasureTheFullMatrix) {
  const std::string job = uniqueName("full");
  const std::string json = tempJson("full");
  RunResult r = launch(4, job, json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expectFullMatrix(json, 4);
  EXPECT_EQ(keysLeft(job), 0u) << "the job's keys are deleted at exit";
}

TEST_P(TeBenchServicesTest, TwoJobsAtOnceOnOneServer) {
  const std::string json_a = tempJson("jobA"), json_b = tempJson("jobB");
  RunResult a, b;
  std::thread ta([&] { a = launch(4, uniqueName("concurrentA"), json_a); });
  std::thread tb([&] { b = launch(4, uniqueName("concurrentB"), json_b); });
  ta.join();
  tb.join();
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  expectFullMatrix(json_a, 4);
  expectFullMatrix(json_b, 4);
}

TEST_P(TeBenchServicesTest, MissingRankStopsTheOthersAtTheBootstrapTimeoutNamingIt) {
  const std::string job = uniqueName("missing");
  std::vector<std::unique_ptr<ChildProcess>> procs;
  const auto t0 = Clock::now();
  for (int r = 0; r < 3; ++r) procs.push_back(startRank(r, 4, job, {"--bootstrap-timeout", "3"}));
  for (auto& p : procs) {
    auto code = p->wait(20s);
    ASSERT_TRUE(code) << "rank still running 20 s after a 3 s bootstrap timeout";
    EXPECT_EQ(*code, 1) << p->output();
    EXPECT_NE(p->output().find("rank 3 of 4 did not arrive"), std::string::npos) << p->output();
  }
  EXPECT_LT(Clock::now() - t0, 10s);
}

TEST_P(TeBenchServicesTest, ServerKilledDuringTheExchangeIsAClearErrorNotAHang) {
  std::string why;
  auto own = ServiceServer::start(GetParam(), &why);
  ASSERT_TRUE(own) << why;
  const std::string job = uniqueName("killed");
  std::vector<std::unique_ptr<ChildProcess>> procs;
  for (int r = 0; r < 3; ++r) procs.push_back(startRank(r, 4, job, {"--bootstrap-timeout", "60"}, own->url()));
  // Ranks 0..2 are in the exchange (waiting for rank 3) when the server dies.
  {
    auto s = bootstrap::kv::connectKvStore({own->url(), 10000ms, 2000ms});
    ASSERT_TRUE(s.isOk());
    const auto end = Clock::now() + 20s;
    size_t claims = 0;
    while (Clock::now() < end && claims < 3) {
      auto all = (*s)->list(KeyLayout::jobPrefix(job), deadlineIn(5s));
      claims = 0;
      if (all.isOk()) {
        for (const auto& [k, v] : *all) claims += k.find("/claim/") != std::string::npos;
      }
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(claims, 3u);
  }
  own->killNow();
  const std::string hostport = own->url().substr(own->url().find("://") + 3);
  for (auto& p : procs) {
    auto code = p->wait(10s);
    ASSERT_TRUE(code) << "rank hangs after the server died";
    const std::string out = p->output();
    EXPECT_EQ(*code, 1) << out;
    EXPECT_NE(out.find(hostport), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line:\n" << out;
  }
}

TEST_P(TeBenchServicesTest, JobIdReusedAfterACrashRunsCleanly) {
  const std::string job = uniqueName("crashed");
  std::vector<std::unique_ptr<ChildProcess>> procs;
  for (int r = 0; r < 4; ++r) procs.push_back(startRank(r, 4, job, {"--duration", "20"}));
  ASSERT_TRUE(waitForKey(job, "/roster", 1, 30s)) << procs[0]->output();
  std::this_thread::sleep_for(500ms);  // measuring now
  for (auto& p : procs) p->kill(SIGKILL);
  for (auto& p : procs) p->wait(5s);
  ASSERT_GT(keysLeft(job), 0u) << "a crash leaves keys behind";
  const std::string json = tempJson("reused");
  RunResult r = launch(4, job, json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expectFullMatrix(json, 4);
}

TEST_P(TeBenchServicesTest, JobIdInUseByARunningJobIsRefused) {
  const std::string job = uniqueName("inuse");
  std::vector<std::string> argv = {LAUNCH_LOCAL_PATH, "4", "--"};
  auto te = rankArgs(url(), {"--duration", "10"});
  argv.insert(argv.end(), te.begin(), te.end());
  auto first = ChildProcess::start(argv, {{"TE_JOB_ID", job}});
  ASSERT_TRUE(waitForKey(job, "/roster", 1, 30s)) << first->output();
  RunResult second = runToEnd(rankArgs(url(), {"--rank", "0", "--size", "4", "--job-id", job}), 40s);
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_NE(second.output.find("already held by a live process"), std::string::npos) << second.output;
  // Two launches of one job id: the first one ends too (its 6 phases of 10 s would take a
  // minute), saying why: exit 2 from the rank that read why, or 1 from one whose peer left
  // first; never a signal.
  std::optional<int> first_exit = first->wait(20s);
  if (!first_exit) first->kill(SIGTERM);  // launch_local.sh stops its ranks
  EXPECT_TRUE(first_exit == 2 || first_exit == 1) << first_exit.value_or(-1) << "\n" << first->output();
  EXPECT_NE(first->output().find("launched twice"), std::string::npos) << first->output();
}

TEST_P(TeBenchServicesTest, GarbageUnderTheJobPrefixIsAnErrorNotACrash) {
  const std::string job = uniqueName("garbage");
  auto planter = connect();
  ASSERT_TRUE(planter->put(KeyLayout::epochKey(job), bytesOf("garbage \xff\x00 value"), deadlineIn(5s)).isOk());
  RunResult r = launch(2, job, tempJson("garbage"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("not a te_bench epoch"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("core dumped"), std::string::npos) << r.output;
}

// jobs/launch_local.sh itself, with a stand-in program that gets --rank I --size N --job-id J.
TEST(LaunchLocal, FirstFailureStopsTheOthersAndIsTheExitCode) {
  // Rank 1 fails with 7; the others would sleep for a minute.
  RunResult r = runToEnd({LAUNCH_LOCAL_PATH, "3", "--", "sh", "-c",
                          "if [ \"$2\" = 1 ]; then sleep 0.3; exit 7; fi; exec sleep 60", "rank"},
                         30s, {{"TE_LAUNCH_GRACE", "1"}});
  EXPECT_EQ(r.exit_code, 7) << r.output;
  EXPECT_LT(r.seconds, 10.0) << r.output;
  EXPECT_NE(r.output.find("rank 1"), std::string::npos) << r.output;
}

TEST(LaunchLocal, PassesRankSizeAndOneJobIdAndReturnsZero) {
  RunResult r = runToEnd({LAUNCH_LOCAL_PATH, "3", "--", "sh", "-c", "echo \"got $*\"", "rank"}, 30s,
                         {{"TE_JOB_ID", "job-x"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(r.output.find("got --rank " + std::to_string(i) + " --size 3 --job-id job-x"), std::string::npos)
        << r.output;
  }
}

TEST(LaunchLocal, TimeoutStopsEveryRankWith124) {
  RunResult r = runToEnd({LAUNCH_LOCAL_PATH, "2", "--", "sh", "-c", "exec sleep 60", "rank"}, 30s,
                         {{"TE_LAUNCH_TIMEOUT", "1"}, {"TE_LAUNCH_GRACE", "1"}});
  EXPECT_EQ(r.exit_code, 124) << r.output;
  EXPECT_LT(r.seconds, 10.0) << r.output;
}
// Rank 1 frozen (SIGSTOP) at its third phase: rank 0 learns it from the claim key that
// expires with the frozen process's lease, writes the report of what was measured, says who
// and exits 1; the others stop at its abort marker. Nothing waits past --timeout + 10 s of
// the freeze (the lease: 10 s).
TEST_P(TeBenchServicesTest, ARankFrozenMidRunLeavesTheReportAndTheOthersLeave) {
  const std::string job = uniqueName("frozen");
  const std::string json = tempJson("frozen");
  const std::map<std::string, std::string> env = {{"TE_TEST_STOP_AT", "phase3:1"}};
  std::vector<std::unique_ptr<ChildProcess>> procs;
  const auto t0 = Clock::now();
  for (int r = 0; r < 3; ++r) {
    std::vector<std::string> extra = {"--rank", std::to_string(r), "--size", "3", "--job-id", job, "--timeout", "4",
                                      "--no-retest", "--duration", "0.3", "--warmup", "0.05"};
    if (r == 0) extra.insert(extra.end(), {"--json", json});
    procs.push_back(ChildProcess::start(rankArgs(url(), extra), env));
  }
  for (int r : {0, 2}) {
    auto code = procs[r]->wait(40s);
    ASSERT_TRUE(code) << "rank " << r << " still running 40 s after the start\n" << procs[r]->output();
    EXPECT_EQ(*code, 1) << procs[r]->output();
  }
  EXPECT_LT(Clock::now() - t0, 4s + 10s + 6s) << "start-up and two phases, then the freeze";
  EXPECT_NE(procs[0]->output().find("rank 1 ("), std::string::npos) << procs[0]->output();
  procs[1]->kill(SIGKILL);
  procs[1]->wait(5s);
  std::ifstream in(json);
  ASSERT_TRUE(in.good()) << procs[0]->output();
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["complete"], false);
  EXPECT_NE(report.value("failure", "").find("rank 1 ("), std::string::npos) << report.value("failure", "");
  const auto& links = report["results"][0]["links"];
  EXPECT_EQ(links.size(), 6u);
  for (const auto& l : links) {
    const int phase = l["phase"];
    if (phase < 2) {
      EXPECT_EQ(l["status"], "ok") << l.dump();
    } else if (phase > 2) {
      EXPECT_EQ(l["status"], "not_measured") << l.dump();
    }
  }
  std::remove(json.c_str());
}
// Rank 0 frozen at its second phase: the others, waiting for its word, see its claim key
// expire and leave, exit 1, naming it.
TEST_P(TeBenchServicesTest, ARootFrozenMidRunIsNamedByTheOthers) {
  const std::string job = uniqueName("frozen0");
  const std::map<std::string, std::string> env = {{"TE_TEST_STOP_AT", "phase2:0"}};
  std::vector<std::unique_ptr<ChildProcess>> procs;
  const auto t0 = Clock::now();
  for (int r = 0; r < 3; ++r) {
    procs.push_back(ChildProcess::start(rankArgs(url(), {"--rank", std::to_string(r), "--size", "3", "--job-id", job,
                                                         "--timeout", "4", "--no-retest", "--duration", "0.3",
                                                         "--warmup", "0.05"}),
                                        env));
  }
  for (int r : {1, 2}) {
    auto code = procs[r]->wait(40s);
    ASSERT_TRUE(code) << "rank " << r << " still running 40 s after the start\n" << procs[r]->output();
    EXPECT_EQ(*code, 1) << procs[r]->output();
    EXPECT_NE(procs[r]->output().find("rank 0 ("), std::string::npos) << procs[r]->output();
    EXPECT_NE(procs[r]->output().find("is gone"), std::string::npos) << procs[r]->output();
  }
  EXPECT_LT(Clock::now() - t0, 4s + 10s + 6s);
  procs[0]->kill(SIGKILL);
  procs[0]->wait(5s);
}

// --on-failure continue: rank 2 of 4 lost at its third phase (frozen under etcd, killed
// under redis: one case each keeps the suite short). Rank 0 learns it from the claim key
// that expires with the process, tells the others, and the schedule finishes without it:
// every link of the other three ranks measured, rank 2's links before the loss kept, the
// rest marked, the report naming it, exit 1 on every survivor.
TEST_P(TeBenchServicesTest, OnFailureContinueFinishesTheScheduleWithoutALostRank) {
  const bool freeze = GetParam() == "etcd";
  const std::string job = uniqueName("goon");
  const std::string json = tempJson("goon");
  const std::map<std::string, std::string> env = {{"TE_TEST_STOP_AT", freeze ? "phase3:2" : "phase3:2:kill"}};
  std::vector<std::unique_ptr<ChildProcess>> procs;
  const auto t0 = Clock::now();
  for (int r = 0; r < 4; ++r) {
    std::vector<std::string> extra = {"--rank",    std::to_string(r), "--size",     "4",    "--job-id", job,
                                      "--timeout", "4",               "--no-retest", "--duration", "0.3",
                                      "--warmup",  "0.05",            "--on-failure", "continue"};
    if (r == 0) extra.insert(extra.end(), {"--json", json});
    procs.push_back(ChildProcess::start(rankArgs(url(), extra), env));
  }
  for (int r : {0, 1, 3}) {
    auto code = procs[r]->wait(60s);
    ASSERT_TRUE(code) << "rank " << r << " still running 60 s after the start\n" << procs[r]->output();
    EXPECT_EQ(*code, 1) << procs[r]->output();
  }
  EXPECT_LT(Clock::now() - t0, 45s) << "the loss costs the claim's lease (10 s) and --timeout, once";
  EXPECT_NE(procs[0]->output().find("went on without rank 2 ("), std::string::npos) << procs[0]->output();
  procs[2]->kill(SIGKILL);
  procs[2]->wait(5s);
  std::ifstream in(json);
  ASSERT_TRUE(in.good()) << procs[0]->output();
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["complete"], false);
  ASSERT_EQ(report["lost_ranks"].size(), 1u) << report.dump();
  EXPECT_EQ(report["lost_ranks"][0]["rank"], 2);
  EXPECT_NE(report["lost_ranks"][0]["where"].get<std::string>().find("phase 3 of"), std::string::npos);
  const auto& links = report["results"][0]["links"];
  ASSERT_EQ(links.size(), 12u);
  int later_ok = 0, marked = 0;
  for (const auto& l : links) {
    const int phase = l["phase"];
    const bool touches = l["initiator"] == 2 || l["target"] == 2;
    if (!touches || phase < 2) {
      EXPECT_EQ(l["status"], "ok") << l.dump();
      later_ok += !touches && phase > 2;
    } else {
      EXPECT_TRUE(l["status"] == "failed" || l["status"] == "not_measured") << l.dump();
      EXPECT_FALSE(l.value("error", "").empty()) << l.dump();
      ++marked;
    }
  }
  EXPECT_GT(later_ok, 0) << "the schedule went on after the loss";
  EXPECT_GT(marked, 0);
  std::remove(json.c_str());
}

// --on-failure continue and a link that fails while both its ranks live: the link `failed`
// with its reason, every other link measured, exit 1 naming it.
TEST_P(TeBenchServicesTest, OnFailureContinueGoesOnPastAFailedLink) {
  const std::string job = uniqueName("pastlink");
  const std::string json = tempJson("pastlink");
  RunResult r = launch(3, job, json, {"--on-failure", "continue", "--no-retest", "--timeout", "4"}, "",
                       {{"TE_FAULT_INJECT", "fail:1->2"}});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("went on past 1 failed link, first 1->2"), std::string::npos) << r.output;
  std::ifstream in(json);
  ASSERT_TRUE(in.good()) << r.output;
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["complete"], false);
  EXPECT_TRUE(report["lost_ranks"].is_array() && report["lost_ranks"].empty()) << report.dump();
  const auto& links = report["results"][0]["links"];
  ASSERT_EQ(links.size(), 6u);
  for (const auto& l : links) {
    const bool broken = l["initiator"] == 1 && l["target"] == 2;
    EXPECT_EQ(l["status"], broken ? "failed" : "ok") << l.dump();
  }
  std::remove(json.c_str());
}

INSTANTIATE_TEST_SUITE_P(Backends, TeBenchServicesTest, ::testing::Values("etcd", "redis"), backendName);

}  // namespace
}  // namespace te::services_test
