#include "bootstrap/kv/keep_alive.h"

#include "common/logging.h"

namespace te::bootstrap::kv {

KeepAlive::KeepAlive(std::chrono::milliseconds period, std::string what, std::function<Status(Deadline)> refresh)
    : period_(period), what_(std::move(what)), refresh_(std::move(refresh)), thread_([this] { loop(); }) {}

KeepAlive::~KeepAlive() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void KeepAlive::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
    lock.unlock();
    Status s = refresh_(Clock::now() + period_);
    lock.lock();
    if (!s.isOk() && firstOccurrence(failures_)) {
      TE_LOG(WARN) << what_ << ": " << s.message() << " (this job's keys expire if it persists)";
    }
  }
}

}  // namespace te::bootstrap::kv
