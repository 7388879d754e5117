// Bounds a blocking call that has no deadline of its own (MPI_Init waits for every rank of
// the job, however long one takes): if the call is still running at the deadline, the
// watchdog's thread runs `on_expiry` (which ends the process: it prints and _Exits).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/collective.h"

namespace te {

class Watchdog {
 public:
  Watchdog(Deadline deadline, std::function<void()> on_expiry)
      : thread_([this, deadline, fn = std::move(on_expiry)] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!done_cv_.wait_until(lock, deadline, [this] { return done_; })) fn();
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

// Test-only (TE_TEST_STOP_AT=STAGE:RANK): the process whose launcher rank is RANK stops
// itself (SIGSTOP, as a frozen node would be) on reaching STAGE, so tests can freeze a rank
// at a named stage of the run; STAGE:RANK:kill kills it there (SIGKILL, a crash). Stages:
// mpi_init, after_mpi_init, phaseN (the Nth phase of a block's schedule, from 1).
void stopHereForTests(const char* stage);
// The same where the rank is the bootstrap's (etcd / redis launches have no launcher rank).
void stopHereForTests(const char* stage, int rank);

}  // namespace te
