// The wait of an idle worker: up to N file descriptors (sockets, CQ channels, UCX's event
// fd) and one ppoll with the caller's deadline, so that ranks sharing few cores do not spin.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <span>

namespace te::engine::worker {

// Waits until one of `fds` is ready or `max_wait` has passed; with no fds, sleeps
// `max_wait`. Returns how many are ready (0: timed out; -1: interrupted or failed).
int waitForFds(std::span<pollfd> fds, std::chrono::microseconds max_wait);

template <size_t N>
class PollSet {
 public:
  bool full() const { return n_ == N; }
  bool empty() const { return n_ == 0; }
  // Precondition: !full().
  void add(int fd, short events) { fds_[n_++] = pollfd{fd, events, 0}; }
  int wait(std::chrono::microseconds max_wait) { return waitForFds(std::span<pollfd>(fds_, n_), max_wait); }

 private:
  pollfd fds_[N];
  size_t n_ = 0;
};

}  // namespace te::engine::worker
