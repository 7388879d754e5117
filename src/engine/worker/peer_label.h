// How every message names a peer: "rank 3 (node07)". Built once at connect and kept with the
// peer, so that no request builds it (a label past 15 characters allocates).
#pragma once

#include <string>

namespace te::engine::worker {

inline std::string peerLabel(int rank, const std::string& hostname) {
  return "rank " + std::to_string(rank) + " (" + hostname + ")";
}

}  // namespace te::engine::worker
