#include "engine/verbs/event_monitor.h"

#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/logging.h"
#include "engine/verbs/verbs_handles.h"

namespace te::engine::verbs {
namespace {

constexpr uint64_t kQpEventsLogged = 4;  // a port going down fails every QP on it: name a few

std::string hexQpn(uint32_t qpn) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%x", qpn);
  return b;
}

}  // namespace

Result<std::unique_ptr<EventMonitor>> EventMonitor::start(ibv_context* context) {
  const int flags = ::fcntl(context->async_fd, F_GETFL);
  if (flags < 0 || ::fcntl(context->async_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return verbsError("fcntl(O_NONBLOCK) of the async event fd", deviceName(context), errno);
  }
  std::unique_ptr<EventMonitor> m(new EventMonitor(context));
  m->thread_ = std::thread([p = m.get()] { p->run(); });
  return m;
}

EventMonitor::EventMonitor(ibv_context* context) : context_(context), health_(deviceName(context)) {}

EventMonitor::~EventMonitor() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  if (qp_events_quiet_ > 0) {
    TE_LOG(WARN) << health_.name() << ": " << qp_events_quiet_ << " more QP async events not logged one by one";
  }
}

void EventMonitor::run() {
  while (!stop_.load(std::memory_order_acquire)) {
    pollfd pfd{context_->async_fd, POLLIN, 0};
    const int n = ::poll(&pfd, 1, kPollMs);
    if (n < 0 && errno != EINTR) {
      TE_LOG(WARN) << health_.name() << ": poll on the async event fd: " << std::strerror(errno)
                   << " (async events no longer read)";
      return;
    }
    if (n <= 0) continue;
    ibv_async_event event{};
    // Non-blocking: -1 / EAGAIN once drained.
    while (ibv_get_async_event(context_, &event) == 0) {
      handle(event);
      // After handle(): destroying a QP or CQ waits for its events to be acknowledged, so
      // the QpHealth read above is still alive here.
      ibv_ack_async_event(&event);
    }
  }
}

void EventMonitor::handle(const ibv_async_event& event) {
  events_.fetch_add(1, std::memory_order_relaxed);
  const int type = event.event_type;
  const std::string name = asyncEventName(type);
  const char* meaning = asyncEventMeaning(type);
  switch (asyncEventScope(type)) {
    case EventScope::kPort: {
      const int port = event.element.port_num;
      health_.record(type, port);
      if (asyncEventSeverity(type) > 0) {
        TE_LOG(WARN) << "verbs: " << health_.name() << " port " << port << ": " << name << " (" << meaning << ")";
      } else {  // port active again, a new subnet manager: worth a line, not a warning
        TE_LOG(INFO) << "verbs: " << health_.name() << " port " << port << ": " << name << " (" << meaning << ")";
      }
      break;
    }
    case EventScope::kQp: {
      ibv_qp* qp = event.element.qp;
      auto* qh = qp ? static_cast<QpHealth*>(qp->qp_context) : nullptr;
      if (qh != nullptr && asyncEventSeverity(type) > 0) qh->event.store(type + 1, std::memory_order_release);
      if (asyncEventSeverity(type) == 0) break;  // COMM_EST and friends: nothing to say
      health_.touch();  // the workers look at their lanes' QPs
      if (qp_events_logged_++ < kQpEventsLogged) {
        TE_LOG(WARN) << "verbs: " << health_.name() << ": " << name << " (" << meaning << ") on the QP "
                     << (qh ? qh->label : "") << (qp ? " (QP " + hexQpn(qp->qp_num) + ")" : "");
      } else {
        ++qp_events_quiet_;
      }
      break;
    }
    case EventScope::kCq:
    case EventScope::kDevice:
      health_.record(type, 0);
      TE_LOG(WARN) << "verbs: " << health_.name() << ": " << name << " (" << meaning << ")";
      break;
    case EventScope::kOther:
      TE_LOG(DEBUG) << health_.name() << ": " << name << " (" << meaning << ")";
      break;
  }
}

}  // namespace te::engine::verbs
