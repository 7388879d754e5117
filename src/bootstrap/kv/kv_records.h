// The values the KV bootstrap stores, and the key layout. Every value starts with a magic,
// a version and its kind, and is decoded with bounds checks: a value planted by hand, by
// another program or by an older te_bench is an error that names the key, never a crash.
//
//   /te_bench/<job>/epoch                      rank 0's epoch: a fresh nonce per job start
//   /te_bench/<job>/<epoch>/claim/<rank>       one per rank: who holds that rank (host, pid)
//   /te_bench/<job>/<epoch>/roster             written by rank 0 once every rank claimed
//   /te_bench/<job>/<epoch>/op/<n>/<rank>      allGather / barrier / broadcast number n
//   /te_bench/<job>/<epoch>/op/<n>/<dst>/<src> allToAll number n
//   /te_bench/<job>/<epoch>/abort              a rank gave up; the others stop
//   /te_bench/<job>/<epoch>/left/<rank>        a rank is done (rank 0 then deletes the job)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/collective.h"
#include "common/status.h"

namespace te::bootstrap::kv {

// One process: what a claim, the epoch and the roster say about their writer.
struct Identity {
  std::string host;
  int32_t pid = 0;
  uint64_t instance = 0;  // random per process: tells two processes on one host apart
  std::string text() const;  // "host node07 pid 1234"
};

struct EpochRecord {
  uint64_t epoch = 0;
  int32_t size = 0;
  Identity owner;  // rank 0
};

struct ClaimRecord {
  uint64_t epoch = 0;
  int32_t rank = 0;
  int32_t size = 0;
  Identity who;
};

struct RosterRecord {
  uint64_t epoch = 0;
  std::vector<Identity> ranks;
};

struct AbortRecord {
  int32_t rank = 0;
  int32_t exit_code = 0;
  std::string host;
  std::string message;
};

Bytes encodeEpoch(const EpochRecord& r);
Bytes encodeClaim(const ClaimRecord& r);
Bytes encodeRoster(const RosterRecord& r);
Bytes encodeAbort(const AbortRecord& r);
// Contribution of rank `from` (process `instance`) to collective number `op` of `epoch`.
Bytes encodeOpValue(uint64_t epoch, uint64_t op, int32_t from, uint64_t instance, const Bytes& payload);

// kInternal "not a te_bench ... (bad magic)" and the like; the caller adds the key.
Result<EpochRecord> decodeEpoch(const Bytes& value);
Result<ClaimRecord> decodeClaim(const Bytes& value);
Result<RosterRecord> decodeRoster(const Bytes& value);
Result<AbortRecord> decodeAbort(const Bytes& value);
// Checks that the value is what `from` wrote for this op and returns its payload.
Result<Bytes> decodeOpValue(const Bytes& value, uint64_t epoch, uint64_t op, int32_t from, uint64_t instance);

// Job ids become key path segments: 1..128 of [A-Za-z0-9._:-].
bool validJobId(const std::string& job_id);

struct KeyLayout {
  KeyLayout(const std::string& job_id, uint64_t epoch);
  static std::string jobPrefix(const std::string& job_id);  // "/te_bench/<job>/"
  static std::string epochKey(const std::string& job_id);
  std::string claimPrefix() const { return epoch_prefix_ + "claim/"; }  // under "/te_bench/<job>/<epoch hex>/"
  std::string claimKey(int rank) const { return claimPrefix() + std::to_string(rank); }
  std::string rosterKey() const { return epoch_prefix_ + "roster"; }
  std::string abortKey() const { return epoch_prefix_ + "abort"; }
  std::string leftPrefix() const { return epoch_prefix_ + "left/"; }
  std::string opPrefix(uint64_t op) const { return epoch_prefix_ + "op/" + std::to_string(op) + "/"; }

 private:
  std::string epoch_prefix_;
};

}  // namespace te::bootstrap::kv
