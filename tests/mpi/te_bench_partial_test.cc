// A rank lost in the middle of a run (frozen with SIGSTOP at a named phase, the test hook
// TE_TEST_STOP_AT=phaseK:RANK) never costs what was measured before it (issue 18): rank 0
// writes the report with every link of the earlier phases, the links of the phase that
// stopped marked `failed` and the rest `not_measured`, the rank and host named once, exit 1
// within --timeout + 10 s. A frozen rank 0 makes the others leave in that time, naming it.
// A healthy phase longer than --timeout (--iterations) is not a stall: the ranks that wait
// for it hear its heartbeats.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "support/run_command.h"

namespace te::testing {
namespace {

const std::string kBench = TE_BENCH_PATH;
constexpr double kTimeout = 4;

std::string mpirun(int np, const std::string& stop_at) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np " + std::to_string(np) +
         " --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp --mca mpi_yield_when_idle 1 " +
         (stop_at.empty() ? "" : "-x TE_TEST_STOP_AT=" + stop_at + " ") + kBench +
         " --transport tcp --buffer-size 16M --batch-size 16 --progress off --no-retest";
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(PartialReport, ARankFrozenMidRunLeavesEveryLinkMeasuredBeforeIt) {
  const std::string json = tempPath("partial.json"), csv = tempPath("partial.csv"), html = tempPath("partial.html");
  for (const auto& p : {json, csv, html}) std::remove(p.c_str());
  CommandResult r = runCommand(mpirun(4, "phase3:2") + " --duration 0.3 --warmup 0.05 --timeout 4 --json " + json +
                                   " --csv " + csv + " --html " + html,
                               std::chrono::seconds(90));
  EXPECT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // Start-up and two phases of ~0.5 s each, then the silence (--timeout) and the reports.
  EXPECT_LT(r.seconds, kTimeout + 10 + 3) << r.output;
  // The reason, once as an error line (and once in the terminal report's INCOMPLETE line).
  EXPECT_EQ(count(r.output, "te_bench: tcp: phase 3 of "), 1u) << r.output;
  EXPECT_NE(r.output.find("rank 2 ("), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sent nothing for 4 s"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("INCOMPLETE: the run stopped early"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("STOPPED: "), std::string::npos) << r.output;

  std::ifstream f(json);
  ASSERT_TRUE(f) << "no report written\n" << r.output;
  nlohmann::json report;
  f >> report;
  EXPECT_EQ(report["complete"], false);
  ASSERT_TRUE(report.contains("failure"));
  EXPECT_NE(report["failure"].get<std::string>().find("rank 2 ("), std::string::npos) << report["failure"];
  ASSERT_EQ(report["results"].size(), 1u);
  const nlohmann::json& block = report["results"][0];
  ASSERT_EQ(block["links"].size(), 12u) << "every link of the schedule, measured or not";
  size_t ok = 0, failed = 0, not_measured = 0, lost = 0;
  for (const auto& l : block["links"]) {
    const int phase = l["phase"], i = l["initiator"], t = l["target"];
    const std::string status = l["status"];
    const nlohmann::json& cell = block["matrix_bytes_per_second"][i][t];
    if (phase < 2) {
      EXPECT_EQ(status, "ok") << l.dump();
      EXPECT_GT(l["bytes_per_second"].get<double>(), 0) << l.dump();
      EXPECT_FALSE(cell.is_null()) << l.dump();
    } else if (phase == 2) {
      // The frozen rank's own links are lost with it (the pairs schedule of 4 ranks: 2->0
      // and 3->1 in the third phase); its peers' stalled (TCP: nobody served them) or
      // finished before it froze.
      if (i == 2) {
        EXPECT_EQ(status, "failed") << l.dump();
        lost += l["error"].get<std::string>().find("rank 2 (") != std::string::npos;
      }
      EXPECT_TRUE(status == "ok" || status == "failed") << l.dump();
    } else if (status != "ok" || i == 2 || t == 2) {
      // Later phases: with pair handshakes (the default) a link whose ranks never waited for
      // the frozen one may be measured still; the frozen rank's are not.
      EXPECT_EQ(status, "not_measured") << l.dump();
      EXPECT_NE(l["error"].get<std::string>().find("not measured: the run stopped in phase 3 of "), std::string::npos)
          << l.dump();
    }
    if (status != "ok") {
      EXPECT_TRUE(cell.is_null()) << "a link without a rate has no cell: " << l.dump();
      EXPECT_FALSE(l.contains("analysis") && l["analysis"]["flagged"].get<bool>()) << "not a slow link: " << l.dump();
    }
    ok += status == "ok";
    failed += status == "failed";
    not_measured += status == "not_measured";
  }
  EXPECT_GE(ok, 4u);  // two phases of the pairs schedule: 2 links each, both ways
  EXPECT_GE(failed, 1u);
  EXPECT_GE(not_measured, 1u);
  EXPECT_GE(lost, 1u);
  // The summaries rest on the measured links only.
  EXPECT_EQ(block["summary"]["links"].get<size_t>(), ok) << block["summary"].dump();
  // The other reports asked for say the same.
  std::ifstream c(csv), h(html);
  const std::string csv_text((std::istreambuf_iterator<char>(c)), std::istreambuf_iterator<char>());
  const std::string html_text((std::istreambuf_iterator<char>(h)), std::istreambuf_iterator<char>());
  EXPECT_EQ(count(csv_text, ",not_measured: not measured: the run stopped in phase 3 of "), not_measured) << csv_text;
  EXPECT_NE(html_text.find("Incomplete:</strong> the run stopped early: tcp: phase 3 of "), std::string::npos);
  for (const auto& p : {json, csv, html}) std::remove(p.c_str());
}

TEST(PartialReport, ARootFrozenMidRunIsNamedByTheOthers) {
  CommandResult r = runCommand(mpirun(3, "phase2:0") + " --duration 0.3 --warmup 0.05 --timeout 4",
                               std::chrono::seconds(90));
  EXPECT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_LT(r.seconds, kTimeout + 10 + 2) << r.output;
  EXPECT_NE(r.output.find("rank 0 ("), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sent nothing for 4 s"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("MPI_Finalize did not complete"), std::string::npos) << r.output;
}

// Killed (a crash): mpirun ends the job at once and rank 0, ended by SIGTERM, still writes
// what it holds: the phases before, the rest of the block not measured.
TEST(PartialReport, ARankKilledMidRunUnderMpirunLeavesTheReport) {
  const std::string json = tempPath("killed.json");
  std::remove(json.c_str());
  CommandResult r = runCommand(mpirun(4, "phase3:2:kill") + " --duration 0.3 --warmup 0.05 --timeout 4 --json " +
                               json, std::chrono::seconds(90));
  EXPECT_FALSE(r.timed_out) << r.output;
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_LT(r.seconds, kTimeout + 10 + 3) << r.output;
  EXPECT_NE(r.output.find("the job was ended from outside (SIGTERM"), std::string::npos) << r.output;
  std::ifstream f(json);
  ASSERT_TRUE(f) << "no report written\n" << r.output;
  nlohmann::json report;
  f >> report;
  EXPECT_EQ(report["complete"], false);
  const nlohmann::json& links = report["results"][0]["links"];
  EXPECT_EQ(links.size(), 12u);
  size_t ok = 0;
  for (const auto& l : links) {
    if (l["phase"].get<int>() < 2) {
      EXPECT_EQ(l["status"], "ok") << l.dump();
    } else if (l["phase"].get<int>() > 2 && (l["status"] != "ok" || l["initiator"] == 2 || l["target"] == 2)) {
      // Measured still where its ranks never waited for the lost one (pair handshakes).
      EXPECT_EQ(l["status"], "not_measured") << l.dump();
    }
    ok += l["status"] == "ok";
  }
  EXPECT_GE(ok, 4u);
  std::remove(json.c_str());
}

// Two links capped at 8 MiB/s (the fault-injecting transport), 40 batches of 16 x 64 KiB
// each: their phases run ~5 s, past --timeout 1 and the 2 s a rank may stay silent, with
// completions all along. Rank 0 measures one of them while the others wait for its word,
// rank 2 the other while rank 0 waits for its hand-off: heartbeats both ways. Exit 0.
TEST(PartialReport, APhaseLongerThanTheTimeoutIsNotAStall) {
  const std::string json = tempPath("long_phase.json");
  CommandResult r = runCommand("TE_FAULT_INJECT='rate:0->1:8M;rate:2->0:8M' " + mpirun(3, "") +
                                   " --iterations 40 --threads 1 --timeout 1 --json " + json,
                               std::chrono::seconds(120));
  EXPECT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ifstream f(json);
  ASSERT_TRUE(f) << r.output;
  nlohmann::json report;
  f >> report;
  EXPECT_EQ(report["complete"], true);
  for (const auto& l : report["results"][0]["links"]) {
    EXPECT_EQ(l["status"], "ok") << l.dump();
    const bool capped = (l["initiator"] == 0 && l["target"] == 1) || (l["initiator"] == 2 && l["target"] == 0);
    if (capped) {
      EXPECT_GT(l["seconds"].get<double>(), 3.0) << "a phase longer than --timeout: " << l.dump();
    }
  }
  std::remove(json.c_str());
}

}  // namespace
}  // namespace te::testing
