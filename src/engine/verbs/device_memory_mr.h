// Registration of GPU memory (VRAM) with a NIC: dma-buf first (ibv_reg_dmabuf_mr on the fd
// the CUDA driver exports; needs Linux >= 5.12 and NVIDIA's open kernel module), then the
// peer-memory path (ibv_reg_mr on the device pointer; needs nvidia-peermem loaded). A
// failure names both attempts and why each failed.
#pragma once

#include <string>

#include "engine/memory/buffer.h"
#include "engine/verbs/verbs_handles.h"

namespace te::engine::verbs {

struct DeviceMr {
  MrPtr mr;
  std::string path;  // "dma-buf" or "peer memory (nvidia-peermem)"
};

Result<DeviceMr> registerDeviceMemory(ibv_pd* pd, const Buffer& buffer, int access);

}  // namespace te::engine::verbs
