// Checkpoint: what rank 0 holds at any moment of a run, so that a report can be written when
// the job is ended from outside (SIGTERM: under mpirun or srun a rank died and the launcher
// is ending the others; SIGINT: Ctrl-C) before the run could stop by itself. Updated after
// every phase's hand-off (Runner), never on the data path.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "bench/report/report.h"
#include "bench/run/schedule.h"

namespace te::bench {

class Checkpoint {
 public:
  // `skeleton`: the report's header (config, hosts, launcher...), no blocks yet.
  explicit Checkpoint(RunReport skeleton) : report_(std::move(skeleton)) {}

  // A block's schedule starts; its links arrive phase by phase; it ends analysed.
  void beginBlock(const std::string& transport, const std::string& operation, uint64_t block_size,
                  const std::string& schedule, const std::vector<Phase>& phases);
  void addLinks(const std::vector<LinkResult>& links, size_t from, size_t phases_done);
  void endBlock(const ResultBlock& block);
  void setDetails(const nlohmann::json& transport_details, const nlohmann::json& memory);

  // The report as it stands: the open block's links so far, the rest of its schedule
  // `not_measured`, `why` as the failure.
  RunReport snapshot(const std::string& why) const;

  // Rank 0: on SIGTERM or SIGINT, a thread of its own prints the snapshot's matrix, writes
  // it with `write` (the reports asked for), says why in one line and exits 1.
  using WriteFn = std::function<void(const RunReport&)>;
  void writeOnTermination(WriteFn write);

  // Rank 0's own reports at the end of the run: `write` prints and writes them and returns the
  // exit code. A SIGTERM or SIGINT from then on (the launcher ending the job as the first rank
  // leaves with that code) waits for them and ends the process with their code, instead of
  // writing a snapshot over them.
  int writeFinal(const std::function<int()>& write);

 private:
  void onSignal(int sig);

  mutable std::mutex mutex_;
  RunReport report_;
  bool open_ = false;               // a block is being measured
  std::vector<Phase> phases_;       // its schedule
  size_t phases_done_ = 0;
  WriteFn write_;
  std::mutex final_mutex_;          // held while the final reports are written
  int final_code_ = -1;             // their exit code once written
};

}  // namespace te::bench
