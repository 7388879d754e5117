#include "engine/verbs/verbs_handles.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace te::engine::verbs {

int verbsErrno(int rc) {
  if (rc > 0) return rc;
  return errno != 0 ? errno : EIO;
}

Status verbsError(const std::string& verb, const std::string& device, int err, const std::string& context) {
  std::string m = "verbs: " + verb + " on " + device;
  if (!context.empty()) m += " for " + context;
  m += ": ";
  m += std::strerror(err);
  return unavailable(std::move(m));
}

const char* deviceName(ibv_context* ctx) { return ctx && ctx->device ? ibv_get_device_name(ctx->device) : "?"; }

Result<DeviceList> getDeviceList() {
  errno = 0;
  int n = 0;
  ibv_device** list = ibv_get_device_list(&n);
  int err = errno;
  if (list == nullptr) {
    return unavailable(std::string("no RDMA device found (ibv_get_device_list: ") +
                       std::strerror(err != 0 ? err : ENODEV) + ")");
  }
  DeviceList out{DeviceListPtr(list), n};
  if (n == 0) return unavailable("no RDMA device found (ibv_get_device_list: the list is empty)");
  return out;
}

Result<ContextPtr> openDevice(ibv_device* device) {
  errno = 0;
  ibv_context* ctx = ibv_open_device(device);
  if (!ctx) return verbsError("ibv_open_device", ibv_get_device_name(device), errno ? errno : ENODEV);
  return ContextPtr(ctx);
}

Result<PdPtr> allocPd(ibv_context* ctx) {
  errno = 0;
  ibv_pd* pd = ibv_alloc_pd(ctx);
  if (!pd) return verbsError("ibv_alloc_pd", deviceName(ctx), errno ? errno : ENOMEM);
  return PdPtr(pd);
}

Result<MrPtr> registerMr(ibv_pd* pd, void* addr, size_t length, int access) {
  errno = 0;
  ibv_mr* mr = ibv_reg_mr(pd, addr, length, access);
  if (!mr) {
    int err = errno ? errno : ENOMEM;
    std::string hint = err == ENOMEM || err == EPERM ? " (check `ulimit -l`: memory lock limit)" : "";
    return verbsError("ibv_reg_mr", deviceName(pd->context), err,
                      std::to_string(length) + " bytes" + hint);
  }
  return MrPtr(mr);
}

Result<CompChannelPtr> createCompChannel(ibv_context* ctx) {
  errno = 0;
  ibv_comp_channel* ch = ibv_create_comp_channel(ctx);
  if (!ch) return verbsError("ibv_create_comp_channel", deviceName(ctx), errno ? errno : ENOMEM);
  CompChannelPtr owned(ch);
  int flags = ::fcntl(ch->fd, F_GETFL);
  if (flags < 0 || ::fcntl(ch->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return verbsError("fcntl(O_NONBLOCK) of the completion channel", deviceName(ctx), errno);
  }
  return owned;
}

Result<CqPtr> createCq(ibv_context* ctx, int cqe, ibv_comp_channel* channel) {
  errno = 0;
  ibv_cq* cq = ibv_create_cq(ctx, cqe, nullptr, channel, 0);
  if (!cq) {
    return verbsError("ibv_create_cq", deviceName(ctx), errno ? errno : ENOMEM, std::to_string(cqe) + " entries");
  }
  return CqPtr(cq);
}

Result<QpPtr> createRcQp(ibv_pd* pd, ibv_cq* cq, const RcQpCaps& caps, const std::string& context, RcQpCaps* actual,
                         void* qp_context) {
  int err = 0;
  // Some devices refuse inline data (or this much of it): retry without before failing.
  for (uint32_t inline_bytes : {caps.max_inline_data, 0u}) {
    if (caps.lean_ops) {
      ibv_qp_init_attr_ex ex{};
      ex.qp_context = qp_context;
      ex.send_cq = cq;
      ex.recv_cq = cq;
      ex.qp_type = IBV_QPT_RC;
      ex.cap.max_send_wr = caps.max_send_wr;
      ex.cap.max_recv_wr = 1;
      ex.cap.max_send_sge = 1;
      ex.cap.max_recv_sge = 1;
      ex.cap.max_inline_data = inline_bytes;
      ex.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
      ex.pd = pd;
      ex.send_ops_flags = IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_RDMA_READ;
      errno = 0;
      if (ibv_qp* qp = ibv_create_qp_ex(pd->context, &ex)) {
        if (actual) *actual = RcQpCaps{ex.cap.max_send_wr, ex.cap.max_inline_data, true};
        return QpPtr(qp);
      }
      // Not for this provider (no extended create, or not these send ops): the plain verb.
    }
    ibv_qp_init_attr init{};
    init.qp_context = qp_context;
    init.send_cq = cq;
    init.recv_cq = cq;
    init.qp_type = IBV_QPT_RC;
    init.sq_sig_all = 0;
    init.cap.max_send_wr = caps.max_send_wr;
    init.cap.max_recv_wr = 1;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    init.cap.max_inline_data = inline_bytes;
    errno = 0;
    ibv_qp* qp = ibv_create_qp(pd, &init);
    if (qp) {
      if (actual) *actual = RcQpCaps{init.cap.max_send_wr, init.cap.max_inline_data, false};
      return QpPtr(qp);
    }
    err = errno ? errno : ENOMEM;
    if (inline_bytes == 0) break;
  }
  return verbsError("ibv_create_qp", deviceName(pd->context), err,
                    context + " (max_send_wr " + std::to_string(caps.max_send_wr) + ")");
}

}  // namespace te::engine::verbs
