#include "engine/verbs/device_memory_mr.h"

#include <cerrno>
#include <cstring>

namespace te::engine::verbs {

Result<DeviceMr> registerDeviceMemory(ibv_pd* pd, const Buffer& buffer, int access) {
  const std::string dev = ibv_get_device_name(pd->context->device);
  std::string dmabuf_why;
  Result<DmabufHandle> handle = buffer.dmabuf();
  if (handle.isOk()) {
    errno = 0;
    ibv_mr* mr = ibv_reg_dmabuf_mr(pd, handle->offset, buffer.length(), reinterpret_cast<uint64_t>(buffer.data()),
                                   handle->fd, access);
    if (mr) return DeviceMr{MrPtr(mr), "dma-buf"};
    const int err = errno ? errno : EOPNOTSUPP;
    dmabuf_why = std::string("ibv_reg_dmabuf_mr: ") + std::strerror(err) +
                 (err == EOPNOTSUPP || err == EPROTONOSUPPORT ? " (the provider or kernel lacks dma-buf MRs)" : "");
  } else {
    dmabuf_why = handle.status().message();
  }
  errno = 0;
  ibv_mr* mr = ibv_reg_mr(pd, buffer.data(), buffer.length(), access);
  if (mr) return DeviceMr{MrPtr(mr), "peer memory (nvidia-peermem)"};
  const int err = errno ? errno : EFAULT;
  return unavailable("registering " + std::to_string(buffer.length()) + " bytes of GPU " + buffer.pciBusId() +
                     " memory on " + dev + " failed both ways: dma-buf: " + dmabuf_why +
                     "; peer memory: ibv_reg_mr: " + std::strerror(err) +
                     (err == EFAULT || err == EINVAL ? " (is nvidia-peermem loaded? `modprobe nvidia-peermem`)" : ""));
}

}  // namespace te::engine::verbs
