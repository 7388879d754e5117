#include "bootstrap/pair_messages.h"

#include <algorithm>
#include <thread>

namespace te::bootstrap {

Result<Bytes> PairMessages::receive(int from, Deadline deadline) {
  auto pause = std::chrono::microseconds(10);
  Clock::time_point beat_at = Clock::now() + beat_;
  while (true) {
    TE_ASSIGN_OR_RETURN(std::optional<Bootstrap::Message> m, bs_.receive(from, channel_));
    if (m) return std::move(m->data);
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return deadlineExceeded("no connection data from rank " + std::to_string(from) + " (" + bs_.hostname(from) +
                              ") in time");
    }
    if (now >= beat_at) {
      bs_.heartbeat();
      if (on_beat_) on_beat_();
      beat_at = now + beat_;
    }
    // Growing sleeps: a waiting rank leaves the cores to the measuring ones.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
}

}  // namespace te::bootstrap
