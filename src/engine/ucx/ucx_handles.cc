#include "engine/ucx/ucx_handles.h"

namespace te::engine::ucx {

Result<ContextPtr> createContext(const ucp_config_t* config, int estimated_eps) {
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED |
                      UCP_PARAM_FIELD_ESTIMATED_NUM_EPS | UCP_PARAM_FIELD_NAME;
  params.features = UCP_FEATURE_RMA | UCP_FEATURE_WAKEUP;
  params.mt_workers_shared = 1;  // workers progress on different threads
  params.estimated_num_eps = static_cast<size_t>(estimated_eps > 0 ? estimated_eps : 1);
  params.name = "te_bench";
  ucp_context_h context = nullptr;
  ucs_status_t s = ucp_init(&params, config, &context);
  if (s != UCS_OK) return ucxError("ucp_init (features RMA, WAKEUP)", s);
  return ContextPtr(context);
}

Result<WorkerPtr> createWorker(ucp_context_h context, const char* name) {
  ucp_worker_params_t params{};
  params.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE | UCP_WORKER_PARAM_FIELD_NAME;
  params.thread_mode = UCS_THREAD_MODE_SERIALIZED;  // one thread at a time (connect, then the bench thread)
  params.name = name;
  ucp_worker_h worker = nullptr;
  ucs_status_t s = ucp_worker_create(context, &params, &worker);
  if (s != UCS_OK) return ucxError(std::string("ucp_worker_create (") + name + ")", s);
  return WorkerPtr(worker);
}

ucs_status_t waitRequest(ucp_worker_h worker, ucs_status_ptr_t request, Deadline deadline) {
  if (request == nullptr) return UCS_OK;
  if (UCS_PTR_IS_ERR(request)) return UCS_PTR_STATUS(request);
  ucs_status_t s = UCS_INPROGRESS;
  while ((s = ucp_request_check_status(request)) == UCS_INPROGRESS) {
    if (ucp_worker_progress(worker) == 0 && Clock::now() > deadline) {
      // Abandon it: UCX completes it when the worker is destroyed.
      ucp_request_free(request);
      return UCS_ERR_TIMED_OUT;
    }
  }
  ucp_request_free(request);
  return s;
}

ucs_status_ptr_t startClose(ucp_ep_h ep, bool force) {
  ucp_request_param_t params{};
  params.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
  params.flags = force ? UCP_EP_CLOSE_FLAG_FORCE : 0;
  return ucp_ep_close_nbx(ep, &params);
}

void EpDeleter::operator()(ucp_ep_h ep) const {
  // On timeout the close is abandoned: ucp_worker_destroy releases what is left.
  (void)waitRequest(worker, startClose(ep, false), Clock::now() + std::chrono::milliseconds(500));
}

}  // namespace te::engine::ucx
