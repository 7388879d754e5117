#include "engine/verbs/key_faults.h"

#include "engine/fault/fault_transport.h"
#include "engine/worker/peer_label.h"

namespace te::engine::verbs {

Result<std::vector<std::string>> applyKeyFaults(const std::string& spec, int rank, std::vector<PeerKeys>* peers) {
  std::vector<std::string> applied;
  if (spec.empty()) return applied;
  TE_ASSIGN_OR_RETURN(std::vector<FaultRule> rules, parseFaultSpec(spec));
  for (int peer = 0; peer < static_cast<int>(peers->size()); ++peer) {
    bool bad_rkey = false, out_of_bounds = false;
    for (const FaultRule& rule : rules) {
      if (!rule.covers(rank, peer)) continue;
      bad_rkey = bad_rkey || rule.kind == FaultRule::Kind::kBadRkey;
      out_of_bounds = out_of_bounds || rule.kind == FaultRule::Kind::kOutOfBounds;
    }
    PeerKeys& k = (*peers)[peer];
    if ((!bad_rkey && !out_of_bounds) || k.regions.empty()) continue;
    for (RemoteRegionKeys& r : k.regions) {
      if (bad_rkey) {
        for (uint32_t& rkey : r.rkeys) rkey = wrongRkey(rkey);
      }
      if (out_of_bounds) r.addr += r.length;
    }
    applied.push_back(worker::peerLabel(peer, k.hostname) + ": " +
                      (bad_rkey ? "wrong rkeys" : "") + (bad_rkey && out_of_bounds ? ", " : "") +
                      (out_of_bounds ? "remote addresses past the end of its regions" : ""));
  }
  return applied;
}

}  // namespace te::engine::verbs
