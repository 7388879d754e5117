#include "engine/verbs/async_events.h"

#include <chrono>
#include <thread>

namespace te::engine::verbs {
namespace {

struct EventInfo {
  int type;
  const char* name;
  const char* meaning;  // for the log line
  const char* phrase;   // after the element in a lane's failure: "rxe0 port 1 went down"
  int severity;
  EventScope scope;
};

constexpr EventInfo kEvents[] = {
    {IBV_EVENT_CQ_ERR, "IBV_EVENT_CQ_ERR", "completion queue error (overrun)", "had a completion queue error", 2,
     EventScope::kCq},
    {IBV_EVENT_QP_FATAL, "IBV_EVENT_QP_FATAL", "QP fatal error", "failed", 2, EventScope::kQp},
    {IBV_EVENT_QP_REQ_ERR, "IBV_EVENT_QP_REQ_ERR", "QP invalid request", "failed on an invalid request", 2,
     EventScope::kQp},
    {IBV_EVENT_QP_ACCESS_ERR, "IBV_EVENT_QP_ACCESS_ERR", "QP access violation", "failed on an access violation", 2,
     EventScope::kQp},
    {IBV_EVENT_COMM_EST, "IBV_EVENT_COMM_EST", "communication established", "", 0, EventScope::kQp},
    {IBV_EVENT_SQ_DRAINED, "IBV_EVENT_SQ_DRAINED", "send queue drained", "", 0, EventScope::kQp},
    {IBV_EVENT_PATH_MIG, "IBV_EVENT_PATH_MIG", "path migrated", "", 0, EventScope::kQp},
    {IBV_EVENT_PATH_MIG_ERR, "IBV_EVENT_PATH_MIG_ERR", "path migration failed", "", 0, EventScope::kQp},
    {IBV_EVENT_DEVICE_FATAL, "IBV_EVENT_DEVICE_FATAL", "device fatal error", "failed", 3, EventScope::kDevice},
    {IBV_EVENT_PORT_ACTIVE, "IBV_EVENT_PORT_ACTIVE", "port active", "", 0, EventScope::kPort},
    {IBV_EVENT_PORT_ERR, "IBV_EVENT_PORT_ERR", "port down", "went down", 2, EventScope::kPort},
    {IBV_EVENT_LID_CHANGE, "IBV_EVENT_LID_CHANGE", "LID changed", "changed its LID", 1, EventScope::kPort},
    {IBV_EVENT_PKEY_CHANGE, "IBV_EVENT_PKEY_CHANGE", "P_Key table changed", "changed its P_Key table", 1,
     EventScope::kPort},
    {IBV_EVENT_SM_CHANGE, "IBV_EVENT_SM_CHANGE", "subnet manager changed", "", 0, EventScope::kPort},
    {IBV_EVENT_SRQ_ERR, "IBV_EVENT_SRQ_ERR", "SRQ error", "", 0, EventScope::kOther},
    {IBV_EVENT_SRQ_LIMIT_REACHED, "IBV_EVENT_SRQ_LIMIT_REACHED", "SRQ limit reached", "", 0, EventScope::kOther},
    {IBV_EVENT_QP_LAST_WQE_REACHED, "IBV_EVENT_QP_LAST_WQE_REACHED", "last WQE reached", "", 0, EventScope::kQp},
    {IBV_EVENT_CLIENT_REREGISTER, "IBV_EVENT_CLIENT_REREGISTER", "client reregistration asked", "", 0,
     EventScope::kPort},
    {IBV_EVENT_GID_CHANGE, "IBV_EVENT_GID_CHANGE", "GID table changed", "changed its GID table", 1, EventScope::kPort},
    {IBV_EVENT_WQ_FATAL, "IBV_EVENT_WQ_FATAL", "WQ fatal error", "", 0, EventScope::kOther},
};

const EventInfo* find(int type) {
  for (const EventInfo& e : kEvents) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

// The stored form of an event (type + 1, so that 0 is "none") back to its table row.
const EventInfo* stored(int value) { return value == kNoEvent ? nullptr : find(value - 1); }

}  // namespace

std::string asyncEventName(int event_type) {
  const EventInfo* e = find(event_type);
  return e ? e->name : "IBV_EVENT_" + std::to_string(event_type);
}

const char* asyncEventMeaning(int event_type) {
  const EventInfo* e = find(event_type);
  return e ? e->meaning : "unknown event";
}

int asyncEventSeverity(int event_type) {
  const EventInfo* e = find(event_type);
  return e ? e->severity : 0;
}

EventScope asyncEventScope(int event_type) {
  const EventInfo* e = find(event_type);
  return e ? e->scope : EventScope::kOther;
}

void DeviceHealth::record(int event_type, int port) {
  const int severity = asyncEventSeverity(event_type);
  if (severity == 0) return;
  std::atomic<int>& target =
      asyncEventScope(event_type) == EventScope::kPort ? ports_[slot(port)] : device_;
  const EventInfo* now = stored(target.load(std::memory_order_relaxed));
  if (now == nullptr || now->severity <= severity) target.store(event_type + 1, std::memory_order_release);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

std::string laneFaultText(const DeviceHealth* device, int port, const QpHealth* qp) {
  const EventInfo* best = nullptr;
  std::string where;
  auto consider = [&](int value, std::string element) {
    const EventInfo* e = stored(value);
    if (e != nullptr && (best == nullptr || e->severity > best->severity)) {
      best = e;
      where = std::move(element);
    }
  };
  if (device != nullptr) {
    const std::string port_name = device->name() + " port " + std::to_string(port);
    consider(device->deviceEvent(), device->name());
    consider(device->portEvent(port), port_name);
  }
  if (qp != nullptr) consider(qp->event.load(std::memory_order_acquire), "its QP");
  if (best == nullptr) return "";
  return where + " " + best->phrase + " (" + best->name + ")";
}

bool laneOutOfService(const DeviceHealth* device, int port, const QpHealth* qp) {
  if (qp != nullptr && qp->event.load(std::memory_order_acquire) != kNoEvent) return true;
  if (device == nullptr) return false;
  const EventInfo* d = stored(device->deviceEvent());
  const EventInfo* p = stored(device->portEvent(port));
  return (d != nullptr && d->severity >= 3) || (p != nullptr && p->severity >= 2);
}

std::string awaitLaneFault(ibv_context* context, const DeviceHealth* device, int port, const QpHealth* qp,
                           int wc_status, int wait_ms) {
  if (context == nullptr || device == nullptr) return "";
  const auto port_state = [&] {
    ibv_port_attr attr{};
    return ibv_query_port(context, static_cast<uint8_t>(port), &attr) == 0 ? attr.state : IBV_PORT_NOP;
  };
  const bool local = wc_status == IBV_WC_LOC_QP_OP_ERR || wc_status == IBV_WC_WR_FLUSH_ERR ||
                     wc_status == IBV_WC_FATAL_ERR;
  if (!local && port_state() == IBV_PORT_ACTIVE) return "";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    std::string fault = laneFaultText(device, port, qp);
    if (!fault.empty()) return fault;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const ibv_port_state state = port_state();
  if (state == IBV_PORT_ACTIVE || state == IBV_PORT_NOP) return "";
  return device->name() + " port " + std::to_string(port) + " is " + ibv_port_state_str(state) + " (ibv_query_port)";
}

}  // namespace te::engine::verbs
