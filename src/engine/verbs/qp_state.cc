#include "engine/verbs/qp_state.h"

#include <cstring>

#include "engine/verbs/verbs_handles.h"

namespace te::engine::verbs {
namespace {

std::string gidText(const ibv_gid& g) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x", g.raw[0],
                g.raw[1], g.raw[2], g.raw[3], g.raw[4], g.raw[5], g.raw[6], g.raw[7], g.raw[8], g.raw[9], g.raw[10],
                g.raw[11], g.raw[12], g.raw[13], g.raw[14], g.raw[15]);
  return buf;
}

Status modify(ibv_qp* qp, QpAttr& a, const char* verb, const std::string& context, const std::string& detail) {
  int rc = ibv_modify_qp(qp, a.attr(), a.mask());
  if (rc == 0) return Status::ok();
  std::string m = std::string("verbs: ") + verb + " " + context + ": " + std::strerror(verbsErrno(rc));
  if (!detail.empty()) m += " (" + detail + ")";
  return unavailable(std::move(m));
}

}  // namespace

int mtuBytes(int mtu) {
  switch (mtu) {
    case IBV_MTU_256: return 256;
    case IBV_MTU_512: return 512;
    case IBV_MTU_1024: return 1024;
    case IBV_MTU_2048: return 2048;
    case IBV_MTU_4096: return 4096;
    default: return 0;
  }
}

ibv_mtu mtuEnum(int bytes) {
  if (bytes >= 4096) return IBV_MTU_4096;
  if (bytes >= 2048) return IBV_MTU_2048;
  if (bytes >= 1024) return IBV_MTU_1024;
  if (bytes >= 512) return IBV_MTU_512;
  return IBV_MTU_256;
}

QpAttr initAttr(uint8_t port, uint16_t pkey_index) {
  QpAttr a;
  a.state(IBV_QPS_INIT).pkeyIndex(pkey_index).port(port).accessFlags(kRemoteAccess);
  return a;
}

QpAttr rtrAttr(const RtrParams& p) {
  ibv_ah_attr ah{};
  ah.port_num = p.port;
  ah.sl = p.service_level;
  ah.src_path_bits = 0;
  ah.dlid = p.dlid;
  if (p.global) {
    ah.is_global = 1;
    ah.grh.dgid = p.dgid;
    ah.grh.sgid_index = p.sgid_index;
    ah.grh.hop_limit = 64;
    ah.grh.traffic_class = p.traffic_class;
    ah.grh.flow_label = 0;
  }
  QpAttr a;
  a.state(IBV_QPS_RTR)
      .pathMtu(p.path_mtu)
      .destQpn(p.remote_qpn)
      .rqPsn(p.remote_psn)
      .maxDestRdAtomic(p.max_dest_rd_atomic)
      .minRnrTimer(kMinRnrTimer)
      .addressVector(ah);
  return a;
}

QpAttr rtsAttr(uint32_t sq_psn, uint8_t max_rd_atomic, uint8_t retry_count, uint8_t ack_timeout) {
  QpAttr a;
  a.state(IBV_QPS_RTS)
      .timeout(ack_timeout)
      .retryCount(retry_count)
      .rnrRetry(kRnrRetry)
      .sqPsn(sq_psn)
      .maxRdAtomic(max_rd_atomic);
  return a;
}

Status modifyQpToInit(ibv_qp* qp, uint8_t port, uint16_t pkey_index, const std::string& context) {
  QpAttr a = initAttr(port, pkey_index);
  return modify(qp, a, "ibv_modify_qp(INIT)", context,
                "port " + std::to_string(port) + ", pkey_index " + std::to_string(pkey_index));
}

Status modifyQpToRtr(ibv_qp* qp, const RtrParams& p, const std::string& context) {
  QpAttr a = rtrAttr(p);
  std::string detail = "remote qpn 0x" + [&] {
    char b[16];
    std::snprintf(b, sizeof(b), "%x", p.remote_qpn);
    return std::string(b);
  }() + ", mtu " + std::to_string(mtuBytes(p.path_mtu)) + ", sl " + std::to_string(p.service_level);
  detail += p.global ? ", traffic_class " + std::to_string(p.traffic_class) + ", gid_index " +
                           std::to_string(p.sgid_index) + ", dgid " + gidText(p.dgid)
                     : ", dlid " + std::to_string(p.dlid);
  return modify(qp, a, "ibv_modify_qp(RTR)", context, detail);
}

Status modifyQpToRts(ibv_qp* qp, uint32_t sq_psn, uint8_t max_rd_atomic, uint8_t retry_count, uint8_t ack_timeout,
                     const std::string& context) {
  QpAttr a = rtsAttr(sq_psn, max_rd_atomic, retry_count, ack_timeout);
  return modify(qp, a, "ibv_modify_qp(RTS)", context,
                "max_rd_atomic " + std::to_string(max_rd_atomic) + ", retry_cnt " + std::to_string(retry_count) +
                    ", timeout " + std::to_string(ack_timeout));
}

Status modifyQpToError(ibv_qp* qp, const std::string& context) {
  QpAttr a;
  a.state(IBV_QPS_ERR);
  return modify(qp, a, "ibv_modify_qp(ERR)", context, "");
}

}  // namespace te::engine::verbs
