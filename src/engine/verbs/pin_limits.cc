#include "engine/verbs/pin_limits.h"

#include <infiniband/verbs.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "common/logging.h"

namespace te::engine::verbs {
namespace {

// A size rounded up to a whole unit: "~258 MiB", "64 KiB".
std::string wholeSize(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  uint64_t value = bytes;
  uint64_t scale = 1;
  while (value >= 1024 && unit < 5) {
    scale *= 1024;
    value = (bytes + scale - 1) / scale;
    ++unit;
  }
  return std::to_string(value) + " " + kUnits[unit];
}

bool holdsIpcLock() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))) != 0;
}

}  // namespace

uint64_t PinEstimate::queueBytes() const {
  return qps * (static_cast<uint64_t>(depth) * (kWqeBytesEstimate + kCqeBytesEstimate) + kQpFixedBytesEstimate);
}

uint64_t plannedQps(int world_size, int workers, int nics, int qps_per_peer) {
  if (world_size < 2) return 0;
  return static_cast<uint64_t>(world_size - 1) * static_cast<uint64_t>(workers) * static_cast<uint64_t>(nics) *
         static_cast<uint64_t>(qps_per_peer);
}

std::string memlockShortfall(uint64_t limit_bytes, const PinEstimate& pin) {
  if (limit_bytes == kUnlimited || limit_bytes >= pin.total()) return "";
  return "verbs: RLIMIT_MEMLOCK is " + wholeSize(limit_bytes) + " but this run pins ~" + wholeSize(pin.total()) +
         " (buffers " + wholeSize(pin.buffer_bytes) + " x " + std::to_string(pin.nics) +
         (pin.nics == 1 ? " NIC" : " NICs") + " + queues ~" + wholeSize(pin.queueBytes()) +
         "); raise it: ulimit -l unlimited (or LimitMEMLOCK= in slurm/systemd)";
}

Status checkMemlock(const PinEstimate& pin) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_MEMLOCK, &limit) != 0) return Status::ok();  // nothing to say: the registration will
  const uint64_t soft = limit.rlim_cur == RLIM_INFINITY ? kUnlimited : static_cast<uint64_t>(limit.rlim_cur);
  std::string shortfall = memlockShortfall(soft, pin);
  if (shortfall.empty()) return Status::ok();
  if (holdsIpcLock()) {
    TE_LOG(DEBUG) << shortfall << " [ignored: CAP_IPC_LOCK held, the kernel does not apply the limit]";
    return Status::ok();
  }
  return unavailable(std::move(shortfall));
}

void initForkSafety() {
  static std::once_flag once;
  std::call_once(once, [] {
    const ibv_fork_status status = ibv_is_fork_initialized();
    if (status != IBV_FORK_DISABLED) return;  // RDMAV_FORK_SAFE already did it, or the kernel copes
    const int rc = ibv_fork_init();
    if (rc != 0) {
      TE_LOG(WARN) << "verbs: ibv_fork_init: " << std::strerror(rc > 0 ? rc : errno)
                   << " (a fork() while memory is registered could corrupt it)";
    }
  });
}

}  // namespace te::engine::verbs
