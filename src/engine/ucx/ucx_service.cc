#include "engine/ucx/ucx_service.h"

#include <poll.h>

#include <chrono>
#include <thread>

#include "common/thread_name.h"

namespace te::engine::ucx {
namespace {

// After the last event, keep polling (yielding) this long before sleeping on the fd: a stream
// of messages then costs no wake-up each, and an idle rank gives its core away quickly.
constexpr auto kSpin = std::chrono::microseconds(100);
constexpr int kSleepMs = 100;  // stop() signals the worker, so this only bounds a lost wake-up

}  // namespace

Result<std::unique_ptr<ServiceWorker>> ServiceWorker::create(ucp_context_h context) {
  TE_ASSIGN_OR_RETURN(WorkerPtr worker, createWorker(context, "te_service"));
  std::unique_ptr<ServiceWorker> s(new ServiceWorker(std::move(worker)));
  ucp_address_t* addr = nullptr;
  size_t len = 0;
  ucs_status_t st = ucp_worker_get_address(s->worker_.get(), &addr, &len);
  if (st != UCS_OK) return ucxError("ucp_worker_get_address (service worker)", st);
  WorkerAddressPtr owned(addr, WorkerAddressDeleter{s->worker_.get()});
  const auto* p = reinterpret_cast<const uint8_t*>(addr);
  s->address_.assign(p, p + len);
  if (ucp_worker_get_efd(s->worker_.get(), &s->efd_) != UCS_OK) s->efd_ = -1;  // then poll with sleeps
  return s;
}

ServiceWorker::~ServiceWorker() { stop(); }

void ServiceWorker::start() {
  stop_.store(false);
  thread_ = std::thread([this] {
    nameThisThread("te-ucx-target");
    run();
  });
}

void ServiceWorker::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  (void)ucp_worker_signal(worker_.get());
  thread_.join();
}

void ServiceWorker::run() {
  ucp_worker_h w = worker_.get();
  auto last_event = Clock::now();
  while (!stop_.load(std::memory_order_relaxed)) {
    if (ucp_worker_progress(w) != 0) {
      last_event = Clock::now();
      continue;
    }
    if (Clock::now() - last_event < kSpin) {
      std::this_thread::yield();  // on shared cores, let the initiators run
      continue;
    }
    if (efd_ < 0) {
      ::poll(nullptr, 0, 1);
      last_event = Clock::now() - kSpin;
      continue;
    }
    ucs_status_t s = ucp_worker_arm(w);
    if (s == UCS_ERR_BUSY) continue;  // events arrived meanwhile: progress them
    pollfd fd{efd_, POLLIN, 0};
    ::poll(&fd, 1, s == UCS_OK ? kSleepMs : 1);
    last_event = Clock::now();
  }
}

}  // namespace te::engine::ucx
