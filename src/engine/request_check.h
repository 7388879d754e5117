// The range checks every transport makes before it posts a request, in one place so that
// each one rejects the same requests with the same words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "engine/types.h"

namespace te::engine {

// `local_length`: length of the request's local region (nullopt: no such region);
// `remote_length`: of the peer's region (nullopt: the peer published no such region);
// `peer_label`: how messages name the peer ("rank 3 (node07)").
Status checkRequestRanges(const char* transport, const Request& r, std::optional<uint64_t> local_length,
                          std::optional<uint64_t> remote_length, const std::string& peer_label);

}  // namespace te::engine
