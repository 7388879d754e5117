#include "bootstrap/kv/redis_connection.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>

namespace te::bootstrap::kv {
namespace {

// As for etcd: at least 1 s per call (a last look after a deadline), at most 15 s.
constexpr auto kMinCallTime = std::chrono::milliseconds(1000);
constexpr auto kMaxCallTime = std::chrono::milliseconds(15000);

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string commandName(const RedisCommand& c) {
  std::string out = c.empty() ? "?" : c[0];
  if (c.size() > 1) out += " " + (c[1].size() > 80 ? c[1].substr(0, 80) + "..." : c[1]);
  return out;
}

size_t payloadBytes(const redisReply* r) {
  if (r->type == REDIS_REPLY_STRING) return r->len;
  size_t n = 0;
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i) n += payloadBytes(r->element[i]);
  }
  return n;
}

// hiredis writes with write(2): a server that died turns into SIGPIPE, which would end the
// process instead of giving an error. Block it on this thread around the I/O and drop one
// raised meanwhile (the error comes back as EPIPE).
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace

Result<std::unique_ptr<RedisConnection>> RedisConnection::connect(const HostPort& endpoint,
                                                                  std::chrono::milliseconds connect_timeout,
                                                                  KvStats* stats) {
  const std::string url = "redis://" + endpoint.text();
  RedisContextPtr context(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, toTimeval(connect_timeout)));
  if (!context) return unavailable("redis " + url + ": connect: out of memory");
  if (context->err) return unavailable("redis " + url + ": connect: " + context->errstr);
  std::unique_ptr<RedisConnection> conn(new RedisConnection(url, std::move(context), stats));
  TE_ASSIGN_OR_RETURN(auto replies, conn->run({{"PING"}}, Clock::now() + connect_timeout));
  const redisReply* r = replies[0].get();
  if (r->type != REDIS_REPLY_STATUS || std::string(r->str, r->len) != "PONG") {
    return unavailable("redis " + url + ": PING: unexpected answer (is this a redis server?)");
  }
  return conn;
}

Status RedisConnection::ioError(const std::string& what) {
  std::string why = context_->err ? context_->errstr : "no reply";
  if (context_->err == REDIS_ERR_IO && why.find("Resource temporarily unavailable") != std::string::npos) {
    why = "no answer before the deadline (server stopped?)";
  }
  broken_ = unavailable(describe() + ": " + what + ": " + why);
  return broken_;
}

Result<std::vector<RedisReplyPtr>> RedisConnection::run(const std::vector<RedisCommand>& commands,
                                                        Deadline deadline) {
  if (!broken_.isOk()) return broken_;
  ScopedSigpipeBlock no_sigpipe;
  redisContext* c = context_.get();
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (redisSetTimeout(c, toTimeval(std::clamp(left, kMinCallTime, kMaxCallTime))) != REDIS_OK) {
    return ioError("set timeout");
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
      if (stats_) stats_->bytes_sent += a.size();
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
      return ioError(commandName(cmd));
    }
  }
  if (stats_) ++stats_->round_trips;
  std::vector<RedisReplyPtr> replies;
  replies.reserve(commands.size());
  for (const auto& cmd : commands) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) return ioError(commandName(cmd));
    RedisReplyPtr reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) {
      // Read the remaining replies so that the connection stays in step.
      std::string error(reply->str, reply->len);
      if (error.rfind("WRONGTYPE", 0) == 0 && cmd.size() > 1) {
        error = "the key holds another type than a string (" + error + "); remove it (redis-cli del " + cmd[1] +
                ") or use another --job-id";
      }
      Status s = unavailable(describe() + ": " + commandName(cmd) + ": " + error);
      for (size_t i = replies.size() + 1; i < commands.size(); ++i) {
        void* rest = nullptr;
        if (redisGetReply(c, &rest) != REDIS_OK) return ioError(commandName(cmd));
        freeReplyObject(rest);
      }
      return s;
    }
    if (stats_) stats_->bytes_received += payloadBytes(reply.get());
    replies.push_back(std::move(reply));
  }
  return replies;
}

}  // namespace te::bootstrap::kv
