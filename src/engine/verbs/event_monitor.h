// A thread per opened device that reads its async events (port down, device fatal, GID
// change, QP and CQ errors), logs each once and records it in the device's DeviceHealth (and
// a QP's QpHealth, found through qp_context), so that a lane that then fails is reported
// with the event named. Joined before the context it reads is closed (declare it after).
#pragma once

#include <infiniband/verbs.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "common/status.h"
#include "engine/verbs/async_events.h"

namespace te::engine::verbs {

class EventMonitor {
 public:
  // Starts the thread on `context` (not owned; must outlive the monitor). Its async fd is
  // made non-blocking; the thread wakes every `kPollMs` to notice a stop.
  static Result<std::unique_ptr<EventMonitor>> start(ibv_context* context);
  ~EventMonitor();
  EventMonitor(const EventMonitor&) = delete;
  EventMonitor& operator=(const EventMonitor&) = delete;

  const DeviceHealth& health() const { return health_; }
  uint64_t eventsSeen() const { return events_.load(std::memory_order_relaxed); }

  static constexpr int kPollMs = 100;

 private:
  explicit EventMonitor(ibv_context* context);
  void run();
  void handle(const ibv_async_event& event);

  ibv_context* const context_;
  DeviceHealth health_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> events_{0};
  uint64_t qp_events_logged_ = 0;  // the thread's own: QP events after the first few are counted
  uint64_t qp_events_quiet_ = 0;
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace te::engine::verbs
