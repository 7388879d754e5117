// A fault-injecting decorator around any transport (as Mooncake TENT's fault proxy): caps the
// rate of chosen links or fails them, so slow-link detection and error paths can be tested
// on every transport. Selected by the test-only TE_FAULT_INJECT variable, e.g.
//   "rate:1->2:20MB"      link 1 -> 2 limited to 20 MB/s (both READ and WRITE)
//   "rate:3->*:50MB;rate:*->3:50MB"   every link of rank 3 (a slow node)
//   "fail:0->1"           requests 0 -> 1 fail with kUnavailable
//   "corrupt:0->1"        the first WRITE 0 -> 1 flips one byte of its source first, once for
//                         the run (integrity tests: the source and every later copy stay wrong)
//   "burst:0->1:150"      completions of requests 0 -> 1 are held back and handed over
//                         together, 150 ms after the first of them finished (a NIC that
//                         signals late and in bursts: the rate accounting must not be fooled)
// A rule that can never fire (a rank past the world, "fail:0->0") is refused at connect.
// Two kinds are left to the transports that apply them themselves (their registry entry says
// applies_key_faults: verbs, which gets the spec in VerbsOptions and applies them once to its
// remote keys at connect; this decorator skips them, and checkFaultRulesFor() refuses them
// for any other transport), so that the device itself reports the remote access error:
//   "badrkey:0->1"        rank 0 uses a wrong rkey for rank 1's regions
//   "oob:0->1"            rank 0 pushes its remote addresses for rank 1 past the peer's MR
#pragma once

#include <string>
#include <vector>

#include "engine/transport.h"

namespace te::engine {

struct FaultRule {
  enum class Kind { kRate, kFail, kCorrupt, kBadRkey, kOutOfBounds, kBurst } kind = Kind::kRate;
  int initiator = -1;  // -1: any
  int target = -1;     // -1: any
  double bytes_per_second = 0;
  int hold_ms = 0;     // kBurst
  std::string text;    // as written, for errors

  // True when the rule covers the link initiator -> target (never a rank to itself).
  bool covers(int from, int to) const {
    return from != to && (initiator == -1 || initiator == from) && (target == -1 || target == to);
  }
};

Result<std::vector<FaultRule>> parseFaultSpec(const std::string& spec);

// An error naming the rule when `transport` would not apply it (badrkey / oob in a transport
// that does not apply key faults itself),
// so a test that asks for a fault never passes without one.
Status checkFaultRulesFor(const std::vector<FaultRule>& rules, const std::string& transport);

// Wraps `inner`; `rank` is this process's rank (rules are matched against it as initiator).
TransportPtr wrapWithFaults(TransportPtr inner, int rank, std::vector<FaultRule> rules);

}  // namespace te::engine
