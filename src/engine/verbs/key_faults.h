// Test-only remote-key faults of TE_FAULT_INJECT ("badrkey:I->T", "oob:I->T"): applied once
// to the keys table a worker's SendPath copies at connect, so that the device itself answers
// with a remote access error completion. Nothing on the data path looks at them.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "engine/verbs/send_path.h"

namespace te::engine::verbs {

// An rkey that no memory region of the peer has.
constexpr uint32_t wrongRkey(uint32_t rkey) { return ~rkey; }

// Alters `peers` (indexed by rank) for the badrkey / oob rules of `spec` where `rank`
// initiates: badrkey replaces every rkey of the peer with wrongRkey(); oob moves every region's
// remote address one region length up, so that any in-range request lands past the peer's
// MR. Lengths stay, so requests still pass the bounds check before posting. Returns one
// description per altered peer (for the log); kInvalidArgument for a malformed spec.
Result<std::vector<std::string>> applyKeyFaults(const std::string& spec, int rank, std::vector<PeerKeys>* peers);

}  // namespace te::engine::verbs
