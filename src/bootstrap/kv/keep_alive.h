// The keep-alive thread the etcd and redis stores share: it calls `refresh` every `period`
// until destroyed, and warns once (the first failure) that the job's keys will expire.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/collective.h"
#include "common/status.h"

namespace te::bootstrap::kv {

class KeepAlive {
 public:
  // `what` names the refreshed thing in the warning ("lease keep-alive"). Start it last in
  // its owner's constructor and destroy it first: `refresh` runs on its thread.
  KeepAlive(std::chrono::milliseconds period, std::string what, std::function<Status(Deadline)> refresh);
  ~KeepAlive();
  KeepAlive(const KeepAlive&) = delete;
  KeepAlive& operator=(const KeepAlive&) = delete;

 private:
  void loop();

  const std::chrono::milliseconds period_;
  const std::string what_;
  const std::function<Status(Deadline)> refresh_;
  std::mutex mutex_;  // stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<uint64_t> failures_{0};
  std::thread thread_;  // last: started once everything it uses exists
};

}  // namespace te::bootstrap::kv
