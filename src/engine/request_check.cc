#include "engine/request_check.h"

namespace te::engine {
namespace {

bool outside(uint64_t offset, uint64_t length, uint64_t region) {
  return offset > region || length > region - offset;
}

std::string range(const Request& r, uint64_t offset) {
  return "[" + std::to_string(offset) + ", +" + std::to_string(r.length) + ")";
}

}  // namespace

Status checkRequestRanges(const char* transport, const Request& r, std::optional<uint64_t> local_length,
                          std::optional<uint64_t> remote_length, const std::string& peer_label) {
  if (local_length && !outside(r.local_offset, r.length, *local_length) && remote_length &&
      !outside(r.remote_offset, r.length, *remote_length)) {
    return Status::ok();  // the data path's case: no string built
  }
  const std::string t = transport;
  if (!local_length) return invalidArgument(t + ": unknown local region " + std::to_string(r.local_region));
  if (outside(r.local_offset, r.length, *local_length)) {
    return invalidArgument(t + ": local range " + range(r, r.local_offset) + " is outside the local region of " +
                           std::to_string(*local_length) + " bytes");
  }
  if (!remote_length) {
    return invalidArgument(t + ": " + peer_label + " has no region " + std::to_string(r.remote_region));
  }
  if (outside(r.remote_offset, r.length, *remote_length)) {
    return invalidArgument(t + ": remote range " + range(r, r.remote_offset) + " is outside " + peer_label +
                           "'s region of " + std::to_string(*remote_length) + " bytes");
  }
  return Status::ok();
}

}  // namespace te::engine
