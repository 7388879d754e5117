// One hiredis connection with RAII handles and pipelined commands: a call sends every
// command, then reads every reply (one round trip), each command's deadline enforced
// through the socket timeout. An I/O error leaves the connection broken (later calls
// fail at once with the same words).
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "bootstrap/kv/kv_store.h"
#include "bootstrap/kv/kv_url.h"

namespace te::bootstrap::kv {

struct RedisContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextDeleter>;
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

using RedisCommand = std::vector<std::string>;  // {"SET", key, value, "PX", "10000"}

class RedisConnection {
 public:
  static Result<std::unique_ptr<RedisConnection>> connect(const HostPort& endpoint,
                                                          std::chrono::milliseconds connect_timeout, KvStats* stats);

  // Replies in command order. A redis error reply is an error naming the command.
  Result<std::vector<RedisReplyPtr>> run(const std::vector<RedisCommand>& commands, Deadline deadline);
  std::string describe() const { return "redis " + url_; }
  void setStats(KvStats* stats) { stats_ = stats; }

 private:
  RedisConnection(std::string url, RedisContextPtr context, KvStats* stats)
      : url_(std::move(url)), context_(std::move(context)), stats_(stats) {}
  Status ioError(const std::string& what);

  std::string url_;  // "redis://host:port"
  RedisContextPtr context_;
  KvStats* stats_;
  Status broken_;
};

}  // namespace te::bootstrap::kv
