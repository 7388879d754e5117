// KvStore on redis through hiredis: every key written with a TTL (SET .. PX) that a
// keep-alive thread refreshes while the process lives; SET NX for create-if-absent; MGET
// for known keys; SCAN only for clean-up and tests. Commands are pipelined: one round trip
// per call.
#pragma once

#include "bootstrap/kv/kv_store.h"

namespace te::bootstrap::kv {

// Connects (within the connect timeout) and checks the server answers PING.
Result<KvStorePtr> connectRedis(const KvStoreOptions& options);

}  // namespace te::bootstrap::kv
