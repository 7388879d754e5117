// RAII owners for UCX handles (context, worker, endpoint, rkey, packed buffers; memory handles,
// shared, are in ucx_memory.h) and the one way UCX failures become a Status. Only
// src/engine/ucx/ includes <ucp/api/ucp.h>.
#pragma once

#include <ucp/api/ucp.h>

#include <memory>
#include <string>
#include <type_traits>

#include "common/collective.h"
#include "common/status.h"

namespace te::engine::ucx {

struct ConfigDeleter {
  void operator()(ucp_config_t* c) const { ucp_config_release(c); }
};
struct ContextDeleter {
  void operator()(ucp_context_h c) const { ucp_cleanup(c); }
};
struct WorkerDeleter {
  void operator()(ucp_worker_h w) const { ucp_worker_destroy(w); }
};
struct WorkerAddressDeleter {
  ucp_worker_h worker = nullptr;
  void operator()(ucp_address_t* a) const { ucp_worker_release_address(worker, a); }
};
struct RkeyBufferDeleter {
  void operator()(void* b) const { ucp_rkey_buffer_release(b); }
};
// Closes an endpoint (flushing it) with a bounded wait; the fallback for endpoints not closed
// together by their worker's closeEndpoints().
struct EpDeleter {
  ucp_worker_h worker = nullptr;
  void operator()(ucp_ep_h ep) const;
};
struct RkeyDeleter {
  void operator()(ucp_rkey_h k) const { ucp_rkey_destroy(k); }
};

using ConfigPtr = std::unique_ptr<ucp_config_t, ConfigDeleter>;
using ContextPtr = std::unique_ptr<std::remove_pointer_t<ucp_context_h>, ContextDeleter>;
using WorkerPtr = std::unique_ptr<std::remove_pointer_t<ucp_worker_h>, WorkerDeleter>;
using WorkerAddressPtr = std::unique_ptr<ucp_address_t, WorkerAddressDeleter>;
using RkeyBufferPtr = std::unique_ptr<void, RkeyBufferDeleter>;
using EpPtr = std::unique_ptr<std::remove_pointer_t<ucp_ep_h>, EpDeleter>;
using RkeyPtr = std::unique_ptr<std::remove_pointer_t<ucp_rkey_h>, RkeyDeleter>;

// "ucx: <what>: <ucs_status_string>". `what` names the call and, where there is one, the peer
// rank and host.
inline Status ucxError(const std::string& what, ucs_status_t s, StatusCode code = StatusCode::kUnavailable) {
  return Status(code, "ucx: " + what + ": " + ucs_status_string(s));
}

// A context with RMA (+ wakeup, for waitForProgress) from `config`, which ucp_config_read
// filled from UCX's own environment (UCX_TLS, UCX_NET_DEVICES, ...), untouched.
Result<ContextPtr> createContext(const ucp_config_t* config, int estimated_eps);

// A worker used by one thread at a time.
Result<WorkerPtr> createWorker(ucp_context_h context, const char* name);

// Progresses `worker` until `request` (from an nbx call) completes or `deadline` passes;
// frees it. Control path only.
ucs_status_t waitRequest(ucp_worker_h worker, ucs_status_ptr_t request, Deadline deadline);

// Starts closing `ep` (flush mode; force when `force`); the result is for waitRequest.
ucs_status_ptr_t startClose(ucp_ep_h ep, bool force);

}  // namespace te::engine::ucx
