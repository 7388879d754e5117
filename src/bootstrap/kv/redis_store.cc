#include "bootstrap/kv/redis_store.h"

#include <mutex>
#include <set>

#include "bootstrap/kv/keep_alive.h"
#include "bootstrap/kv/redis_connection.h"

namespace te::bootstrap::kv {
namespace {

constexpr size_t kKeysPerCommand = 1000;  // MGET / DEL / SCAN COUNT

// SCAN MATCH pattern that matches `prefix` literally, then anything.
std::string globPrefix(const std::string& prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out + "*";
}

std::optional<Bytes> stringReply(const redisReply* r) {
  if (r->type != REDIS_REPLY_STRING) return std::nullopt;
  return Bytes(r->str, r->str + r->len);
}

class RedisStore final : public KvStore {
 public:
  RedisStore(std::chrono::milliseconds ttl, std::unique_ptr<RedisConnection> conn,
             std::unique_ptr<RedisConnection> keepalive_conn)
      : KvStore(ttl), conn_(std::move(conn)), keepalive_conn_(std::move(keepalive_conn)),
        ttl_ms_(std::to_string(ttl.count())) {
    conn_->setStats(&stats_);
    keepalive_ = std::make_unique<KeepAlive>(std::max(ttl / 4, std::chrono::milliseconds(100)), "key keep-alive",
                                             [this](Deadline d) { return refresh(d); });
  }
  ~RedisStore() override { keepalive_.reset(); }

  std::string describe() const override { return conn_->describe(); }

  Status write(const std::vector<KeyValue>& puts, const std::vector<std::string>& removes,
               Deadline deadline) override {
    std::vector<RedisCommand> cmds;
    for (const auto& kv : puts) {
      cmds.push_back({"SET", kv.key, std::string(kv.value.begin(), kv.value.end()), "PX", ttl_ms_});
    }
    appendKeyCommands("DEL", removes, &cmds);
    if (cmds.empty()) return Status::ok();
    TE_ASSIGN_OR_RETURN(auto replies, conn_->run(cmds, deadline));
    for (size_t i = 0; i < puts.size(); ++i) {
      if (replies[i]->type != REDIS_REPLY_STATUS) return unavailable(describe() + ": SET " + puts[i].key + ": no OK");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& kv : puts) owned_.insert(kv.key);
    for (const auto& k : removes) owned_.erase(k);
    return Status::ok();
  }

  Result<std::optional<Bytes>> createIfAbsent(const std::string& key, const Bytes& value,
                                              Deadline deadline) override {
    const std::string v(value.begin(), value.end());
    for (int attempt = 0; attempt < 3; ++attempt) {
      TE_ASSIGN_OR_RETURN(auto replies, conn_->run({{"SET", key, v, "NX", "PX", ttl_ms_}, {"GET", key}}, deadline));
      if (replies[0]->type == REDIS_REPLY_STATUS) {
        std::lock_guard<std::mutex> lock(mutex_);
        owned_.insert(key);
        return std::optional<Bytes>();
      }
      if (replies[0]->type != REDIS_REPLY_NIL) return unavailable(describe() + ": SET NX " + key + ": odd reply");
      if (auto existing = stringReply(replies[1].get())) return std::optional<Bytes>(std::move(*existing));
      // The key expired between SET NX and GET: try again.
    }
    return unavailable(describe() + ": create " + key + ": the key keeps appearing and vanishing");
  }

  Result<std::vector<std::optional<Bytes>>> getMany(const std::vector<std::string>& keys,
                                                    Deadline deadline) override {
    std::vector<RedisCommand> cmds;
    std::vector<std::optional<Bytes>> out;
    if (keys.size() == 1) {
      // GET, unlike MGET, says when the key holds another type (a list, a hash...) instead of
      // answering nil, so a rank waiting for a key that is there fails at once.
      TE_ASSIGN_OR_RETURN(auto replies, conn_->run({{"GET", keys[0]}}, deadline));
      out.push_back(stringReply(replies[0].get()));
      return out;
    }
    appendKeyCommands("MGET", keys, &cmds);
    if (cmds.empty()) return out;
    TE_ASSIGN_OR_RETURN(auto replies, conn_->run(cmds, deadline));
    for (const auto& r : replies) {
      if (r->type != REDIS_REPLY_ARRAY) return unavailable(describe() + ": MGET: reply is not an array");
      for (size_t i = 0; i < r->elements; ++i) out.push_back(stringReply(r->element[i]));
    }
    if (out.size() != keys.size()) return unavailable(describe() + ": MGET: wrong number of values");
    return out;
  }

  Result<std::vector<std::optional<Bytes>>> getIndexed(const std::string& prefix, int count,
                                                       Deadline deadline) override {
    std::vector<std::string> keys;
    keys.reserve(count);
    for (int i = 0; i < count; ++i) keys.push_back(prefix + std::to_string(i));
    return getMany(keys, deadline);
  }

  Result<std::vector<bool>> presentIndexed(const std::string& prefix, int count, Deadline deadline) override {
    std::vector<RedisCommand> cmds;
    cmds.reserve(count);
    for (int i = 0; i < count; ++i) cmds.push_back({"EXISTS", prefix + std::to_string(i)});
    TE_ASSIGN_OR_RETURN(auto replies, conn_->run(cmds, deadline));
    std::vector<bool> out(count);
    for (int i = 0; i < count; ++i) {
      if (replies[i]->type != REDIS_REPLY_INTEGER) return unavailable(describe() + ": EXISTS: odd reply");
      out[i] = replies[i]->integer == 1;
    }
    return out;
  }

  Result<std::map<std::string, Bytes>> list(const std::string& prefix, Deadline deadline) override {
    TE_ASSIGN_OR_RETURN(auto keys, scan(prefix, deadline));
    TE_ASSIGN_OR_RETURN(auto values, getMany(keys, deadline));
    std::map<std::string, Bytes> out;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (values[i]) out.emplace(keys[i], std::move(*values[i]));  // expired since the scan: skip
    }
    return out;
  }

  Status removePrefix(const std::string& prefix, Deadline deadline) override {
    TE_ASSIGN_OR_RETURN(auto keys, scan(prefix, deadline));
    std::vector<RedisCommand> cmds;
    appendKeyCommands("DEL", keys, &cmds);
    if (!cmds.empty()) TE_RETURN_IF_ERROR(conn_->run(cmds, deadline).status());
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& k : keys) owned_.erase(k);
    return Status::ok();
  }

  Result<std::optional<TimedValue>> getWithTtl(const std::string& key, Deadline deadline) override {
    using Out = std::optional<TimedValue>;
    TE_ASSIGN_OR_RETURN(auto replies, conn_->run({{"GET", key}, {"PTTL", key}}, deadline));
    std::optional<Bytes> value = stringReply(replies[0].get());
    if (replies[1]->type != REDIS_REPLY_INTEGER) return unavailable(describe() + ": PTTL " + key + ": odd reply");
    const long long ms = replies[1]->integer;
    if (!value || ms == -2) return Out();
    TimedValue out{std::move(*value), ms == -1 ? std::chrono::milliseconds::max()
                                               : std::chrono::milliseconds(std::max(ms, 0LL))};
    return Out(std::move(out));
  }

  Status dropOwnKeys(Deadline deadline) override {
    keepalive_.reset();
    std::vector<std::string> keys;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      keys.assign(owned_.begin(), owned_.end());
    }
    return write({}, keys, deadline);
  }

 private:
  static void appendKeyCommands(const char* name, const std::vector<std::string>& keys,
                                std::vector<RedisCommand>* cmds) {
    for (size_t first = 0; first < keys.size(); first += kKeysPerCommand) {
      RedisCommand c{name};
      for (size_t i = first; i < std::min(keys.size(), first + kKeysPerCommand); ++i) c.push_back(keys[i]);
      cmds->push_back(std::move(c));
    }
  }

  Result<std::vector<std::string>> scan(const std::string& prefix, Deadline deadline) {
    std::set<std::string> keys;  // SCAN may return a key more than once
    std::string cursor = "0";
    const std::string pattern = globPrefix(prefix);
    do {
      TE_ASSIGN_OR_RETURN(auto replies, conn_->run({{"SCAN", cursor, "MATCH", pattern, "COUNT",
                                                     std::to_string(kKeysPerCommand)}},
                                                   deadline));
      const redisReply* r = replies[0].get();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
          r->element[1]->type != REDIS_REPLY_ARRAY) {
        return unavailable(describe() + ": SCAN: odd reply");
      }
      cursor.assign(r->element[0]->str, r->element[0]->len);
      const redisReply* batch = r->element[1];
      for (size_t i = 0; i < batch->elements; ++i) {
        if (batch->element[i]->type == REDIS_REPLY_STRING) {
          keys.emplace(batch->element[i]->str, batch->element[i]->len);
        }
      }
      if (Clock::now() > deadline + std::chrono::seconds(1)) {
        return deadlineExceeded(describe() + ": SCAN " + pattern + " did not finish before the deadline");
      }
    } while (cursor != "0");
    return std::vector<std::string>(keys.begin(), keys.end());
  }

  // Extends the TTL of every key this store wrote (PEXPIRE, one pipelined round trip).
  Status refresh(Deadline deadline) {
    std::vector<RedisCommand> cmds;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& k : owned_) cmds.push_back({"PEXPIRE", k, ttl_ms_});
    }
    return cmds.empty() ? Status::ok() : keepalive_conn_->run(cmds, deadline).status();
  }

  std::unique_ptr<RedisConnection> conn_;            // the caller's thread
  std::unique_ptr<RedisConnection> keepalive_conn_;  // the keep-alive thread
  const std::string ttl_ms_;
  std::mutex mutex_;  // owned_
  std::set<std::string> owned_;
  std::unique_ptr<KeepAlive> keepalive_;  // last: started once everything it uses exists
};

}  // namespace

Result<KvStorePtr> connectRedis(const KvStoreOptions& options) {
  TE_ASSIGN_OR_RETURN(KvUrl url, parseKvUrl(options.url));
  if (url.endpoints.size() != 1) return invalidArgument("--bootstrap " + options.url + ": redis takes one host:port");
  auto ttl = std::max(options.ttl, std::chrono::milliseconds(1000));
  TE_ASSIGN_OR_RETURN(auto conn, RedisConnection::connect(url.endpoints[0], options.connect_timeout, nullptr));
  TE_ASSIGN_OR_RETURN(auto keepalive, RedisConnection::connect(url.endpoints[0], options.connect_timeout, nullptr));
  auto store = std::make_unique<RedisStore>(ttl, std::move(conn), std::move(keepalive));
  return KvStorePtr(std::move(store));
}

}  // namespace te::bootstrap::kv
