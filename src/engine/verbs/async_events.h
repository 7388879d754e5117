// What the device's async events say, kept where the data path can read it without a lock:
// per device and port an atomic holding the last event that took it out of service, per QP
// one for the QP's own fatal events. The event thread (event_monitor.h) writes them; a
// worker reads them only on the error path of a completion, to name the cause.
#pragma once

#include <infiniband/verbs.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace te::engine::verbs {

// "IBV_EVENT_PORT_ERR"; "IBV_EVENT_<number>" for one this build does not know.
std::string asyncEventName(int event_type);
// What it means for a run, in a few words: "port down", "device fatal error".
const char* asyncEventMeaning(int event_type);
// How it affects the lanes that use the element: 0 none (informational), 1 a change that
// may break addressing (GID / LID / P_Key), 2 out of service (port down, QP or CQ error),
// 3 the device is gone.
int asyncEventSeverity(int event_type);
// The element the event is about.
enum class EventScope { kPort, kQp, kCq, kDevice, kOther };
EventScope asyncEventScope(int event_type);

// 0 in these atomics means "no event"; otherwise the ibv_event_type plus one.
inline constexpr int kNoEvent = 0;

// One QP's health: the last fatal event on it, and what the QP is (for the log line).
struct QpHealth {
  std::string label;  // "to rank 1 (vm1) via rxe0 port 1 -> rxe0"
  std::atomic<int> event{kNoEvent};
};

// One opened device: an atomic per port (index = port number) and one for the device.
class DeviceHealth {
 public:
  static constexpr int kMaxPorts = 8;  // ports beyond this share the last slot
  explicit DeviceHealth(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  // Records `event_type` on `port` (or the device for kDevice / kCq events) unless a more
  // severe one is already there. Single writer: the device's event thread.
  void record(int event_type, int port);
  // A QP of this device had an event (recorded in its QpHealth): only the epoch moves.
  void touch() { epoch_.fetch_add(1, std::memory_order_acq_rel); }
  int portEvent(int port) const { return ports_[slot(port)].load(std::memory_order_acquire); }
  int deviceEvent() const { return device_.load(std::memory_order_acquire); }
  // Changes with every event recorded (a worker notices new events without scanning lanes).
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

 private:
  static int slot(int port) { return port < 0 ? 0 : port >= kMaxPorts ? kMaxPorts - 1 : port; }
  std::string name_;
  std::atomic<int> ports_[kMaxPorts] = {};
  std::atomic<int> device_{kNoEvent};
  std::atomic<uint64_t> epoch_{0};
};

// Why a lane on `port` of `device` (and QP `qp`, may be null) is out of service, from the
// events recorded: "rxe0 port 1 went down (IBV_EVENT_PORT_ERR)"; empty when no event
// explains it. The most severe of device, port and QP events wins.
std::string laneFaultText(const DeviceHealth* device, int port, const QpHealth* qp);

// Whether a lane is out of service by an event alone: its port went down, its QP failed
// (QP_FATAL, QP_REQ_ERR, QP_ACCESS_ERR) or its device did. The worker then fails it at once
// rather than waiting for the transport's retries to run out.
bool laneOutOfService(const DeviceHealth* device, int port, const QpHealth* qp);

// The error path of a completion that no recorded event explains yet: the CQE that a port
// going down flushes and the port's async event reach user space separately, and the CQE
// may come first (rxe fails the send as the netdev stops, before its port is marked down).
// When `context`'s `port` is not ACTIVE (ibv_query_port) or `wc_status` is a local failure
// (a QP operation error, a flush, a fatal error), waits up to `wait_ms` for the event thread
// to record why and returns laneFaultText; if nothing was recorded by then but the port is
// down, "rxe0 port 1 is PORT_DOWN (ibv_query_port)". "" otherwise, and when `context` is
// null (device-less tests). Error path only: it may sleep.
std::string awaitLaneFault(ibv_context* context, const DeviceHealth* device, int port, const QpHealth* qp,
                           int wc_status, int wait_ms);

}  // namespace te::engine::verbs
