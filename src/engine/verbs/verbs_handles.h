// RAII owners for verbs objects (device list, context, PD, MR, CQ, completion channel, QP)
// and one small creation helper per object whose error names the verb, the device and errno.
#pragma once

#include <infiniband/verbs.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace te::engine::verbs {

struct DeviceListDeleter {
  void operator()(ibv_device** list) const { ibv_free_device_list(list); }
};
struct ContextDeleter {
  void operator()(ibv_context* c) const { ibv_close_device(c); }
};
struct PdDeleter {
  void operator()(ibv_pd* pd) const { ibv_dealloc_pd(pd); }
};
struct MrDeleter {
  void operator()(ibv_mr* mr) const { ibv_dereg_mr(mr); }
};
struct CompChannelDeleter {
  void operator()(ibv_comp_channel* ch) const { ibv_destroy_comp_channel(ch); }
};
struct CqDeleter {
  void operator()(ibv_cq* cq) const { ibv_destroy_cq(cq); }
};
struct QpDeleter {
  void operator()(ibv_qp* qp) const { ibv_destroy_qp(qp); }
};

using DeviceListPtr = std::unique_ptr<ibv_device*, DeviceListDeleter>;
using ContextPtr = std::unique_ptr<ibv_context, ContextDeleter>;
using PdPtr = std::unique_ptr<ibv_pd, PdDeleter>;
using MrPtr = std::unique_ptr<ibv_mr, MrDeleter>;
using CompChannelPtr = std::unique_ptr<ibv_comp_channel, CompChannelDeleter>;
using CqPtr = std::unique_ptr<ibv_cq, CqDeleter>;
using QpPtr = std::unique_ptr<ibv_qp, QpDeleter>;

// The device list and its length. kUnavailable "no RDMA device found (ibv_get_device_list:
// <strerror>)" when there is none.
struct DeviceList {
  DeviceListPtr list;
  int count = 0;
};
Result<DeviceList> getDeviceList();

// Providers return either a positive errno or -1 with errno set; this gives the errno.
int verbsErrno(int rc);
// "<verb> on <device>[ for <context>]: <strerror(err)>".
Status verbsError(const std::string& verb, const std::string& device, int err, const std::string& context = "");

Result<ContextPtr> openDevice(ibv_device* device);
Result<PdPtr> allocPd(ibv_context* ctx);
Result<MrPtr> registerMr(ibv_pd* pd, void* addr, size_t length, int access);
// Completion channel with a non-blocking fd (waitForProgress polls it with a timeout).
Result<CompChannelPtr> createCompChannel(ibv_context* ctx);
Result<CqPtr> createCq(ibv_context* ctx, int cqe, ibv_comp_channel* channel);

// Send-side capacities of an RC QP. max_inline_data is a request: a device that refuses it
// gets a QP without inline data. lean_ops: made with ibv_create_qp_ex declaring the only send
// ops used (RDMA WRITE and READ), so a provider can size its WQEs for them (mlx5: 64 B
// instead of 256 B without inline data); where the provider refuses, ibv_create_qp.
struct RcQpCaps {
  uint32_t max_send_wr = 256;
  uint32_t max_inline_data = 64;
  bool lean_ops = true;
};
// `context` names the peer ("rank 3 (node07)") for the error message; `qp_context` becomes
// the QP's qp_context (what its async events point back to). `actual` gets what the QP got.
Result<QpPtr> createRcQp(ibv_pd* pd, ibv_cq* cq, const RcQpCaps& caps, const std::string& context, RcQpCaps* actual,
                         void* qp_context = nullptr);

const char* deviceName(ibv_context* ctx);

}  // namespace te::engine::verbs
