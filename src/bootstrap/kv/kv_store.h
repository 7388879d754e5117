// KvStore: the small key-value interface the etcd and redis bootstraps share. Every key a
// store writes is tied to its lease (etcd) or TTL (redis), refreshed by a keep-alive thread
// while the process lives, so the keys of a crashed job vanish by themselves.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/collective.h"
#include "common/status.h"

namespace te::bootstrap::kv {

struct KeyValue {
  std::string key;
  Bytes value;
};

struct TimedValue {
  Bytes value;
  std::chrono::milliseconds ttl{0};
};

struct KvStoreOptions {
  std::string url;                                  // "etcd://h:p[,h:p]" or "redis://h:p"
  std::chrono::milliseconds ttl{10000};             // lease / key TTL (refreshed every ttl / 4)
  std::chrono::milliseconds connect_timeout{5000};  // per connection attempt
};

// Server round trips and payload bytes, for the scaling measurement.
struct KvStats {
  uint64_t round_trips = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t polls = 0;  // waitFor presence checks (round trips that carry no values)
};

// Called by waitFor about once a second while it waits: a non-OK status ends the wait.
using PollCheck = std::function<Status()>;

class KvStore {
 public:
  virtual ~KvStore() = default;

  // "etcd http://127.0.0.1:2379" style text for messages.
  virtual std::string describe() const = 0;
  std::chrono::milliseconds ttl() const { return ttl_; }

  // Writes `puts` (tied to this store's lease / TTL) and deletes `removes`, in as few round
  // trips as the server allows; the order between different keys is not defined.
  virtual Status write(const std::vector<KeyValue>& puts, const std::vector<std::string>& removes,
                       Deadline deadline) = 0;
  // Creates `key` only if it does not exist: nullopt when created, else the value there.
  virtual Result<std::optional<Bytes>> createIfAbsent(const std::string& key, const Bytes& value,
                                                      Deadline deadline) = 0;
  // Values of `keys` (nullopt where absent), in order, in one round trip where possible.
  virtual Result<std::vector<std::optional<Bytes>>> getMany(const std::vector<std::string>& keys,
                                                            Deadline deadline) = 0;
  // Values of prefix + "0" .. prefix + to_string(count - 1). A key under `prefix` that is not
  // one of these is an error where the server shows it (etcd: a foreign or planted key).
  virtual Result<std::vector<std::optional<Bytes>>> getIndexed(const std::string& prefix, int count,
                                                               Deadline deadline) = 0;
  // Which of those keys exist, without their values: what waitFor polls (etcd: a keys-only
  // range; redis: pipelined EXISTS), so that waiting ranks do not pull partial data.
  virtual Result<std::vector<bool>> presentIndexed(const std::string& prefix, int count, Deadline deadline) = 0;
  // Every key under `prefix` (etcd: a range; redis: SCAN, which walks the whole key space:
  // for clean-up and tests, never polled).
  virtual Result<std::map<std::string, Bytes>> list(const std::string& prefix, Deadline deadline) = 0;
  virtual Status removePrefix(const std::string& prefix, Deadline deadline) = 0;
  // The value of `key` and how long it lives if its writer stops refreshing it (nullopt when
  // absent; ttl milliseconds::max() when it never expires). Redis: one round trip; etcd: two
  // (the key names its lease, the lease knows its time to live).
  virtual Result<std::optional<TimedValue>> getWithTtl(const std::string& key, Deadline deadline) = 0;
  // Deletes every key this store wrote, at once (etcd: revokes the lease).
  virtual Status dropOwnKeys(Deadline deadline) = 0;

  Status put(const std::string& key, const Bytes& value, Deadline deadline) {
    return write({{key, value}}, {}, deadline);
  }
  Status remove(const std::vector<std::string>& keys, Deadline deadline) { return write({}, keys, deadline); }
  Result<std::optional<Bytes>> get(const std::string& key, Deadline deadline);

  // Reads prefix + "0" .. prefix + to_string(count - 1), polling presentIndexed with backoff
  // while some are missing. At the deadline: kDeadlineExceeded, the missing indices in *missing.
  Result<std::vector<Bytes>> waitFor(const std::string& prefix, int count, Deadline deadline,
                                     const PollCheck& check = {}, std::vector<int>* missing = nullptr);

  const KvStats& stats() const { return stats_; }

 protected:
  explicit KvStore(std::chrono::milliseconds ttl) : ttl_(ttl) {}
  KvStats stats_;

 private:
  std::chrono::milliseconds ttl_;
};

using KvStorePtr = std::unique_ptr<KvStore>;

// Connects to the store named by options.url (scheme etcd:// or redis://) through the
// backends built into this binary; the first request runs within the connect timeout.
Result<KvStorePtr> connectKvStore(const KvStoreOptions& options);

// Syntax check of a KV url without contacting anything (scheme built in, host:port list).
Status validateKvUrl(const std::string& url);

// Schemes this binary knows, with the reason a known one is not built ("" when built).
struct KvBackend {
  const char* scheme;
  Result<KvStorePtr> (*connect)(const KvStoreOptions&);  // nullptr when not built
  const char* missing_reason;
};
const std::vector<KvBackend>& kvBackends();

}  // namespace te::bootstrap::kv
