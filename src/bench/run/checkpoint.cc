#include "bench/run/checkpoint.h"

#include <algorithm>

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <thread>
#include <unordered_set>

namespace te::bench {
namespace {

int signal_pipe[2] = {-1, -1};

// Async-signal-safe: the number of the signal goes down the pipe to the checkpoint's thread.
extern "C" void onTerminate(int sig) {
  const unsigned char s = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(signal_pipe[1], &s, 1);
}

}  // namespace

void Checkpoint::beginBlock(const std::string& transport, const std::string& operation, uint64_t block_size,
                            const std::string& schedule, const std::vector<Phase>& phases) {
  std::lock_guard<std::mutex> lock(mutex_);
  report_.blocks.push_back(ResultBlock{transport, operation, block_size, {}, {}, {}, {}, schedule, {}});
  phases_ = phases;
  phases_done_ = 0;
  open_ = true;
}

void Checkpoint::addLinks(const std::vector<LinkResult>& links, size_t from, size_t phases_done) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!open_) return;
  auto& kept = report_.blocks.back().links;
  for (size_t i = from; i < links.size(); ++i) kept.push_back(links[i]);
  phases_done_ = phases_done;
}

void Checkpoint::endBlock(const ResultBlock& block) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (open_) report_.blocks.back() = block;
  else report_.blocks.push_back(block);
  open_ = false;
}

void Checkpoint::setDetails(const nlohmann::json& transport_details, const nlohmann::json& memory) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!report_.transport_details.is_null()) return;
  report_.transport_details = transport_details;
  report_.memory = memory;
}

RunReport Checkpoint::snapshot(const std::string& why) const {
  std::lock_guard<std::mutex> lock(mutex_);
  RunReport out = report_;
  out.failure = why;
  out.end_time = isoTimeNow();
  if (!open_) return out;
  const std::string where = "not measured: the job was ended in phase " + std::to_string(phases_done_ + 1) + " of " +
                            std::to_string(phases_.size());
  // With pair handshakes (phase_deps.h) links of later phases may be kept already: only the
  // links not kept are cut.
  std::vector<LinkResult>& links = out.blocks.back().links;
  auto key = [](const LinkResult& l) {
    return (static_cast<uint64_t>(l.phase) << 40) | (static_cast<uint64_t>(l.link.initiator) << 20) |
           static_cast<uint64_t>(l.link.target);
  };
  std::unordered_set<uint64_t> kept;
  for (const LinkResult& l : links) kept.insert(key(l));
  std::vector<LinkResult> cut;
  for (size_t q = phases_done_; q < phases_.size(); ++q) appendCut(phases_[q], -1, static_cast<uint32_t>(q), false, where, &cut);
  for (LinkResult& c : cut) {
    if (!kept.count(key(c))) links.push_back(std::move(c));
  }
  std::stable_sort(links.begin(), links.end(), [](const LinkResult& a, const LinkResult& b) { return a.phase < b.phase; });
  return out;
}

void Checkpoint::writeOnTermination(WriteFn write) {
  write_ = std::move(write);
  if (::pipe(signal_pipe) != 0) return;
  struct sigaction sa{};
  sa.sa_handler = onTerminate;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  std::thread([this] {
    unsigned char sig = 0;
    while (::read(signal_pipe[0], &sig, 1) != 1) {
    }
    onSignal(sig);
  }).detach();
}

int Checkpoint::writeFinal(const std::function<int()>& write) {
  std::lock_guard<std::mutex> lock(final_mutex_);
  final_code_ = write();
  return final_code_;
}

void Checkpoint::onSignal(int sig) {
  std::lock_guard<std::mutex> final(final_mutex_);  // final reports being written end first
  if (final_code_ >= 0) std::_Exit(final_code_);
  const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
  RunReport r = snapshot("the job was ended from outside (" + name +
                         (sig == SIGINT ? ")" : ": under mpirun or srun, a rank died or gave up; the launcher names it)"));
  size_t measured = 0;
  for (const auto& b : r.blocks) {
    for (const auto& l : b.links) measured += !l.cut;
  }
  printTerminalReport(r, std::cout);
  if (write_) write_(r);
  std::cerr << "te_bench: " << r.failure << "; the reports hold the " << measured << " links measured before"
            << std::endl;
  std::_Exit(1);
}

}  // namespace te::bench
