#include "common/logging.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace te {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::WARN)};
std::mutex g_mutex;
std::string g_prefix = "[te_bench] ";

}  // namespace

bool parseLogLevel(const std::string& text, LogLevel* out) {
  static const struct { const char* name; LogLevel level; } kNames[] = {
      {"debug", LogLevel::DEBUG}, {"info", LogLevel::INFO},   {"warn", LogLevel::WARN},
      {"warning", LogLevel::WARN}, {"error", LogLevel::ERROR}, {"off", LogLevel::OFF}};
  for (const auto& n : kNames) {
    if (text == n.name) {
      *out = n.level;
      return true;
    }
  }
  return false;
}

const char* logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::DEBUG: return "debug";
    case LogLevel::INFO: return "info";
    case LogLevel::WARN: return "warn";
    case LogLevel::ERROR: return "error";
    case LogLevel::OFF: return "off";
  }
  return "?";
}

void setLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel logLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

void setLogIdentity(int rank, const std::string& host) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_prefix = "[rank " + std::to_string(rank) + " " + host + "] ";
}

LogLine::LogLine(LogLevel level, const char*, int) : level_(level) {}

LogLine::~LogLine() {
  static const char kLetters[] = {'D', 'I', 'W', 'E', 'O'};
  std::string text;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    text = g_prefix;
  }
  text += kLetters[static_cast<int>(level_)];
  text += ' ';
  text += stream_.str();
  text += '\n';
  // One write() per line so that lines of concurrent ranks do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

bool firstOccurrence(std::atomic<uint64_t>& counter) {
  return counter.fetch_add(1, std::memory_order_relaxed) == 0;
}

}  // namespace te
