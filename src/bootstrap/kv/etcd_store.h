// KvStore on etcd's v3 JSON gateway (etcd 3.4+): a lease per process with a keep-alive
// thread; puts and deletes batched into transactions; create-if-absent as a transaction
// on create_revision == 0; prefixes as key ranges.
#pragma once

#include "bootstrap/kv/kv_store.h"

namespace te::bootstrap::kv {

// Grants the lease (the first request: an unreachable server fails here, within the
// connect timeout) and starts the keep-alive thread.
Result<KvStorePtr> connectEtcd(const KvStoreOptions& options);

}  // namespace te::bootstrap::kv
