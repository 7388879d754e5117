// The target side of a rank: one UCX worker that every peer's endpoints connect to, driven by
// a thread that sleeps on the worker's event fd. Transports that emulate RMA in software
// (UCX 1.13 over tcp, and over shared memory for memory it did not allocate itself) need the
// target to progress while the rank is idle in a barrier or only initiating; true one-sided
// paths (RDMA NICs) never wake it.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "common/collective.h"
#include "engine/ucx/ucx_handles.h"

namespace te::engine::ucx {

class ServiceWorker {
 public:
  static Result<std::unique_ptr<ServiceWorker>> create(ucp_context_h context);
  ~ServiceWorker();

  ServiceWorker(const ServiceWorker&) = delete;
  ServiceWorker& operator=(const ServiceWorker&) = delete;

  // The packed worker address peers connect to.
  const Bytes& address() const { return address_; }

  void start();
  void stop();  // joins the thread; the worker lives until destruction

  ucp_worker_h get() const { return worker_.get(); }

 private:
  explicit ServiceWorker(WorkerPtr worker) : worker_(std::move(worker)) {}
  void run();

  WorkerPtr worker_;
  Bytes address_;
  int efd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace te::engine::ucx
