// The RC QP state machine: RESET -> INIT -> RTR -> RTS, with an attribute builder that sets
// a field and its mask bit together so that a forgotten mask bit cannot happen.
#pragma once

#include <infiniband/verbs.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace te::engine::verbs {

class QpAttr {
 public:
  QpAttr& state(ibv_qp_state s) { return set(IBV_QP_STATE, attr_.qp_state = s); }
  QpAttr& pkeyIndex(uint16_t v) { return set(IBV_QP_PKEY_INDEX, attr_.pkey_index = v); }
  QpAttr& port(uint8_t v) { return set(IBV_QP_PORT, attr_.port_num = v); }
  QpAttr& accessFlags(unsigned v) { return set(IBV_QP_ACCESS_FLAGS, attr_.qp_access_flags = v); }
  QpAttr& pathMtu(ibv_mtu v) { return set(IBV_QP_PATH_MTU, attr_.path_mtu = v); }
  QpAttr& destQpn(uint32_t v) { return set(IBV_QP_DEST_QPN, attr_.dest_qp_num = v); }
  QpAttr& rqPsn(uint32_t v) { return set(IBV_QP_RQ_PSN, attr_.rq_psn = v); }
  QpAttr& maxDestRdAtomic(uint8_t v) { return set(IBV_QP_MAX_DEST_RD_ATOMIC, attr_.max_dest_rd_atomic = v); }
  QpAttr& minRnrTimer(uint8_t v) { return set(IBV_QP_MIN_RNR_TIMER, attr_.min_rnr_timer = v); }
  QpAttr& addressVector(const ibv_ah_attr& v) { return set(IBV_QP_AV, attr_.ah_attr = v); }
  QpAttr& timeout(uint8_t v) { return set(IBV_QP_TIMEOUT, attr_.timeout = v); }
  QpAttr& retryCount(uint8_t v) { return set(IBV_QP_RETRY_CNT, attr_.retry_cnt = v); }
  QpAttr& rnrRetry(uint8_t v) { return set(IBV_QP_RNR_RETRY, attr_.rnr_retry = v); }
  QpAttr& sqPsn(uint32_t v) { return set(IBV_QP_SQ_PSN, attr_.sq_psn = v); }
  QpAttr& maxRdAtomic(uint8_t v) { return set(IBV_QP_MAX_QP_RD_ATOMIC, attr_.max_rd_atomic = v); }

  ibv_qp_attr* attr() { return &attr_; }
  const ibv_qp_attr& get() const { return attr_; }
  int mask() const { return mask_; }

 private:
  // The field is assigned in the caller's argument expression; this records its mask bit.
  template <typename T>
  QpAttr& set(int bit, const T&) {
    mask_ |= bit;
    return *this;
  }
  ibv_qp_attr attr_{};
  int mask_ = 0;
};

// Retry policy of every RC QP: ack timeout 4.096 us * 2^14 ~ 67 ms (--ib-timeout), 7 transport retries, 7
// RNR retries, so a dead peer fails a request in about 0.5 s. Soft-RoCE (rdma_rxe) reads a
// transport retry count of 7 as "retry forever" (rxe_comp.c), so it gets 6 there.
constexpr uint8_t kAckTimeout = 14;
constexpr uint8_t kRetryCount = 7;
constexpr uint8_t kSoftRoceRetryCount = 6;
constexpr uint32_t kSoftRoceVendorId = 0xffffff;  // RXE_VENDOR_ID
constexpr uint8_t kRnrRetry = 7;
constexpr uint8_t kMinRnrTimer = 12;
constexpr unsigned kRemoteAccess = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
// The access of a memory registration (DRAM or VRAM): remote READ / WRITE, and relaxed PCIe
// ordering unless --relaxed-ordering off (a provider without it ignores the optional bit).
constexpr int mrAccess(bool relaxed_ordering) {
  return static_cast<int>(kRemoteAccess | (relaxed_ordering ? unsigned{IBV_ACCESS_RELAXED_ORDERING} : 0u));
}

// Where the remote end of a QP is, and what both ends agreed on.
struct RtrParams {
  uint8_t port = 1;
  uint32_t remote_qpn = 0;
  uint32_t remote_psn = 0;
  ibv_mtu path_mtu = IBV_MTU_1024;
  uint8_t max_dest_rd_atomic = 1;  // responder resources of this end
  bool global = false;             // RoCE (and IB across subnets): route by GID
  uint16_t dlid = 0;
  ibv_gid dgid{};
  uint8_t sgid_index = 0;
  uint8_t traffic_class = 0;       // in the GRH (global routing only): RoCE v2's IP DS field
  uint8_t service_level = 0;
};

// The PSN a QP starts with: derived from its number, so the peer computes it too.
inline uint32_t initialPsn(uint32_t qpn) { return (qpn * 2654435761u) & 0xffffffu; }

QpAttr initAttr(uint8_t port, uint16_t pkey_index = 0);
QpAttr rtrAttr(const RtrParams& p);
// `ack_timeout`: --ib-timeout, 4.096 us x 2^N.
QpAttr rtsAttr(uint32_t sq_psn, uint8_t max_rd_atomic, uint8_t retry_count = kRetryCount,
               uint8_t ack_timeout = kAckTimeout);

// `context` names the peer and device ("to rank 3 (node07) via mlx5_0 port 1").
Status modifyQpToInit(ibv_qp* qp, uint8_t port, uint16_t pkey_index, const std::string& context);
Status modifyQpToRtr(ibv_qp* qp, const RtrParams& p, const std::string& context);
Status modifyQpToRts(ibv_qp* qp, uint32_t sq_psn, uint8_t max_rd_atomic, uint8_t retry_count, uint8_t ack_timeout,
                     const std::string& context);
// Moves a QP to ERR: its outstanding WRs complete with IBV_WC_WR_FLUSH_ERR.
Status modifyQpToError(ibv_qp* qp, const std::string& context);

// 256..4096 for an ibv_mtu, 0 for an unknown value.
int mtuBytes(int mtu);
// The ibv_mtu of 256..4096 bytes (a size in between rounds down; below 256: IBV_MTU_256).
ibv_mtu mtuEnum(int bytes);

}  // namespace te::engine::verbs
