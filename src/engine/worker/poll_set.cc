#include "engine/worker/poll_set.h"

#include <ctime>
#include <thread>

namespace te::engine::worker {

int waitForFds(std::span<pollfd> fds, std::chrono::microseconds max_wait) {
  if (fds.empty()) {
    std::this_thread::sleep_for(max_wait);
    return 0;
  }
  const timespec ts{static_cast<time_t>(max_wait.count() / 1000000),
                    static_cast<long>(max_wait.count() % 1000000) * 1000};
  return ::ppoll(fds.data(), fds.size(), &ts, nullptr);
}

}  // namespace te::engine::worker
