#include "common/logging.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "common/enum_names.h"

namespace te {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::WARN)};
std::mutex g_mutex;
std::string g_prefix = "[te_bench] ";

constexpr EnumName<LogLevel> kLogLevels[] = {{LogLevel::DEBUG, "debug"}, {LogLevel::INFO, "info"},
                                             {LogLevel::WARN, "warn"},   {LogLevel::WARN, "warning"},
                                             {LogLevel::ERROR, "error"}, {LogLevel::OFF, "off"}};

}  // namespace

bool parseLogLevel(const std::string& text, LogLevel* out) { return parseEnum(kLogLevels, text, out); }
const char* logLevelName(LogLevel level) { return enumName(kLogLevels, level); }

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
